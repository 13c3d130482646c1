"""My training: progress towards certification and what to do next."""

import streamlit as st

from app.services import practice
from app.ui.grade_card import plain
from app.ui.session import page_actor

actor = page_actor("practice")


def _track_progress() -> list[dict] | dict | None:
    """Certification track details, once the certification service offers them."""
    try:
        from app.services.certification import track_progress
    except ImportError:
        return None
    try:
        return track_progress(actor=actor)
    except Exception:  # optional panel: never break the home page
        return None


progress = practice.my_progress(actor=actor)
tracks = _track_progress()
if isinstance(tracks, dict):
    tracks = [tracks]

st.title("My training")
st.write(f"Welcome back, {plain(actor.display_name or actor.username)}.")

with st.container(border=True):
    st.markdown("**Progress towards certification**")
    shown = False
    for item in tracks or []:
        if not isinstance(item, dict) or not isinstance(item.get("progress"), int | float):
            continue
        name = item.get("title") or item.get("track") or "Certification"
        value = min(1.0, max(0.0, float(item["progress"])))
        st.progress(value, text=f"{plain(name)}: {round(value * 100)} %")
        if item.get("detail"):
            st.caption(plain(item["detail"]))
        shown = True
    if not shown:
        st.progress(
            progress["readiness"],
            text=f"{round(progress['readiness'] * 100)} % — lessons passed and practice calls "
            "passed",
        )
    step = progress["next_step"]
    st.markdown(f"**Next:** {plain(step['text'])}")
    target = {
        "lesson": ("app_pages/lessons.py", "Open the lesson", ":material/menu_book:"),
        "check": ("app_pages/lessons.py", "Open the lesson", ":material/menu_book:"),
        "practice": ("app_pages/trainee_call.py", "Take a call", ":material/call:"),
        "exam": ("app_pages/trainee_exam.py", "Go to the exam", ":material/verified:"),
    }[step["kind"]]
    if st.button(target[1], icon=target[2], type="primary", key="home.next"):
        if step.get("module"):
            st.session_state["lessons.slug"] = step["module"]
        st.switch_page(target[0])

cols = st.columns(4)
cols[0].metric("Lessons passed", f"{progress['modules_passed']} / {progress['modules_total']}")
cols[1].metric(
    "Practice calls",
    progress["attempts"],
    help=f"{progress['passed_calls']} passed",
)
cols[2].metric(
    "Average score",
    "—" if progress["average_score"] is None else f"{progress['average_score']:g}",
)
cols[3].metric(
    "Unsafe dispatches",
    progress["unsafe"],
    help="Calls where an unarmed team would have gone alone into danger.",
)

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Spotting the disqualifiers", anchor=False)
    st.caption("How often you marked each disqualifier when the call had it.")
    for acc in progress["disqualifier_accuracy"].values():
        if acc["tries"]:
            st.progress(
                acc["rate"],
                text=f"{plain(acc['label'])}: caught {acc['caught']} of {acc['tries']}",
            )
        else:
            st.progress(0.0, text=f"{plain(acc['label'])}: no calls with it yet")
    if progress["over_routed"]:
        st.caption(f"You sent police to {progress['over_routed']} call(s) that did not need them.")

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
