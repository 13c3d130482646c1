"""Grading by example: weights, severities, levels, messages and the answer's shape."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from app.core.grading import (
    PASS_MARK,
    GradingError,
    check_matches,
    effective_key,
    expert_answer,
    grade,
    validate_answer,
)
from app.core.protocol import load_protocol
from app.core.scenario import parse_scenario

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLE, _ = parse_scenario((FIXTURES / "spec_sample.yaml").read_text(encoding="utf-8"))

KNIFE_TEXT = """\
format: 1
id: knife-porch-0001
version: 3
title: Man with a knife on a porch
module: disqualifiers
call:
  time: "23:10"
  initial_call_type: DISTURBANCE
  opening: My neighbour is shouting on his porch.
  exchanges:
    - ask: weapons
      answer: He's waving a kitchen knife around.
    - ask: threats
      answer: He said he'll cut anyone who comes close.
    - ask: medical
      answer: He looks fine.
expert:
  disqualifiers: [weapon, threat]
  call_type: WEAPONS
  priority: 1
  disposition: police
  acceptable: [community_responder_with_police]
  unsafe: [community_responder, transfer_988]
  required_questions: [weapons, threats, medical]
  time_target_seconds: 60
  evidence: {weapon: weapons, threat: threats}
  rationale: A weapon and a threat, so police go first.
