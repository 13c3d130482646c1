"""Practice calls: start, play, submit (exactly once) and review an attempt.

Every function is keyword-only with the acting user first. A trainee only ever sees
their own attempts and their own agency's scenarios; the filters are in the SQL.

What the browser may see before submission is built by :func:`attempt_view` and
holds nothing of the expert key (no rationale, evidence, required questions,
unsafe routes, expert disposition or checks). The key appears only in
:func:`review_attempt`, after the attempt is submitted.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import case, or_, update
from sqlmodel import Session, col, func, select

from app.core import adaptive, feedback, grading
from app.core import regrade as grading_rules
from app.core.protocol import DISPOSITIONS, DISQUALIFIERS, Protocol, load_protocol
from app.errors import AccessDenied, NotFound, UserError
from app.services.access import Actor, require
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import (
    Agency,
    Attempt,
    Exam,
    ReviewNote,
    ScenarioVersion,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

PRACTICE_MODES = ("guided", "standard", "timed")
MODES = PRACTICE_MODES + ("exam",)
MODE_LABELS = {
    "guided": "Guided — hints while you work",
    "standard": "Standard — no hints",
    "timed": "Timed — beat the clock",
}
DEFAULT_TIME_LIMIT = 120  # seconds, for a timed call whose scenario sets no target
PRIORITIES = (1, 2, 3, 4)
HISTORY_LIMIT = 500  # attempts looked at when choosing the next call
CERT_PRACTICE_TARGET = 20  # passed practice calls counted towards readiness
CONTEXT_SHOWN = ("responders_available", "police_available", "hotline_open", "notes", "prior_calls")
MARK_KINDS = ("disqualifier", "call_type", "priority", "disposition")


class AttemptClosed(UserError):
    """The attempt is no longer open (submitted or replaced by a newer call)."""


# ------------------------------------------------------------------ protocol and key


@functools.lru_cache(maxsize=64)
def _protocol_from_json(overrides_json: str) -> Protocol:
    overrides = json.loads(overrides_json)
    return load_protocol(overrides or None)


def protocol_for(overrides: Mapping | None) -> Protocol:
    """The agency's protocol, built once per distinct set of overrides."""
    return _protocol_from_json(json.dumps(overrides or {}, sort_keys=True, default=str))


def _effective_key(scenario: dict, model: str, protocol: Protocol) -> dict:
    return grading.effective_key(scenario, model, protocol)


# ------------------------------------------------------------------ loading rows


def _load(
    session: Session, actor: Actor, attempt_id: int
) -> tuple[Attempt, ScenarioVersion, Agency]:
    """The actor's own attempt with its scenario and agency, in one query."""
    row = session.exec(
        select(Attempt, ScenarioVersion, Agency)
        .join(ScenarioVersion, ScenarioVersion.id == Attempt.scenario_version_id)
        .join(Agency, Agency.id == Attempt.agency_id)
        .where(Attempt.id == attempt_id)
        .where(Attempt.agency_id == actor.agency_id)
        .where(Attempt.user_id == actor.user_id)
    ).first()
    if row is None:
        raise NotFound("There is no such call among your attempts.")
    return row


def _load_for_update(session: Session, actor: Actor, attempt_id: int) -> Attempt:
    attempt = session.exec(
        select(Attempt)
        .where(Attempt.id == attempt_id)
        .where(Attempt.agency_id == actor.agency_id)
        .where(Attempt.user_id == actor.user_id)
        .with_for_update()
    ).first()
    if attempt is None:
        raise NotFound("There is no such call among your attempts.")
    return attempt


def _elapsed(attempt: Attempt, now: dt.datetime | None = None) -> float:
    end = attempt.submitted_at or now or utcnow()
    return max(0.0, round((end - attempt.started_at).total_seconds(), 1))


def _require_open(attempt: Attempt) -> None:
    if attempt.status == "submitted":
        raise AttemptClosed("This call has already been submitted.")
    if attempt.status != "in_progress":
        raise AttemptClosed("This call was closed because you started another one.")


# ------------------------------------------------------------------ scenario helpers


