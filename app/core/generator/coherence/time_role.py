"""The ``time`` and ``role`` rules: time words that fit the call's hour, and what the
caller says about themselves against their role, relation and place."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from app.core.generator.coherence.call import Line, _hour, caller_lines

# ----------------------------------------------------------------------------- time


def _between(first: int, last: int) -> Callable[[int], bool]:
    """Hours from ``first`` to ``last`` inclusive, wrapping past midnight."""
    if first <= last:
        return lambda h: first <= h <= last
    return lambda h: h >= first or h <= last


# (pattern, hours when it may be said, what it means)
TIME_WORDS: tuple[tuple[re.Pattern[str], Callable[[int], bool], str], ...] = (
    (re.compile(r"\bgood morning\b", re.I), _between(4, 11), "a morning greeting"),
    (re.compile(r"\bgood afternoon\b", re.I), _between(12, 17), "an afternoon greeting"),
    (re.compile(r"\bgood evening\b", re.I), _between(17, 0), "an evening greeting"),
    (re.compile(r"\btonight\b", re.I), _between(17, 4), "'tonight'"),
    (re.compile(r"\blate[- ]night\b", re.I), _between(21, 4), "late night"),
    (re.compile(r"\bthis evening\b", re.I), _between(17, 23), "'this evening'"),
    (re.compile(r"\bthis afternoon\b", re.I), _between(12, 23), "'this afternoon'"),
    (re.compile(r"\bthis morning\b", re.I), _between(5, 23), "'this morning'"),
    (re.compile(r"\b(?:after dark|in the dark|it's dark)\b", re.I), _between(17, 6), "darkness"),
    (
        re.compile(r"\bbefore (?:the kids go to school|school starts)\b", re.I),
        _between(20, 8),
        "the school run still ahead",
    ),
    (
        re.compile(
            r"\b(?:woke (?:me|us|the kids) up|trying to sleep|kids are (?:awake|asleep)"
            r"|in bed already|middle of the night)\b",
            re.I,
        ),
        _between(21, 6),
        "bedtime",
    ),
)


def rule_time(data: Mapping) -> list[tuple[str, str]]:
    """Greetings and time words that do not fit the call's time."""
    hour = _hour(data)
    if hour is None:
        return []
    time = (data.get("call") or {}).get("time")
    found = []
    title = Line("title", "", str(data.get("title") or ""))
    for line in [title, *caller_lines(data)]:
        for pattern, fits, what in TIME_WORDS:
            match = pattern.search(line.text)
            if match and not fits(hour):
                found.append(
                    (line.where, f"'{match.group(0)}' is {what}, but the call comes in at {time}")
                )
    return found


# ----------------------------------------------------------------------------- role

# Roles of people who work at the place they call from (a store, a bar, a building).
WORKPLACE_ROLES = re.compile(
    r"\b(?:clerk|cashier|staff|manager|guard|security|bartender|employee|owner|barista"
    r"|attendant|officer|superintendent|librarian|receptionist|server|teacher|nurse|worker)\b",
    re.I,
)
KIN_WORDS = (
    "son|daughter|mother|father|mom|dad|husband|wife|brother|sister|grandmother|grandfather"
    "|grandma|grandpa|uncle|aunt|nephew|niece|cousin|partner|boyfriend|girlfriend|grandson"
    "|granddaughter|stepson|stepdaughter|kid|child|mum|mama|papa|abuela|abuelo|nana"
)
_CLAIM = re.compile(
    rf"\b(?:he|she|they|that)(?:'s| is| are)\s+(?:my|our)\s+({KIN_WORDS}|neighbou?r|roommate"
    r"|friend|coworker|colleague|client|tenant|patient|student|boss)\b",
    re.I,
)
_SELF_CLAIM = re.compile(r"\b(?:calling about myself|it's me\. )", re.I)
_STRANGER_CLAIM = re.compile(
    r"\b(?:I(?:'ve| have) never seen (?:him|her|them) before|just a stranger"
    r"|I don't know (?:him|her|them)\b(?!.*(?:very )?well))",
    re.I,
)
_STAFF_CLAIM = re.compile(r"\b(?:I work here|I'm staff here|I(?:'m| am) on staff)\b", re.I)
_OURS_CLAIM = re.compile(r"\bnot one of ours\b", re.I)


