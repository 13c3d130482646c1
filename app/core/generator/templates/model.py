"""What a call template holds once read: the constants of the format and the dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The protocol's codes a template may name (re-exported for the template modules).
from app.core.protocol.codes import AMBIENCES as AMBIENCES
from app.core.protocol.codes import CHANNELS as CHANNELS
from app.core.protocol.codes import RELATIONS as RELATIONS
from app.errors import UserError

TEMPLATE_DIR = Path(__file__).resolve().parents[4] / "scenarios" / "templates"

PLACEHOLDERS = frozenset(
    """he He him Him his His himself man Man guy kin kin_word name caller_first caller_name
    address address_digits street cross neighborhood place phone time now weapon_item
    weapon_where threat_when crime age Age clothing ref Ref tonight Tonight Hello address_es
    phone_es""".split()
)
KIN_GENDER = {
    "son": "male",
    "brother": "male",
    "father": "male",
    "dad": "male",
    "grandfather": "male",
    "husband": "male",
    "uncle": "male",
    "nephew": "male",
    "daughter": "female",
    "sister": "female",
    "mother": "female",
    "mom": "female",
    "grandmother": "female",
    "wife": "female",
    "aunt": "female",
    "niece": "female",
}
# Which fact each screening question's answer reveals.
FACT_QUESTIONS = {
    "weapons": "weapon",
    "threats": "threat",
    "suicide": "threat",
    "medical": "medical",
    "injuries": "medical",
    "entry": "entry",
    "evidence": "evidence",
    "substances": "substances",
}
PLAIN_QUESTIONS = ("address", "callback", "what_happened", "description", "location_inside")
MARKERS = ("@crime", "@herring")
DEFAULT_REFS = {
    "stranger": ["a {guy}", "this {guy}", "some {guy}"],
    "neighbor": ["my neighbor", "the {guy} next door", "my neighbor {name}"],
    "family": ["{kin}", "{kin} {name}"],
    "professional": ["a {guy}", "this {guy}"],
    "self": ["I"],
}
TEMPLATE_KEYS = {
    "template",
    "id",
    "call_type",
    "final_call_type",
    "title",
    "module",
    "difficulty",
    "priority",
    "tags",
    "channels",
    "hours",
    "also_acceptable",
    "fallback",
    "ensure",
    "threat_target",
    "required_extra",
    "callers",
    "subject",
    "places",
    "facts",
    "items",
    "threat_when",
    "crimes",
    "opening",
    "herrings",
    "crime_openings",
    "answers",
    "extra",
    "situation",
    "prior_calls",
    "hotline",
    "crisis",
    "violence",
    "language",
    "can_speak_freely",
}
# A caller's age band (the voice's, and for a child or a teen the scenario's caller.age).
CALLER_AGES = ("adult", "older", "young", "child", "teen")
# Languages a template may be written in besides English. Every text of such a template
# is written twice, "<the caller's words> || <the English the language line relays>".
LANGUAGES = ("en", "es")
BILINGUAL = " || "
ITEM_STATES = ("in_hand", "in_reach", "out_of_reach", "carried")
# The item pool a weapon fact value draws from (``used`` draws from what can be in hand).
ITEM_POOL = {
    "in_hand": "in_hand",
    "used": "in_hand",
    "in_reach": "in_reach",
    "out_of_reach": "out_of_reach",
    "carried": "carried",
}


class TemplateError(UserError):
    """A call template (or the phrasebook) is not usable; the message names file and key."""


@dataclass(frozen=True)
class Caller:
    role: str
    relation: str
    gender: str  # male | female | any
    age: str  # adult | older | young
    kin: str  # family word for the person of concern ("son"), or ""
    refs: tuple[str, ...]
    weight: float
    ages: tuple[str, ...] = ()  # overrides the template's subject ages for this caller
    answers: dict = field(default_factory=dict)  # plain question -> variants, for this caller
    places: tuple[str, ...] = ()  # kinds of place this caller calls from (empty: any)


@dataclass(frozen=True)
class Place:
    kind: str
    location: str
    here: tuple[str, ...]
    ambience: str
    answers: dict = field(default_factory=dict)  # plain question -> variants, for this place


@dataclass(frozen=True)
class Template:
    id: str
    path: Path
    call_type: str
    final_clear: str
    final_disqualified: str
    final_medical: str  # code when the call is (also) a medical emergency (never eligible)
    disqualified_eligible: bool  # final_disqualified is eligible for community responders
    titles: tuple[str, ...]
    module: str | None
    difficulty: int
    priority: int
    tags: tuple[str, ...]
    channels: dict[str, float]
    hours: dict[str, float]
    also_acceptable: tuple[str, ...]
    fallback: tuple[str, tuple[str, ...]] | None
    ensure: tuple[str, str] | None
    threat_target: str
    required_extra: tuple[str, ...]
    callers: tuple[Caller, ...]
    subject_gender: str
    nouns: dict[str, dict[str, str]]
    ages: tuple[str, ...]
    places: tuple[Place, ...]
    weights: dict[str, dict[str, float]]
    items: dict[str, tuple[dict, ...]]
    threat_when: tuple[str, ...]
    crimes: tuple[str, ...]
    opening: tuple[Any, ...]  # tuple of str markers or tuples of fragments
    herrings: tuple[str, ...]
    crime_openings: tuple[str, ...]
    answers: dict[str, Any]  # question -> tuple (plain) or {fact value: tuple}
    extra: tuple[dict, ...]
    entry_relevant: bool
    evidence_relevant: bool
    clothing: tuple[str, ...] = field(default=())
    prior_calls: tuple[str, ...] = field(default=())
    hotline: bool = True  # the outside hotline takes this kind of call
    crisis: bool = False  # the person at the centre is someone the team exists to help
    violence: bool = False  # the situation itself shows violence under way
    language: str = "en"  # the caller's language; not "en": every text is bilingual
    can_speak_freely: bool = True  # false: someone listens, every answer is a few words


@dataclass(frozen=True)
class Identities:
    profiles: tuple[dict, ...]
