"""The decision panel of the call screen: disqualifiers, call type, priority, route, Submit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from app.services import practice
from app.services.access import Actor
from app.ui.call_actions import (
    init_key,
    on_disqualifier,
    on_mark,
    on_submit,
    state_key,
)
from app.ui.call_assets import DISQUALIFIER_KEYS
from app.ui.call_context import PRIORITY_HELP
from app.ui.grade_card import plain, plain_label


def render_hints(actor: Actor, attempt_id: int) -> None:
    """Guided calls: hints on what may have been missed, beside the question cards (the
    decision panel stays short enough to keep Submit in view)."""
    for hint in practice.guided_hints(actor=actor, attempt_id=attempt_id):
        st.info(plain(hint), icon=":material/lightbulb:")


def _disqualifier(actor: Actor, attempt_id: int, item: Mapping[str, Any], on: bool) -> None:
    code = item["code"]
    hotkey = f" (Alt+{DISQUALIFIER_KEYS[code]})" if code in DISQUALIFIER_KEYS else ""
    with st.container(key=f"cs-dq-{code}"):
        st.checkbox(
            plain_label(item["label"]),
            key=init_key(attempt_id, f"dq.{code}", on),
            help=plain(item["description"]) + hotkey,
            on_change=on_disqualifier,
            args=(actor, attempt_id, code),
        )


def render_decision(actor: Actor, view: Mapping[str, Any], attempt_id: int) -> None:
    marks = view["marks"]
    st.markdown("#### Your decision")
    st.caption("Disqualifiers heard on this call")
    # Two to a row, in order, on every screen (the style sheet sizes the boxes).
    with st.container(key="cs-dqs", horizontal=True, gap="small"):
        for item in view["disqualifiers"]:
            _disqualifier(actor, attempt_id, item, item["code"] in marks["disqualifiers"])
    labels = {c["code"]: c["label"] for c in view["call_types"]}
    wkey = init_key(
        attempt_id, "call_type", marks["call_type"] if marks["call_type"] in labels else None
    )
    with st.container(key="cs-call-type"):
        st.selectbox(
            "Call type",
            options=list(labels),
            format_func=lambda code: labels.get(code, code),
            key=wkey,
            placeholder="Choose the final call type (type to search)",
            on_change=on_mark,
            args=(actor, attempt_id, "call_type"),
        )
    wkey = init_key(attempt_id, "priority", marks["priority"])
    with st.container(key="cs-priority"):
        st.segmented_control(
            "Priority (1 = most urgent, 4 = can wait)",
            options=view["priorities"],
            key=wkey,
            help=PRIORITY_HELP,
            on_change=on_mark,
            args=(actor, attempt_id, "priority"),
        )
    routes = {d["code"]: d["label"] for d in view["dispositions"]}
    wkey = init_key(
        attempt_id,
        "disposition",
        marks["disposition"] if marks["disposition"] in routes else None,
    )
    with st.container(key="cs-route"):
        st.radio(
            "Send the call to",
            options=list(routes),
            format_func=lambda code: plain_label(routes.get(code, code)),
            key=wkey,
            on_change=on_mark,
            args=(actor, attempt_id, "disposition"),
            help="Only the routes your agency has at the time of this call are listed.",
        )
    error = st.session_state.pop(state_key(attempt_id, "error"), None)
    if error:
        st.error(plain(error))
    with (
        st.container(key="cs-submit"),
        st.form(state_key(attempt_id, "submit-form"), border=False),
    ):
        st.form_submit_button(
            "Submit call",
            type="primary",
            icon=":material/send:",
            on_click=on_submit,
            args=(actor, attempt_id, view["idempotency_key"]),
            width="stretch",
        )
