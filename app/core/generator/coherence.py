"""Coherence of a call: does what the caller says hang together with itself and the facts?

The keying policy (:mod:`app.core.bank_lint`) checks the *key*. This module checks the
*words*, the faults a trainer notices when reading a generated call aloud:

- ``time``: greetings and time words fit the call's time ("Good morning" at 01:06 and
  "Not tonight" at 13:32 do not);
- ``role``: what the caller says about themselves fits their role and relation (a bus
  driver is not "staff here", a roommate does not call the person "my neighbor");
- ``one-fact``: one fact per thing across the whole call: one injury, one weapon object,
  one place, one relation (a blister does not become a cut);
- ``opener``: an opening does not play down an emergency the key contains ("it's not an
  emergency" over an unresponsive man);
- ``herring``: a red herring stays open until its own question is asked: nothing outside
  that answer settles it ("locked in the office" in the opening);
- ``grounded``: the rationale only leans on what the caller said (no "drinking or drug
  use" line when nobody mentioned either);
- ``kind``: a caller who does not know where they are names no street, a dropped call
  goes on when called back;
- ``model``: the text follows the agency's dispatch model (no hotline talk where the
  agency has no outside hotline);
- ``variety`` (a whole batch): no description or opening repeated across many calls.

Pure: it reads normalised scenario mappings (with the YAML text for line numbers when it
has it) and returns :class:`~app.core.bank_lint.Finding` objects ``FILE:LINE: message``,
each message naming the rule and the exchange. It never opens a file.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.core.bank_lint import Finding, LintItem

RULES = ("time", "role", "one-fact", "opener", "herring", "grounded", "kind", "model", "variety")


# ----------------------------------------------------------------------------- the call


@dataclass(frozen=True)
class Line:
    """One thing the caller says: ``where`` is ``opening``, ``prior_calls`` or the
    exchange's question id; ``ask`` is the question id (empty for the opening)."""

    where: str
    ask: str
    text: str


_READING: list = [None, []]  # the call check_call is reading and its lines (rules reread them)


def caller_lines(data: Mapping) -> list[Line]:
    """Every line the caller says, in the order of the file."""
    if _READING[0] is data:
        return _READING[1]
    return _read_lines(data)


def _read_lines(data: Mapping) -> list[Line]:
    call = data.get("call") or {}
    lines = [Line("opening", "", str(call.get("opening") or ""))]
    again = call.get("when_called_back") or {}
    if again.get("answer"):  # a dropped call goes on here: it counts as part of the opening
        lines.append(Line("when_called_back", "", str(again["answer"])))
    for exchange in call.get("exchanges") or []:
        ask = str(exchange.get("ask") or exchange.get("id") or "")
        # A caller in another language is checked in the English the language line relays.
        said = exchange.get("interpreted") or exchange.get("answer") or ""
        lines.append(Line(ask, ask, str(said)))
    return lines


def _hour(data: Mapping) -> int | None:
    time = str((data.get("call") or {}).get("time") or "")
    if re.fullmatch(r"\d\d:\d\d", time):
        return int(time[:2])
    return None


def _line_no(text: str, where: str) -> int:
    """1-based line of an exchange's answer (or of ``opening:``/``rationale:``/...)."""
    if not text:
        return 1
    lines = text.splitlines()
    if where in ("opening", "rationale", "context", "prior_calls", "when_called_back", "title"):
        pattern = re.compile(rf"^\s*{re.escape(where)}\s*:")
        for index, line in enumerate(lines):
            if pattern.match(line):
                return index + 1
        return 1
    pattern = re.compile(rf"^\s*-\s*(?:ask|id)\s*:\s*['\"]?{re.escape(where)}['\"]?\s*$")
    for index, line in enumerate(lines):
        if pattern.match(line):
            for later in range(index + 1, min(index + 4, len(lines))):
                if lines[later].strip().startswith("answer:"):
                    return later + 1
            return index + 1
    return 1


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


# ----------------------------------------------------------------------------- one fact

