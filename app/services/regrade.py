"""Regrading stored attempts under the current grading rules, beside the old grades.

History stays honest: a grade keeps the score it was given. :func:`survey` (``python -m
app regrade --dry-run``) regrades, in memory, every submitted attempt whose grade was
made under older rules, against the stored scenario version it was taken on, under the
dispatch model it was answered under and the agency's protocol; it counts per agency
the attempts and finished exams whose outcome changes, and lists the certificates of
exams that would no longer pass. It writes nothing.

:func:`apply` (``regrade --apply``, an admin of the agency) does the same and stores
the new grade beside the old one (``Attempt.regrade``) and an exam's new outcome
beside its stored one (``Exam.result["regrade"]``). ``Attempt.grade``, ``score`` and
``passed`` and ``Exam.score``/``passed``/``result["outcome"]`` are never changed, so
the dashboards' rollups and the certificates stand. No certificate is revoked: each
affected one gets a ``certificate_review`` entry in the audit log (listed on the
supervisors' Certifications page) for a supervisor to decide. The audit entries are
written in the same transaction as the stored grades. Running it again stores nothing
new and writes no new entry.

On SQLite the apply run holds the write lock while it regrades (one transaction, so the
audit entry and the stored grades go together): run it outside training hours on a
large center.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.core import certification as cert_core
from app.core import grading
from app.core import regrade as core
from app.core.protocol import Protocol
from app.errors import AccessDenied, NotFound, UserError
from app.services import audit, practice
from app.services.access import Actor, require
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import (
    Agency,
    Attempt,
    AuditEntry,
    Certificate,
    Exam,
    ScenarioVersion,
    User,
    row_id,
    utcnow,
)

BATCH = 2000


@dataclass
class _Run:
    """One agency's regrade, with what --apply would store."""

    report: core.AgencyRegrade
    agency_id: int
    attempts: dict[int, grading.Grade] = field(default_factory=dict)  # id -> new grade (to store)
    exams: dict[int, dict] = field(default_factory=dict)  # id -> new outcome (to store)
    certificates: list[dict] = field(default_factory=list)  # to flag for review


# ------------------------------------------------------------------ agencies


def _agencies(session: Session, slug: str | None, actor: Actor | None) -> list[Agency]:
    if slug is not None:
        agency = session.exec(select(Agency).where(Agency.slug == slug)).first()
        if agency is None:
            raise NotFound(f"no agency '{slug}'")
        if actor is not None and agency.id != actor.agency_id:
            raise AccessDenied(f"{actor.username or 'you'} is not an admin of agency '{slug}'")
        return [agency]
    query = select(Agency).order_by(col(Agency.slug))
    if actor is not None:
        query = query.where(Agency.id == actor.agency_id)
    return list(session.exec(query).all())


# ------------------------------------------------------------------ regrading


