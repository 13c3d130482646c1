"""Submitting a call (graded and stored exactly once) and what the trainee sees after.

Part of :mod:`app.services.practice`; import from the package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TypedDict, cast

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from app.core import feedback, grading
from app.core import regrade as grading_rules
from app.core.call_view import PRIORITIES, call_of
from app.core.protocol import DISPOSITIONS, DISQUALIFIERS, Protocol
from app.errors import AccessDenied, UserError
from app.services.access import Actor, require
from app.services.lrs import outbox as learning_records
from app.services.practice import clock
from app.services.practice.call import TranscriptEntry, keep_alive, transcript
from app.services.practice.common import (
    AttemptClosed,
    _asked,
    _effective_key,
    _load,
    _own_submitted,
    _require_open,
)
from app.services.scope import protocol_for
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import Attempt, Exam, ReviewNote, ScenarioVersion, User, row_id, utcnow

# ------------------------------------------------------------------ submitting


def _clean_answer(answer: Mapping, protocol: Protocol) -> dict:
    if not isinstance(answer, Mapping):
        raise UserError("The answer is not readable.")
    call_type = answer.get("call_type")
    disposition = answer.get("disposition")
    if not call_type or not disposition:
        raise UserError("Choose a call type and a disposition before you submit.")
    if call_type not in protocol.call_types:
        raise UserError(f"Unknown call type '{call_type}'.")
    if disposition not in DISPOSITIONS:
        raise UserError(f"Unknown disposition '{disposition}'.")
    marked = answer.get("disqualifiers") or []
    if not isinstance(marked, list | tuple | set) or any(d not in DISQUALIFIERS for d in marked):
        raise UserError("Disqualifiers must be among the four codes.")
    priority = answer.get("priority")
    if priority is not None and priority not in PRIORITIES:
        raise UserError("Priority must be 1, 2, 3 or 4.")
    clean = {
        "disqualifiers": [d for d in DISQUALIFIERS if d in set(marked)],
        "call_type": call_type,
        "disposition": disposition,
    }
    if priority is not None:
        clean["priority"] = priority
    return clean


def _stored_grade(attempt: Attempt) -> grading.Grade:
    # Stored JSON: a grade from an older version may lack keys, which Grade allows.
    return cast(grading.Grade, dict(attempt.grade or {}))


def submit_attempt(
    *, actor: Actor, attempt_id: int, answer: Mapping, idempotency_key: str
) -> grading.Grade:
    """Grade and store the answer exactly once; returns the grade.

    The questions asked and the time taken come from the server's record, not the
    browser. A second submission (double click, two tabs, a retry) gets the grade
    that was stored first: the store is one conditional UPDATE on ``in_progress``.
    """
    require(actor, "own_attempts")
    with read_session() as session:
        attempt, version, agency = _load(session, actor, attempt_id)
    if idempotency_key != attempt.idempotency_key:
        raise AccessDenied("This submission does not belong to the call on screen.")
    if attempt.status == "submitted":
        return _stored_grade(attempt)
    _require_open(attempt)
    scenario = version.data or {}
    protocol = protocol_for(agency.protocol_overrides)
    clean = _clean_answer(answer, protocol)
    now = utcnow()
    _, paused = clock.settle(
        attempt.events, clock.wall_seconds(attempt.started_at, now), mark=False
    )
    if paused and keep_alive(actor=actor, attempt_id=attempt_id) is not None:
        # The screen had gone quiet: the pause goes on the record first (and out of the
        # time on the call). Most submits find none and read the attempt only once.
        with read_session() as session:
            attempt, _, _ = _load(session, actor, attempt_id)
        now = utcnow()
    # Time on the call: only while the call screen was open (pauses left out).
    seconds = clock.call_seconds(attempt.events, clock.wall_seconds(attempt.started_at, now))
    full_answer = {**clean, "questions": _asked(attempt.events), "seconds": seconds}
    grade = grading.grade(
        scenario, full_answer, attempt.model, protocol, pass_mark=get_settings().pass_mark
    )
    key = _effective_key(scenario, attempt.model, protocol)
    expert_dq = set(key.get("disqualifiers") or [])
    marked = set(clean["disqualifiers"])
    from app.services.bank import twin_info

    twin_group, twin_variant = twin_info(scenario)
    values = {
        "status": "submitted",
        "submitted_at": now,
        "answer": full_answer,
        "grade": grade,
        "rules": grading_rules.grade_rules(grade),
        "score": int(grade["score"]),
        "passed": bool(grade["passed"]),
        "unsafe": "unsafe_dispatch" in (grade.get("critical") or []),
        "over_routed": "over_routed" in (grade.get("errors") or []),
        "seconds": seconds,
        "disposition": clean["disposition"],
        "expert_disposition": key.get("disposition"),
        "call_type": clean["call_type"],
        "missed_disqualifiers": ",".join(d for d in DISQUALIFIERS if d in expert_dq - marked),
        "over_disqualifiers": ",".join(d for d in DISQUALIFIERS if d in marked - expert_dq),
        "twin_group": twin_group,
        "twin_variant": twin_variant,
    }
    with write_session() as session:
        result = session.exec(
            update(Attempt)
            .where(col(Attempt.id) == attempt_id)
            .where(col(Attempt.user_id) == actor.user_id)
            .where(col(Attempt.agency_id) == actor.agency_id)
            .where(col(Attempt.status) == "in_progress")
            .values(**values)
        )
        stored = result.rowcount == 1
        if stored:  # the xAPI statement, in the same transaction, from the rows in hand
            learning_records.attempt_submitted(
                session,
                attempt.sqlmodel_update(values),
                version,
                username=actor.username,
                display_name=actor.display_name,
                agency_slug=agency.slug,
            )
    if stored:
        return grade
    with read_session() as session:
        attempt, _, _ = _load(session, actor, attempt_id)
    if attempt.status == "submitted":
        return _stored_grade(attempt)
    _require_open(attempt)
    raise AttemptClosed("This call could not be submitted; please try again.")


# ------------------------------------------------------------------ after submission


def _exam_finished(session: Session, exam_id: int) -> bool:
    exam = session.get(Exam, exam_id)
    return exam is not None and exam.status != "in_progress"


class AnswerLabels(TypedDict):
    """The trainee's answer in the protocol's words."""

    call_type: str
    disposition: str
    disqualifiers: list[str]


class AttemptNote(TypedDict):
    """A supervisor's note on the attempt."""

    author: str  # the supervisor's display name
    text: str
    created_at: dt.datetime