def _call(scenario: Mapping) -> Mapping:
    return scenario.get("call") or {}


def _exchange_for(scenario: Mapping, question_id: str) -> Mapping | None:
    for exchange in _call(scenario).get("exchanges") or []:
        if exchange.get("ask") == question_id or exchange.get("id") == question_id:
            return exchange
    return None


def question_catalogue(scenario: Mapping, protocol: Protocol) -> list[dict]:
    """Every question the trainee may ask: the protocol's, then the scenario's own.

    Deliberately says nothing about which ones the key requires.
    """
    items = [{"id": q.id, "text": q.text, "own": False} for q in protocol.questions.values()]
    for exchange in _call(scenario).get("exchanges") or []:
        qid = exchange.get("id")
        if qid and not exchange.get("ask") and qid not in protocol.questions:
            items.append({"id": qid, "text": str(exchange.get("question") or qid), "own": True})
    return items


def caller_answer(scenario: Mapping, question_id: str, protocol: Protocol) -> str:
    """What the caller says to this question: the scripted answer, else the default."""
    exchange = _exchange_for(scenario, question_id)
    if exchange is not None and exchange.get("answer"):
        return " ".join(str(exchange["answer"]).split())
    question = protocol.questions.get(question_id)
    if question is None:
        raise NotFound(f"There is no question '{question_id}' for this call.")
    return question.default_answer


def _question_text(scenario: Mapping, question_id: str, protocol: Protocol) -> str:
    if question_id in protocol.questions:
        return protocol.questions[question_id].text
    exchange = _exchange_for(scenario, question_id)
    return str((exchange or {}).get("question") or question_id)


def _asked(events: list | None) -> list[str]:
    """Question ids in the order first asked."""
    seen: list[str] = []
    for event in events or []:
        if event.get("kind") == "ask" and event.get("value") not in seen:
            seen.append(event["value"])
    return seen


def marks_from_events(events: list | None) -> dict:
    """The trainee's current choices, folded from the recorded marks."""
    marks: dict[str, Any] = {
        "disqualifiers": [],
        "call_type": None,
        "priority": None,
        "disposition": None,
    }
    chosen: set[str] = set()
    for event in events or []:
        kind, value = event.get("kind"), event.get("value")
        if kind == "disqualifier" and isinstance(value, Mapping):
            if value.get("on"):
                chosen.add(value.get("code"))
            else:
                chosen.discard(value.get("code"))
        elif kind in ("call_type", "priority", "disposition"):
            marks[kind] = value
    marks["disqualifiers"] = [d for d in DISQUALIFIERS if d in chosen]
    return marks


def _time_limit(scenario: Mapping) -> int:
    target = (scenario.get("expert") or {}).get("time_target_seconds")
    return int(target) if target else DEFAULT_TIME_LIMIT


def _available_routes(scenario: Mapping, protocol: Protocol, model: str) -> list[str]:
    call = _call(scenario)
    return protocol.available_dispositions(model, call.get("time"), call.get("context") or {})


# ------------------------------------------------------------------ starting and resuming


