"""The trainee's side: the certification page, starting, resuming and finishing an exam,
and the exam's report.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, cast

from sqlmodel import Session, col, select

from app.core import certification as core
from app.core import regrade as grading_rules
from app.errors import AccessDenied, NotFound, UserError
from app.services import audit, practice
from app.services.access import Actor, require
from app.services.certification.certificates import CertificateRow, my_certificates
from app.services.certification.common import (
    ExamResultHeader,
    TrackRules,
    _exam_track,
    _track_title,
    all_tracks,
    exam_result_header,
    get_track,
    track_rules,
)
from app.services.certification.eligibility import _eligibility_dict, _facts
from app.services.certification.planning import (
    _call_summaries,
    _plan_with_generation,
    _seen,
    _summary,
)
from app.services.lrs import outbox as learning_records
from app.services.scope import actor_agency, agency_protocol
from app.store.db import read_session, write_session
from app.store.models import Attempt, Certificate, Exam, ScenarioVersion, User, row_id, utcnow


class NotEligible(UserError):
    """The trainee may not start the exam yet; the message says what is missing."""


# ------------------------------------------------------------------ the exam (trainee)


def _own_exam(session: Session, actor: Actor, exam_id: int, *, lock: bool = False) -> Exam:
    query = (
        select(Exam)
        .where(Exam.id == exam_id)
        .where(Exam.agency_id == actor.agency_id)
        .where(Exam.user_id == actor.user_id)
    )
    exam = session.exec(query.with_for_update() if lock else query).first()
    if exam is None:
        raise NotFound("There is no such exam of yours.")
    return exam


def current_exam(*, actor: Actor) -> int | None:
    """The trainee's exam in progress, if any (to resume it)."""
    require(actor, "exam")
    with read_session() as session:
        return session.exec(
            select(Exam.id)
            .where(Exam.user_id == actor.user_id)
            .where(Exam.agency_id == actor.agency_id)
            .where(Exam.status == "in_progress")
            .order_by(col(Exam.id))
        ).first()


