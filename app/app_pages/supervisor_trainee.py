"""Trainee review: one trainee's calls, a replay of any call beside the key, QA notes."""

import pandas as pd
import streamlit as st

from app.core.grading import duration_text
from app.core.plain_words import plural
from app.errors import UserError
from app.services import review
from app.services.labels import protocol_words, words_for
from app.settings import get_settings
from app.ui.charts import N, Q, T, layered, tip
from app.ui.grade_card import RULES_HELP
from app.ui.local_time import shown
from app.ui.replay_steps import STEP_LABELS
from app.ui.session import page_actor
from app.ui.tables import csv_button, folded

actor = page_actor("review_attempts")

TRAINEE_KEY = "review.trainee_id"  # also set by the Cohort page
ATTEMPT_KEY = "review.attempt_id"
JUDGEMENT_COLORS = {"good": "#2ca25f", "bad": "#d62728", "neutral": "#8c8c8c"}


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def _words(agency_id: int) -> dict[str, dict[str, str]]:
    """The agency protocol's words for its codes (the key keeps one entry per agency)."""
    return protocol_words(actor=actor)


WORDS = _words(actor.agency_id)


def route_label(code) -> str:
    return words_for(None if code is None else [code], WORDS["routes"])


def dq_labels(codes) -> str:
    return words_for(codes, WORDS["disqualifiers"])


def mode_label(mode) -> str:
    return words_for(None if mode is None else [mode], WORDS["modes"])


