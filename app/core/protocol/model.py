"""The protocol as the app uses it: call types, questions, routes and the hotline's hours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import UserError

NEUTRAL_ANSWER = "I don't know, I can't tell from here."

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_WINDOW = re.compile(r"^\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$")
ALWAYS_OPEN = ("24/7", "always")


class ProtocolError(UserError):
    """A protocol or an agency override is not usable; the message names the key.

    ``keys`` is the path of that key in the protocol, so that a problem in a file can be
    given with its line (``FILE:LINE: message``, see :mod:`app.core.protocol.loading`).
    """

    def __init__(self, message: str, keys: tuple = ()):
        super().__init__(message)
        self.keys = keys


@dataclass(frozen=True)
class CallType:
    code: str
    label: str
    eligible: bool
    group: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    default_answer: str
    # Ways call takers ask it in their own words (for the typed-question matcher).
    phrasings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Disqualifier:
    code: str
    label: str
    description: str


@dataclass(frozen=True)
class DispatchModel:
    code: str
    label: str
    description: str
    dispositions: tuple[str, ...]  # every route that exists under this model


def parse_hhmm(value: str) -> int:
    """Minutes after midnight of an ``HH:MM`` text; raises ValueError otherwise."""
    match = _HHMM.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a time HH:MM")
    return int(match.group(1)) * 60 + int(match.group(2))


def is_hhmm(value: Any) -> bool:
    return isinstance(value, str) and bool(_HHMM.match(value))


def parse_hours(value: Any) -> tuple[int, int] | None:
    """``None`` for 24/7, else (start, end) minutes; raises ValueError on bad text."""
    if not isinstance(value, str):
        raise ValueError('hotline hours must be text like "24/7" or "08:00-22:00"')
    if value.strip().lower() in ALWAYS_OPEN:
        return None
    match = _WINDOW.match(value)
    if not match:
        raise ValueError(f'hotline hours {value!r} must be "24/7" or like "08:00-22:00"')
    start_text, end_text = match.groups()
    start = parse_hhmm(start_text)
    end = 24 * 60 if end_text == "24:00" else parse_hhmm(end_text)
    if start == end:
        raise ValueError(f'hotline hours {value!r} are empty; write "24/7" for always open')
    return start, end


@dataclass(frozen=True, eq=False)
class Protocol:
    """A jurisdiction's protocol. Mappings are read-only."""

    name: str
    dispatch_model: str
    hotline_hours: tuple[int, int] | None
    call_types: Mapping[str, CallType]
    questions: Mapping[str, Question]
    models: Mapping[str, DispatchModel]
    disqualifiers: Mapping[str, Disqualifier]
    disposition_labels: Mapping[str, str]
    groups: Mapping[str, str]

    def hotline_open(self, time_hhmm: str | None = None, context: Mapping | None = None) -> bool:
        """Whether the external hotline takes calls at that time in that call's context.

        ``context["hotline_open"]`` (a scenario's explicit fact) wins over the hours; with
        no time given the hours are not judged.
        """
        stated = (context or {}).get("hotline_open")
        if isinstance(stated, bool):
            return stated
        if self.hotline_hours is None or time_hhmm is None:
            return True
        try:
            minute = parse_hhmm(time_hhmm)
        except ValueError:
            raise ProtocolError(f"call time {time_hhmm!r} is not HH:MM") from None
        start, end = self.hotline_hours
        if start < end:
            return start <= minute < end
        return minute >= start or minute < end  # a window past midnight

    def available_dispositions(
        self, model: str, time_hhmm: str | None = None, context: Mapping | None = None
    ) -> list[str]:
        """Routes that exist under ``model`` for a call at ``time_hhmm`` with ``context``."""
        if model not in self.models:
            raise ProtocolError(
                f"unknown dispatch model {model!r} (one of: {', '.join(self.models)})"
            )
        routes = list(self.models[model].dispositions)
        if "external_hotline" in routes and not self.hotline_open(time_hhmm, context):
            routes.remove("external_hotline")
        return routes

    def call_type_label(self, code: str) -> str:
        call_type = self.call_types.get(code)
        return call_type.label if call_type else code

    def disposition_label(self, code: str) -> str:
        return self.disposition_labels.get(code, code)

    def question_text(self, question_id: str) -> str:
        question = self.questions.get(question_id)
        return question.text if question else question_id

    def eligible(self, code: str) -> bool:
        call_type = self.call_types.get(code)
        return bool(call_type and call_type.eligible)


