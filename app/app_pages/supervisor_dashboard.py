"""Cohort: progress towards certification, pass rate with its trend, and who is stuck."""

import pandas as pd
import streamlit as st

from app.core.analytics import STAGE_HELP, STAGES
from app.core.plain_words import plural
from app.services import review
from app.services.access import Actor
from app.store.db import database_url
from app.ui.charts import N, Q, T, layered, tip
from app.ui.plain_tables import attempt_table, stuck_reasons, words
from app.ui.records import records_download
from app.ui.session import page_actor
from app.ui.tables import behind, csv_button, folded

actor = page_actor("analytics")
WORDS = words(actor, actor.agency_id)

TRAINEE_KEY = "review.trainee_id"  # read by the Trainee review page
STAGE_LABELS = {
    "not started": "Not started",
    "lessons": "Lessons",
    "practice": "Practice",
    "exam passed": "Exam passed",
    "certified": "Certified",
}
STAGE_COLORS = ["#c7d2dc", "#9ecae1", "#4292c6", "#2171b5", "#2ca25f"]


@st.cache_data(ttl=60, max_entries=32, show_spinner="Counting the cohort…")
def load_overview(who: Actor, db: str) -> review.CohortOverview:
    # Keyed by the actor (agency, role) and the database, so nothing leaks between them.
    return review.cohort_overview(actor=who)


def pct(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.0%}"


