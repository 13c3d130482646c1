"""Teaching feedback and guided hints (pure)."""

from __future__ import annotations

import json

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
