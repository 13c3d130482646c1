"""The synthetic call generator: valid files, keys from facts, variety, twins, mix."""

from __future__ import annotations

import collections
import functools
import random
import re
from dataclasses import replace

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.bank_lint import LintItem, lint_bank
from app.core.generator import DEFAULT_MIX, GeneratedScenario, MixError, generate
from app.core.generator.coherence import PLAYING_DOWN
from app.core.generator.engine import _setting
from app.core.generator.facts import FACT_VALUES
from app.core.generator.rules import derive_key, disqualifiers_for
from app.core.generator.templates import TEMPLATE_DIR, load_templates
from app.core.generator.writer import draft_call
from app.core.grading import expert_answer, grade
from app.core.protocol import (
    DISPATCH_MODELS,
    POLICE_DISPOSITIONS,
    POLICE_LED_DISPOSITIONS,
    demands_of,
    load_protocol,
    unmet_demands,
)
from app.core.scenario import parse_scenario
from app.errors import UserError

PROTOCOL = load_protocol()
GROUP = {code: ct.group for code, ct in PROTOCOL.call_types.items()}


@functools.cache
def thousand() -> tuple[GeneratedScenario, ...]:
    return tuple(generate(1000, 20240611))


def spoken(scenario: GeneratedScenario) -> list[str]:
    call = scenario.data["call"]
    return [call["opening"], *(e["answer"] for e in call["exchanges"])]


def validate(scenario: GeneratedScenario) -> dict:
    data, problems = parse_scenario(scenario.yaml_text, f"{scenario.id}.yaml")
    assert data is not None and not problems, [str(p) for p in problems]
    return data


# --------------------------------------------------------------------------- validity


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(-(2**40), 2**40), twins=st.booleans())
def test_every_generated_scenario_validates_for_any_seed(seed, twins):
    for scenario in generate(15, seed, twins=twins):
        data = validate(scenario)
        assert data["id"] == scenario.id
        assert yaml.safe_load(scenario.yaml_text) == scenario.data
        assert "generated" in data["tags"]


def test_expert_answer_scores_100_under_every_model():
    for scenario in thousand()[:300]:
        data = validate(scenario)
        for model in DISPATCH_MODELS:
            result = grade(data, expert_answer(data, model), model)
            assert result["score"] == 100 and result["passed"], (scenario.id, model, result)
            assert result["errors"] == [] and result["critical"] == []


def test_community_responders_alone_fail_whenever_a_disqualifier_exists():
    checked = 0
    for scenario in thousand()[:300]:
        data = validate(scenario)
        if not data["expert"]["disqualifiers"]:
            continue
        answer = dict(expert_answer(data), disposition="community_responder")
        result = grade(data, answer)
        assert not result["passed"] and "unsafe_dispatch" in result["critical"]
        checked += 1
    assert checked > 50


def test_module_is_a_known_slug_and_tags_name_the_template():
    from app.core.scenario import MODULE_SLUGS

    for scenario in thousand()[:200]:
        assert scenario.data["module"] in MODULE_SLUGS
        template = scenario.id.split("-s20240611-")[0].removeprefix("gen-")
        assert template in scenario.data["tags"]


# --------------------------------------------------------------------------- key from facts


def all_routes(key: dict) -> list[tuple[str, str]]:
    """(model or "", route) for the best and every acceptable route, also per model."""
    found = [("", key["disposition"]), *(("", r) for r in key["acceptable"])]
    for model, entry in (key.get("by_model") or {}).items():
        found += [(model, entry["disposition"]), *((model, r) for r in entry["acceptable"])]
    return found


def exchange(scenario: GeneratedScenario, question: str) -> str:
    return next(e["answer"] for e in scenario.data["call"]["exchanges"] if e.get("ask") == question)


