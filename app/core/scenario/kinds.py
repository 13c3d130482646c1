"""Kinds of call a scenario can be (docs/scenario-format.md 3.9), read with their defaults.

The keys of 3.9 appear in a scenario's normalised data only when its file gives them,
and scenarios stored before they existed do not have them at all, so everything that
needs them reads them here. Pure: no Streamlit, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.core.scenario.common import ENGLISH

# The kinds the bank report counts, in the order it lists them, with a plain label.
KIND_LABELS: dict[str, str] = {
    "dropped_or_hang_up": "Dropped calls and hang-ups (call back)",
    "other_language": "Callers in another language",
    "child_caller": "Child callers",
    "location_unknown": "Callers who do not know where they are",
    "text": "Text-to-911 conversations",
    "repeat_caller": "Repeat and frequent callers",
    "cannot_speak_freely": "Callers who cannot speak freely",
}


@dataclass(frozen=True)
class CallKind:
    """How a call reaches the trainee and who is calling, with the format's defaults."""

    medium: str = "voice"
    connection: str | None = None
    when_called_back: Mapping[str, str] | None = None
    prior_calls: tuple[Mapping[str, str], ...] = ()
    language: str = ENGLISH
    age: str = "adult"
    gender: str | None = None
    can_speak_freely: bool = True
    knows_location: bool = True

    @property
    def is_text(self) -> bool:
        return self.medium == "text"

    @property
    def needs_callback(self) -> bool:
        """The line goes dead after the opening; nothing is answered before a call back."""
        return self.connection is not None

    @property
    def other_language(self) -> bool:
        return self.language.split("-")[0].lower() != ENGLISH

    def kinds(self) -> tuple[str, ...]:
        """The keys of :data:`KIND_LABELS` this call counts under."""
        found = {
            "dropped_or_hang_up": self.needs_callback,
            "other_language": self.other_language,
            "child_caller": self.age == "child",
            "location_unknown": not self.knows_location,
            "text": self.is_text,
            "repeat_caller": bool(self.prior_calls),
            "cannot_speak_freely": not self.can_speak_freely,
        }
        return tuple(kind for kind in KIND_LABELS if found[kind])


def _text(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value else default


def call_kind(scenario: Mapping | None) -> CallKind:
    """The :class:`CallKind` of a scenario dict (normalised data or a raw file's mapping)."""
    scenario = scenario if isinstance(scenario, Mapping) else {}
    call = scenario.get("call")
    call = call if isinstance(call, Mapping) else {}
    caller = call.get("caller")
    caller = caller if isinstance(caller, Mapping) else {}
    connection = call.get("connection")
    callback = call.get("when_called_back")
    prior = call.get("prior_calls")
    gender = caller.get("gender")
    return CallKind(
        medium=_text(call.get("medium"), "voice"),
        connection=connection if isinstance(connection, str) else None,
        when_called_back=dict(callback) if isinstance(callback, Mapping) else None,
        prior_calls=tuple(p for p in prior if isinstance(p, Mapping))
        if isinstance(prior, list | tuple)
        else (),
        language=_text(caller.get("language"), ENGLISH),
        age=_text(caller.get("age"), "adult"),
        gender=gender if isinstance(gender, str) else None,
        can_speak_freely=caller.get("can_speak_freely") is not False,
        knows_location=caller.get("knows_location") is not False,
    )
