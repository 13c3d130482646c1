"""A scenario shown exactly as a trainee's call screen shows it, for trainers.

Used by the editor, the generator's draft review and calibration. It draws a preview
dict from :func:`app.services.authoring.build_preview` (which holds nothing of the
key) with the same header, caller panel (audio and transcript), question cards and
decision panel as :mod:`app.ui.call_panel`, reusing its labels and groups. Asking a
question reveals the caller's answer, as on a real call, but nothing is recorded and
the decision panel is read-only. Every trainer-written text goes through ``plain``.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app.ui.call_panel import CHANNEL_LABELS, PRIORITY_HELP, QUESTION_GROUPS, RELATION_LABELS
from app.ui.grade_card import plain

ClipSource = Callable[[str], bytes | None]


@st.cache_data(ttl=3600, max_entries=4, show_spinner=False)
def _speech_status() -> tuple[bool, str]:
    from app.audio import speech_available

    return speech_available()


def _k(key: str, name: str) -> str:
    return f"{key}.{name}"


def _ask(key: str, question_id: str) -> None:
    asked = list(st.session_state.get(_k(key, "asked"), []))
    if question_id not in asked:
        asked.append(question_id)
    st.session_state[_k(key, "asked")] = asked
    st.session_state[_k(key, "play")] = question_id


def _restart(key: str) -> None:
    st.session_state[_k(key, "asked")] = []
    st.session_state[_k(key, "play")] = "opening"


def _header(view: dict) -> None:
    with st.container(border=True):
        cols = st.columns([2, 1.2, 4, 1.3])
        cols[0].caption("Line")
        cols[0].markdown(f"**{plain(CHANNEL_LABELS.get(view['channel'], view['channel']))}**")
        cols[1].caption("Time of call")
        cols[1].markdown(f"**{plain(view.get('time') or '—')}**")
        cols[2].caption("Location")
        cols[2].markdown(f"**{plain(view.get('location') or 'Not given yet')}**")
        cols[3].metric("Call time", "0:00")
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
        st.caption(plain("  ·  ".join(facts)))
        context = view.get("context") or {}
        for name, yes, no in (
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
        ):
            if name in context:
                st.caption(yes if context[name] else no)
        for name, title in (("prior_calls", "Earlier calls"), ("notes", "CAD note")):
            if context.get(name):
                st.caption(plain(f"{title}: {context[name]}"))


def _caller(view: dict, key: str, clip: ClipSource | None) -> None:
    answers = {a["id"]: a for a in view["answers"]}
    asked = [q for q in st.session_state.get(_k(key, "asked"), []) if q in answers]
    play = st.session_state.get(_k(key, "play"), "opening")
    st.subheader("Caller", anchor=False)
    speech_ok, speech_message = _speech_status()
    if clip is not None and speech_ok:
        data = clip(play)
        if data:
            heard = "Opening" if play == "opening" else answers.get(play, {}).get("question", "")
            st.caption(plain(f"Now playing: {heard}"))
            st.audio(data, format="audio/wav")
        else:
            st.caption("The caller's voice could not be played; read the transcript.")
    elif clip is not None:
        st.info(plain(speech_message), icon=":material/volume_off:")
    with st.container(height=320, border=True):
        with st.chat_message("caller", avatar=":material/call:"):
            st.markdown(plain(view["opening"]))
        for qid in asked:
            with st.chat_message("you", avatar=":material/headset_mic:"):
                st.markdown(plain(answers[qid]["question"]))
            with st.chat_message("caller", avatar=":material/call:"):
                st.markdown(plain(answers[qid]["answer"]))
    if asked:
        st.button("Start the call again", key=_k(key, "restart"), on_click=_restart, args=(key,))


def _questions(view: dict, key: str) -> None:
    st.subheader("Ask the caller", anchor=False)
    st.caption("As on the trainee's screen; asking here only reveals the answer.")
    asked = set(st.session_state.get(_k(key, "asked"), []))
    placed: set[str] = set()
    groups = []
    for title, ids in QUESTION_GROUPS:
        items = [q for q in view["questions"] if q["id"] in ids]
        placed.update(q["id"] for q in items)
        groups.append((title, items))
    groups.insert(0, ("The situation", [q for q in view["questions"] if q["id"] not in placed]))
    for title, items in groups:
        if not items:
            continue
        st.markdown(f"**{plain(title)}**")
        cols = st.columns(2)
        for index, question in enumerate(items):
            done = question["id"] in asked
            cols[index % 2].button(
                plain(question["text"]),
                key=_k(key, f"ask.{question['id']}"),
                on_click=_ask,
                args=(key, question["id"]),
                disabled=done,
                icon=":material/check:" if done else ":material/help:",
                width="stretch",
            )


def _decision(view: dict, key: str) -> None:
    with st.container(border=True):
        st.subheader("Your decision", anchor=False)
        st.caption("Read-only in the preview: this is what the trainee chooses from.")
        st.markdown("**Disqualifiers heard on this call**")
        for item in view["disqualifiers"]:
            st.checkbox(
                plain(item["label"]),
                key=_k(key, f"dq.{item['code']}"),
                help=plain(item["description"]),
                disabled=True,
            )
        labels = {c["code"]: c["label"] for c in view["call_types"]}
        st.selectbox(
            "Call type",
            options=list(labels),
            format_func=lambda code: labels.get(code, code),
            index=None,
            key=_k(key, "call_type"),
            placeholder="Choose the final call type",
            disabled=True,
        )
        st.segmented_control(
            "Priority",
            options=view["priorities"],
            key=_k(key, "priority"),
            help=PRIORITY_HELP,
            disabled=True,
        )
        routes = {d["code"]: d["label"] for d in view["dispositions"]}
        st.radio(
            "Send the call to",
            options=list(routes),
            format_func=lambda code: plain(routes.get(code, code)),
            index=None,
            key=_k(key, "disposition"),
            disabled=True,
        )


def render_preview(view: dict, *, key: str, clip: ClipSource | None = None, decision: bool = True):
    """Draw the call as the trainee sees it; returns the right-hand column.

    ``clip(item)`` gives WAV bytes for the opening (``"opening"``) or an answer (a
    question id). With ``decision=False`` the right-hand column is left empty for the
    caller to fill (calibration puts the trainer's key form there).
    """
    _header(view)
    left, right = st.columns([3, 2], gap="large")
    with left:
        _caller(view, key, clip)
        _questions(view, key)
    if decision:
        with right:
            _decision(view, key)
    return right
