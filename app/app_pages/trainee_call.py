"""Take a call: pick a practice mode, take the call, see the feedback, go again."""

import streamlit as st

from app.errors import UserError
from app.services import practice
from app.services.exam_lock import ExamInProgress
from app.ui.call_panel import attempt_mode, is_finished, render_call_screen
from app.ui.exam_lock import show_exam_lock, stop_during_exam
from app.ui.grade_card import plain
from app.ui.session import page_actor

actor = page_actor("practice")
TITLE = "Take a call"
ATTEMPT = "practice.attempt_id"
MODE = "practice.mode"
ERROR = "practice.error"


def _start(mode: str | None = None) -> None:
    # From the mode picker, read the choice now: a click may arrive before the rerun that
    # would have drawn the button with the new choice.
    mode = mode or st.session_state.get("practice.mode_pick") or "standard"
    try:
        scenario_id = practice.next_scenario(actor=actor, mode=mode)
        st.session_state[ATTEMPT] = practice.start_attempt(
            actor=actor, scenario_version_id=scenario_id, mode=mode
        )
        st.session_state[MODE] = mode
    except UserError as exc:
        st.session_state[ERROR] = str(exc)


def _leave() -> None:
    st.session_state.pop(ATTEMPT, None)


if ATTEMPT not in st.session_state:
    # A refresh or a dropped connection: pick up the call that is still open.
    resumed = practice.current_attempt(actor=actor)
    if resumed is not None:
        st.session_state[ATTEMPT] = resumed

attempt_id = st.session_state.get(ATTEMPT)
error = st.session_state.pop(ERROR, None)

if attempt_id is None:
    stop_during_exam(actor, TITLE)  # practice waits while an exam is open
    st.title(TITLE)
    st.write(
        "A caller is on the line. Listen, ask the screening questions you need, mark any "
        "disqualifier you hear, choose the call type, priority and where to send the call, "
        "then submit. You get the expert's answer and what to work on straight after."
    )
    mode = st.radio(
        "How do you want to practise?",
        options=list(practice.PRACTICE_MODES),
        format_func=lambda m: practice.MODE_LABELS[m],
        captions=[
            "Hints point out what you may have missed while the call is on.",
            "The call as it comes; feedback at the end.",
            "A countdown against the call's time target.",
        ],
        key="practice.mode_pick",
    )
    st.button(
        "Start call",
        type="primary",
        icon=":material/call:",
        on_click=_start,
    )
    if error:
        st.info(plain(error))
    st.caption(
        "Calls are chosen for you: new ones first, leaning towards the kinds of call "
        "you find hardest."
    )
else:
    # The call's own read refuses while an exam is open: no separate check on every rerun.
    try:
        render_call_screen(actor, attempt_id, mode=st.session_state.get(MODE, "standard"))
    except ExamInProgress:
        show_exam_lock(TITLE)
    mode = attempt_mode(attempt_id) or st.session_state.get(MODE, "standard")
    if mode not in practice.PRACTICE_MODES:
        mode = "standard"
    if is_finished(attempt_id):
        st.divider()
        cols = st.columns([1, 1, 4])
        cols[0].button(
            "Next call",
            type="primary",
            icon=":material/call:",
            on_click=_start,
            args=(mode,),
            key="practice.next",
        )
        cols[1].button("Change mode", on_click=_leave, key="practice.leave")
        if error:
            st.info(plain(error))
