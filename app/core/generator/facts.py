"""The facts of a synthetic call, drawn before any word of it is written.

Everything the expert key depends on is here; the caller's lines are written from
these facts afterwards, and the key is derived from them by :mod:`.rules`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

# New values go at the end of each tuple, so templates that do not weight them draw
# exactly as before. ``unknown``: the caller cannot say (keying policy rule 2).
# ``used``: a weapon swung at, pointed at or used on someone (violence under way).
# ``carried``: an everyday object carried for its purpose or lying nearby, not held
# threateningly (not a weapon, policy rule 7).
FACT_VALUES: dict[str, tuple[str, ...]] = {
    "weapon": ("absent", "in_hand", "in_reach", "out_of_reach", "used", "carried", "unknown"),
    "threat": ("none", "current", "past", "unknown"),
    "medical": ("none", "low", "emergency", "unknown"),
    "entry": ("not_needed", "with_consent", "without_consent"),
    "evidence": ("no", "yes"),
    "crime": ("none", "minor", "serious"),
    "substances": ("none", "alcohol", "drugs", "unknown"),
}

# Weights used when a template does not set its own for a fact. Entry and evidence only
# matter where a template says they can (a locked home, a broken car window...).
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "weapon": {"absent": 68, "in_hand": 7, "in_reach": 7, "out_of_reach": 18},
    "threat": {"none": 68, "current": 10, "past": 22},
    "medical": {"none": 78, "low": 13, "emergency": 9},
    "entry": {"not_needed": 1},
    "evidence": {"no": 1},
    "crime": {"none": 1},
    "substances": {"none": 45, "alcohol": 25, "drugs": 12, "unknown": 18},
}

DAY_PARTS: dict[str, tuple[int, int]] = {
    "night": (22, 29),  # 22:00 to 05:59 (hours past 23 wrap round)
    "morning": (6, 11),
    "afternoon": (12, 17),
    "evening": (18, 21),
}
DEFAULT_HOURS = {"night": 1.0, "morning": 1.0, "afternoon": 1.0, "evening": 1.0}

# Chance that, at night, the jurisdiction's outside hotline is stated to be closed.
HOTLINE_CLOSED_AT_NIGHT = 0.35
RESPONDERS_UNAVAILABLE = 0.08


@dataclass(frozen=True)
class Facts:
    """What is true about one call. ``threat_target`` is "others" or "self".

    ``violence`` is set by the template (a situation such as a fight heard through the
    wall shows violence under way whatever the answers); a weapon ``used`` on someone
    also means violence is under way (see :func:`violence_under_way`).
    """

    weapon: str = "absent"
    threat: str = "none"
    threat_target: str = "others"
    medical: str = "none"
    entry: str = "not_needed"
    evidence: bool = False
    crime: str = "none"
    substances: str = "none"
    third_party: bool = True
    time: str = "14:00"
    responders_available: bool = True
    hotline_open: bool | None = None  # None: not stated (the protocol's hours apply)
    channel: str = "911"
    firearm: bool = False  # the weapon (present or not) is a firearm
    entry_relevant: bool = False  # the situation raises the question of going inside
    evidence_relevant: bool = False  # the situation raises the question of evidence
    violence: bool = False  # the situation itself shows violence under way (screams, crashes)

    def __post_init__(self) -> None:
        for name, values in FACT_VALUES.items():
            value = getattr(self, name)
            if name == "evidence":
                continue
            if value not in values:
                raise ValueError(f"fact {name}={value!r} is not one of {values}")
        if self.threat_target not in ("others", "self"):
            raise ValueError(f"threat_target={self.threat_target!r}")

    def as_dict(self) -> dict:
        return dict(vars(self))


def pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    """One key of ``weights`` drawn in proportion to its weight (keys in the mapping's order)."""
    total = 0.0
    for weight in weights.values():
        total += weight
    point = rng.random() * total
    last = ""
    for key, weight in weights.items():
        if weight <= 0:
            continue
        last = key
        point -= weight
        if point < 0:
            return key
    return last


def draw_time(rng: random.Random, hours: Mapping[str, float]) -> str:
    """A call time "HH:MM" in one of the template's parts of the day."""
    part = pick(rng, hours)
    first, last = DAY_PARTS[part]
    hour = rng.randint(first, last) % 24
    return f"{hour:02d}:{rng.randrange(60):02d}"


def is_night(hhmm: str) -> bool:
    hour = int(hhmm[:2])
    return hour >= 22 or hour < 8


def violence_under_way(facts: Facts) -> bool:
    """Violence is happening now: the situation shows it, or a weapon is in use on someone."""
    return facts.violence or facts.weapon == "used"


def signs_of_violence(facts: Facts) -> bool:
    """Signs of violence under way, which turn an "I don't know" into present (policy rule 2):
    violence itself, or a credible threat to others just made."""
    return violence_under_way(facts) or (
        facts.threat == "current" and facts.threat_target == "others"
    )
