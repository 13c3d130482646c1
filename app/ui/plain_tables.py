"""Supervisor tables in plain words: protocol labels instead of codes, named columns.

Shared by the Cohort, Error profile and Trainee review pages (all owned together), so a
route shows as "Community responders", not ``community_responder``.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from app.core.plain_words import plural
from app.services.access import Actor
from app.services.labels import protocol_words, words_for

ATTEMPT_COLUMNS = {  # attempts_behind column -> heading
    "attempt_id": "Attempt",
    "submitted_at": "Submitted",
    "trainee": "Trainee",
    "scenario": "Call",
    "mode": "Mode",
    "score": "Score",
    "passed": "Passed",
    "unsafe": "Unsafe",
    "over_routed": "Police not needed",
    "seconds": "Seconds",
    "disposition": "Route chosen",
    "expert_disposition": "Route in the key",
    "missed_disqualifiers": "Missed",
    "over_disqualifiers": "Flagged wrongly",
    "twin_group": "Twin pair",
    "twin_variant": "Version",
}
_MISSED = re.compile(r"missed '([a-z_]+)' (\d+) times?")


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def words(_actor: Actor, agency_id: int) -> dict[str, dict[str, str]]:
    """The agency protocol's words (cached per agency; the actor is checked by the service)."""
    return protocol_words(actor=_actor)


def _yes_no(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return "yes" if bool(value) else "no"


def attempt_table(rows: pd.DataFrame, labels: dict[str, dict[str, str]]) -> pd.DataFrame:
    """``review.attempts_behind`` rows as a supervisor reads them (no user ids, no codes)."""
    out = rows.drop(columns=["user_id"], errors="ignore").copy()
    one = lambda section: lambda code: words_for(None if code is None else [code], section)  # noqa: E731
    for column in ("disposition", "expert_disposition"):
        if column in out:
            out[column] = out[column].map(one(labels["routes"]))
    for column in ("missed_disqualifiers", "over_disqualifiers"):
        if column in out:
            out[column] = out[column].map(lambda c: words_for(c, labels["disqualifiers"]))
    if "mode" in out:
        out["mode"] = out["mode"].map(one(labels["modes"]))
    for column in ("passed", "unsafe", "over_routed"):
        if column in out:
            out[column] = out[column].map(_yes_no)
    return out.rename(columns=ATTEMPT_COLUMNS)


def stuck_reasons(text: object, labels: dict[str, dict[str, str]]) -> str:
    """ "missed 'weapon' 2 times" -> "missed “Weapon” 2 times": the agency's label for the
    code (the rest unchanged)."""
    if not isinstance(text, str):
        return ""

    def word(match: re.Match) -> str:
        label = labels["disqualifiers"].get(match[1], match[1].replace("_", " "))
        return f"missed “{label}” {plural(int(match[2]), 'time')}"

    return _MISSED.sub(word, text)
