"""Teaching feedback and guided hints (pure)."""

from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import feedback, grading
from app.core.protocol import DISPOSITIONS, DISQUALIFIERS, load_protocol
from app.core.scenario import parse_scenario
from tests.services.test_practice_support import KNIFE_TEXT, RATIONALE_MARKER, SLEEPER_TEXT

PROTOCOL = load_protocol()
KNIFE, _ = parse_scenario(KNIFE_TEXT, "knife.yaml")
SLEEPER, _ = parse_scenario(SLEEPER_TEXT, "sleeper.yaml")


def _feedback(scenario, answer, model="call_center_led"):
    grade = grading.grade(scenario, answer, model, PROTOCOL)
    key = grading.effective_key(scenario, model, PROTOCOL)
    return grade, feedback.build_feedback(scenario, answer, grade, key=key, protocol=PROTOCOL)


def test_missed_weapon_names_the_caller_line_and_the_question():
    answer = {
        "questions": ["threats"],
        "disqualifiers": [],
        "call_type": "SUSPICIOUS_PERSON",
        "disposition": "community_responder",
    }
    grade, fb = _feedback(KNIFE, answer)
    assert fb["summary"].startswith("Unsafe")
    critical = [d["code"] for d in fb["deviations"] if d["severity"] == "critical"]
    assert fb["deviations"][0]["severity"] == "critical"
    assert set(critical) >= {"unsafe_dispatch", "missed_disqualifier"}
    assert all(d["tip"] for d in fb["deviations"])
    codes = [d["code"] for d in fb["deviations"]]
    assert "missed_disqualifier" in codes and "missed_question" in codes
    [line] = fb["evidence"]
    assert line["disqualifier"] == "weapon" and line["question_id"] == "weapons"
    assert "kitchen knife" in line["answer"]
    assert (line["asked"], line["marked"]) == (False, False)
    revealing = fb["would_have_revealed"]
    assert [q["id"] for q in revealing] == ["weapons", "medical"]
    assert "weapon" in revealing[0]["reason"]
    assert revealing[1]["reason"].startswith("A required")
    assert RATIONALE_MARKER in fb["rationale"]
    assert fb["expert"]["disposition"]["label"] == PROTOCOL.disposition_label(
        "community_responder_with_police"
    )
    assert [a["code"] for a in fb["expert"]["acceptable"]] == ["police"]
    transcript = {line["id"]: line for line in fb["transcript"]}
    assert transcript["threats"]["asked"] and not transcript["weapons"]["asked"]
    assert transcript["how_long_porch"]["question"] == "How long has he been on the porch?"


def test_heard_but_not_marked_says_so():
    answer = {
        "questions": ["weapons", "threats", "medical"],
        "disqualifiers": [],
        "call_type": "SUSPICIOUS_PERSON",
        "disposition": "police",
    }
    _, fb = _feedback(KNIFE, answer)
    [item] = fb["would_have_revealed"]
    assert item["id"] == "weapons" and item["asked"] is True
    assert "You asked this" in item["reason"]


def test_expert_answer_gets_praise_and_nothing_to_reveal():
    answer = grading.expert_answer(KNIFE, "call_center_led", PROTOCOL)
    grade, fb = _feedback(KNIFE, answer)
    assert grade["score"] == 100
    assert fb["deviations"] == [] and fb["would_have_revealed"] == []
    assert fb["summary"].startswith("Spot on")
    assert fb["evidence"][0]["marked"] and fb["evidence"][0]["asked"]


def test_by_model_key_is_the_one_explained():
    answer = {
        "questions": ["weapons", "threats", "medical"],
        "disqualifiers": [],
        "call_type": "UNHOUSED_PERSON",
        "disposition": "community_responder",
    }
    _, fb = _feedback(SLEEPER, answer, model="external_hotline")
    assert fb["expert"]["disposition"]["code"] == "external_hotline"
    assert [d["code"] for d in fb["deviations"]] == ["suboptimal_disposition"]


def test_bare_grade_without_deviation_details_still_lists_the_errors():
    grade = {"score": 40, "passed": False, "critical": ["unsafe_dispatch"], "errors": ["slow"]}
    items = feedback.deviations(grade)
    assert [(d["code"], d["severity"]) for d in items] == [
        ("unsafe_dispatch", "critical"),
        ("slow", "major"),
    ]
    assert feedback.normalize_errors(["missed_disqualifier:weapon"]) == [
        {"code": "missed_disqualifier", "detail": "weapon"}
    ]


# ------------------------------------------------------------------ guided hints

KEY = grading.effective_key(KNIFE, "call_center_led", PROTOCOL)