# ----------------------------------------------------------------- fallback answers
#
# A question the scenario does not script gets a fallback answer. The protocol's generic
# default ("I don't know, I can't tell from here.") breaks the call when it comes from a
# mother about the son she lives with or a clerk inside his own store, so the fallback is
# chosen from where the caller stands. It never states a fact: it neither confirms nor
# rules out a weapon, an injury or anything else a key could turn on. An agency that
# wrote its own default answer for a question keeps it.

# The shipped protocol's default answers; only these are replaced by a fallback.
GENERIC_DEFAULTS = frozenset(
    {
        NEUTRAL_ANSWER,
        "I already gave you the address, it's where I said.",
        "I told you everything I know.",
        "I'd rather not say.",
        "I can't really see them well from here.",
        "I'm not sure exactly where they are now.",
        "The interpreter is on the line.",
    }
)

SELF, WITH, NEARBY, AWAY, RELAYING = "self", "with", "nearby", "away", "relaying"
STANCES = (SELF, WITH, NEARBY, AWAY, RELAYING)

# Words in a caller's role that put them at the scene as part of the place (staff, a
# driver, a carer): they are with the person, not watching from a distance.
_ON_SITE_ROLE = re.compile(
    r"\b(clerk|cashier|manager|(?<!car )owner|staff|attendant|bus driver|delivery driver|"
    r"guard|security|bartender|bouncer|employee|worker|volunteer|teacher|nurse|aide|carer|"
    r"caregiver|sexton|pastor|supervisor|officer|responder|inspector|librarian)\b",
    re.IGNORECASE,
)
# Words that say the caller is somewhere else.
_AWAY = re.compile(
    r"\b(across town|another state|out of state|(caller|i'm|i am) (is )?not there|"
    r"can't get there|cannot get there|out of town)\b",
    re.IGNORECASE,
)
_RELAY_ROLE = re.compile(r"\b(counsell?or|relay|interpreter|dispatcher)\b", re.IGNORECASE)
_MALE = re.compile(
    r"\b(son|husband|boyfriend|brother|father|dad|grandfather|grandpa|uncle|nephew|man|"
    r"guy|boy|gentleman|fella|fellow|he|him|his)\b",
    re.IGNORECASE,
)
_FEMALE = re.compile(
    r"\b(daughter|wife|girlfriend|sister|mother|mom|mum|grandmother|grandma|aunt|niece|"
    r"woman|lady|girl|she|her)\b",
    re.IGNORECASE,
)
_PRONOUNS = {
    "he": {"s": "he", "o": "him", "p": "his", "be": "he's"},
    "she": {"s": "she", "o": "her", "p": "her", "be": "she's"},
    "they": {"s": "they", "o": "them", "p": "their", "be": "they're"},
}

_FALLBACKS: Mapping[str, Mapping[str, str]] = {
    "what_happened": {
        SELF: "Just what I told you when you picked up. That's what's going on with me.",
        WITH: "It's what I told you when you picked up. That's all I've seen happen.",
        NEARBY: "What I told you is what I saw. I didn't see how it started.",
        AWAY: "I only know what I told you. I'm not there, so I haven't seen it myself.",
        RELAYING: "Only what I told you. That's what I've been told so far; I can ask for more.",
    },
    "weapons": {
        SELF: "I'm not sure what you mean by that.",
        WITH: "I'm not sure. I haven't looked for anything like that.",
        NEARBY: "I can't make that out from where I'm standing.",
        AWAY: "I couldn't tell you. I'm not there.",
        RELAYING: "I haven't been told either way. I can ask.",
    },
    "threats": {
        SELF: "I don't know what to say to that.",
        WITH: "Nothing I can tell you for certain.",
        NEARBY: "I can't hear everything from where I am.",
        AWAY: "I don't know. I'm not there to hear it.",
        RELAYING: "Nothing I've been told. I can ask.",
    },
    "injuries": {
        SELF: "I'm not sure. I'd have to check myself over.",
        WITH: "I'd have to look {o} over properly. I'm not sure.",
        NEARBY: "I can't see well enough from here to say.",
        AWAY: "I don't know. I can't see {o} from where I am.",
        RELAYING: "Nothing I've been told about. I can ask.",
    },
    "medical": {
        SELF: "I'm awake, I'm talking to you. Past that I'm not sure.",
        WITH: "I'm not sure. Let me look at {o} properly.",
        NEARBY: "I can't tell that from where I'm standing.",
        AWAY: "I can't tell. I'm not with {o}.",
        RELAYING: "I haven't been told. I can ask.",
    },
    "entry": {
        SELF: "I'm not sure what you mean.",
        WITH: "I'm not sure. I'd have to check the doors.",
        NEARBY: "I don't know about that.",
        AWAY: "I don't know. I'm not there.",
        RELAYING: "I don't know. I can ask.",
    },
    "evidence": {
        SELF: "I don't know about that.",
        WITH: "I don't know about that. I haven't touched anything.",
        NEARBY: "I don't know about that. I haven't touched anything.",
        AWAY: "I wouldn't know. I'm not there.",
        RELAYING: "I haven't been told about anything like that.",
    },
    "substances": {
        SELF: "I'd rather not get into that right now.",
        WITH: "I honestly don't know what {be} had.",
        NEARBY: "I couldn't say from here.",
        AWAY: "I don't know. I'm not with {o}.",
        RELAYING: "Nothing I've been told. I can ask.",
    },
    "suicide": {
        SELF: "I don't know how to answer that.",
        WITH: "I don't know. I haven't asked {o}.",
        NEARBY: "I don't know. I haven't talked to {o}.",
        AWAY: "I don't know. I haven't been able to talk to {o}.",
        RELAYING: "I haven't been told. I can ask.",
    },
    "description": {
        SELF: "I'm the one on the phone. You'll find me right where I said.",
        WITH: "I'm no good at describing people. I'm not sure what to tell you.",
        NEARBY: "I'm no good at describing people. I'm not sure what to tell you.",
        AWAY: "I can't see {o} from where I am.",
        RELAYING: "I can't see {o}. I'm only on the phone.",
    },
    "location_inside": {
        SELF: "I'm still right where I said.",
        WITH: "{Be} still where I said.",
        NEARBY: "{Be} still where I said, as far as I can see.",
        AWAY: "I don't know exactly where {be} now. I'm not there.",
        RELAYING: "I'd have to ask.",
    },
}
_RELATIONSHIP = {
    "family": "We're family.",
    "neighbor": "We're neighbours.",
    "professional": "I know {o} through my work.",
    "stranger": "I don't know {o} personally.",
}


