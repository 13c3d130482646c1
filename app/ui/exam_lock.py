"""The page side of the exam lock: while the trainee's exam is open, say so and stop.

The services refuse on their own (``app/services/exam_lock.py``); this only turns the
refusal into one clear message at the top of a page instead of an error further down.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from app.services.access import Actor
from app.services.exam_lock import EXAM_IN_PROGRESS, exam_lock_message


def stop_during_exam(actor: Actor, title: str) -> None:
    """Draw the page title and the exam-in-progress message, then stop the page."""
    message = exam_lock_message(actor=actor)
    if message is not None:
        show_exam_lock(title, message)


def show_exam_lock(title: str, message: str = EXAM_IN_PROGRESS) -> NoReturn:
    """The page's title and why it waits (a service refused with ``ExamInProgress``)."""
    st.title(title)
    st.info(message, icon=":material/lock:")
    st.caption("Open “Certification exam” in the menu to carry on with it.")
    st.stop()
    raise AssertionError("unreachable: st.stop() ends the script")