INJURIES: Mapping[str, re.Pattern[str]] = {
    "a cut": re.compile(r"\b(?:cut|cuts|gash|laceration)\b(?! (?:it|out|off|in|across))", re.I),
    "a blister": re.compile(r"\bblisters?\b", re.I),
    "a scrape": re.compile(r"\b(?:scrape|scraped|scrapes|graze|grazed)\b", re.I),
    "a burn": re.compile(r"\b(?:burn|burns|burned|burnt) (?:on|to)\b", re.I),
    "a bruise": re.compile(r"\b(?:bruise|bruised|bruises|black eye)\b", re.I),
    "a hurt lip": re.compile(r"\b(?:split|bloody|busted|fat) lip\b", re.I),
    "a hurt ankle": re.compile(r"\b(?:ankle|sprain|sprained)\b", re.I),
    "a head wound": re.compile(
        r"\b(?:hit (?:his|her|their) head|bleeding (?:a lot )?from (?:his|her|their) head"
        r"|head wound)\b",
        re.I,
    ),
    "a broken bone": re.compile(
        r"\b(?:broken|broke) (?:his|her|their|my) (?:arm|leg|wrist|hip)\b", re.I
    ),
    "swollen feet": re.compile(r"\b(?:swollen|swelling)\b", re.I),
}
# Where an injury may be named: the story and the two medical answers.
INJURY_SOURCES = ("opening", "when_called_back", "what_happened", "medical", "injuries")

# Weapon objects. A specific object and its generic word are one thing ("a kitchen knife"
# and "the knife"); two specific ones are two things.
OBJECTS: Mapping[str, re.Pattern[str]] = {
    "kitchen knife": re.compile(r"\bkitchen knife\b|\bkitchen knives\b", re.I),
    "pocket knife": re.compile(r"\bpocket ?knife\b", re.I),
    "folding knife": re.compile(r"\bfolding knife\b", re.I),
    "box cutter": re.compile(r"\bbox ?cutter\b", re.I),
    "razor blade": re.compile(r"\brazor(?: blade)?\b", re.I),
    "machete": re.compile(r"\bmachete\b", re.I),
    "handgun": re.compile(r"\b(?:handgun|pistol)\b", re.I),
    "revolver": re.compile(r"\brevolver\b", re.I),
    "rifle": re.compile(r"\b(?:hunting )?rifle\b", re.I),
    "shotgun": re.compile(r"\bshotgun\b", re.I),
    "baseball bat": re.compile(r"\b(?:baseball )?bat\b", re.I),
    "broken bottle": re.compile(r"\bbroken bottle\b", re.I),
    "hammer": re.compile(r"\bhammer\b", re.I),
    "metal pipe": re.compile(r"\b(?:metal )?pipe\b", re.I),
    "crowbar": re.compile(r"\bcrowbar\b", re.I),
}
# Where the weapon object may be named (the evidence left behind is another thing).
OBJECT_SOURCES = (
    "opening",
    "when_called_back",
    "what_happened",
    "description",
    "weapons",
    "threats",
)

# Named spaces. Rooms of a home cannot be where someone in a car or on the street is.
SPACES: Mapping[str, re.Pattern[str]] = {
    "garage": re.compile(r"\bgarage\b", re.I),
    "laundry room": re.compile(r"\blaundry room\b", re.I),
    "stairwell": re.compile(r"\bstairwell\b", re.I),
    "lobby": re.compile(r"\blobby\b", re.I),
    "kitchen": re.compile(r"\bkitchen(?! (?:knife|knives|drawer))\b", re.I),
    "bathroom": re.compile(r"\bbathroom\b", re.I),
    "bedroom": re.compile(r"\bbedroom\b", re.I),
    "living room": re.compile(r"\bliving room\b", re.I),
    "basement": re.compile(r"\bbasement\b", re.I),
}
HOME_ROOMS = frozenset({"kitchen", "bathroom", "bedroom", "living room"})
DWELLING = re.compile(
    r"\b(?:house|home|apartment|unit|condo|residence|duplex|townhouse|motel|hotel|room|"
    r"shelter|senior|cottage|trailer|dorm)\b",
    re.I,
)
OUTSIDE = re.compile(r"\b(?:car|truck|van|street|park|bus stop|lot|corner|sidewalk|alley)\b", re.I)