def trainee_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The trainee table as people read it (and as the CSV holds it)."""
    return pd.DataFrame(
        {
            "Trainee": frame["name"],
            "User name": frame["username"],
            "Stage": frame["stage"].map(STAGE_LABELS),
            "Readiness": (frame["readiness"] * 100).round(),
            "Lessons passed": frame["modules_passed"],
            "Attempts": frame["attempts"],
            "Pass rate": (frame["pass_rate"].astype(float) * 100).round(),
            "Unsafe": frame["unsafe"],
            "Over-routed": frame["over_routed"],
            "Last practice": frame["last_at"],
            "Why stuck": frame["reasons"].map(lambda text: stuck_reasons(text, WORDS)),
        }
    )


TRAINEE_COLUMNS = {
    "Readiness": st.column_config.ProgressColumn(
        "Readiness",
        min_value=0,
        max_value=100,
        format="%d%%",
        help="Half lessons passed, half passed practice calls towards the target.",
    ),
    "Pass rate": st.column_config.NumberColumn("Pass rate", format="%d%%"),
    "Last practice": st.column_config.DatetimeColumn("Last practice", format="YYYY-MM-DD"),
}

st.title("Cohort")
st.caption(
    "Where your trainees are on the way to certification, how often their practice calls "
    "pass, and who needs a word from you. Figures refresh every minute."
)
records_download(actor)  # training records for the records system (docs/records-export.md)

view = load_overview(actor, database_url())
summary = view.summary
if summary["trainees"] == 0:
    st.info("Your agency has no trainees yet. An administrator adds them under Users.")
    st.stop()

cols = st.columns(4)
cols[0].metric(
    "Trainees",
    summary["trainees"],
    help=f"{summary['active']} practised in the last 14 days.",
    border=True,
)
cols[1].metric("Certified", summary["certified"], border=True)
slope = summary.get("trend_per_week")
cols[2].metric(
    "Pass rate (all practice)",
    pct(summary["pass_rate"]),
    delta=None if slope is None else f"{slope * 100:+.1f} points a week",
    help="Passed calls out of submitted calls. The change is the slope of the weekly trend line.",
    border=True,
)
cols[3].metric(
    "Stuck",
    summary["stuck"],
    help="Trainees matching at least one rule under “Who is stuck”.",
    border=True,
)

left, right = st.columns([2, 3], gap="large")

with left:
    st.subheader("Towards certification")
    stages = view.stages.assign(label=view.stages["stage"].map(STAGE_LABELS))
    order = [STAGE_LABELS[s] for s in STAGES]
    bars = {
        "y": {"field": "label", "type": N, "sort": order, "title": None},
        "x": {"field": "trainees", "type": Q, "title": "Trainees", "axis": {"tickMinStep": 1}},
        "color": {
            "field": "label",
            "type": N,
            "scale": {"domain": order, "range": STAGE_COLORS},
            "legend": None,
        },
        "tooltip": [tip("label", N, "Stage"), tip("trainees", Q, "Trainees")],
    }
    layered(
        stages,
        {"mark": {"type": "bar", "cornerRadiusEnd": 3}, "encoding": bars},
        {
            "mark": {"type": "text", "align": "left", "dx": 4, "color": "#31333f"},
            "encoding": {
                **bars,
                "text": {"field": "trainees", "type": Q},
                "color": {"value": "#31333f"},
            },
        },
        height=220,
    )
    box = folded("Trainees behind these numbers", key="cohort.stage.open")
    if box.open:
        with box:
            stage = st.selectbox(
                "Stage",
                list(STAGES),
                format_func=lambda s: f"{STAGE_LABELS[s]} — {STAGE_HELP[s]}",
                key="cohort.stage",
            )
            in_stage = trainee_rows(view.trainees[view.trainees["stage"] == stage])
            st.dataframe(in_stage, hide_index=True, column_config=TRAINEE_COLUMNS)
            csv_button(in_stage, f"trainees-{stage.replace(' ', '-')}", "cohort.stage.csv")

with right:
    st.subheader("Pass rate by week")
    weekly = view.weekly
    if weekly.empty:
        st.info("No practice calls have been submitted yet.")
    else:
        data = weekly.assign(week=pd.to_datetime(weekly["week"]))
        week = {"field": "week", "type": T, "title": None, "axis": {"format": "%b %d"}}
        volume = {
            "mark": {"type": "bar", "color": "#dde5ed", "size": 16},
            "encoding": {
                "x": week,
                "y": {
                    "field": "attempts",
                    "type": Q,
                    "title": "Calls per week",
                    "axis": {"orient": "right", "titleColor": "#8c9aa8", "grid": False},
                },
            },
        }
        rate_line = {
            "mark": {"type": "line", "point": True, "color": "#1f77b4"},
            "encoding": {
                "x": week,
                "y": {
                    "field": "pass_rate",
                    "type": Q,
                    "title": "Pass rate",
                    "axis": {"format": "%", "titleColor": "#1f77b4"},
                    "scale": {"domain": [0, 1]},
                },
                "tooltip": [
                    tip("week", T, "Week of", "%Y-%m-%d"),
                    tip("attempts", Q, "Calls"),
                    tip("passes", Q, "Passed"),
                    tip("pass_rate", Q, "Pass rate", ".0%"),
                ],
            },
        }
        trend = {
            "mark": {"type": "line", "strokeDash": [6, 4], "color": "#ff7f0e"},
            "encoding": {
                "x": week,
                "y": {"field": "trend", "type": Q, "scale": {"domain": [0, 1]}, "axis": None},
            },
        }
        # Three y scales: calls (right axis), pass rate (left) and its trend on the same 0-1.
        layered(data, volume, rate_line, trend, height=260, resolve={"scale": {"y": "independent"}})
        st.caption(
            "Blue: weekly pass rate (left axis). Dashed: its straight-line trend. "
            "Grey bars: calls per week (right axis)."
        )
        box = folded("Attempts behind this chart", key="cohort.week.open")
        if box.open:
            with box:
                weeks = list(reversed(weekly.to_dict("records")))
                options = ["failed", "passed", *range(len(weeks))]
                picked = st.selectbox(
                    "Calls",
                    options,
                    format_func=lambda i: (
                        f"Failed calls, all weeks ({summary['attempts'] - summary['passes']})"
                        if i == "failed"
                        else f"Passed calls, all weeks ({summary['passes']})"
                        if i == "passed"
                        else f"Week of {weeks[i]['week']} — {plural(weeks[i]['attempts'], 'call')}, "
                        f"{pct(weeks[i]['pass_rate'])} passed"
                    ),
                    index=2,
                    key="cohort.week",
                )
                if picked in ("failed", "passed"):
                    rows, name = behind(actor, database_url(), picked, None), f"attempts-{picked}"
                else:
                    week = weeks[picked]
                    rows = behind(actor, database_url(), "week", {"week": week["week"]})
                    name = f"attempts-week-{week['week']}"
                st.caption(f"Newest first, at most {review.BEHIND_LIMIT} calls.")
                shown = attempt_table(rows, WORDS)
                st.dataframe(shown, hide_index=True)
                csv_button(shown, name, "cohort.week.csv")

st.subheader("Who is stuck")
rules = view.rules
st.caption(
    f"A trainee is listed when any rule holds: no practice for {rules.inactive_days} days or more; "
    f"at least {rules.min_attempts} calls with a pass rate under {rules.low_pass_rate:.0%} in the "
    f"last {rules.recent_days} days and no gain of {rules.min_gain:.0%} over before; or the same "
    f"disqualifier missed {rules.repeat_misses} times or more in the last {rules.recent_days} days."
)
stuck = view.trainees[view.trainees["stuck"]]
if stuck.empty:
    st.success("Nobody is stuck right now.")
else:
    stuck_rows = trainee_rows(stuck)
    picked = st.dataframe(
        stuck_rows[["Trainee", "Why stuck", "Attempts", "Pass rate", "Last practice", "Readiness"]],
        hide_index=True,
        column_config=TRAINEE_COLUMNS,
        on_select="rerun",
        selection_mode="single-row",
        key="cohort.stuck",
    )
    chosen = picked.selection.rows if picked is not None else []
    actions = st.columns([1, 1, 4])
    with actions[0]:
        csv_button(stuck_rows, "stuck-trainees", "cohort.stuck.csv")
    if chosen:
        with actions[1]:
            if st.button("Review this trainee", icon=":material/person_search:"):
                st.session_state[TRAINEE_KEY] = int(stuck.iloc[chosen[0]]["user_id"])
                st.switch_page("app_pages/supervisor_trainee.py")
    else:
        actions[2].caption("Select a row to open that trainee's calls.")

box = folded(f"All trainees ({summary['trainees']})", key="cohort.all.open")
if box.open:
    with box:
        everyone = trainee_rows(view.trainees)
        st.dataframe(everyone, hide_index=True, column_config=TRAINEE_COLUMNS)
        csv_button(everyone, "trainees", "cohort.all.csv")