def test_key_follows_the_drawn_facts():
    for scenario in thousand():
        facts, key = scenario.facts, scenario.data["expert"]
        disq = key["disqualifiers"]
        routes = {key["disposition"], *key["acceptable"]}
        signs = (
            facts["violence"]
            or facts["weapon"] == "used"
            or (facts["threat"] == "current" and facts["threat_target"] == "others")
        )
        assert ("weapon" in disq) == (
            facts["weapon"] in ("in_hand", "in_reach", "used")
            or (facts["weapon"] == "unknown" and signs)
        )
        assert ("threat" in disq) == (
            facts["threat"] == "current" or (facts["threat"] == "unknown" and signs)
        )
        assert ("medical" in disq) == (
            facts["medical"] == "emergency" or (facts["medical"] == "unknown" and signs)
        )
        assert ("police_only" in disq) == (facts["entry"] == "without_consent" or facts["evidence"])
        if facts["weapon"] == "in_hand" or facts["threat"] == "current":
            assert "community_responder" not in routes
        if not disq:
            assert facts["weapon"] in ("absent", "out_of_reach", "carried", "unknown")
            assert facts["threat"] in ("none", "past", "unknown")
            # a call that stays violent or medical is always disqualified; others are recoded
            assert PROTOCOL.call_types[key["call_type"]].eligible


def test_required_questions_have_exchanges_that_reveal_each_disqualifier():
    for scenario in thousand()[:300]:
        key = scenario.data["expert"]
        asked = {e.get("ask") or e.get("id") for e in scenario.data["call"]["exchanges"]}
        assert set(key["required_questions"]) <= asked
        for code, exchange in key["evidence"].items():
            assert code in key["disqualifiers"] and exchange in key["required_questions"]


# --------------------------------------------------------------------------- keying policy


def test_a_thousand_generated_keys_have_zero_bank_lint_findings():
    """The policy's machine-checkable rules (``python -m app bank lint --generated``)."""
    items = [LintItem(s.data, f"{s.id}.yaml", s.yaml_text) for s in thousand()]
    assert [str(f) for f in lint_bank(items)] == []


def test_every_generated_route_meets_what_each_disqualifier_demands():
    for scenario in thousand():
        key = scenario.data["expert"]
        for model, route in all_routes(key):
            assert unmet_demands(route, key["disqualifiers"]) == [], (scenario.id, model, route)
        if {"police", "ems"} <= demands_of(key["disqualifiers"]):
            assert key["disposition"] == "police_with_ems" and key["acceptable"] == []


def test_police_appear_only_where_a_disqualifier_demands_them():
    for scenario in thousand():
        key = scenario.data["expert"]
        if "police" in demands_of(key["disqualifiers"]):
            continue
        for model, route in all_routes(key):
            assert route not in POLICE_LED_DISPOSITIONS, (scenario.id, model, route)
        assert key["disposition"] not in POLICE_DISPOSITIONS, scenario.id


def test_address_and_callback_are_required_on_every_911_and_non_emergency_call():
    checked = 0
    for scenario in thousand():
        if scenario.data["call"]["channel"] in ("911", "non_emergency"):
            required = scenario.data["expert"]["required_questions"]
            assert {"address", "callback"} <= set(required), scenario.id
            checked += 1
    assert checked > 900


def test_every_key_has_a_priority_and_medical_calls_are_priority_1_never_eligible():
    medical = 0
    for scenario in thousand():
        key = scenario.data["expert"]
        assert key["priority"] in (1, 2, 3, 4)
        if "medical" in key["disqualifiers"]:
            medical += 1
            assert key["priority"] == 1, scenario.id
            assert not PROTOCOL.call_types[key["call_type"]].eligible, scenario.id
            assert key["disposition"] in ("ems", "police_with_ems")
        elif key["disqualifiers"]:
            assert key["priority"] in (1, 2)
        else:
            assert key["priority"] in (2, 3, 4)
    assert medical > 50


