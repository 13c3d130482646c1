"""The grade card: what a trainee sees after submitting a call.

Draws a review dict from ``app.services.practice.review_attempt``. Every text that a
trainer wrote (rationale, caller lines, labels) goes through :func:`plain`, so it is
shown as written and never interpreted as HTML or Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import streamlit as st

from app.core.feedback import LEVEL_LABELS, duration_text

SEVERITY_STYLE: dict[str, tuple[str, Literal["red", "orange", "yellow", "gray"], str]] = {
    "critical": ("Critical", "red", ":material/dangerous:"),
    "major": ("Major", "orange", ":material/error:"),
    "moderate": ("Moderate", "yellow", ":material/warning:"),
    "minor": ("Minor", "gray", ":material/info:"),
}

RULES_HELP = (
    "The grading rules change now and then. A call keeps the score it was given under the "
    "rules of its day; newer calls are graded under the newest rules."
)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """Text made inert for st.markdown: Markdown, directives and HTML shown as typed."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text or "").split()))


# A widget label is one line of inline Markdown. Only these characters can start
# formatting there; the rest ("-", ".", "(", "!") is escaped only where it could begin a
# block at the very start. Fewer escapes keep a screen reader's name of the widget clean
# ("Police-only need", not "Police\\-only need").
_LABEL_SPECIAL = re.compile(r"([\\`*_\[\]{}<>~$|])")
_LABEL_DIRECTIVE = re.compile(r":(?=[A-Za-z0-9_+/-]+\\?[:\[])")
_LABEL_BLOCK_START = re.compile(r"^([#>+\-]|\d+[.)])")


def plain_label(text: object) -> str:
    """Text made inert for a widget label (or a radio option), escaping as little as needed."""
    text = _LABEL_SPECIAL.sub(r"\\\1", " ".join(str(text or "").split()))
    text = _LABEL_DIRECTIVE.sub(r"\\:", text)
    return _LABEL_BLOCK_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], text)


def compliance_label(review: Mapping) -> str:
    """The level as feedback worked it out (the grade's own rule), else the stored one."""
    teaching = review.get("feedback") or {}
    if teaching.get("level_label"):
        return str(teaching["level_label"])
    level = (review.get("grade") or {}).get("level")
    return LEVEL_LABELS.get(level, "—") if isinstance(level, str) else "—"


def call_lines(opening: object, transcript: list | None) -> list[str]:
    """The whole call as Markdown paragraphs (every text made inert): what was asked and
    answered, and what the caller would have said to the questions not asked."""
    lines = [f"**Caller:** {plain(opening)}"]
    for line in transcript or []:
        if line["asked"]:
            lines += [f"**You:** {plain(line['question'])}", f"**Caller:** {plain(line['answer'])}"]
        else:
            lines += [
                f"*Not asked:* {plain(line['question'])}",
                f"*The caller would have said:* {plain(line['answer'])}",
            ]
    return lines


