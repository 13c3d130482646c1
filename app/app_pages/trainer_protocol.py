"""Trainer or admin: the agency's protocol (dispatch model, eligible call types, hotline
hours, the agency's own screening questions)."""

import streamlit as st

from app.errors import UserError
from app.services import authoring
from app.services.access import can
from app.services.practice import UNCLEAR_REPLY
from app.ui.grade_card import plain
from app.ui.session import page_actor

actor = page_actor("edit_protocol")
st.title("Agency protocol")
settings = authoring.protocol_settings(actor=actor)
st.caption(
    f"{settings['agency']}: how your center screens and routes calls. Changes are checked "
    "before they are saved, and apply to new practice calls and exams at once."
)

flash = st.session_state.pop("protocol.flash", None)
if flash:
    kind, message = flash
    (st.success if kind == "ok" else st.error)(plain(message))

models = settings["models"]
call_types = {c["code"]: c for c in settings["call_types"]}
with st.form("protocol.form"):
    cols = st.columns(2)
    model = cols[0].selectbox(
        "Dispatch model",
        list(models),
        index=list(models).index(settings["dispatch_model"]),
        format_func=lambda m: models.get(m, m),
        key="protocol.model",
    )
    hours = cols[1].text_input(
        "External hotline hours",
        value=settings["hotline_hours"],
        help='"24/7", or a daily window such as 08:00-22:00 (20:00-06:00 runs past midnight). '
        "Only matters under the external hotline model.",
        key="protocol.hours",
    )
    eligible = st.multiselect(
        "Call types community responders may take",
        list(call_types),
        default=[c for c, spec in call_types.items() if spec["eligible"]],
        format_func=lambda c: call_types[c]["label"],  # the protocol's words, not its codes
        key="protocol.eligible",
    )
    changed = [
        c
        for c, spec in call_types.items()
        if spec["default_eligible"] is not None and spec["eligible"] != spec["default_eligible"]
    ]
    if changed:
        st.caption("Differs from the default protocol: " + ", ".join(changed))

    st.markdown("**Your own screening questions**")
    st.caption(
        "Questions your call takers ask besides the default ones. Scenarios can script the "
        "caller's answer with `ask: <id>`; otherwise the caller gives the default answer."
    )
    keep = []
    for question in settings["extra_questions"]:
        if st.checkbox(
            plain(
                f"{question['id']}: {question['text']} "
                f"(default answer: {question['default_answer']})"
            ),
            value=True,
            key=f"protocol.keep.{question['id']}",
        ):
            keep.append(question)
    st.markdown("Add a question")
    fields = st.columns([1, 2, 2])
    new_id = fields[0].text_input("Id (lower_case)", key="protocol.new_id")
    new_text = fields[1].text_input("Wording", key="protocol.new_text")
    new_answer = fields[2].text_input("Default answer (optional)", key="protocol.new_answer")
    submitted = st.form_submit_button("Save the protocol", type="primary", icon=":material/save:")

if submitted:
    questions = list(keep)
    if new_id.strip() or new_text.strip():
        questions.append({"id": new_id, "text": new_text, "default_answer": new_answer})
    try:
        authoring.save_protocol(
            actor=actor,
            dispatch_model=model,
            eligible=eligible,
            hotline_hours=hours,
            extra_questions=questions,
        )
    except UserError as exc:
        st.error(f"Not saved: {plain(exc)}")
    else:
        st.session_state["protocol.flash"] = ("ok", "The protocol is saved.")
        for name in ("protocol.new_id", "protocol.new_text", "protocol.new_answer"):
            st.session_state.pop(name, None)
        st.rerun()

st.divider()
st.subheader("How your call takers ask", anchor=False)
st.caption(
    "Trainees type their questions in their own words. The call screen matches what they type "
    "with each question's wording, its standard wordings and the ones your center adds here "
    "(one per line), so the words your call takers really use are understood."
)
wordings = {w["id"]: w for w in settings["wordings"]}
question_id = st.selectbox(
    "Question",
    list(wordings),
    format_func=lambda q: wordings[q]["text"],
    key="protocol.wording_question",
)
chosen = wordings[question_id]
if chosen["standard"]:
    with st.expander(f"Standard wordings ({len(chosen['standard'])}), always understood"):
        st.text("\n".join(chosen["standard"]))
with st.form("protocol.wordings"):
    typed_wordings = st.text_area(
        "Your center's wordings, one per line",
        value="\n".join(chosen["own"]),
        height=140,
        key=f"protocol.wordings.{question_id}",
    )
    save_wordings = st.form_submit_button("Save the wordings", icon=":material/save:")
if save_wordings:
    try:
        authoring.save_question_wordings(
            actor=actor, question_id=question_id, wordings=typed_wordings.splitlines()
        )
    except UserError as exc:
        st.error(f"Not saved: {plain(exc)}")
    else:
        st.session_state["protocol.flash"] = ("ok", "The wordings are saved.")
        st.rerun()

trial = st.text_input(
    "Try a question as a trainee would type it",
    placeholder="e.g. does he have anything on him",
    key="protocol.try",
)
if trial.strip():
    try:
        match = authoring.try_typed_question(actor=actor, text=trial)
    except UserError as exc:
        st.error(plain(exc))
    else:
        if match.question:
            st.success(f"Understood as: {plain(wordings[match.question]['text'])}")
        else:
            st.info(
                f'Not understood as a screening question: the caller would answer "{UNCLEAR_REPLY}" '
                "Add this wording to the right question if your call takers ask it this way."
            )

st.divider()
st.subheader("Review before trainees see a change", anchor=False)
rules = authoring.review_settings(actor=actor)
may_set_rules = can(actor, authoring.review.SETTINGS_PERMISSION)
st.caption(
    "New and changed scenarios are drafts until they are approved. With the two-person rule "
    "a trainer who changed a draft cannot approve it; with calibration, at least two other "
    "trainers must key the call the same way first."
    + ("" if may_set_rules else " Only an admin can change these rules.")
)
with st.form("protocol.review"):
    two_person = st.toggle(
        "Two-person rule: a second trainer approves every change",
        value=rules["review_required"],
        disabled=not may_set_rules,
        key="protocol.review_required",
    )
    calibrated = st.toggle(
        "Calibration: two independent keys must agree before publishing",
        value=rules["calibration_required"],
        disabled=not may_set_rules,
        key="protocol.calibration_required",
    )
    save_rules = st.form_submit_button("Save the review rules", disabled=not may_set_rules)
if save_rules:
    try:
        authoring.set_review_settings(
            actor=actor, review_required=two_person, calibration_required=calibrated
        )
    except UserError as exc:
        st.error(f"Not saved: {plain(exc)}")
    else:
        st.session_state["protocol.flash"] = ("ok", "The review rules are saved.")
        st.rerun()

st.divider()
st.subheader("Check the bank", anchor=False)
st.caption("Scenarios that no longer fit the saved protocol cannot be played as written.")
if st.button("Check every scenario against the saved protocol", key="protocol.check"):
    broken = authoring.protocol_impact(actor=actor)
    if broken:
        st.warning(f"{len(broken)} scenario(s) need attention:")
        st.code("\n".join(broken), language=None, wrap_lines=True)
    else:
        st.success("Every current scenario fits the protocol.")
