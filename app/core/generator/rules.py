"""The expert key of a synthetic call, derived from its facts by rules.

No key is ever written per phrasing variant: :func:`derive_key` looks only at the
:class:`~.facts.Facts`, the final call type and a few template settings, so two calls
with the same facts (counterfactual twins, say) always get the same key.

Routing rules (our reading of the four-disqualifier screening in the CAP fact sheet
and the program rules in the domain notes):

- disqualifiers: ``weapon`` if one is in hand or in reach (not one locked away),
  ``threat`` if a credible threat exists now (not one made last month), ``medical`` if
  the need is an emergency, ``police_only`` if someone must go in without consent or
  crime-scene evidence must be secured. A crime by itself adds nothing.
- danger to an unarmed team (a weapon, or a threat to others): police go; a tandem
  team with police is acceptable on an eligible call with no medical emergency.
- an emergency medical need without such danger: EMS; a tandem team with EMS is
  acceptable on an eligible call when nothing else needs police.
- a threat only to the person themself (no weapon) on a behavioural-health call: a
  tandem team with police, police acceptable; otherwise police.
- a police-only need alone: police; a tandem team with police acceptable when eligible.
- no disqualifier on an eligible call: community responders (or the model's own route
  for behavioural-health calls and hotline forwarding); with no team free, a fallback
  per call type.

Unsafe routes are only those that are genuinely unsafe, not merely wrong: community
responders alone whenever a disqualifier exists; anything that sends unarmed people in
alone (responders with EMS, EMS) where there is danger to them; and any route that ends
the call without an in-person response (phone, hotline, clinician, 988) while a weapon,
a threat or a medical emergency is live. Over-routing to police is graded as an error
(``over_routed``), not listed as unsafe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.core.generator.facts import Facts

DISQUALIFIER_ORDER = ("weapon", "threat", "medical", "police_only")
CR = "community_responder"
CR_POLICE = "community_responder_with_police"
CR_EMS = "community_responder_with_ems"
NO_IN_PERSON = ("phone_resolution", "external_hotline", "embedded_professional", "transfer_988")
POLICE_ROUTES = frozenset({"police", CR_POLICE})

# Where an eligible call goes when no community responder team is free.
FALLBACK: dict[str, tuple[str, tuple[str, ...]]] = {
    "NOISE_COMPLAINT": ("phone_resolution", ("police",)),
    "NEIGHBOR_DISPUTE": ("phone_resolution", ("police",)),
    "PANHANDLING": ("phone_resolution", ("police",)),
    "TRESPASS": ("police", ("phone_resolution",)),
    "DISTURBANCE": ("police", ()),
    "SUSPICIOUS_PERSON": ("police", ("phone_resolution",)),
    "JUVENILE_PROBLEM": ("police", ("phone_resolution",)),
    "MENTAL_HEALTH": ("transfer_988", ()),
    "SUICIDAL_IDEATION": ("transfer_988", ()),
    "INTOXICATED_PERSON": ("ems", ("police",)),
    "WELFARE_CHECK": ("police", ()),
    "UNHOUSED_PERSON": ("phone_resolution", ("police",)),
    "NEEDLE_PICKUP": ("phone_resolution", ()),
    "LIFT_ASSIST": ("ems", ()),
    "LOW_ACUITY_MEDICAL": ("ems", ("phone_resolution",)),
}
DEFAULT_FALLBACK = ("police", ())

DISPOSITION_WORDS = {
    CR: "community responders",
    CR_POLICE: "community responders together with police",
    CR_EMS: "community responders together with EMS",
    "police": "police",
    "ems": "EMS",
    "embedded_professional": "the embedded clinician",
    "external_hotline": "the community hotline",
    "transfer_988": "988",
    "phone_resolution": "settling it on the phone",
}


@dataclass(frozen=True)
class CallSetting:
    """What the key needs to know besides the facts."""

    call_type: str  # the final (correct) call type code
    eligible: bool
    group: str  # call-type group (conflict, behavioral_health, welfare, violent, ...)
    priority: int = 3  # priority when nothing is disqualifying
    also_acceptable: tuple[str, ...] = ()  # extra acceptable routes on a clear call
    fallback: tuple[str, tuple[str, ...]] | None = None  # no team free: (best, acceptable)
    required_extra: tuple[str, ...] = ()  # questions always required here (e.g. suicide)
    hotline: bool = True  # the outside hotline takes this kind of call
    notes: Mapping[str, str] = field(default_factory=dict)  # words for the rationale


def disqualifiers_for(facts: Facts) -> list[str]:
    """The disqualifiers the facts establish, in the canonical order."""
    found = []
    if facts.weapon in ("in_hand", "in_reach"):
        found.append("weapon")
    if facts.threat == "current":
        found.append("threat")
    if facts.medical == "emergency":
        found.append("medical")
    if facts.entry == "without_consent" or facts.evidence:
        found.append("police_only")
    return found


def evidence_for(facts: Facts, disqualifiers: Sequence[str]) -> dict[str, str]:
    """Disqualifier -> the exchange (question id) whose answer reveals it."""
    where = {"weapon": "weapons", "threat": "threats", "medical": "medical"}
    evidence = {}
    for code in disqualifiers:
        if code == "police_only":
            evidence[code] = "entry" if facts.entry == "without_consent" else "evidence"
        else:
            evidence[code] = where[code]
    return evidence


def required_questions_for(facts: Facts, setting: CallSetting) -> list[str]:
    """The screening questions that reveal this call's facts."""
    questions = ["weapons", "threats", "medical"]
    if facts.entry_relevant or facts.entry != "not_needed":
        questions.append("entry")
    if facts.evidence_relevant or facts.evidence:
        questions.append("evidence")
    for extra in setting.required_extra:
        if extra not in questions:
            questions.append(extra)
    return questions