def _found(patterns: Mapping[str, re.Pattern[str]], text: str) -> set[str]:
    return {name for name, pattern in patterns.items() if pattern.search(text)}


def _injuries(data: Mapping) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    found = []
    for line in caller_lines(data):
        if line.where not in INJURY_SOURCES:
            continue
        for name in sorted(_found(INJURIES, line.text)):
            if name in seen:
                continue
            if seen:
                first, where = next(iter(seen.items()))
                found.append((line.where, f"the injury is {name} here but {first} in '{where}'"))
            seen[name] = line.where
    return found


def _objects(data: Mapping) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    found = []
    for line in caller_lines(data):
        if line.where not in OBJECT_SOURCES:
            continue
        names = _found(OBJECTS, line.text)
        for name in sorted(names):
            if name in seen:
                continue
            if seen:
                first, where = next(iter(seen.items()))
                found.append((line.where, f"the object is {name} here but {first} in '{where}'"))
            seen[name] = line.where
    return found


def _places(data: Mapping) -> list[tuple[str, str]]:
    call = data.get("call") or {}
    location = str(call.get("location") or "")
    lines = caller_lines(data)
    inside = next((line.text for line in lines if line.ask == "location_inside"), "")
    allowed = _found(SPACES, location) | _found(SPACES, inside)
    found = []
    if inside and not DWELLING.search(location):
        for room in sorted(_found(SPACES, inside) & HOME_ROOMS):
            if OUTSIDE.search(location) or not location:
                found.append(
                    (
                        "location_inside",
                        f"the caller says the {room}, but the place is '{location}'",
                    )
                )
    for line in lines:
        if line.ask in ("location_inside",):
            continue
        if line.where not in ("opening", "when_called_back", "what_happened"):
            continue
        for space in sorted(_found(SPACES, line.text) - allowed):
            if allowed:
                found.append(
                    (
                        line.where,
                        f"the caller says the {space}, but the place is "
                        f"{' / '.join(sorted(allowed))}",
                    )
                )
    return found


# Sites an answer may name, and the kinds of place that have them ("the office" is not in a
# friend's apartment, "the lot" is not at a bus stop).
SITES: Mapping[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "an office": (
        re.compile(r"\b(?:in|to) the office\b|\bsecurity took\b", re.I),
        re.compile(
            r"\b(?:store|bar|shelter|library|office|pharmacy|gas station|bank|mall|school"
            r"|supermarket|garage|stairwell|laundry|cafe|plaza)\b",
            re.I,
        ),
    ),
    "a parking lot": (
        re.compile(r"\b(?:the|this) (?:parking )?lot\b|\ba parking lot\b", re.I),
        re.compile(r"\b(?:lot|parking|gas station|mall|shopping|supermarket|store|garage)\b", re.I),
    ),
    "a park": (
        re.compile(r"\bthis park\b", re.I),
        re.compile(r"\b(?:park|playground)\b", re.I),
    ),
    "bleachers": (
        re.compile(r"\bbleachers\b", re.I),
        re.compile(r"\b(?:park|school|field|playground)\b", re.I),
    ),
}


def site_fits(text: str, location: str) -> bool:
    """Whether every site ``text`` names can be found at ``location``."""
    return all(not said.search(text) or has.search(location) for said, has in SITES.values())


def _sites(data: Mapping) -> list[tuple[str, str]]:
    location = str((data.get("call") or {}).get("location") or "")
    if not location:
        return []
    found = []
    for line in caller_lines(data):
        for name, (said, has) in SITES.items():
            match = said.search(line.text)
            if match and not has.search(location):
                found.append(
                    (line.where, f"'{match.group(0)}' names {name}, but the place is '{location}'")
                )
    return found


