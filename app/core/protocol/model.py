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
