"""The call as a call taker sees it: the header with its context, the transcript, the questions.

One widget for the two screens that show a call with a trainee's eyes: the trainee's
call screen (:mod:`app.ui.call_panel`) and the trainers' preview
(:mod:`app.ui.scenario_preview`). Both draw a view built by
:func:`app.core.call_view.call_view`, which holds nothing of the expert key. Every text
that comes from a scenario goes through ``plain``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping

import streamlit as st

from app.ui.grade_card import plain, plain_label

CHANNEL_LABELS = {
    "911": "911 emergency line",
    "non_emergency": "Non-emergency line",
    "hotline_direct": "Hotline, called directly",
    "988": "Transferred from 988",
    "police_referral": "Police referral from a scene",
    "proactive": "Team on patrol (proactive)",
}
RELATION_LABELS = {
    "stranger": "does not know the person",
    "neighbor": "a neighbour",
    "family": "family",
    "self": "calling about themselves",
    "professional": "calling in a work role",
}
# How the question cards are grouped on screen (ids not listed go under "The situation").
QUESTION_GROUPS = (
    ("Safety screening", ("weapons", "threats", "injuries", "medical", "entry", "evidence")),
    ("The person", ("suicide", "substances", "description", "relationship")),
    ("Where and who", ("address", "location_inside", "callback")),
)
PRIORITY_HELP = "How urgent the response is, from your screening."
# call.context flags shown as a line each: (key, when true, when false).
CONTEXT_FLAGS = (
    (
        "responders_available",
        "A community responder team is free",
        "No community responder team is free",
    ),
    ("police_available", "Police units are free", "No police unit is free right now"),
    (
        "hotline_open",
        "The community hotline is open",
        "The community hotline is closed now",
    ),
)
CONTEXT_TEXTS = (("prior_calls", "Earlier calls"), ("notes", "CAD note"))
# Calls where the team is already at the scene: their location is known from the start.
ON_SCENE_CHANNELS = ("police_referral", "proactive")


@st.cache_data(ttl=3600, max_entries=4, show_spinner=False)
def speech_status() -> tuple[bool, str]:
    """(whether the caller's voice can be played, why not) — checked once an hour."""
    from app.audio import speech_available

    return speech_available()


def caller_facts(view: Mapping) -> list[str]:
    """The line under the header: who calls, how the call came in, the dispatch model."""
    facts = []
    caller = view.get("caller") or {}
    if caller.get("role"):
        who = str(caller["role"])
        if caller.get("relation") in RELATION_LABELS:
            who += f" ({RELATION_LABELS[caller['relation']]})"
        facts.append(f"Caller: {who}")
    if (view.get("initial_call_type") or {}).get("label"):
        facts.append(f"Came in as: {view['initial_call_type']['label']}")
    facts.append(f"Dispatch model: {view.get('model_label')}")
    return facts


def context_notes(context: Mapping) -> list[str]:
    """One line for each thing the call's context tells the call taker."""
    notes = []
    for key, yes, no in CONTEXT_FLAGS:
        if key in context:
            notes.append(yes if context[key] else no)
    for key, title in CONTEXT_TEXTS:
        if context.get(key):
            notes.append(f"{title}: {context[key]}")
    return notes


def location_lines(view: Mapping) -> tuple[str, str, str | None]:
    """(title, value, note) of the header's location: where the call is once the caller
    has said it (or the team is at the scene), else what the phone system shows (ALI)."""
    location, ali = view.get("location"), view.get("ali")
    if location:
        on_scene = view.get("channel") in ON_SCENE_CHANNELS
        return "Location", str(location), "The team is at the scene" if on_scene else None
    if ali:
        return "Location (phone system, ALI)", str(ali), "Not confirmed with the caller"
    return "Location", "Not known", "The phone system gave no location"


def render_call_header(view: Mapping, clock: Callable[[], object]) -> None:
    """The bordered header: the line and time of the call, the location, the clock
    (``clock()`` draws it), then the caller facts and the call's context."""
    with st.container(border=True, key="cs-header"):
        cols = st.columns([2.2, 4, 1.5], gap="small")
        with cols[0]:
            st.caption("Line · time of call")
            line = CHANNEL_LABELS.get(view["channel"], view["channel"])
            st.markdown(f"**{plain(line)}** · {plain(view.get('time') or '—')}")
        with cols[1]:
            title, value, note = location_lines(view)
            st.caption(title)
            st.markdown(f"**{plain(value)}**")
            if note:
                st.caption(plain(note))
        with cols[2]:
            clock()
        lines = ["  ·  ".join(caller_facts(view)), *context_notes(view.get("context") or {})]
        st.caption(plain(lines[0]))
        for note in lines[1:]:
            st.caption(plain(note))


def render_transcript(
    opening: str, exchanges: Iterable[Mapping], *, key: str | None = None
) -> None:
    """The caller's opening, then each exchange ``{question, answer, interpreted?}``, as a
    chat; the interpreter's English, when there is any, under the caller's words."""
    with st.container(height=320, border=True, key=key):
        with st.chat_message("caller", avatar=":material/call:"):
            st.markdown(plain(opening))
        for item in exchanges:
            with st.chat_message("you", avatar=":material/headset_mic:"):
                st.markdown(plain(item["question"]))
            with st.chat_message("caller", avatar=":material/call:"):
                st.markdown(plain(item["answer"]))
            if item.get("interpreted"):
                with st.chat_message("interpreter", avatar=":material/translate:"):
                    st.markdown(plain(f"Interpreter: {item['interpreted']}"))


def question_groups(questions: list[Mapping]) -> list[tuple[str, list[Mapping]]]:
    """The question catalogue in its groups on screen, "The situation" first."""
    placed: set[str] = set()
    groups = []
    for title, ids in QUESTION_GROUPS:
        items = [q for q in questions if q["id"] in ids]
        placed.update(q["id"] for q in items)
        groups.append((title, items))
    groups.insert(0, ("The situation", [q for q in questions if q["id"] not in placed]))
    return groups


def render_question_cards(
    questions: list[Mapping],
    asked: Collection[str],
    *,
    key: Callable[[str], str],
    on_click: Callable[..., None],
    args: Callable[[str], tuple],
) -> None:
    """A button for each question, in groups, two to a row; one already asked is ticked
    and disabled. ``key(id)`` names its widget and ``on_click(*args(id))`` asks it."""
    for title, items in question_groups(questions):
        if not items:
            continue
        st.markdown(f"**{plain(title)}**")
        cols = st.columns(2)
        for index, question in enumerate(items):
            done = question["id"] in asked
            cols[index % 2].button(
                plain_label(question["text"]),
                key=key(question["id"]),
                on_click=on_click,
                args=args(question["id"]),
                disabled=done,
                icon=":material/check:" if done else ":material/help:",
                width="stretch",
                wrap=True,
            )
