"""The bank report counts scenario dicts correctly and names every gap."""

from __future__ import annotations

import copy
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.bank_report import (
    Minimums,
    bank_report,
    differing_models,
    is_night,
    scenario_facts,
)
from app.core.protocol import CHANNELS, DISQUALIFIERS, ELIGIBLE_CALL_TYPES


def scenario(
    ident="s-0001",
    *,
    call_type="NOISE_COMPLAINT",
    disqualifiers=(),
    difficulty=2,
    channel="911",
    time="12:00",
    tags=(),
    context=None,
    by_model=None,
    disposition="community_responder",
):
    """A minimal scenario dict: only what the report reads."""
    expert = {
        "disqualifiers": list(disqualifiers),
        "call_type": call_type,
        "disposition": disposition,
    }
    if by_model is not None:
        expert["by_model"] = by_model
    call = {"channel": channel, "time": time, "initial_call_type": call_type}
    if context is not None:
        call["context"] = context
    return {
        "id": ident,
        "difficulty": difficulty,
        "tags": list(tags),
        "call": call,
        "expert": expert,
    }


def complete_bank() -> list[dict]:
    """The smallest hand-made bank that meets every default minimum."""
    bank: list[dict] = []

    def add(**kwargs):
        kwargs.setdefault("difficulty", len(bank) % 5 + 1)
        bank.append(scenario(f"s-{len(bank):04d}", **kwargs))

    for code in ELIGIBLE_CALL_TYPES:
        for n in range(4):
            add(call_type=code, channel=CHANNELS[n % len(CHANNELS)])
    for dq in DISQUALIFIERS:
        for _ in range(10):
            add(call_type="DISTURBANCE", disqualifiers=[dq], disposition="police")
    for _ in range(15):
        add(call_type="TRESPASS", tags=["crime"])
    for _ in range(15):
        add(
            call_type="NEIGHBOR_DISPUTE",
            by_model={"external_hotline": {"disposition": "external_hotline"}},
        )
    for _ in range(3):
        add(call_type="NOISE_COMPLAINT", time="02:30", context={"hotline_open": False})
        add(
            call_type="PANHANDLING",
            disposition="phone_resolution",
            context={"responders_available": False},
        )
    for _ in range(6):
        add(call_type="SUSPICIOUS_PERSON", tags=["third-party"])
    for _ in range(5):
        add(call_type="JUVENILE_PROBLEM", tags=["unsure-caller"])
    for channel in CHANNELS:
        add(channel=channel)
    for kind_call in KIND_CALLS.values():
        for _ in range(8):
            add(call_type="WELFARE_CHECK")
            bank[-1]["call"].update(copy.deepcopy(kind_call))
    return bank


# One call of each kind of docs/scenario-format.md 3.9, as the keys of its ``call``.
KIND_CALLS = {
    "dropped_or_hang_up": {"connection": "dropped", "when_called_back": {"answer": "Hello?"}},
    "other_language": {"caller": {"language": "es"}},
    "child_caller": {"caller": {"age": "child"}},
    "location_unknown": {"caller": {"knows_location": False}},
    "text": {"medium": "text"},
    "repeat_caller": {"prior_calls": [{"when": "yesterday", "what": "the same noise"}]},
    "cannot_speak_freely": {"caller": {"can_speak_freely": False}},
}


def gap_rules(report: dict) -> set[tuple[str, str]]:
    return {(g["rule"], g["what"]) for g in report["gaps"]}


# ----------------------------------------------------------------------------- facts


def test_facts_of_a_plain_scenario():
    facts = scenario_facts(scenario())
    assert facts.call_type == "NOISE_COMPLAINT"
    assert facts.group == "conflict"
    assert facts.disqualifiers == ()
    assert facts.models == ("all",)
    assert not (facts.crime_but_eligible or facts.third_party or facts.unsure_caller)
    assert not (facts.hotline_closed_night or facts.responders_unavailable)


