"""The ``kind`` rule: what a lost, texting, guarded or child caller cannot say, and a
dropped call that goes on when called back."""

from __future__ import annotations

import re
from collections.abc import Mapping

from app.core.generator.coherence.call import caller_lines

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
