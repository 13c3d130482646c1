"""Trainer and supervisor: item analysis of the scenario bank (like Moodle's quiz statistics)."""

import pandas as pd
import streamlit as st

from app.core import item_stats
from app.services import authoring
from app.services.authoring.items import ItemAnalysisRow
from app.settings import get_settings
from app.ui.local_time import shown
from app.ui.session import page_actor

actor = page_actor("item_analysis")
st.title("Item analysis")

with st.expander("How these numbers are worked out", expanded=False):
    st.markdown(
        f"""
- **Facility** — the mean score on the scenario, from 0 (nobody earned anything) to 1
  (everybody earned everything). Above {item_stats.TOO_EASY} it is probably too easy;
  below {item_stats.TOO_HARD}, too hard.
- **Discrimination** — the correlation, across trainees, between their score on this
  scenario and their mean score on all the others (their *rest-of-bank* score). High
  means trainees who do well elsewhere also do well here. It needs at least
  {item_stats.MIN_FOR_DISCRIMINATION} trainees who also tried other scenarios.
- **Dubious** — discrimination below {item_stats.DUBIOUS_BELOW} (negative included).
- **Perhaps miskeyed** — discrimination is negative, or at least half of the strongest
  third of trainees (by rest-of-bank score; everyone tied with the last of them counts
  too) chose the same wrong route or call type.
- **No hint on too little evidence** — a scenario gets no hint and no *dubious* mark
  until it has {item_stats.MIN_ATTEMPTS_FOR_ITEM_FLAG} attempts from
  {item_stats.MIN_TRAINEES_FOR_ITEM_FLAG} trainees; *dubious* and *perhaps miskeyed* also
  need {item_stats.MIN_TRAINEES_FOR_ITEM_FLAG} of them to have tried other scenarios.
- Each version of a scenario is its own item (a new version may have a new key).
  Attempts in guided mode are left out: hints were on screen.
"""
    )

dubious_only = st.toggle("Only dubious scenarios", key="items.dubious")


@st.cache_data(ttl=60, max_entries=8, show_spinner="Working out the statistics…")
def _items(
    _actor, user_id: int, database: str, dubious_only: bool, version
) -> list[ItemAnalysisRow]:
    # ``version`` (when the stored statistics were worked out, and how many attempts came
    # in since) is part of the key: a refresh or a new attempt shows at once.
    return authoring.item_analysis(actor=_actor, dubious_only=dubious_only)


def _when(stamp) -> str:
    return shown(stamp, "%d %b %Y, %H:%M")


@st.fragment(run_every=3)
def _wait_for_refresh(as_of) -> None:
    """While a background refresh runs, look every few seconds; show the new figures."""
    latest = authoring.item_analysis_status(actor=actor)
    if latest.computed_at != as_of or not latest.refreshing:
        st.rerun(scope="app")


status = authoring.item_analysis_status(actor=actor)
version = (status.computed_at, status.fresh, status.new_attempts)
rows = _items(actor, actor.user_id, get_settings().effective_database_url, dubious_only, version)
if not status.fresh:  # the service may just have worked them out, or started a refresh
    status = authoring.item_analysis_status(actor=actor)
if status.computed_at is not None:
    said = f"Worked out {_when(status.computed_at)} from {status.attempts:,} attempt(s)" + (
        f" in {status.seconds:.1f} s." if status.seconds is not None else "."
    )
    if status.fresh:
        said += " No attempt has come in since."
    elif status.refreshing:
        said += (
            f" {status.new_attempts:,} attempt(s) came in since: they are being worked in "
            "now, and this page shows the new figures when that is done."
        )
    else:
        said += f" {status.new_attempts:,} attempt(s) came in since."
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption(said)
    if right.button(
        "Work out again now",
        icon=":material/refresh:",
        disabled=status.fresh or status.refreshing,
        help="Reads every graded attempt again; on a big bank this takes a few seconds.",
    ):
        with st.spinner("Working out the statistics from every graded attempt…"):
            authoring.refresh_item_analysis(actor=actor)
        st.rerun()
    if status.refreshing:
        _wait_for_refresh(status.computed_at)

if not rows:
    st.info("No graded attempts yet." if not dubious_only else "No dubious scenario. Good.")
    st.stop()


def _wrong(code: str | None, count: int) -> str:
    return f"{code} ({count})" if code else ""


st.caption(f"{len(rows)} scenario version(s) with graded attempts.")
st.dataframe(
    pd.DataFrame(
        {
            "Id": [r["key"] for r in rows],
            "Version": [r["version"] for r in rows],
            "Current": [r["current"] for r in rows],
            "Title": [r["title"] for r in rows],
            "Status": [r["status"] for r in rows],
            "Attempts": [r["attempts"] for r in rows],
            "Trainees": [r["trainees"] for r in rows],
            "Facility": [r["facility"] for r in rows],
            "Discrimination": [r["discrimination"] for r in rows],
            "Dubious": [r["dubious"] for r in rows],
            "Most common wrong route": [
                _wrong(r["wrong_disposition"], r["wrong_disposition_count"]) for r in rows
            ],
            "Most common wrong call type": [
                _wrong(r["wrong_call_type"], r["wrong_call_type_count"]) for r in rows
            ],
            "Hint": [" ".join(r["hints"]) for r in rows],
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "Facility": st.column_config.NumberColumn(format="%.2f"),
        "Discrimination": st.column_config.NumberColumn(format="%.2f"),
    },
)

flagged = [r for r in rows if r["hints"]]
SHOWN = 25
if flagged:
    st.subheader("What to look at", anchor=False)
    if len(flagged) > SHOWN:
        st.caption(f"The first {SHOWN} of {len(flagged)}; the table lists them all.")
    for r in flagged[:SHOWN]:
        with st.container(border=True):
            st.text(f"{r['key']} (version {r['version']}): {r['title']}")
            for hint in r["hints"]:
                st.warning(hint, icon=":material/lightbulb:")
