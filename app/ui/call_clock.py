"""The call clock (counted in the browser) and the heartbeat that keeps call time honest."""

from __future__ import annotations

import streamlit as st

from app.errors import UserError
from app.services.access import Actor
from app.services.practice import call as calls
from app.services.practice import clock


def _mmss(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


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


def render_clock(attempt_id: int, elapsed: float, limit: int | None) -> None:
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


_JUST_SEEN = "call{}.just_seen"  # set by a full run of the screen, read by the fragment


def seen_this_run(attempt_id: int) -> None:
    """The screen's full run has just told the server it is there: the heartbeat that
    runs inside this same run need not say it again (its own timed runs still do)."""
    st.session_state[_JUST_SEEN.format(attempt_id)] = True


@st.fragment(run_every=clock.HEARTBEAT_SECONDS)
def heartbeat(actor: Actor, attempt_id: int) -> None:
    """While the call screen is open, the server hears from it every few seconds."""
    if st.session_state.pop(_JUST_SEEN.format(attempt_id), False):
        return  # a full run of the call screen: it told the server already
    try:
        calls.keep_alive(actor=actor, attempt_id=attempt_id)
    except UserError:  # the call is gone (another tab submitted it): nothing to keep
        pass