def _routes(facts: Facts, setting: CallSetting, disq: Sequence[str]) -> tuple[str, list[str]]:
    eligible = setting.eligible
    weapon, threat = "weapon" in disq, "threat" in disq
    medical, police_only = "medical" in disq, "police_only" in disq
    danger = weapon or (threat and facts.threat_target == "others")
    if danger:
        return "police", ([CR_POLICE] if eligible and not medical else [])
    if medical:
        if threat or police_only:
            return "ems", ["police"]
        return "ems", ([CR_EMS] if eligible else [])
    if threat:  # a threat to the person themself, no weapon
        if eligible and setting.group == "behavioral_health":
            return CR_POLICE, ["police"]
        return "police", ([CR_POLICE] if eligible else [])
    if police_only:
        return "police", ([CR_POLICE] if eligible else [])
    if not eligible:
        return ("ems", []) if setting.group == "medical_emergency" else ("police", [])
    if not facts.responders_available:
        best, acceptable = setting.fallback or FALLBACK.get(setting.call_type, DEFAULT_FALLBACK)
        return best, [a for a in acceptable if a != best]
    return CR, [a for a in setting.also_acceptable if a != CR]


def _unsafe(facts: Facts, disq: Sequence[str], best: str, acceptable: Sequence[str]) -> list[str]:
    if not disq:
        return []
    unsafe = [CR]
    weapon, threat, medical = "weapon" in disq, "threat" in disq, "medical" in disq
    if weapon or (threat and facts.threat_target == "others"):
        unsafe += [CR_EMS, "ems"]
    if weapon or threat or medical:
        unsafe += list(NO_IN_PERSON)
    return [u for u in unsafe if u != best and u not in acceptable]


def _by_model(facts: Facts, setting: CallSetting, disq: Sequence[str]) -> dict:
    """Routes that replace the default ones under the two transfer models (clear calls only)."""
    if disq or not setting.eligible:
        return {}
    by_model: dict[str, dict] = {}
    behavioural = setting.group == "behavioral_health"
    if not facts.responders_available:
        fallback_best, fallback_acc = setting.fallback or FALLBACK.get(
            setting.call_type, DEFAULT_FALLBACK
        )
    if behavioural:
        acceptable = [CR] if facts.responders_available else [fallback_best]
        by_model["embedded_professional"] = {
            "disposition": "embedded_professional",
            "acceptable": acceptable,
        }
    if not setting.hotline:
        return by_model
    if facts.hotline_open is False:
        if facts.responders_available:
            best, acc = setting.fallback or FALLBACK.get(setting.call_type, DEFAULT_FALLBACK)
            by_model["external_hotline"] = {
                "disposition": best,
                "acceptable": [a for a in acc if a != best],
            }
    elif facts.responders_available:
        by_model["external_hotline"] = {"disposition": "external_hotline", "acceptable": [CR]}
    elif behavioural:
        by_model["external_hotline"] = {
            "disposition": "external_hotline",
            "acceptable": [fallback_best],
        }
    return by_model