def test_an_unresponsive_person_on_an_eligible_call_is_a_medical_emergency():
    """The issue's ``gen-low-acuity-medical-s7-0014-a`` kept LOW_ACUITY_MEDICAL on a priority-1
    EMS call; an eligible code never survives a medical emergency."""
    named = next(
        s
        for s in generate(300, 7, mix={"LOW_ACUITY_MEDICAL": 1}, twins=True)
        if s.id.endswith("-a") and s.facts["medical"] == "emergency"
    )
    key = named.data["expert"]
    assert key["disqualifiers"] == ["medical"]
    assert (key["call_type"], key["priority"], key["disposition"]) == (
        "MEDICAL_EMERGENCY",
        1,
        "ems",
    )
    calls = generate(300, 11, mix={"welfare": 1, "conflict": 1})
    down = [s for s in calls if s.data["expert"]["disqualifiers"] == ["medical"]]
    assert len(down) > 10
    for scenario in down:
        key = scenario.data["expert"]
        assert key["call_type"] == "MEDICAL_EMERGENCY" and key["priority"] == 1
        assert key["disposition"] == "ems"
        assert set(key["acceptable"]) <= {"community_responder_with_ems"}


def test_every_disqualifier_has_evidence_and_is_named_in_the_rationale():
    words = {
        "weapon": "weapon",
        "threat": "threat",
        "medical": "medical",
        "police_only": "police-only",
    }
    for scenario in thousand():
        key = scenario.data["expert"]
        asked = {e.get("ask") or e.get("id") for e in scenario.data["call"]["exchanges"]}
        for code in key["disqualifiers"]:
            assert (
                key["evidence"][code] in asked
                and key["evidence"][code] in key["required_questions"]
            )
            assert words[code] in key["rationale"].lower(), (scenario.id, code)


@functools.cache
def thousand_with_hotline() -> tuple[GeneratedScenario, ...]:
    """The same thousand calls for an agency whose model forwards calls to a hotline."""
    agency = replace(PROTOCOL, dispatch_model="external_hotline")
    return tuple(generate(1000, 20240611, protocol=agency))


def test_no_hotline_talk_where_the_agency_has_no_hotline():
    """Under the default (911-center-led) agency no call states the hotline's hours, and no
    rationale speaks of a hotline; the same seed for a hotline agency does."""
    assert PROTOCOL.dispatch_model != "external_hotline"
    for scenario in thousand():
        assert "hotline_open" not in scenario.data["call"]["context"], scenario.id
        assert "hotline" not in scenario.data["expert"]["rationale"], scenario.id
    assert any(s.facts["hotline_open"] is False for s in thousand_with_hotline())


def test_a_closed_hotline_never_sends_police():
    calls = [s for s in thousand_with_hotline() if s.facts["hotline_open"] is False]
    entries = 0
    for scenario in calls:
        key = scenario.data["expert"]
        assert scenario.data["call"]["context"]["hotline_open"] is False
        entry = (key.get("by_model") or {}).get("external_hotline")
        if entry is None:
            continue
        entries += 1
        assert entry["disposition"] == "community_responder", scenario.id
        assert not {entry["disposition"], *entry["acceptable"]} & POLICE_LED_DISPOSITIONS
        if key["call_type"] in ("MENTAL_HEALTH", "SUICIDAL_IDEATION"):
            assert "transfer_988" in entry["acceptable"]
        data = validate(scenario)
        police = dict(expert_answer(data, "external_hotline"), disposition="police")
        result = grade(data, police, "external_hotline")
        assert not result["passed"] and "over_routed" in result["errors"], scenario.id
    assert entries > 20


def test_a_fight_that_has_stopped_accepts_the_team_with_police_and_not_police_alone():
    """The issue's ``gen-fight-reported`` failed a trainee for adding police after a fight."""
    calls = generate(200, 3, mix={"ASSAULT": 1})
    stopped = [s for s in calls if not s.data["expert"]["disqualifiers"]]
    assert len(stopped) > 40
    for scenario in stopped:
        key = scenario.data["expert"]
        assert key["call_type"] == "DISTURBANCE"
        assert key["disposition"] == "community_responder"
        assert "community_responder_with_police" in key["acceptable"]
        data = validate(scenario)
        tandem = dict(expert_answer(data), disposition="community_responder_with_police")
        graded = grade(data, tandem)
        assert graded["passed"] and graded["critical"] == [], scenario.id
        alone = grade(data, dict(expert_answer(data), disposition="police"))
        assert "over_routed" in alone["errors"] and not alone["passed"]


