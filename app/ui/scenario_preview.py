"""A scenario shown exactly as a trainee's call screen shows it, for trainers.

Used by the editor, the generator's draft review and calibration. It draws a preview
dict from :func:`app.services.authoring.build_preview` (which holds nothing of the
key) with the same header, transcript and question cards as :mod:`app.ui.call_panel`
(the shared widget :mod:`app.ui.call_context`) and the same decision panel. Asking a
question reveals the caller's answer, as on a real call, but nothing is recorded and
the decision panel is read-only. Every trainer-written text goes through ``plain``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from app.ui.call_context import (
    PRIORITY_HELP,
    render_call_header,
    render_question_cards,
    render_transcript,
    speech_status,
)
from app.ui.grade_card import plain, plain_label

ClipSource = Callable[[str], bytes | None]


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


def _caller(view: Mapping[str, Any], key: str, clip: ClipSource | None) -> None:
    answers = {a["id"]: a for a in view["answers"]}
    asked = [q for q in st.session_state.get(_k(key, "asked"), []) if q in answers]
    play = st.session_state.get(_k(key, "play"), "opening")
    st.subheader("Caller", anchor=False)
    speech_ok, speech_message = speech_status()
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
    render_transcript(view["opening"], [answers[qid] for qid in asked])
    if asked:
        st.button("Start the call again", key=_k(key, "restart"), on_click=_restart, args=(key,))


def _questions(view: Mapping[str, Any], key: str) -> None:
    st.subheader("Ask the caller", anchor=False)
    st.caption("As on the trainee's screen; asking here only reveals the answer.")
    render_question_cards(
        view["questions"],
        set(st.session_state.get(_k(key, "asked"), [])),
        key=lambda qid: _k(key, f"ask.{qid}"),
        on_click=_ask,
        args=lambda qid: (key, qid),
    )


def _decision(view: Mapping[str, Any], key: str) -> None:
    with st.container(border=True):
        st.subheader("Your decision", anchor=False)
        st.caption("Read-only in the preview: this is what the trainee chooses from.")
        st.markdown("**Disqualifiers heard on this call**")
        for item in view["disqualifiers"]:
            st.checkbox(
                plain_label(item["label"]),
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
            format_func=lambda code: plain_label(routes.get(code, code)),
            index=None,
            key=_k(key, "disposition"),
            disabled=True,
        )


def render_preview(
    view: Mapping[str, Any], *, key: str, clip: ClipSource | None = None, decision: bool = True
):
    """Draw the call as the trainee sees it; returns the right-hand column.

    ``clip(item)`` gives WAV bytes for the opening (``"opening"``) or an answer (a
    question id). With ``decision=False`` the right-hand column is left empty for the
    caller to fill (calibration puts the trainer's key form there).
    """
    render_call_header(view, lambda: st.metric("Call time", "0:00"))
    left, right = st.columns([3, 2], gap="large")
    with left:
        _caller(view, key, clip)
        _questions(view, key)
    if decision:
        with right:
            _decision(view, key)
    return right
