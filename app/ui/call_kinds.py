"""The call screen's parts for kinds of call (docs/scenario-format.md 3.9).

- a dropped or hung-up call: the line is dead after the opening; a **Call back** button
  (the server, :func:`app.services.practice.call_back`, checks role, agency and that the
  call can be called back) opens it again;
- a text-to-911 call: a typed conversation, shown as messages, with no audio;
- a repeat caller: the earlier calls, as the CAD history shows them.

Everything shown comes from ``attempt_view(...)["call_kind"]``, which says only what a
call taker would see (nothing of the key, nor whether the caller can speak freely).
Scenario text is made inert with :func:`app.ui.grade_card.plain`; nothing is HTML.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from app.errors import UserError
from app.services import practice
from app.services.access import Actor
from app.ui.call_actions import fail, heard, state_key
from app.ui.call_context import render_transcript
from app.ui.grade_card import plain

CALLBACK_LABEL = "Call back"
DEAD_LINE = "The line went dead after the opening."
DEAD_LINE_HELP = (
    "Nobody is on the line now, so your questions get no answer. Call the number back "
    "and screen the call again from the start."
)
TEXT_NOTE = (
    "Text-to-911: the caller is texting. Type short, clear questions; nothing is spoken, "
    "and replies take longer than on a voice call."
)


def kind_of(view: Mapping) -> Mapping:
    kind = view.get("call_kind")
    return kind if isinstance(kind, Mapping) else {}


def is_text_call(view: Mapping) -> bool:
    """A text-to-911 conversation: read, not heard."""
    return kind_of(view).get("medium") == "text"


def line_is_dead(view: Mapping) -> bool:
    """A dropped or hung-up call the trainee has not called back yet."""
    kind = kind_of(view)
    return bool(kind.get("needs_callback")) and not kind.get("called_back")


def on_call_back(actor: Actor, attempt_id: int) -> None:
    """The **Call back** button (runs before the script)."""
    try:
        said = practice.call_back(actor=actor, attempt_id=attempt_id)
    except UserError as exc:
        fail(attempt_id, exc)
        return
    heard(attempt_id, {**said, "question": "your call back"})


def prior_call_lines(prior_calls: list[Mapping]) -> list[str]:
    """One plain line per earlier call: when, what, and how it ended."""
    lines = []
    for entry in prior_calls:
        parts = [str(entry.get("when") or "Earlier"), str(entry.get("what") or "")]
        line = " — ".join(p for p in parts if p)
        if entry.get("outcome"):
            line += f" ({entry['outcome']})"
        lines.append(line)
    return lines


def render_call_kind(actor: Actor, view: Mapping, attempt_id: int) -> None:
    """The call back box, the text-call note and the call history, where they apply."""
    kind = kind_of(view)
    if is_text_call(view):
        st.info(TEXT_NOTE, icon=":material/sms:")
    if line_is_dead(view):
        with st.container(key="cs-callback", border=True):
            st.markdown(f"**{DEAD_LINE}**")
            st.caption(DEAD_LINE_HELP)
            st.button(
                CALLBACK_LABEL,
                key=state_key(attempt_id, "callback"),
                on_click=on_call_back,
                args=(actor, attempt_id),
                type="primary",
                icon=":material/phone_callback:",
                help="Ring the number the call came from.",
            )
    elif kind.get("needs_callback"):
        st.caption("You called the number back; the call goes on.")
    prior = [p for p in kind.get("prior_calls") or [] if isinstance(p, Mapping)]
    if prior:
        with st.expander(f"Call history: {len(prior)} earlier call(s)", expanded=True):
            for line in prior_call_lines(prior):
                st.markdown(f"- {plain(line)}")


def render_text_conversation(view: Mapping) -> None:
    """A text-to-911 call: the messages so far, always shown, with no player."""
    st.subheader("Text conversation", anchor=False)
    st.caption("Messages from the caller, newest at the bottom.")
    render_transcript(
        str(view.get("opening") or ""), view.get("transcript") or [], key="cs-transcript"
    )