def start_attempt(
    *, actor: Actor, scenario_version_id: int, mode: str, exam_id: int | None = None
) -> int:
    """Open a new attempt on a published scenario of the actor's agency; returns its id.

    A practice call replaces any practice call the trainee left open (it is marked
    ``abandoned``), so there is only ever one call to resume.
    """
    require(actor, "exam" if exam_id is not None else "practice")
    if exam_id is None and mode not in PRACTICE_MODES:
        raise UserError(f"Practice mode must be one of: {', '.join(PRACTICE_MODES)}.")
    if exam_id is not None:
        mode = "exam"
    with write_session() as session:
        scenario = session.exec(
            select(ScenarioVersion)
            .where(ScenarioVersion.id == scenario_version_id)
            .where(ScenarioVersion.agency_id == actor.agency_id)
        ).first()
        if scenario is None:
            raise NotFound("There is no such call in your agency's bank.")
        if scenario.status != "published":
            raise AccessDenied("That call is not published for practice.")
        if exam_id is None and not scenario.is_current:
            raise AccessDenied("That call has been replaced by a newer version.")
        if exam_id is not None:
            exam = session.exec(
                select(Exam)
                .where(Exam.id == exam_id)
                .where(Exam.agency_id == actor.agency_id)
                .where(Exam.user_id == actor.user_id)
            ).first()
            if exam is None:
                raise NotFound("There is no such exam of yours.")
            if exam.status != "in_progress":
                raise AttemptClosed("This exam is already finished.")
            if isinstance(exam.plan, list) and exam.plan and scenario_version_id not in exam.plan:
                raise AccessDenied("That call is not part of this exam.")
        agency = session.get(Agency, actor.agency_id)
        if exam_id is None:
            session.execute(
                update(Attempt)
                .where(Attempt.user_id == actor.user_id)
                .where(Attempt.agency_id == actor.agency_id)
                .where(Attempt.status == "in_progress")
                .where(col(Attempt.exam_id).is_(None))
                .values(status="abandoned")
            )
        attempt = Attempt(
            agency_id=actor.agency_id,
            user_id=actor.user_id,
            scenario_version_id=scenario.id,
            exam_id=exam_id,
            mode=mode,
            model=agency.dispatch_model,
            status="in_progress",
            idempotency_key=uuid.uuid4().hex,
            started_at=utcnow(),
            events=[],
        )
        session.add(attempt)
        session.flush()
        return attempt.id


def current_attempt(*, actor: Actor, exam_id: int | None = None) -> int | None:
    """The trainee's open attempt (practice, or of this exam), or None."""
    require(actor, "own_attempts")
    with read_session() as session:
        query = (
            select(Attempt.id)
            .where(Attempt.user_id == actor.user_id)
            .where(Attempt.agency_id == actor.agency_id)
            .where(Attempt.status == "in_progress")
        )
        if exam_id is None:
            query = query.where(col(Attempt.exam_id).is_(None))
        else:
            query = query.where(Attempt.exam_id == exam_id)
        return session.exec(query.order_by(col(Attempt.started_at).desc()).limit(1)).first()


# ------------------------------------------------------------------ the call on screen


def attempt_view(*, actor: Actor, attempt_id: int) -> dict:
    """What the call screen shows. Never any part of the expert key.

    Keys: attempt_id, status, mode, model, idempotency_key, channel, time, location,
    caller (role, relation), opening, initial_call_type, context, elapsed_seconds,
    time_limit_seconds (timed mode only), asked [{id, question, answer, t}],
    questions (the catalogue), call_types [{code, label}], dispositions [{code, label}],
    disqualifiers [{code, label, description}], priorities, marks.
    """
    require(actor, "own_attempts")
    with read_session() as session:
        attempt, version, agency = _load(session, actor, attempt_id)
    scenario = version.data or {}
    protocol = protocol_for(agency.protocol_overrides)
    call = _call(scenario)
    context = call.get("context") or {}
    asked_times: dict[str, float] = {}
    for event in attempt.events or []:
        if event.get("kind") == "ask":
            asked_times.setdefault(event["value"], event.get("t", 0))
    caller = call.get("caller") or {}
    view = {
        "attempt_id": attempt.id,
        "status": attempt.status,
        "mode": attempt.mode,
        "model": attempt.model,
        "model_label": protocol.models[attempt.model].label
        if attempt.model in protocol.models
        else attempt.model,
        "idempotency_key": attempt.idempotency_key,
        "channel": str(call.get("channel") or "911"),
        "time": call.get("time"),
        "location": call.get("location"),
        "caller": {"role": caller.get("role"), "relation": caller.get("relation")},
        "opening": " ".join(str(call.get("opening") or "").split()),
        "initial_call_type": {
            "code": call.get("initial_call_type"),
            "label": protocol.call_type_label(str(call.get("initial_call_type") or "")),
        },
        "context": {k: context[k] for k in CONTEXT_SHOWN if k in context},
        "elapsed_seconds": _elapsed(attempt),
        "time_limit_seconds": _time_limit(scenario) if attempt.mode == "timed" else None,
        "asked": [
            {
                "id": qid,
                "question": _question_text(scenario, qid, protocol),
                "answer": caller_answer(scenario, qid, protocol),
                "t": asked_times.get(qid, 0),
            }
            for qid in _asked(attempt.events)
        ],
        "questions": question_catalogue(scenario, protocol),
        "call_types": [{"code": c.code, "label": c.label} for c in protocol.call_types.values()],
        "dispositions": [
            {"code": d, "label": protocol.disposition_label(d)}
            for d in _available_routes(scenario, protocol, attempt.model)
        ],
        "disqualifiers": [
            {"code": d.code, "label": d.label, "description": d.description}
            for d in protocol.disqualifiers.values()
        ],
        "priorities": list(PRIORITIES),
        "marks": marks_from_events(attempt.events),
    }
    return view


