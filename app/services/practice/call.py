"""Taking a call: start or resume it, what the screen shows, asking, marking, hints, audio.

Part of :mod:`app.services.practice`; import from the package. The view is built by
:func:`app.core.call_view.call_view`, which holds nothing of the expert key.

This module keeps starting and resuming, the call on screen, the heartbeat, asking,
calling back, marking, hints and the transcript setting. It re-exports the rest, so
``from app.services.practice.call import X`` and ``call.X`` work for every name it had:

- :mod:`.caller`: what the caller says (language, the dead line and calling back,
  answers, the transcript);
- :mod:`.clips`: the audio clips and the voices that speak them.

``utcnow`` and ``MAX_TYPED_PER_CALL`` are looked up here, where the code that reads
them lives, so a test can replace ``call.utcnow`` or ``call.MAX_TYPED_PER_CALL``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, NotRequired

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.core import feedback
from app.core.call_view import PRIORITIES, call_of, call_view, heard, question_catalogue
from app.core.protocol import DISPOSITIONS, DISQUALIFIERS
from app.core.question_match import check_text, match_question, scenario_questions
from app.core.scenario.kinds import call_kind
from app.errors import AccessDenied, NotFound, UserError
from app.services.access import Actor, require
from app.services.exam_lock import (
    exam_params,
    open_exam_column,
    refuse_during_exam,
    refuse_unless_exam,
)
from app.services.practice import clock
from app.services.practice.call_view import (
    AskedQuestion,
    CallView,
    as_call_view,
    heard_as,
)
from app.services.practice.caller import (
    CALLBACK_CLIP,
    CALLBACK_EVENT,
    CALLBACK_QUESTION,
    LANGUAGE_NAMES,
    ON_SCENE_CHANNELS,
    UNCLEAR_IN,
    UNCLEAR_REPLY,
    CallbackSaid,
    CallKindView,
    LineDead,
    Said,
    TranscriptEntry,
    _callback_said,
    _refuse_dead_line,
    _said,
    _unclear,
    call_kind_view,
    called_back,
    language_of,
    location_known,
    transcript,
)
from app.services.practice.clips import caller_voice, clip_bytes, interpreter_voice, scenario_clip
from app.services.practice.common import (
    MARK_KINDS,
    PRACTICE_MODES,
    AttemptClosed,
    Marks,
    _asked,
    _effective_key,
    _load,
    _load_for_update,
    _load_with,
    _require_open,
    _time_limit,
    marks_from_events,
)
from app.services.scope import agency_of, protocol_for
from app.store.db import read_session, write_session
from app.store.models import Agency, Attempt, Exam, ScenarioVersion, User, row_id, utcnow

__all__ = [
    "CALLBACK_CLIP",
    "CALLBACK_EVENT",
    "CALLBACK_QUESTION",
    "LANGUAGE_NAMES",
    "MAX_TYPED_PER_CALL",
    "ON_SCENE_CHANNELS",
    "TYPED_MODES",
    "UNCLEAR_IN",
    "UNCLEAR_REPLY",
    "LineDead",
    "_callback_said",
    "_refuse_dead_line",
    "_said",
    "_unclear",
    "ask_question",
    "ask_typed",
    "attempt_view",
    "call_back",
    "call_kind_view",
    "called_back",
    "caller_voice",
    "clip_bytes",
    "current_attempt",
    "guided_hints",
    "interpreter_voice",
    "keep_alive",
    "language_of",
    "location_known",
    "record_event",
    "scenario_clip",
    "set_transcript_setting",
    "start_attempt",
    "transcript",
    "transcript_setting",
]


# ------------------------------------------------------------------ starting and resuming


def _scenario_to_start(
    session: Session, actor: Actor, version_id: int, exam_id: int | None
) -> tuple[ScenarioVersion, Agency]:
    """The scenario version of the actor's agency and the agency, in one read that also
    refuses a practice call (not even a started one) while an exam is open."""
    query: Any = select(ScenarioVersion, Agency, open_exam_column(actor))
    row = session.exec(
        query.join(Agency, col(Agency.id) == ScenarioVersion.agency_id)
        .where(ScenarioVersion.id == int(version_id))
        .where(ScenarioVersion.agency_id == actor.agency_id),
        params=exam_params(actor),
    ).first()
    if row is None:
        if exam_id is None:
            refuse_during_exam(session, actor)
        agency_of(session, actor.agency_id)  # "Your agency no longer exists."
        raise NotFound("There is no such scenario in your agency's bank.")
    scenario, agency, open_exam = row
    if exam_id is None:
        refuse_unless_exam(open_exam, None)
    return scenario, agency


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
        scenario, agency = _scenario_to_start(session, actor, scenario_version_id, exam_id)
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
        if exam_id is None:
            session.execute(
                update(Attempt)
                .where(col(Attempt.user_id) == actor.user_id)
                .where(col(Attempt.agency_id) == actor.agency_id)
                .where(col(Attempt.status) == "in_progress")
                .where(col(Attempt.exam_id).is_(None))
                .values(status="abandoned")
            )
        attempt = Attempt(
            agency_id=actor.agency_id,
            user_id=actor.user_id,
            scenario_version_id=row_id(scenario),
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
        return row_id(attempt)


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


class AttemptView(CallView):
    """What the call screen shows: the call (:class:`CallView`) and the attempt's state."""

    attempt_id: int
    status: str  # in_progress, submitted or abandoned
    mode: str
    idempotency_key: str
    elapsed_seconds: float  # call time: pauses left out
    time_limit_seconds: int | None  # timed mode only
    typed: bool  # the trainee types questions in their own words
    asked: list[AskedQuestion]  # each question once, in the order first asked
    transcript: list[TranscriptEntry]
    marks: Marks
    always_transcript: bool  # the trainee's setting
    call_kind: CallKindView
    ali: str | None  # what the phone system shows; None: nothing


