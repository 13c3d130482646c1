"""The protocol's codes: one home for every code the scenario format, grading and reports use.

These codes always exist, whatever an agency overrides (an agency may add call types and
questions, never remove or rename a code). Import them from :mod:`app.core.protocol`;
write counts as ``len(...)`` of these tuples, never as numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

DISPATCH_MODELS = ("call_center_led", "embedded_professional", "external_hotline")
DISQUALIFIERS = ("weapon", "threat", "medical", "police_only")
DISPOSITIONS = (
    "community_responder",
    "community_responder_with_police",
    "community_responder_with_ems",
    "police",
    "ems",
    "police_with_ems",
    "embedded_professional",
    "external_hotline",
    "transfer_988",
    "phone_resolution",
)
# What each disqualifier demands, and which routes meet each demand (rules 2): a route
# that lacks a demand of the key's disqualifiers is unsafe, and a key may not list it.
DEMANDS: Mapping[str, str] = MappingProxyType(
    {"weapon": "police", "threat": "police", "medical": "ems", "police_only": "police"}
)
ROUTES_MEETING: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "police": frozenset({"police", "community_responder_with_police", "police_with_ems"}),
        "ems": frozenset({"ems", "community_responder_with_ems", "police_with_ems"}),
    }
)
# Routes involving police, and the police-led ones (police without a community team).
POLICE_DISPOSITIONS = ROUTES_MEETING["police"]
POLICE_LED_DISPOSITIONS = frozenset({"police", "police_with_ems"})
CHANNELS = ("911", "non_emergency", "hotline_direct", "988", "police_referral", "proactive")
# Channels on which the call taker must get the address and a callback number.
SCREENED_CHANNELS = ("911", "non_emergency")
RELATIONS = ("stranger", "neighbor", "family", "self", "professional")
AMBIENCES = ("none", "street", "tv", "indoor", "car", "crowd")
CONTEXT_KEYS: Mapping[str, type] = MappingProxyType(
    {
        "responders_available": bool,
        "hotline_open": bool,
        "police_available": bool,
        "ambience": str,
        "notes": str,
        "prior_calls": str,
    }
)
CALL_TYPE_GROUPS = (
    "conflict",
    "behavioral_health",
    "welfare",
    "violent",
    "medical_emergency",
    "fire",
    "other",
)
ELIGIBLE_CALL_TYPES = (
    "WELFARE_CHECK",
    "MENTAL_HEALTH",
    "SUICIDAL_IDEATION",
    "INTOXICATED_PERSON",
    "UNHOUSED_PERSON",
    "TRESPASS",
    "DISTURBANCE",
    "NEIGHBOR_DISPUTE",
    "NOISE_COMPLAINT",
    "SUSPICIOUS_PERSON",
    "PANHANDLING",
    "JUVENILE_PROBLEM",
    "NEEDLE_PICKUP",
    "LOW_ACUITY_MEDICAL",
    "LIFT_ASSIST",
)
NOT_ELIGIBLE_CALL_TYPES = (
    "ASSAULT",
    "DOMESTIC_VIOLENCE",
    "WEAPONS",
    "BURGLARY_IN_PROGRESS",
    "ROBBERY",
    "SHOTS_FIRED",
    "OVERDOSE",
    "CARDIAC_BREATHING",
    "TRAFFIC_INJURY",
    "FIRE",
    "MEDICAL_EMERGENCY",
)
CALL_TYPES = ELIGIBLE_CALL_TYPES + NOT_ELIGIBLE_CALL_TYPES
QUESTION_IDS = (
    "address",
    "callback",
    "what_happened",
    "weapons",
    "threats",
    "injuries",
    "medical",
    "entry",
    "evidence",
    "substances",
    "suicide",
    "relationship",
    "description",
    "location_inside",
    "interpreter",
)


def demands_of(disqualifiers: Iterable[str]) -> frozenset[str]:
    """The responders (``police``, ``ems``) that these disqualifiers demand."""
    return frozenset(DEMANDS[code] for code in disqualifiers if code in DEMANDS)


def unmet_demands(route: str, disqualifiers: Iterable[str]) -> list[str]:
    """The disqualifiers whose demand ``route`` does not meet, in the standard order."""
    wanted = set(disqualifiers)
    return [
        code
        for code in DISQUALIFIERS
        if code in wanted and route not in ROUTES_MEETING[DEMANDS[code]]
    ]