def test_crime_counts_only_without_disqualifiers():
    assert scenario_facts(scenario(tags=["crime"])).crime_but_eligible
    assert scenario_facts(scenario(tags=["Crime"])).crime_but_eligible
    assert not scenario_facts(scenario(tags=["crime"], disqualifiers=["weapon"])).crime_but_eligible
    assert not scenario_facts(scenario(tags=["shoplifting"])).crime_but_eligible


def test_by_model_counts_only_when_the_best_route_changes():
    same = {"external_hotline": {"disposition": "community_responder", "acceptable": ["ems"]}}
    other = {
        "external_hotline": {"disposition": "external_hotline"},
        "embedded_professional": {"acceptable": ["community_responder"]},
    }
    assert differing_models({"disposition": "community_responder", "by_model": same}) == []
    assert differing_models({"disposition": "community_responder", "by_model": other}) == [
        "external_hotline"
    ]
    assert scenario_facts(scenario(by_model=other)).models == ("all", "external_hotline")


def test_night_runs_from_eight_pm_to_before_seven_am():
    assert [is_night(t) for t in ("19:59", "20:00", "23:59", "00:00", "06:59", "07:00")] == [
        False,
        True,
        True,
        True,
        True,
        False,
    ]
    assert not is_night(None)
    assert not is_night("25:00")
    assert not is_night("7:30")


def test_hotline_closed_needs_both_night_and_closed():
    closed = {"hotline_open": False}
    assert scenario_facts(scenario(time="23:30", context=closed)).hotline_closed_night
    assert not scenario_facts(scenario(time="14:00", context=closed)).hotline_closed_night
    assert not scenario_facts(
        scenario(time="23:30", context={"hotline_open": True})
    ).hotline_closed_night
    assert not scenario_facts(scenario(time="23:30")).hotline_closed_night


def test_responders_unavailable_only_when_explicitly_false():
    assert scenario_facts(scenario(context={"responders_available": False})).responders_unavailable
    assert not scenario_facts(
        scenario(context={"responders_available": True})
    ).responders_unavailable
    assert not scenario_facts(scenario()).responders_unavailable


def test_unknown_call_type_is_in_group_other():
    assert scenario_facts(scenario(call_type="AGENCY_SPECIAL")).group == "other"
    assert scenario_facts(scenario(call_type="OVERDOSE")).group == "medical_emergency"


def test_missing_parts_do_not_crash():
    facts = scenario_facts({"id": "bare"})
    assert facts.call_type == "UNKNOWN"
    assert facts.difficulty is None
    assert facts.channel == "911"


# ----------------------------------------------------------------------------- counts


def test_counts_by_each_dimension():
    bank = [
        scenario("a", call_type="TRESPASS", disqualifiers=["weapon", "threat"], difficulty=3),
        scenario("b", call_type="TRESPASS", channel="proactive", difficulty=3),
        scenario(
            "c",
            call_type="MENTAL_HEALTH",
            difficulty=5,
            by_model={"embedded_professional": {"disposition": "embedded_professional"}},
        ),
    ]
    report = bank_report(bank)
    counts = report["counts"]
    assert counts["total"] == 3
    assert counts["call_type"] == {"MENTAL_HEALTH": 1, "TRESPASS": 2}
    assert counts["group"] == {"behavioral_health": 1, "conflict": 2}
    assert counts["disqualifier"] == {
        "weapon": 1,
        "threat": 1,
        "medical": 0,
        "police_only": 0,
        "none": 2,
    }
    assert counts["model"] == {
        "all": 3,
        "call_center_led": 0,
        "embedded_professional": 1,
        "external_hotline": 0,
    }
    assert counts["difficulty"] == {1: 0, 2: 0, 3: 2, 4: 0, 5: 1}
    assert counts["channel"]["911"] == 2 and counts["channel"]["proactive"] == 1
    trespass = report["by_call_type"]["TRESPASS"]
    assert trespass["total"] == 2
    assert trespass["disqualifier"]["weapon"] == 1 and trespass["disqualifier"]["none"] == 1
    assert report["special"]["by_model_differing"] == 1


