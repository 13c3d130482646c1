"""Regression tests for the keys, grades and lessons an expert review found wrong (rules 1).

Each test names the case it guards. Generated-call cases (a fight that has stopped, a
hammer carried for work, a closed hotline, a low-acuity medical call that is an emergency,
rationales that said "there is no medical need") are in tests/core/test_generator*.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.grading import effective_key, expert_answer, grade
from app.core.scenario import load_paths

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "content" / "modules"


@pytest.fixture(scope="module")
def bank() -> dict[str, dict]:
    loaded, problems = load_paths([ROOT / "scenarios"])
    assert not [p for p in problems if p.is_error]
    return {item.data["id"]: item.data for item in loaded}


def test_machete_call_resolved_by_phone_is_critical_and_never_passes(bank):
    """dq-a-weapon-0002 (machete, "I'll cut anybody") with no disqualifier and phone
    resolution scored 16 with no critical error."""
    scenario = bank["dq-a-weapon-0002"]
    answer = {**expert_answer(scenario), "disqualifiers": [], "disposition": "phone_resolution"}
    result = grade(scenario, answer, pass_mark=0)
    assert {"unsafe_dispatch", "missed_disqualifier"} <= set(result["critical"])
    assert result["passed"] is False


@pytest.mark.parametrize("route", ["transfer_988", "external_hotline", "ems"])
def test_threat_calls_sent_to_988_the_hotline_or_ems_alone_are_unsafe(bank, route):
    scenario = bank["panhandling-atm-0002"]
    answer = {**expert_answer(scenario, "external_hotline"), "disposition": route}
    assert "unsafe_dispatch" in grade(scenario, answer, "external_hotline")["critical"]


def test_an_overdose_coded_priority_4_after_600_seconds_fails(bank):
    """Under rules 1 an overdose coded priority 4 after 600 s (60 s target) scored 93."""
    scenario = next(s for s in bank.values() if s["expert"]["call_type"] == "OVERDOSE")
    answer = {**expert_answer(scenario), "priority": 4, "seconds": 600}
    result = grade(scenario, answer)
    assert "under_triaged" in result["critical"] and result["passed"] is False


def test_police_alone_where_the_key_has_the_team_best_and_tandem_acceptable_is_over_routed(bank):
    keys = [
        s
        for s in bank.values()
        if effective_key(s)["disposition"] == "community_responder"
        and effective_key(s)["acceptable"] == ["community_responder_with_police"]
    ]
    assert keys, "the bank has such a key (a fight that has stopped, for one)"
    for scenario in keys:
        result = grade(scenario, {**expert_answer(scenario), "disposition": "police"})
        assert "over_routed" in result["errors"], scenario["id"]


def test_the_two_held_minor_shoplifting_calls_are_keyed_the_same(bank):
    """juvenile-shoplift-arrest-0001 and shoplifting-detained-0002: same facts, opposite keys."""
    first, second = (
        effective_key(bank[i])
        for i in ("juvenile-shoplift-arrest-0001", "shoplifting-detained-0002")
    )
    for part in ("disqualifiers", "call_type", "priority", "disposition", "acceptable"):
        assert first[part] == second[part], part
    assert first["disqualifiers"] == ["police_only"]


def test_hand_in_pocket_and_you_will_regret_that_is_a_threat(bank):
    """conflict-calls/panhandling-atm-0002 passed responders alone and called marking
    `threat` wrong."""
    scenario = bank["panhandling-atm-0002"]
    assert "threat" in scenario["expert"]["disqualifiers"]
    alone = {**expert_answer(scenario), "disqualifiers": [], "disposition": "community_responder"}
    assert grade(scenario, alone)["passed"] is False
    assert grade(scenario, expert_answer(scenario))["errors"] == []


@pytest.mark.parametrize("scenario_id", ["dq-b-unhoused-hypothermia-0001"])
def test_an_unresponsive_person_is_a_medical_emergency_at_priority_1(bank, scenario_id):
    """The bank kept an eligible code on a priority-1 EMS call."""
    key = bank[scenario_id]["expert"]
    assert (key["call_type"], key["priority"], key["disposition"]) == (
        "MEDICAL_EMERGENCY",
        1,
        "ems",
    )


def test_urination_at_the_playground_is_coded_as_the_crisis_its_rationale_describes(bank):
    key = bank["urination-playground-0001"]["expert"]
    assert key["call_type"] == "MENTAL_HEALTH" and "crisis" in key["rationale"].lower()


def _lesson(slug: str) -> str:
    return (LESSONS / slug / "lesson.md").read_text(encoding="utf-8")


def test_lessons_say_only_what_the_sources_say():
    every = "\n".join(_lesson(p.name) for p in LESSONS.iterdir() if p.is_dir())
    assert "oldest" not in every.lower()
    assert "clinician and a medic" not in every
    # STAR's pilot: call takers flagged 41.8%, not "nearly every call".
    assert "41.8%" in _lesson("community-responders")
    assert "nearly every call" not in _lesson("community-responders")


def test_the_razor_example_marks_weapon_and_threat():
    """Self-harm with the means at hand is also `threat` by our own definition."""
    lesson = _lesson("tandem-and-referrals")
    razor = lesson[lesson.lower().index("razor") :][:1200]
    assert "`weapon`" in razor and "`threat`" in razor


def test_no_lesson_sends_police_because_the_hotline_is_closed():
    for slug in ("dispatch-models", "transfers-and-handoffs"):
        text = " ".join(_lesson(slug).split())
        assert "A closed hotline is never a reason to send police" in text, slug
