"""The expert key is derived from the facts by rule: properties over all facts.

The rules are the keying policy's (``content/keying-policy.md``) under grading rules 2.
"""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from app.core.generator.facts import FACT_VALUES, Facts, signs_of_violence
from app.core.generator.rules import (
    CR,
    CR_EMS,
    CR_POLICE,
    POLICE_EMS,
    CallSetting,
    derive_key,
    disqualifiers_for,
)
from app.core.protocol import (
    CHANNELS,
    DISPOSITIONS,
    POLICE_DISPOSITIONS,
    POLICE_LED_DISPOSITIONS,
    demands_of,
    load_protocol,
    unmet_demands,
)

PROTOCOL = load_protocol()
SETTING_CODES = sorted(PROTOCOL.call_types)
# Words a rationale uses to name each disqualifier (keying policy rule 11).
PLAIN_WORDS = {
    "weapon": "weapon",
    "threat": "threat",
    "medical": "medical",
    "police_only": "police-only",
}
# What a rationale may never say: that something is absent (it only reports what the
# caller said, so an "I don't know" is never turned into "there is none").
ABSENCE_CLAIMS = re.compile(
    r"there is no|there's no|no (medical|weapon|threat)|nobody is (hurt|being threatened)"
    r"|no one is hurt",
    re.I,
)

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
    channel=st.sampled_from(CHANNELS),
    entry_relevant=st.booleans(),
    evidence_relevant=st.booleans(),
    violence=st.booleans(),
)


@st.composite
def settings_st(draw, eligible_only: bool = False):
    codes = [c for c in SETTING_CODES if PROTOCOL.call_types[c].eligible or not eligible_only]
    code = draw(st.sampled_from(codes))
    call_type = PROTOCOL.call_types[code]
    return CallSetting(
        call_type=code,
        eligible=call_type.eligible,
        group=call_type.group,
        priority=draw(st.integers(1, 4)),
        also_acceptable=tuple(
            draw(
                st.lists(
                    st.sampled_from(("phone_resolution", CR_EMS, "ems", CR_POLICE)), unique=True
                )
            )
        ),
        hotline=draw(st.booleans()),
        crisis=draw(st.booleans()),
    )


def routes(key: dict) -> set[str]:
    """Best and acceptable routes under every model."""
    found = {key["disposition"], *key["acceptable"]}
    for entry in (key.get("by_model") or {}).values():
        found |= {entry["disposition"], *entry["acceptable"]}
    return found


def without_rationale(key: dict) -> dict:
    return {k: v for k, v in key.items() if k != "rationale"}


# --------------------------------------------------------------------------- disqualifiers


@given(facts_st, settings_st(), st.sampled_from(("in_hand", "in_reach", "used")))
def test_weapon_in_hand_in_use_or_in_reach_always_disqualifies(facts, setting, state):
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
    assert without_rationale(plain) == without_rationale(key)
    assert "out of reach" in key["rationale"] and "not now" in key["rationale"]


@given(facts_st, settings_st())
def test_an_everyday_object_carried_for_its_use_is_not_a_weapon(facts, setting):
    """Policy rule 7: a hammer on a tool belt or a bat lying nearby changes nothing."""
    carried = derive_key(replace(facts, weapon="carried"), setting)
    absent = derive_key(replace(facts, weapon="absent"), setting)
    assert "weapon" not in carried["disqualifiers"]
    assert without_rationale(carried) == without_rationale(absent)
    assert "not a weapon" in carried["rationale"]
    assert "weapons" in carried["required_questions"]


def test_an_everyday_object_held_threateningly_is_a_weapon():
    setting = CallSetting("NEIGHBOR_DISPUTE", True, "conflict", notes={"weapon": "a hammer"})
    held = derive_key(
        Facts(weapon="in_hand"),
        replace(setting, notes={"weapon": "a hammer", "weapon_everyday": "yes"}),
    )
    assert held["disqualifiers"] == ["weapon"]
    assert "threatening way" in held["rationale"]
    carried = derive_key(Facts(weapon="carried"), setting)
    assert carried["disqualifiers"] == [] and carried["disposition"] == CR