def _hints(asked, **marks):
    base = {"disqualifiers": [], "call_type": None, "priority": None, "disposition": None}
    return feedback.guided_hints(
        KNIFE, key=KEY, asked=asked, marks={**base, **marks}, protocol=PROTOCOL
    )


def test_no_hint_before_any_choice_or_about_unheard_facts():
    assert _hints([]) == []
    # The weapon is not heard yet: no hint may name it.
    hints = _hints(["threats"], disposition="community_responder")
    assert not any("weapon" in h.lower() for h in hints if "ask:" not in h)
    assert any("Before you settle the route" in h for h in hints)


def test_sending_the_team_alone_after_hearing_the_knife_is_flagged():
    hints = _hints(["weapons"], disposition="community_responder")
    assert any("alone" in h and "Does anyone there have a weapon" in h for h in hints)
    assert any("not marked: weapon" in h for h in hints)


def test_over_disqualifying_and_over_policing_hints():
    sleeper_key = grading.effective_key(SLEEPER, "call_center_led", PROTOCOL)
    marks = {"disqualifiers": ["police_only"], "call_type": "UNHOUSED_PERSON", "priority": None}
    hints = feedback.guided_hints(
        SLEEPER,
        key=sleeper_key,
        asked=["weapons", "threats", "medical"],
        marks={**marks, "disposition": "community_responder"},
        protocol=PROTOCOL,
    )
    assert any("A crime, or a worry without facts" in h for h in hints)
    hints = feedback.guided_hints(
        SLEEPER,
        key=sleeper_key,
        asked=["weapons", "threats", "medical"],
        marks={**marks, "disqualifiers": [], "disposition": "police"},
        protocol=PROTOCOL,
    )
    assert any("involves police" in h for h in hints)


def test_wrong_call_type_hint_only_once_a_route_is_chosen():
    assert _hints(["weapons"]) == []  # heard, but nothing chosen yet: no nagging
    assert not any("Check the call type" in h for h in _hints(["weapons"], call_type="TRESPASS"))
    hints = _hints(
        ["weapons", "threats", "medical"],
        call_type="TRESPASS",
        disqualifiers=["weapon"],
        disposition="police",
    )
    assert any("Check the call type" in h for h in hints)


answers = st.fixed_dictionaries(
    {
        "questions": st.lists(st.sampled_from(list(PROTOCOL.questions) + ["how_long_porch"])),
        "disqualifiers": st.lists(st.sampled_from(DISQUALIFIERS), unique=True),
        "call_type": st.sampled_from(list(PROTOCOL.call_types)),
        "disposition": st.sampled_from(DISPOSITIONS),
    }
)


@settings(max_examples=150, deadline=None)
@given(answers)
def test_feedback_is_consistent_for_any_answer(answer):
    grade, fb = _feedback(KNIFE, answer)
    json.dumps(fb)  # plain data, ready for a page or an API
    codes = {d["code"] for d in fb["deviations"]}
    assert codes == set(grade["errors"]) | set(grade["critical"])
    missed_weapon = "weapon" not in answer["disqualifiers"]
    assert ("weapons" in {q["id"] for q in fb["would_have_revealed"]}) == (
        missed_weapon or "weapons" not in answer["questions"]
    )
    severities = [feedback.SEVERITY_ORDER[d["severity"]] for d in fb["deviations"]]
    assert severities == sorted(severities)
    hints = feedback.guided_hints(
        KNIFE,
        key=KEY,
        asked=answer["questions"],
        marks={**answer, "priority": None},
        protocol=PROTOCOL,
    )
    if "weapons" not in answer["questions"]:
        # Never a hint naming the unheard weapon (only the "ask:" reminder lists questions).
        assert not any("marked: weapon" in h for h in hints)


# ------------------------------------------------------------------ plain words

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
CODES = (
    set(PROTOCOL.call_types)
    | {q for q in PROTOCOL.questions if "_" in q}
    | {
        "how_long",
        "how_long_porch",
        "police_only",
    }
)


def _texts(fb: dict) -> list[str]:
    """Every sentence the grade card draws from a feedback dict."""
    out = [fb["summary"], fb["level_label"], fb["rationale"]]
    for item in fb["deviations"]:
        out += [item["message"], item["tip"]]
    for line in fb["evidence"]:
        out += [line["label"], line["question"] or "", line["answer"] or ""]
    for item in fb["would_have_revealed"]:
        out += [item["question"], item["reason"]]
    for line in fb["transcript"]:
        out += [line["question"], line["answer"]]
    expert = fb["expert"]
    out += [d["label"] for d in expert["disqualifiers"] + expert["acceptable"] + expert["unsafe"]]
    out += [expert["call_type"]["label"], expert["disposition"]["label"]]
    return out


