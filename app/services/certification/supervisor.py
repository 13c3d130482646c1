"""The supervisor's side of an exam: exams awaiting sign-off, the agency's exams, the
exam review and the sign-off that issues a certificate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TypedDict, cast

from sqlmodel import Session, col, select

from app.core import certification as core
from app.core import grading
from app.core import regrade as grading_rules
from app.errors import AccessDenied, NotFound, UserError
from app.services import audit
from app.services.access import Actor, require
from app.services.certification.certificates import CertificateRow, _cert_dict
from app.services.certification.common import (
    ExamHeader,
    ExamResultHeader,
    _exam_track,
    _iso,
    _track_title,
    exam_result_header,
)
from app.services.certification.exam import (
    ExamOutcome,
    _answered,
    _exam_attempts,
    _exam_rules_note,
    _stored_outcome,
)
from app.services.lrs import outbox as learning_records
from app.services.scope import actor_agency, agency_protocol
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import Certificate, Exam, ScenarioVersion, User, row_id, utcnow

# ------------------------------------------------------------------ supervisor


def _agency_exam(session: Session, actor: Actor, exam_id: int, *, lock: bool = False) -> Exam:
    query = select(Exam).where(Exam.id == exam_id).where(Exam.agency_id == actor.agency_id)
    exam = session.exec(query.with_for_update() if lock else query).first()
    if exam is None:
        raise NotFound("There is no such exam in your agency.")
    return exam


class PendingSignOff(TypedDict):
    exam_id: int
    trainee: str  # display name
    track: str
    title: str
    finished_at: dt.datetime | None
    score: int | None
    outcome: ExamOutcome


def pending_sign_offs(*, actor: Actor) -> list[PendingSignOff]:
    """Passed exams in the supervisor's agency that await sign-off, oldest first."""
    require(actor, "sign_off")
    with read_session() as session:
        rows = session.exec(
            select(Exam, User.display_name)
            .join(User, col(User.id) == Exam.user_id)
            .where(Exam.agency_id == actor.agency_id)
            .where(Exam.status == "completed")
            .where(Exam.passed == True)  # noqa: E712
            .where(col(Exam.signed_off_at).is_(None))
            .order_by(col(Exam.finished_at))
        ).all()
    return [
        PendingSignOff(
            exam_id=row_id(e),
            trainee=name,
            track=e.track,
            title=_track_title(e.track),
            finished_at=e.finished_at,
            score=e.score,
            outcome=_stored_outcome(e) or ExamOutcome(),
        )
        for e, name in rows
    ]


class AgencyExam(ExamResultHeader):
    trainee: str  # display name


def agency_exams(*, actor: Actor, limit: int = 200) -> list[AgencyExam]:
    """Recent exams of the agency (any result), newest first."""
    require(actor, "sign_off")
    with read_session() as session:
        rows = session.exec(
            select(Exam, User.display_name)
            .join(User, col(User.id) == Exam.user_id)
            .where(Exam.agency_id == actor.agency_id)
            .order_by(col(Exam.id).desc())
            .limit(limit)
        ).all()
    return [AgencyExam(**exam_result_header(e), trainee=name) for e, name in rows]


class KeySummary(TypedDict, total=False):
    """The parts of a call's expert key a supervisor compares: all five keys, or none
    (``{}``) when the call's scenario version has no data."""

    disqualifiers: list[str]
    call_type: str | None
    disposition: str | None
    acceptable: list[str]  # other dispositions accepted
    required_questions: list[str]


def _key_summary(key: Mapping) -> KeySummary:
    return KeySummary(
        disqualifiers=list(key.get("disqualifiers") or []),
        call_type=key.get("call_type"),
        disposition=key.get("disposition"),
        acceptable=list(key.get("acceptable") or []),
        required_questions=list(key.get("required_questions") or []),
    )


class ReviewCall(TypedDict):
    number: int  # 1 = the exam's first call
    attempt_id: int | None  # None: not answered
    title: str
    version: int | None  # the scenario version the trainee answered
    current_version: int | None
    key_changed: bool  # a newer version of the call is current
    answer: dict  # the trainee's answer as stored ({} when not answered)
    seconds: float | None
    grade: dict  # the stored grade ({} when not answered)
    rules: int | None  # the grading rules of the stored grade
    rules_note: str | None  # set when those rules are older than the current ones
    key: KeySummary
    new_grade: grading.Grade | None  # what the current key would give; never stored
    new_key: KeySummary | None  # None unless the key changed
    regrade_error: str | None  # why the current key could not grade the answer


