"""The expert key of a synthetic call, derived from its facts by rules.

No key is ever written per phrasing variant: :func:`derive_key` looks only at the
:class:`~.facts.Facts`, the final call type and a few template settings, so two calls
with the same facts (counterfactual twins, say) always get the same key.

The rules follow the keying policy (``content/keying-policy.md``) and grading rules 2
(the scenario contract, revision 2):

- disqualifiers: ``weapon`` if one is in hand, in use or in reach (an everyday object
  carried for its purpose, or one locked away, is not one), ``threat`` if a credible
  threat exists now (not one made last month), ``medical`` if the need is an emergency,
  ``police_only`` if someone must go in without consent or crime-scene evidence must be
  secured. A crime by itself adds nothing. When the caller does not know, the unknown
  counts as present only while signs of violence are under way; otherwise it is not
  marked, and its question stays required.
- every route of a key (best and acceptable, also per dispatch model) meets what each
  disqualifier demands: police for ``weapon``, ``threat`` and ``police_only``, EMS for
  ``medical``; with both, only ``police_with_ems`` does.
- a weapon or threat with no violence under way, for a person the team exists to help
  (in crisis, suicidal, intoxicated, unhoused, confused): the team with police, police
  acceptable. Violence under way (a weapon used on someone): police, no tandem.
- an emergency medical need alone: EMS, the team with EMS acceptable when there is
  also a crisis or welfare need; the call type is never an eligible one.
- a police-only need alone: police; the team with police acceptable on an eligible call.
- no disqualifier on an eligible call: community responders (or the model's own route
  for behavioural-health calls and hotline forwarding); with no team free, a fallback
  per call type. A closed hotline sends the team through 911 (988 acceptable for a
  mental-health or suicidal call), never police.

``unsafe`` lists every route that misses a demand of the key's disqualifiers (what
rules 2 grade as ``unsafe_dispatch`` anyway), so a rules-1 grade agrees with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.core.generator.facts import Facts, signs_of_violence, violence_under_way
from app.core.protocol import DISPOSITIONS, SCREENED_CHANNELS, unmet_demands

CR = "community_responder"
CR_POLICE = "community_responder_with_police"
CR_EMS = "community_responder_with_ems"
POLICE_EMS = "police_with_ems"
NO_IN_PERSON = ("phone_resolution", "external_hotline", "embedded_professional", "transfer_988")
# Call types where 988 is acceptable instead of the team when the hotline is closed.
CRISIS_LINE_TYPES = frozenset({"MENTAL_HEALTH", "SUICIDAL_IDEATION"})

# Where an eligible call with no disqualifier goes when no community responder team is
# free. Never police: nothing in such a call needs them. Calls that can be settled on the
# phone are; calls that need someone in person wait for the next free team
# (``community_responder``), or go to 988 or EMS where those fit.
FALLBACK: dict[str, tuple[str, tuple[str, ...]]] = {
    "NOISE_COMPLAINT": ("phone_resolution", (CR,)),
    "NEIGHBOR_DISPUTE": ("phone_resolution", (CR,)),
    "PANHANDLING": ("phone_resolution", (CR,)),
    "TRESPASS": (CR, ("phone_resolution",)),
    "DISTURBANCE": (CR, ()),
    "SUSPICIOUS_PERSON": (CR, ("phone_resolution",)),
    "JUVENILE_PROBLEM": (CR, ("phone_resolution",)),
    "MENTAL_HEALTH": ("transfer_988", (CR,)),
    "SUICIDAL_IDEATION": ("transfer_988", (CR,)),
    "INTOXICATED_PERSON": ("ems", (CR,)),
    "WELFARE_CHECK": (CR, ()),
    "UNHOUSED_PERSON": ("phone_resolution", (CR,)),
    "NEEDLE_PICKUP": ("phone_resolution", (CR,)),
    "LIFT_ASSIST": ("ems", ()),
    "LOW_ACUITY_MEDICAL": ("ems", ("phone_resolution",)),
}
DEFAULT_FALLBACK = (CR, ())

DISPOSITION_WORDS = {
    CR: "community responders",
    CR_POLICE: "community responders together with police",
    CR_EMS: "community responders together with EMS",
    "police": "police",
    "ems": "EMS",
    POLICE_EMS: "police and EMS together",
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
    crisis: bool = False  # the person at the centre is someone the team exists to help
    language: str = "en"  # the caller's language; another one makes `interpreter` required


def disqualifiers_for(facts: Facts) -> list[str]:
    """The disqualifiers the facts establish, in the canonical order."""
    signs = signs_of_violence(facts)
    found = []
    if facts.weapon in ("in_hand", "in_reach", "used") or (facts.weapon == "unknown" and signs):
        found.append("weapon")
    if facts.threat == "current" or (facts.threat == "unknown" and signs):
        found.append("threat")
    if facts.medical == "emergency" or (facts.medical == "unknown" and signs):
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
    """The questions the trainee must ask: where and who on a 911 or non-emergency call,
    then the screening questions that reveal this call's facts (always weapons, threats
    and medical, so an unknown answer is asked again, never assumed away)."""
    questions = ["address", "callback"] if facts.channel in SCREENED_CHANNELS else []
    questions += ["weapons", "threats", "medical"]
    if facts.entry_relevant or facts.entry != "not_needed":
        questions.append("entry")
    if facts.evidence_relevant or facts.evidence:
        questions.append("evidence")
    for extra in setting.required_extra:
        if extra not in questions:
            questions.append(extra)
    if setting.language != "en":
        questions.append("interpreter")
    return questions


def _fallback(setting: CallSetting) -> tuple[str, tuple[str, ...]]:
    return setting.fallback or FALLBACK.get(setting.call_type, DEFAULT_FALLBACK)


def _routes(facts: Facts, setting: CallSetting, disq: Sequence[str]) -> tuple[str, list[str], str]:
    """(best, acceptable, the reason in words) for the call-center-led model."""
    eligible, team = setting.eligible, facts.responders_available
    weapon, threat = "weapon" in disq, "threat" in disq
    medical, police_only = "medical" in disq, "police_only" in disq
    if medical and (weapon or threat or police_only):
        return POLICE_EMS, [], "Only police and EMS together meet both the police and the EMS need."
    if medical:
        if setting.crisis and team:
            return (
                "ems",
                [CR_EMS],
                "The medical emergency goes to EMS; the team with EMS is acceptable, since the "
                "person also needs what the team offers.",
            )
        return "ems", [], "The medical emergency goes to EMS."
    if weapon or threat:
        if violence_under_way(facts):
            return "police", [], "Violence is under way, so police go, with no tandem route."
        if setting.crisis and eligible and team:
            return (
                CR_POLICE,
                ["police"],
                "No violence is under way and the person is someone the team exists to help, "
                "so the team goes with police; police alone is acceptable.",
            )
        if eligible and team:
            return (
                "police",
                [CR_POLICE],
                "The danger calls for police; the team with police is acceptable.",
            )
        return "police", [], "The danger calls for police."
    if police_only:
        if eligible and team:
            return (
                "police",
                [CR_POLICE],
                "Only police may meet that need; the team with police is acceptable.",
            )
        return "police", [], "Only police may meet that need."
    if not eligible:
        best = "ems" if setting.group == "medical_emergency" else "police"
        return best, [], f"The call type is not eligible, so it goes to {DISPOSITION_WORDS[best]}."
    if not team:
        best, acceptable = _fallback(setting)
        if best == CR:
            acceptable = (*acceptable, *setting.also_acceptable)  # the call's own reasons hold
            reason = (
                "No community responder team is free right now, but nothing in the call needs "
                "police: it waits for the next free team."
            )
        else:
            reason = (
                f"No community responder team is free, so the best route is "
                f"{DISPOSITION_WORDS[best]}; nothing in the call needs police."
            )
        return best, list(dict.fromkeys(a for a in acceptable if a != best)), reason
    also = [a for a in setting.also_acceptable if a != CR]
    reason = "With no disqualifier, this is a call for community responders."
    if CR_POLICE in also:
        reason += (
            " Sending police along with the team is defensible here, so that is acceptable; "
            "police alone would be more than the call needs."
        )
    return CR, also, reason


def _unsafe(disq: Sequence[str], best: str, acceptable: Sequence[str]) -> list[str]:
    """Every route that misses a demand of the disqualifiers (none on a clear call)."""
    if not disq:
        return []
    return [
        route
        for route in DISPOSITIONS
        if unmet_demands(route, disq) and route != best and route not in acceptable
    ]


def _by_model(
    facts: Facts, setting: CallSetting, disq: Sequence[str], acceptable: Sequence[str]
) -> dict:
    """Routes that replace the default ones under the two transfer models (clear calls only)."""
    if disq or not setting.eligible:
        return {}
    by_model: dict[str, dict] = {}
    behavioural = setting.group == "behavioral_health"
    fallback_best = _fallback(setting)[0]
    if behavioural:
        by_model["embedded_professional"] = {
            "disposition": "embedded_professional",
            "acceptable": [CR] if facts.responders_available else [fallback_best],
        }
    if not setting.hotline:
        return by_model
    if facts.hotline_open is False:
        # A closed hotline is never a reason to send police: the team goes through 911,
        # or 988 takes a mental-health or suicidal call. With no team free, the default
        # (no team) routes apply, as under the call-center-led model.
        if facts.responders_available:
            closed = list(acceptable)  # the call's own reasons still hold
            if setting.call_type in CRISIS_LINE_TYPES and "transfer_988" not in closed:
                closed.append("transfer_988")
            by_model["external_hotline"] = {"disposition": CR, "acceptable": closed}
    elif facts.responders_available:
        by_model["external_hotline"] = {"disposition": "external_hotline", "acceptable": [CR]}
    elif behavioural:
        by_model["external_hotline"] = {
            "disposition": "external_hotline",
            "acceptable": [fallback_best],
        }
    return by_model


def priority_for(facts: Facts, disq: Sequence[str], setting: CallSetting) -> int:
    """The policy's scale: 1 life at risk now (medical, violence under way), 2 a disqualifier
    present but not in use, else the template's priority for the clear call (never 1)."""
    if "medical" in disq or (disq and violence_under_way(facts)):
        return 1
    if disq:
        return 2
    return max(2, setting.priority)