@given(facts_st, settings_st())
def test_a_minor_crime_changes_nothing_but_the_rationale(facts, setting):
    clean = derive_key(replace(facts, crime="none"), setting)
    crime = derive_key(replace(facts, crime="minor"), setting)
    assert without_rationale(clean) == without_rationale(crime)


@given(facts_st, settings_st(), st.sampled_from(("weapon", "threat", "medical")))
def test_an_unknown_counts_only_while_signs_of_violence_are_under_way(facts, setting, fact):
    """Policy rule 2: "I don't know" with violence under way is present; otherwise it is not
    marked, its question stays required, and the rationale says nothing shows it."""
    code = {"weapon": "weapon", "threat": "threat", "medical": "medical"}[fact]
    question = {"weapon": "weapons", "threat": "threats", "medical": "medical"}[fact]
    facts = replace(facts, **{fact: "unknown"})
    key = derive_key(facts, setting)
    assert question in key["required_questions"]
    if signs_of_violence(facts):
        assert code in key["disqualifiers"]
        assert key["evidence"][code] == question
    else:
        assert code not in key["disqualifiers"]
        assert "nothing the caller said shows" in key["rationale"]
        assert f"the {question} question must be asked" in key["rationale"]


def test_unknowns_without_violence_and_with_violence():
    setting = CallSetting("WELFARE_CHECK", True, "welfare", crisis=True)
    quiet = derive_key(Facts(weapon="unknown", threat="unknown", medical="unknown"), setting)
    assert quiet["disqualifiers"] == [] and quiet["disposition"] == CR
    screaming = Facts(weapon="unknown", threat="unknown", medical="unknown", violence=True)
    dv = CallSetting("DOMESTIC_VIOLENCE", False, "violent")
    key = derive_key(screaming, dv)
    assert key["disqualifiers"] == ["weapon", "threat", "medical"]
    assert key["disposition"] == POLICE_EMS and key["priority"] == 1


@given(facts_st, settings_st())
def test_a_rationale_never_claims_something_is_absent(facts, setting):
    """The rationale reports what the caller said; it never turns an answer into "there is no
    medical need" (an "I don't know" is not a no)."""
    key = derive_key(facts, setting)
    assert not ABSENCE_CLAIMS.search(key["rationale"]), key["rationale"]


# --------------------------------------------------------------------------- the whole key


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


@given(facts_st, settings_st())
def test_every_route_meets_every_demand_and_unsafe_lists_the_rest(facts, setting):
    """Rules 2: best and every acceptable route (also per model) meet what each disqualifier
    demands; ``unsafe`` holds exactly the routes that miss a demand."""
    key = derive_key(facts, setting)
    disq = key["disqualifiers"]
    for route in routes(key):
        assert unmet_demands(route, disq) == [], (route, disq)
    missing = {r for r in DISPOSITIONS if unmet_demands(r, disq)}
    assert set(key["unsafe"]) == missing
    if "medical" in disq and demands_of(disq) == {"police", "ems"}:
        assert key["disposition"] == POLICE_EMS and key["acceptable"] == []


@given(facts_st, settings_st(eligible_only=True))
def test_police_go_only_where_a_disqualifier_demands_them(facts, setting):
    """No police-led route anywhere, and no police at all as the best route, unless the key
    has a disqualifier that demands police (a closed hotline or a busy team is no reason)."""
    key = derive_key(facts, setting)
    if "police" in demands_of(key["disqualifiers"]):
        return
    assert not routes(key) & POLICE_LED_DISPOSITIONS
    assert key["disposition"] not in POLICE_DISPOSITIONS
    for entry in (key.get("by_model") or {}).values():
        assert entry["disposition"] not in POLICE_DISPOSITIONS


@given(facts_st, settings_st())
def test_priority_follows_the_scale(facts, setting):
    key = derive_key(facts, setting)
    disq = key["disqualifiers"]
    violence = facts.violence or facts.weapon == "used"
    if "medical" in disq or (disq and violence):
        assert key["priority"] == 1 and key["time_target_seconds"] == 60
    elif disq:
        assert key["priority"] == 2
    else:
        assert key["priority"] in (2, 3, 4)  # a clear call is never "life at risk now"