class ExamReview(ExamHeader):
    trainee: str  # display name
    signed_off_at: dt.datetime | None
    signed_off_by: str | None  # display name
    attestation: dict | None  # statement, calls opened, by, at (stored at sign-off)
    certificate_id: int | None
    outcome: ExamOutcome  # as stored ({} before the exam is finished)
    outcome_with_current_keys: ExamOutcome | None  # None unless a key changed since
    calls: list[ReviewCall]
    rules_note: str | None  # set when any call was graded under older rules
    outcome_under_new_rules: dict | None  # stored by the regrade command (rules, outcome, ...)


def exam_review(*, actor: Actor, exam_id: int) -> ExamReview:
    """A supervisor's view of an exam: each call's stored grade and, where the expert
    key has changed since (a newer scenario version), what the current key would give.
    The stored grades are never changed."""
    require(actor, "sign_off")
    with read_session() as session:
        exam = _agency_exam(session, actor, exam_id)
        agency = actor_agency(session, actor)
        holder = session.get(User, exam.user_id)
        plan = list(exam.plan or [])
        done = _answered(plan, _exam_attempts(session, exam))
        versions = {
            v.id: v
            for v in session.exec(
                select(ScenarioVersion).where(col(ScenarioVersion.id).in_(plan or [-1]))
            ).all()
        }
        keys = {v.scenario_key for v in versions.values()}
        current = {
            v.scenario_key: v
            for v in session.exec(
                select(ScenarioVersion)
                .where(ScenarioVersion.agency_id == actor.agency_id)
                .where(col(ScenarioVersion.scenario_key).in_(keys or {""}))
                .where(ScenarioVersion.is_current == True)  # noqa: E712
            ).all()
        }
        cert = session.exec(select(Certificate.id).where(Certificate.exam_id == exam.id)).first()
        signer = session.get(User, exam.signed_off_by) if exam.signed_off_by else None
    protocol = agency_protocol(agency)
    pass_mark = get_settings().pass_mark
    calls: list[ReviewCall] = []
    regraded: list[core.GradedCall] = []
    changed_any = False
    for number, vid in enumerate(plan, start=1):
        version = versions.get(vid)
        attempt = done.get(vid)
        old_grade = dict(attempt.grade or {}) if attempt else {}
        model = attempt.model if attempt else agency.dispatch_model
        data = (version.data or {}) if version else {}
        newer = current.get(version.scenario_key) if version else None
        changed = newer is not None and newer.id != vid
        new_grade, error = None, None
        if changed and newer is not None and attempt is not None and attempt.answer:
            try:
                new_grade = grading.grade(
                    newer.data or {}, attempt.answer, model, protocol, pass_mark=pass_mark
                )
            except UserError as exc:
                error = str(exc)
        changed_any = changed_any or changed
        calls.append(
            ReviewCall(
                number=number,
                attempt_id=attempt.id if attempt else None,
                title=version.title if version else "?",
                version=version.version if version else None,
                current_version=newer.version if newer else None,
                key_changed=changed,
                answer=dict(attempt.answer or {}) if attempt else {},
                seconds=attempt.seconds if attempt else None,
                grade=old_grade,
                rules=attempt.rules if attempt else None,
                rules_note=grading_rules.rules_note(attempt.rules, attempt.regrade)
                if attempt
                else None,
                key=_key_summary(grading.effective_key(data, model, protocol))
                if data
                else KeySummary(),
                new_grade=new_grade,
                new_key=_key_summary(grading.effective_key(newer.data or {}, model, protocol))
                if changed and newer is not None
                else None,
                regrade_error=error,
            )
        )
        regraded.append(
            core.GradedCall(vid, new_grade or old_grade, attempt.seconds if attempt else None)
        )
    outcome = _stored_outcome(exam) or ExamOutcome()
    outcome_now = None
    if changed_any and exam.status == "completed":
        # core.exam_result gives the verdict as a plain dict
        outcome_now = cast(
            ExamOutcome, core.exam_result(_exam_track(exam), [g for g in regraded if g.grade])
        )
    return ExamReview(
        exam_id=row_id(exam),
        trainee=holder.display_name if holder else "?",
        title=_track_title(exam.track),
        status=exam.status,
        started_at=exam.started_at,
        finished_at=exam.finished_at,
        signed_off=exam.signed_off_at is not None,
        signed_off_at=exam.signed_off_at,
        signed_off_by=signer.display_name if signer else None,
        attestation=dict(exam.signoff_attestation) if exam.signoff_attestation else None,
        certificate_id=cert,
        outcome=outcome,
        outcome_with_current_keys=outcome_now,
        calls=calls,
        rules_note=_exam_rules_note(calls),
        outcome_under_new_rules=(exam.result or {}).get("regrade"),
    )