def _append_event(
    *, actor: Actor, attempt_id: int, kind: str, value: Any, only_new_ask: bool = False
) -> float:
    """Append an event (locked read-modify-write); returns its time in seconds."""
    with write_session() as session:
        attempt = _load_for_update(session, actor, attempt_id)
        _require_open(attempt)
        t = _elapsed(attempt)
        events = list(attempt.events or [])
        if only_new_ask and value in _asked(events):
            return next(e["t"] for e in events if e.get("kind") == "ask" and e["value"] == value)
        events.append({"t": t, "kind": kind, "value": value})
        attempt.events = events
        session.add(attempt)
        return t


def ask_question(*, actor: Actor, attempt_id: int, question_id: str) -> dict:
    """Ask the caller a question; returns {id, question, answer, t}. Asking again is free."""
    require(actor, "own_attempts")
    with read_session() as session:
        _attempt, version, agency = _load(session, actor, attempt_id)
    scenario = version.data or {}
    protocol = protocol_for(agency.protocol_overrides)
    known = {q["id"] for q in question_catalogue(scenario, protocol)}
    if question_id not in known:
        raise NotFound(f"There is no question '{question_id}' for this call.")
    answer = caller_answer(scenario, question_id, protocol)
    t = _append_event(
        actor=actor, attempt_id=attempt_id, kind="ask", value=question_id, only_new_ask=True
    )
    return {
        "id": question_id,
        "question": _question_text(scenario, question_id, protocol),
        "answer": answer,
        "t": t,
    }


def record_event(*, actor: Actor, attempt_id: int, kind: str, value: Any) -> float:
    """Record a mark with its time: a disqualifier toggle ({"code", "on"}), the call
    type, the priority (1-4 or None) or the disposition. Returns the time in seconds."""
    require(actor, "own_attempts")
    if kind not in MARK_KINDS:
        raise UserError(f"Unknown mark '{kind}'.")
    if kind == "disqualifier":
        if not isinstance(value, Mapping) or value.get("code") not in DISQUALIFIERS:
            raise UserError("A disqualifier mark needs one of the four codes.")
        value = {"code": value["code"], "on": bool(value.get("on"))}
    elif kind == "priority":
        if value is not None and value not in PRIORITIES:
            raise UserError("Priority must be 1, 2, 3 or 4.")
    elif kind == "disposition":
        if value is not None and value not in DISPOSITIONS:
            raise UserError(f"Unknown disposition '{value}'.")
    elif kind == "call_type" and value is not None and not isinstance(value, str):
        raise UserError("The call type must be a code.")
    return _append_event(actor=actor, attempt_id=attempt_id, kind=kind, value=value)


def guided_hints(*, actor: Actor, attempt_id: int) -> list[str]:
    """Hints for a guided-mode call, judged on what the trainee has heard and marked."""
    require(actor, "own_attempts")
    with read_session() as session:
        attempt, version, agency = _load(session, actor, attempt_id)
    if attempt.mode != "guided" or attempt.status != "in_progress":
        return []
    scenario = version.data or {}
    protocol = protocol_for(agency.protocol_overrides)
    return feedback.guided_hints(
        scenario,
        key=_effective_key(scenario, attempt.model, protocol),
        asked=_asked(attempt.events),
        marks=marks_from_events(attempt.events),
        protocol=protocol,
    )


