"""The call screen: a trainee takes one call, modelled on a CAD call-entry screen.

Entry point: :func:`render_call_screen` (used by the practice page and the exam page).
Only ids live in ``st.session_state``; everything shown comes from
``app.services.practice.attempt_view``, which never carries the expert key.

How the screen works:

- In Standard, Timed and exam calls the trainee types each question in their own
  words (one box, Enter asks); Guided calls keep the question cards.
- The decision panel is a column of its own that stays in view while the call
  scrolls (a static style sheet, :data:`CALL_CSS`); on a phone it comes straight
  after the question box.
- Keyboard keys a CAD user expects (:data:`HOTKEYS`) come from a static script,
  :data:`HOTKEYS_JS`; focus goes back to the question box after each answer.
- The call time counts only while this screen is open: a small fragment tells the
  server every few seconds that it is still there (``keep_alive``), and the server
  turns any silence into a pause (:mod:`app.services.practice.clock`).

No text from a scenario, a trainer or a trainee ever goes into the style sheet or the
scripts: they hold numbers (the attempt id, counts, seconds) and fixed words only.
Each interaction costs one small read (the view) plus, for an action, one small write
(the event). Audio bytes and the speech check are cached. The header, transcript and
question cards are the shared call widget, :mod:`app.ui.call_context`.
"""

from __future__ import annotations

import streamlit as st

from app.core.protocol import DISQUALIFIERS
from app.core.question_match import QuestionTextError
from app.errors import UserError
from app.services import practice
from app.services.access import Actor
from app.services.practice import call as calls
from app.services.practice import clock
from app.ui.call_context import (
    PRIORITY_HELP,
    render_call_header,
    render_question_cards,
    render_transcript,
)
from app.ui.call_context import speech_status as _speech_status
from app.ui.grade_card import plain, render_grade_card

# Where the exam page (and anyone else) learns that a call was just submitted.
RECORDED = "call.recorded"
# The keys of the call screen, as shown on it: (keys, what they do).
HOTKEYS = (
    ("Alt+Q", "question box"),
    ("Alt+W / T / M / P", "weapon, threat, medical, police-only"),
    ("Alt+1–4", "priority"),
    ("Alt+C", "call type"),
    ("Alt+R", "route (then ↑ ↓)"),
    ("Alt+L", "transcript"),
    ("Alt+S twice", "submit"),
)
# Each disqualifier's key (the codes are fixed by the scenario format).
DISQUALIFIER_KEYS = {"weapon": "W", "threat": "T", "medical": "M", "police_only": "P"}


def _k(attempt_id: int, name: str) -> str:
    return f"call{attempt_id}.{name}"


@st.cache_data(ttl=3600, max_entries=256, show_spinner="Connecting the caller…")
def _clip(actor: Actor, attempt_id: int, item: str) -> bytes | None:
    return practice.clip_bytes(actor=actor, attempt_id=attempt_id, item=item)