def md_escape(text: str) -> str:
    """Show text literally inside Markdown (no links, images or emphasis from it)."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|<>~" else c for c in str(text))


def result_of(row) -> str:
    if row["unsafe"]:
        return "Unsafe"
    return "Passed" if row["passed"] else "Not passed"


st.title("Trainee review")
people = review.trainees(actor=actor)
if people.empty:
    st.info("Your agency has no trainees yet.")
    st.stop()

labels = {
    int(u): f"{n} ({name})" + ("" if active else " — disabled")
    for u, n, name, active in zip(
        people["user_id"], people["name"], people["username"], people["is_active"], strict=True
    )
}
ids = list(labels)
if st.session_state.get(TRAINEE_KEY) not in labels:
    st.session_state[TRAINEE_KEY] = ids[0]
trainee_id = st.selectbox("Trainee", ids, format_func=lambda uid: labels[uid], key=TRAINEE_KEY)

try:
    detail = review.trainee_detail(actor=actor, trainee_id=trainee_id)
except UserError as exc:
    st.error(str(exc))
    st.stop()

summary = detail.summary
cols = st.columns(5)
cols[0].metric("Calls", summary["attempts"], border=True)
cols[1].metric(
    "Pass rate",
    "–" if summary["pass_rate"] is None else f"{summary['pass_rate']:.0%}",
    border=True,
)
cols[2].metric(
    "Average score",
    "–" if summary["avg_score"] is None else f"{summary['avg_score']:.0f}",
    border=True,
)
cols[3].metric("Unsafe dispatches", summary["unsafe"], border=True)
cols[4].metric("Over-routed to police", summary["over_routed"], border=True)

attempts = detail.attempts
if attempts.empty:
    st.info("This trainee has not submitted a call yet.")
    st.stop()

attempts = attempts.assign(result=[result_of(r) for r in attempts.to_dict("records")])
pass_mark = get_settings().pass_mark
st.subheader("Scores over time")
scores = {
    "mark": {"type": "circle", "size": 70, "opacity": 0.85},
    "encoding": {
        "x": {"field": "submitted_at", "type": T, "title": None},
        "y": {"field": "score", "type": Q, "title": "Score", "scale": {"domain": [0, 100]}},
        "color": {
            "field": "result",
            "type": N,
            "scale": {
                "domain": ["Passed", "Not passed", "Unsafe"],
                "range": ["#2ca25f", "#ff9f40", "#d62728"],
            },
            "legend": {"title": None, "orient": "top"},
        },
        "tooltip": [
            tip("attempt_id", Q, "Attempt"),
            tip("submitted_at", T, "Submitted", "%Y-%m-%d %H:%M"),
            tip("scenario", N, "Call"),
            tip("score", Q, "Score"),
            tip("result", N, "Result"),
        ],
    },
}
mark = {
    "data": {"values": [{"y": pass_mark}]},
    "mark": {"type": "rule", "strokeDash": [5, 4], "color": "#31333f"},
    "encoding": {"y": {"field": "y", "type": Q}},
}
layered(attempts, mark, scores, height=220)
st.caption(
    f"Dashed line: the pass mark ({pass_mark}). An unsafe dispatch fails whatever the score."
)

table = pd.DataFrame(
    {
        "Attempt": attempts["attempt_id"],
        "Submitted": attempts["submitted_at"],
        "Result": attempts["result"],
        "Score": attempts["score"],
        "Call": attempts["scenario"],
        "Mode": attempts["mode"].map(mode_label),
        "Seconds": attempts["seconds"],
        "Route chosen": attempts["disposition"].map(route_label),
        "Route in the key": attempts["expert_disposition"].map(route_label),
        "Missed": attempts["missed_disqualifiers"].map(dq_labels),
        "Flagged wrongly": attempts["over_disqualifiers"].map(dq_labels),
        "Notes": attempts["notes"],
    }
)
with st.expander(f"All {plural(len(table), 'call')} shown" + (
    f" (latest {summary['shown']} of {summary['attempts']})"
    if summary["shown"] < summary["attempts"]
    else ""
), expanded=True):  # fmt: skip
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "Submitted": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d"),
        },
    )
    csv_button(table, f"calls-{detail.trainee['username']}", "trainee.calls.csv")

# --- replay ---------------------------------------------------------------------------------
st.subheader("Replay a call")
options = attempts["attempt_id"].astype(int).tolist()
names = {
    int(r["attempt_id"]): f"#{r['attempt_id']} · {r['submitted_at']:%Y-%m-%d %H:%M} · "
    f"{r['scenario']} · {r['score']} · {r['result']}"
    for r in attempts.to_dict("records")
}
if st.session_state.get(ATTEMPT_KEY) not in names:
    st.session_state[ATTEMPT_KEY] = options[0]
attempt_id = st.selectbox("Call", options, format_func=lambda aid: names[aid], key=ATTEMPT_KEY)
replay = review.attempt_replay(actor=actor, attempt_id=attempt_id)
info = replay.attempt
key = replay.key

head = st.columns([3, 1, 1, 1])
head[0].markdown(f"**{md_escape(info['scenario'])}**")  # trainer-written: escaped
head[0].caption(f"Version {info['version']} · {mode_label(info['mode'])} mode · {info['trainee']}")
head[1].metric("Score", info["score"])
head[2].metric("Seconds", "–" if info["seconds"] is None else f"{info['seconds']:.0f}")
head[3].metric(
    "Result",
    "Unsafe" if replay.grade.get("critical") else ("Pass" if info["passed"] else "Fail"),
)
if info.get("rules_note"):  # graded under older grading rules: the score stands
    st.caption(info["rules_note"], help=RULES_HELP)
if info["opening"]:
    st.caption("Caller's opening line")
    st.text(info["opening"])  # trainer-written text: plain text only

left, right = st.columns(2, gap="large")
with left:
    st.markdown("**What the trainee did**")
    timeline = replay.timeline.assign(
        step=replay.timeline["kind"].map(lambda k: STEP_LABELS.get(k, k))
    )
    if timeline.empty:
        st.caption("No timeline was recorded for this call.")
    else:
        target = key.get("time_target_seconds")
        dots = {
            "mark": {"type": "point", "filled": True, "size": 110},
            "encoding": {
                "x": {"field": "t", "type": Q, "title": "Seconds into the call"},
                "y": {
                    "field": "step",
                    "type": N,
                    "title": None,
                    "sort": list(STEP_LABELS.values()),
                },
                "color": {
                    "field": "judgement",
                    "type": N,
                    "scale": {
                        "domain": list(JUDGEMENT_COLORS),
                        "range": list(JUDGEMENT_COLORS.values()),
                    },
                    "legend": None,
                },
                "shape": {"field": "judgement", "type": N, "legend": None},
                "tooltip": [
                    tip("t", Q, "Second"),
                    tip("label", N, "What"),
                    tip("verdict", N, "Against the key"),
                ],
            },
        }
        layers: list[dict] = [dots]
        if target:  # the time target, drawn under the dots
            line = {
                "data": {"values": [{"x": float(target)}]},
                "mark": {"type": "rule", "strokeDash": [5, 4], "color": "#31333f"},
                "encoding": {"x": {"field": "x", "type": Q}},
            }
            layers.insert(0, line)
        layered(timeline, *layers, height=180)
        st.caption(
            "Green: as the key wants. Red: against the key. Grey: neither."
            + (f" Dashed line: time target ({target} s)." if target else "")
        )
        steps = pd.DataFrame(
            {
                "Second": timeline["t"],
                "Against the key": timeline["verdict"],
                "Step": timeline["step"],
                "What": timeline["label"],
            }
        )
        st.dataframe(steps, hide_index=True)
        csv_button(steps, f"timeline-{attempt_id}", "trainee.timeline.csv")
    if not replay.pauses.empty:
        total = float(replay.pauses["seconds"].sum())
        st.caption(
            f"Paused {plural(len(replay.pauses), 'time')}, {duration_text(total)} in all: the call "
            "screen was "
            "closed (another page, logged out) or the connection dropped. Pauses do not "
            "count as call time."
        )
    if not replay.typed.empty:
        st.markdown("**What the trainee typed**")
        typed = pd.DataFrame(
            {
                "Second": replay.typed["t"],
                "Typed": replay.typed["typed"],  # trainee-written: a table cell, never HTML
                "Heard as": replay.typed["matched"].map(
                    lambda q: "not understood (counts as nothing)" if pd.isna(q) else q
                ),
                "Match score": replay.typed["score"],
            }
        )
        st.dataframe(typed, hide_index=True)
        csv_button(typed, f"typed-{attempt_id}", "trainee.typed.csv")

with right:
    st.markdown("**The expert key**")
    checklist = pd.DataFrame(
        {
            "": replay.checklist["ok"].map({True: "✓", False: "✗"}),
            "Item": replay.checklist["item"],
            "Key": replay.checklist["expected"],
            "Trainee": replay.checklist["trainee"],
        }
    )
    st.dataframe(checklist, hide_index=True)
    st.caption(
        "Route in the key: "
        + route_label(key.get("disposition"))
        + (
            "; unsafe here: " + ", ".join(route_label(r) for r in key.get("unsafe") or [])
            if key.get("unsafe")
            else ""
        )
    )
    if key.get("rationale"):
        st.caption("Why (the trainer's rationale)")
        st.text(str(key["rationale"]).strip())

box = folded("What the caller would have said", key="trainee.said.open")
if box.open:
    with box:
        said = replay.exchanges.rename(
            columns={
                "question": "Question",
                "caller_answer": "Caller's answer",
                "asked_at": "Asked at (s)",
            }
        )
        st.dataframe(said, hide_index=True)

# --- notes ----------------------------------------------------------------------------------
st.subheader("QA review notes")
st.caption("The trainee sees these notes with the call in their attempt history.")
for note in replay.notes:
    with st.container(border=True):
        when = note["created_at"]
        st.caption(f"{note['author']} · {shown(when)}" if when else note["author"])
        st.text(note["text"])  # supervisor-written text: plain text only
if not replay.notes:
    st.caption("No notes on this call yet.")
with st.form("review.note", clear_on_submit=True):
    text = st.text_area(
        "Add a note",
        max_chars=review.NOTE_MAX,
        placeholder="What went well, what to listen for next time…",
    )
    if st.form_submit_button("Save note", icon=":material/rate_review:"):
        try:
            review.add_review_note(actor=actor, attempt_id=attempt_id, text=text)
        except UserError as exc:
            st.error(str(exc))
        else:
            st.toast("Note saved.")
            st.rerun()