def _elapsed(attempt: Attempt, events: list | None = None) -> float:
    """Seconds of call time so far (pauses left out); the stored time once submitted.
    ``events``: the attempt's events as just settled (default: as stored)."""
    if attempt.status == "submitted" and attempt.seconds is not None:
        return float(attempt.seconds)
    end = attempt.submitted_at or utcnow()
    stored = attempt.events if events is None else events
    return clock.call_seconds(stored, clock.wall_seconds(attempt.started_at, end))


# Modes in which the trainee types each question in their own words (guided keeps cards).
TYPED_MODES = ("standard", "timed", "exam")
MAX_TYPED_PER_CALL = 200  # typed sentences one call keeps; more is not a screening


def attempt_view(*, actor: Actor, attempt_id: int, alive: bool = False) -> AttemptView:
    """What the call screen shows. Never any part of the expert key.

    Keys: attempt_id, status, mode, model, idempotency_key, channel, time, ali,
    location (None until ``address`` is asked, except on calls from the scene),
    caller (role, relation), opening, initial_call_type, context, elapsed_seconds (call
    time: pauses left out), time_limit_seconds (timed mode only), typed (the trainee
    types questions), asked [{id, question, answer, t}] (each question once),
    transcript (see :func:`transcript`), questions (the catalogue), call_types
    [{code, label}], dispositions [{code, label}], disqualifiers [{code, label,
    description}], priorities, marks, always_transcript (the trainee's setting).
    The call itself comes from :func:`app.core.call_view.call_view`.

    ``alive``: the open call screen asks, so the server has heard from it: a silence
    before becomes a pause, as :func:`keep_alive` does, in the same read (one round trip
    on most reruns, where there is nothing to write).
    """
    require(actor, "own_attempts")
    with read_session() as session:
        attempt, version, agency, always = _load_with(
            session, actor, attempt_id, "always_show_transcripts"
        )
    events = list(attempt.events or [])
    if alive and attempt.status == "in_progress":
        settled, changed = clock.settle(events, clock.wall_seconds(attempt.started_at, utcnow()))
        if changed:  # a pause to record or the heartbeat to move on: under the lock
            keep_alive(actor=actor, attempt_id=attempt_id)
            events = settled
    scenario = version.data or {}
    protocol = protocol_for(agency.protocol_overrides)
    asked_times: dict[str, float] = {}
    for event in events:
        if isinstance(event, Mapping) and event.get("kind") == "ask":
            asked_times.setdefault(event["value"], event.get("t", 0))
    asked = _asked(events)
    call = call_of(scenario)
    view: AttemptView = {
        "attempt_id": row_id(attempt),
        "status": attempt.status,
        "mode": attempt.mode,
        "idempotency_key": attempt.idempotency_key,
        **as_call_view(call_view(scenario, protocol, attempt.model)),
        "elapsed_seconds": _elapsed(attempt, events),
        "time_limit_seconds": _time_limit(scenario) if attempt.mode == "timed" else None,
        "typed": attempt.mode in TYPED_MODES,
        "asked": [
            {**heard_as(heard(scenario, qid, protocol)), "t": asked_times.get(qid, 0)}
            for qid in asked
        ],
        "transcript": transcript(scenario, protocol, events),
        "marks": marks_from_events(events),
        "always_transcript": bool(always),
        "call_kind": call_kind_view(scenario, events),
        "ali": " ".join(str(call.get("ali") or "").split()) or None,
    }
    if not location_known(scenario, asked):
        view["location"] = None
    return view


