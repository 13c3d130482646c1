"""Error profile: disqualifiers missed vs flagged wrongly, routes, unsafe and over-routing, time."""

import datetime as dt

import pandas as pd
import streamlit as st

from app.core.analytics import DISQUALIFIERS, NFPA_SECONDS, NFPA_SHARE, POLICE_ROUTES
from app.services import review
from app.services.access import Actor
from app.store.db import database_url
from app.ui.charts import N, Q, layered, tip
from app.ui.plain_tables import attempt_table, words
from app.ui.session import page_actor
from app.ui.tables import behind, csv_button, folded

actor = page_actor("analytics")
WORDS = words(actor, actor.agency_id)  # the agency protocol's labels for its codes

PERIODS = {"All time": None, "Last 90 days": 90, "Last 30 days": 30}
MISSED, OVER = "Missed", "Flagged wrongly"
SHORT_ROUTES = {  # axis labels for the route grid; tooltips carry the full names
    "community_responder": "Responders",
    "community_responder_with_police": "Resp. + police",
    "community_responder_with_ems": "Resp. + EMS",
    "police": "Police",
    "ems": "EMS / fire",
    "embedded_professional": "Clinician",
    "external_hotline": "Hotline",
    "transfer_988": "988",
    "phone_resolution": "By phone",
}


@st.cache_data(ttl=60, max_entries=64, show_spinner="Counting errors…")
def load(who: Actor, db: str, since: dt.date | None):
    # Keyed by the actor (agency, role), the database and the period.
    return (
        review.error_profile(actor=who, since=since),
        review.confusion_matrix(actor=who, since=since),
        review.timing(actor=who, since=since),
    )


def pct(value, digits: int = 0) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.{digits}%}"


def route_label(code: str) -> str:
    return WORDS["routes"].get(code, str(code).replace("_", " "))


def dq_label(code: str) -> str:
    return WORDS["disqualifiers"].get(code, str(code).replace("_", " "))


def show_attempts(metric: str, where: dict | None, name: str, key: str) -> None:
    rows = behind(actor, database_url(), metric, where, since)
    if rows.empty:
        st.caption("No calls.")
        return
    st.caption(f"Newest first, at most {review.BEHIND_LIMIT} calls.")
    shown = attempt_table(rows, WORDS)
    st.dataframe(shown, hide_index=True)
    csv_button(shown, name, key)


st.title("Error profile")
st.caption(
    "Where screening goes wrong across your agency: disqualifiers missed or flagged without "
    "cause, calls sent down the wrong route, and how long decisions take."
)
period = st.segmented_control(
    "Period", list(PERIODS), default="All time", key="errors.period", required=True
)
days = PERIODS.get(period or "All time")
since = None if days is None else dt.date.today() - dt.timedelta(days=days)
profile, routing, timing = load(actor, database_url(), since)
rates = routing.rates
if not rates["attempts"]:
    st.info("No submitted calls in this period yet.")
    st.stop()

cols = st.columns(4)
cols[0].metric(
    "Unsafe dispatches",
    pct(rates["unsafe_rate"], 1),
    help=f"{rates['unsafe']} of {rates['attempts']} calls sent responders alone (or another "
    "unsafe route) although the call had a disqualifier.",
    border=True,
)
cols[1].metric(
    "Over-routing to police",
    pct(rates["over_routing_rate"], 1),
    help=f"{rates['over_routed']} of {rates['over_routing_base']} calls whose right route needs no "
    "police were sent to police anyway — the hesitancy the fact sheet warns about.",
    border=True,
)
summary = timing.summary
cols[2].metric(
    "Decided within 60 s",
    pct(summary["share_within"]),
    help=f"NFPA 1225 (2022) asks for call processing within {NFPA_SECONDS:.0f} s for "
    f"{NFPA_SHARE:.0%} of calls. {summary['within']} of {summary['n']} calls met it.",
    border=True,
)
cols[3].metric(
    "90th percentile",
    "–" if summary["p90"] is None else f"{summary['p90']:.0f} s",
    help="90 % of decisions took this long or less (nearest-rank method).",
    border=True,
)