def priority_for(disq: Sequence[str], setting: CallSetting) -> int:
    if any(code in disq for code in ("weapon", "threat", "medical")):
        return 1
    if disq:
        return 2
    return setting.priority


def time_target_for(priority: int, group: str) -> int:
    if priority == 1:
        return 60
    return 120 if group == "behavioral_health" else 90


def rationale_for(
    facts: Facts, setting: CallSetting, disq: Sequence[str], best: str, by_model: Mapping
) -> str:
    """Plain sentences naming the facts the key rests on."""
    notes = setting.notes
    item = notes.get("weapon", "a weapon")
    said: list[str] = []
    if facts.weapon == "in_hand":
        said.append(f"The person has {item} in hand: a weapon.")
    elif facts.weapon == "in_reach":
        said.append(f"There is {item} within reach: a weapon.")
    elif facts.weapon == "out_of_reach":
        said.append(f"The only possible weapon is {item}, out of reach, which does not disqualify.")
    else:
        said.append("No weapon is present.")
    if facts.threat == "current":
        target = "the person's own life" if facts.threat_target == "self" else "others"
        said.append(f"There is a credible threat to {target} right now.")
    elif facts.threat == "past":
        when = notes.get("threat_when", "some time ago")
        said.append(f"The only threat was made {when}, not now, so it is not a current one.")
    else:
        said.append("Nobody is being threatened.")
    if facts.medical == "emergency":
        said.append("There is an emergency medical need.")
    elif facts.medical == "low":
        said.append("The medical need is minor, not an emergency.")
    else:
        said.append("There is no medical need.")
    if facts.entry == "without_consent":
        said.append("Reaching the person means going inside without consent, a police-only need.")
    elif facts.entry == "with_consent":
        said.append("Anyone going inside would have consent, so entry is not a police-only need.")
    if facts.evidence:
        said.append("There is crime-scene evidence to secure, which only police may do.")
    if facts.crime == "serious":
        said.append("A serious crime is in progress.")
    if facts.crime == "minor":
        crime = notes.get("crime", "a minor offence")
        said.append(f"A crime ({crime}) does not by itself disqualify the call.")
    if facts.substances in ("alcohol", "drugs") and "medical" not in disq:
        said.append("Drinking or drug use alone is not a disqualifier.")
    if not disq and setting.eligible:
        if not facts.responders_available:
            said.append(
                f"No community responder team is free, so the best route is "
                f"{DISPOSITION_WORDS[best]}."
            )
        else:
            said.append("With no disqualifier, this is a call for community responders.")
    elif disq:
        names = ", ".join(disq)
        said.append(f"Disqualified ({names}): the best route is {DISPOSITION_WORDS[best]}.")
    else:
        said.append(f"The call type is not eligible, so it goes to {DISPOSITION_WORDS[best]}.")
    if facts.hotline_open is False and "external_hotline" in by_model:
        said.append("The outside hotline is closed for this call.")
    return " ".join(said)


def derive_key(facts: Facts, setting: CallSetting) -> dict:
    """The ``expert`` mapping of a scenario (spec section 3) from the facts alone."""
    disq = disqualifiers_for(facts)
    best, acceptable = _routes(facts, setting, disq)
    unsafe = _unsafe(facts, disq, best, acceptable)
    by_model = _by_model(facts, setting, disq)
    priority = priority_for(disq, setting)
    expert: dict = {
        "disqualifiers": disq,
        "call_type": setting.call_type,
        "priority": priority,
        "disposition": best,
        "acceptable": acceptable,
        "unsafe": unsafe,
        "required_questions": required_questions_for(facts, setting),
        "time_target_seconds": time_target_for(priority, setting.group),
        "evidence": evidence_for(facts, disq),
        "rationale": rationale_for(facts, setting, disq, best, by_model),
    }
    if by_model:
        expert["by_model"] = by_model
    return expert


def expert_answer(expert: Mapping, model: str = "call_center_led") -> dict:
    """The answer an expert gives under ``model`` (used for the scenario's checks)."""
    entry = (expert.get("by_model") or {}).get(model, {})
    return {
        "questions": list(expert["required_questions"]),
        "disqualifiers": list(expert["disqualifiers"]),
        "call_type": expert["call_type"],
        "priority": expert["priority"],
        "disposition": entry.get("disposition", expert["disposition"]),
    }