def test_a_weapon_used_on_someone_is_police_with_no_tandem_priority_1():
    calls = generate(300, 5, mix={"WEAPONS": 1, "ASSAULT": 1})
    used = [s for s in calls if s.facts["weapon"] == "used"]
    assert len(used) > 5
    for scenario in used:
        key = scenario.data["expert"]
        assert key["priority"] == 1
        assert key["disposition"] in ("police", "police_with_ems")
        assert "community_responder_with_police" not in key["acceptable"]


def test_a_person_in_crisis_with_a_weapon_or_threat_gets_the_team_with_police():
    crisis = {"behavioral_health", "welfare"}
    found = 0
    for scenario in thousand():
        key, facts = scenario.data["expert"], scenario.facts
        group = GROUP[scenario.data["call"]["initial_call_type"]]
        if (
            group in crisis
            and scenario.data["call"]["initial_call_type"] != "NEEDLE_PICKUP"
            and set(key["disqualifiers"]) & {"weapon", "threat"}
            and "medical" not in key["disqualifiers"]
            and not facts["violence"]
            and facts["weapon"] != "used"
            and facts["responders_available"]
        ):
            found += 1
            assert key["disposition"] == "community_responder_with_police", scenario.id
            assert key["acceptable"] == ["police"], scenario.id
    assert found > 20


def test_a_hammer_carried_for_work_is_not_a_weapon_and_one_held_up_is():
    template = next(t for t in load_templates() if t.id == "neighbor-dispute")
    seen_carried = seen_held = 0
    for seed in range(400):
        draft = draft_call(template, seed)
        if draft.values["weapon_item"] != "a hammer" or draft.facts.weapon not in (
            "carried",
            "in_hand",
        ):
            continue
        key = derive_key(
            draft.facts, _setting(template, draft.final_call_type, draft.notes, PROTOCOL)
        )
        answer = next(raw for question, _, raw in draft.exchanges if question == "weapons")
        if draft.facts.weapon == "carried":
            seen_carried += 1
            assert "weapon" not in key["disqualifiers"]
            assert "{weapon_item}" in answer and "fixing the fence" in draft.values["weapon_where"]
            assert "not a weapon" in key["rationale"]
            assert "weapons" in key["required_questions"]
        else:
            seen_held += 1
            assert "weapon" in key["disqualifiers"]
            assert "raised" in answer or "swing" in answer
    assert seen_carried and seen_held


def test_i_dont_know_is_never_turned_into_there_is_none():
    """The issue: a rationale said "there is no medical need" where the caller said "I don't
    know if she's hurt". With violence under way the unknown counts; otherwise it is asked."""
    absence = re.compile(r"there is no|no (medical|weapon|threat)|nobody is", re.I)
    unsure = re.compile(
        r"don't know|can't tell|no idea|can't see|couldn't|can't make out|can't hear", re.I
    )
    calls = generate(400, 9, mix={"DOMESTIC_VIOLENCE": 1, "WELFARE_CHECK": 1, "UNHOUSED_PERSON": 1})
    counted = not_marked = 0
    for scenario in calls:
        key = scenario.data["expert"]
        assert not absence.search(key["rationale"]), key["rationale"]
        for fact, question, code in (
            ("weapon", "weapons", "weapon"),
            ("threat", "threats", "threat"),
            ("medical", "medical", "medical"),
        ):
            if scenario.facts[fact] != "unknown":
                continue
            assert unsure.search(exchange(scenario, question)), exchange(scenario, question)
            assert question in key["required_questions"]
            if scenario.facts["violence"]:
                counted += 1
                assert code in key["disqualifiers"]
            elif code not in key["disqualifiers"]:
                not_marked += 1
                assert "nothing the caller said shows" in key["rationale"]
    assert counted > 20 and not_marked > 20


