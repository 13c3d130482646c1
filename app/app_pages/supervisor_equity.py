"""Equity audit: does police routing differ between the two versions of the same call?"""

from typing import Literal

import pandas as pd
import streamlit as st

from app.core import analytics
from app.services import review
from app.services.access import Actor
from app.store.db import database_url
from app.ui.charts import N, Q, layered, tip
from app.ui.session import page_actor
from app.ui.tables import behind, csv_button, folded

actor = page_actor("analytics")

MIN_PAIRS = analytics.MIN_PAIRS_FOR_EQUITY_FLAG  # pairs a trainee needs to be flagged
MIN_PAIRS_COHORT = analytics.MIN_PAIRS_FOR_COHORT_FLAG
MIN_TRAINEES = analytics.MIN_TRAINEES_FOR_EQUITY_FLAG  # trainees the cohort flag needs
CHART_ROWS = 30  # trainees drawn in the chart (the table has everyone)


@st.cache_data(ttl=60, max_entries=32, show_spinner="Comparing twin calls…")
def load(who: Actor, db: str) -> review.EquityView:
    # Keyed by the actor (agency, role) and the database.
    return review.equity_audit(actor=who, min_pairs=MIN_PAIRS, min_pairs_cohort=MIN_PAIRS_COHORT)


@st.cache_data(ttl=600, max_entries=32, show_spinner="Reading the twin calls…")
def differences(who: Actor, db: str, pairs: tuple[tuple[str, int, int], ...]) -> dict[str, str]:
    return review.twin_differences(actor=who, pairs=pairs)


