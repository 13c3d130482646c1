"""My training: the one next step, the certification checklist, and how practice goes.

The checklist and the next step come from the certification track's own eligibility
check (``app.core.training_plan``), so this page and the exam page always agree: the
exam button appears exactly when the exam may be started.
"""

import streamlit as st

from app.core import training_plan as tp
from app.core.plain_words import plural
from app.errors import UserError
from app.services import certification, practice
from app.ui.grade_card import plain
from app.ui.session import page_actor

actor = page_actor("practice")

STEP_TARGETS = {  # next-step kind -> (page, button label, icon)
    tp.LESSON: ("app_pages/lessons.py", "Open the lesson", ":material/menu_book:"),
    tp.CHECK: ("app_pages/lessons.py", "Open the knowledge check", ":material/quiz:"),
    tp.PRACTICE: ("app_pages/trainee_call.py", "Take a call", ":material/call:"),
    tp.EXAM: ("app_pages/trainee_exam.py", "Go to the exam", ":material/verified:"),
    tp.RESUME: ("app_pages/trainee_exam.py", "Resume the exam", ":material/play_arrow:"),
}


def _track() -> tuple[dict | None, certification.TrackOverview | None]:
    """(the first track with its eligibility, its rules) or (None, None) without a track."""
    try:
        overview = certification.exam_overview(actor=actor)
    except UserError as exc:  # a broken track file: say so once, keep the page usable
        st.warning(plain(exc))
        return None, None
    tracks = overview.get("tracks") or []
    if not tracks:
        return None, None
    track = tracks[0]
    return track["eligibility"], track


progress = practice.my_progress(actor=actor)
eligibility, track = _track()
plan = tp.training_plan(
    progress["modules"],
    eligibility,
    average_of_last=track["average_of_last"] if track else None,
    practice_target=progress["practice_target"],
    calls_in_all=progress["attempts"],
    average_all=progress["average_score"],
    open_exam=bool(track and track.get("open_exam_id")),
)

st.title("My training")
st.text(f"Welcome back, {actor.display_name or actor.username}.")

with st.container(border=True, key="home-next"):
    st.markdown("**Your next step**")
    step = plan.next_step
    st.markdown(plain(step.text))
    target = STEP_TARGETS.get(step.kind)
    if target is not None:
        page, label, icon = target
        if st.button(label, icon=icon, type="primary", key="home.next"):
            if step.module:
                st.session_state["lessons.slug"] = step.module
            st.switch_page(page)

with st.container(border=True):
    title = (track["title"] if track else "") or "Certification"
    st.markdown(f"**{plain(title)}**")
    st.caption(
        f"Before the exam: {plan.met} of {plural(len(plan.requirements), 'requirement')} met."
    )
    for req in plan.requirements:
        icon = ":material/check_circle:" if req.met else ":material/radio_button_unchecked:"
        value = req.shown / req.target if req.target else 1.0
        st.progress(value, text=f"{icon} {req.text}")
    if plan.calls_in_all > progress["practice_target"]:
        st.caption(
            f"You have submitted {plural(plan.calls_in_all, 'practice call')} in all; "
            "practice beyond the target still counts towards your average."
        )

cols = st.columns(3)
cols[0].metric(
    "Practice calls passed",
    progress["passed_calls"],
    help=f"Out of {plural(progress['attempts'], 'practice call')} submitted.",
)
cols[1].metric(
    "Average score",
    "—" if plan.average is None else f"{plan.average:g}",
    help=plan.average_text + ". This is the average the exam rules use.",
)
cols[2].metric(
    "Unsafe dispatches",
    progress["unsafe"],
    help="Calls where an unarmed team would have gone alone into danger.",
)
st.caption(plan.average_text + ".")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Spotting the disqualifiers", anchor=False)
    st.caption("How often you marked each disqualifier when the call had it.")
    for acc in progress["disqualifier_accuracy"].values():
        if acc["tries"]:
            caught = min(acc["caught"], acc["tries"])
            st.progress(
                caught / acc["tries"],
                text=f"{plain(acc['label'])}: caught {caught} of {acc['tries']}",
            )
        else:
            st.progress(0.0, text=f"{plain(acc['label'])}: no calls with it yet")
    if progress["over_routed"]:
        st.caption(
            f"You sent police to {plural(progress['over_routed'], 'call')} that did not need them."
        )

with right:
    st.subheader("Lessons", anchor=False)
    for module in progress["modules"]:
        if module["check_passed"]:
            icon, state = ":material/check_circle:", f"passed ({module['check_score']} %)"
        elif module["read"]:
            icon, state = ":material/radio_button_partial:", "read, check not passed yet"
        else:
            icon, state = ":material/radio_button_unchecked:", "not started"
        st.markdown(f"{icon} **{plain(module['title'])}** — {plain(state)}")