"""
KNIFE, _problems = parse_scenario(KNIFE_TEXT, "knife.yaml")
assert KNIFE is not None, _problems

BEST = {
    "questions": ["weapons", "threats", "medical"],
    "disqualifiers": [],
    "call_type": "UNHOUSED_PERSON",
    "priority": 3,
    "disposition": "community_responder",
    "seconds": 64,
}


def test_the_spec_example_answer_grades_like_the_spec_shows():
    result = grade(SAMPLE, BEST)
    assert {k: result[k] for k in ("scenario", "version", "model", "score", "passed")} == {
        "scenario": "doorway-sleeper-0001",
        "version": 1,
        "model": "call_center_led",
        "score": 100,
        "passed": True,
    }
    assert result["critical"] == [] and result["errors"] == [] and result["deviations"] == []
    assert result["parts"] == {
        "questions": 1.0,
        "disqualifiers": 1.0,
        "call_type": 1.0,
        "disposition": 1.0,
        "time": 1.0,
    }
    assert result["level"] == "high" and result["pass_mark"] == PASS_MARK == 80


def test_the_spec_check_answer():
    answer = SAMPLE["checks"][0]["answer"]
    result = grade(SAMPLE, answer)
    # 30*1/3 + 25 + 10 + 0 + 5 - 10 (police not needed) = 40
    assert result["score"] == 40 and result["passed"] is False
    assert result["critical"] == ["unsafe_dispatch"]
    assert result["errors"] == ["missed_question", "missed_question", "over_routed"]
    assert result["level"] == "non-compliant"
    assert [d["subject"] for d in result["deviations"]] == [
        "threats",
        "medical",
        "police",
        "police",
    ]


def test_missed_disqualifier_message_quotes_the_caller_and_is_critical():
    answer = {
        "questions": ["weapons", "threats", "medical"],
        "disqualifiers": ["threat"],
        "call_type": "WEAPONS",
        "priority": 1,
        "disposition": "police",
    }
    result = grade(KNIFE, answer)
    assert result["errors"] == ["missed_disqualifier"]
    assert result["critical"] == ["missed_disqualifier"]
    (deviation,) = result["deviations"]
    assert deviation["severity"] == "critical" and deviation["category"] == "disqualifiers"
    assert deviation["subject"] == "weapon"
    assert 'You did not mark the disqualifier "Weapon"' in deviation["message"]
    assert "'weapon'" not in deviation["message"]  # the label, never the code
    assert "He's waving a kitchen knife around." in deviation["message"]
    assert "Does anyone there have a weapon" in deviation["message"]
    assert result["score"] == 79 and result["level"] == "non-compliant"
    assert not grade(KNIFE, answer, pass_mark=0)["passed"]


def test_sending_community_responders_alone_to_a_disqualified_call_is_critical():
    answer = {**expert_answer(KNIFE), "disposition": "community_responder", "disqualifiers": []}
    result = grade(KNIFE, answer)
    assert result["critical"] == ["missed_disqualifier", "unsafe_dispatch"]
    assert set(result["errors"]) == {"missed_disqualifier", "wrong_disposition"}
    message = next(d["message"] for d in result["deviations"] if d["code"] == "unsafe_dispatch")
    assert "weapon, threat" in message and "police" in message
    assert result["passed"] is False and result["level"] == "non-compliant"


@pytest.mark.parametrize("route", ["phone_resolution", "transfer_988", "ems", "external_hotline"])
def test_a_route_without_police_on_a_weapon_call_is_unsafe_even_if_the_key_omits_it(route):
    """dq-a-weapon-0002: a machete and "I'll cut anybody", answered with no disqualifier and
    phone resolution, scored 16 with no critical error under rules 1."""
    knife = copy.deepcopy(KNIFE)
    knife["expert"]["unsafe"] = []  # the route is unsafe by the weapon's demand alone
    answer = {**expert_answer(knife), "disposition": route}
    model = "external_hotline" if route == "external_hotline" else "call_center_led"
    result = grade(knife, answer, model)
    assert "unsafe_dispatch" in result["critical"] and not result["passed"]


def test_ems_alone_on_a_stabbing_and_police_alone_on_a_collapse_are_unsafe():
    stabbing = copy.deepcopy(KNIFE)
    stabbing["expert"].update(
        disqualifiers=["weapon", "medical"],
        disposition="police_with_ems",
        acceptable=[],
        evidence={"weapon": "weapons", "medical": "medical"},
    )
    answer = expert_answer(stabbing)
    assert grade(stabbing, answer)["score"] == 100
    for route in ("ems", "police", "community_responder_with_police"):
        result = grade(stabbing, {**answer, "disposition": route})
        assert result["critical"] == ["unsafe_dispatch"], route
    collapse = copy.deepcopy(stabbing)
    collapse["expert"].update(disqualifiers=["medical"], disposition="ems", evidence={})
    result = grade(collapse, {**expert_answer(collapse), "disposition": "police"})
    assert result["critical"] == ["unsafe_dispatch"]


def test_an_overdose_coded_priority_4_after_600_seconds_fails():
    """Under rules 1 this scored 93 and passed."""
    overdose = copy.deepcopy(KNIFE)
    overdose["expert"].update(
        disqualifiers=["medical"],
        call_type="OVERDOSE",
        disposition="ems",
        acceptable=["community_responder_with_ems"],
        unsafe=[],
        evidence={"medical": "medical"},
    )
    answer = {**expert_answer(overdose), "priority": 4, "seconds": 600}
    result = grade(overdose, answer)
    assert result["critical"] == ["under_triaged"]
    assert set(result["errors"]) == {"wrong_priority", "slow"}
    assert result["passed"] is False


def test_police_alone_where_the_key_wants_responders_with_tandem_acceptable_is_over_routed():
    key = copy.deepcopy(SAMPLE)
    key["expert"].update(acceptable=["community_responder_with_police"], unsafe=[], by_model={})
    result = grade(key, {**BEST, "disposition": "police"})
    assert result["errors"] == ["over_routed"] and result["critical"] == []
    assert "without a community team" in result["deviations"][0]["message"]
    tandem = grade(key, {**BEST, "disposition": "community_responder_with_police"})
    assert tandem["errors"] == ["suboptimal_disposition"]


def test_missing_an_evidence_question_is_major():
    answer = {**expert_answer(KNIFE), "questions": ["threats", "medical"]}
    result = grade(KNIFE, answer)
    (deviation,) = result["deviations"]
    assert deviation["code"] == "missed_question" and deviation["severity"] == "major"
    assert "weapon" in deviation["message"]
    answer = {**expert_answer(KNIFE), "questions": ["weapons", "threats"]}
    assert grade(KNIFE, answer)["deviations"][0]["severity"] == "moderate"


def test_acceptable_route_earns_half_credit():
    answer = {**expert_answer(KNIFE), "disposition": "community_responder_with_police"}
    result = grade(KNIFE, answer)
    assert result["parts"]["disposition"] == 0.5
    assert result["score"] == 85 and result["passed"] is True
    assert result["errors"] == ["suboptimal_disposition"]
    assert result["deviations"][0]["severity"] == "minor"


def test_police_in_tandem_is_not_over_routing_when_the_key_involves_police():
    answer = {**expert_answer(KNIFE), "disposition": "police"}
    assert "over_routed" not in grade(KNIFE, answer)["errors"]


def test_over_disqualified_and_wrong_call_type():
    answer = {**BEST, "disqualifiers": ["police_only"], "call_type": "TRESPASS"}
    result = grade(SAMPLE, answer)
    assert result["errors"] == ["over_disqualified", "wrong_call_type"]
    assert result["score"] == 84  # 100 - 25/4 - 10 = 83.75, rounded half up
    assert [d["severity"] for d in result["deviations"]] == ["moderate", "moderate"]
    message = result["deviations"][1]["message"]
    assert '"Trespass"' in message and '"Person without housing"' in message
    assert "UNHOUSED_PERSON" not in message and "TRESPASS" not in message


def test_wrong_priority_costs_five_points_and_under_triage_is_critical():
    result = grade(SAMPLE, {**BEST, "priority": 2})
    assert result["score"] == 95 and result["errors"] == ["wrong_priority"]
    assert result["deviations"][0]["severity"] == "minor" and result["passed"]
    over = grade(SAMPLE, {**BEST, "priority": 1})
    assert over["errors"] == ["wrong_priority"] and over["critical"] == []
    no_priority = dict(BEST)
    del no_priority["priority"]
    assert grade(SAMPLE, no_priority)["score"] == 100
    two_lower = copy.deepcopy(SAMPLE)
    two_lower["expert"]["priority"] = 2
    result = grade(two_lower, {**BEST, "priority": 4})
    assert result["critical"] == ["under_triaged"] and not result["passed"]
    assert grade(two_lower, {**BEST, "priority": 3})["critical"] == []


def test_every_grade_records_rules_2():
    assert grade(SAMPLE, BEST)["rules"] == 2


@pytest.mark.parametrize(
    ("seconds", "time_part", "severity"),
    [(90, 1.0, None), (91, 0.5, "minor"), (135, 0.5, "minor"), (136, 0.0, "moderate")],
)
def test_time_bands(seconds, time_part, severity):
    result = grade(SAMPLE, {**BEST, "seconds": seconds})
    assert result["parts"]["time"] == time_part
    assert [d["severity"] for d in result["deviations"]] == ([severity] if severity else [])
    if severity:
        assert result["errors"] == ["slow"]


def test_unavailable_routes():
    answer = {**BEST, "disposition": "embedded_professional"}
    result = grade(SAMPLE, answer, "call_center_led")
    assert result["errors"] == ["unavailable_route"] and result["parts"]["disposition"] == 0.0
    assert grade(SAMPLE, answer, "embedded_professional")["errors"] == ["wrong_disposition"]
    hotline = {**BEST, "disposition": "external_hotline"}
    assert grade(SAMPLE, hotline, "external_hotline")["score"] == 100
    evening = load_protocol({"hotline_hours": "08:00-22:00"})  # the call is at 02:40
    closed = grade(SAMPLE, hotline, "external_hotline", evening)
    assert closed["errors"] == ["unavailable_route"]
    assert "closed" in closed["deviations"][0]["message"]


def test_by_model_entry_replaces_the_routes():
    key = effective_key(SAMPLE, "external_hotline")
    assert key["disposition"] == "external_hotline"
    assert key["acceptable"] == ["community_responder"]
    assert key["unsafe"] == ["police"]  # not in the entry: inherited
    assert effective_key(SAMPLE, "call_center_led")["disposition"] == "community_responder"
    result = grade(SAMPLE, BEST, "external_hotline")
    assert result["parts"]["disposition"] == 0.5 and result["errors"] == ["suboptimal_disposition"]
    assert expert_answer(SAMPLE, "external_hotline")["disposition"] == "external_hotline"


@pytest.mark.parametrize(
    ("score_answer", "level"),
    [
        ({**BEST}, "high"),
        ({**BEST, "disqualifiers": ["weapon"]}, "compliant"),  # 94
        ({**BEST, "call_type": "TRESPASS", "priority": 1}, "compliant"),  # 88
        ({**BEST, "call_type": "TRESPASS", "disqualifiers": ["weapon"]}, "partial"),  # 84
        ({**BEST, "disposition": "ems"}, "low"),  # 70
        ({**BEST, "disposition": "ems", "call_type": "FIRE", "seconds": 500}, "non-compliant"),
    ],
)
def test_levels(score_answer, level):
    assert grade(SAMPLE, score_answer)["level"] == level


def test_pass_mark_can_be_set():
    answer = {**BEST, "disposition": "ems"}  # 70
    assert grade(SAMPLE, answer)["passed"] is False
    result = grade(SAMPLE, answer, pass_mark=70)
    assert result["passed"] is True and result["pass_mark"] == 70


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ([], "an answer must be a mapping"),
        ({}, "answer is missing 'questions'"),
        ({**BEST, "extra": 1}, "unknown answer key 'extra'"),
        ({**BEST, "questions": "weapons"}, "questions must be a list"),
        ({**BEST, "questions": [1]}, "questions must be a list"),
        ({**BEST, "disqualifiers": ["knife"]}, "unknown disqualifier 'knife'"),
        ({**BEST, "call_type": 7}, "call_type must be a call type code"),
        ({**BEST, "call_type": "NAP"}, "unknown call type 'NAP'"),
        ({**BEST, "disposition": "taxi"}, "disposition must be one of"),
        ({**BEST, "priority": 0}, "priority must be a whole number 1..4"),
        ({**BEST, "priority": True}, "priority must be a whole number 1..4"),
        ({**BEST, "seconds": -1}, "seconds must be a number"),
        ({**BEST, "seconds": float("nan")}, "seconds must be a number"),
        ({**BEST, "seconds": "64"}, "seconds must be a number"),
    ],
)
def test_validate_answer(answer, problem):
    problems = validate_answer(answer)
    assert any(problem in p for p in problems), problems
    with pytest.raises(GradingError, match="answer is not valid"):
        grade(SAMPLE, answer)


def test_a_good_answer_has_no_problems_and_null_optionals_are_fine():
    assert validate_answer(BEST) == []
    assert validate_answer({**BEST, "priority": None, "seconds": None}) == []
    assert validate_answer({**BEST, "seconds": 12.5}) == []


def test_unknown_model():
    with pytest.raises(GradingError, match="unknown dispatch model 'radio'"):
        grade(SAMPLE, BEST, "radio")
    with pytest.raises(GradingError):
        effective_key(SAMPLE, "radio")


def test_check_matches():
    result = grade(SAMPLE, SAMPLE["checks"][0]["answer"])
    assert check_matches(result, {"passed": False, "score": 40, "critical": True}) == []
    assert check_matches(result, {"critical": ["unsafe_dispatch"]}) == []
    assert check_matches(result, {"errors": ["over_routed", "missed_question"]}) == []
    assert check_matches(result, {"errors": ["over_routed"]}) != []
    assert check_matches(result, {"critical": False}) != []
    assert check_matches(result, {"critical": []}) != []
    assert check_matches(result, {"score": 41}) != []
    assert check_matches(result, {"passed": True}) != []


def test_extra_questions_never_cost():
    more = {**BEST, "questions": BEST["questions"] + ["address", "callback", "made_up"]}
    assert grade(SAMPLE, more) == grade(SAMPLE, BEST)


def test_dict_answer_keys_are_not_mutated_and_output_is_json_ready():
    import json

    answer = {**BEST}
    result = grade(KNIFE, answer)
    assert answer == BEST
    assert json.loads(json.dumps(result)) == result


def test_rules_1_replays_the_grades_given_before_rules_2():
    """Kept so stored history can be regraded and compared; never the default."""
    machete = copy.deepcopy(KNIFE)
    machete["expert"]["unsafe"] = []
    answer = {
        "questions": ["weapons"],
        "disqualifiers": [],
        "call_type": "DISTURBANCE",
        "disposition": "phone_resolution",
    }
    old = grade(machete, answer, rules=1)
    new = grade(machete, answer)
    assert (old["rules"], old["critical"], new["rules"]) == (1, [], 2)
    assert {"missed_disqualifier", "unsafe_dispatch", "under_triaged"} <= set(new["critical"])
    assert old["score"] == new["score"]
    # a wrong priority cost 2 points, police alone beside tandem was a wrong route
    assert grade(SAMPLE, {**BEST, "priority": 2}, rules=1)["score"] == 98
    key = copy.deepcopy(SAMPLE)
    key["expert"].update(acceptable=["community_responder_with_police"], unsafe=[], by_model={})
    assert grade(key, {**BEST, "disposition": "police"}, rules=1)["errors"] == ["wrong_disposition"]
    with pytest.raises(GradingError):
        grade(SAMPLE, BEST, rules=3)