def _older_attempts(session: Session, agency_id: int, rules: int) -> Iterator[Attempt]:
    """Submitted attempts graded under rules older than ``rules``, in id order, in batches."""
    after = 0
    while True:
        rows = session.exec(
            select(Attempt)
            .where(Attempt.agency_id == agency_id)
            .where(Attempt.status == "submitted")
            .where(Attempt.rules < rules)
            .where(col(Attempt.id) > after)
            .order_by(col(Attempt.id))
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        after = row_id(rows[-1])
        session.expunge_all()  # keep memory flat over a large center


def _scenario(session: Session, cache: dict[int, dict], version_id: int) -> dict:
    if version_id not in cache:
        row = session.get(ScenarioVersion, version_id)
        cache[version_id] = dict(row.data or {}) if row is not None else {}
    return cache[version_id]


def _new_grade(
    attempt: Attempt, data: dict, protocol: Protocol, pass_mark: int
) -> grading.Grade | None:
    """The attempt's stored answer graded under the current rules (None: cannot be)."""
    if not attempt.answer or not data:
        return None
    old = attempt.grade or {}
    mark = old.get("pass_mark")
    if isinstance(mark, bool) or not isinstance(mark, int):
        mark = pass_mark  # the pass mark the attempt was graded with, else today's
    try:
        return grading.grade(data, attempt.answer, attempt.model, protocol, pass_mark=mark)
    except UserError:
        return None


def _exam_track(exam: Exam) -> cert_core.Track | None:
    snapshot = (exam.result or {}).get("track")
    try:
        if snapshot:
            return cert_core.track_from_snapshot(snapshot)
        from app.services.certification import get_track

        return get_track(exam.track)
    except (UserError, cert_core.TrackError):
        return None


def _exam_outcomes(
    session: Session, run: _Run, exam_ids: set[int], new_grades: dict[int, grading.Grade]
) -> list[int]:
    """Recompute each finished exam with the new grades; returns exams that now fail."""
    now_failing = []
    for exam_id in sorted(exam_ids):
        exam = session.get(Exam, exam_id)
        if exam is None or exam.status != "completed":
            continue
        track = _exam_track(exam)
        if track is None:
            run.report.not_gradable += 1
            continue
        attempts = session.exec(
            select(Attempt)
            .where(Attempt.exam_id == exam.id)
            .where(Attempt.agency_id == exam.agency_id)
            .where(Attempt.status == "submitted")
            .order_by(col(Attempt.id))
        ).all()
        plan = list(exam.plan or [])
        done: dict[int, Attempt] = {}
        for attempt in attempts:
            if attempt.scenario_version_id in plan:
                done.setdefault(attempt.scenario_version_id, attempt)
        graded = [
            cert_core.GradedCall(
                vid,
                new_grades.get(row_id(done[vid])) or done[vid].grade or {},
                done[vid].seconds,
            )
            for vid in plan
            if vid in done
        ]
        outcome = cert_core.exam_result(track, graded)
        moved = run.report.exams.add(exam.passed, outcome["passed"])
        stored = (exam.result or {}).get("regrade") or {}
        if stored.get("rules") != run.report.rules:
            run.exams[exam_id] = outcome
        if moved == core.PASSED_TO_FAILED:
            now_failing.append(exam_id)
    return now_failing


def _certificates(session: Session, run: _Run, exam_ids: list[int]) -> None:
    if not exam_ids:
        return
    rows = session.exec(
        select(Certificate, User.display_name, User.username)
        .join(User, col(User.id) == Certificate.user_id)
        .where(Certificate.agency_id == run.agency_id)
        .where(col(Certificate.exam_id).in_(exam_ids))
        .order_by(col(Certificate.id))
    ).all()
    now = utcnow()
    for certificate, holder, username in rows:
        run.report.certificates.append(
            {
                "certificate_id": certificate.id,
                "code": certificate.code,
                "user_id": certificate.user_id,
                "holder": holder,
                "username": username,
                "exam_id": certificate.exam_id,
                "status": cert_core.certificate_status(
                    certificate.expires_at, certificate.revoked_at, now
                ),
            }
        )


def _regrade_agency(session: Session, agency: Agency, rules: int) -> _Run:
    run = _Run(core.AgencyRegrade(slug=agency.slug, name=agency.name, rules=rules), row_id(agency))
    protocol = practice.protocol_for(agency.protocol_overrides)
    pass_mark = get_settings().pass_mark
    cache: dict[int, dict] = {}
    exam_grades: dict[int, grading.Grade] = {}
    exam_ids: set[int] = set()
    for attempt in _older_attempts(session, row_id(agency), rules):
        data = _scenario(session, cache, attempt.scenario_version_id)
        grade = _new_grade(attempt, data, protocol, pass_mark)
        if grade is None or core.grade_rules(grade) <= attempt.rules:
            run.report.not_gradable += 1
            continue
        run.report.attempts.add(attempt.passed, grade.get("passed"))
        if (attempt.regrade or {}).get("rules") != core.grade_rules(grade):
            run.attempts[row_id(attempt)] = grade
        if attempt.exam_id is not None:
            exam_ids.add(attempt.exam_id)
            exam_grades[row_id(attempt)] = grade
    failing = _exam_outcomes(session, run, exam_ids, exam_grades)
    _certificates(session, run, failing)
    return run


# ------------------------------------------------------------------ the two commands


def survey(*, actor: Actor | None = None, agency: str | None = None) -> list[core.AgencyRegrade]:
    """Per agency, what regrading its older-rules attempts would change. Writes nothing.

    Without an actor (the command line, run by whoever runs the server) every agency, or
    the one named; with one, an admin's own agency only.
    """
    if actor is not None:
        require(actor, "regrade")
    rules = core.current_rules()
    with read_session() as session:
        agencies = _agencies(session, agency, actor)
        return [_regrade_agency(session, a, rules).report for a in agencies]


def apply(*, actor: Actor, agency: str | None = None) -> core.AgencyRegrade:
    """Store the new grades beside the old ones for the admin's agency (idempotent).

    Returns the agency's report; ``report.stored`` says what this run stored.
    """
    require(actor, "regrade")
    rules = core.current_rules()
    with write_session() as session:
        (target,) = _agencies(session, agency, actor)
        agency_id, slug = row_id(target), target.slug
        # Two runs at once wait for each other (SQLite: BEGIN IMMEDIATE already does).
        session.exec(select(Agency.id).where(Agency.id == agency_id).with_for_update()).first()
        run = _regrade_agency(session, target, rules)
        at = cert_core.as_utc(utcnow()).isoformat()
        for attempt_id, grade in run.attempts.items():
            session.execute(
                update(Attempt)
                .where(col(Attempt.id) == attempt_id)
                .where(col(Attempt.agency_id) == agency_id)
                .values(regrade=core.stored_regrade(grade, at=at, by=actor.user_id))
            )
        for exam_id, outcome in run.exams.items():
            exam = session.exec(
                select(Exam).where(Exam.id == exam_id).where(Exam.agency_id == agency_id)
            ).one()
            regraded = {"rules": rules, "outcome": outcome, "at": at, "by": actor.user_id}
            session.execute(
                update(Exam)
                .where(col(Exam.id) == exam_id)
                .values(result={**(exam.result or {}), "regrade": regraded})
            )
        flagged = _flag_certificates(session, run, actor, agency_id)
        run.report.stored = {
            "attempts": len(run.attempts),
            "exams": len(run.exams),
            "certificates_flagged": flagged,
        }
        if any(run.report.stored.values()):
            report = run.report.as_dict()
            audit.append(
                session,
                event="regrade",
                subject=f"agency:{slug}",
                payload={
                    "rules": rules,
                    "attempts": report["attempts"],
                    "exams": report["exams"],
                    "not_gradable": report["not_gradable"],
                    "certificates": [c["code"] for c in run.report.certificates],
                    "stored": report["stored"],
                },
                agency_id=agency_id,
                actor_id=actor.user_id,
            )
    return run.report


def _flag_certificates(session: Session, run: _Run, actor: Actor, agency_id: int) -> int:
    """A ``certificate_review`` audit entry per affected certificate (once per rules)."""
    if not run.report.certificates:
        return 0
    subjects = [f"certificate:{c['certificate_id']}" for c in run.report.certificates]
    done = {
        subject
        for subject, payload in session.exec(
            select(AuditEntry.subject, AuditEntry.payload)
            .where(AuditEntry.event == "certificate_review")
            .where(AuditEntry.agency_id == agency_id)
            .where(col(AuditEntry.subject).in_(subjects))
        ).all()
        if (payload or {}).get("rules") == run.report.rules
    }
    flagged = 0
    for item, subject in zip(run.report.certificates, subjects, strict=True):
        if subject in done:
            continue
        audit.append(
            session,
            event="certificate_review",
            subject=subject,
            payload={
                "code": item["code"],
                "user_id": item["user_id"],
                "exam_id": item["exam_id"],
                "rules": run.report.rules,
                "exam": core.PASSED_TO_FAILED,
                "note": "Review: the exam does not pass under the new grading rules. "
                "The certificate stands until a supervisor decides.",
            },
            agency_id=agency_id,
            actor_id=actor.user_id,
        )
        flagged += 1
    return flagged
