"""Certification tracks: the rules of one track, resolved per dispatch model.

A track is one YAML file in ``content/certifications``; :mod:`.validation` reads and
checks it and builds the frozen :class:`Track` defined here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.protocol import DISPATCH_MODELS, DISQUALIFIERS
from app.errors import UserError

FORMAT = 1
DEFAULT_ROOT = Path(__file__).resolve().parents[3] / "content" / "certifications"
PARTS = ("questions", "disqualifiers", "call_type", "disposition", "time")
# Routes that exist only under one dispatch model.
MODEL_ROUTES = {
    "embedded_professional": "embedded_professional",
    "external_hotline": "external_hotline",
}


class TrackError(UserError):
    """A track file does not follow the format; ``problems`` holds every FILE:LINE line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


# ----------------------------------------------------------------------------- the track


@dataclass(frozen=True)
class PracticeRule:
    min_calls: int
    min_average: float
    average_of_last: int | None  # None: every practice call


@dataclass(frozen=True)
class Stratify:
    each_disqualifier: int = 0
    no_disqualifier: int = 0
    groups: Mapping[str, int] = field(default_factory=dict)
    channels: Mapping[str, int] = field(default_factory=dict)
    dispositions: Mapping[str, int] = field(default_factory=dict)

    def requirements(self) -> dict[str, int]:
        """Feature name -> minimum number of exam calls with it (zeros left out)."""
        need: dict[str, int] = {}
        if self.each_disqualifier:
            for code in DISQUALIFIERS:
                need[f"disqualifier:{code}"] = self.each_disqualifier
        if self.no_disqualifier:
            need["no_disqualifier"] = self.no_disqualifier
        for prefix, mapping in (
            ("group", self.groups),
            ("channel", self.channels),
            ("disposition", self.dispositions),
        ):
            for name, count in mapping.items():
                if count:
                    need[f"{prefix}:{name}"] = count
        return need


@dataclass(frozen=True)
class ExamRules:
    calls: int
    pass_mark: int
    max_critical: int
    min_passed_calls: int
    part_minimums: Mapping[str, float]
    retake_wait_hours: int
    stratify: Stratify


@dataclass(frozen=True)
class RenewalRule:
    window_days: int
    grace_days: int
    lookback_months: int
    min_calls: int
    min_average: float
    max_critical: int


@dataclass(frozen=True)
class Track:
    """One certification track, resolved for one dispatch model (``model``; None = base)."""

    id: str
    title: str
    summary: str
    validity_months: int
    modules: tuple[str, ...] | str  # "all" or module slugs
    knowledge_checks: bool
    practice: PracticeRule
    exam: ExamRules
    renewal: RenewalRule | None
    model: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    variants: Mapping[str, Track] = field(default_factory=dict, compare=False, repr=False)

    def for_model(self, model: str) -> Track:
        """The track as it applies under ``model`` (the model's section merged in)."""
        if model in self.variants:
            return self.variants[model]
        if self.model is None and model in DISPATCH_MODELS:
            return _with_model(self, model)
        return self

    def snapshot(self) -> dict:
        """The resolved rules as plain data (stored with an exam; see :func:`track_from_snapshot`)."""
        return {"model": self.model, "rules": _plain(self.raw)}


def _with_model(track: Track, model: str) -> Track:
    return Track(**{**track.__dict__, "model": model, "variants": {}})


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