def points(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{value * 100:+.0f} points"


def share(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{value * 100:.0f} %"


st.title("Equity audit")
st.caption(
    "Twin calls are the same call told twice, as version a and version b, with only who "
    "the people are changed: their names, the neighbourhood, the caller's voice. Those "
    "details must not change where the call is sent. When a trainee takes both versions, "
    "any difference in how often they send police is a warning sign of bias."
)
view = load(actor, database_url())
cohort = view.cohort

if not cohort["pairs"]:
    st.info(
        "No trainee has taken both versions of a twin call yet. Twins come from the call "
        "generator (Generate calls, with twins) and appear in practice like any other call."
    )
    st.stop()

# One verdict, and it agrees with the flags below it.
verdict = view.verdict or analytics.equity_verdict(cohort, view.per_trainee)
show = {"flagged": st.warning, "too_little": st.info, "clear": st.success}[verdict.kind]
icon = {
    "flagged": ":material/warning:",
    "too_little": ":material/hourglass_empty:",
    "clear": ":material/check_circle:",
}[verdict.kind]
show(f"**{verdict.headline}** {verdict.detail}", icon=icon)

cols = st.columns(4)
cols[0].metric(
    "Twin pairs taken",
    cohort["pairs"],
    help="One pair: one trainee took both versions of one twin call.",
    border=True,
)
cols[1].metric("Trainees with pairs", cohort["trainees"], border=True)
cols[2].metric(
    "Police: version a minus b",
    points(cohort["mean_diff"]),
    help="Across all pairs: how many percentage points more often version a was sent to "
    "police than version b. 0 means no difference; minus means version b went more often.",
    border=True,
)
cols[3].metric(
    "Trainees flagged",
    f"{cohort['trainees_flagged']} of {cohort['trainees_tested']}",
    help=f"Out of the trainees with at least {MIN_PAIRS} twin pairs; fewer pairs are never "
    "flagged.",
    border=True,
)
st.caption(
    f"**When a flag is raised.** A trainee is flagged only with at least {MIN_PAIRS} twin "
    "pairs, when the difference is clear of zero and their pairs that went different ways "
    "lean mostly one way. The whole group is judged only with at least "
    f"{MIN_PAIRS_COHORT} pairs from {MIN_TRAINEES} trainees. A flag is a reason to listen "
    "to the calls, not a finding: with many trainees, about one in twenty ranges misses by "
    "chance alone."
)

st.subheader("What differs between the two versions")
twins = view.twins
if twins is not None and not twins.empty:
    pairs = tuple(
        (str(g), int(a), int(b))
        for g, a, b in zip(twins["twin_group"], twins["version_a"], twins["version_b"], strict=True)
    )
    words = differences(actor, database_url(), pairs)
    st.dataframe(
        pd.DataFrame(
            {
                "Twin call": twins["title"],  # trainer-written: table cells, never HTML
                "Trainees who took both": twins["trainees"],
                "Version a to police": twins["police_a"].map(share),
                "Version b to police": twins["police_b"].map(share),
                "What differs between version a and version b": [
                    words.get(str(g), "") for g in twins["twin_group"]
                ],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "What differs between version a and version b": st.column_config.TextColumn(
                width="large",
                help="The details that change between the versions, a / b. Everything "
                "else in the call is the same.",
            ),
        },
    )
    st.caption(
        "Twin calls with the biggest gap between the versions first. The shares are averages "
        "over the trainees who took both versions."
    )

st.subheader("Each trainee: how much more often version a went to police")
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
base = {
    "y": {"field": "who", "type": N, "sort": order, "title": None, "axis": {"labelLimit": 220}},
    "color": {
        "field": "status",
        "type": N,
        "scale": {"domain": present, "range": [palette[s] for s in present]},
        "legend": {"title": None, "orient": "top"},
    },
    "tooltip": [
        tip("who", N, "Who"),
        tip("pairs", Q, "Pairs"),
        tip("mean", Q, "Difference", "+.0%"),
        tip("low", Q, "95 % low", "+.0%"),
        tip("high", Q, "95 % high", "+.0%"),
    ],
}
whiskers = {
    "mark": {"type": "errorbar", "ticks": True, "thickness": 2},
    "encoding": {
        **base,
        "x": {
            "field": "low",
            "type": Q,
            "title": "Share sent to police, version a minus version b (95 % interval)",
            "scale": {"domain": [-1, 1]},
            "axis": {"format": "+%", "values": [-1, -0.5, 0, 0.5, 1]},
        },
        "x2": {"field": "high"},
    },
}
dots = {
    "mark": {"type": "point", "filled": True, "size": 90},
    "encoding": {**base, "x": {"field": "mean", "type": Q}},
}
zero = {
    "data": {"values": [{"x": 0.0}]},
    "mark": {"type": "rule", "color": "#31333f", "strokeDash": [4, 3]},
    "encoding": {"x": {"field": "x", "type": Q}},
}


def side_note(x: float, text: str, align: Literal["left", "center", "right"]) -> dict:
    return {
        "data": {"values": [{"x": x, "text": text}]},
        "mark": {
            "type": "text",
            "align": align,
            "baseline": "bottom",
            "dy": -4,
            "color": "#8c8c8c",
            "fontSize": 11,
        },
        "encoding": {
            "x": {"field": "x", "type": Q},
            "y": {"value": 0},
            "text": {"field": "text", "type": N},
        },
    }


hints = [
    side_note(-0.98, "← version b sent to police more", "left"),
    side_note(0.98, "version a sent to police more →", "right"),
]

height = 60 + 34 * len(rows)
layered(rows, zero, whiskers, dots, *hints, height=height)
st.caption(
    "Each dot is how many percentage points more often that trainee sent version a to "
    "police than version b; the line through it is the likely range (95 %). A range that "
    "crosses the dashed zero line means no clear difference."
    + (
        f" The chart shows {len(shown)} of {len(table)} trainees."
        if len(table) > len(shown)
        else ""
    )
)

st.subheader("Every trainee with twin pairs")


def flag_words(row) -> str:
    if row["flagged"]:
        return "Flagged: listen to the calls"
    if row["pairs"] < MIN_PAIRS:
        return f"Too few pairs to judge (needs {MIN_PAIRS})"
    if row["low"] > 0 or row["high"] < 0:
        return "Not flagged: too few pairs went different ways to be sure"
    return "Not flagged"


people = pd.DataFrame(
    {
        "Trainee": table["name"],
        "Flag": table.apply(flag_words, axis=1) if len(table) else [],
        "Twin pairs": table["pairs"],
        "Version a minus b (points)": (table["mean_diff"] * 100).round(1),
        "Likely from": (table["low"] * 100).round(1),
        "Likely to": (table["high"] * 100).round(1),
        "Could this be chance?": table["p_value"].map(analytics.chance_words),
        "Only a to police (pairs)": table["a_only"],
        "Only b to police (pairs)": table["b_only"],
    }
)
st.dataframe(
    people,
    hide_index=True,
    column_config={
        "Version a minus b (points)": st.column_config.NumberColumn(
            format="%+.0f",
            help="How many percentage points more often this trainee sent version a to "
            "police than version b. 0: no difference.",
        ),
        "Likely from": st.column_config.NumberColumn(
            format="%+.0f", help="The likely range of the difference (95 %), low end."
        ),
        "Likely to": st.column_config.NumberColumn(
            format="%+.0f", help="The likely range of the difference (95 %), high end."
        ),
        "Only a to police (pairs)": st.column_config.NumberColumn(
            help="Pairs where version a went to police and version b did not."
        ),
        "Only b to police (pairs)": st.column_config.NumberColumn(
            help="Pairs where version b went to police and version a did not."
        ),
        "Could this be chance?": st.column_config.TextColumn(
            help="How likely it is that this many pairs lean one way by chance alone, "
            "if the detail made no difference."
        ),
    },
)
csv_button(people, "equity-audit", "equity.csv")

box = folded("Attempts behind these numbers", key="equity.behind.open")
if box.open:
    with box:
        names = {
            u: f"{n} ({p} pairs)"
            for u, n, p in zip(table["user_id"], table["name"], table["pairs"], strict=True)
        }
        uid = st.selectbox(
            "Trainee", list(names), format_func=lambda u: names[u], key="equity.trainee"
        )
        titles = dict(zip(view.twins["twin_group"], view.twins["title"], strict=True))
        pairs = view.pairs[view.pairs["user_id"] == uid].assign(
            twin_group=lambda f: f["twin_group"].map(lambda g: titles.get(g, g))
        )
        pairs = pairs.rename(
            columns={
                "twin_group": "Twin call",
                "police_a": "Version a to police",
                "police_b": "Version b to police",
                "diff": "a minus b",
            }
        )
        st.caption("Their pairs (1 = sent to police, 0 = not; between: taken more than once):")
        st.dataframe(pairs.drop(columns=["user_id"]), hide_index=True)
        csv_button(pairs, f"twin-pairs-{uid}", "equity.pairs.csv")
        calls = behind(actor, database_url(), "twin", {"user_id": int(uid)})
        st.caption(f"Their calls on twins, newest first (at most {review.BEHIND_LIMIT}):")
        st.dataframe(calls.drop(columns=["user_id"]), hide_index=True)
        csv_button(calls, f"twin-calls-{uid}", "equity.calls.csv")

with st.expander("How the numbers are worked out"):
    st.markdown(
        "For each pair, version a counts 1 if it was sent to police and 0 if not (a share "
        "when taken more than once), and the same for version b; the pair's difference is "
        "a minus b. A trainee's likely range is the usual 95 % range around the average "
        "of their differences. *Could this be chance?* looks only at the pairs that went "
        "different ways and asks how often a fair coin would lean this far one way. Both "
        "must point the same way for a flag. For the whole group, pairs of one trainee "
        "are counted as one trainee's evidence, so a single trainee with many pairs "
        "cannot decide the group's range."
    )