def _codes_in(text: str) -> set[str]:
    found = {c for c in CODES if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text)}
    for dq in DISQUALIFIERS:  # "'weapon' (weapon)": a code in quotes
        if f"'{dq}'" in text or f"“{dq}”" in text or f'"{dq}"' in text:
            found.add(dq)
    return found


full_answers = st.fixed_dictionaries(
    {
        "questions": st.lists(
            st.sampled_from(list(PROTOCOL.questions) + ["how_long_porch", "how_long"])
        ),
        "disqualifiers": st.lists(st.sampled_from(DISQUALIFIERS), unique=True),
        "call_type": st.sampled_from(list(PROTOCOL.call_types)),
        "disposition": st.sampled_from(["community_responder", "police", "ems", "transfer_988"]),
        "priority": st.none() | st.integers(1, 4),
        "seconds": st.none() | st.floats(0, 900),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([KNIFE, SLEEPER, SEVEN]), full_answers)
def test_no_code_reaches_any_feedback_text(scenario, answer):
    answer = {k: v for k, v in answer.items() if v is not None}
    _, fb = _feedback(scenario, answer)
    for text in _texts(fb):
        assert not _codes_in(text), text


def test_the_reported_examples_read_in_plain_words():
    answer = {
        "questions": ["threats", "medical"],
        "disqualifiers": ["police_only"],
        "call_type": "TRESPASS",
        "disposition": "community_responder",
    }
    _, fb = _feedback(SEVEN, answer)
    messages = " ".join(d["message"] for d in fb["deviations"])
    assert "“Tell me exactly what happened.”" in messages
    assert "“Person without housing”" in messages and "“Trespass”" in messages
    assert "“Police-only need”" in messages
    for code in ("UNHOUSED_PERSON", "what_happened", "'police_only'", "TRESPASS"):
        assert code not in messages
    _, knife = _feedback(KNIFE, {**answer, "questions": ["weapons"], "disqualifiers": []})
    missed = next(d for d in knife["deviations"] if d["code"] == "missed_disqualifier")
    assert missed["message"].startswith("You did not mark the disqualifier “Weapon”")
    assert "'weapon'" not in missed["message"] and "(weapon)" not in missed["message"]


def test_a_grade_stored_with_codes_in_its_messages_is_shown_in_plain_words():
    """Grades stored before the wording changed keep their codes; feedback rewrites them."""
    old = {
        "score": 61,
        "passed": False,
        "critical": [],
        "errors": ["missed_question", "wrong_call_type", "slow"],
        "deviations": [
            {
                "code": "missed_question",
                "severity": "moderate",
                "subject": "what_happened",
                "message": 'You did not ask "Tell me exactly what happened." (what_happened).',
            },
            {
                "code": "wrong_call_type",
                "severity": "moderate",
                "subject": "WELFARE_CHECK",
                "message": "You coded the call WELFARE_CHECK (Welfare check); the right code "
                "is UNHOUSED_PERSON (Person without housing).",
            },
            {"code": "slow", "severity": "minor", "subject": 95, "message": "You took 95 seconds"},
        ],
    }
    key = grading.effective_key(SEVEN, "call_center_led", PROTOCOL)
    items = feedback.deviations(old, scenario=SEVEN, key=key, protocol=PROTOCOL)
    text = " ".join(d["message"] for d in items)
    assert not _codes_in(text)
    assert "You took 1 min 35 s; the target for this call is 1 min 30 s." in text


# ------------------------------------------------------------------ the call type's direction


def test_keeping_the_reported_code_is_told_to_recode():
    # The doorway call came in as a welfare check; the key recodes it.
    answer = {**grading.expert_answer(SLEEPER), "call_type": "WELFARE_CHECK"}
    _, fb = _feedback(SLEEPER, answer)
    [item] = [d for d in fb["deviations"] if d["code"] == "wrong_call_type"]
    assert item["tip"].startswith("Recode for what is happening now")
    assert "“Welfare check”" in item["tip"] and "“Person without housing”" in item["tip"]
    hints = feedback.guided_hints(
        SLEEPER,
        key=grading.effective_key(SLEEPER, "call_center_led", PROTOCOL),
        asked=["weapons"],
        marks={"disqualifiers": [], "call_type": "WELFARE_CHECK", "disposition": "police"},
        protocol=PROTOCOL,
    )
    [hint] = [h for h in hints if "call type" in h]
    assert "Recode for what is happening now" in hint
    assert "Recode only when" not in hint


def test_recoding_away_from_a_right_reported_code_is_told_the_opposite():
    # The porch call came in as a suspicious person, and that is the key's code too.
    answer = {**grading.expert_answer(KNIFE), "call_type": "WEAPONS"}
    _, fb = _feedback(KNIFE, answer)
    [item] = [d for d in fb["deviations"] if d["code"] == "wrong_call_type"]
    assert item["tip"].startswith("The reported call type (“Suspicious person”) was right")
    assert "recode only when screening shows something else" in item["tip"]
    assert "Recode for what is happening now" not in item["tip"]
    assert "first reported" not in item["tip"]
    hints = _hints(
        ["weapons", "threats", "medical"],
        call_type="WEAPONS",
        disqualifiers=["weapon"],
        disposition="police",
    )
    [hint] = [h for h in hints if "call type" in h]
    assert "Recode only when screening shows something else" in hint
    assert "Recode for what" not in hint


def test_a_wrong_code_that_is_neither_gets_the_neutral_tip():
    answer = {**grading.expert_answer(SLEEPER), "call_type": "TRESPASS"}
    _, fb = _feedback(SLEEPER, answer)
    [item] = [d for d in fb["deviations"] if d["code"] == "wrong_call_type"]
    assert item["tip"] == feedback.TIPS["wrong_call_type"]
    assert feedback.call_type_direction("TRESPASS", SLEEPER, "UNHOUSED_PERSON") is None


@given(st.sampled_from(list(PROTOCOL.call_types)), st.sampled_from(list(PROTOCOL.call_types)))
def test_the_tip_never_tells_a_trainee_to_recode_away_from_the_right_code(chosen, right):
    """For any reported code and key: "recode for what is happening now" only when the
    trainee kept the reported code; "the reported code was right" only when it was."""
    if chosen == right:
        return
    scenario = copy.deepcopy(SLEEPER)
    for reported in {chosen, right, "WELFARE_CHECK"}:
        scenario["call"]["initial_call_type"] = reported
        tip = feedback.call_type_tip(chosen, scenario, right, PROTOCOL)
        assert ("Recode for what is happening now" in tip) == (chosen == reported)
        assert ("was right" in tip) == (right == reported)


# ------------------------------------------------------------------ compliance level


def test_three_missed_required_questions_are_not_compliant():
    asked = ["weapons", "threats", "medical", "address"]  # 3 of 7 required missed
    answer = {**grading.expert_answer(SEVEN), "questions": asked}
    grade, fb = _feedback(SEVEN, answer)
    assert grade["score"] == 87 and grade["passed"]  # the score itself is unchanged
    assert grade["level"] == "partial"
    assert (fb["level"], fb["level_label"], fb["missed_required"]) == ("partial", "Partial", 3)
    two = {**answer, "questions": asked + ["callback"]}
    grade, fb = _feedback(SEVEN, two)
    assert grade["level"] == fb["level"] == "compliant"


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([KNIFE, SLEEPER, SEVEN]), full_answers)
def test_the_level_shown_is_the_grades_level(scenario, answer):
    answer = {k: v for k, v in answer.items() if v is not None}
    grade, fb = _feedback(scenario, answer)
    assert fb["level"] == grade["level"]
    if grade["critical"]:
        assert fb["level"] == "non-compliant"
    if fb["missed_required"] > 2:
        assert fb["level"] not in ("high", "compliant")


