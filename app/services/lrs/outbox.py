"""The outbox: a statement is written in the same transaction as the event it records.

The services that own the events call one function here inside their own
``write_session()``: :func:`attempt_submitted`, :func:`exam_finished` and
:func:`certificate_changed`. If their transaction rolls back, the statement goes with it;
if it commits, the statement is there for the sender (``sender.py``), whatever happens to
the LRS. An event key is unique, so recording the same event twice keeps one row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.services.lrs import statements as xapi
from app.services.lrs.config import site_home
from app.store.models import (
    Agency,
    Attempt,
    Certificate,
    Exam,
    LearningRecord,
    ScenarioVersion,
    User,
    utcnow,
)


def _codes(text: str | None) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def _who(session: Session, user_id: int, agency_id: int) -> tuple[xapi.Agent, str]:
    user = session.get(User, user_id)
    agency = session.get(Agency, agency_id)
    slug = agency.slug if agency else str(agency_id)
    who = xapi.actor(
        site_home(),
        username=user.username if user else f"user-{user_id}",
        display_name=user.display_name if user else "",
        agency=slug,
    )
    return who, slug


def _add(
    session: Session,
    *,
    agency_id: int,
    user_id: int,
    event_key: str,
    statement: xapi.Statement,
    first: bool = False,
) -> None:
    """Queue a statement once per event. ``first``: the caller's own write already made
    this the event's only time (a conditional update that changed its row), so there is
    nothing to look for; the unique ``event_key`` still refuses a second record."""
    if not first:
        exists = session.exec(
            select(LearningRecord.id).where(col(LearningRecord.event_key) == event_key)
        ).first()
        if exists is not None:
            return
    session.add(
        LearningRecord(
            agency_id=agency_id,
            user_id=user_id,
            event_key=event_key,
            statement_id=statement["id"],
            verb=statement["verb"]["display"]["en-US"],
            statement=dict(statement),
        )
    )
    session.flush()


def attempt_submitted(
    session: Session,
    attempt: Attempt,
    version: ScenarioVersion | None,
    *,
    username: str,
    display_name: str,
    agency_slug: str,
) -> None:
    """Record a call just submitted: called once, by the submit whose update stored the
    grade. ``attempt`` holds what it stored, and it hands over the rows it already read:
    nothing is read back while the write transaction (and, on SQLite, the database's
    write lock) is held."""
    if attempt.id is None or attempt.status != "submitted":
        return
    attempt_id = attempt.id
    who = xapi.actor(site_home(), username=username, display_name=display_name, agency=agency_slug)
    answer = attempt.answer or {}
    statement = xapi.attempt_statement(
        home=site_home(),
        who=who,
        agency=agency_slug,
        attempt_id=attempt_id,
        mode=attempt.mode,
        scenario_key=version.scenario_key if version else str(attempt.scenario_version_id),
        scenario_version=version.version if version else 0,
        title=version.title if version else "",
        score=attempt.score,
        passed=attempt.passed,
        seconds=attempt.seconds,
        submitted_at=attempt.submitted_at or utcnow(),
        marked=[str(d) for d in answer.get("disqualifiers") or []],
        missed=_codes(attempt.missed_disqualifiers),
        extra=_codes(attempt.over_disqualifiers),
        route=attempt.disposition,
        expert_route=attempt.expert_disposition,
        rules=int(attempt.rules or 1),
    )
    _add(
        session,
        agency_id=attempt.agency_id,
        user_id=attempt.user_id,
        event_key=f"attempt:{attempt_id}:submitted",
        statement=statement,
        first=True,  # the submit's update from in_progress changed the row: once only
    )


def _track_title(track_id: str) -> str:
    from app.services.certification.common import _track_title as title

    return title(track_id)


def exam_finished(session: Session, exam: Exam) -> None:
    """Record an exam's result (passed or failed)."""
    if exam.id is None or exam.status != "completed" or exam.finished_at is None:
        return
    outcome = (exam.result or {}).get("outcome") or {}
    who, slug = _who(session, exam.user_id, exam.agency_id)
    statement = xapi.exam_statement(
        home=site_home(),
        who=who,
        agency=slug,
        exam_id=exam.id,
        track=exam.track,
        track_title=_track_title(exam.track),
        score=exam.score,
        passed=bool(exam.passed),
        seconds=outcome.get("exam_seconds"),
        finished_at=exam.finished_at,
        calls=len(exam.plan or []),
        reasons=[str(r) for r in outcome.get("reasons") or []],
    )
    _add(
        session,
        agency_id=exam.agency_id,
        user_id=exam.user_id,
        event_key=f"exam:{exam.id}:result",
        statement=statement,
    )


def certificate_changed(session: Session, cert: Certificate, change: str) -> None:
    """Record a certificate ``issued``, ``renewed`` or ``revoked``."""
    if cert.id is None or change not in ("issued", "renewed", "revoked"):
        return
    from app.services.certification.common import verification_url

    who, slug = _who(session, cert.user_id, cert.agency_id)
    when = {"issued": cert.issued_at, "revoked": cert.revoked_at}.get(change) or utcnow()
    statement = xapi.certificate_statement(
        home=site_home(),
        who=who,
        agency=slug,
        certificate_id=cert.id,
        change=change,
        track=cert.track,
        track_title=_track_title(cert.track),
        code=cert.code,
        issued_at=cert.issued_at,
        expires_at=cert.expires_at,
        when=when,
        verify_url=verification_url(cert.code),
        reason=cert.revoked_reason if change == "revoked" else None,
    )
    _add(
        session,
        agency_id=cert.agency_id,
        user_id=cert.user_id,
        event_key=xapi.certificate_event_key(cert.id, change, cert.expires_at),
        statement=statement,
    )


# ------------------------------------------------------------------ reading the outbox


def counts(session: Session, agency_id: int | None = None) -> dict[str, int]:
    query = select(LearningRecord.status, func.count()).group_by(LearningRecord.status)
    if agency_id is not None:
        query = query.where(col(LearningRecord.agency_id) == agency_id)
    found = {status: int(n) for status, n in session.exec(query).all()}
    return {status: found.get(status, 0) for status in ("pending", "sent", "rejected")}


def oldest_pending(session: Session, agency_id: int | None = None) -> dt.datetime | None:
    query = select(func.min(LearningRecord.created_at)).where(
        col(LearningRecord.status) == "pending"
    )
    if agency_id is not None:
        query = query.where(col(LearningRecord.agency_id) == agency_id)
    return session.exec(query).first()
