"""Equity audit: does police routing differ between the two versions of the same call?"""

from typing import Literal

import altair as alt
import pandas as pd
import streamlit as st

from app.core import analytics
from app.services import review
from app.services.access import Actor
from app.store.db import database_url
from app.ui.session import page_actor
from app.ui.tables import behind, csv_button

actor = page_actor("analytics")

MIN_PAIRS = analytics.MIN_PAIRS_FOR_EQUITY_FLAG  # pairs a trainee needs to be flagged
MIN_PAIRS_COHORT = analytics.MIN_PAIRS_FOR_COHORT_FLAG
MIN_TRAINEES = analytics.MIN_TRAINEES_FOR_EQUITY_FLAG  # trainees the cohort flag needs
CHART_ROWS = 30  # trainees drawn in the chart (the table has everyone)


@st.cache_data(ttl=60, max_entries=32, show_spinner="Comparing twin calls…")
def load(who: Actor, db: str) -> review.EquityView:
    # Keyed by the actor (agency, role) and the database.
    return review.equity_audit(actor=who, min_pairs=MIN_PAIRS, min_pairs_cohort=MIN_PAIRS_COHORT)


def points(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{value * 100:+.0f} points"


st.title("Equity audit")
st.caption(
    "Twin calls are the same call told twice with one detail changed that must not change "
    "the route — who the caller is, the neighbourhood, a name. When a trainee takes both "
    "versions, any difference in how often they send police is a warning sign of bias."
)
view = load(actor, database_url())
cohort = view.cohort

if not cohort["pairs"]:
    st.info(
        "No trainee has taken both versions of a twin call yet. Twins come from the call "
        "generator (Generate calls, with twins) and appear in practice like any other call."
    )
    st.stop()

cols = st.columns(4)
cols[0].metric("Twin pairs", cohort["pairs"], help="A trainee who took both versions.", border=True)
cols[1].metric("Trainees with pairs", cohort["trainees"], border=True)
cols[2].metric(
    "Cohort difference (a − b)",
    points(cohort["mean_diff"]),
    help="How much more often version a went to police than version b, on average.",
    border=True,
)
cols[3].metric(
    "Trainees flagged",
    f"{cohort['trainees_flagged']} of {cohort['trainees_tested']}",
    help=f"Out of the trainees with at least {MIN_PAIRS} pairs.",
    border=True,
)

if cohort["low"] is None:
    st.info("Too few trainees with pairs for a cohort interval yet.")
elif not cohort["judged"]:
    st.info(
        f"Not judged yet: the cohort is only flagged with at least {MIN_PAIRS_COHORT} pairs "
        f"from {MIN_TRAINEES} trainees (so far {cohort['pairs']} from {cohort['trainees']}). "
        f"95 % interval for now: {points(cohort['low'])} to {points(cohort['high'])}."
    )
elif cohort["flagged"]:
    st.warning(
        f"Across the cohort, version a went to police {points(cohort['mean_diff'])} "
        f"(95 % interval {points(cohort['low'])} to {points(cohort['high'])}) compared with "
        "version b. The interval does not include zero: look at which twins and trainees "
        "drive it.",
        icon=":material/warning:",
    )
else:
    st.success(
        f"No difference the data can show across the cohort: 95 % interval "
        f"{points(cohort['low'])} to {points(cohort['high'])} includes zero "
        f"({cohort['pairs']} pairs).",
        icon=":material/check_circle:",
    )

st.subheader("Difference in police routing, version a minus version b")
table = view.per_trainee
tested = table[table["pairs"] >= MIN_PAIRS]
few = table[(table["pairs"] < MIN_PAIRS) & (table["pairs"] >= 2)]
if tested.empty:
    st.caption(f"No trainee has {MIN_PAIRS} twin pairs yet; they are shown in light grey.")


def most_extreme(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(extreme=frame["mean_diff"].abs()).sort_values("extreme", ascending=False)


shown = pd.concat(
    [
        tested[tested["flagged"]].assign(status="Flagged"),
        most_extreme(tested[~tested["flagged"]]).assign(status="Not flagged"),
        most_extreme(few).assign(status=f"Fewer than {MIN_PAIRS} pairs"),
    ]
).head(CHART_ROWS)
rows = pd.DataFrame(
    {
        "who": ["Whole cohort"] + shown["name"].tolist(),
        "mean": [cohort["mean_diff"]] + shown["mean_diff"].tolist(),
        "low": [cohort["low"]] + shown["low"].tolist(),
        "high": [cohort["high"]] + shown["high"].tolist(),
        "pairs": [cohort["pairs"]] + shown["pairs"].tolist(),
        "status": ["Cohort, flagged" if cohort["flagged"] else "Cohort"] + shown["status"].tolist(),
    }
).dropna(subset=["mean"])
order = rows["who"].tolist()
palette = {
    "Cohort": "#1f77b4",
    "Cohort, flagged": "#d62728",
    "Flagged": "#d62728",
    "Not flagged": "#6b6b6b",
    f"Fewer than {MIN_PAIRS} pairs": "#c4c4c4",
}
present = [s for s in palette if s in set(rows["status"])]
base = alt.Chart(rows).encode(
    y=alt.Y("who:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
    color=alt.Color(
        "status:N",
        scale=alt.Scale(domain=present, range=[palette[s] for s in present]),
        legend=alt.Legend(title=None, orient="top"),
    ),
    tooltip=[
        alt.Tooltip("who:N", title="Who"),
        alt.Tooltip("pairs:Q", title="Pairs"),
        alt.Tooltip("mean:Q", title="Difference", format="+.0%"),
        alt.Tooltip("low:Q", title="95 % low", format="+.0%"),
        alt.Tooltip("high:Q", title="95 % high", format="+.0%"),
    ],
)
whiskers = base.mark_errorbar(ticks=True, thickness=2).encode(
    x=alt.X(
        "low:Q",
        title="Share sent to police, version a minus version b (95 % interval)",
        scale=alt.Scale(domain=[-1, 1]),
        axis=alt.Axis(format="+%", values=[-1, -0.5, 0, 0.5, 1]),
    ),
    x2="high:Q",
)
dots = base.mark_point(filled=True, size=90).encode(x="mean:Q")
zero = (
    alt.Chart(pd.DataFrame({"x": [0.0]}))
    .mark_rule(color="#31333f", strokeDash=[4, 3])
    .encode(x="x:Q")
)


def side_note(x: float, text: str, align: Literal["left", "center", "right"]):
    frame = pd.DataFrame({"x": [x], "text": [text]})
    return (
        alt.Chart(frame)
        .mark_text(align=align, baseline="bottom", dy=-4, color="#8c8c8c", fontSize=11)
        .encode(x="x:Q", y=alt.value(0), text="text:N")
    )


hints = side_note(-0.98, "← version b sent to police more", "left") + side_note(
    0.98, "version a sent to police more →", "right"
)

height = 60 + 34 * len(rows)
st.altair_chart((zero + whiskers + dots + hints).properties(height=height), width="stretch")
st.caption(
    f"Each row is a mean over that trainee's pairs with a 95 % t interval. A trainee is flagged "
    f"when they have at least {MIN_PAIRS} pairs, the interval excludes zero and an exact sign "
    f"test on the pairs that differ agrees (p < 0.05). The cohort interval allows for pairs of "
    f"one trainee being alike (cluster-robust) and is judged from {MIN_PAIRS_COHORT} pairs "
    f"by at least {MIN_TRAINEES} trainees. "
    f"With many trainees a few flags arise by chance (about one in twenty intervals misses), "
    f"so treat a flag as a reason to listen to the calls, not as a finding."
    + (
        f" The chart shows {len(shown)} of {len(table)} trainees."
        if len(table) > len(shown)
        else ""
    )
)

st.subheader("Every trainee with twin pairs")
people = pd.DataFrame(
    {
        "Trainee": table["name"],
        "Pairs": table["pairs"],
        "Difference (points)": (table["mean_diff"] * 100).round(1),
        "95 % low": (table["low"] * 100).round(1),
        "95 % high": (table["high"] * 100).round(1),
        "Only a to police": table["a_only"],
        "Only b to police": table["b_only"],
        "Sign test p": table["p_value"],
        "Flagged": table["flagged"],
    }
)
st.dataframe(
    people,
    hide_index=True,
    column_config={
        "Difference (points)": st.column_config.NumberColumn(
            format="%+.0f", help="Share of version a sent to police minus share of version b."
        ),
        "95 % low": st.column_config.NumberColumn(format="%+.0f"),
        "95 % high": st.column_config.NumberColumn(format="%+.0f"),
        "Sign test p": st.column_config.NumberColumn(format="%.3f"),
    },
)
csv_button(people, "equity-audit", "equity.csv")

with st.expander("Attempts behind these numbers"):
    names = {
        u: f"{n} ({p} pairs)"
        for u, n, p in zip(table["user_id"], table["name"], table["pairs"], strict=True)
    }
    uid = st.selectbox("Trainee", list(names), format_func=lambda u: names[u], key="equity.trainee")
    pairs = view.pairs[view.pairs["user_id"] == uid].rename(
        columns={"police_a": "police share a", "police_b": "police share b"}
    )
    st.caption("Their pairs (1 = sent to police, 0 = not):")
    st.dataframe(pairs.drop(columns=["user_id"]), hide_index=True)
    csv_button(pairs, f"twin-pairs-{uid}", "equity.pairs.csv")
    calls = behind(actor, database_url(), "twin", {"user_id": int(uid)})
    st.caption(f"Their calls on twins, newest first (at most {review.BEHIND_LIMIT}):")
    st.dataframe(calls.drop(columns=["user_id"]), hide_index=True)
    csv_button(calls, f"twin-calls-{uid}", "equity.calls.csv")