def keep_alive(*, actor: Actor, attempt_id: int) -> float | None:
    """The open call screen is still there: record a pause if it had gone quiet, move the
    heartbeat on. Returns the call time in seconds (None when the call is not open)."""
    require(actor, "own_attempts")
    # Most reruns find nothing to write (the last sign of life is seconds old): look first
    # without the write lock, so busy call screens do not queue behind each other; only
    # when there is something to write, settle again on the locked row and write it.
    for locked in (False, True):
        with write_session() if locked else read_session() as session:
            attempt = _load_for_update(session, actor, attempt_id, lock=locked)
            if attempt.status != "in_progress":
                return None
            now_w = clock.wall_seconds(attempt.started_at, utcnow())
            events, changed = clock.settle(attempt.events, now_w)
            if changed and locked:
                attempt.events = events
                session.add(attempt)
            if locked or not changed:
                return clock.call_seconds(events, now_w)
    raise AssertionError("unreachable: the locked pass always returns")


def _append_event(
    *,
    actor: Actor,
    attempt_id: int,
    kind: str,
    value: Any,
    only_new_ask: bool = False,
    only_once: bool = False,
    extra: Mapping | None = None,
) -> float:
    """Append an event (locked read-modify-write); returns its call time in seconds.

    A silence before it that was long enough is recorded as a pause first.
    """
    with write_session() as session:
        attempt = _load_for_update(session, actor, attempt_id)
        _require_open(attempt)
        now_w = clock.wall_seconds(attempt.started_at, utcnow())
        events, paused = clock.settle(attempt.events, now_w, mark=False)
        if only_new_ask and value in _asked(events):
            if paused:  # nothing new to record but the pause
                attempt.events = events
                session.add(attempt)
            return next(e["t"] for e in events if e.get("kind") == "ask" and e["value"] == value)
        if only_once and any(isinstance(e, Mapping) and e.get("kind") == kind for e in events):
            if paused:
                attempt.events = events
                session.add(attempt)
            return next(e["t"] for e in events if e.get("kind") == kind)
        if extra and sum(1 for e in events if isinstance(e, Mapping) and "typed" in e) >= (
            MAX_TYPED_PER_CALL
        ):
            raise UserError(
                f"This call already holds {MAX_TYPED_PER_CALL} typed questions; "
                "make your decision and submit it."
            )
        t = clock.call_seconds(events, now_w)
        events.append({"t": t, "w": now_w, "kind": kind, "value": value, **(extra or {})})
        attempt.events = events
        session.add(attempt)
        return t


class AskReply(Said):
    """The caller's answer to a question card."""

    id: str
    question: str  # the protocol's (or the script's) words
    t: float  # call seconds when first asked


def ask_question(*, actor: Actor, attempt_id: int, question_id: str) -> AskReply:
    """Ask the caller a question (a card); returns {id, question, answer, interpreted,
    clip, clips, t}. Asking again is free and records nothing."""
    require(actor, "own_attempts")
    with read_session() as session:
        attempt, version, agency = _load(session, actor, attempt_id)
    scenario = version.data or {}
    protocol = protocol_for(agency.protocol_overrides)
    known = {q["id"] for q in question_catalogue(scenario, protocol)}
    if question_id not in known:
        raise NotFound(f"There is no question '{question_id}' for this call.")
    _refuse_dead_line(scenario, attempt.events)
    interpreter = question_id == "interpreter" or "interpreter" in _asked(attempt.events)
    said = heard_as(heard(scenario, question_id, protocol))
    t = _append_event(
        actor=actor, attempt_id=attempt_id, kind="ask", value=question_id, only_new_ask=True
    )
    return {
        "id": said["id"],
        "question": said["question"],
        **_said(scenario, question_id, protocol, interpreter),
        "t": t,
    }


