"""Trainer: key scenarios blind, then compare; agreement across the panel of trainers."""

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from app.core.calibration import AGREEMENT_THRESHOLD, DIMENSION_LABELS, DIMENSIONS
from app.errors import UserError
from app.services import calibration
from app.ui.grade_card import plain
from app.ui.scenario_preview import render_preview
from app.ui.session import page_actor

actor = page_actor("calibrate")
st.title("Calibration")
st.caption(
    "Several trainers key the same call without seeing each other's keys or the stored "
    "key: the disqualifiers, the final call type, the priority and the route. Once you "
    "submit yours, you see everyone's and how far the panel agrees. Agreement needs at "
    "least two keys from trainers other than the one who wrote the stored key. A "
    f"scenario is contested when agreement on any part is below {AGREEMENT_THRESHOLD:.0%}, "
    "when the disqualifiers differ at all, or when most trainers disagree with the stored "
    "key; a contested draft cannot be published until that is resolved."
)


@st.cache_data(ttl=600, max_entries=64, show_spinner="Rendering the caller's voice…")
def _clip(_actor, version_id: int, digest: str, item: str) -> bytes | None:
    return calibration.task_clip(actor=_actor, version_id=version_id, item=item)


def _pct(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def _key_text(key: Mapping[str, Any], labels: dict) -> tuple[str, str, str, str]:
    priority = key.get("priority")
    return (
        ", ".join(labels["dq"].get(d, d) for d in key.get("disqualifiers") or []) or "None",
        labels["ct"].get(key.get("call_type"), key.get("call_type") or "—"),
        f"Priority {priority}" if priority else "—",
        labels["route"].get(key.get("disposition"), key.get("disposition") or "—"),
    )


tab_key, tab_report = st.tabs(["Key a scenario", "Agreement"])

with tab_key:
    queue = calibration.calibration_queue(actor=actor)
    if not queue:
        st.info("There is nothing to calibrate yet.")
    else:
        by_id = {q["version_id"]: q for q in queue}

        def _label(v: int) -> str:
            q = by_id[v]
            if q["author"]:
                mine = "you wrote its key"
            elif q["keyed_by_me"]:
                mine = "keyed by you"
            elif q["mine_stale"]:
                mine = "edited since you keyed it"
            else:
                mine = "not keyed by you"
            status = "draft" if q["status"] == "draft" else q["status"]
            return f"{q['key']} — {q['title']} ({status}, {q['keys']} key(s), {mine})"

        if st.session_state.get("cal.pick") not in by_id:
            st.session_state["cal.pick"] = next(iter(by_id))
        chosen = st.selectbox("Scenario", list(by_id), format_func=_label, key="cal.pick")
        task = calibration.calibration_task(actor=actor, version_id=chosen)
        choices = task["choices"]
        labels = {
            "dq": {d["code"]: d["label"] for d in choices["disqualifiers"]},
            "ct": {c["code"]: c["label"] for c in choices["call_types"]},
            "route": {d["code"]: d["label"] for d in choices["dispositions"]},
        }
        flash = st.session_state.pop("cal.flash", None)
        if flash:
            kind, message = flash
            (st.success if kind == "ok" else st.error)(plain(message))
        if task["mine_stale"]:
            st.info("The call was edited since you keyed it: key it again.")

        def _submit(version_id: int, prefix: str) -> None:
            try:
                calibration.submit_key(
                    actor=actor,
                    version_id=version_id,
                    disqualifiers=[
                        code for code in labels["dq"] if st.session_state.get(f"{prefix}.dq.{code}")
                    ],
                    call_type=st.session_state.get(f"{prefix}.call_type"),
                    priority=st.session_state.get(f"{prefix}.priority"),
                    disposition=st.session_state.get(f"{prefix}.disposition"),
                )
                st.session_state["cal.flash"] = ("ok", "Your key is saved.")
            except UserError as exc:
                st.session_state["cal.flash"] = ("error", str(exc))

        digest = repr(sorted(task["preview"].items()))  # the call as shown, for the cache
        right = render_preview(
            task["preview"],
            key=f"cal.preview.{chosen}",
            decision=False,
            clip=lambda item: _clip(actor, chosen, digest, item),
        )
        with right:
            with st.container(border=True):
                if task["author"]:
                    st.subheader("Your scenario", anchor=False)
                    st.caption(
                        "You wrote its key (an edit of the title or the call alone does not "
                        "make anyone the key's author), so you do not key it. Other "
                        "trainers' keys appear below as they come in."
                    )
                else:
                    mine: Mapping[str, Any] = task["mine"] or {}
                    st.subheader("Change your key" if task["mine"] else "Your key", anchor=False)
                    prefix = f"cal.form.{chosen}.{mine.get('revisions', 'new')}"
                    with st.form(f"{prefix}.form", border=False):
                        st.markdown("**Disqualifiers heard on this call**")
                        for code, label in labels["dq"].items():
                            st.checkbox(
                                plain(label),
                                value=code in (mine.get("disqualifiers") or []),
                                key=f"{prefix}.dq.{code}",
                            )
                        codes = list(labels["ct"])
                        st.selectbox(
                            "Final call type",
                            codes,
                            index=codes.index(mine["call_type"])
                            if mine.get("call_type") in codes
                            else None,
                            format_func=lambda c: labels["ct"].get(c, c),
                            placeholder="Choose the final call type",
                            key=f"{prefix}.call_type",
                        )
                        priorities = list(choices.get("priorities") or [1, 2, 3, 4])
                        st.radio(
                            "Priority",
                            priorities,
                            index=priorities.index(mine["priority"])
                            if mine.get("priority") in priorities
                            else None,
                            format_func=lambda p: f"Priority {p}",
                            horizontal=True,
                            key=f"{prefix}.priority",
                        )
                        routes = list(labels["route"])
                        st.radio(
                            "Send the call to",
                            routes,
                            index=routes.index(mine["disposition"])
                            if mine.get("disposition") in routes
                            else None,
                            format_func=lambda c: plain(labels["route"].get(c, c)),
                            key=f"{prefix}.disposition",
                        )
                        st.form_submit_button(
                            "Revise my key" if task["mine"] else "Submit my key",
                            type="primary",
                            on_click=_submit,
                            args=(chosen, prefix),
                        )

        if task["revealed"]:
            st.divider()
            st.subheader("The panel's keys", anchor=False)
            agreement = task["agreement"]
            rows = []
            for other in task["others"]:
                dq, ct, priority, route = _key_text(other, labels)
                rows.append(
                    {
                        "Trainer": other["trainer"] + (" (you)" if other["yours"] else ""),
                        "Disqualifiers": dq,
                        "Call type": ct,
                        "Priority": priority,
                        "Route": route,
                        "Revised": other["revisions"],
                        "For an earlier text": other["stale"],
                    }
                )
            expert = task.get("expert")
            if expert:
                dq, ct, priority, route = _key_text(expert, labels)
                rows.append(
                    {
                        "Trainer": "Stored key",
                        "Disqualifiers": dq,
                        "Call type": ct,
                        "Priority": priority,
                        "Route": route,
                        "Revised": None,
                        "For an earlier text": False,
                    }
                )
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
            cols = st.columns(len(DIMENSIONS))
            for col, dim in zip(cols, DIMENSIONS, strict=True):
                result: Mapping[str, Any] = agreement["dimensions"].get(dim) or {}
                col.metric(DIMENSION_LABELS[dim], _pct(result.get("agreement")))
            if agreement["contested"]:
                st.error("Contested: this scenario cannot be published until it is resolved.")
                for reason in agreement["reasons"]:
                    st.text(f"• {reason}")
                st.caption(
                    "Resolve it by discussing the call: trainers may revise their keys, or "
                    "the author can make the call clearer (it is then keyed again)."
                )
            elif agreement["status"] == "agreed":
                st.success(
                    f"Agreed: the {agreement['current_keys']} trainers who keyed this call "
                    "agree with each other and with the stored key."
                )
            elif agreement["current_keys"]:
                st.info(
                    "One key so far. Agreement needs at least two keys from different "
                    "trainers: ask another trainer to key this call."
                )
        elif not task["author"]:
            st.caption(
                f"{task['keys_so_far']} trainer(s) have keyed this call. Their keys and the "
                "stored key appear once you submit yours."
            )

with tab_report:
    report = calibration.calibration_report(actor=actor)
    if not report["scenarios"]:
        st.info("No scenario has been keyed yet.")
    else:
        st.markdown("**Fleiss' kappa across scenarios** (agreement beyond chance; 1 is perfect)")
        cols = st.columns(len(DIMENSIONS))
        for col, dim in zip(cols, DIMENSIONS, strict=True):
            value = report["kappa"][dim]
            col.metric(DIMENSION_LABELS[dim], "—" if value is None else f"{value:.2f}")
        st.caption(
            f"From {report['scenarios_with_two_or_more']} scenario(s) keyed by two trainers "
            "or more. Kappa is blank when every key gives the same answer."
        )
        st.markdown("**Per scenario**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Id": [s["key"] for s in report["scenarios"]],
                    "Title": [s["title"] for s in report["scenarios"]],
                    "Status": [s["status"] for s in report["scenarios"]],
                    "Keys": [s["keys"] for s in report["scenarios"]],
                    **{
                        DIMENSION_LABELS[dim]: [
                            s.get(f"{dim}_agreement") for s in report["scenarios"]
                        ]
                        for dim in DIMENSIONS
                    },
                    "Calibration": [s["calibration"] for s in report["scenarios"]],
                    "Why": ["; ".join(s["reasons"]) for s in report["scenarios"]],
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                DIMENSION_LABELS[dim]: st.column_config.NumberColumn(format="percent")
                for dim in DIMENSIONS
            },
        )
        st.markdown("**Per trainer** (agreement with the other trainers' majority)")
        if report["trainers"]:
            st.dataframe(
                pd.DataFrame(
                    {
                        "Trainer": [t["trainer"] for t in report["trainers"]],
                        "Scenarios": [t["scenarios"] for t in report["trainers"]],
                        "Agreement": [t["agreement"] for t in report["trainers"]],
                        **{
                            DIMENSION_LABELS[dim]: [
                                t.get(f"{dim}_agreement") for t in report["trainers"]
                            ]
                            for dim in DIMENSIONS
                        },
                    }
                ),
                hide_index=True,
                width="stretch",
                column_config={
                    name: st.column_config.NumberColumn(format="percent")
                    for name in ["Agreement", *(DIMENSION_LABELS[d] for d in DIMENSIONS)]
                },
            )
        else:
            st.caption("No scenario has two keys yet.")
