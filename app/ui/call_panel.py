"""The call screen: a trainee takes one call, modelled on a CAD call-entry screen.

Entry point: :func:`render_call_screen` (used by the practice page and the exam page).
Only ids live in ``st.session_state``; everything shown comes from
``app.services.practice.attempt_view``, which never carries the expert key.

How the screen works:

- In Standard, Timed and exam calls the trainee types each question in their own
  words (one box, Enter asks); Guided calls keep the question cards.
- The decision panel is a column of its own that stays in view while the call
  scrolls (a static style sheet, :data:`CALL_CSS`); on a phone it comes straight
  after the question box, with Submit fixed at the bottom of the screen.
- Keyboard keys a CAD user expects (:data:`HOTKEYS`) come from a static script,
  :data:`HOTKEYS_JS`; focus goes back to the question box after each answer.
- The call time counts only while this screen is open: a small fragment tells the
  server every few seconds that it is still there (``keep_alive``), each full run says
  so while it reads the call (``attempt_view(alive=True)``), and the server turns any
  silence into a pause (:mod:`app.services.practice.clock`).

No text from a scenario, a trainer or a trainee ever goes into the style sheet or the
scripts: they hold numbers (the attempt id, counts, seconds) and fixed words only.
Each interaction costs one small read (the view) plus, for an action, one small write
(the event). The speech check is cached; the players get signed links to the caller's
clips (``app/clip_route.py``), kept in the session while they play. The header,
transcript and question cards are the shared call widget, :mod:`app.ui.call_context`.

The screen is split by section: :mod:`app.ui.call_actions` (state keys and callbacks),
:mod:`app.ui.call_assets` (style sheet, scripts, keys), :mod:`app.ui.call_clock` (clock and
heartbeat), :mod:`app.ui.call_decision` (the decision panel). This module puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from app.clip_route import clip_link
from app.errors import UserError
from app.services import practice
from app.services.access import Actor
from app.services.exam_lock import ExamInProgress
from app.ui.call_actions import (
    RECORDED,
    init_key,
    on_always,
    on_ask,
    on_typed,
    play_items,
    state_key,
)
from app.ui.call_assets import (
    CALL_CSS,
    DISQUALIFIER_KEYS,
    HOTKEYS,
    HOTKEYS_JS,
    hotkey_legend,
    now_playing,
    render_focus,
    render_players,
    render_static,
)
from app.ui.call_clock import clock_text, heartbeat, render_clock, seen_this_run
from app.ui.call_context import render_call_header, render_question_cards, render_transcript
from app.ui.call_context import speech_status as _speech_status
from app.ui.call_decision import render_decision, render_hints
from app.ui.call_kinds import is_text_call, line_is_dead, render_call_kind, render_text_conversation
from app.ui.grade_card import plain, render_grade_card
from app.ui.session import LOGIN_KEY, page_url

# Callers import these from here; the pieces live in the modules above.
__all__ = [
    "CALL_CSS",
    "DISQUALIFIER_KEYS",
    "HOTKEYS",
    "HOTKEYS_JS",
    "RECORDED",
    "attempt_mode",
    "clock_text",
    "hotkey_legend",
    "is_finished",
    "render_call_screen",
]


# What the players of the answer playing now are given: (attempt id, {item: source}). One
# per session, so a trainee's earlier calls keep nothing; the clips change only with a new
# answer.
PLAYING = "call.playing-clips"


def _source(actor: Actor, attempt_id: int, item: str) -> str | bytes | None:
    """A signed link to the clip (``app/clip_route.py``), or its bytes when the page has no
    browser address (page tests); None when there is nothing to hear. The clip is fetched
    here anyway: it may still have to be spoken, and a clip that cannot be heard gets no
    player."""
    data = practice.clip_bytes(actor=actor, attempt_id=attempt_id, item=item)
    address = page_url()
    if data is None or address is None:
        return data
    login_id = int(st.session_state.get(LOGIN_KEY) or 0)
    return clip_link(address, login_id=login_id, attempt_id=attempt_id, item=item)


def _clips(actor: Actor, attempt_id: int, items: list[str]) -> list[tuple[str, str | bytes | None]]:
    """What the players of the answer playing now (``items``, in order) are given.

    A link, not the bytes: Streamlit would hash and file the bytes on every rerun (each
    mark, each tick), and the browser can keep a link's clip. The links are kept in the
    session while they play, so a rerun costs a look-up. A new clip is fetched once,
    under a spinner (it may still have to be spoken)."""
    kept_for, held = st.session_state.get(PLAYING) or (None, {})
    kept: dict[str, str | bytes | None] = held if kept_for == attempt_id else {}
    if any(item not in kept for item in items):
        fresh: dict[str, str | bytes | None] = {}
        for item in items:
            if item in kept:
                fresh[item] = kept[item]
                continue
            with st.spinner("Connecting the caller…"):
                fresh[item] = _source(actor, attempt_id, item)
        kept = fresh
        st.session_state[PLAYING] = (attempt_id, kept)
    return [(item, kept[item]) for item in items]


# ------------------------------------------------------------------ pieces of the screen


def _header(view: Mapping[str, Any], *, timed: bool) -> None:
    limit = view.get("time_limit_seconds") if timed else None
    render_call_header(
        view, lambda: render_clock(view["attempt_id"], float(view["elapsed_seconds"]), limit)
    )


def _ask_box(actor: Actor, attempt_id: int) -> None:
    """One box: the trainee types a question in their own words, Enter asks it."""
    with (
        st.form(state_key(attempt_id, "ask-form"), clear_on_submit=True, border=False),
        st.container(horizontal=True, vertical_alignment="bottom", gap="small"),
    ):
        st.text_input(
            "Ask the caller (Alt+Q)",
            key=state_key(attempt_id, "typed"),
            placeholder="Your question, in your own words",
            help="Ask as you would on the phone, then press Enter. Each question you ask "
            "is timed and counts towards your screening.",
        )
        st.form_submit_button("Ask", on_click=on_typed, args=(actor, attempt_id))
    error = st.session_state.pop(state_key(attempt_id, "ask-error"), None)
    if error:
        st.warning(plain(error), icon=":material/edit_off:")


def _caller(actor: Actor, view: Mapping[str, Any], attempt_id: int) -> None:
    if is_text_call(view):  # text-to-911: messages, no audio (app.ui.call_kinds)
        render_text_conversation(view)
        return
    speech_ok, speech_message = _speech_status()
    play = play_items(st.session_state.get(state_key(attempt_id, "play")))
    autoplay = bool(st.session_state.pop(state_key(attempt_id, "autoplay"), False))
    if state_key(attempt_id, "seen") not in st.session_state:  # the call starts: the caller speaks
        st.session_state[state_key(attempt_id, "seen")] = True
        autoplay = play == ["opening"]
    st.subheader("Caller", anchor=False)
    show = True
    if speech_ok:
        heard = [(item, data) for item, data in _clips(actor, attempt_id, play) if data]
        if heard:
            asked = st.session_state.get(state_key(attempt_id, "play-label"), "")
            st.caption(plain(now_playing([item for item, _ in heard], asked)))
            render_players(heard, autoplay=autoplay)
        else:
            st.caption("The caller's voice could not be played; read the transcript.")
        always = bool(view.get("always_transcript"))
        with st.container(key="cs-transcript-row", horizontal=True, gap="medium"):
            with st.container(key="cs-transcript-toggle"):
                wanted = st.toggle(
                    "Show transcript",
                    key=init_key(attempt_id, "transcript", view["mode"] == "guided" or always),
                    help="Off, you listen as on a real call. Alt+L shows or hides it.",
                )
            st.checkbox(
                "Always show transcripts",
                key=init_key(attempt_id, "always", always),
                on_change=on_always,
                args=(actor, attempt_id),
                help="Kept for you: every call then starts with the transcript shown.",
            )
        show = wanted or not heard
    else:
        st.info(plain(speech_message), icon=":material/volume_off:")
    if show:
        render_transcript(view["opening"], view["transcript"], key="cs-transcript")


def _questions(actor: Actor, view: Mapping[str, Any], attempt_id: int) -> None:
    st.subheader("Ask the caller", anchor=False)
    st.caption("Each question you ask is timed and counts towards your screening.")
    render_question_cards(
        view["questions"],
        {item["id"] for item in view["asked"]},
        key=lambda qid: state_key(attempt_id, f"ask.{qid}"),
        on_click=on_ask,
        args=lambda qid: (actor, attempt_id, qid),
    )


def _hotkey_legend() -> None:
    with st.container(key="cs-hotkeys"):
        st.markdown(hotkey_legend())


# ------------------------------------------------------------------ entry point


def is_finished(attempt_id: int) -> bool:
    """Whether the last render found this attempt no longer open."""
    return st.session_state.get(state_key(attempt_id, "status"), "in_progress") != "in_progress"


def attempt_mode(attempt_id: int) -> str | None:
    """The practice mode the last render found for this attempt."""
    return st.session_state.get(state_key(attempt_id, "mode"))


def render_call_screen(
    actor: Actor, attempt_id: int, *, mode: str, show_feedback: bool = True
) -> dict | None:
    """Draw the call (or, once submitted, its grade card when ``show_feedback``).

    Returns the grade in the run where the trainee submitted, else None.
    """
    graded = st.session_state.pop(state_key(attempt_id, "graded"), None)
    try:
        # alive: the screen is open, so a silence before this run becomes a pause
        view = practice.attempt_view(actor=actor, attempt_id=attempt_id, alive=True)
    except ExamInProgress:
        raise  # the page says the exam is open, in its own words
    except UserError as exc:
        st.error(plain(exc))
        st.session_state[state_key(attempt_id, "status")] = "missing"
        return None
    st.session_state[state_key(attempt_id, "status")] = view["status"]
    st.session_state[state_key(attempt_id, "mode")] = view["mode"]
    if view["status"] == "submitted":
        if show_feedback:
            with st.container(key="cs-feedback"):  # the focus goes to its heading
                render_grade_card(practice.review_attempt(actor=actor, attempt_id=attempt_id))
        return graded
    if view["status"] != "in_progress":
        st.warning("This call was closed because you started another one.")
        return None
    mode = mode or view["mode"]
    with st.container(key="cs-scripts"):  # styles, keys, focus and heartbeat: nothing shown
        render_static()
        render_focus(attempt_id)
        seen_this_run(attempt_id)
        heartbeat(actor, attempt_id)
    intro = {
        "guided": ":material/lightbulb: Guided call: hints appear as you make your choices.",
        "timed": ":material/timer: Timed call: try to submit before the clock at the top right "
        "runs out.",
    }.get(view["mode"])
    left, right = st.columns([3, 2.2], gap="medium")
    with left:
        with st.container(key="cs-head"):
            if intro:
                st.caption(intro)
            _header(view, timed=view["mode"] == "timed")
        with st.container(key="cs-ask"):
            if view["typed"]:
                _ask_box(actor, attempt_id)
            _hotkey_legend()
            if view["mode"] == "guided" and mode != "exam":
                render_hints(actor, attempt_id)
        with st.container(key="cs-listen"):
            render_call_kind(actor, view, attempt_id)  # call back, text note, call history
            _caller(actor, view, attempt_id)
            if not view["typed"] and not line_is_dead(view):
                _questions(actor, view, attempt_id)
    with right, st.container(key="cs-decision", border=True):
        render_decision(actor, view, attempt_id)
    return None
