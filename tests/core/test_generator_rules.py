"""The expert key is derived from the facts by rule: properties over all facts."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from app.core.generator.facts import FACT_VALUES, Facts
from app.core.generator.rules import (
    CR,
    CR_EMS,
    CR_POLICE,
    CallSetting,
    derive_key,
    disqualifiers_for,
)
from app.core.protocol import DISPOSITIONS, load_protocol

PROTOCOL = load_protocol()
SETTING_CODES = sorted(PROTOCOL.call_types)

facts_st = st.builds(
    Facts,
    weapon=st.sampled_from(FACT_VALUES["weapon"]),
    threat=st.sampled_from(FACT_VALUES["threat"]),
    threat_target=st.sampled_from(("others", "self")),
    medical=st.sampled_from(FACT_VALUES["medical"]),
    entry=st.sampled_from(FACT_VALUES["entry"]),
    evidence=st.booleans(),
    crime=st.sampled_from(FACT_VALUES["crime"]),
    substances=st.sampled_from(FACT_VALUES["substances"]),
    responders_available=st.booleans(),
    hotline_open=st.sampled_from((None, False)),
    entry_relevant=st.booleans(),
    evidence_relevant=st.booleans(),
)


@st.composite
def settings_st(draw):
    code = draw(st.sampled_from(SETTING_CODES))
    call_type = PROTOCOL.call_types[code]
    return CallSetting(
        call_type=code,
        eligible=call_type.eligible,
        group=call_type.group,
        priority=draw(st.integers(1, 4)),
        also_acceptable=tuple(
            draw(st.lists(st.sampled_from(("phone_resolution", CR_EMS, "ems")), unique=True))
        ),
        hotline=draw(st.booleans()),
    )


def routes(key: dict) -> set[str]:
    """Best and acceptable routes under every model."""
    found = {key["disposition"], *key["acceptable"]}
    for entry in (key.get("by_model") or {}).values():
        found |= {entry["disposition"], *entry["acceptable"]}
    return found


@given(facts_st, settings_st(), st.sampled_from(("in_hand", "in_reach")))
def test_weapon_in_hand_or_reach_always_disqualifies(facts, setting, state):
    key = derive_key(replace(facts, weapon=state), setting)
    assert "weapon" in key["disqualifiers"]
    assert CR not in routes(key)
    assert CR in key["unsafe"]
    assert key["evidence"]["weapon"] == "weapons"


@given(facts_st, settings_st())
def test_current_credible_threat_always_disqualifies(facts, setting):
    key = derive_key(replace(facts, threat="current"), setting)
    assert "threat" in key["disqualifiers"]
    assert CR not in routes(key)
    assert key["evidence"]["threat"] == "threats"


@given(facts_st, settings_st())
def test_past_threat_or_locked_away_object_never_disqualifies(facts, setting):
    key = derive_key(replace(facts, weapon="out_of_reach", threat="past"), setting)
    assert "weapon" not in key["disqualifiers"]
    assert "threat" not in key["disqualifiers"]
    plain = derive_key(replace(facts, weapon="absent", threat="none"), setting)
    assert {k: v for k, v in plain.items() if k != "rationale"} == {
        k: v for k, v in key.items() if k != "rationale"
    }
    assert "out of reach" in key["rationale"] and "not now" in key["rationale"]


@given(facts_st, settings_st())
def test_a_minor_crime_changes_nothing_but_the_rationale(facts, setting):
    clean = derive_key(replace(facts, crime="none"), setting)
    crime = derive_key(replace(facts, crime="minor"), setting)
    assert {k: v for k, v in clean.items() if k != "rationale"} == {
        k: v for k, v in crime.items() if k != "rationale"
    }


@given(facts_st, settings_st())
def test_key_is_consistent(facts, setting):
    key = derive_key(facts, setting)
    disq = key["disqualifiers"]
    assert disq == disqualifiers_for(facts)
    assert {key["disposition"], *key["acceptable"], *key["unsafe"]} <= set(DISPOSITIONS)
    assert key["disposition"] not in key["unsafe"]
    assert not set(key["acceptable"]) & set(key["unsafe"])
    assert key["disposition"] not in key["acceptable"]
    assert set(key["evidence"]) == set(disq)
    assert set(key["evidence"].values()) <= set(key["required_questions"])
    assert {"weapons", "threats", "medical"} <= set(key["required_questions"])
    assert key["call_type"] == setting.call_type
    # the two model-specific routes are never the default best route
    assert key["disposition"] not in ("embedded_professional", "external_hotline")
    if disq:
        assert CR in key["unsafe"] and CR not in routes(key)
        assert "by_model" not in key
        assert key["priority"] <= 2
    for model, entry in (key.get("by_model") or {}).items():
        assert entry["disposition"] not in key["unsafe"]
        if entry["disposition"] in ("embedded_professional", "external_hotline"):
            assert entry["disposition"] == model
    for word in disq:
        assert word in key["rationale"]


@given(facts_st, settings_st())
def test_clear_eligible_call_with_a_team_free_goes_to_community_responders(facts, setting):
    facts = replace(
        facts,
        weapon="absent",
        threat="none",
        medical="none",
        entry="not_needed",
        evidence=False,
        responders_available=True,
    )
    key = derive_key(facts, setting)
    assert key["disqualifiers"] == []
    if setting.eligible:
        assert key["disposition"] == CR
        assert key["unsafe"] == []
    else:
        assert key["disposition"] in ("police", "ems")


@given(facts_st, settings_st())
def test_danger_to_an_unarmed_team_makes_sending_any_alone_unsafe(facts, setting):
    key = derive_key(replace(facts, weapon="in_hand"), setting)
    assert key["disposition"] == "police"
    assert {CR, CR_EMS, "ems", "phone_resolution", "transfer_988"} <= set(key["unsafe"])


@given(facts_st, settings_st())
def test_medical_emergency_alone_goes_to_ems(facts, setting):
    facts = replace(
        facts,
        weapon="absent",
        threat="none",
        medical="emergency",
        entry="not_needed",
        evidence=False,
    )
    key = derive_key(facts, setting)
    assert key["disqualifiers"] == ["medical"]
    assert key["disposition"] == "ems"
    assert key["acceptable"] in ([CR_EMS], [])
    assert "police" not in key["unsafe"]


@given(facts_st, settings_st())
def test_police_only_need_goes_to_police_and_is_revealed_by_its_question(facts, setting):
    facts = replace(facts, weapon="absent", threat="none", medical="none", entry="without_consent")
    key = derive_key(facts, setting)
    assert key["disqualifiers"] == ["police_only"]
    assert key["disposition"] == "police"
    assert key["evidence"]["police_only"] == "entry"
    assert set(key["acceptable"]) <= {CR_POLICE}


def test_a_self_threat_on_a_behavioural_health_call_is_a_tandem_call():
    setting = CallSetting("SUICIDAL_IDEATION", True, "behavioral_health")
    key = derive_key(Facts(threat="current", threat_target="self"), setting)
    assert key["disposition"] == CR_POLICE
    assert key["acceptable"] == ["police"]


def test_behavioural_health_routes_per_dispatch_model():
    setting = CallSetting("MENTAL_HEALTH", True, "behavioral_health")
    key = derive_key(Facts(), setting)
    assert key["by_model"]["embedded_professional"]["disposition"] == "embedded_professional"
    assert key["by_model"]["external_hotline"]["disposition"] == "external_hotline"
    closed = derive_key(Facts(hotline_open=False), setting)
    assert closed["by_model"]["external_hotline"]["disposition"] != "external_hotline"


def test_no_team_free_falls_back_to_a_sensible_route():
    noise = CallSetting("NOISE_COMPLAINT", True, "conflict")
    assert derive_key(Facts(responders_available=False), noise)["disposition"] == (
        "phone_resolution"
    )
    suicidal = CallSetting("SUICIDAL_IDEATION", True, "behavioral_health")
    assert derive_key(Facts(responders_available=False), suicidal)["disposition"] == (
        "transfer_988"
    )