@given(st.integers(0, 100), st.booleans(), st.integers(0, 10))
def test_compliance_level_rules(score, critical, missed):
    level = feedback.compliance_level(score, ["unsafe_dispatch"] if critical else [], missed)
    if critical:
        assert level == "non-compliant"
    elif missed > 2:
        assert level not in ("high", "compliant")
        assert level == ("partial" if score >= 75 else "low" if score >= 60 else "non-compliant")
    else:
        assert level == next(name for floor, name in grading.LEVELS if score >= floor)


# ------------------------------------------------------------------ one time format


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (59.4, "59 s"),
        (59.5, "1 min 00 s"),
        (64, "1 min 04 s"),
        (120, "2 min 00 s"),
        (203.2, "3 min 23 s"),
        (None, "—"),
    ],
)
def test_durations_are_written_one_way(seconds, text):
    assert feedback.duration_text(seconds) == text


@given(st.floats(0, 10**6, allow_nan=False))
def test_every_duration_has_the_same_shape(seconds):
    assert re.fullmatch(r"\d{1,2} s|\d+ min [0-5]\d s", feedback.duration_text(seconds))


def test_the_slow_message_uses_the_one_format():
    answer = {**grading.expert_answer(SLEEPER), "seconds": 130}
    grade, fb = _feedback(SLEEPER, answer)
    expected = "You took 2 min 10 s; the target for this call is 1 min 30 s."
    assert [d["message"] for d in grade["deviations"]] == [expected]
    assert [d["message"] for d in fb["deviations"]] == [expected]