def test_cells_cross_every_dimension():
    bank = [
        scenario(
            "a",
            call_type="TRESPASS",
            disqualifiers=["weapon", "threat"],
            by_model={"external_hotline": {"disposition": "external_hotline"}},
        )
    ]
    cells = bank_report(bank)["cells"]
    # two disqualifiers x two model columns ("all" and the differing model)
    assert len(cells) == 4
    assert {(c["disqualifier"], c["model"]) for c in cells} == {
        ("weapon", "all"),
        ("threat", "all"),
        ("weapon", "external_hotline"),
        ("threat", "external_hotline"),
    }
    assert all(c["count"] == 1 and c["difficulty"] == 2 and c["channel"] == "911" for c in cells)


# ----------------------------------------------------------------------------- gaps


def test_complete_bank_has_no_gaps():
    bank = complete_bank()
    report = bank_report(bank)
    assert report["counts"]["total"] >= 120
    assert report["gaps"] == []


def test_empty_bank_reports_every_rule():
    rules = {rule for rule, _ in gap_rules(bank_report([]))}
    assert rules == {
        "total",
        "eligible_call_type",
        "disqualifier",
        "crime_but_eligible",
        "by_model_differing",
        "hotline_closed_night",
        "responders_unavailable",
        "third_party",
        "unsure_caller",
        "channel",
        "difficulty",
        "conflict_vs_behavioral_health",
        "call_kind",
    }


def test_each_missing_piece_is_named():
    bank = complete_bank()
    without_lift = [s for s in bank if s["expert"]["call_type"] != "LIFT_ASSIST"]
    gaps = bank_report(without_lift)["gaps"]
    assert ("eligible_call_type", "LIFT_ASSIST") in {(g["rule"], g["what"]) for g in gaps}
    lift = next(g for g in gaps if g["what"] == "LIFT_ASSIST")
    assert lift["have"] == 0 and lift["need"] == 4
    assert "LIFT_ASSIST" in lift["message"]

    without_988 = [s for s in bank if s["call"]["channel"] != "988"]
    assert ("channel", "988") in gap_rules(bank_report(without_988))

    no_crime = [s for s in bank if "crime" not in s["tags"]]
    assert ("crime_but_eligible", "crime_but_eligible") in gap_rules(bank_report(no_crime))


def test_crime_with_a_disqualifier_does_not_fill_the_crime_minimum():
    bank = [s for s in complete_bank() if "crime" not in s["tags"]]
    bank += [
        scenario(f"c-{n}", call_type="TRESPASS", tags=["crime"], disqualifiers=["police_only"])
        for n in range(15)
    ]
    report = bank_report(bank)
    assert report["special"]["crime_but_eligible"] == 0
    assert ("crime_but_eligible", "crime_but_eligible") in gap_rules(report)


def test_conflict_must_strictly_outnumber_behavioral_health():
    bank = [scenario("c", call_type="DISTURBANCE"), scenario("b", call_type="MENTAL_HEALTH")]
    gap = next(g for g in bank_report(bank)["gaps"] if g["rule"] == "conflict_vs_behavioral_health")
    assert gap["have"] == 1 and gap["need"] == 2
    bank.append(scenario("c2", call_type="TRESPASS"))
    assert "conflict_vs_behavioral_health" not in {g["rule"] for g in bank_report(bank)["gaps"]}


def test_minimums_can_be_changed():
    bank = [scenario("a")]
    none_needed = Minimums(
        total=1,
        per_eligible_call_type=0,
        per_disqualifier=0,
        crime_but_eligible=0,
        by_model_differing=0,
        per_channel=0,
        hotline_closed_night=0,
        responders_unavailable=0,
        third_party=0,
        unsure_caller=0,
        per_difficulty=0,
        per_call_kind=0,
    )
    assert bank_report(bank, none_needed)["gaps"] == []
    assert bank_report(bank, replace(none_needed, total=2))["gaps"][0]["rule"] == "total"


