"""Lessons: read a training module and take its knowledge check."""

import functools
from collections.abc import Mapping, Sequence

import streamlit as st

from app.errors import UserError
from app.services import lessons
from app.ui.exam_lock import stop_during_exam
from app.ui.grade_card import plain
from app.ui.session import page_actor

actor = page_actor("lessons")
stop_during_exam(actor, "Lessons")

SLUG = "lessons.slug"
RESULT = "lessons.result"


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _lesson_content(slug: str) -> dict:
    """The lesson text and questions (same for everyone; progress is read separately)."""
    lesson = lessons.get_lesson(actor=actor, slug=slug)
    return {
        k: lesson[k]
        for k in (
            "slug",
            "title",
            "minutes",
            "summary",
            "objectives",
            "markdown",
            "pass_mark",
            "questions",
        )
    }


def _status_icon(module: Mapping) -> str:
    if module["check_passed"]:
        return ":material/check_circle:"
    if module["read"]:
        return ":material/radio_button_partial:"
    return ":material/radio_button_unchecked:"


def _status_badge(module: Mapping) -> None:
    if module["check_passed"]:
        st.badge("Passed", icon=":material/check_circle:", color="green")
    elif module["read"]:
        st.badge("Read, check not passed yet", icon=":material/radio_button_partial:", color="blue")
    else:
        st.badge("Not started", icon=":material/radio_button_unchecked:", color="gray")


def _without_title(markdown: str) -> str:
    """The lesson text without its leading "# Title" line (the page shows the title)."""
    lines = markdown.lstrip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines)


def _option_text(options: list, index: int) -> str:
    return options[index]


def _chosen_text(options: list | None, item: dict) -> str:
    chosen = item.get("chosen")
    if options is None or not isinstance(chosen, int) or not 0 <= chosen < len(options):
        return "none chosen"
    return options[chosen]


def _open(slug: str) -> None:
    st.session_state[SLUG] = slug
    st.session_state.pop(RESULT, None)


def _next_lesson(module: Mapping, modules: Sequence[Mapping], *, passed_now: bool) -> None:
    """Lead on: the next lesson, or back to My training after the last one."""
    later = [m for m in modules if m["order"] > module["order"]]
    if later:
        nxt = later[0]
        st.button(
            f"Next lesson: {nxt['title']}",
            type="primary" if passed_now else "secondary",
            icon=":material/arrow_forward:",
            on_click=_open,
            args=(nxt["slug"],),
            key="lessons.next",
        )
    elif actor.role == "trainee":
        if st.button("Back to My training", type="primary", icon=":material/school:"):
            st.switch_page("app_pages/trainee_home.py")
    else:
        st.caption("This was the last lesson.")


modules = lessons.list_modules(actor=actor)
if not modules:
    st.title("Lessons")
    st.info("No lessons are installed yet.")
    st.stop()

by_slug = {m["slug"]: m for m in modules}
if st.session_state.get(SLUG) not in by_slug:
    first_open = next((m for m in modules if not m["check_passed"]), modules[0])
    st.session_state[SLUG] = first_open["slug"]

with st.sidebar:
    st.radio(
        "Lessons",
        options=list(by_slug),
        format_func=lambda s: (
            f"{_status_icon(by_slug[s])} {by_slug[s]['order']}. {plain(by_slug[s]['title'])}"
        ),
        key=SLUG,
    )

module = by_slug[st.session_state[SLUG]]
content = _lesson_content(module["slug"])

st.title(content["title"])
passed = sum(1 for m in modules if m["check_passed"])
st.caption(
    f"Lesson {module['order']} of {len(modules)} · about {content['minutes']} minutes · "
    f"{passed} of {len(modules)} knowledge checks passed"
)
_status_badge(module)
st.markdown(plain(content["summary"]))

with st.container(border=True):
    st.markdown("**By the end you can:**")
    for objective in content["objectives"]:
        st.markdown(f"- {plain(objective)}")

# Lesson files are the platform's own content (reviewed in the repository): Markdown is
# rendered, HTML never is.
st.markdown(_without_title(content["markdown"]))

if module["read"]:
    st.success("You have read this lesson.", icon=":material/check:")
elif st.button("I have read this lesson", icon=":material/done:", key="lessons.read"):
    lessons.mark_read(actor=actor, slug=module["slug"])
    st.rerun()

st.divider()
st.subheader("Knowledge check")
st.caption(
    f"{len(content['questions'])} questions · pass mark {content['pass_mark']} %"
    + (f" · your best: {module['check_score']} %" if module["check_score"] is not None else "")
)

with st.form(f"check.{module['slug']}"):
    for index, question in enumerate(content["questions"], start=1):
        st.radio(
            f"{index}. {question['prompt']}",
            options=list(range(len(question["options"]))),
            format_func=functools.partial(_option_text, question["options"]),
            index=None,
            key=f"check.{module['slug']}.{question['id']}",
        )
    submitted = st.form_submit_button("Check my answers", type="primary")

if submitted:
    answers = {
        q["id"]: st.session_state.get(f"check.{module['slug']}.{q['id']}")
        for q in content["questions"]
    }
    try:
        st.session_state[RESULT] = (
            module["slug"],
            lessons.submit_check(actor=actor, slug=module["slug"], answers=answers),
        )
    except UserError as exc:
        st.error(plain(exc))
    st.rerun()

stored = st.session_state.get(RESULT)
if stored and stored[0] == module["slug"]:
    result = stored[1]
    if result["passed"]:
        st.success(f"You scored {result['score']} % and passed.", icon=":material/celebration:")
    else:
        st.warning(
            f"You scored {result['score']} %; the pass mark is {result['pass_mark']} %. "
            "Read the explanations, then try again.",
            icon=":material/school:",
        )
    options = {q["id"]: q["options"] for q in content["questions"]}
    for index, item in enumerate(result["results"], start=1):
        with st.container(border=True):
            icon = ":material/check_circle:" if item["correct"] else ":material/cancel:"
            st.markdown(f"{icon} **{index}. {plain(item['prompt'])}**")
            st.markdown(f"Your answer: {plain(_chosen_text(options.get(item['id']), item))}")
            if not item["correct"]:
                st.markdown(f"Right answer: {plain(item['right_option'])}")
            st.caption(plain(item["explanation"]))
    _next_lesson(module, modules, passed_now=result["passed"])