# --- disqualifiers -------------------------------------------------------------------------
st.subheader("Disqualifiers: missed vs flagged wrongly")
st.caption(
    "Missed: share of calls that had the disqualifier where the trainee did not flag it. "
    "Flagged wrongly: share of calls without it where the trainee flagged it anyway."
)
long = pd.concat(
    [
        pd.DataFrame(
            {
                "disqualifier": profile["disqualifier"].map(dq_label),
                "kind": MISSED,
                "rate": profile["missed_rate"],
                "count": profile["missed"],
                "of": profile["present"],
            }
        ),
        pd.DataFrame(
            {
                "disqualifier": profile["disqualifier"].map(dq_label),
                "kind": OVER,
                "rate": profile["over_rate"],
                "count": profile["over_flagged"],
                "of": profile["absent"],
            }
        ),
    ]
)
long["text"] = [
    f"{c}/{o}" if o else "no calls" for c, o in zip(long["count"], long["of"], strict=True)
]
long["rate"] = long["rate"].fillna(0.0)
bars = {
    "x": {
        "field": "disqualifier",
        "type": N,
        "title": None,
        "sort": [dq_label(c) for c in DISQUALIFIERS],
        "axis": {"labelAngle": 0},
    },
    "xOffset": {"field": "kind", "type": N, "sort": [MISSED, OVER]},
    "y": {"field": "rate", "type": Q, "title": "Share of calls", "axis": {"format": "%"}},
    "color": {
        "field": "kind",
        "type": N,
        "sort": [MISSED, OVER],
        "scale": {"domain": [MISSED, OVER], "range": ["#d62728", "#ff9f40"]},
        "legend": {"title": None, "orient": "top"},
    },
    "tooltip": [
        tip("disqualifier", N, "Disqualifier"),
        tip("kind", N, "Error"),
        tip("rate", Q, "Share", ".1%"),
        tip("count", Q, "Calls"),
        tip("of", Q, "Out of"),
    ],
}
layered(
    long,
    {"mark": {"type": "bar"}, "encoding": bars},
    {
        "mark": {"type": "text", "dy": -6, "fontSize": 11},
        "encoding": {**bars, "text": {"field": "text", "type": N}, "color": {"value": "#31333f"}},
    },
    height=300,
)
box = folded("Attempts behind this chart", key="errors.dq.open")
if box.open:
    with box:
        c1, c2 = st.columns(2)
        code = c1.selectbox(
            "Disqualifier", list(DISQUALIFIERS), format_func=dq_label, key="errors.dq"
        )
        kind = c2.radio("Error", [MISSED, OVER], horizontal=True, key="errors.kind")
        table = profile.rename(
            columns={
                "present": "calls with it",
                "absent": "calls without it",
                "over_flagged": "flagged wrongly",
            }
        )
        metric = "missed" if kind == MISSED else "over_flagged"
        show_attempts(metric, {"disqualifier": code}, f"{metric}-{code}", "errors.dq.csv")
        st.caption("The numbers in the chart:")
        st.dataframe(table, hide_index=True)
        csv_button(table, "error-profile", "errors.profile.csv")

# --- routes ---------------------------------------------------------------------------------
st.subheader("Routes: the key vs the trainee")
st.caption(
    "Each row is the route the key calls for; read across to see where trainees sent those "
    "calls. The diagonal is agreement. A police column on a row that needs no police is "
    "over-routing; responders alone on a police or EMS row is an unsafe dispatch."
)
matrix = routing.matrix.copy()
matrix["expert_label"] = matrix["expert"].map(route_label)
matrix["chosen_label"] = matrix["chosen"].map(route_label)
matrix["expert_short"] = matrix["expert"].map(lambda r: SHORT_ROUTES.get(r, route_label(r)))
matrix["chosen_short"] = matrix["chosen"].map(lambda r: SHORT_ROUTES.get(r, route_label(r)))
order = list(dict.fromkeys(matrix["expert_short"]))
matrix["share"] = matrix["row_share"].fillna(0.0)
matrix["text"] = [str(n) if n else "" for n in matrix["n"]]
base = {
    "x": {
        "field": "chosen_short",
        "type": N,
        "sort": order,
        "title": "Route the trainee chose",
        "axis": {"labelAngle": 0, "orient": "top", "labelLimit": 120},
    },
    "y": {
        "field": "expert_short",
        "type": N,
        "sort": order,
        "title": "Route in the key",
        "axis": {"labelLimit": 140},
    },
}
heat = {
    "mark": {"type": "rect", "stroke": "white", "strokeWidth": 2},
    "encoding": {
        **base,
        "color": {
            "field": "share",
            "type": Q,
            "title": "Share of row",
            "scale": {"domain": [0, 1], "range": ["#f3f6fa", "#08519c"]},
            "legend": {"format": "%", "gradientLength": 160},
        },
        "tooltip": [
            tip("expert_label", N, "Key"),
            tip("chosen_label", N, "Chosen"),
            tip("n", Q, "Calls"),
            tip("share", Q, "Share of row", ".0%"),
        ],
    },
}
numbers = {
    "mark": {"type": "text", "fontSize": 12},
    "encoding": {
        **base,
        "text": {"field": "text", "type": N},
        "color": {
            "condition": {"test": "datum.share > 0.55", "value": "white"},
            "value": "#31333f",
        },
    },
}
size = max(220, 40 * len(order))
layered(matrix, heat, numbers, height=size)
box = folded("Attempts behind this chart", key="errors.matrix.open")
if box.open:
    with box:
        what = st.radio(
            "Show",
            ["One cell", "Unsafe dispatches", "Over-routed to police"],
            horizontal=True,
            key="errors.route.what",
        )
        if what == "One cell":
            cells = routing.cells.sort_values("n", ascending=False).to_dict("records")
            if cells:
                idx = st.selectbox(
                    "Cell",
                    range(len(cells)),
                    format_func=lambda i: (
                        f"{route_label(cells[i]['expert'])} → {route_label(cells[i]['chosen'])} "
                        f"({cells[i]['n']} calls)"
                    ),
                    key="errors.cell",
                )
                cell = cells[idx]
                show_attempts(
                    "route",
                    {"expert": cell["expert"], "chosen": cell["chosen"]},
                    f"route-{cell['expert']}-{cell['chosen']}",
                    "errors.cell.csv",
                )
        elif what == "Unsafe dispatches":
            show_attempts("unsafe", None, "unsafe-dispatches", "errors.unsafe.csv")
        else:
            show_attempts("over_routed", None, "over-routed", "errors.over.csv")
        police = ", ".join(route_label(r) for r in POLICE_ROUTES)
        st.caption(f"Police routes: {police}.")
        csv_button(routing.cells, "route-matrix", "errors.matrix.csv")

