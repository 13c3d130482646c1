"""Calibration arithmetic: percent agreement, contested rules, trainer agreement and
Fleiss' kappa, checked against hand-worked and published values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.calibration import (
    answer,
    fleiss_kappa,
    kappa_by_dimension,
    scenario_agreement,
    trainer_agreement,
)


def K(dq=(), call_type="WELFARE_CHECK", route="community_responder", priority=3):
    key = {"disqualifiers": list(dq), "call_type": call_type, "disposition": route}
    if priority is not None:
        key["priority"] = priority
    return key


def test_answers_compare_disqualifier_sets_as_a_whole():
    assert answer(K(["weapon", "medical", "weapon"]), "disqualifiers") == "medical+weapon"
    assert answer(K(), "disqualifiers") == "none"


def test_percent_agreement_is_the_share_giving_the_most_common_answer():
    keys = [K(route="police"), K(route="police"), K(route="police"), K()]
    result = scenario_agreement(keys, expert=K(route="police"))
    route = result.dimensions["disposition"]
    assert route.agreement == pytest.approx(0.75)  # 3 of 4
    assert route.majority == "police"
    assert result.dimensions["call_type"].agreement == 1.0
    assert not result.contested  # .75 >= .7 and the majority matches the stored key
    assert result.status == "agreed"


def test_low_agreement_is_contested():
    keys = [K(route="police"), K(route="police"), K()]  # 2 of 3 = .67 < .7
    result = scenario_agreement(keys, expert=K(route="police"))
    assert result.contested
    assert any("2 of 3" in r for r in result.reasons)


def test_any_disqualifier_difference_is_contested():
    # 4 of 5 agree on the set (.8 is above the threshold), but one trainer marked weapon.
    keys = [K()] * 4 + [K(["weapon"])]
    result = scenario_agreement(keys, expert=K())
    assert result.dimensions["disqualifiers"].agreement == pytest.approx(0.8)
    assert result.contested
    assert any("disqualifiers" in r for r in result.reasons)


def test_disagreeing_with_the_stored_key_is_contested():
    keys = [K(call_type="MENTAL_HEALTH")] * 3
    result = scenario_agreement(keys, expert=K())
    assert result.contested
    assert any("MENTAL_HEALTH" in r and "WELFARE_CHECK" in r for r in result.reasons)
    # A single trainer whose disqualifiers differ from the stored key: contested too.
    assert scenario_agreement([K(["medical"])], expert=K()).contested


def test_one_key_is_not_an_agreement():
    # One trainer cannot agree with themself: no percent agreement, never "agreed".
    result = scenario_agreement([K()], expert=K())
    assert result.status == "needs more keys" and not result.contested
    assert all(d.agreement is None for d in result.dimensions.values())
    two = scenario_agreement([K(), K()], expert=K())
    assert two.status == "agreed" and two.dimensions["priority"].agreement == 1.0


def test_priority_is_part_of_the_key():
    keys = [K(priority=2)] * 3
    result = scenario_agreement(keys, expert=K(priority=3))
    assert result.contested
    assert any("priority 2" in r and "priority 3" in r for r in result.reasons)
    split = scenario_agreement([K(priority=2), K(priority=3)], expert=K(priority=3))
    assert split.contested and any(r.startswith("priority: 1 of 2") for r in split.reasons)
    # A key made before priority was asked, and a stored key without one, are not compared.
    old = scenario_agreement([K(priority=None), K(priority=None)], expert=K(priority=3))
    assert not old.contested and old.dimensions["priority"].counts == {}
    unset = scenario_agreement([K(priority=1), K(priority=1)], expert=K(priority=None))
    assert not unset.contested


def test_reasons_use_the_protocols_words():
    labels = {"call_type": {"WELFARE_CHECK": "Welfare check", "MENTAL_HEALTH": "Mental health"}}
    result = scenario_agreement([K(call_type="MENTAL_HEALTH")] * 2, expert=K(), labels=labels)
    assert any("Mental health" in r and "Welfare check" in r for r in result.reasons)
    assert not any("MENTAL_HEALTH" in r for r in result.reasons)


def test_no_keys_is_not_calibrated():
    result = scenario_agreement([], expert=K())
    assert result.status == "not calibrated" and not result.contested


def test_fleiss_kappa_by_hand():
    # Two subjects, two raters each: S1 {a: 2}, S2 {a: 1, b: 1}.
    # P1 = (4 - 2) / 2 = 1; P2 = (1 + 1 - 2) / 2 = 0; P-bar = .5
    # p_a = 3/4, p_b = 1/4; P_e = 9/16 + 1/16 = 5/8; kappa = (.5 - .625) / .375 = -1/3
    assert fleiss_kappa([{"a": 2}, {"a": 1, "b": 1}]) == pytest.approx(-1 / 3)


def test_fleiss_kappa_published_example():
    # The worked example of Fleiss' kappa on Wikipedia: 10 subjects, 14 raters,
    # 5 categories; P-bar = 0.378, P_e = 0.213, kappa = 0.210.
    table = [
        (0, 0, 0, 0, 14),
        (0, 2, 6, 4, 2),
        (0, 0, 3, 5, 6),
        (0, 3, 9, 2, 0),
        (2, 2, 8, 1, 1),
        (7, 7, 0, 0, 0),
        (3, 2, 6, 3, 0),
        (2, 5, 3, 2, 2),
        (6, 5, 2, 1, 0),
        (0, 2, 2, 3, 7),
    ]
    subjects = [dict(zip("12345", row, strict=True)) for row in table]
    assert fleiss_kappa(subjects) == pytest.approx(0.210, abs=0.001)


def test_fleiss_kappa_undefined_cases():
    assert fleiss_kappa([]) is None
    assert fleiss_kappa([{"a": 1}]) is None  # one rater: left out
    assert fleiss_kappa([{"a": 3}, {"a": 2}]) is None  # everyone agrees on one category


def test_kappa_by_dimension():
    keys = {
        "s1": [K(), K()],
        "s2": [K(["weapon"], route="police"), K(["weapon"], route="police")],
    }
    kappa = kappa_by_dimension(keys)
    # Perfect agreement with two categories used: P-bar = 1, P_e = .5, kappa = 1.
    assert kappa["disqualifiers"] == pytest.approx(1.0)
    assert kappa["disposition"] == pytest.approx(1.0)
    assert kappa["call_type"] is None  # one category only


def test_trainer_agreement_with_the_others_majority():
    keys = {
        "s1": {"ann": K(), "bob": K(), "cy": K(route="police")},
        "s2": {"ann": K(), "bob": K(route="police"), "cy": K(route="police")},
    }
    result = trainer_agreement(keys)
    # s1: ann vs {bob, cy} on route: tie -> not compared; on dq, call type and priority:
    # agrees (3). s2: ann vs {bob, cy} -> majority police on route: disagrees; agrees on
    # the other three.
    ann = result["ann"]
    assert (ann.agreed, ann.compared) == (6, 7)
    assert ann.by_dimension["disposition"] == (0, 1)
    # cy: s1 others {ann, bob} say community_responder: disagrees; s2 others tie.
    assert result["cy"].by_dimension["disposition"] == (0, 1)
    # bob: on the route the others tie in both scenarios (not compared); the other six
    # comparisons agree.
    assert (result["bob"].agreed, result["bob"].compared) == (6, 6)


keys_strategy = st.lists(
    st.builds(
        K,
        dq=st.lists(st.sampled_from(["weapon", "threat", "medical"]), max_size=2),
        call_type=st.sampled_from(["WELFARE_CHECK", "MENTAL_HEALTH"]),
        route=st.sampled_from(["community_responder", "police"]),
        priority=st.integers(1, 4),
    ),
    min_size=1,
    max_size=8,
)


@given(keys_strategy)
def test_agreement_properties(keys):
    result = scenario_agreement(keys)
    for d in result.dimensions.values():
        if len(keys) < 2:
            assert d.agreement is None  # no agreement from one key
        else:
            assert 1 / len(keys) <= d.agreement <= 1.0
        assert sum(d.counts.values()) == len(keys)
    if len(keys) < 2:
        assert result.status != "agreed"
    unanimous = (
        all(
            len({answer(k, dim) for k in keys}) == 1
            for dim in ("disqualifiers", "call_type", "priority")
        )
        and len({k["disposition"] for k in keys}) == 1
    )
    if unanimous:
        assert not result.contested
    kappa = fleiss_kappa([{answer(k, "disposition"): 1} for k in keys])  # one rater each
    assert kappa is None
