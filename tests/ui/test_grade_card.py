"""The grade card drawn by AppTest: plain words, the grade's own level, one time format."""

from __future__ import annotations

import copy
import re

from hypothesis import given
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

from app.core import feedback, grading
from app.core.protocol import load_protocol
from app.core.scenario import parse_scenario
from app.ui.grade_card import call_lines
from tests.factories import SPEC_SAMPLE

PROTOCOL = load_protocol()
SLEEPER, _ = parse_scenario(SPEC_SAMPLE.read_text(encoding="utf-8"), "sleeper.yaml")
SEVEN = copy.deepcopy(SLEEPER)
SEVEN["expert"]["required_questions"] = [
    "weapons",
    "threats",
    "medical",
    "address",
    "callback",
    "what_happened",
    "how_long",
]
CODES = sorted(set(PROTOCOL.call_types) | {q for q in PROTOCOL.questions if "_" in q})


def _review(scenario: dict, answer: dict) -> dict:
    """What ``practice.review_attempt`` hands the card, built from the real pipeline."""
    grade = grading.grade(scenario, answer, "call_center_led", PROTOCOL)
    key = grading.effective_key(scenario, "call_center_led", PROTOCOL)
    return {
        "title": scenario["title"],
        "seconds": answer.get("seconds"),
        "grade": grade,
        "answer": answer,
        "answer_labels": {
            "call_type": PROTOCOL.call_type_label(answer["call_type"]),
            "disposition": PROTOCOL.disposition_label(answer["disposition"]),
            "disqualifiers": [PROTOCOL.disqualifiers[d].label for d in answer["disqualifiers"]],
        },
        "feedback": feedback.build_feedback(scenario, answer, grade, key=key, protocol=PROTOCOL),
        "opening": scenario["call"]["opening"],
        "notes": [],
    }


def _draw(review: dict) -> AppTest:
    def script(review):
        from app.ui.grade_card import render_grade_card

        render_grade_card(review)

    return AppTest.from_function(script, args=(review,), default_timeout=30).run()


def _texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "subheader"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    for table in at.table:
        parts += [str(v) for v in table.value.to_numpy().ravel()]
    return "\n".join(parts).replace("\\", "")


def test_the_card_reads_in_plain_words_with_the_grades_level_and_one_time_format():
    answer = {
        "questions": ["weapons", "threats", "medical", "address"],  # 3 of 7 required missed
        "disqualifiers": [],
        "call_type": "WELFARE_CHECK",  # the code the call came in with, kept
        "disposition": "community_responder",
        "priority": 3,
        "seconds": 64,
    }
    review = _review(SEVEN, answer)
    at = _draw(review)
    assert not at.exception
    text = _texts(at)
    for code in CODES:
        assert not re.search(rf"(?<![\w-]){code}(?![\w-])", text), code
    assert "“Tell me exactly what happened.”" in text and "“Welfare check”" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Time on the call"] == "1 min 04 s"
    assert metrics["Compliance"] == "Partial" == feedback.LEVEL_LABELS[review["grade"]["level"]]
    assert "Next time: Recode for what is happening now" in text
    assert "Recode only when" not in text


def test_the_card_tells_a_trainee_who_left_a_right_reported_code_the_opposite():
    answer = {**grading.expert_answer(SLEEPER), "call_type": "TRESPASS"}
    scenario = copy.deepcopy(SLEEPER)
    scenario["call"]["initial_call_type"] = "UNHOUSED_PERSON"  # the reported code is right
    at = _draw(_review(scenario, answer))
    text = _texts(at)
    assert "Next time: The reported call type (“Person without housing”) was right" in text
    assert "Recode for what is happening now" not in text
    assert "1 min 30 s" in text or "Target 1 min 30 s" in [m.help for m in at.metric]


def test_three_missed_required_questions_are_not_shown_as_compliant():
    asked = ["weapons", "threats", "medical", "address"]  # 3 of 7 required missed
    review = _review(SEVEN, {**grading.expert_answer(SEVEN), "questions": asked})
    assert review["grade"]["score"] == 87 and review["grade"]["passed"]
    metrics = {m.label: m.value for m in _draw(review).metric}
    assert metrics["Compliance"] == "Partial"
    assert metrics["Result"] == "Passed" and metrics["Score"] == "87 / 100"


def test_an_old_grade_without_feedback_level_shows_its_stored_level():
    review = _review(SLEEPER, grading.expert_answer(SLEEPER))
    review["feedback"].pop("level_label")
    at = _draw(review)
    assert {m.label: m.value for m in at.metric}["Compliance"] == "High"


@given(
    opening=hs.text(),
    lines=hs.lists(hs.tuples(hs.text(), hs.text(), hs.booleans()), max_size=6),
)
def test_the_whole_call_is_one_paragraph_a_line_whatever_was_said(opening, lines):
    """The call's lines share one Markdown element: no text, however it is written, can
    join two lines or start a block of its own."""
    transcript = [{"question": q, "answer": a, "asked": asked} for q, a, asked in lines]
    paragraphs = call_lines(opening, transcript)
    assert len(paragraphs) == 1 + 2 * len(lines)
    assert "\n\n".join(paragraphs).split("\n\n") == paragraphs
    assert all("\n" not in p for p in paragraphs)
    starts = ["**Caller:**"]
    for _, _, asked in lines:
        starts += ["**You:**", "**Caller:**"] if asked else ["*Not asked:*", "*The caller"]
    assert all(p.startswith(s) for p, s in zip(paragraphs, starts, strict=True))


@given(hs.lists(hs.tuples(*[hs.text(max_size=30)] * 3, hs.sampled_from("✓✗½—")), max_size=6))
def test_the_comparison_table_keeps_its_rows_whatever_the_labels_say(rows):
    """Protocol labels are an agency's own words: a "|" or a line break in one never adds
    a cell or a row to the expert-versus-you table."""
    from app.ui.grade_card import _comparison_table

    lines = _comparison_table(rows).split("\n")
    assert len(lines) == 2 + len(rows)
    for line in lines:
        assert len(re.findall(r"(?<!\\)\|", line)) == 4  # three cells
