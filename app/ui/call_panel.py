"""The call screen: a trainee takes one call, modelled on a CAD call-entry screen.

Entry point: :func:`render_call_screen` (used by the practice page and the exam page).
Only ids live in ``st.session_state``; everything shown comes from
``app.services.practice.attempt_view``, which never carries the expert key.

Each interaction costs one small read (the view) plus, for an action, one small write
(the event). Audio bytes and the speech check are cached.
"""

from __future__ import annotations

import streamlit as st

from app.errors import UserError
from app.services import practice
from app.services.access import Actor
from app.ui.grade_card import plain, render_grade_card

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


def _k(attempt_id: int, name: str) -> str:
    return f"call{attempt_id}.{name}"


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _speech_status() -> tuple[bool, str]:
    from app.audio import speech_available

    return speech_available()


@st.cache_data(ttl=3600, max_entries=256, show_spinner="Connecting the caller…")
def _clip(actor: Actor, attempt_id: int, item: str) -> bytes | None:
    return practice.clip_bytes(actor=actor, attempt_id=attempt_id, item=item)


def _mmss(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


# ------------------------------------------------------------------ callbacks (run before the script)


def _fail(attempt_id: int, exc: UserError) -> None:
    st.session_state[_k(attempt_id, "error")] = str(exc)


def _on_ask(actor: Actor, attempt_id: int, question_id: str) -> None:
    try:
        practice.ask_question(actor=actor, attempt_id=attempt_id, question_id=question_id)
    except UserError as exc:
        _fail(attempt_id, exc)
        return
    st.session_state[_k(attempt_id, "play")] = question_id
    st.session_state[_k(attempt_id, "autoplay")] = True


def _on_disqualifier(actor: Actor, attempt_id: int, code: str) -> None:
    on = bool(st.session_state.get(_k(attempt_id, f"dq.{code}")))
    try:
        practice.record_event(
            actor=actor, attempt_id=attempt_id, kind="disqualifier", value={"code": code, "on": on}
        )
    except UserError as exc:
        _fail(attempt_id, exc)


def _on_mark(actor: Actor, attempt_id: int, kind: str) -> None:
    value = st.session_state.get(_k(attempt_id, kind))
    try:
        practice.record_event(actor=actor, attempt_id=attempt_id, kind=kind, value=value)
    except UserError as exc:
        _fail(attempt_id, exc)


def _on_submit(actor: Actor, attempt_id: int, idempotency_key: str) -> None:
    if st.session_state.get(_k(attempt_id, "done")):
        return  # a double click: the first one already submitted
    answer = {
        "disqualifiers": [
            code
            for code in ("weapon", "threat", "medical", "police_only")
            if st.session_state.get(_k(attempt_id, f"dq.{code}"))
        ],
        "call_type": st.session_state.get(_k(attempt_id, "call_type")),
        "priority": st.session_state.get(_k(attempt_id, "priority")),
        "disposition": st.session_state.get(_k(attempt_id, "disposition")),
    }
    try:
        grade = practice.submit_attempt(
            actor=actor, attempt_id=attempt_id, answer=answer, idempotency_key=idempotency_key
        )
    except UserError as exc:
        _fail(attempt_id, exc)
        return
    st.session_state[_k(attempt_id, "done")] = True
    st.session_state[_k(attempt_id, "graded")] = grade


# ------------------------------------------------------------------ pieces of the screen


# The call clock counts in the browser: a server-side rerun every second for every open
# call was most of a busy server's work (README, "What is slow"). The page fills in the
# time when it is drawn; the script only moves it on. Only numbers go into it.
_CLOCK_HTML = """<div id="{element}" role="timer" style="line-height:1.25">
<div class="cc-label" style="font-size:0.875rem;opacity:0.7">{label}</div>
<div class="cc-value" style="font-size:2.25rem;font-variant-numeric:tabular-nums">{value}</div>
</div>
<script>(() => {{
  if (window.callClockTimer) clearInterval(window.callClockTimer);
  const start = Date.now() - {elapsed} * 1000, limit = {limit};
  const mmss = (s) => {{
    s = Math.floor(Math.max(s, 0));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }};
  const tick = () => {{
    const box = document.getElementById("{element}");
    if (!box) {{ clearInterval(window.callClockTimer); return; }}
    const elapsed = (Date.now() - start) / 1000;
    let label = "Call time", value = mmss(elapsed);
    if (limit > 0) {{
      const left = limit - elapsed;
      label = left >= 0 ? "Time left of " + mmss(limit) : "Over the " + mmss(limit) + " target";
      value = left >= 0 ? mmss(left) : "+" + mmss(-left);
    }}
    box.querySelector(".cc-label").textContent = label;
    box.querySelector(".cc-value").textContent = value;
  }};
  tick();
  window.callClockTimer = setInterval(tick, 1000);
}})();</script>"""


def clock_text(elapsed: float, limit: int | None) -> tuple[str, str]:
    """(label, value) of the call clock; the browser's script says the same each second."""
    if limit:
        left = limit - elapsed
        if left >= 0:
            return f"Time left of {_mmss(limit)}", _mmss(left)
        return f"Over the {_mmss(limit)} target", f"+{_mmss(-left)}"
    return "Call time", _mmss(elapsed)


def _clock(attempt_id: int, elapsed: float, limit: int | None) -> None:
    label, value = clock_text(elapsed, limit)
    st.html(
        _CLOCK_HTML.format(
            element=f"call-clock-{int(attempt_id)}",
            label=label,
            value=value,
            elapsed=f"{float(elapsed):.1f}",
            limit=int(limit or 0),
        ),
        unsafe_allow_javascript=True,
    )


def _header(view: dict, *, timed: bool) -> None:
    with st.container(border=True):
        cols = st.columns([2, 1.2, 4, 1.3])
        with cols[0]:
            st.caption("Line")
            st.markdown(f"**{plain(CHANNEL_LABELS.get(view['channel'], view['channel']))}**")
        with cols[1]:
            st.caption("Time of call")
            st.markdown(f"**{plain(view.get('time') or '—')}**")
        with cols[2]:
            st.caption("Location")
            st.markdown(f"**{plain(view.get('location') or 'Not given yet')}**")
        with cols[3]:
            limit = view.get("time_limit_seconds") if timed else None
            _clock(view["attempt_id"], float(view["elapsed_seconds"]), limit)
        facts = []
        caller = view.get("caller") or {}
        if caller.get("role"):
            who = caller["role"]
            if caller.get("relation") in RELATION_LABELS:
                who += f" ({RELATION_LABELS[caller['relation']]})"
            facts.append(f"Caller: {who}")
        if (view.get("initial_call_type") or {}).get("label"):
            facts.append(f"Came in as: {view['initial_call_type']['label']}")
        facts.append(f"Dispatch model: {view.get('model_label')}")
        st.caption(plain("  ·  ".join(facts)))
        context = view.get("context") or {}
        notes = []
        for key, yes, no in (
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
            if key in context:
                notes.append(yes if context[key] else no)
        for key, title in (("prior_calls", "Earlier calls"), ("notes", "CAD note")):
            if context.get(key):
                notes.append(f"{title}: {context[key]}")
        for note in notes:
            st.caption(plain(note))


def _caller(actor: Actor, view: dict, attempt_id: int) -> None:
    speech_ok, speech_message = _speech_status()
    play = st.session_state.get(_k(attempt_id, "play"), "opening")
    autoplay = bool(st.session_state.pop(_k(attempt_id, "autoplay"), False))
    if _k(attempt_id, "seen") not in st.session_state:  # the call starts: the caller speaks
        st.session_state[_k(attempt_id, "seen")] = True
        autoplay = play == "opening"
    asked = {item["id"]: item for item in view["asked"]}
    st.subheader("Caller", anchor=False)
    if speech_ok:
        data = _clip(actor, attempt_id, play)
        if data:
            heard = "Opening" if play == "opening" else asked.get(play, {}).get("question", "")
            st.caption(plain(f"Now playing: {heard}"))
            st.audio(data, format="audio/wav", autoplay=autoplay)
        else:
            st.caption("The caller's voice could not be played; read the transcript.")
        show = st.toggle(
            "Show transcript",
            value=True,
            key=_k(attempt_id, "transcript"),
            help="Hide it to practise by ear, as on a real call.",
        )
    else:
        st.info(plain(speech_message), icon=":material/volume_off:")
        show = True
    if show:
        with st.container(height=320, border=True):
            with st.chat_message("caller", avatar=":material/call:"):
                st.markdown(plain(view["opening"]))
            for item in view["asked"]:
                with st.chat_message("you", avatar=":material/headset_mic:"):
                    st.markdown(plain(item["question"]))
                with st.chat_message("caller", avatar=":material/call:"):
                    st.markdown(plain(item["answer"]))


def _questions(actor: Actor, view: dict, attempt_id: int) -> None:
    st.subheader("Ask the caller", anchor=False)
    st.caption("Each question you ask is timed and counts towards your screening.")
    asked = {item["id"] for item in view["asked"]}
    catalogue = view["questions"]
    placed: set[str] = set()
    groups = []
    for title, ids in QUESTION_GROUPS:
        items = [q for q in catalogue if q["id"] in ids]
        placed.update(q["id"] for q in items)
        groups.append((title, items))
    groups.insert(0, ("The situation", [q for q in catalogue if q["id"] not in placed]))
    for title, items in groups:
        if not items:
            continue
        st.markdown(f"**{plain(title)}**")
        cols = st.columns(2)
        for index, question in enumerate(items):
            done = question["id"] in asked
            cols[index % 2].button(
                plain(question["text"]),
                key=_k(attempt_id, f"ask.{question['id']}"),
                on_click=_on_ask,
                args=(actor, attempt_id, question["id"]),
                disabled=done,
                icon=":material/check:" if done else ":material/help:",
                width="stretch",
                wrap=True,
            )


def _init(attempt_id: int, name: str, value) -> str:
    key = _k(attempt_id, name)
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def _decision(actor: Actor, view: dict, attempt_id: int, *, guided: bool) -> None:
    marks = view["marks"]
    with st.container(border=True):
        st.subheader("Your decision", anchor=False)
        st.markdown("**Disqualifiers heard on this call**")
        st.caption("Tick each one the caller has told you about. Leave them clear if none.")
        for item in view["disqualifiers"]:
            key = _init(attempt_id, f"dq.{item['code']}", item["code"] in marks["disqualifiers"])
            st.checkbox(
                plain(item["label"]),
                key=key,
                help=plain(item["description"]),
                on_change=_on_disqualifier,
                args=(actor, attempt_id, item["code"]),
            )
        labels = {c["code"]: c["label"] for c in view["call_types"]}
        key = _init(
            attempt_id, "call_type", marks["call_type"] if marks["call_type"] in labels else None
        )
        st.selectbox(
            "Call type",
            options=list(labels),
            format_func=lambda code: labels.get(code, code),
            key=key,
            placeholder="Choose the final call type",
            on_change=_on_mark,
            args=(actor, attempt_id, "call_type"),
        )
        key = _init(attempt_id, "priority", marks["priority"])
        st.segmented_control(
            "Priority (1 = most urgent, 4 = can wait)",
            options=view["priorities"],
            key=key,
            help=PRIORITY_HELP,
            on_change=_on_mark,
            args=(actor, attempt_id, "priority"),
        )
        routes = {d["code"]: d["label"] for d in view["dispositions"]}
        key = _init(
            attempt_id,
            "disposition",
            marks["disposition"] if marks["disposition"] in routes else None,
        )
        st.radio(
            "Send the call to",
            options=list(routes),
            format_func=lambda code: plain(routes.get(code, code)),
            key=key,
            on_change=_on_mark,
            args=(actor, attempt_id, "disposition"),
            help="Only the routes your agency has at the time of this call are listed.",
        )
        if guided:
            for hint in practice.guided_hints(actor=actor, attempt_id=attempt_id):
                st.info(plain(hint), icon=":material/lightbulb:")
        error = st.session_state.pop(_k(attempt_id, "error"), None)
        if error:
            st.error(plain(error))
        with st.form(_k(attempt_id, "submit-form"), border=False):
            st.form_submit_button(
                "Submit call",
                type="primary",
                icon=":material/send:",
                on_click=_on_submit,
                args=(actor, attempt_id, view["idempotency_key"]),
                width="stretch",
            )


# ------------------------------------------------------------------ entry point


def is_finished(attempt_id: int) -> bool:
    """Whether the last render found this attempt no longer open."""
    return st.session_state.get(_k(attempt_id, "status"), "in_progress") != "in_progress"


def attempt_mode(attempt_id: int) -> str | None:
    """The practice mode the last render found for this attempt."""
    return st.session_state.get(_k(attempt_id, "mode"))


def render_call_screen(
    actor: Actor, attempt_id: int, *, mode: str, show_feedback: bool = True
) -> dict | None:
    """Draw the call (or, once submitted, its grade card when ``show_feedback``).

    Returns the grade in the run where the trainee submitted, else None.
    """
    graded = st.session_state.pop(_k(attempt_id, "graded"), None)
    try:
        view = practice.attempt_view(actor=actor, attempt_id=attempt_id)
    except UserError as exc:
        st.error(plain(exc))
        st.session_state[_k(attempt_id, "status")] = "missing"
        return None
    st.session_state[_k(attempt_id, "status")] = view["status"]
    st.session_state[_k(attempt_id, "mode")] = view["mode"]
    if view["status"] == "submitted":
        if show_feedback:
            render_grade_card(practice.review_attempt(actor=actor, attempt_id=attempt_id))
        return graded
    if view["status"] != "in_progress":
        st.warning("This call was closed because you started another one.")
        return None
    mode = mode or view["mode"]
    intro = {
        "guided": ":material/lightbulb: Guided call: hints appear as you make your choices.",
        "timed": ":material/timer: Timed call: try to submit before the clock at the top right "
        "runs out.",
    }.get(view["mode"])
    if intro:
        st.caption(intro)
    _header(view, timed=view["mode"] == "timed")
    st.caption(
        "Listen to the caller, ask the questions you need, mark what you hear on the right, "
        "choose where the call goes, then submit."
    )
    left, right = st.columns([3, 2], gap="large")
    with left:
        _caller(actor, view, attempt_id)
        _questions(actor, view, attempt_id)
    with right:
        _decision(actor, view, attempt_id, guided=view["mode"] == "guided" and mode != "exam")
    return None