class AttemptReview(TypedDict):
    """What the trainee sees once the call is submitted, the expert key included."""

    attempt_id: int
    scenario_version_id: int
    title: str
    mode: str
    model: str
    submitted_at: dt.datetime | None
    seconds: float | None  # call time: pauses left out
    grade: dict  # as stored from app.core.grading.grade (older grades lack some keys)
    rules: int  # the grading rules it was graded under
    rules_note: str | None
    answer: dict  # as stored: the marks, the questions asked, the seconds
    answer_labels: AnswerLabels
    feedback: dict  # app.core.feedback.build_feedback
    opening: str
    transcript: list[TranscriptEntry]
    notes: list[AttemptNote]


def review_attempt(*, actor: Actor, attempt_id: int) -> AttemptReview:
    """After submission: the grade, teaching feedback, the expert key and rationale,
    the whole call transcript and any supervisor notes."""
    require(actor, "own_attempts")
    with read_session() as session:
        attempt, version, agency = _load(session, actor, attempt_id)
        if attempt.status != "submitted":
            raise AccessDenied("The expert answer is shown once you have submitted the call.")
        if attempt.exam_id is not None and not _exam_finished(session, attempt.exam_id):
            raise AccessDenied("Exam answers are shown when the exam is finished.")
        notes = session.exec(
            select(ReviewNote, User.display_name)
            .join(User, col(User.id) == ReviewNote.author_id)
            .where(ReviewNote.attempt_id == attempt.id)
            .where(ReviewNote.agency_id == actor.agency_id)
            .order_by(col(ReviewNote.created_at))
        ).all()
    scenario = version.data or {}
    protocol = protocol_for(agency.protocol_overrides)
    answer = attempt.answer or {}
    grade = attempt.grade or {}
    key = _effective_key(scenario, attempt.model, protocol)
    teaching = feedback.build_feedback(
        scenario, answer, grade, key=key, asked=answer.get("questions") or [], protocol=protocol
    )
    call = call_of(scenario)
    return {
        "attempt_id": row_id(attempt),
        "scenario_version_id": row_id(version),
        "title": version.title,
        "mode": attempt.mode,
        "model": attempt.model,
        "submitted_at": attempt.submitted_at,
        "seconds": attempt.seconds,
        "grade": grade,
        "rules": attempt.rules,
        "rules_note": grading_rules.rules_note(attempt.rules, attempt.regrade),
        "answer": answer,
        "answer_labels": AnswerLabels(
            call_type=protocol.call_type_label(answer.get("call_type") or ""),
            disposition=protocol.disposition_label(answer.get("disposition") or ""),
            disqualifiers=[
                protocol.disqualifiers[d].label
                for d in answer.get("disqualifiers") or []
                if d in protocol.disqualifiers
            ],
        ),
        "feedback": teaching,
        "opening": " ".join(str(call.get("opening") or "").split()),
        # What was said, in order, with the trainee's own words for typed questions.
        "transcript": transcript(scenario, protocol, attempt.events),
        "notes": [
            AttemptNote(author=name, text=note.text, created_at=note.created_at)
            for note, name in notes
        ],
    }


class AttemptSummary(TypedDict):
    """One submitted attempt in the trainee's list."""

    id: int
    submitted_at: dt.datetime | None
    mode: str
    exam: bool  # an exam call
    score: int | None
    passed: bool | None
    unsafe: bool | None
    seconds: float | None  # call time: pauses left out
    title: str  # the scenario's
    notes: int  # how many review notes supervisors left


def my_attempts(*, actor: Actor, limit: int = 200) -> list[AttemptSummary]:
    """The trainee's submitted attempts, newest first, with the number of review notes."""
    require(actor, "own_attempts")
    with read_session() as session:
        rows = session.exec(
            _own_submitted(
                actor,
                Attempt.id,
                Attempt.submitted_at,
                Attempt.mode,
                Attempt.exam_id,
                Attempt.score,
                Attempt.passed,
                Attempt.unsafe,
                Attempt.seconds,
                ScenarioVersion.title,
            ).limit(limit)
        ).all()
        ids = [r[0] for r in rows]
        counts = (
            dict(
                session.exec(
                    select(ReviewNote.attempt_id, func.count())
                    .where(col(ReviewNote.attempt_id).in_(ids))
                    .where(ReviewNote.agency_id == actor.agency_id)
                    .group_by(col(ReviewNote.attempt_id))
                ).all()
            )
            if ids
            else {}
        )
    return [
        AttemptSummary(
            id=r[0],
            submitted_at=r[1],
            mode=r[2],
            exam=r[3] is not None,
            score=r[4],
            passed=r[5],
            unsafe=r[6],
            seconds=r[7],
            title=r[8],
            notes=counts.get(r[0], 0),
        )
        for r in rows
    ]
