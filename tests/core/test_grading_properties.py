"""The grading properties of the scenario format (section 4, rules 2), over generated data."""

from __future__ import annotations

import copy
import math
from fractions import Fraction

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.core.grading import (
    ACCEPTABLE_CREDIT,
    PASS_MARK,
    RULES,
    WEIGHTS,
    effective_key,
    expert_answer,
    grade,
    weighted_total,
)
from app.core.protocol import (
    DISPATCH_MODELS,
    DISPOSITIONS,
    DISQUALIFIERS,
    POLICE_DISPOSITIONS,
    POLICE_LED_DISPOSITIONS,
    demands_of,
    load_protocol,
    unmet_demands,
)
from app.core.scenario import parse_scenario
from tests.core.strategies import answers, scenario_and_answer, scenarios

PROTOCOL = load_protocol()
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _available(scenario, model):
    call = scenario["call"]
    return PROTOCOL.available_dispositions(model, call["time"], call["context"])


def _lowers(worse: dict, better: dict) -> bool:
    """``worse`` scores strictly below ``better`` (the score cannot go below 0)."""
    return worse["score"] < better["score"] or better["score"] == 0


@SETTINGS
@given(scenarios(with_checks=True))
def test_generated_scenarios_are_valid_and_parse_back_unchanged(scenario):
    text = yaml.safe_dump(scenario, sort_keys=False)
    data, problems = parse_scenario(text, "gen.yaml")
    assert [str(p) for p in problems if p.is_error] == []
    assert data == scenario


@SETTINGS
@given(scenario_and_answer())
def test_1_score_is_an_int_and_passed_follows_the_pass_mark(case):
    scenario, answer, model = case
    result = grade(scenario, answer, model)
    assert isinstance(result["score"], int) and not isinstance(result["score"], bool)
    assert 0 <= result["score"] <= 100
    assert result["passed"] == (result["score"] >= PASS_MARK and not result["critical"])
    assert set(result["parts"]) == {
        "questions",
        "disqualifiers",
        "call_type",
        "disposition",
        "time",
    }
    assert all(0.0 <= v <= 1.0 for v in result["parts"].values())
    assert result["pass_mark"] == PASS_MARK
    assert result["rules"] == RULES == 2


@SETTINGS
@given(scenarios(), st.sampled_from(DISPATCH_MODELS))
def test_2_the_expert_answer_scores_100_and_passes(scenario, model):
    result = grade(scenario, expert_answer(scenario, model), model)
    assert result["score"] == 100
    assert result["passed"] is True
    assert result["errors"] == [] and result["critical"] == [] and result["deviations"] == []
    assert result["level"] == "high"


@SETTINGS
@given(scenario_and_answer())
def test_3_unsafe_dispatch_is_critical(case):
    scenario, answer, model = case
    key = effective_key(scenario, model)
    result = grade(scenario, answer, model)
    unmet = unmet_demands(answer["disposition"], key["disqualifiers"])
    unsafe = answer["disposition"] in key["unsafe"] or bool(unmet)
    assert ("unsafe_dispatch" in result["critical"]) == unsafe
    if unsafe:
        assert result["passed"] is False
        assert result["level"] == "non-compliant"


@SETTINGS
@given(scenarios(), st.sampled_from(DISPATCH_MODELS), st.sampled_from(DISPOSITIONS), st.data())
def test_3_every_route_that_misses_a_demand_is_unsafe_dispatch(scenario, model, route, data):
    """Whatever else the answer gets right, a route lacking police (or EMS) where a
    disqualifier demands it is critical."""
    key = effective_key(scenario, model)
    answer = {**expert_answer(scenario, model), "disposition": route}
    result = grade(scenario, answer, model)
    if unmet_demands(route, key["disqualifiers"]):
        assert "unsafe_dispatch" in result["critical"]
        assert result["passed"] is False


@SETTINGS
@given(scenario_and_answer(), st.integers(0, 100))
def test_3b_a_missed_disqualifier_never_passes_at_any_pass_mark(case, pass_mark):
    scenario, answer, model = case
    key = effective_key(scenario, model)
    result = grade(scenario, answer, model, pass_mark=pass_mark)
    missed = set(key["disqualifiers"]) - set(answer["disqualifiers"])
    assert ("missed_disqualifier" in result["critical"]) == bool(missed)
    if missed:
        assert result["passed"] is False


@SETTINGS
@given(scenarios(), st.sampled_from(DISPATCH_MODELS), st.sampled_from(DISQUALIFIERS), st.data())
def test_3b_dropping_one_expert_disqualifier_from_a_perfect_answer_fails_it(
    scenario, model, code, data
):
    key = effective_key(scenario, model)
    assume(code in key["disqualifiers"])
    answer = expert_answer(scenario, model)
    answer["disqualifiers"] = [d for d in answer["disqualifiers"] if d != code]
    result = grade(scenario, answer, model, pass_mark=data.draw(st.integers(0, 100)))
    assert result["passed"] is False and "missed_disqualifier" in result["critical"]