def time_target_for(priority: int, group: str) -> int:
    if priority == 1:
        return 60
    return 120 if group == "behavioral_health" else 90


PLAIN_NAMES = {
    "weapon": "a weapon",
    "threat": "a credible threat",
    "medical": "an emergency medical need",
}


def _plain(code: str, facts: Facts) -> str:
    if code != "police_only":
        return PLAIN_NAMES[code]
    if facts.entry == "without_consent":
        return "a police-only need (entry without consent)"
    return "a police-only need (crime-scene evidence to secure)"


def _listed(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _signs_words(facts: Facts) -> str:
    """Why an unknown counts as present: what shows violence under way."""
    if violence_under_way(facts):
        return "while violence is under way"
    return "right after a threat of violence"


def _weapon_sentence(facts: Facts, notes: Mapping[str, str], signs: bool) -> str:
    item = notes.get("weapon", "a weapon")
    state = facts.weapon
    if state == "used":
        return f"The person has gone at someone with {item}: a weapon in use, violence under way."
    if state == "in_hand":
        if notes.get("weapon_everyday"):
            return (
                f"The person is holding {item} in a threatening way: an everyday object that "
                "counts as a weapon when held like that."
            )
        return f"The person has {item} in hand: a weapon."
    if state == "in_reach":
        return f"There is {item} within reach: a weapon."
    if state == "out_of_reach":
        return f"The only possible weapon is {item}, out of reach, which does not disqualify."
    if state == "carried":
        return (
            f"The person has {item}: an everyday object carried for its use or lying nearby, not "
            "held threateningly, so it is not a weapon (the weapons question is still asked)."
        )
    if state == "unknown":
        if signs:
            return (
                f"The caller cannot say whether anyone is armed {_signs_words(facts)}, so a "
                "weapon counts as present."
            )
        return (
            "The caller cannot say whether there is a weapon: nothing the caller said shows "
            "one, so it is not marked, but the weapons question must be asked."
        )
    return "Asked about weapons, the caller describes none."


def _threat_sentence(facts: Facts, notes: Mapping[str, str], signs: bool) -> str:
    if facts.threat == "current":
        if facts.threat_target == "self":
            return "There is a credible threat to the person's own life, with the means at hand."
        return "There is a credible threat to others right now."
    if facts.threat == "past":
        when = notes.get("threat_when", "some time ago")
        return f"The only threat was made {when}, not now, so it is not a current one."
    if facts.threat == "unknown":
        if signs:
            return (
                f"The caller cannot tell what is being said {_signs_words(facts)}, so a threat "
                "counts as present."
            )
        return (
            "The caller cannot say whether anyone has been threatened: nothing the caller said "
            "shows a threat, so it is not marked, but the threats question must be asked."
        )
    return "Asked about threats, the caller reports none."


def _medical_sentence(facts: Facts, signs: bool) -> str:
    if facts.medical == "emergency":
        return "There is an emergency medical need."
    if facts.medical == "low":
        return "The medical need the caller describes is minor, not an emergency."
    if facts.medical == "unknown":
        if signs:
            return (
                f"The caller cannot tell whether anyone is hurt {_signs_words(facts)}, so a "
                "medical need counts as present."
            )
        return (
            "The caller does not know whether the person is hurt or ill: nothing the caller said "
            "shows a medical emergency, so it is not marked, but the medical question must be "
            "asked."
        )
    return "Asked about injury or illness, the caller describes nothing that needs care."


def rationale_for(
    facts: Facts,
    setting: CallSetting,
    disq: Sequence[str],
    reason: str,
    by_model: Mapping,
) -> str:
    """Plain sentences naming the facts the key rests on and each disqualifier."""
    notes = setting.notes
    signs = signs_of_violence(facts)
    said: list[str] = []
    if facts.violence:
        said.append("What the caller hears shows violence under way right now.")
    said.append(_weapon_sentence(facts, notes, signs))
    said.append(_threat_sentence(facts, notes, signs))
    said.append(_medical_sentence(facts, signs))
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
    if disq:
        names = _listed([_plain(code, facts) for code in disq])
        said.append(f"Disqualified by {names}.")
    said.append(reason)
    if facts.hotline_open is False and "external_hotline" in by_model:
        entry = by_model["external_hotline"]
        also = " (or 988)" if "transfer_988" in entry["acceptable"] else ""
        said.append(
            f"The outside hotline is closed for this call, so under the hotline model the team is "
            f"sent through 911{also}; a closed hotline is never a reason to send police."
        )
    return " ".join(said)


def derive_key(facts: Facts, setting: CallSetting) -> dict:
    """The ``expert`` mapping of a scenario (spec section 3) from the facts alone."""
    disq = disqualifiers_for(facts)
    best, acceptable, reason = _routes(facts, setting, disq)
    unsafe = _unsafe(disq, best, acceptable)
    by_model = _by_model(facts, setting, disq, acceptable)
    priority = priority_for(facts, disq, setting)
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
        "rationale": rationale_for(facts, setting, disq, reason, by_model),
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