@pytest.mark.parametrize("template", load_templates(), ids=lambda t: t.id)
def test_facts_are_revealed_only_by_their_own_question(template):
    """Changing one screening fact changes that fact's answers and nothing else the caller says."""
    questions = {
        "weapon": {"weapons"},
        "threat": {"threats", "suicide"},
        "medical": {"medical", "injuries"},
        "entry": {"entry"},
        "evidence": {"evidence"},
        "substances": {"substances"},
    }
    rng = random.Random(template.id)
    for _ in range(8):
        seed = rng.getrandbits(48)
        base = draft_call(template, seed)
        for fact, own in questions.items():
            if fact == "evidence":
                values = [True, False]
            else:
                values = [v for v in FACT_VALUES[fact] if template.weights[fact].get(v)]
            other = draft_call(template, seed, replace(base.facts, **{fact: rng.choice(values)}))
            if bool(disqualifiers_for(base.facts)) == bool(disqualifiers_for(other.facts)):
                assert other.opening == base.opening
            else:  # only a fragment that plays the call down gives way on a disqualified call
                calm, serious = (
                    (base, other) if not disqualifiers_for(base.facts) else (other, base)
                )
                for mild, kept in zip(calm.opening, serious.opening, strict=True):
                    assert mild == kept or PLAYING_DOWN.search(mild), (mild, kept)
            assert other.title == base.title
            before = {q: a for q, _, a in base.exchanges if q not in own}
            after = {q: a for q, _, a in other.exchanges if q not in own}
            assert before == after, (fact, template.id)


# --------------------------------------------------------------------------- variety


def test_a_thousand_calls_are_varied_and_balanced():
    calls = thousand()
    openings = {s.data["call"]["opening"] for s in calls}
    assert len(openings) >= 0.95 * len(calls)
    counts = collections.Counter(code for s in calls for code in s.data["expert"]["disqualifiers"])
    for code in ("weapon", "threat", "medical", "police_only"):
        assert counts[code] >= 0.05 * len(calls), counts
    clear = sum(1 for s in calls if not s.data["expert"]["disqualifiers"])
    assert clear >= 0.30 * len(calls)


def test_red_herrings_appear_in_clear_calls():
    calls = thousand()
    clear = [s for s in calls if not s.data["expert"]["disqualifiers"]]
    assert sum(1 for s in clear if s.facts["weapon"] == "out_of_reach") >= 0.05 * len(clear)
    assert sum(1 for s in clear if s.facts["threat"] == "past") >= 0.05 * len(clear)
    assert sum(1 for s in clear if s.facts["crime"] == "minor") >= 0.03 * len(clear)


def test_templates_cover_most_call_types():
    templates = load_templates()
    assert len(templates) >= 14
    initial = {t.call_type for t in templates}
    eligible = {c for c, ct in PROTOCOL.call_types.items() if ct.eligible}
    assert len(initial & eligible) >= 12
    assert {GROUP[c] for c in initial} >= {"violent", "medical_emergency", "conflict"}
    for path in TEMPLATE_DIR.glob("*.yaml"):
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["template"] == 1


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_scenarios_other_seed_different():
    first = generate(40, 99)
    again = generate(40, 99)
    assert [s.yaml_text for s in first] == [s.yaml_text for s in again]
    other = generate(40, 100)
    assert [s.yaml_text for s in other] != [s.yaml_text for s in first]
    assert len({s.id for s in first}) == 40


def test_a_longer_run_starts_with_the_shorter_one():
    assert [s.yaml_text for s in generate(10, 5)] == [s.yaml_text for s in generate(25, 5)[:10]]


# --------------------------------------------------------------------------- twins


