"""The call screen's state and callbacks: what happens when the trainee asks, marks or submits.

Streamlit runs these callbacks before the script; they call the practice services (which
check role and agency) and leave only ids, counts and messages in ``st.session_state``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from app.core.protocol import DISQUALIFIERS
from app.core.question_match import QuestionTextError
from app.errors import UserError
from app.services import practice
from app.services.access import Actor
from app.services.practice import call as calls

# Where the exam page (and anyone else) learns that a call was just submitted.
RECORDED = "call.recorded"


def state_key(attempt_id: int, name: str) -> str:
    """The session-state key of one thing of one call."""
    return f"call{attempt_id}.{name}"


def init_key(attempt_id: int, name: str, value) -> str:
    """The key of ``name``, set to ``value`` the first time."""
    k = state_key(attempt_id, name)
    if k not in st.session_state:
        st.session_state[k] = value
    return k


def fail(attempt_id: int, exc: UserError) -> None:
    st.session_state[state_key(attempt_id, "error")] = str(exc)


def play_items(value: object) -> list[str]:
    """The audio items to play, in order, from what ``heard`` kept (a list; one item as a
    string, as sessions from before the list kept it; the opening when nothing is kept)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value if item]
    return ["opening"]


def heard(attempt_id: int, said: Mapping[str, Any]) -> None:
    """The caller answers: play it (the caller, then the interpreter once one is on the
    line: ``said["clips"]``, in order), and bring the focus back to the question box."""
    clips = [str(c) for c in said.get("clips") or [] if c] or (
        [said["clip"]] if said.get("clip") else []
    )
    if clips:
        st.session_state[state_key(attempt_id, "play")] = clips
        st.session_state[state_key(attempt_id, "play-label")] = said.get("question") or ""
        st.session_state[state_key(attempt_id, "autoplay")] = True
    st.session_state[state_key(attempt_id, "answers")] = (
        st.session_state.get(state_key(attempt_id, "answers"), 0) + 1
    )


def on_ask(actor: Actor, attempt_id: int, question_id: str) -> None:
    try:
        said = practice.ask_question(actor=actor, attempt_id=attempt_id, question_id=question_id)
    except UserError as exc:
        fail(attempt_id, exc)
        return
    heard(attempt_id, said)


def on_typed(actor: Actor, attempt_id: int) -> None:
    text = st.session_state.get(state_key(attempt_id, "typed")) or ""  # empty: refused as empty
    try:
        said = calls.ask_typed(actor=actor, attempt_id=attempt_id, text=text)
    except QuestionTextError as exc:
        message = str(exc)
        st.session_state[state_key(attempt_id, "ask-error")] = (
            f"Nothing was asked: {message[:1].lower()}{message[1:]}."
        )
        st.session_state[state_key(attempt_id, "answers")] = (
            st.session_state.get(state_key(attempt_id, "answers"), 0) + 1
        )
        return
    except UserError as exc:
        st.session_state[state_key(attempt_id, "ask-error")] = str(exc)
        return
    heard(attempt_id, said)


def on_always(actor: Actor, attempt_id: int) -> None:
    always = bool(st.session_state.get(state_key(attempt_id, "always")))
    try:
        calls.set_transcript_setting(actor=actor, always=always)
    except UserError as exc:
        fail(attempt_id, exc)
        return
    if always:
        st.session_state[state_key(attempt_id, "transcript")] = True


def on_disqualifier(actor: Actor, attempt_id: int, code: str) -> None:
    on = bool(st.session_state.get(state_key(attempt_id, f"dq.{code}")))
    try:
        practice.record_event(
            actor=actor, attempt_id=attempt_id, kind="disqualifier", value={"code": code, "on": on}
        )
    except UserError as exc:
        fail(attempt_id, exc)


def on_mark(actor: Actor, attempt_id: int, kind: str) -> None:
    value = st.session_state.get(state_key(attempt_id, kind))
    try:
        practice.record_event(actor=actor, attempt_id=attempt_id, kind=kind, value=value)
    except UserError as exc:
        fail(attempt_id, exc)


def on_submit(actor: Actor, attempt_id: int, idempotency_key: str) -> None:
    if st.session_state.get(state_key(attempt_id, "done")):
        return  # a double click: the first one already submitted
    answer = {
        "disqualifiers": [
            code
            for code in DISQUALIFIERS
            if st.session_state.get(state_key(attempt_id, f"dq.{code}"))
        ],
        "call_type": st.session_state.get(state_key(attempt_id, "call_type")),
        "priority": st.session_state.get(state_key(attempt_id, "priority")),
        "disposition": st.session_state.get(state_key(attempt_id, "disposition")),
    }
    try:
        grade = practice.submit_attempt(
            actor=actor, attempt_id=attempt_id, answer=answer, idempotency_key=idempotency_key
        )
    except UserError as exc:
        fail(attempt_id, exc)
        return
    st.session_state[state_key(attempt_id, "done")] = True
    st.session_state[state_key(attempt_id, "graded")] = grade
    st.session_state[RECORDED] = attempt_id
