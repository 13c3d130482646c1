"""The keying policy's machine-checkable rules (``python -m app bank lint``)."""

from __future__ import annotations

import copy
import textwrap

import pytest

from app.core.bank_lint import LintItem, lint_policy, lint_scenario
from app.core.scenario import parse_scenario

GOOD = textwrap.dedent(
    """\
    format: 1
    id: lint-knife-0001
    version: 1
    title: Neighbour waving a knife
    module: disqualifiers
    call:
      channel: "911"
      time: "21:10"
      initial_call_type: DISTURBANCE
      opening: My neighbour is on his porch shouting at the street.
      exchanges:
        - ask: address
          answer: 18 Cole Street, the blue house.
        - ask: callback
          answer: This cell, 555-0142.
        - ask: weapons
          answer: He's holding a kitchen knife and waving it.
        - ask: threats
          answer: He keeps saying he'll hurt himself with it.
        - ask: medical
          answer: He isn't hurt that I can see.
    expert:
      disqualifiers: [weapon, threat]
      call_type: MENTAL_HEALTH
      priority: 2
      disposition: community_responder_with_police
      acceptable: [police]
      required_questions: [address, callback, weapons, threats, medical]
      evidence: {weapon: weapons, threat: threats}
      rationale: >
        A knife in his hand is a weapon and he threatens to hurt himself with it, a
        credible threat with the means at hand. Police must go; the team goes with them.
    """
)


def _item(text: str, name: str = "lint.yaml") -> LintItem:
    data, problems = parse_scenario(text, name)
    assert data is not None and not [p for p in problems if p.is_error], problems
    return LintItem(data, name, text)


def _messages(item: LintItem) -> list[str]:
    return [f.message for f in lint_scenario(item)]


def test_a_key_that_follows_the_policy_has_no_findings():
    assert lint_policy([_item(GOOD)]) == []


def test_findings_print_as_file_line_message():
    text = GOOD.replace("  priority: 2\n", "")
    (finding,) = lint_scenario(_item(text))
    assert str(finding).startswith("lint.yaml:")
    line = int(str(finding).split(":")[1])
    assert text.splitlines()[line - 1].strip().startswith("call_type:")
    assert "no priority" in finding.message


def test_address_and_callback_are_required_on_911_and_non_emergency_calls():
    text = GOOD.replace("[address, callback, weapons", "[weapons")
    assert _messages(_item(text)) == ["address and callback must be required on a 911 call"]
    referral = text.replace('channel: "911"', "channel: police_referral")
    assert _messages(_item(referral)) == []


def test_medical_is_priority_1_and_never_an_eligible_call_type():
    """gen-low-acuity-medical-s7-0014-a and dq-b-unhoused-hypothermia-0001 kept an eligible
    code on a priority-1 EMS call."""
    text = (
        GOOD.replace("disqualifiers: [weapon, threat]", "disqualifiers: [medical]")
        .replace("disposition: community_responder_with_police", "disposition: ems")
        .replace("acceptable: [police]", "acceptable: [community_responder_with_ems]")
        .replace("{weapon: weapons, threat: threats}", "{medical: medical}")
        .replace("call_type: MENTAL_HEALTH", "call_type: UNHOUSED_PERSON")
        .replace("credible threat", "medical emergency")
    )
    messages = _messages(_item(text))
    assert "a medical disqualifier is priority 1, not 2" in messages
    assert any("UNHOUSED_PERSON is eligible" in m for m in messages)
    fixed = text.replace("priority: 2", "priority: 1").replace(
        "UNHOUSED_PERSON", "MEDICAL_EMERGENCY"
    )
    assert _messages(_item(fixed)) == []


def test_every_disqualifier_needs_evidence_and_a_rationale_that_names_it():
    text = GOOD.replace("{weapon: weapons, threat: threats}", "{weapon: weapons}").replace(
        "he threatens to hurt himself with it, a\n    credible threat with the means at hand",
        "he says he will hurt himself with it",
    )
    assert _messages(_item(text)) == [
        "'threat' has no evidence (the exchange that reveals it)",
        "the rationale does not name the 'threat' disqualifier",
    ]


def test_routes_that_miss_a_demand_are_found_also_in_memory():
    """The validator rejects such files; lint checks generated calls held in memory too."""
    item = _item(GOOD)
    data = copy.deepcopy(item.data)
    data["expert"]["acceptable"] = ["transfer_988"]
    data["expert"]["by_model"] = {"external_hotline": {"disposition": "external_hotline"}}
    messages = [f.message for f in lint_scenario(LintItem(data, "mem.yaml"))]
    assert messages == [
        "acceptable 'transfer_988' does not meet what weapon, threat demands",
        "disposition 'external_hotline' under external_hotline does not meet what weapon, "
        "threat demands",
    ]


@pytest.mark.parametrize("tag", ["same-facts:held-minor", "twin:grp-7"])
def test_scenarios_with_the_same_facts_are_keyed_the_same(tag):
    """juvenile-shoplift-arrest-0001 and shoplifting-detained-0002 had the same facts and
    opposite keys."""
    first = GOOD.replace("module: disqualifiers", f"module: disqualifiers\ntags: [{tag}]")
    second = first.replace("lint-knife-0001", "lint-knife-0002").replace(
        "disposition: community_responder_with_police\n  acceptable: [police]",
        "disposition: police\n  acceptable: [community_responder_with_police]",
    )
    findings = lint_policy([_item(first, "a.yaml"), _item(second, "b.yaml")])
    assert [(f.file, f.message) for f in findings] == [
        ("b.yaml", f"{tag}: keyed differently from lint-knife-0001 (disposition, acceptable)")
    ]
    assert (
        lint_policy([_item(first, "a.yaml"), _item(first.replace("0001", "0003"), "c.yaml")]) == []
    )


def test_police_need_a_disqualifier_that_demands_them():
    """gen-fight-reported: after a fight that has stopped, tandem may be acceptable, but
    police alone, best or acceptable, need a disqualifier that demands them."""
    no_dq = (
        GOOD.replace("disqualifiers: [weapon, threat]", "disqualifiers: []")
        .replace("evidence: {weapon: weapons, threat: threats}", "evidence: {}")
        .replace("call_type: MENTAL_HEALTH", "call_type: DISTURBANCE")
        .replace("priority: 2", "priority: 3")
    )
    messages = _messages(_item(no_dq))
    assert messages == [
        "acceptable 'police' sends police without a community team, but no disqualifier of "
        "the key demands police (violence under way is a threat)"
    ]
    no_team = no_dq.replace("  opening:", "  context: {responders_available: false}\n  opening:")
    assert _messages(_item(no_team)) == []
    fight_over = no_dq.replace(
        "disposition: community_responder_with_police\n  acceptable: [police]",
        "disposition: community_responder\n  acceptable: [community_responder_with_police]",
    )
    assert _messages(_item(fight_over)) == []