# Stolen things: one haul per call.
LOOT = re.compile(
    r"\b(?:deodorant|razors|candy|baby formula|formula|batteries|steaks?|meat|beer|liquor"
    r"|cigarettes|phone chargers?|headphones|makeup|cold medicine|energy drinks|snacks)\b",
    re.I,
)


def _loot(data: Mapping) -> list[tuple[str, str]]:
    first: tuple[str, set[str]] | None = None
    found = []
    for line in caller_lines(data):
        if not re.search(r"\b(?:stole|stolen|steal\w*|took|taking|shoplift\w*)\b", line.text):
            continue
        named = {m.group(0).lower() for m in LOOT.finditer(line.text)}
        if not named:
            continue
        if first is None:
            first = (line.where, named)
        elif not named & first[1]:
            found.append(
                (
                    line.where,
                    f"the stolen goods are {', '.join(sorted(named))} here but "
                    f"{', '.join(sorted(first[1]))} in '{first[0]}'",
                )
            )
    return found


def _relations(data: Mapping) -> list[tuple[str, str]]:
    words: dict[str, str] = {}
    found = []
    for line in caller_lines(data):
        for match in _CLAIM.finditer(line.text):
            word = match.group(1).lower().replace("neighbour", "neighbor")
            if words and word not in words:
                first, where = next(iter(words.items()))
                found.append(
                    (line.where, f"the person is 'my {word}' here but 'my {first}' in '{where}'")
                )
            words.setdefault(word, line.where)
    return found


# Drinking or drug use told in the story, and an answer that denies any.
USING_NOW = re.compile(
    r"\b(?:drunk|drinks? too much|(?:has|'s) been drinking|on something|high on|wasted"
    r"|took something|using again)\b",
    re.I,
)
DENIES_USE = re.compile(
    r"\b(?:seems sober|is sober|'s sober|not on anything|doesn't drink|didn't drink|no alcohol"
    r"|not that I can tell|nothing like that)\b",
    re.I,
)


def _substances(data: Mapping) -> list[tuple[str, str]]:
    lines = caller_lines(data)
    answer = next((line.text for line in lines if line.ask == "substances"), "")
    denied = DENIES_USE.search(answer)
    if not denied:
        return []
    for line in lines:
        if line.where in ("opening", "when_called_back", "what_happened", "description"):
            told = USING_NOW.search(line.text)
            if told:
                return [
                    (
                        "substances",
                        f"the answer says '{denied.group(0)}', but '{line.where}' says "
                        f"'{told.group(0)}'",
                    )
                ]
    return []


# Clothing the story names, against the clothing in the description.
CLOTHES: Mapping[str, re.Pattern[str]] = {
    "a hood": re.compile(r"\bhood(?:ie|ed)?\b", re.I),
    "a coat": re.compile(r"\b(?:coat|jacket|parka|windbreaker|fleece)\b", re.I),
    "a hat": re.compile(r"\b(?:hat|cap|beanie)\b", re.I),
}


def _clothes(data: Mapping) -> list[tuple[str, str]]:
    lines = caller_lines(data)
    description = next((line.text for line in lines if line.ask == "description"), "")
    worn = clothing_of(description)
    if worn is None:
        return []
    found = []
    for line in lines:
        if line.where not in ("opening", "when_called_back", "what_happened"):
            continue
        for name, pattern in CLOTHES.items():
            if pattern.search(line.text) and not pattern.search(worn):
                found.append(
                    (line.where, f"the caller mentions {name}, but the description says '{worn}'")
                )
    return found


def rule_one_fact(data: Mapping) -> list[tuple[str, str]]:
    """One injury, weapon object, place, relation, substance story and outfit per call."""
    return (
        _injuries(data)
        + _objects(data)
        + _places(data)
        + _relations(data)
        + _substances(data)
        + _clothes(data)
        + _sites(data)
        + _loot(data)
    )


# ----------------------------------------------------------------------------- opener

