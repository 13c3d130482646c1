"""The call screen's fixed style sheet and scripts, its keyboard keys, and the players of
an answer (the caller, then the interpreter once one is on the line, one after the other).

No text from a scenario, a trainer or a trainee ever goes into the style sheet or the
scripts: they hold numbers (the attempt id, counts) and fixed words only.
"""

from __future__ import annotations

import streamlit as st

from app.ui.call_actions import state_key

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

# The call screen's layout. Streamlit gives a container made with ``key="cs-x"`` the
# class ``st-key-cs-x``. Wide screens: the decision column stays in view (sticky) while
# the page scrolls. Phones (one column): the question box, then the decision, then the
# caller and the transcript, with Submit fixed at the bottom of the screen (the page leaves
# room for it, so nothing focused or read hides behind it). Fixed text only.
CALL_CSS = """<style>
.st-key-cs-decision { gap: 0.55rem; }
.st-key-cs-decision h4 { padding: 0 0 0.25rem 0; }
.st-key-cs-decision [data-testid="stRadio"] [role="radiogroup"] label {
  margin-bottom: 0; min-height: 1.5rem; padding-top: 0; padding-bottom: 0;
}
.st-key-cs-ask { gap: 0.4rem; }
.st-key-cs-dqs > * { flex: 1 1 calc(50% - 0.5rem); min-width: 0; }
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
  .st-key-cs-submit {
    position: fixed; left: 0; right: 0; bottom: 0; z-index: 999990;
    padding: 0.5rem 1rem calc(0.5rem + env(safe-area-inset-bottom)) 1rem;
    background: #ffffff; box-shadow: 0 -2px 10px rgba(0, 0, 0, 0.18);
  }
  [data-testid="stMainBlockContainer"]:has(.st-key-cs-decision) { padding-bottom: 6rem; }
  [data-testid="stMain"]:has(.st-key-cs-decision) { scroll-padding-bottom: 6rem; }
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

# The players of one answer, in order (:func:`render_players`): once the interpreter is on
# the line, the caller's own words, then the interpreter's English. Installed once per tab;
# it listens on the document (``play`` and ``ended`` do not bubble, so in the capture
# phase), so it keeps working when Streamlit redraws or reuses the players. One voice at
# a time: a clip that starts pauses the others of the answer, and the next clip starts
# when one ends (so the interpreter follows the caller, never over them).
PLAYER_JS = """<script>(() => {
  if (window.csPlayer) return;
  window.csPlayer = true;
  const doc = document;
  const inOrder = (el) => {
    const box = el instanceof HTMLMediaElement && el.closest(".st-key-cs-clips");
    return box ? [...box.querySelectorAll("audio")] : [];
  };
  doc.addEventListener("play", (e) => {
    inOrder(e.target).forEach((a) => { if (a !== e.target && !a.paused) a.pause(); });
  }, true);
  doc.addEventListener("ended", (e) => {
    const all = inOrder(e.target);
    const at = all.indexOf(e.target);
    const next = at >= 0 ? all[at + 1] : null;
    if (next) {
      next.currentTime = 0;
      const started = next.play();
      if (started) started.catch(() => {});
    }
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


# One element for the three: each element is a message on every rerun of the screen.
_STATIC_HTML = CALL_CSS + HOTKEYS_JS + PLAYER_JS


def render_static() -> None:
    """The style sheet, the keys' script and the players' script, as one element (each
    script installs itself once per tab; the style sheet applies from a hidden box)."""
    st.html(_STATIC_HTML, unsafe_allow_javascript=True)


def voice_of(item: str) -> str:
    """Who speaks an audio item: ``en:<id>`` is the interpreter, anything else the caller."""
    return "the interpreter" if item.startswith("en:") else "the caller"


def now_playing(items: list[str], asked: str) -> str:
    """What the trainee hears, in plain words: ``items`` are the clips played, in order;
    ``asked`` is the question they answer (the trainee's words, shown as written)."""
    if items == ["opening"]:
        return "Now playing: the caller's opening"
    voices = [voice_of(item) for item in items]
    if voices == ["the caller"]:
        return f"Now playing: the answer to “{asked}”"
    return f"Now playing: {', then '.join(voices)}, on “{asked}”"


def render_players(clips: list[tuple[str, str | bytes]], *, autoplay: bool) -> None:
    """One player per clip of the answer, in the order they are heard (``(item, link to
    the clip or its WAV bytes)``). Only the first starts by itself (when ``autoplay``);
    :data:`PLAYER_JS` starts each next one when the one before it ends. With more than
    one, each player says whose voice it is (fixed words)."""
    with st.container(key="cs-clips"):
        for index, (item, data) in enumerate(clips):
            if len(clips) > 1:
                st.caption(f"{'Then' if index else 'First'}: {voice_of(item)}")
            st.audio(data, format="audio/wav", autoplay=autoplay and index == 0)


def render_focus(attempt_id: int) -> None:
    """Focus and scroll after a new call or a new answer (numbers only go in)."""
    answers = int(st.session_state.get(state_key(attempt_id, "answers"), 0))
    st.html(
        _FOCUS_JS.format(attempt=int(attempt_id), answers=answers),
        unsafe_allow_javascript=True,
    )


def hotkey_legend() -> str:
    """The keys of the call screen as one line of Markdown (fixed words only)."""
    return "Keys: " + " · ".join(f"`{keys}` {what}" for keys, what in HOTKEYS)