def render_grade_card(review: Mapping) -> None:
    """Score, compliance, pass/fail, each deviation, the expert key and what to learn."""
    if review.get("title"):
        st.subheader(f"Call review: {plain(review['title'])}", anchor=False)
    grade = review.get("grade") or {}
    teaching = review.get("feedback") or {}
    expert = teaching.get("expert") or {}
    answer = review.get("answer") or {}
    labels = review.get("answer_labels") or {}
    score = grade.get("score", 0)
    passed = bool(grade.get("passed"))
    target = expert.get("time_target_seconds")

    with st.container(border=True):
        cols = st.columns([1, 1, 1.5, 1])  # "Non-compliant" needs the room
        cols[0].metric("Score", f"{score} / 100", help=f"Pass mark {grade.get('pass_mark', 80)}")
        cols[1].metric("Result", "Passed" if passed else "Not passed")
        cols[2].metric(
            "Compliance",
            compliance_label(review),
            help="How closely you followed the screening protocol: high, compliant, partial, "
            "low or non-compliant. Any critical error makes it non-compliant, and more than "
            "two required questions missed make it partial at best.",
        )
        cols[3].metric(
            "Time on the call",
            duration_text(review.get("seconds")),
            help=f"Target {duration_text(target)}" if target else None,
        )
        if review.get("rules_note"):  # a grade stored under older grading rules
            st.caption(plain(review["rules_note"]), help=RULES_HELP)
        message = plain(teaching.get("summary", ""))
        if grade.get("critical"):
            st.error(message, icon=":material/dangerous:")
        elif passed:
            st.success(message, icon=":material/check_circle:")
        else:
            st.warning(message, icon=":material/school:")

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("What to work on", anchor=False)
        deviations = teaching.get("deviations") or []
        if not deviations:
            st.write("Nothing: every part of your answer matched the expert.")
        for item in deviations:
            label, color, icon = SEVERITY_STYLE.get(
                item.get("severity"), ("Note", "gray", ":material/info:")
            )
            with st.container(border=True):
                st.badge(label, color=color, icon=icon)
                st.markdown(plain(item.get("message")))
                if item.get("tip"):
                    st.caption(plain("Next time: " + item["tip"]))

        revealing = teaching.get("would_have_revealed") or []
        if revealing:
            st.subheader("Questions that would have told you", anchor=False)
            for item in revealing:
                st.markdown(f"- **{plain(item['question'])}** — {plain(item['reason'])}")

    with right:
        st.subheader("The expert's answer", anchor=False)
        st.markdown(_comparison_table(_comparison(expert, answer, labels)))
        if expert.get("acceptable"):
            st.caption(
                plain(
                    "Also acceptable (partial credit): "
                    + ", ".join(a["label"] for a in expert["acceptable"])
                )
            )
        if teaching.get("rationale"):
            with st.container(border=True):
                st.markdown("**Why**")
                st.markdown(plain(teaching["rationale"]))
        evidence = teaching.get("evidence") or []
        if evidence:
            st.markdown("**What the caller said**")
            for line in evidence:
                with st.container(border=True):
                    mark = "you marked it" if line["marked"] else "you did not mark it"
                    st.markdown(f"**{plain(line['label'])}** · {plain(mark)}")
                    if line.get("answer"):
                        heard = "you asked" if line["asked"] else "you did not ask"
                        st.caption(plain(f"{line['question']} ({heard})"))
                        st.markdown(f"> {plain(line['answer'])}")

    with st.expander("The whole call, line by line"):
        # One element, a paragraph a line: a call can hold dozens of lines.
        st.markdown("\n\n".join(call_lines(review.get("opening"), teaching.get("transcript"))))

    notes = review.get("notes") or []
    if notes:
        st.subheader("Notes from your supervisor", anchor=False)
        for note in notes:
            with st.container(border=True):
                when = note.get("created_at")
                stamp = when.strftime("%d %b %Y") if hasattr(when, "strftime") else ""
                st.caption(plain(f"{note['author']} · {stamp}"))
                st.markdown(plain(note["text"]))


def _comparison(expert: Mapping, answer: Mapping, labels: Mapping) -> list[tuple]:
    """(row, expert, yours, match) for each part of the answer."""

    def dq(items: list) -> str:
        return ", ".join(items) if items else "None"

    rows = {
        "Disqualifiers": (
            dq([d["label"] for d in expert.get("disqualifiers") or []]),
            dq(list(labels.get("disqualifiers") or [])),
        ),
        "Call type": ((expert.get("call_type") or {}).get("label"), labels.get("call_type")),
        "Priority": (
            str(expert.get("priority") or "—"),
            str(answer.get("priority") or "—"),
        ),
        "Route": ((expert.get("disposition") or {}).get("label"), labels.get("disposition")),
    }
    best = (expert.get("disposition") or {}).get("code")
    acceptable = {a["code"] for a in expert.get("acceptable") or []}
    route = answer.get("disposition")
    verdicts = {
        "Disqualifiers": set(answer.get("disqualifiers") or [])
        == {d["code"] for d in expert.get("disqualifiers") or []},
        "Call type": answer.get("call_type") == (expert.get("call_type") or {}).get("code"),
        "Priority": None
        if expert.get("priority") is None or answer.get("priority") is None
        else answer["priority"] == expert["priority"],
        "Route": True if route == best else ("partly" if route in acceptable else False),
    }
    marks = {True: "✓", False: "✗", "partly": "½", None: "—"}
    return [(name, exp, yours, marks[verdicts[name]]) for name, (exp, yours) in rows.items()]


def _comparison_table(rows: list[tuple]) -> str:
    """The expert's answer beside the trainee's as one Markdown table: one element, where a
    table widget would build and send a data frame on the rerun that shows the grade. Every
    cell goes through :func:`plain`, which escapes ``|`` too, so no text can break a row."""
    # Three columns, the match mark after the trainee's own answer: four do not fit the
    # card's right-hand column on a laptop screen.
    lines = ["| | Expert | You |", "|---|---|---|"]
    for name, expert, yours, mark in rows:
        you = plain(yours) + ("" if mark == "—" else f" {mark}")
        lines.append(f"| {plain(name)} | {plain(expert)} | {you} |")
    return "\n".join(lines)