def clip_bytes(*, actor: Actor, attempt_id: int, item: str) -> bytes | None:
    """The WAV bytes of the opening or of an answer already asked (None without speech)."""
    require(actor, "own_attempts")
    with read_session() as session:
        attempt, version, agency = _load(session, actor, attempt_id)
    scenario = version.data or {}
    if item != "opening" and attempt.status == "in_progress" and item not in _asked(attempt.events):
        raise AccessDenied("Ask the question first.")
    return scenario_clip(scenario, item, protocol_for(agency.protocol_overrides))


def scenario_clip(data: Mapping, item: str, protocol: Protocol) -> bytes | None:
    """WAV bytes of the opening or of the caller's answer to ``item`` (None without speech)."""
    from app import audio

    available, _ = audio.speech_available()
    if not available:
        return None
    try:
        clips = audio.scenario_clips(data)
        if item in clips:
            request = clips[item]
            path = audio.clip_for_text(request.text, request.voice, request.ambience)
        else:
            text = caller_answer(data, item, protocol)
            path = audio.clip_for_text(
                text, audio.scenario_voice(data), audio.scenario_ambience(data)
            )
        return path.read_bytes()
    except (audio.AudioError, OSError, NotFound) as exc:
        log.warning("no audio for scenario %s item %s: %s", data.get("id"), item, exc)
        return None


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


def submit_attempt(*, actor: Actor, attempt_id: int, answer: Mapping, idempotency_key: str) -> dict:
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
        return dict(attempt.grade or {})
    _require_open(attempt)
    scenario = version.data or {}
    protocol = protocol_for(agency.protocol_overrides)
    clean = _clean_answer(answer, protocol)
    now = utcnow()
    seconds = max(0.0, round((now - attempt.started_at).total_seconds(), 1))
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
        result = session.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id)
            .where(Attempt.user_id == actor.user_id)
            .where(Attempt.agency_id == actor.agency_id)
            .where(Attempt.status == "in_progress")
            .values(**values)
        )
        stored = result.rowcount == 1
    if stored:
        return grade
    with read_session() as session:
        attempt, _, _ = _load(session, actor, attempt_id)
    if attempt.status == "submitted":
        return dict(attempt.grade or {})
    _require_open(attempt)
    raise AttemptClosed("This call could not be submitted; please try again.")


# ------------------------------------------------------------------ after submission


def _exam_finished(session: Session, exam_id: int) -> bool:
    exam = session.get(Exam, exam_id)
    return exam is not None and exam.status != "in_progress"


def review_attempt(*, actor: Actor, attempt_id: int) -> dict:
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
            .join(User, User.id == ReviewNote.author_id)
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
    call = _call(scenario)
    return {
        "attempt_id": attempt.id,
        "scenario_version_id": version.id,
        "title": version.title,
        "mode": attempt.mode,
        "model": attempt.model,
        "submitted_at": attempt.submitted_at,
        "seconds": attempt.seconds,
        "grade": grade,
        "rules": attempt.rules,
        "rules_note": grading_rules.rules_note(attempt.rules, attempt.regrade),
        "answer": answer,
        "answer_labels": {
            "call_type": protocol.call_type_label(answer.get("call_type") or ""),
            "disposition": protocol.disposition_label(answer.get("disposition") or ""),
            "disqualifiers": [
                protocol.disqualifiers[d].label
                for d in answer.get("disqualifiers") or []
                if d in protocol.disqualifiers
            ],
        },
        "feedback": teaching,
        "opening": " ".join(str(call.get("opening") or "").split()),
        "notes": [
            {"author": name, "text": note.text, "created_at": note.created_at}
            for note, name in notes
        ],
    }


