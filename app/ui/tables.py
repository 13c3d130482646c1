"""Helpers the pages share around their tables: the CSV download, the calls behind a
number, folded tables drawn only when opened, and dates as people read them.

The CSV goes through :func:`app.core.safe_text.csv_bytes`, so a cell that a trainer or a
trainee wrote (a title, a name, a note) cannot run as a formula when the file is opened
in a spreadsheet.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from app.core.safe_text import csv_bytes
from app.services import review
from app.services.access import Actor

if TYPE_CHECKING:
    from streamlit.elements.lib.mutable_expander_container import ExpanderContainer


@st.cache_data(ttl=60, max_entries=256, show_spinner=False)
def behind(who: Actor, db: str, metric: str, where: dict | None, since=None) -> pd.DataFrame:
    """The attempts behind a number on a supervisor page (:func:`review.attempts_behind`)."""
    # Keyed by actor, database, metric and its parameters, so nothing leaks between them.
    return review.attempts_behind(actor=who, metric=metric, where=where, since=since)


def csv_button(frame: pd.DataFrame, name: str, key: str) -> None:
    """A "Download CSV" button for ``frame``, saved as ``<name>.csv``.

    The file is written when the button is clicked, not on every render: writing every
    table's CSV up front was a seventh of a supervisor page's render time (measured), and
    the server held each file in memory until the next rerun. A click downloads without
    rerunning the page.
    """
    st.download_button(
        "Download CSV",
        lambda: csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def folded(label: str, *, key: str) -> ExpanderContainer:
    """A closed expander whose contents the page draws only while it is open::

        box = folded("Attempts behind this chart", key="errors.dq.open")
        if box.open:
            with box:
                ...

    Closed, the query and the table behind it cost nothing: a supervisor page opens with
    several of these, and drawing them all up front was most of its render time. Opening
    one reruns the page, whose figures come from the cache.
    """
    return st.expander(label, key=key, on_change="rerun")


def day_date(value: dt.date | None, *, long_month: bool = False) -> str:
    """``3 Mar 2026`` (``3 March 2026`` with ``long_month``); ``—`` for no date."""
    if not value:
        return "—"
    return f"{value.day} {value:%B %Y}" if long_month else f"{value.day} {value:%b %Y}"
