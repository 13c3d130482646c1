"""My attempts: every call I submitted, supervisors' notes, and the feedback on each."""

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from app.errors import UserError
from app.services import practice
from app.ui.exam_lock import stop_during_exam
from app.ui.grade_card import plain, render_grade_card
from app.ui.local_time import shown
from app.ui.session import page_actor

actor = page_actor("own_attempts")
stop_during_exam(actor, "My attempts")  # feedback waits while an exam is open

OPEN = "history.attempt_id"

st.title("My attempts")
attempts = practice.my_attempts(actor=actor)
if not attempts:
    st.info("You have not submitted a call yet. Take one under “Take a call”.")
    st.stop()

MODE_NAMES = {"guided": "Guided", "standard": "Standard", "timed": "Timed", "exam": "Exam"}


def _row(item: Mapping[str, Any]) -> dict:
    when = item["submitted_at"]
    return {
        "When": shown(when),
        "Call": item["title"],
        "Mode": MODE_NAMES.get(item["mode"], item["mode"]),
        "Score": item["score"],
        "Result": "Unsafe" if item["unsafe"] else ("Passed" if item["passed"] else "Not passed"),
        "Seconds": round(item["seconds"]) if item["seconds"] is not None else None,
        "Notes": item["notes"],
    }


noted = sum(1 for a in attempts if a["notes"])
cols = st.columns(3)
cols[0].metric("Calls submitted", len(attempts))
cols[1].metric("Passed", sum(1 for a in attempts if a["passed"]))
cols[2].metric("With supervisor notes", noted)

st.dataframe(
    pd.DataFrame([_row(a) for a in attempts]),
    hide_index=True,
    width="stretch",
    column_config={
        "Score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%d"),
        "Notes": st.column_config.NumberColumn("Notes", help="Notes left by a supervisor"),
    },
)

by_id = {a["id"]: a for a in attempts}
options = list(by_id)
if st.session_state.get(OPEN) not in by_id:
    st.session_state[OPEN] = next((a["id"] for a in attempts if a["notes"]), options[0])


def _label(attempt_id: int) -> str:
    item = by_id[attempt_id]
    when = shown(item["submitted_at"], "%d %b %H:%M")
    notes = f" · {item['notes']} note(s)" if item["notes"] else ""
    return f"{when} — {item['title']} — {item['score']}{notes}"


st.selectbox("Open an attempt to see its feedback", options=options, format_func=_label, key=OPEN)

try:
    review = practice.review_attempt(actor=actor, attempt_id=st.session_state[OPEN])
except UserError as exc:
    st.info(plain(exc))
else:
    render_grade_card(review)