PLAYING_DOWN = re.compile(
    r"\b(?:(?:it's|it is|this is|that's) not an? (?:emergency|urgent)|(?:isn't|is not) an? "
    r"emergency|not an emergency|not sure (?:this|it|that)(?:'s| is) an emergency|not urgent"
    r"|no rush|(?:don't|do not) need an ambulance|nothing serious|it's probably nothing"
    r"|(?:not a|no) big deal|nothing to worry about)\b",
    re.I,
)


def rule_opener(data: Mapping) -> list[tuple[str, str]]:
    """An opening that plays down an emergency the key contains."""
    expert = data.get("expert") or {}
    disqualifiers = [d for d in expert.get("disqualifiers") or [] if isinstance(d, str)]
    if not disqualifiers:
        return []
    opening = " ".join(
        line.text for line in caller_lines(data) if line.where in ("opening", "when_called_back")
    )
    match = PLAYING_DOWN.search(opening)
    if match is None:
        return []
    return [
        (
            "opening",
            f"the opening says '{match.group(0)}', but the call has "
            f"{', '.join(disqualifiers)}: an opening must not hide an emergency the call holds",
        )
    ]


# ----------------------------------------------------------------------------- herring

# Words that settle a fact; they belong in the answer to that fact's own question.
SETTLES: Mapping[str, tuple[tuple[str, ...], re.Pattern[str]]] = {
    "weapon": (
        ("weapons",),
        re.compile(
            r"\b(?:locked (?:away|up in|in (?:a|the|his|her|their) (?:office|cabinet|safe|gun safe|"
            r"truck|trunk|car|drawer|closet))|out of (?:his|her|their )?reach|put (?:it|them) "
            r"(?:back|away)|took it (?:off|from)|nothing on (?:him|her|them)|(?:his|her|their) "
            r"hands are empty|not holding anything)\b",
            re.I,
        ),
    ),
    "threat": (
        ("threats", "suicide"),
        re.compile(
            r"\b(?:blew over|hasn't threatened|has not threatened|never threatened|no threats"
            r"|nobody's been threatened)\b",
            re.I,
        ),
    ),
    "medical": (
        ("medical", "injuries"),
        re.compile(
            r"\b(?:(?:he|she)'s (?:fine|okay) physically|nobody's hurt|not hurt or sick"
            r"|no injuries|breathing fine)\b",
            re.I,
        ),
    ),
}


def rule_herring(data: Mapping) -> list[tuple[str, str]]:
    """A fact settled in the opening or in the answer to some other question."""
    found = []
    asked = {line.ask for line in caller_lines(data)}
    for line in caller_lines(data):
        for fact, (owners, pattern) in SETTLES.items():
            if line.ask in owners:
                continue
            match = pattern.search(line.text)
            if match and any(owner in asked for owner in owners):
                found.append(
                    (
                        line.where,
                        f"'{match.group(0)}' settles the {fact} question before it is asked "
                        f"(it belongs in the answer to '{owners[0]}')",
                    )
                )
    return found


# ----------------------------------------------------------------------------- grounded

SUBSTANCE_WORDS = re.compile(
    r"\b(?:drink\w*|drunk|beers?|bottles?|alcohol|wine|liquor|vodka|whiskey|booze|high|drugs?"
    r"|pills?|took something|using|slurr\w*|weed|needles?|smells? like|overdos\w*|fentanyl"
    r"|heroin|meth|opioids?|narcan|wasted)\b",
    re.I,
)


def rule_grounded(data: Mapping) -> list[tuple[str, str]]:
    """The rationale leans on drinking or drug use that no caller line mentions."""
    rationale = str((data.get("expert") or {}).get("rationale") or "")
    if not re.search(r"\b(?:drinking|drug use|intoxicat\w*|alcohol)\b", rationale, re.I):
        return []
    if any(SUBSTANCE_WORDS.search(line.text) for line in caller_lines(data)):
        return []
    return [("rationale", "the rationale speaks of drinking or drug use, but no caller line does")]


# ----------------------------------------------------------------------------- model

HOTLINE_WORDS = re.compile(r"\b(?:hotline|crisis line|care line)\b", re.I)


