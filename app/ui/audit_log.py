"""The audit log as a supervisor or admin reads it: plain event names, plain details,
and a correct count ("1 entry", "2 entries")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from app.core.plain_words import EVENT_LABELS, details_text, event_label, plural, subject_label
from app.services import audit
from app.services.access import Actor
from app.store.models import ROLES

ROLE_WORDS = {role: role.capitalize() for role in ROLES}


def audit_rows(entries: Sequence[Mapping[str, Any]]) -> list[dict]:
    """The table rows for ``audit.agency_entries`` output, in words."""
    return [
        {
            "#": e["id"],
            "When (UTC)": e["at"].strftime("%Y-%m-%d %H:%M:%S"),
            "What happened": event_label(e["event"]),
            "About": subject_label(e["subject"]),
            "By": e["actor"],
            "Details": details_text(e["payload"], ROLE_WORDS),
        }
        for e in entries
    ]


def render_audit_log(actor: Actor, *, key: str = "audit") -> None:
    """The check of the hash chain and the agency's newest entries (service-checked)."""
    state = audit.check_log(actor=actor)
    if state["ok"]:
        st.success(
            f"The audit log is intact: {plural(state['entries'], 'entry')}, each linked to the "
            "one before, and none changed or missing."
        )
    else:
        st.error(
            f"The audit log fails its check ({plural(state['problems'], 'problem')}). "
            "Ask whoever runs the server to run `python -m app audit verify` for details."
        )
    choice = st.selectbox(
        "Show",
        [None, *EVENT_LABELS],
        format_func=lambda e: "Every kind of event" if e is None else EVENT_LABELS[e],
        key=f"{key}.event",
    )
    entries = audit.agency_entries(actor=actor, event=choice)
    if not entries:
        st.caption("No entries for your center yet.")
        return
    st.caption(f"The newest {plural(len(entries), 'entry')} for your center, newest first.")
    st.dataframe(pd.DataFrame(audit_rows(entries)), hide_index=True, width="stretch")