class TypedReply(Said):
    """The caller's answer to a sentence the trainee typed."""

    id: str | None  # the question it matched; None: not understood
    question: str  # the words typed
    score: float  # 0..1: how well the best question fits
    t: float  # call seconds
    typed: NotRequired[bool]  # only when not understood (then True)


def ask_typed(*, actor: Actor, attempt_id: int, text: str) -> TypedReply:
    """Ask the caller a question in the trainee's own words.

    The matcher (:func:`app.core.question_match.match_question`) names the question
    it asks among the protocol's and the scenario's own; the caller answers it as if
    asked and it counts as asked. A sentence that asks nothing the caller can answer
    gets ``"Sorry, what do you mean?"`` and counts as nothing. Both are recorded with
    the words typed and what they matched. Returns {id (None: not understood),
    question (the words typed), answer, interpreted, clip, clips, score, t}.
    ``clips`` are the audio items to play in order: once the interpreter is on the line,
    the caller's own words first, then the interpreter's English.

    Empty text, or text over the matcher's limit, raises
    :class:`~app.core.question_match.QuestionTextError` and records nothing.
    """
    require(actor, "own_attempts")
    check_text(text)
    words = " ".join(text.split())
    with read_session() as session:
        attempt, version, agency = _load(session, actor, attempt_id)
    _require_open(attempt)
    scenario = version.data or {}
    _refuse_dead_line(scenario, attempt.events)
    protocol = protocol_for(agency.protocol_overrides)
    found = match_question(words, protocol, scenario_questions(scenario))
    known = {q["id"] for q in question_catalogue(scenario, protocol)}
    extra = {"typed": words, "score": found.score}
    asked = _asked(attempt.events)
    if found.question is None or found.question not in known:
        t = _append_event(
            actor=actor, attempt_id=attempt_id, kind="unmatched", value=None, extra=extra
        )
        # Said as the transcript says it: relayed too when the interpreter is on the line.
        on_line = [{"kind": "ask", "value": "interpreter"}] if "interpreter" in asked else []
        said = transcript(scenario, protocol, [*on_line, {"kind": "unmatched", "typed": words}])[-1]
        return TypedReply(
            id=None,
            question=said["question"],
            typed=said["typed"],
            t=t,
            answer=said["answer"],
            interpreted=said["interpreted"],
            clip=said["clip"],
            clips=said["clips"],
            score=found.score,
        )
    qid = found.question
    interpreter = qid == "interpreter" or "interpreter" in asked
    t = _append_event(actor=actor, attempt_id=attempt_id, kind="ask", value=qid, extra=extra)
    return {
        "id": qid,
        "question": words,
        **_said(scenario, qid, protocol, interpreter),
        "score": found.score,
        "t": t,
    }


class CallbackReply(CallbackSaid):
    t: float  # call seconds of the call back


def call_back(*, actor: Actor, attempt_id: int) -> CallbackReply:
    """Call back a dropped or hung-up call: returns ``{who, answer, interpreted, clip, clips, t}``,
    what is said when the phone is picked up. From then on the caller answers questions.

    Calling back again is free and records nothing. A call whose line never went dead
    has nobody to call back (:class:`~app.errors.UserError`).
    """
    require(actor, "own_attempts")
    with read_session() as session:
        attempt, version, _agency = _load(session, actor, attempt_id)
    _require_open(attempt)
    scenario = version.data or {}
    if not call_kind(scenario).needs_callback:
        raise UserError("This caller is still on the line; there is no need to call back.")
    interpreter = "interpreter" in _asked(attempt.events)
    t = _append_event(
        actor=actor,
        attempt_id=attempt_id,
        kind=CALLBACK_EVENT,
        value=None,
        only_once=True,
    )
    return {**_callback_said(scenario, interpreter), "t": t}


def transcript_setting(*, actor: Actor) -> bool:
    """Whether the trainee wants the transcript shown on every call ("always show")."""
    require(actor, "own_attempts")
    with read_session() as session:
        user = session.get(User, actor.user_id)
        return bool(user is not None and user.always_show_transcripts)


def set_transcript_setting(*, actor: Actor, always: bool) -> None:
    """Keep the trainee's "always show transcripts" setting."""
    require(actor, "own_attempts")
    with write_session() as session:
        user = session.exec(
            select(User)
            .where(User.id == actor.user_id)
            .where(User.agency_id == actor.agency_id)
            .with_for_update()
        ).first()
        if user is None:
            raise NotFound("There is no such account.")
        user.always_show_transcripts = bool(always)
        session.add(user)


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