def test_twins_share_facts_and_key_and_differ_in_identity():
    pairs = generate(60, 8, twins=True)
    assert len(pairs) == 120
    for a, b in zip(pairs[::2], pairs[1::2], strict=True):
        assert a.id.endswith("-a") and b.id.endswith("-b") and a.id[:-2] == b.id[:-2]
        group = f"twin:{a.id[:-2]}"
        assert group in a.data["tags"] and group in b.data["tags"]
        assert "twin-variant:a" in a.data["tags"] and "twin-variant:b" in b.data["tags"]
        assert a.data["expert"] == b.data["expert"]
        assert a.data["title"] == b.data["title"]
        assert a.data["call"]["time"] == b.data["call"]["time"]
        assert a.data["call"]["initial_call_type"] == b.data["call"]["initial_call_type"]
        assert {k: v for k, v in a.facts.items() if k != "identity"} == {
            k: v for k, v in b.facts.items() if k != "identity"
        }
        assert a.facts["identity"] != b.facts["identity"]
        callback_a = next(e for e in a.data["call"]["exchanges"] if e.get("ask") == "callback")
        callback_b = next(e for e in b.data["call"]["exchanges"] if e.get("ask") == "callback")
        assert callback_a["answer"] != callback_b["answer"]  # the caller's name differs
        # Same questions in the same order, and a same-length story.
        asked_a = [e.get("ask") or e.get("id") for e in a.data["call"]["exchanges"]]
        asked_b = [e.get("ask") or e.get("id") for e in b.data["call"]["exchanges"]]
        assert asked_a == asked_b
        validate(a), validate(b)


def test_twin_a_is_the_call_generated_without_twins():
    plain = generate(10, 4)
    twins = generate(10, 4, twins=True)
    for single, twin in zip(plain, twins[::2], strict=True):
        assert single.data["call"] == twin.data["call"]
        assert single.data["expert"] == twin.data["expert"]


# --------------------------------------------------------------------------- mix


def test_default_mix_has_more_conflict_than_behavioural_health():
    assert DEFAULT_MIX["conflict"] > DEFAULT_MIX["behavioral_health"]
    groups = collections.Counter(GROUP[s.data["call"]["initial_call_type"]] for s in thousand())
    assert groups["conflict"] > groups["behavioral_health"]


def test_mix_of_one_call_type_draws_only_that_type():
    calls = generate(30, 1, mix={"NOISE_COMPLAINT": 1})
    assert {s.data["call"]["initial_call_type"] for s in calls} == {"NOISE_COMPLAINT"}
    calls = generate(60, 1, mix={"behavioral_health": 1})
    assert {GROUP[s.data["call"]["initial_call_type"]] for s in calls} == {"behavioral_health"}


def test_mix_file(tmp_path):
    path = tmp_path / "mix.yaml"
    path.write_text("welfare: 1\nNEEDLE_PICKUP: 3\n", encoding="utf-8")
    calls = generate(80, 2, mix=path)
    types = collections.Counter(s.data["call"]["initial_call_type"] for s in calls)
    assert set(types) <= {c for c, g in GROUP.items() if g == "welfare"}
    assert types["NEEDLE_PICKUP"] > 30


@pytest.mark.parametrize(
    "mix",
    [{"bogus": 1}, {"conflict": -1}, {"conflict": "many"}, {}, {"conflict": 0}, {"FIRE": 1}],
)
def test_bad_mix_is_a_user_error(mix):
    with pytest.raises(MixError):
        generate(5, 1, mix=mix)


@pytest.mark.parametrize("count", [0, -3, 100_001, True, 2.5])
def test_bad_count_is_a_user_error(count):
    with pytest.raises(UserError):
        generate(count, 1)


# --------------------------------------------------------------------------- speech text


def test_spoken_text_is_friendly_to_a_speech_voice():
    for scenario in thousand()[:400]:
        for text in spoken(scenario):
            assert not re.search(r"\d", text), text  # numbers are written out
            assert not re.search(r"\b(St|Ave|Apt|Rd|Blvd|Dr)\.", text), text
            assert "{" not in text and "}" not in text, text
            assert "  " not in text and text == text.strip()
            assert text[0].isupper() or text[0] in "'\"¿¡", text
        call = scenario.data["call"]
        assert "{" not in call["location"] and not re.search(r"\b(St|Ave|Apt)\.", call["location"])


def test_time_and_channel_are_quoted_in_the_file():
    text = thousand()[0].yaml_text
    assert re.search(r'^  channel: "[^"]+"$', text, re.M)
    assert re.search(r'^  time: "\d\d:\d\d"$', text, re.M)
