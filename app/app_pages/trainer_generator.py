"""Trainer: generate synthetic calls as drafts, then review each one and publish or reject."""

import streamlit as st

from app.errors import UserError
from app.services import authoring
from app.ui.grade_card import plain
from app.ui.scenario_preview import render_preview
from app.ui.session import page_actor

actor = page_actor("author_scenarios")
st.title("Generate calls")
st.caption(
    "The generator writes calls from the templates and derives each key by rule. "
    "The same settings and seed always give the same calls. New calls are stored as "
    "drafts: trainees never see them until another trainer approves and publishes them."
)

options = authoring.generator_options(actor=actor)
call_types = {c["code"]: c for c in options["call_types"]}


@st.cache_data(ttl=600, max_entries=64, show_spinner="Rendering the caller's voice…")
def _clip(_actor, version_id: int, digest: str, item: str) -> bytes | None:
    data = authoring.load_scenario(actor=_actor, version_id=version_id)["data"]
    return authoring.preview_clip(actor=_actor, data=data, item=item)


with st.container(border=True):
    cols = st.columns(3)
    count = cols[0].number_input(
        "How many calls", min_value=1, max_value=options["max_count"], value=10, key="gen.count"
    )
    seed = cols[1].number_input("Seed", min_value=0, value=1, step=1, key="gen.seed")
    twins = cols[2].checkbox(
        "Counterfactual twins",
        key="gen.twins",
        help="Each call comes twice, differing only in who the people are (for equity audits).",
    )
    how = st.radio(
        "Draw",
        ["groups", "types"],
        format_func=lambda v: "A mix of call-type groups" if v == "groups" else "Chosen call types",
        horizontal=True,
        key="gen.how",
    )
    mix: dict[str, float] = {}
    if how == "groups":
        group_cols = st.columns(len(options["groups"]))
        for col, group in zip(group_cols, options["groups"], strict=True):
            mix[group] = col.number_input(
                options["group_labels"].get(group, group),
                min_value=0,
                max_value=100,
                value=int(options["default_mix"].get(group, 0)),
                key=f"gen.weight.{group}",
            )
        mix = {g: float(w) for g, w in mix.items() if w}
    else:
        picked_types = st.multiselect(
            "Call types (each drawn equally often)",
            list(call_types),
            format_func=lambda c: (
                f"{call_types[c]['label']} — templates: {', '.join(call_types[c]['templates'])}"
            ),
            key="gen.types",
        )
        mix = {code: 1.0 for code in picked_types}
    if st.button("Generate drafts", type="primary", icon=":material/auto_awesome:", key="gen.go"):
        if not mix:
            st.error("Choose at least one group weight or call type.")
        else:
            bar = st.progress(0.0, text="Starting…")
            try:
                result = authoring.generate_drafts(
                    actor=actor,
                    count=int(count),
                    seed=int(seed),
                    mix=mix,
                    twins=twins,
                    progress=lambda fraction, text: bar.progress(min(fraction, 1.0), text=text),
                )
            except UserError as exc:
                bar.empty()
                st.error(plain(exc))
            else:
                bar.progress(1.0, text="Done")
                beside_live = (
                    f" {result['new_draft']} changed call(s) saved as a draft of a new version; "
                    "trainees keep the published one until it is approved."
                    if result["new_draft"]
                    else ""
                )
                st.success(
                    f"{result['created']} new draft(s); {result['unchanged']} already in the "
                    f"bank unchanged; {result['updated'] + result['new_version']} updated."
                    + beside_live
                )
                if result["skipped"]:
                    st.warning(
                        f"{len(result['skipped'])} call(s) do not fit your agency's protocol "
                        "and were not stored:"
                    )
                    st.code("\n".join(result["skipped"]), language=None, wrap_lines=True)

st.divider()
st.subheader("Review drafts", anchor=False)
flash = st.session_state.pop("gen.flash", None)
if flash:
    kind, message = flash
    (st.success if kind == "ok" else st.error)(plain(message))

drafts = authoring.generated_drafts(actor=actor)
if not drafts:
    st.info("No generated drafts are waiting for review.")
else:
    by_id = {d["version_id"]: d for d in drafts}
    st.caption(f"{len(drafts)} draft(s) waiting.")
    if st.session_state.get("gen.review") not in by_id:
        st.session_state["gen.review"] = next(iter(by_id))
    chosen = st.selectbox(
        "Draft",
        list(by_id),
        format_func=lambda v: f"{by_id[v]['key']} — {by_id[v]['title']}",
        key="gen.review",
    )

    def _publish(version_id: int) -> None:
        try:
            done = authoring.approve(actor=actor, version_id=version_id)
            st.session_state["gen.flash"] = ("ok", f"Approved and published {done['key']}.")
        except UserError as exc:
            st.session_state["gen.flash"] = ("error", str(exc))

    def _reject(version_id: int) -> None:
        try:
            outcome = authoring.reject_draft(actor=actor, version_id=version_id)
            st.session_state["gen.flash"] = (
                "ok",
                "Rejected and deleted."
                if outcome == "deleted"
                else "Rejected: it was already used, so it is retired instead of deleted.",
            )
        except UserError as exc:
            st.session_state["gen.flash"] = ("error", str(exc))

    review = authoring.review_state(actor=actor, version_id=chosen)
    for block in review["blocks"]:
        st.info(plain(block), icon=":material/rule:")
    buttons = st.columns(3)
    buttons[0].button(
        "Approve and publish",
        type="primary",
        icon=":material/publish:",
        key="gen.publish",
        disabled=not review["can_approve"],
        on_click=_publish,
        args=(chosen,),
    )
    buttons[1].button(
        "Reject", icon=":material/delete:", key="gen.reject", on_click=_reject, args=(chosen,)
    )
    scenario = authoring.load_scenario(actor=actor, version_id=chosen)
    key = authoring.key_summary(actor=actor, data=scenario["data"])
    with st.expander("The key (what the generator decided)", expanded=True):
        cols = st.columns(3)
        cols[0].markdown("**Disqualifiers**")
        cols[0].text(", ".join(key["disqualifiers"]) or "None")
        cols[0].markdown("**Final call type**")
        cols[0].text(key["call_type"])
        cols[1].markdown("**Best route**")
        cols[1].text(key["disposition"])
        cols[1].markdown("**Also acceptable / unsafe**")
        cols[1].text(
            f"{', '.join(key['acceptable']) or 'none'} / {', '.join(key['unsafe']) or 'none'}"
        )
        cols[2].markdown("**Required questions**")
        cols[2].text("\n".join(key["required_questions"]) or "None")
        st.markdown("**Rationale**")
        st.text(key["rationale"])
    view = authoring.preview(actor=actor, data=scenario["data"])
    render_preview(
        view,
        key=f"gen.preview.{chosen}",
        clip=lambda item: _clip(actor, chosen, scenario["yaml_text"], item),
    )