def rule_model(data: Mapping, dispatch_model: str) -> list[tuple[str, str]]:
    """Hotline talk, or a stated hotline state, under a model with no outside hotline."""
    if dispatch_model == "external_hotline":
        return []
    found = []
    call = data.get("call") or {}
    for line in caller_lines(data):
        match = HOTLINE_WORDS.search(line.text)
        if match:
            found.append((line.where, f"'{match.group(0)}' under {dispatch_model}, which has none"))
    context = call.get("context") or {}
    if "hotline_open" in context:
        found.append(("context", f"the call states the hotline's hours under {dispatch_model}"))
    if isinstance(context.get("prior_calls"), str) and HOTLINE_WORDS.search(context["prior_calls"]):
        found.append(("prior_calls", f"the prior calls speak of a hotline under {dispatch_model}"))
    rationale = str((data.get("expert") or {}).get("rationale") or "")
    match = HOTLINE_WORDS.search(rationale)
    if match:
        found.append(
            (
                "rationale",
                f"the rationale speaks of the {match.group(0)} under "
                f"{dispatch_model}, which has none",
            )
        )
    return found


# ----------------------------------------------------------------------------- kind

_ALI_STREETS = re.compile(r"\bof (.+?) and (.+?)$")
GUARDED_WORDS = 15  # scenario format 3.9: a caller who cannot speak freely
# What a child does not say of themselves.
GROWN_UP = re.compile(
    r"\b(?:my (?:husband|wife|client|tenant|patient|employee|boss|kids|son|daughter)"
    r"|I work here|I'm staff here|my manager)\b",
    re.I,
)
# What only a voice caller says.
SPOKEN = re.compile(r"\b(?:I'm calling|calling (?:about|from)|can you hear me|um|uh)\b", re.I)
_STAYS_PUT = re.compile(
    r"\b(?:neighbor|owner|staff|clerk|parent|resident|cook|worker|manager|guard|driver"
    r"|bartender|employee|member|cashier|barista|carrier|aide|officer)\b",
    re.I,
)


def may_be_lost(caller: Mapping) -> bool:
    """A caller who may not know where they are: a stranger passing through, not someone
    who works, lives or spends their days there (a bus driver knows the stop)."""
    return caller.get("relation") == "stranger" and not _STAYS_PUT.search(
        str(caller.get("role") or "")
    )


def rule_kind(data: Mapping) -> list[tuple[str, str]]:
    """A caller who does not know where they are names no street of the area the phone
    system gives; a dropped call's opening stops mid-sentence and the call back goes on."""
    call = data.get("call") or {}
    caller = call.get("caller") or {}
    found = []
    if caller.get("knows_location") is False:
        match = _ALI_STREETS.search(str(call.get("ali") or ""))
        streets = [s.strip() for s in match.groups()] if match else []
        for line in caller_lines(data):
            for street in streets:
                if street and street in line.text:
                    found.append(
                        (line.where, f"a caller who does not know where they are names {street}")
                    )
        if not may_be_lost(caller):
            found.append(("role", f"a {caller.get('role')} does not know where they are"))
    if call.get("medium") == "text":
        for line in caller_lines(data):
            said = SPOKEN.search(line.text)
            if said:
                found.append((line.where, f"a text says '{said.group(0)}'"))
    if caller.get("can_speak_freely") is False:
        for line in caller_lines(data):
            if line.ask and len(line.text.split()) > GUARDED_WORDS:
                found.append(
                    (
                        line.where,
                        f"a caller who cannot speak freely says {len(line.text.split())} "
                        f"words (at most {GUARDED_WORDS})",
                    )
                )
    if caller.get("age") == "child":
        for line in caller_lines(data):
            said = GROWN_UP.search(line.text)
            if said:
                found.append((line.where, f"a child says '{said.group(0)}'"))
    if call.get("connection") and not (call.get("when_called_back") or {}).get("answer"):
        found.append(("opening", "the line goes dead but nothing is said on the call back"))
    return found


# ----------------------------------------------------------------------------- variety