def start_exam(
    *,
    actor: Actor,
    track_id: str,
    rng: random.Random | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Start the exam of a track (the trainee must be eligible); returns the exam id.

    An exam already in progress is returned instead: an exam is resumed, never restarted.
    """
    require(actor, "exam")
    rng = rng or random.Random(random.SystemRandom().getrandbits(64))
    open_exam = current_exam(actor=actor)
    if open_exam is not None:
        return open_exam
    now = now or utcnow()
    with read_session() as session:
        agency = actor_agency(session, actor)
        track = get_track(track_id, agency.dispatch_model)
        facts, _ = _facts(session, actor.user_id, actor.agency_id, track.id, now)
        verdict = core.eligibility(track, facts)
        if not verdict.eligible:
            raise NotEligible(" ".join(verdict.blocked + verdict.missing))
        protocol = agency_protocol(agency)
        candidates = _call_summaries(session, agency, protocol)
        seen = _seen(session, actor)
    plan = _plan_with_generation(
        agency=agency, protocol=protocol, track=track, candidates=candidates, seen=seen, rng=rng
    )
    with write_session() as session:
        # Serialize two tabs starting at once: lock the trainee's row, look again.
        session.exec(select(User).where(User.id == actor.user_id).with_for_update()).first()
        again = session.exec(
            select(Exam.id)
            .where(Exam.user_id == actor.user_id)
            .where(Exam.agency_id == actor.agency_id)
            .where(Exam.status == "in_progress")
        ).first()
        if again is not None:
            return again
        exam = Exam(
            agency_id=actor.agency_id,
            user_id=actor.user_id,
            track=track.id,
            status="in_progress",
            plan=plan,
            started_at=utcnow(),
            result={"track": track.snapshot()},
        )
        session.add(exam)
        session.flush()
        audit.append(
            session,
            event="exam_started",
            subject=f"exam:{exam.id}",
            payload={"user_id": actor.user_id, "track": track.id, "calls": len(plan)},
            agency_id=actor.agency_id,
            actor_id=actor.user_id,
        )
        return row_id(exam)


def _exam_attempts(session: Session, exam: Exam) -> list[Attempt]:
    return list(
        session.exec(
            select(Attempt)
            .where(Attempt.exam_id == exam.id)
            .where(Attempt.user_id == exam.user_id)
            .where(Attempt.agency_id == exam.agency_id)
            .order_by(col(Attempt.id))
        ).all()
    )


def _answered(plan: list[int], attempts: list[Attempt]) -> dict[int, Attempt]:
    """Planned version id -> its first submitted attempt."""
    done: dict[int, Attempt] = {}
    for attempt in attempts:
        if attempt.status == "submitted" and attempt.scenario_version_id in plan:
            done.setdefault(attempt.scenario_version_id, attempt)
    return done


def _replace_unplayable(actor: Actor, exam_id: int, position: int) -> None:
    """A planned call was withdrawn from the bank before the trainee reached it:
    re-plan the rest of the exam around the calls already answered."""
    with read_session() as session:
        exam = _own_exam(session, actor, exam_id)
        agency = actor_agency(session, actor)
        protocol = agency_protocol(agency)
        track = _exam_track(exam)
        answered = list(exam.plan or [])[:position]
        by_id = {
            row.id: row
            for row in session.exec(
                select(ScenarioVersion).where(col(ScenarioVersion.id).in_(answered))
            ).all()
        }
        summaries = (_summary(i, by_id[i].data or {}, protocol, agency) for i in answered)
        keep = [s for s in summaries if s]
        candidates = _call_summaries(session, agency, protocol)
        seen = _seen(session, actor) | {c.key for c in keep}
    plan = _plan_with_generation(
        agency=agency,
        protocol=protocol,
        track=track,
        candidates=candidates,
        seen=seen,
        rng=random.Random(random.SystemRandom().getrandbits(64)),
        keep=keep,
    )
    with write_session() as session:
        exam = _own_exam(session, actor, exam_id, lock=True)
        if list(exam.plan or [])[:position] == plan[:position]:
            exam.plan = list(plan)
            session.add(exam)


class CallOutcome(TypedDict):
    scenario_version_id: int
    score: int
    passed: bool
    critical: list[str]  # the call's critical errors
    seconds: float | None


class ExamOutcome(TypedDict, total=False):
    """The exam's verdict (``core.exam_result``), stored with the exam by :func:`finish_exam`.

    Every key is there once the exam is finished (``exam_seconds`` only in the stored
    outcome); the outcome of an exam that has none is ``{}``.
    """

    passed: bool
    score: int  # over the planned calls, 0..100
    pass_mark: int
    calls_planned: int
    calls_answered: int
    calls_passed: int  # passed on their own, without a critical error
    critical: int  # how many critical errors in all
    parts: dict[str, float]  # grading part -> average, 0..1
    reasons: list[str]  # why it did not pass; empty when passed
    total_seconds: float | None  # time on the calls; None when none was timed
    per_call: list[CallOutcome]
    exam_seconds: int  # start to finish


def _stored_outcome(exam: Exam) -> ExamOutcome | None:
    """The outcome :func:`finish_exam` stored with the exam (JSON); None before that."""
    return cast("ExamOutcome | None", (exam.result or {}).get("outcome"))


class ExamState(TypedDict):
    exam_id: int
    track: str
    title: str
    status: str  # "in_progress" or "completed"
    total: int  # planned calls
    answered: int
    position: int | None  # 0-based; None when every call is answered
    attempt_id: int | None  # the call to show; None once the exam is finished
    started_at: dt.datetime
    finished_at: dt.datetime | None
    elapsed_seconds: int
    outcome: ExamOutcome | None  # None until finished


def exam_state(*, actor: Actor, exam_id: int) -> ExamState:
    """Where the trainee is in the exam, opening the current call's attempt when needed.

    Keys: exam_id, track, title, status, total, answered, position (0-based, None when
    every call is answered), attempt_id (the call to show), started_at, finished_at,
    elapsed_seconds, outcome (once finished).
    """
    require(actor, "exam")
    for _ in range(4):
        with read_session() as session:
            exam = _own_exam(session, actor, exam_id)
            attempts = _exam_attempts(session, exam)
        plan = list(exam.plan or [])
        done = _answered(plan, attempts)
        position = next((i for i, vid in enumerate(plan) if vid not in done), None)
        attempt_id = None
        if exam.status == "in_progress" and position is None:
            finish_exam(actor=actor, exam_id=exam_id)
            continue  # read the finished exam again
        if exam.status == "in_progress" and position is not None:
            open_ids = [
                row_id(a)
                for a in attempts
                if a.scenario_version_id == plan[position] and a.status == "in_progress"
            ]
            if open_ids:
                attempt_id = min(open_ids)
            else:
                try:
                    practice.start_attempt(
                        actor=actor,
                        scenario_version_id=plan[position],
                        mode="exam",
                        exam_id=exam_id,
                    )
                except (AccessDenied, NotFound):
                    _replace_unplayable(actor, exam_id, position)
                continue  # read again: two tabs converge on the oldest open attempt
        end = exam.finished_at or utcnow()
        return ExamState(
            exam_id=row_id(exam),
            track=exam.track,
            title=_track_title(exam.track),
            status=exam.status,
            total=len(plan),
            answered=len(done),
            position=position,
            attempt_id=attempt_id,
            started_at=exam.started_at,
            finished_at=exam.finished_at,
            elapsed_seconds=round(
                (core.as_utc(end) - core.as_utc(exam.started_at)).total_seconds()
            ),
            outcome=_stored_outcome(exam),
        )
    raise UserError("The exam could not be opened; please reload the page.")


def finish_exam(*, actor: Actor, exam_id: int) -> ExamOutcome:
    """Grade the exam once every call is answered; stores the result (idempotent)."""
    require(actor, "exam")
    with write_session() as session:
        exam = _own_exam(session, actor, exam_id, lock=True)
        if exam.status != "in_progress":
            return (_stored_outcome(exam) or ExamOutcome()).copy()
        plan = list(exam.plan or [])
        done = _answered(plan, _exam_attempts(session, exam))
        left = [vid for vid in plan if vid not in done]
        if left:
            raise UserError(f"Answer the remaining {len(left)} call(s) first.")
        track = _exam_track(exam)
        graded = [core.GradedCall(vid, done[vid].grade or {}, done[vid].seconds) for vid in plan]
        # core.exam_result builds the JSON-ready verdict as a plain dict
        outcome = cast(ExamOutcome, core.exam_result(track, graded))
        now = utcnow()
        outcome["exam_seconds"] = round((now - core.as_utc(exam.started_at)).total_seconds())
        exam.status = "completed"
        exam.finished_at = now
        exam.score = outcome["score"]
        exam.passed = outcome["passed"]
        exam.result = {**(exam.result or {}), "outcome": outcome}
        session.add(exam)
        session.flush()
        learning_records.exam_finished(session, exam)  # xAPI outbox, same transaction
        audit.append(
            session,
            event="exam_result",
            subject=f"exam:{exam.id}",
            payload={
                "user_id": exam.user_id,
                "track": exam.track,
                "passed": outcome["passed"],
                "score": outcome["score"],
                "critical": outcome["critical"],
                "reasons": outcome["reasons"],
            },
            agency_id=exam.agency_id,
            actor_id=actor.user_id,
        )
    return outcome


class ReportCall(TypedDict):
    number: int  # 1 = the exam's first call
    title: str
    attempt_id: int | None  # None: not answered
    score: int | None
    passed: bool | None
    critical: list[str]
    seconds: float | None
    rules: int | None  # the grading rules the call was graded under
    rules_note: str | None  # set when those rules are older than the current ones


class ExamReport(TypedDict):
    exam_id: int
    track: str
    title: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: ExamOutcome
    signed_off: bool
    certificate_id: int | None  # None until a supervisor signs the exam off
    calls: list[ReportCall]
    rules_note: str | None  # set when any call was graded under older rules


def exam_report(*, actor: Actor, exam_id: int) -> ExamReport:
    """A finished exam for its trainee: the outcome and each call's score and title."""
    require(actor, "exam")
    with read_session() as session:
        exam = _own_exam(session, actor, exam_id)
        if exam.status == "in_progress":
            raise AccessDenied("Results are shown when the exam is finished.")
        calls = _call_rows(session, exam)
        cert = session.exec(select(Certificate.id).where(Certificate.exam_id == exam.id)).first()
    return ExamReport(
        exam_id=row_id(exam),
        track=exam.track,
        title=_track_title(exam.track),
        started_at=exam.started_at,
        finished_at=exam.finished_at,
        outcome=_stored_outcome(exam) or ExamOutcome(),
        signed_off=exam.signed_off_at is not None,
        certificate_id=cert,
        calls=calls,
        rules_note=_exam_rules_note(calls),
    )


def _exam_rules_note(calls: Sequence[Mapping[str, Any]]) -> str | None:
    """The label for an exam with calls graded under older rules (None: all current)."""
    older = sorted({c["rules"] for c in calls if c.get("rules_note")})
    if not older:
        return None
    return grading_rules.rules_label(older[0]) + ". The exam's result stands as it was given."


def _call_rows(session: Session, exam: Exam) -> list[ReportCall]:
    plan = list(exam.plan or [])
    done = _answered(plan, _exam_attempts(session, exam))
    titles = dict(
        session.exec(
            select(ScenarioVersion.id, ScenarioVersion.title).where(
                col(ScenarioVersion.id).in_(plan or [-1])
            )
        ).all()
    )
    rows = []
    for number, vid in enumerate(plan, start=1):
        attempt = done.get(vid)
        grade = (attempt.grade or {}) if attempt else {}
        rows.append(
            ReportCall(
                number=number,
                title=titles.get(vid, "?"),
                attempt_id=attempt.id if attempt else None,
                score=grade.get("score"),
                passed=grade.get("passed"),
                critical=list(grade.get("critical") or []),
                seconds=attempt.seconds if attempt else None,
                rules=attempt.rules if attempt else None,
                rules_note=grading_rules.rules_note(attempt.rules) if attempt else None,
            )
        )
    return rows


class ExamSummary(ExamResultHeader):
    track: str  # the track's id


def my_exams(*, actor: Actor) -> list[ExamSummary]:
    """The trainee's exams, newest first."""
    require(actor, "exam")
    with read_session() as session:
        rows = session.exec(
            select(Exam)
            .where(Exam.user_id == actor.user_id)
            .where(Exam.agency_id == actor.agency_id)
            .order_by(col(Exam.id).desc())
        ).all()
    return [ExamSummary(**exam_result_header(e), track=e.track) for e in rows]


# ------------------------------------------------------------------ the trainee's page


class TrackOverview(TrackRules):
    eligibility: dict  # what is missing before the exam (eligibility._eligibility_dict)
    open_exam_id: int | None  # the trainee's exam in progress, on any track


class ExamOverview(TypedDict):
    tracks: list[TrackOverview]
    open_exam_id: int | None  # the trainee's exam in progress
    exams: list[ExamSummary]
    certificates: list[CertificateRow]


def exam_overview(*, actor: Actor, now: dt.datetime | None = None) -> ExamOverview:
    """The trainee's certification page: per track the rules, what is missing, the open
    exam, past exams; plus the trainee's certificates."""
    require(actor, "exam")
    now = now or utcnow()
    tracks: list[TrackOverview] = []
    with read_session() as session:
        agency = actor_agency(session, actor)
        for base in all_tracks():
            track = base.for_model(agency.dispatch_model)
            facts, open_exam = _facts(session, actor.user_id, actor.agency_id, track.id, now)
            tracks.append(
                {
                    **track_rules(track),
                    "eligibility": _eligibility_dict(core.eligibility(track, facts)),
                    "open_exam_id": open_exam,
                }
            )
    return ExamOverview(
        tracks=tracks,
        open_exam_id=current_exam(actor=actor),
        exams=my_exams(actor=actor),
        certificates=my_certificates(actor=actor, now=now),
    )


class TrackProgress(TypedDict):
    title: str
    progress: float  # towards the exam, 0..1
    detail: str  # what comes next, in one line


def track_progress(*, actor: Actor) -> list[TrackProgress]:
    """Per track: progress towards the exam (0..1) and one line on what comes next
    (for the "My training" page)."""
    require(actor, "exam")
    overview = exam_overview(actor=actor)
    out: list[TrackProgress] = []
    for track in overview["tracks"]:
        elig = track["eligibility"]
        if elig["eligible"]:
            detail = "Ready: you may take the exam."
        else:
            detail = " ".join(elig["blocked"] or elig["missing"])
        out.append(TrackProgress(title=track["title"], progress=elig["progress"], detail=detail))
    return out
