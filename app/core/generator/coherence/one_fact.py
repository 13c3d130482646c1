"""The ``one-fact`` rule: one injury, weapon object, place, site, haul, relation,
substance story and outfit across the whole call."""

from __future__ import annotations

import re
from collections.abc import Mapping

from app.core.generator.coherence.call import caller_lines
from app.core.generator.coherence.time_role import _CLAIM
from app.core.generator.coherence.variety import clothing_of

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