def _claim_fits(word: str, role: str, relation: str) -> bool:
    word = word.lower()
    role = role.lower()
    if word in ("neighbor", "neighbour"):
        return relation == "neighbor" and "roommate" not in role
    if word == "roommate":
        return "roommate" in role
    if word in ("coworker", "colleague", "boss"):
        return relation == "professional" and any(w in role for w in ("cowork", "colleague"))
    if word in ("client", "patient", "student", "tenant"):
        return relation == "professional"
    if word == "friend":
        return "friend" in role or relation in ("neighbor", "family")
    return relation == "family"


# Roles that only exist in some kinds of place.
ROLE_PLACES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(r"\b(?:downstairs|upstairs|across the hall)\b", re.I),
        re.compile(r"\b(?:apartment|duplex|building|unit|condo)\b", re.I),
    ),
    (re.compile(r"\b(?:playground|park)\b", re.I), re.compile(r"\b(?:playground|park)\b", re.I)),
    (re.compile(r"\bbus driver\b", re.I), re.compile(r"\bbus\b", re.I)),
    (re.compile(r"\bshelter\b", re.I), re.compile(r"\bshelter\b", re.I)),
    (re.compile(r"\blibrary\b", re.I), re.compile(r"\blibrary\b", re.I)),
    (
        re.compile(r"\b(?:store|shop) clerk\b", re.I),
        re.compile(r"\b(?:store|shop|pharmacy|grocery|market|gas station)\b", re.I),
    ),
)
# What a caller across the street cannot say: they share no wall or stairs with anyone.
ACROSS_THE_STREET = re.compile(
    r"\b(?:upstairs|downstairs|across the hall|the other half|walls are shaking|through the wall)\b",
    re.I,
)
# Titles a caller would not use for themselves ("The manager already banned him" said by
# the manager).
TITLES = ("manager", "owner", "security guard", "bartender", "clerk", "landlord")


def rule_role(data: Mapping) -> list[tuple[str, str]]:
    """What the caller says about themselves against their role, relation and place."""
    call = data.get("call") or {}
    caller = call.get("caller") or {}
    role = str(caller.get("role") or "")
    relation = str(caller.get("relation") or "")
    location = str(call.get("location") or "")
    found = []
    for needs, place in ROLE_PLACES:
        if needs.search(role) and location and not place.search(location):
            found.append(("role", f"a {role} calls from '{location}'"))
    if re.search(r"\bacross the street\b", role, re.I):
        for line in caller_lines(data):
            match = ACROSS_THE_STREET.search(line.text)
            if match:
                found.append((line.where, f"a {role} says '{match.group(0)}'"))
    for title in TITLES:
        if re.search(rf"\b{title}\b", role, re.I):
            for line in caller_lines(data):
                match = re.search(rf"\bthe {title}\b", line.text, re.I)
                if match:
                    found.append(
                        (line.where, f"a {role} speaks of '{match.group(0)}' as someone else")
                    )
    for line in caller_lines(data):
        text = line.text
        staff = _STAFF_CLAIM.search(text)
        if staff and not WORKPLACE_ROLES.search(role):
            found.append((line.where, f"a {role} says they work at the place ('{staff.group(0)}')"))
        if _OURS_CLAIM.search(text) and (
            relation != "professional" or re.search(r"cowork|colleague", role, re.I)
        ):
            found.append((line.where, f"a {role} says the person is 'not one of ours'"))
        if _SELF_CLAIM.search(text + " ") and relation != "self":
            found.append((line.where, f"a {role} ({relation}) says the call is about themselves"))
        if _STRANGER_CLAIM.search(text) and relation in ("family", "neighbor", "self"):
            found.append((line.where, f"a {role} ({relation}) says they do not know the person"))
        for match in _CLAIM.finditer(text):
            if not _claim_fits(match.group(1), role, relation):
                found.append(
                    (line.where, f"a {role} ({relation}) calls the person '{match.group(0)}'")
                )
    return found