def my_attempts(*, actor: Actor, limit: int = 200) -> list[dict]:
    """The trainee's submitted attempts, newest first, with the number of review notes."""
    require(actor, "own_attempts")
    with read_session() as session:
        rows = session.exec(
            select(
                Attempt.id,
                Attempt.submitted_at,
                Attempt.mode,
                Attempt.exam_id,
                Attempt.score,
                Attempt.passed,
                Attempt.unsafe,
                Attempt.seconds,
                ScenarioVersion.title,
            )
            .join(ScenarioVersion, ScenarioVersion.id == Attempt.scenario_version_id)
            .where(Attempt.user_id == actor.user_id)
            .where(Attempt.agency_id == actor.agency_id)
            .where(Attempt.status == "submitted")
            .where(_not_in_a_running_exam())
            .order_by(col(Attempt.submitted_at).desc())
            .limit(limit)
        ).all()
        ids = [r[0] for r in rows]
        counts = (
            dict(
                session.exec(
                    select(ReviewNote.attempt_id, func.count())
                    .where(col(ReviewNote.attempt_id).in_(ids))
                    .where(ReviewNote.agency_id == actor.agency_id)
                    .group_by(ReviewNote.attempt_id)
                ).all()
            )
            if ids
            else {}
        )
    return [
        {
            "id": r[0],
            "submitted_at": r[1],
            "mode": r[2],
            "exam": r[3] is not None,
            "score": r[4],
            "passed": r[5],
            "unsafe": r[6],
            "seconds": r[7],
            "title": r[8],
            "notes": counts.get(r[0], 0),
        }
        for r in rows
    ]


# ------------------------------------------------------------------ choosing the next call


def _not_in_a_running_exam():
    """Exam calls stay hidden from the trainee's own lists until the exam is finished."""
    finished = select(Exam.id).where(Exam.status == "completed")
    return or_(col(Attempt.exam_id).is_(None), col(Attempt.exam_id).in_(finished))