def _new_code(session: Session) -> str:
    for _ in range(10):
        code = core.new_code()
        if session.exec(select(Certificate.id).where(Certificate.code == code)).first() is None:
            return code
    raise UserError("Could not make a unique verification code; please try again.")


def sign_off_statement(*, actor: Actor, exam_id: int) -> str:
    """The statement the supervisor confirms before signing off this exam."""
    require(actor, "sign_off")
    with read_session() as session:
        exam = _agency_exam(session, actor, exam_id)
        holder = session.get(User, exam.user_id)
        return core.sign_off_statement(
            holder.display_name if holder else "?", _track_title(exam.track), len(exam.plan or [])
        )


def sign_off(
    *,
    actor: Actor,
    exam_id: int,
    attested: bool = False,
    calls_opened: Sequence[int] = (),
) -> CertificateRow:
    """Sign off a passed exam: a certificate is issued. Returns the certificate.

    The supervisor must confirm the sign-off statement (``attested``) after opening at
    least one of the exam's calls (``calls_opened``: their numbers, 1 = the first call).
    Who, when, the statement and the calls opened are kept with the exam
    (``signoff_attestation``) and in the audit log's ``sign_off`` event.
    """
    require(actor, "sign_off")
    if not attested:
        raise UserError("Confirm the statement before signing off.")
    with write_session() as session:
        exam = _agency_exam(session, actor, exam_id, lock=True)
        if exam.user_id == actor.user_id:
            raise AccessDenied("Nobody may sign off their own exam.")
        if exam.status != "completed" or not exam.passed:
            raise UserError("Only a finished, passed exam can be signed off.")
        if exam.signed_off_at is not None:
            raise UserError("This exam has already been signed off.")
        planned = len(exam.plan or [])
        opened = sorted({int(n) for n in calls_opened if 1 <= int(n) <= planned})
        if not opened:
            raise UserError("Open at least one of the exam's calls before signing off.")
        track = _exam_track(exam)
        holder = session.get(User, exam.user_id)
        statement = core.sign_off_statement(
            holder.display_name if holder else "?", _track_title(exam.track), planned
        )
        now = utcnow()
        exam.signed_off_by = actor.user_id
        exam.signed_off_at = now
        exam.signoff_attestation = {
            "statement": statement,
            "calls_opened": opened,
            "calls": planned,
            "by": actor.user_id,
            "at": _iso(now),
        }
        session.add(exam)
        cert = Certificate(
            agency_id=exam.agency_id,
            user_id=exam.user_id,
            exam_id=exam.id,
            track=exam.track,
            code=_new_code(session),
            issued_at=now,
            expires_at=core.add_months(now, track.validity_months),
        )
        session.add(cert)
        session.flush()
        learning_records.certificate_changed(session, cert, "issued")  # xAPI outbox
        audit.append(
            session,
            event="sign_off",
            subject=f"exam:{exam.id}",
            payload={
                "user_id": exam.user_id,
                "track": exam.track,
                "score": exam.score,
                "statement": statement,
                "calls_opened": opened,
                "calls": planned,
            },
            agency_id=exam.agency_id,
            actor_id=actor.user_id,
        )
        audit.append(
            session,
            event="certificate_issued",
            subject=f"certificate:{cert.id}",
            payload={
                "user_id": cert.user_id,
                "exam_id": exam.id,
                "track": cert.track,
                "code": cert.code,
                "issued_at": _iso(cert.issued_at),
                "expires_at": _iso(cert.expires_at),
            },
            agency_id=cert.agency_id,
            actor_id=actor.user_id,
        )
        return _cert_dict(cert, holder.display_name if holder else "?", now)
