"""The framework floor: the call screen's widgets with no database and no services.

``python -m app bench`` times this page exactly like the real call page
(``app/app_pages/trainee_call.py``): the same widget kinds, keys, layout, callbacks,
clock fragment and audio element, but every value is a constant and every callback
only writes to ``st.session_state``. Whatever this page costs per interaction is
what Streamlit itself costs on this machine; the difference is our code.
"""

import io
import time
import wave

import streamlit as st

ATTEMPT = "practice.attempt_id"
QUESTIONS = {
    "The situation": ["what_happened", "how_long", "who_else"],
    "Safety screening": ["weapons", "threats", "injuries", "medical", "entry", "evidence"],
    "The person": ["suicide", "substances", "description", "relationship"],
    "Where and who": ["address", "location_inside", "callback"],
}
DISQUALIFIERS = {
    "weapon": "Weapon",
    "threat": "Threat of violence",
    "medical": "Medical emergency",
    "police_only": "Police-only need",
}
CALL_TYPES = [f"TYPE_{i:02d}" for i in range(25)]
ROUTES = {
    "community_responder": "Community responders",
    "community_responder_with_police": "Community responders with police (tandem)",
    "community_responder_with_ems": "Community responders with EMS",
    "police": "Police",
    "ems": "EMS",
    "transfer_988": "Transfer to 988",
}
MODES = ["guided", "standard", "timed"]


@st.cache_data(ttl=3600)
def _wav() -> bytes:
    """One second of silence, 22,050 Hz mono (the size class of a short caller clip)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(b"\0\0" * 22050)
    return buffer.getvalue()


def _k(attempt_id: int, name: str) -> str:
    return f"call{attempt_id}.{name}"


def _start() -> None:
    st.session_state[ATTEMPT] = st.session_state.get("floor.counter", 0) + 1
    st.session_state["floor.counter"] = st.session_state[ATTEMPT]
    st.session_state["floor.started"] = time.time()


def _ask(attempt_id: int, question: str) -> None:
    st.session_state.setdefault(_k(attempt_id, "asked"), []).append(question)


def _mark(attempt_id: int, name: str) -> None:
    st.session_state.setdefault(_k(attempt_id, "events"), []).append(name)


def _submit(attempt_id: int) -> None:
    st.session_state[_k(attempt_id, "done")] = True


@st.fragment(run_every=1)
def _clock(started: float) -> None:
    elapsed = int(time.time() - started)
    st.metric("Call time", f"{elapsed // 60}:{elapsed % 60:02d}")


def _screen(attempt_id: int) -> None:
    with st.container(border=True):
        cols = st.columns([2, 1.2, 4, 1.3])
        for col, (caption, value) in zip(
            cols[:3],
            (("Line", "911 line"), ("Time of call", "14:00"), ("Location", "A street")),
            strict=True,
        ):
            with col:
                st.caption(caption)
                st.markdown(f"**{value}**")
        with cols[3]:
            _clock(st.session_state.get("floor.started", time.time()))
        st.caption("Caller: a passer-by · Came in as: Welfare check · Dispatch model: floor")
        st.caption("A community responder team is free")
    asked = st.session_state.get(_k(attempt_id, "asked"), [])
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("Caller", anchor=False)
        st.caption("Now playing: Opening")
        st.audio(_wav(), format="audio/wav", autoplay=False)
        show = st.toggle("Show transcript", value=True, key=_k(attempt_id, "transcript"))
        if show:
            with st.container(height=320, border=True):
                with st.chat_message("caller", avatar=":material/call:"):
                    st.markdown("The caller's opening words.")
                for question in asked:
                    with st.chat_message("you", avatar=":material/headset_mic:"):
                        st.markdown(f"Question {question}")
                    with st.chat_message("caller", avatar=":material/call:"):
                        st.markdown("The caller's answer.")
        st.subheader("Ask the caller", anchor=False)
        st.caption("Each question you ask is timed and counts towards your screening.")
        for title, ids in QUESTIONS.items():
            st.markdown(f"**{title}**")
            halves = st.columns(2)
            for index, qid in enumerate(ids):
                done = qid in asked
                halves[index % 2].button(
                    f"Question {qid}?",
                    key=_k(attempt_id, f"ask.{qid}"),
                    on_click=_ask,
                    args=(attempt_id, qid),
                    disabled=done,
                    icon=":material/check:" if done else ":material/help:",
                    width="stretch",
                )
    with right, st.container(border=True):
        st.subheader("Your decision", anchor=False)
        st.markdown("**Disqualifiers heard on this call**")
        for code, label in DISQUALIFIERS.items():
            st.checkbox(
                label,
                key=_k(attempt_id, f"dq.{code}"),
                help="What counts.",
                on_change=_mark,
                args=(attempt_id, code),
            )
        st.selectbox(
            "Call type",
            options=CALL_TYPES,
            index=None,
            key=_k(attempt_id, "call_type"),
            placeholder="Choose the final call type",
            on_change=_mark,
            args=(attempt_id, "call_type"),
        )
        st.segmented_control(
            "Priority",
            options=[1, 2, 3, 4],
            key=_k(attempt_id, "priority"),
            on_change=_mark,
            args=(attempt_id, "priority"),
        )
        st.radio(
            "Send the call to",
            options=list(ROUTES),
            index=None,
            format_func=ROUTES.get,
            key=_k(attempt_id, "disposition"),
            on_change=_mark,
            args=(attempt_id, "disposition"),
        )
        with st.form(_k(attempt_id, "submit-form"), border=False):
            st.form_submit_button(
                "Submit call", type="primary", on_click=_submit, args=(attempt_id,), width="stretch"
            )


attempt = st.session_state.get(ATTEMPT)
if attempt is None:
    st.title("Take a call")
    st.write("The floor page: the call screen's widgets and nothing else.")
    mode = st.radio("How do you want to practise?", options=MODES, key="practice.mode_pick")
    st.button("Start call", type="primary", icon=":material/call:", on_click=_start)
elif st.session_state.get(_k(attempt, "done")):
    st.subheader("Your result", anchor=False)
    cols = st.columns(4)
    for col, (label, value) in zip(
        cols,
        (("Score", "85"), ("Result", "Passed"), ("Time", "1:05"), ("Questions", "4")),
        strict=True,
    ):
        col.metric(label, value)
    st.markdown("What went well and what to work on.")
    st.divider()
    actions = st.columns([1, 1, 4])
    actions[0].button("Next call", type="primary", on_click=_start, key="practice.next")
else:
    _screen(attempt)