@given(facts_st, settings_st())
def test_address_and_callback_are_required_on_911_and_non_emergency_calls(facts, setting):
    key = derive_key(facts, setting)
    required = key["required_questions"]
    if facts.channel in ("911", "non_emergency"):
        assert required[:2] == ["address", "callback"]
    else:
        assert "address" not in required and "callback" not in required


@given(facts_st, settings_st())
def test_the_rationale_names_each_disqualifier_in_plain_words(facts, setting):
    key = derive_key(facts, setting)
    for code in key["disqualifiers"]:
        assert PLAIN_WORDS[code] in key["rationale"].lower(), (code, key["rationale"])


# --------------------------------------------------------------------------- routes


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


@given(facts_st, settings_st(), st.sampled_from(("in_hand", "in_reach", "current_threat")))
def test_weapon_or_threat_for_a_person_in_crisis_is_a_tandem_call(facts, setting, what):
    """Policy rule 1: no violence under way, a person the team helps: tandem best, police
    acceptable."""
    facts = replace(facts, medical="none", violence=False, responders_available=True)
    if what == "current_threat":
        facts = replace(facts, threat="current", weapon="absent")
    else:
        facts = replace(facts, weapon=what, threat="none")
    setting = replace(setting, crisis=True)
    key = derive_key(facts, setting)
    if setting.eligible:
        assert key["disposition"] == CR_POLICE and key["acceptable"] == ["police"]
    else:
        assert key["disposition"] == "police"
    assert key["priority"] == 2


@given(facts_st, settings_st())
def test_violence_under_way_sends_police_with_no_tandem(facts, setting):
    """Policy rule 1: a weapon used on someone: police (police with EMS when someone is hurt),
    priority 1, and no tandem route is acceptable."""
    key = derive_key(replace(facts, weapon="used"), setting)
    assert key["disposition"] in ("police", POLICE_EMS)
    assert CR_POLICE not in routes(key) and CR_EMS not in routes(key)
    assert key["priority"] == 1
    assert (key["disposition"] == POLICE_EMS) == ("medical" in key["disqualifiers"])


@given(facts_st, settings_st(), st.sampled_from(("weapon", "threat", "police_only")))
def test_medical_with_a_police_need_goes_to_police_with_ems(facts, setting, other):
    facts = replace(facts, medical="emergency")
    if other == "weapon":
        facts = replace(facts, weapon="in_hand")
    elif other == "threat":
        facts = replace(facts, threat="current")
    else:
        facts = replace(facts, entry="without_consent")
    key = derive_key(facts, setting)
    assert key["disposition"] == POLICE_EMS and key["acceptable"] == []
    assert key["priority"] == 1


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
    want = [CR_EMS] if setting.crisis and facts.responders_available else []
    assert key["acceptable"] == want
    assert key["priority"] == 1
    assert {"police", CR_POLICE, CR} <= set(key["unsafe"])  # they bring no EMS


@given(facts_st, settings_st())
def test_police_only_need_goes_to_police_and_is_revealed_by_its_question(facts, setting):
    facts = replace(
        facts,
        weapon="absent",
        threat="none",
        medical="none",
        entry="without_consent",
        violence=False,
    )
    key = derive_key(facts, setting)
    assert key["disqualifiers"] == ["police_only"]
    assert key["disposition"] == "police"
    assert key["evidence"]["police_only"] == "entry"
    assert set(key["acceptable"]) <= {CR_POLICE}
    assert "police-only" in key["rationale"]