def _history(session: Session, actor: Actor) -> list[dict]:
    rows = session.exec(
        select(
            ScenarioVersion.call_type,
            ScenarioVersion.disqualifiers,
            Attempt.passed,
            Attempt.missed_disqualifiers,
            Attempt.over_disqualifiers,
            Attempt.score,
            Attempt.unsafe,
            Attempt.over_routed,
        )
        .join(ScenarioVersion, ScenarioVersion.id == Attempt.scenario_version_id)
        .where(Attempt.user_id == actor.user_id)
        .where(Attempt.agency_id == actor.agency_id)
        .where(Attempt.status == "submitted")
        .where(_not_in_a_running_exam())
        .order_by(col(Attempt.submitted_at).desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return [
        {
            "call_type": r[0],
            "disqualifiers": _split(r[1]),
            "passed": bool(r[2]),
            "missed": _split(r[3]),
            "over": _split(r[4]),
            "score": r[5],
            "unsafe": bool(r[6]),
            "over_routed": bool(r[7]),
        }
        for r in rows
    ]


def _split(text: str | None) -> list[str]:
    return [part for part in (text or "").split(",") if part]


# The agency's catalogue of published calls, kept per process: starting a call otherwise
# reads every current scenario (~70-180 ms at 10,000). A fingerprint of the current
# versions (how many, the newest id, which are published) is checked on every call, so
# a new, published, retired or replaced version is seen at once; what a fingerprint
# cannot see (a version's call type or difficulty edited in place) is picked up
# within CATALOGUE_SECONDS.
CATALOGUE_SECONDS = 60.0
_catalogues: dict[tuple[str, int], tuple[tuple, float, list[adaptive.Candidate]]] = {}


def _catalogue(session: Session, agency_id: int) -> list[adaptive.Candidate]:
    current = (
        select(
            func.count(),
            func.max(ScenarioVersion.id),
            func.sum(case((ScenarioVersion.status == "published", ScenarioVersion.id), else_=0)),
        )
        .where(ScenarioVersion.agency_id == agency_id)
        .where(ScenarioVersion.is_current == True)  # noqa: E712
    )
    fingerprint = tuple(session.exec(current).one())
    where = (str(session.get_bind().url), agency_id)  # one process may serve two databases
    kept = _catalogues.get(where)
    now = time.monotonic()
    if kept and kept[0] == fingerprint and now - kept[1] < CATALOGUE_SECONDS:
        return kept[2]
    versions = session.exec(
        select(
            ScenarioVersion.id,
            ScenarioVersion.scenario_key,
            ScenarioVersion.call_type,
            ScenarioVersion.disqualifiers,
            ScenarioVersion.difficulty,
        )
        .where(ScenarioVersion.agency_id == agency_id)
        .where(ScenarioVersion.is_current == True)  # noqa: E712
        .where(ScenarioVersion.status == "published")
    ).all()
    catalogue = [
        adaptive.Candidate(
            id=vid,
            key=key,
            call_type=call_type,
            disqualifiers=tuple(_split(disqualifiers)),
            difficulty=difficulty or 1,
        )
        for vid, key, call_type, disqualifiers, difficulty in versions
    ]
    _catalogues[where] = (fingerprint, now, catalogue)
    return catalogue


def _candidates(session: Session, actor: Actor) -> list[adaptive.Candidate]:
    catalogue = _catalogue(session, actor.agency_id)
    seen = session.exec(
        select(ScenarioVersion.scenario_key, func.max(Attempt.started_at), func.count())
        .join(ScenarioVersion, ScenarioVersion.id == Attempt.scenario_version_id)
        .where(Attempt.user_id == actor.user_id)
        .where(Attempt.agency_id == actor.agency_id)
        .where(col(Attempt.status).in_(("submitted", "abandoned", "in_progress")))
        .group_by(ScenarioVersion.scenario_key)
    ).all()
    seen_by_key = {key: (last, int(count or 0)) for key, last, count in seen}
    return [
        replace(c, last_seen=seen_by_key[c.key][0], times_seen=seen_by_key[c.key][1])
        if c.key in seen_by_key
        else c
        for c in catalogue
    ]


def _generate_calls(actor: Actor, profile: adaptive.Profile, count: int = 3) -> list[int]:
    """New generated calls for the agency, leaning towards the trainee's weak call types.

    Stored through the bank with ``source="generated"``. Returns the new scenario
    version ids; [] when the generator is unavailable or fails.
    """
    try:
        from app.core.generator import generate
    except ImportError:
        return []
    with read_session() as session:
        agency = session.get(Agency, actor.agency_id)
    protocol = protocol_for(agency.protocol_overrides if agency else None)
    seed = random.SystemRandom().randrange(1, 2**31)
    weak = adaptive.weakest(profile)["call_types"][:3]
    mixes: list[dict | None] = [dict.fromkeys(weak, 1.0), None] if weak else [None]
    produced = None
    for mix in mixes:
        try:
            produced = generate(count=count, seed=seed, mix=mix, protocol=protocol)
            break
        except TypeError:  # an older generator without these arguments
            try:
                produced = generate(count=count, seed=seed)
                break
            except Exception as exc:  # someone else's code: practice goes on
                log.warning("call generator failed: %s", exc)
        except Exception as exc:  # e.g. no template for a weak call type
            log.warning("call generator failed (mix %s): %s", mix, exc)
    if not produced:
        return []
    from app.services.bank import store_scenario

    ids = []
    with write_session() as session:
        for item in produced:
            data, text = _generated_pair(item)
            if data is None:
                continue
            row, _ = store_scenario(
                session=session,
                agency_id=actor.agency_id,
                data=data,
                text=text,
                source="generated",
            )
            if row.status == "published" and row.is_current:
                ids.append(row.id)
    return ids


def _generated_pair(item: Any) -> tuple[dict | None, str]:
    """(data, yaml text) from whatever the generator yields for one call."""
    import yaml

    if isinstance(item, tuple) and len(item) == 2:
        first, second = item
        if isinstance(first, dict):
            return first, str(second)
        if isinstance(second, dict):
            return second, str(first)
    data = getattr(item, "data", None)
    if isinstance(data, dict):
        for attr in ("yaml_text", "text", "yaml"):
            if isinstance(getattr(item, attr, None), str):
                return data, getattr(item, attr)
        return data, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if isinstance(item, dict):
        return item, yaml.safe_dump(item, sort_keys=False, allow_unicode=True)
    return None, ""


def next_scenario(*, actor: Actor, mode: str, rng: random.Random | None = None) -> int:
    """The scenario version the trainee should take next (adaptive).

    Unseen calls first, weighted towards the call types and disqualifiers the trainee
    gets wrong; when every call has been seen, new generated calls; failing that, the
    least recently seen.
    """
    require(actor, "practice")
    if mode not in PRACTICE_MODES:
        raise UserError(f"Practice mode must be one of: {', '.join(PRACTICE_MODES)}.")
    with read_session() as session:
        candidates = _candidates(session, actor)
        profile = adaptive.build_profile(_history(session, actor))
    if not adaptive.unseen(candidates):
        fresh = set(_generate_calls(actor, profile))
        if fresh:
            with read_session() as session:
                candidates = [c for c in _candidates(session, actor) if c.id in fresh] or candidates
    choice = adaptive.choose(candidates, profile, rng)
    if choice is None:
        raise NotFound("There are no published calls in your agency's bank yet.")
    return choice.id


# ------------------------------------------------------------------ progress


def my_progress(*, actor: Actor) -> dict:
    """The "My training" summary: lessons, attempts, scores, disqualifier accuracy, next step."""
    require(actor, "practice")
    from app.services import lessons

    modules = lessons.list_modules(actor=actor)
    with read_session() as session:
        history = _history(session, actor)
        agency = session.get(Agency, actor.agency_id)
    protocol = protocol_for(agency.protocol_overrides if agency else None)
    profile = adaptive.build_profile(history)
    scores = [h["score"] for h in history if h["score"] is not None]
    accuracy = {}
    for code in DISQUALIFIERS:
        tries = profile.disqualifier_tries.get(code, 0)
        missed = profile.disqualifier_missed.get(code, 0)
        accuracy[code] = {
            "label": protocol.disqualifiers[code].label,
            "tries": tries,
            "caught": tries - missed,
            "rate": (tries - missed) / tries if tries else None,
        }
    passed_calls = sum(1 for h in history if h["passed"])
    read = sum(1 for m in modules if m["read"])
    checks = sum(1 for m in modules if m["check_passed"])
    module_share = checks / len(modules) if modules else 0.0
    practice_share = min(1.0, passed_calls / CERT_PRACTICE_TARGET)
    progress = {
        "modules_total": len(modules),
        "modules_read": read,
        "modules_passed": checks,
        "modules": modules,
        "attempts": len(history),
        "passed_calls": passed_calls,
        "average_score": round(sum(scores) / len(scores), 1) if scores else None,
        "unsafe": sum(1 for h in history if h["unsafe"]),
        "over_routed": sum(1 for h in history if h["over_routed"]),
        "disqualifier_accuracy": accuracy,
        "focus": adaptive.weakest(profile),
        "readiness": round((module_share + practice_share) / 2, 3),
        "practice_target": CERT_PRACTICE_TARGET,
    }
    progress["next_step"] = _next_step(progress)
    return progress


def _next_step(progress: dict) -> dict:
    for module in progress["modules"]:
        if not module["read"]:
            return {
                "kind": "lesson",
                "module": module["slug"],
                "text": f"Read the lesson “{module['title']}”.",
            }
        if not module["check_passed"]:
            return {
                "kind": "check",
                "module": module["slug"],
                "text": f"Pass the knowledge check of “{module['title']}”.",
            }
    weak = [
        code
        for code, acc in progress["disqualifier_accuracy"].items()
        if acc["rate"] is not None and acc["tries"] >= 3 and acc["rate"] < 0.8
    ]
    if weak:
        return {
            "kind": "practice",
            "module": None,
            "text": "Practise more calls: you often miss the disqualifier "
            + ", ".join(f"“{progress['disqualifier_accuracy'][w]['label'].lower()}”" for w in weak)
            + ". The next calls lean towards it.",
        }
    if progress["passed_calls"] < progress["practice_target"]:
        left = progress["practice_target"] - progress["passed_calls"]
        return {
            "kind": "practice",
            "module": None,
            "text": f"Pass {left} more practice call{'s' if left != 1 else ''} "
            "before the certification exam.",
        }
    return {"kind": "exam", "module": None, "text": "You are ready: take the certification exam."}
