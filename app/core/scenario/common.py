"""The scenario format's vocabulary and the small pieces every checker part shares.

Part of :mod:`app.core.scenario`; import from the package.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.core import grading

FORMAT = 1
ID_RE = re.compile(r"^[a-z0-9-]+$")
EXCHANGE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MAX_ID_LENGTH = 100
MAX_REQUIRED_QUESTIONS = 30
SCENARIO_SUFFIXES = (".yaml", ".yml")
SKIPPED_FOLDERS = ("templates",)

TOP_KEYS = (
    "format",
    "id",
    "version",
    "title",
    "module",
    "difficulty",
    "tags",
    "call",
    "expert",
    "checks",
)
TOP_REQUIRED = ("format", "id", "version", "title", "module", "call", "expert")
CALL_KEYS = (
    "channel",
    "time",
    "initial_call_type",
    "ali",
    "location",
    "caller",
    "opening",
    "exchanges",
    "context",
    "medium",
    "connection",
    "when_called_back",
    "prior_calls",
)
CALL_REQUIRED = ("initial_call_type", "opening")
CALLER_KEYS = (
    "role",
    "relation",
    "voice",
    "language",
    "age",
    "gender",
    "can_speak_freely",
    "knows_location",
)
# Kinds of call (docs/scenario-format.md 3.9). These keys appear in the normalised data
# only when the file gives them; read them through app.core.scenario.kinds.
MEDIUMS = ("voice", "text")
CONNECTIONS = ("dropped", "hang_up")
CALLER_AGES = ("child", "teen", "adult", "older")
CALLER_GENDERS = ("female", "male")
CALLBACK_KEYS = ("who", "answer", "interpreted")
PRIOR_CALL_KEYS = ("when", "what", "outcome")
TEXT_MIN_TARGET_SECONDS = 180
MAX_GUARDED_WORDS = 15
EXCHANGE_KEYS = ("ask", "id", "question", "answer", "interpreted")
ENGLISH = "en"
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")  # a BCP 47 tag such as es, zh-Hant
EXPERT_KEYS = (
    "disqualifiers",
    "call_type",
    "priority",
    "disposition",
    "acceptable",
    "unsafe",
    "required_questions",
    "time_target_seconds",
    "evidence",
    "rationale",
    "by_model",
)
EXPERT_REQUIRED = (
    "disqualifiers",
    "call_type",
    "disposition",
    "required_questions",
    "rationale",
)
BY_MODEL_KEYS = grading.ROUTE_KEYS
CHECK_KEYS = ("answer", "model", "expect")
EXPECT_KEYS = ("score", "passed", "critical", "errors")


@dataclass(frozen=True)
class Problem:
    """One problem of one file. ``line`` is 1-based; 0 when no line applies."""

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario file that validated: its path, normalised data and original text."""

    path: str
    data: dict
    text: str


_MISSING = object()


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _quote(value: Any) -> str:
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"'{text}'"


def _suggest(value: str, allowed: Iterable[str]) -> str | None:
    """A likely meant code: the only one containing ``value``, else a close spelling."""
    allowed = list(allowed)
    containing = [a for a in allowed if len(value) >= 3 and value.lower() in a.lower()]
    if len(containing) == 1:
        return containing[0]
    close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.7)
    return close[0] if close else None


def exchange_id(exchange: Mapping) -> str | None:
    """The id an exchange answers to: its ``ask`` (protocol question) or its own ``id``."""
    ident = exchange.get("ask") or exchange.get("id")
    return ident if isinstance(ident, str) else None