def test_a_self_threat_on_a_behavioural_health_call_is_a_tandem_call():
    setting = CallSetting("SUICIDAL_IDEATION", True, "behavioral_health", crisis=True)
    key = derive_key(Facts(threat="current", threat_target="self"), setting)
    assert key["disposition"] == CR_POLICE
    assert key["acceptable"] == ["police"]
    # policy rule 3: with the means a weapon, both; already hurt, police with EMS
    armed = derive_key(Facts(threat="current", threat_target="self", weapon="in_hand"), setting)
    assert armed["disqualifiers"] == ["weapon", "threat"] and armed["disposition"] == CR_POLICE
    hurt = derive_key(
        Facts(threat="current", threat_target="self", weapon="in_hand", medical="emergency"),
        setting,
    )
    assert hurt["disposition"] == POLICE_EMS and hurt["priority"] == 1


def test_a_fight_that_has_stopped_accepts_the_team_with_police():
    setting = CallSetting("DISTURBANCE", True, "conflict", also_acceptable=(CR_POLICE,))
    key = derive_key(Facts(substances="alcohol"), setting)
    assert key["disposition"] == CR and key["acceptable"] == [CR_POLICE]
    assert "police alone" in key["rationale"]


# --------------------------------------------------------------------------- models


def test_behavioural_health_routes_per_dispatch_model():
    setting = CallSetting("MENTAL_HEALTH", True, "behavioral_health", crisis=True)
    key = derive_key(Facts(), setting)
    assert key["by_model"]["embedded_professional"]["disposition"] == "embedded_professional"
    assert key["by_model"]["external_hotline"]["disposition"] == "external_hotline"
    closed = derive_key(Facts(hotline_open=False), setting)
    assert closed["by_model"]["external_hotline"] == {
        "disposition": CR,
        "acceptable": ["transfer_988"],
    }


@given(facts_st, settings_st())
def test_a_closed_hotline_is_never_a_reason_to_send_police(facts, setting):
    """Policy rule 6: closing the hotline adds no police route anywhere in the key, and with
    a team free the hotline model sends the team through 911 (988 for a crisis call)."""
    closed = derive_key(replace(facts, hotline_open=False), setting)
    open_ = derive_key(replace(facts, hotline_open=None), setting)
    assert routes(closed) & POLICE_DISPOSITIONS <= routes(open_) & POLICE_DISPOSITIONS
    entry = (closed.get("by_model") or {}).get("external_hotline")
    if entry is not None:
        assert entry["disposition"] == CR
        assert not set(entry["acceptable"]) & POLICE_LED_DISPOSITIONS
        if setting.call_type in ("MENTAL_HEALTH", "SUICIDAL_IDEATION"):
            assert "transfer_988" in entry["acceptable"]
        assert "never a reason to send police" in closed["rationale"]
    elif not closed["disqualifiers"] and setting.eligible and setting.hotline:
        assert not facts.responders_available  # then the no-team routes apply everywhere


@given(facts_st, settings_st(eligible_only=True))
def test_a_closed_hotline_sends_the_team_through_911_on_a_clear_call(facts, setting):
    facts = replace(
        facts,
        weapon="absent",
        threat="none",
        medical="none",
        entry="not_needed",
        evidence=False,
        responders_available=True,
        hotline_open=False,
    )
    key = derive_key(facts, replace(setting, hotline=True))
    entry = key["by_model"]["external_hotline"]
    assert entry["disposition"] == CR
    assert not set(entry["acceptable"]) & POLICE_LED_DISPOSITIONS
    assert ("transfer_988" in entry["acceptable"]) == (
        setting.call_type in ("MENTAL_HEALTH", "SUICIDAL_IDEATION")
        or "transfer_988" in setting.also_acceptable
    )


def test_no_team_free_falls_back_to_a_sensible_route():
    noise = CallSetting("NOISE_COMPLAINT", True, "conflict")
    assert derive_key(Facts(responders_available=False), noise)["disposition"] == (
        "phone_resolution"
    )
    suicidal = CallSetting("SUICIDAL_IDEATION", True, "behavioral_health")
    assert derive_key(Facts(responders_available=False), suicidal)["disposition"] == (
        "transfer_988"
    )
    welfare = derive_key(
        Facts(responders_available=False), CallSetting("WELFARE_CHECK", True, "welfare")
    )
    assert welfare["disposition"] == CR  # waits for the next team; nothing needs police