# --- time -----------------------------------------------------------------------------------
st.subheader("Time to decision")
verdict = "meets" if summary["meets_target"] else "does not meet"
st.caption(
    f"{pct(summary['share_within'])} of decisions came within {NFPA_SECONDS:.0f} s; the cohort "
    f"{verdict} the NFPA 1225 (2022) mark of {NFPA_SHARE:.0%}. Bars are "
    f"{timing.width:.0f}-second bins; the last bin holds everything from {timing.cap:.0f} s on."
)
hist = timing.histogram.copy()
hist["end"] = hist["start"] + timing.width
hist["band"] = ["within 60 s" if s < NFPA_SECONDS else "over 60 s" for s in hist["start"]]
p90 = summary["p90"]
x_max = max(90.0, float(hist["end"].max()), (p90 or 0) + 10)
bars = {
    "mark": {"type": "bar"},
    "encoding": {
        "x": {
            "field": "start",
            "type": Q,
            "bin": "binned",
            "title": "Seconds to decision",
            "scale": {"domain": [0, float(min(x_max, timing.cap + timing.width))], "nice": False},
        },
        "x2": {"field": "end"},
        "y": {"field": "n", "type": Q, "title": "Calls"},
        "color": {
            "field": "band",
            "type": N,
            "scale": {"domain": ["within 60 s", "over 60 s"], "range": ["#4c78a8", "#b7c7da"]},
            "legend": {"title": None, "orient": "top"},
        },
        "tooltip": [tip("start", Q, "From (s)"), tip("end", Q, "To (s)"), tip("n", Q, "Calls")],
    },
}


def rule(x: float, label: str, *, dashed: bool, left: bool, y: int) -> dict:
    """A vertical marker with its label beside it."""
    at = {"field": "x", "type": Q}
    return {
        "data": {"values": [{"x": float(min(x, timing.cap)), "label": label}]},
        "layer": [
            {
                "mark": {
                    "type": "rule",
                    "color": "#d62728",
                    "strokeWidth": 2,
                    "strokeDash": [6, 4] if dashed else [1, 0],
                },
                "encoding": {"x": at},
            },
            {
                "mark": {
                    "type": "text",
                    "align": "right" if left else "left",
                    "dx": -5 if left else 5,
                    "color": "#d62728",
                },
                "encoding": {"x": at, "y": {"value": y}, "text": {"field": "label", "type": N}},
            },
        ],
    }


layers = [bars, rule(NFPA_SECONDS, "NFPA 1225: 60 s", dashed=False, left=True, y=10)]
if p90 is not None:
    layers.append(rule(p90, f"90th percentile: {p90:.0f} s", dashed=True, left=False, y=26))
layered(hist, *layers, height=280)
box = folded("Attempts behind this chart", key="errors.time.open")
if box.open:
    with box:
        choice = st.radio(
            "Show",
            ["Over 60 s", "Within 60 s", "One bin"],
            horizontal=True,
            key="errors.time.what",
        )
        if choice == "One bin":
            starts = hist["start"].tolist()
            start = st.selectbox(
                "Bin",
                starts,
                format_func=lambda s: (
                    f"{s:.0f}–{s + timing.width:.0f} s" if s < timing.cap else f"{s:.0f} s and more"
                ),
                key="errors.bin",
            )
            show_attempts("time_bin", {"start": start}, f"time-{start:.0f}", "errors.bin.csv")
        elif choice == "Within 60 s":
            show_attempts("within_limit", None, "within-60s", "errors.within.csv")
        else:
            show_attempts("over_limit", None, "over-60s", "errors.overlimit.csv")
        csv_button(hist[["start", "end", "n"]], "time-histogram", "errors.hist.csv")