@SETTINGS
@given(scenario_and_answer())
def test_4_each_missed_or_extra_disqualifier_is_an_error_that_costs(case):
    scenario, answer, model = case
    key = effective_key(scenario, model)
    result = grade(scenario, answer, model)
    expected, marked = set(key["disqualifiers"]), set(answer["disqualifiers"])
    assert result["errors"].count("missed_disqualifier") == len(expected - marked)
    assert result["errors"].count("over_disqualified") == len(marked - expected)
    for code in DISQUALIFIERS:
        if (code in expected) == (code in marked):
            continue
        fixed = dict(answer)
        fixed["disqualifiers"] = sorted(marked ^ {code})
        assert _lowers(result, grade(scenario, fixed, model))


@SETTINGS
@given(scenario_and_answer())
def test_5_over_routing_to_police_is_an_error_that_costs(case):
    scenario, answer, model = case
    key = effective_key(scenario, model)
    result = grade(scenario, answer, model)
    routes = {key["disposition"], *key["acceptable"]}
    route = answer["disposition"]
    over = (
        route in POLICE_DISPOSITIONS
        and "police" not in demands_of(key["disqualifiers"])
        and (
            not routes & POLICE_DISPOSITIONS
            or (route in POLICE_LED_DISPOSITIONS and not routes & POLICE_LED_DISPOSITIONS)
        )
    )
    assert ("over_routed" in result["errors"]) == over
    assert result["errors"].count("over_routed") <= 1
    if over:
        # the same answer with another route that earns no credit either scores higher
        others = [
            d
            for d in _available(scenario, model)
            if d not in routes and d not in POLICE_DISPOSITIONS
        ]
        for other in others:
            alt = grade(scenario, {**answer, "disposition": other}, model)
            assert _lowers(result, alt) and result["score"] <= alt["score"]


@SETTINGS
@given(scenario_and_answer())
def test_6_best_route_full_credit_acceptable_less_other_none(case):
    scenario, answer, model = case
    key = effective_key(scenario, model)
    available = _available(scenario, model)
    credit = {}
    for route in DISPOSITIONS:
        credit[route] = grade(scenario, {**answer, "disposition": route}, model)["parts"][
            "disposition"
        ]
    assert credit[key["disposition"]] == 1.0
    for route in DISPOSITIONS:
        if route == key["disposition"]:
            continue
        if route in key["acceptable"] and route in available:
            assert 0.0 < credit[route] < 1.0
            assert credit[route] == float(ACCEPTABLE_CREDIT)
        else:
            assert credit[route] == 0.0


@SETTINGS
@given(scenario_and_answer())
def test_7_missed_questions_and_wrong_call_type_are_errors_that_cost(case):
    scenario, answer, model = case
    key = effective_key(scenario, model)
    result = grade(scenario, answer, model)
    missed = [q for q in key["required_questions"] if q not in set(answer["questions"])]
    assert result["errors"].count("missed_question") == len(missed)
    for question in missed:
        fixed = {**answer, "questions": [*answer["questions"], question]}
        assert _lowers(result, grade(scenario, fixed, model))
    wrong = answer["call_type"] != key["call_type"]
    assert ("wrong_call_type" in result["errors"]) == wrong
    if wrong:
        fixed = {**answer, "call_type": key["call_type"]}
        assert _lowers(result, grade(scenario, fixed, model))


@SETTINGS
@given(scenario_and_answer())
def test_8_slow_when_seconds_exceed_the_target(case):
    scenario, answer, model = case
    key = effective_key(scenario, model)
    result = grade(scenario, answer, model)
    target, seconds = key["time_target_seconds"], answer.get("seconds")
    slow = target is not None and seconds is not None and seconds > target
    assert ("slow" in result["errors"]) == slow
    if slow:
        assert _lowers(result, grade(scenario, {**answer, "seconds": target}, model))


@SETTINGS
@given(scenario_and_answer())
def test_9_a_route_that_does_not_exist_under_the_model_earns_nothing(case):
    scenario, answer, model = case
    result = grade(scenario, answer, model)
    unavailable = answer["disposition"] not in _available(scenario, model)
    assert ("unavailable_route" in result["errors"]) == unavailable
    if unavailable:
        assert result["parts"]["disposition"] == 0.0


