"""Trainer: browse the scenario bank with item statistics; publish, retire, edit."""

from typing import Any

import pandas as pd
import streamlit as st

from app.errors import UserError
from app.services import authoring
from app.settings import get_settings
from app.ui.grade_card import plain
from app.ui.session import page_actor

actor = page_actor("author_scenarios")
st.title("Scenario bank")
st.caption(
    "The current version of every scenario of your agency. Facility is the mean score "
    "(0 to 1); discrimination is how well the scenario separates trainees who do well "
    "elsewhere from those who do not (see Item analysis). Statistics are refreshed every "
    "minute."
)

rules = authoring.review_settings(actor=actor)
st.caption(
    "Trainees get only published versions. Uploads, edits and generated calls are drafts; "
    + (
        "publishing one needs a second trainer who did not change it"
        if rules["review_required"]
        else "your agency lets the trainer who changed a draft publish it"
    )
    + (
        ", and a calibration panel of at least two trainers whose keys agree."
        if rules["calibration_required"]
        else "."
    )
    + " Your administrator sets these rules."
)

ALL = "All"
filters = authoring.bank_filters(actor=actor)


def _choice(label: str, options: list, labels: dict | None = None, key: str = "") -> Any:
    shown = [ALL, *options]
    value = st.selectbox(
        label,
        shown,
        format_func=lambda v: v if v == ALL else str((labels or {}).get(v, v)),
        key=key,
    )
    return None if value == ALL else value


cols = st.columns(6)
with cols[0]:
    module = _choice("Module", filters["modules"], key="bank.module")
with cols[1]:
    call_type = _choice("Call type", list(filters["call_types"]), filters["call_types"], "bank.ct")
with cols[2]:
    disqualifier = _choice(
        "Disqualifier",
        ["none", *filters["disqualifiers"]],
        {"none": "None at all", **filters["disqualifiers"]},
        "bank.dq",
    )
with cols[3]:
    model = _choice("Dispatch model", list(filters["models"]), filters["models"], "bank.model")
with cols[4]:
    difficulty = _choice("Difficulty", filters["difficulties"], key="bank.difficulty")
with cols[5]:
    status = _choice("Status", filters["statuses"], key="bank.status")


@st.cache_data(ttl=60, max_entries=8, show_spinner="Working out item statistics…")
def _stats(_actor, user_id: int, database: str) -> dict:
    # Item statistics read every graded attempt of the agency: kept for a minute.
    return authoring.item_stats_map(actor=_actor)


rows = authoring.bank(
    actor=actor,
    module=module,
    call_type=call_type,
    disqualifier=disqualifier,
    model=model,
    difficulty=difficulty,
    status=status,
    stats=_stats(actor, actor.user_id, get_settings().effective_database_url),
)
flash = st.session_state.pop("bank.flash", None)
if flash:
    kind, message = flash
    (st.success if kind == "ok" else st.error)(plain(message))

st.caption(f"{len(rows)} scenario(s) match.")
if rows:
    table = pd.DataFrame(
        {
            "Id": [r["key"] for r in rows],
            "Version": [r["version"] for r in rows],
            "Title": [r["title"] for r in rows],
            "Module": [r["module"] for r in rows],
            "Call type": [r["call_type"] for r in rows],
            "Disqualifiers": [", ".join(r["disqualifiers"]) or "none" for r in rows],
            "Difficulty": [r["difficulty"] for r in rows],
            "Status": ["draft of a change" if r.get("pending") else r["status"] for r in rows],
            "Source": [r["source"] for r in rows],
            "Model entries": [", ".join(r["models"]) for r in rows],
            "Attempts": [r["attempts"] for r in rows],
            "Facility": [r["facility"] for r in rows],
            "Discrimination": [r["discrimination"] for r in rows],
            "Dubious": [r["dubious"] for r in rows],
            "Calibration": [r["calibration"] for r in rows],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Facility": st.column_config.NumberColumn(format="%.2f"),
            "Discrimination": st.column_config.NumberColumn(format="%.2f"),
            "Attempts": st.column_config.NumberColumn(
                help="Graded attempts without guided-mode hints"
            ),
        },
    )

    st.subheader("Act on a scenario", anchor=False)
    by_id = {r["version_id"]: r for r in rows}
    chosen = st.selectbox(
        "Scenario",
        list(by_id),
        format_func=lambda v: (
            f"{by_id[v]['key']} — {by_id[v]['title']} (version {by_id[v]['version']}, "
            + ("draft of a change" if by_id[v].get("pending") else by_id[v]["status"])
            + ")"
        ),
        key="bank.selected",
    )
    row = by_id[chosen]
    review = (
        authoring.review_state(actor=actor, version_id=chosen) if row["status"] == "draft" else None
    )
    if review is not None:
        who = ", ".join(review["editors"]) or "an import"
        st.caption(
            plain(
                f"Draft changed by {who}. Publishing it needs a second trainer's approval"
                if review["rules"]["review_required"]
                else f"Draft changed by {who}."
            )
        )
        for block in review["blocks"]:
            st.info(plain(block), icon=":material/rule:")
    if row["hints"]:
        for hint in row["hints"]:
            st.warning(hint, icon=":material/lightbulb:")
    if row["contested"]:
        st.warning(
            "Contested in calibration: it cannot be published until the trainers' keys agree.",
            icon=":material/balance:",
        )

    def _set(version_id: int, status: str) -> None:
        try:
            result = authoring.set_status(actor=actor, version_id=version_id, status=status)
            words = {
                "published": "published: trainees get it now",
                "retired": "retired: trainees no longer get it",
                "draft": "back to draft: trainees no longer get it until it is approved again",
            }
            st.session_state["bank.flash"] = (
                "ok",
                f"{result['key']} is {words.get(result['status'], result['status'])}.",
            )
        except UserError as exc:
            st.session_state["bank.flash"] = ("error", str(exc))

    buttons = st.columns(4)
    buttons[0].button(
        "Approve and publish" if row["status"] == "draft" else "Publish",
        key="bank.publish",
        icon=":material/publish:",
        disabled=row["status"] == "published" or bool(review and not review["can_approve"]),
        on_click=_set,
        args=(chosen, "published"),
    )
    buttons[1].button(
        "Retire",
        key="bank.retire",
        icon=":material/archive:",
        disabled=row["status"] != "published",
        on_click=_set,
        args=(chosen, "retired"),
    )

    def _reject(version_id: int) -> None:
        try:
            outcome = authoring.reject_draft(actor=actor, version_id=version_id)
            st.session_state["bank.flash"] = (
                "ok",
                "The draft is rejected and deleted."
                if outcome == "deleted"
                else "The draft is rejected; it was already keyed or tried, so it is kept "
                "as retired.",
            )
        except UserError as exc:
            st.session_state["bank.flash"] = ("error", str(exc))

    if row["status"] == "draft":
        buttons[2].button(
            "Reject draft",
            key="bank.reject",
            icon=":material/delete:",
            on_click=_reject,
            args=(chosen,),
        )
    else:
        buttons[2].button(
            "Back to draft",
            key="bank.draft",
            icon=":material/edit_document:",
            on_click=_set,
            args=(chosen, "draft"),
        )
    if buttons[3].button("Open in the editor", key="bank.edit", icon=":material/edit_note:"):
        st.session_state["editor.version_id"] = chosen
        st.switch_page("app_pages/trainer_editor.py")
else:
    st.info("No scenario matches these filters.")