def test_every_call_kind_is_counted_and_its_minimum_named():
    bank = complete_bank()
    report = bank_report(bank)
    assert set(report["counts"]["call_kind"]) == set(KIND_CALLS)
    assert all(n == 8 for n in report["counts"]["call_kind"].values())
    for kind in KIND_CALLS:
        one_short = [s for s in bank if kind not in scenario_facts(s).call_kinds]
        one_short += [s for s in bank if kind in scenario_facts(s).call_kinds][1:]
        gaps = [g for g in bank_report(one_short)["gaps"] if g["rule"] == "call_kind"]
        assert [(g["what"], g["have"], g["need"]) for g in gaps] == [(kind, 7, 8)]


def test_a_call_counts_under_each_of_its_kinds():
    both = scenario("x")
    both["call"].update({"medium": "text", "caller": {"age": "child", "language": "es-MX"}})
    assert set(scenario_facts(both).call_kinds) == {"text", "child_caller", "other_language"}
    assert scenario_facts(scenario("plain")).call_kinds == ()


def test_report_does_not_change_its_input():
    bank = complete_bank()
    before = copy.deepcopy(bank)
    bank_report(bank)
    assert bank == before


# ----------------------------------------------------------------------------- properties

scenarios_st = st.builds(
    scenario,
    ident=st.text(alphabet="abc123-", min_size=1, max_size=8),
    call_type=st.sampled_from([*ELIGIBLE_CALL_TYPES, "ASSAULT", "OVERDOSE", "AGENCY_X"]),
    disqualifiers=st.lists(st.sampled_from(DISQUALIFIERS), unique=True, max_size=4),
    difficulty=st.integers(1, 5),
    channel=st.sampled_from(CHANNELS),
    time=st.sampled_from(["01:00", "09:30", "21:45"]),
    tags=st.lists(st.sampled_from(["crime", "third-party", "unsure-caller", "x"]), max_size=3),
    context=st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {}, optional={"hotline_open": st.booleans(), "responders_available": st.booleans()}
        ),
    ),
    by_model=st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {},
            optional={
                "external_hotline": st.fixed_dictionaries(
                    {"disposition": st.sampled_from(["external_hotline", "community_responder"])}
                ),
                "embedded_professional": st.fixed_dictionaries(
                    {"disposition": st.sampled_from(["embedded_professional", "police"])}
                ),
            },
        ),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(scenarios_st, max_size=25))
def test_marginal_counts_add_up(bank):
    report = bank_report(bank)
    counts = report["counts"]
    total = len(bank)
    assert counts["total"] == total
    assert sum(counts["call_type"].values()) == total
    assert sum(counts["group"].values()) == total
    assert sum(counts["difficulty"].values()) == total
    assert sum(counts["channel"].values()) == total
    assert counts["model"]["all"] == total
    assert sum(report["by_call_type"][c]["total"] for c in report["by_call_type"]) == total
    with_dq = sum(bool(s["expert"]["disqualifiers"]) for s in bank)
    assert counts["disqualifier"]["none"] == total - with_dq
    # every cell in "all" sums to the scenario x disqualifier pairs
    pairs = sum(max(1, len(s["expert"]["disqualifiers"])) for s in bank)
    assert sum(c["count"] for c in report["cells"] if c["model"] == "all") == pairs
    assert report["special"]["crime_but_eligible"] <= counts["disqualifier"]["none"]


@settings(max_examples=100, deadline=None)
@given(st.lists(scenarios_st, max_size=20), scenarios_st)
def test_adding_a_conflict_scenario_never_adds_a_gap(bank, extra):
    extra = copy.deepcopy(extra)
    extra["expert"]["call_type"] = "NEIGHBOR_DISPUTE"
    before = gap_rules(bank_report(bank))
    after = gap_rules(bank_report([*bank, extra]))
    assert after <= before
