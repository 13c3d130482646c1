"""The call as the rules read it: the caller's lines, the hour, and the line number
of a place in the YAML text for a finding."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


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
