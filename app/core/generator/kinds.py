"""Kinds of call beyond the plain voice call (scenario format 3.9), laid over a written call.

A generated call is first written as an ordinary voice call; then, for a share of the
calls, one kind is laid over it:

- ``dropped`` / ``hang_up``: the line goes dead in the middle of the opening; the call
  back (``call.when_called_back``) picks up where it stopped;
- ``text``: a text-to-911 conversation (``call.medium: text``), with the slower time
  target typing needs (at least 180 seconds);
- ``repeat``: a caller who has called about this before (``call.prior_calls``, one to
  three earlier calls, newest first);
- ``lost``: a caller who does not know where they are (``caller.knows_location: false``):
  the phone system gives an area (``call.ali``) and the caller gives landmarks.

A kind is drawn from its own random stream, so the words of the call are the same with or
without it. A kind that does not fit a call (a lost caller who names the street in the
opening, a repeat of an emergency) is left out for that call, so a kind's share of a batch
is at most the share asked for. Callers in another language, child callers and callers who
cannot speak freely need words of their own and are not laid over English calls.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping

from app.core.generator.coherence import may_be_lost

KINDS = ("dropped", "hang_up", "text", "repeat", "lost")
# Shares of a batch when the mix names none (each kind at most this share).
DEFAULT_SHARES: dict[str, float] = {
    "dropped": 0.04,
    "hang_up": 0.03,
    "text": 0.04,
    "repeat": 0.08,
    "lost": 0.05,
}
TEXT_TARGET_SECONDS = 180
_KIND_SALT = 0x6B1D_5EED  # the kind's own random stream
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

PICK_UP = {
    "dropped": (
        "Hello? Sorry, the call dropped.",
        "Hi, yes, sorry, my phone cut out.",
        "Hello? I lost you there, sorry.",
    ),
    "hang_up": (
        "Hello? Sorry, I hung up by accident.",
        "Yes, hi. Sorry, I hung up, somebody was talking to me.",
        "Hello? Sorry about that, I pressed the wrong button.",
    ),
}
OUTCOMES = (
    "Community responders talked with everyone and left.",
    "Settled on the phone.",
    "Gone before the team arrived.",
    "The team checked in and nobody needed to go anywhere.",
)
REPEAT_GROUPS = frozenset({"conflict", "welfare", "behavioral_health"})
LANDMARKS = (
    "a gas station with a red sign",
    "a laundromat next to a bus shelter",
    "a church with a tall white steeple",
    "a big grocery store across the road",
    "a school with a chain-link fence",
    "a pharmacy with a green sign on the corner",
    "a car wash and a tire shop",
)
LOST_WORDS = (
    "I don't know the name of the street, I'm not from around here. I can see {landmark}.",
    "I'm not sure where I am exactly. There's {landmark} right here.",
    "I don't know the address, sorry. I can see {landmark} from where I am.",
)


def draw_kind(seed: int, shares: Mapping[str, float]) -> str | None:
    """The kind of one call (or None, a plain voice call), from the call's seed."""
    point = random.Random(seed ^ _KIND_SALT).random()
    for kind in KINDS:
        point -= shares.get(kind, 0.0)
        if point < 0:
            return kind
    return None


def apply_kind(
    kind: str | None,
    seed: int,
    call: dict,
    expert: dict,
    *,
    title: str,
    group: str,
    streets: tuple[str, str],
) -> str | None:
    """Lay ``kind`` over the rendered ``call`` and ``expert`` (in place); the kind laid, or
    None when it does not fit this call."""
    if kind is None or (call.get("caller") or {}).get("language", "en") != "en":
        return None  # a kind's words are English: not laid over a call in another language
    rng = random.Random((seed ^ _KIND_SALT) + 1)
    if kind in ("dropped", "hang_up"):
        if call.get("channel") not in ("911", "non_emergency"):
            return None
        _dropped(kind, call, rng)
    elif kind == "text":
        if call.get("channel") != "911":
            return None
        call["medium"] = "text"
        _typed(call)
        target = int(expert.get("time_target_seconds") or 0)
        expert["time_target_seconds"] = max(TEXT_TARGET_SECONDS, 2 * target)
    elif kind == "repeat":
        if group not in REPEAT_GROUPS or expert.get("disqualifiers"):
            return None
        if (call.get("caller") or {}).get("age") == "child":
            return None  # a child's call is not one more in a series
        _repeat(call, rng, title)
    elif kind == "lost":
        if not may_be_lost(call.get("caller") or {}) or not _lost(call, rng, streets):
            return None
    else:
        raise ValueError(f"unknown kind of call {kind!r}")
    return kind


# Words a texter does not type: they are not calling.
TYPED = (
    (re.compile(r"\bI'm calling\b"), "I'm texting"),
    (re.compile(r"\bcalling (about|from)\b"), r"texting \1"),
    (re.compile(r"\b(?:um|uh)\b[.,]?\s*", re.I), ""),
)


def _typed(call: dict) -> None:
    def typed(text: str) -> str:
        for pattern, words in TYPED:
            text = pattern.sub(words, text)
        return text

    call["opening"] = typed(call["opening"])
    for exchange in call.get("exchanges") or []:
        exchange["answer"] = typed(exchange["answer"])


def _dropped(kind: str, call: dict, rng: random.Random) -> None:
    sentences = _SENTENCE.split(call["opening"])
    first, rest = sentences[0], " ".join(sentences[1:])
    words = first.split()
    keep = max(3, (2 * len(words)) // 3)
    said = " ".join(words[:keep]).rstrip(",.!?;:")
    call["opening"] = f"{said}—"
    pick_up = PICK_UP[kind][rng.randrange(len(PICK_UP[kind]))]
    again = " ".join(part for part in (pick_up, first, rest) if part)
    call["connection"] = kind
    call["when_called_back"] = {"who": "the same caller", "answer": again}


def _repeat(call: dict, rng: random.Random, title: str) -> None:
    earlier = rng.choice((1, 1, 2, 3))
    days = sorted(rng.sample(range(1, 40), earlier))
    what = title[:1].lower() + title[1:]
    entries = []
    context = call.get("context") or {}
    told = context.pop("prior_calls", None)  # the template's own history, as one entry
    if told:
        entries.append({"when": "earlier", "what": told})
    for day in days:
        when = "yesterday" if day == 1 else f"{day} days ago"
        hour = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
        entries.append(
            {
                "when": f"{when} {hour}",
                "what": f"Same caller, same address: {what}.",
                "outcome": OUTCOMES[rng.randrange(len(OUTCOMES))],
            }
        )
    call["prior_calls"] = entries


def _lost(call: dict, rng: random.Random, streets: tuple[str, str]) -> bool:
    """A caller who cannot say where they are; False when the call names its streets."""
    if not call.get("location"):
        return False
    exchanges = call.get("exchanges") or []
    said = [call.get("opening", "")] + [
        e.get("answer", "") for e in exchanges if e.get("ask") != "address"
    ]
    if any(street and street in text for street in streets for text in said):
        return False
    for exchange in exchanges:
        if exchange.get("ask") == "address":
            landmark = LANDMARKS[rng.randrange(len(LANDMARKS))]
            words = LOST_WORDS[rng.randrange(len(LOST_WORDS))]
            exchange["answer"] = words.format(landmark=landmark)
            break
    else:
        return False
    radius = rng.choice((150, 300, 500))
    street, cross = streets
    call["caller"]["knows_location"] = False
    call["ali"] = f"Wireless caller, within about {radius} meters of {street} and {cross}"
    return True