@SETTINGS
@given(scenario_and_answer(with_by_model=True))
def test_10_a_by_model_entry_replaces_the_default_routes(case):
    scenario, answer, model = case
    entry = scenario["expert"]["by_model"].get(model)
    assume(entry)
    flattened = copy.deepcopy(scenario)
    flattened["expert"].update(copy.deepcopy(entry))
    flattened["expert"]["by_model"] = {}
    assert grade(scenario, answer, model) == grade(flattened, answer, model)
    # and under models without an entry the defaults apply
    for other in DISPATCH_MODELS:
        if other not in scenario["expert"]["by_model"]:
            plain = copy.deepcopy(scenario)
            plain["expert"]["by_model"] = {}
            assert grade(scenario, answer, other) == grade(plain, answer, other)


@SETTINGS
@given(scenario_and_answer(), st.randoms(use_true_random=False))
def test_lists_are_sets_and_extra_questions_never_cost(case, rnd):
    scenario, answer, model = case
    base = grade(scenario, answer, model)
    shuffled = copy.deepcopy(answer)
    for name in ("questions", "disqualifiers"):
        items = shuffled[name] * 2
        rnd.shuffle(items)
        shuffled[name] = items
    assert grade(scenario, shuffled, model) == base
    more = {**answer, "questions": [*answer["questions"], "address", "callback", "zzz_extra"]}
    assert grade(scenario, more, model)["score"] >= base["score"]
    if set(more["questions"]) == set(answer["questions"]) | {"address", "callback", "zzz_extra"}:
        required = set(effective_key(scenario, model)["required_questions"])
        if not ({"address", "callback"} & required):
            assert grade(scenario, more, model) == base


@SETTINGS
@given(scenario_and_answer())
def test_grading_is_pure(case):
    scenario, answer, model = case
    before = copy.deepcopy((scenario, answer))
    first = grade(scenario, answer, model)
    assert (scenario, answer) == before
    assert grade(scenario, answer, model) == first
    assert all(
        d["severity"] in {"critical", "major", "moderate", "minor"} and d["message"]
        for d in first["deviations"]
    )
    in_errors = [
        d["code"]
        for d in first["deviations"]
        if d["severity"] != "critical" or d["code"] == "missed_disqualifier"
    ]
    assert sorted(in_errors) == sorted(first["errors"])
    assert sorted(
        {d["code"] for d in first["deviations"] if d["severity"] == "critical"}
    ) == sorted(first["critical"])


@SETTINGS
@given(scenarios(), st.data())
def test_score_matches_the_documented_weights(scenario, data):
    answer = data.draw(answers(scenario))
    model = data.draw(st.sampled_from(DISPATCH_MODELS))
    result = grade(scenario, answer, model)
    parts = result["parts"]
    raw = (
        30 * parts["questions"]
        + 25 * parts["disqualifiers"]
        + 10 * parts["call_type"]
        + 30 * parts["disposition"]
        + 5 * parts["time"]
        - 15 * result["errors"].count("missed_disqualifier")
        - 10 * result["errors"].count("over_routed")
        - 5 * result["errors"].count("wrong_priority")
    )
    assert abs(result["score"] - max(0, math.floor(raw + 0.5))) <= 1


@SETTINGS
@given(scenario_and_answer())
def test_11_priority_wrong_is_an_error_and_under_triage_is_critical(case):
    scenario, answer, model = case
    key = effective_key(scenario, model)
    result = grade(scenario, answer, model)
    wanted, given_ = key["priority"], answer.get("priority")
    wrong = wanted is not None and given_ is not None and given_ != wanted
    assert ("wrong_priority" in result["errors"]) == wrong
    under = wanted is not None and (
        (wanted == 1 and given_ != 1) or (given_ is not None and given_ - wanted >= 2)
    )
    assert ("under_triaged" in result["critical"]) == under
    if under:
        assert result["passed"] is False


@SETTINGS
@given(scenarios(), st.sampled_from(DISPATCH_MODELS), st.one_of(st.none(), st.integers(2, 4)))
def test_11_an_under_triaged_priority_1_call_never_passes(scenario, model, priority):
    scenario = copy.deepcopy(scenario)
    scenario["expert"]["priority"] = 1
    answer = expert_answer(scenario, model)
    if priority is None:
        answer.pop("priority")
    else:
        answer["priority"] = priority
    for pass_mark in (0, 50, 80, 100):
        result = grade(scenario, answer, model, pass_mark=pass_mark)
        assert result["passed"] is False and "under_triaged" in result["critical"]


@given(
    st.fixed_dictionaries(
        {name: st.fractions(min_value=0, max_value=1, max_denominator=60) for name in WEIGHTS}
    )
)
def test_the_weighted_total_is_the_exact_sum_of_weight_times_share(parts):
    # Summed in integers over a common denominator; it must equal the term-by-term sum.
    expected = sum((WEIGHTS[name] * parts[name] for name in WEIGHTS), Fraction(0))
    assert weighted_total(parts) == expected