def _mmss(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


# ------------------------------------------------------------------ callbacks (run before the script)


def _fail(attempt_id: int, exc: UserError) -> None:
    st.session_state[_k(attempt_id, "error")] = str(exc)


def _heard(attempt_id: int, said: dict) -> None:
    """The caller answers: play it, and bring the focus back to the question box."""
    if said.get("clip"):
        st.session_state[_k(attempt_id, "play")] = said["clip"]
        st.session_state[_k(attempt_id, "play-label")] = said.get("question") or ""
        st.session_state[_k(attempt_id, "autoplay")] = True
    st.session_state[_k(attempt_id, "answers")] = (
        st.session_state.get(_k(attempt_id, "answers"), 0) + 1
    )


def _on_ask(actor: Actor, attempt_id: int, question_id: str) -> None:
    try:
        said = practice.ask_question(actor=actor, attempt_id=attempt_id, question_id=question_id)
    except UserError as exc:
        _fail(attempt_id, exc)
        return
    _heard(attempt_id, said)


def _on_typed(actor: Actor, attempt_id: int) -> None:
    text = st.session_state.get(_k(attempt_id, "typed")) or ""  # empty: refused as empty
    try:
        said = calls.ask_typed(actor=actor, attempt_id=attempt_id, text=text)
    except QuestionTextError as exc:
        message = str(exc)
        st.session_state[_k(attempt_id, "ask-error")] = (
            f"Nothing was asked: {message[:1].lower()}{message[1:]}."
        )
        st.session_state[_k(attempt_id, "answers")] = (
            st.session_state.get(_k(attempt_id, "answers"), 0) + 1
        )
        return
    except UserError as exc:
        st.session_state[_k(attempt_id, "ask-error")] = str(exc)
        return
    _heard(attempt_id, said)


def _on_always(actor: Actor, attempt_id: int) -> None:
    always = bool(st.session_state.get(_k(attempt_id, "always")))
    try:
        calls.set_transcript_setting(actor=actor, always=always)
    except UserError as exc:
        _fail(attempt_id, exc)
        return
    if always:
        st.session_state[_k(attempt_id, "transcript")] = True


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
            code for code in DISQUALIFIERS if st.session_state.get(_k(attempt_id, f"dq.{code}"))
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
    st.session_state[RECORDED] = attempt_id


# ------------------------------------------------------------------ static style and scripts

# The call screen's layout. Streamlit gives a container made with ``key="cs-x"`` the
# class ``st-key-cs-x``. Wide screens: the decision column stays in view (sticky) while
# the page scrolls. Phones (one column): the question box, then the decision, then the
# caller and the transcript. Fixed text only.
CALL_CSS = """<style>
.st-key-cs-decision { gap: 0.55rem; }
.st-key-cs-decision h4 { padding: 0 0 0.25rem 0; }
.st-key-cs-decision [data-testid="stRadio"] [role="radiogroup"] label {
  margin-bottom: 0; min-height: 1.5rem; padding-top: 0; padding-bottom: 0;
}
.st-key-cs-ask { gap: 0.4rem; }
.st-key-cs-transcript [data-testid="stChatMessage"] { padding: 0.35rem 0.5rem; gap: 0.6rem; }
.st-key-cs-hotkeys { padding-bottom: 0.4rem; }
.st-key-cs-hotkeys p { font-size: 0.75rem; line-height: 1.35; margin: 0; }
.st-key-cs-hotkeys code { font-size: 0.7rem; padding: 0 0.2rem; }
#cs-confirm {
  position: fixed; left: 50%; bottom: 1.5rem; transform: translateX(-50%); z-index: 999991;
  background: #31333f; color: #fff; padding: 0.6rem 1rem; border-radius: 0.5rem;
  font-size: 0.95rem; box-shadow: 0 4px 14px rgba(0, 0, 0, 0.3);
}
[data-testid="stMainBlockContainer"]:has(.st-key-cs-decision) {
  padding-top: 3.5rem; padding-bottom: 1.5rem;
}
.st-key-cs-scripts { display: none; }
@media (min-width: 641px) {
  [data-testid="stHorizontalBlock"]:has(.st-key-cs-decision) { align-items: stretch; }
  [data-testid="stColumn"]:has(.st-key-cs-decision) { align-self: stretch; }
  [data-testid="stColumn"]:has(.st-key-cs-decision) > [data-testid="stVerticalBlock"] {
    height: 100%;
  }
  [data-testid="stLayoutWrapper"]:has(> .st-key-cs-decision) {
    position: sticky; top: 3.75rem; z-index: 2; align-self: flex-start; width: 100%;
  }
  .st-key-cs-decision { max-height: calc(100vh - 4.5rem); overflow-y: auto; }
}
@media (max-width: 640px) {
  .st-key-cs-hotkeys { display: none; }
  [data-testid="stHorizontalBlock"]:has(.st-key-cs-decision) {
    display: flex; flex-direction: column;
  }
  [data-testid="stHorizontalBlock"]:has(.st-key-cs-decision) > [data-testid="stColumn"],
  [data-testid="stHorizontalBlock"]:has(.st-key-cs-decision) > [data-testid="stColumn"]
    > [data-testid="stVerticalBlock"] {
    display: contents;
  }
  [data-testid="stLayoutWrapper"]:has(> .st-key-cs-head) { order: 1; }
  [data-testid="stLayoutWrapper"]:has(> .st-key-cs-ask) { order: 2; }
  [data-testid="stLayoutWrapper"]:has(> .st-key-cs-decision) { order: 3; }
  [data-testid="stLayoutWrapper"]:has(> .st-key-cs-listen) { order: 4; }
}
</style>"""

# The keyboard keys of the call screen. Installed once per browser tab; it finds the
# widgets by their container classes each time a key is pressed, so it keeps working
# across reruns and calls. ``e.code`` (not ``e.key``) so Option+letter on a Mac works.
HOTKEYS_JS = """<script>(() => {
  if (window.csHotkeys) return;
  window.csHotkeys = true;
  const doc = document;
  const q = (sel) => doc.querySelector(sel);
  const askBox = () => q(".st-key-cs-ask input[type=text]") ||
    q(".st-key-cs-listen button[data-testid=stBaseButton-secondary]:not([disabled])");
  const focusAsk = () => { const b = askBox(); if (b) b.focus({preventScroll: false}); };
  window.csFocusAsk = focusAsk;
  let armed = 0, banner = null;
  const disarm = () => { armed = 0; if (banner) { banner.remove(); banner = null; } };
  const arm = () => {
    armed = Date.now();
    if (!banner) {
      banner = doc.createElement("div");
      banner.id = "cs-confirm";
      banner.setAttribute("role", "alert");
      banner.textContent = "Submit this call? Press Alt+S again to submit, Esc to go back.";
      doc.body.appendChild(banner);
    }
    setTimeout(() => { if (armed && Date.now() - armed >= 6000) disarm(); }, 6100);
  };
  const dq = {KeyW: "weapon", KeyT: "threat", KeyM: "medical", KeyP: "police_only"};
  doc.addEventListener("keydown", (e) => {
    if (!q(".st-key-cs-decision")) { disarm(); return; }
    if (e.key === "Escape" && armed) { disarm(); e.preventDefault(); return; }
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const code = e.code;
    let done = true;
    if (code === "KeyQ") {
      focusAsk();
    } else if (dq[code]) {
      const box = q(".st-key-cs-dq-" + dq[code] + " input[type=checkbox]");
      if (box) box.click(); else done = false;
    } else if (/^Digit[1-4]$/.test(code)) {
      const want = code.slice(5);
      const btn = [...doc.querySelectorAll(".st-key-cs-priority button")]
        .find((b) => b.textContent.trim() === want);
      if (btn) btn.click(); else done = false;
    } else if (code === "KeyC") {
      const box = q(".st-key-cs-call-type input");
      if (box) { box.focus(); box.click(); } else done = false;
    } else if (code === "KeyR") {
      const radios = [...doc.querySelectorAll(".st-key-cs-route input[type=radio]")];
      const pick = radios.find((r) => r.checked) || radios[0];
      if (pick) { pick.focus(); if (!pick.checked) pick.click(); } else done = false;
    } else if (code === "KeyL") {
      const box = q(".st-key-cs-transcript-toggle input[type=checkbox]");
      if (box) box.click(); else done = false;
    } else if (code === "KeyS") {
      if (armed && Date.now() - armed < 6000) {
        disarm();
        const btn = q(".st-key-cs-submit button");
        if (btn) btn.click();
      } else {
        arm();
      }
    } else {
      done = false;
    }
    if (done) { e.preventDefault(); e.stopPropagation(); }
  }, true);
})();</script>"""

# Runs when its numbers change: a new call opens at the top with the question box ready;
# after each answer the focus goes back to the question box and the transcript shows
# its last line. {attempt} and {answers} are whole numbers.
_FOCUS_JS = """<script>(() => {{
  const call = {attempt}, answers = {answers};
  const main = document.querySelector("[data-testid=stMain]") ||
    document.querySelector("section.stMain");
  const fresh = window.csCall !== call;
  if (fresh) {{
    window.csCall = call;
    if (main) main.scrollTo(0, 0);
    window.scrollTo(0, 0);
  }}
  if (fresh || window.csAnswers !== answers) {{
    window.csAnswers = answers;
    let tries = 0;
    const settle = () => {{
      const log = document.querySelector(".st-key-cs-transcript");
      if (log) log.scrollTop = log.scrollHeight;
      const box = document.querySelector(".st-key-cs-ask input[type=text]");
      if (box) {{ box.focus({{preventScroll: true}}); }}
      else if (tries++ < 20) setTimeout(settle, 100);
    }};
    setTimeout(settle, 50);
  }}
}})();</script>"""


def _static() -> None:
    st.html(CALL_CSS)
    st.html(HOTKEYS_JS, unsafe_allow_javascript=True)


def _focus(attempt_id: int) -> None:
    answers = int(st.session_state.get(_k(attempt_id, "answers"), 0))
    st.html(
        _FOCUS_JS.format(attempt=int(attempt_id), answers=answers),
        unsafe_allow_javascript=True,
    )


# ------------------------------------------------------------------ the clock


# The call clock counts in the browser: a server-side rerun every second for every open
# call was most of a busy server's work (README, "What is slow"). The page fills in the
# time when it is drawn; the script only moves it on. Only numbers go into it. The
# server's call time leaves out the pauses (the screen closed, the line dropped).
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


@st.fragment(run_every=clock.HEARTBEAT_SECONDS)
def _heartbeat(actor: Actor, attempt_id: int) -> None:
    """While the call screen is open, the server hears from it every few seconds."""
    try:
        calls.keep_alive(actor=actor, attempt_id=attempt_id)
    except UserError:  # the call is gone (another tab submitted it): nothing to keep
        pass


# ------------------------------------------------------------------ pieces of the screen


def _header(view: dict, *, timed: bool) -> None:
    limit = view.get("time_limit_seconds") if timed else None
    render_call_header(
        view, lambda: _clock(view["attempt_id"], float(view["elapsed_seconds"]), limit)
    )


def _ask_box(actor: Actor, attempt_id: int) -> None:
    """One box: the trainee types a question in their own words, Enter asks it."""
    with st.form(_k(attempt_id, "ask-form"), clear_on_submit=True, border=False):
        cols = st.columns([5, 1], vertical_alignment="bottom", gap="small")
        cols[0].text_input(
            "Ask the caller (Alt+Q)",
            key=_k(attempt_id, "typed"),
            placeholder="Your question, in your own words",
            help="Ask as you would on the phone, then press Enter. Each question you ask "
            "is timed and counts towards your screening.",
        )
        cols[1].form_submit_button(
            "Ask", on_click=_on_typed, args=(actor, attempt_id), width="stretch"
        )
    error = st.session_state.pop(_k(attempt_id, "ask-error"), None)
    if error:
        st.warning(plain(error), icon=":material/edit_off:")


def _caller(actor: Actor, view: dict, attempt_id: int) -> None:
    speech_ok, speech_message = _speech_status()
    play = st.session_state.get(_k(attempt_id, "play"), "opening")
    autoplay = bool(st.session_state.pop(_k(attempt_id, "autoplay"), False))
    if _k(attempt_id, "seen") not in st.session_state:  # the call starts: the caller speaks
        st.session_state[_k(attempt_id, "seen")] = True
        autoplay = play == "opening"
    st.subheader("Caller", anchor=False)
    show = True
    if speech_ok:
        data = _clip(actor, attempt_id, play)
        if data:
            asked = st.session_state.get(_k(attempt_id, "play-label"), "")
            if play == "opening":
                heard = "the caller's opening"
            elif play.startswith("en:"):
                heard = f"the interpreter, on “{asked}”"
            else:
                heard = f"the answer to “{asked}”"
            st.caption(plain(f"Now playing: {heard}"))
            st.audio(data, format="audio/wav", autoplay=autoplay)
        else:
            st.caption("The caller's voice could not be played; read the transcript.")
        always = bool(view.get("always_transcript"))
        cols = st.columns(2)
        with cols[0].container(key="cs-transcript-toggle"):
            wanted = st.toggle(
                "Show transcript",
                key=_init(attempt_id, "transcript", view["mode"] == "guided" or always),
                help="Off, you listen as on a real call. Alt+L shows or hides it.",
            )
        cols[1].checkbox(
            "Always show transcripts",
            key=_init(attempt_id, "always", always),
            on_change=_on_always,
            args=(actor, attempt_id),
            help="Kept for you: every call then starts with the transcript shown.",
        )
        show = wanted or not data
    else:
        st.info(plain(speech_message), icon=":material/volume_off:")
    if show:
        render_transcript(view["opening"], view["transcript"], key="cs-transcript")


def _questions(actor: Actor, view: dict, attempt_id: int) -> None:
    st.subheader("Ask the caller", anchor=False)
    st.caption("Each question you ask is timed and counts towards your screening.")
    render_question_cards(
        view["questions"],
        {item["id"] for item in view["asked"]},
        key=lambda qid: _k(attempt_id, f"ask.{qid}"),
        on_click=_on_ask,
        args=lambda qid: (actor, attempt_id, qid),
    )


def _init(attempt_id: int, name: str, value) -> str:
    key = _k(attempt_id, name)
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def hotkey_legend() -> str:
    """The keys of the call screen as one line of Markdown (fixed words only)."""
    return "Keys: " + " · ".join(f"`{keys}` {what}" for keys, what in HOTKEYS)


def _hotkey_legend() -> None:
    with st.container(key="cs-hotkeys"):
        st.markdown(hotkey_legend())


def _hints(actor: Actor, attempt_id: int) -> None:
    """Guided calls: hints on what may have been missed, beside the question cards (the
    decision panel stays short enough to keep Submit in view)."""
    for hint in practice.guided_hints(actor=actor, attempt_id=attempt_id):
        st.info(plain(hint), icon=":material/lightbulb:")


def _decision(actor: Actor, view: dict, attempt_id: int) -> None:
    marks = view["marks"]
    st.markdown("#### Your decision")
    st.caption("Disqualifiers heard on this call")
    items = view["disqualifiers"]
    for index, item in enumerate(items):
        if index % 2 == 0:  # two to a row, in order also when a phone stacks them
            cols = st.columns(2, gap="small")
        key = _init(attempt_id, f"dq.{item['code']}", item["code"] in marks["disqualifiers"])
        with cols[index % 2].container(key=f"cs-dq-{item['code']}"):
            st.checkbox(
                plain(item["label"]),
                key=key,
                help=plain(item["description"])
                + (
                    f" (Alt+{DISQUALIFIER_KEYS[item['code']]})"
                    if item["code"] in DISQUALIFIER_KEYS
                    else ""
                ),
                on_change=_on_disqualifier,
                args=(actor, attempt_id, item["code"]),
            )
    labels = {c["code"]: c["label"] for c in view["call_types"]}
    key = _init(
        attempt_id, "call_type", marks["call_type"] if marks["call_type"] in labels else None
    )
    with st.container(key="cs-call-type"):
        st.selectbox(
            "Call type",
            options=list(labels),
            format_func=lambda code: labels.get(code, code),
            key=key,
            placeholder="Choose the final call type (type to search)",
            on_change=_on_mark,
            args=(actor, attempt_id, "call_type"),
        )
    key = _init(attempt_id, "priority", marks["priority"])
    with st.container(key="cs-priority"):
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
    with st.container(key="cs-route"):
        st.radio(
            "Send the call to",
            options=list(routes),
            format_func=lambda code: plain(routes.get(code, code)),
            key=key,
            on_change=_on_mark,
            args=(actor, attempt_id, "disposition"),
            help="Only the routes your agency has at the time of this call are listed.",
        )
    error = st.session_state.pop(_k(attempt_id, "error"), None)
    if error:
        st.error(plain(error))
    with (
        st.container(key="cs-submit"),
        st.form(_k(attempt_id, "submit-form"), border=False),
    ):
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
        calls.keep_alive(actor=actor, attempt_id=attempt_id)  # back after a pause: say so
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
    with st.container(key="cs-scripts"):  # styles, keys, focus and heartbeat: nothing shown
        _static()
        _focus(attempt_id)
        _heartbeat(actor, attempt_id)
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
                _hints(actor, attempt_id)
        with st.container(key="cs-listen"):
            _caller(actor, view, attempt_id)
            if not view["typed"]:
                _questions(actor, view, attempt_id)
    with right, st.container(key="cs-decision", border=True):
        _decision(actor, view, attempt_id)
    return None