_WEARING = re.compile(
    r"\b(?:wearing|has|had|in) ((?:an? |some |a pair of )?[a-z' -]+?)(?: on)?(?:[.,;]|$)", re.I
)
_GARMENT = re.compile(
    r"\b(?:hoodie|jacket|coat|shirt|t-shirt|shorts|jeans|pants|sweatpants|windbreaker|cap|hat"
    r"|dress|sweater|vest|uniform|scrubs|parka|fleece|overalls|tracksuit|skirt|boots|beanie"
    r"|cardigan|blazer|poncho|sweatshirt)\b",
    re.I,
)


def clothing_of(description: str) -> str | None:
    """The clothing named in a description answer ("a gray hoodie and jeans"), or None."""
    for match in _WEARING.finditer(description):
        phrase = match.group(1).strip().lower()
        if _GARMENT.search(phrase):
            return phrase
    return None


def variety_cap(count: int) -> int:
    """How many calls of a batch of ``count`` may share one description or opening."""
    return max(3, math.ceil(0.06 * count))


def rule_variety(items: Sequence[LintItem]) -> list[Finding]:
    """Descriptions and openings repeated in more calls of a batch than chance allows."""
    cap = variety_cap(len(items))
    found: list[Finding] = []
    for what, pick in (
        ("description", lambda data: _clothing(data)),
        ("opening", lambda data: caller_lines(data)[0].text or None),
    ):
        seen: dict[str, list[LintItem]] = defaultdict(list)
        for item in items:
            value = pick(item.data)
            if value:
                seen[value].append(item)
        for value, holders in seen.items():
            if len(holders) > cap:
                item = holders[cap]
                where = "description" if what == "description" else "opening"
                shown = value if len(value) <= 60 else value[:57] + "..."
                found.append(
                    Finding(
                        item.file,
                        _line_no(item.text, where),
                        f"variety: {what} '{shown}' in {len(holders)} of {len(items)} calls "
                        f"(at most {cap} in a batch this size)",
                    )
                )
    return found


def _clothing(data: Mapping) -> str | None:
    for line in caller_lines(data):
        if line.ask == "description":
            return clothing_of(line.text)
    return None


# ----------------------------------------------------------------------------- running

CALL_RULES: tuple[tuple[str, Callable[[Mapping], list[tuple[str, str]]]], ...] = (
    ("time", rule_time),
    ("role", rule_role),
    ("one-fact", rule_one_fact),
    ("opener", rule_opener),
    ("herring", rule_herring),
    ("grounded", rule_grounded),
    ("kind", rule_kind),
)


def check_call(
    item: LintItem, dispatch_model: str = "call_center_led", rules: Iterable[str] = RULES
) -> list[Finding]:
    """The coherence findings of one call (every rule but ``variety``)."""
    wanted = set(rules)
    found: list[tuple[str, str, str]] = []
    _READING[0], _READING[1] = item.data, _read_lines(item.data)
    try:
        for name, rule in CALL_RULES:
            if name in wanted:
                found += [(name, where, message) for where, message in rule(item.data)]
        if "model" in wanted:
            found += [("model", w, m) for w, m in rule_model(item.data, dispatch_model)]
    finally:
        _READING[0], _READING[1] = None, []
    return [
        Finding(item.file, _line_no(item.text, where), f"{name}: {where}: {message}")
        for name, where, message in found
    ]


def check_batch(
    items: Iterable[LintItem],
    dispatch_model: str = "call_center_led",
    rules: Iterable[str] = RULES,
) -> list[Finding]:
    """Every coherence finding over a batch: each call on its own, then the variety rule."""
    items = list(items)
    wanted = set(rules)
    found = [f for item in items for f in check_call(item, dispatch_model, wanted)]
    if "variety" in wanted:
        found += rule_variety(items)
    return found


def summary(findings: Iterable[Finding]) -> Counter[str]:
    """Findings counted per rule (the word before the first colon of each message)."""
    return Counter(f.message.split(":", 1)[0] for f in findings)