def caller_stance(call: Mapping) -> str:
    """Where the caller stands to the person the call is about (one of :data:`STANCES`).

    ``self``: the caller is that person. ``relaying``: a counsellor or relay passing on
    what someone else says. ``away``: the caller is somewhere else (from the role,
    opening or location). ``with``: on the scene with the person (family or a
    professional at the scene, staff of the place, a team or officer on a referral or
    proactive call). ``nearby``: a stranger or neighbour who sees or hears it.
    """
    caller = call.get("caller") or {}
    relation = caller.get("relation")
    role = str(caller.get("role") or "")
    channel = str(call.get("channel") or "911")
    if relation == "self":
        return SELF
    if _RELAY_ROLE.search(role):
        return RELAYING
    said = " ".join(str(call.get(k) or "") for k in ("opening", "location"))
    if _AWAY.search(role) or _AWAY.search(said):
        return AWAY
    if channel in ("police_referral", "proactive") or relation in ("family", "professional"):
        return WITH
    return WITH if _ON_SITE_ROLE.search(role) else NEARBY


def person_pronoun(call: Mapping) -> str:
    """``he``, ``she`` or ``they`` for the person the call is about, from the opening."""
    opening = str(call.get("opening") or "")
    male, female = _MALE.search(opening), _FEMALE.search(opening)
    if male and (not female or male.start() < female.start()):
        return "he"
    if female:
        return "she"
    return "they"


def _location_said(call: Mapping) -> str | None:
    location = str(call.get("location") or "").split(";")[0]
    location = re.sub(r"\s*\([^)]*\)", "", location).strip().rstrip(".")
    return location or None


def fallback_answer(question_id: str, call: Mapping, default: str) -> str:
    """What a caller says to a catalogue question the scenario does not script.

    ``default`` (the protocol's default answer) stands when an agency wrote its own, or
    when nothing better fits; otherwise the answer follows from the caller's stance and
    relation and the person's pronoun, and never states a fact of the call.
    """
    if default not in GENERIC_DEFAULTS:
        return default
    caller = call.get("caller") or {}
    stance = caller_stance(call)
    forms = _PRONOUNS[person_pronoun(call)]
    words = {**forms, "S": forms["s"].capitalize(), "Be": forms["be"].capitalize()}
    if question_id == "address":
        place = _location_said(call)
        return f"{place}." if place else default
    if question_id == "callback":
        return "Call me back on this line." if stance == RELAYING else default
    if question_id == "interpreter":
        if str(caller.get("language") or "en").lower().startswith("en"):
            return "No need for that, English is fine."
        return default
    if question_id == "relationship":
        if stance == SELF:
            return "It's me. I'm calling about myself."
        if stance == RELAYING:
            return "I'm passing on what {be} telling me.".format(**words)
        text = _RELATIONSHIP.get(str(caller.get("relation") or ""))
        return text.format(**words) if text else default
    table = _FALLBACKS.get(question_id)
    if table is None:
        return default
    return table[stance].format(**words)
