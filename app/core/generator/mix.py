"""Which call types a generation run draws, and how often.

A mix maps a call-type group (``conflict``, ``behavioral_health``, ...) or a call type
code (``NOISE_COMPLAINT``) to a weight. A key's weight is shared evenly by the templates
it matches; a template matched by several keys adds their shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from app.errors import UserError

# Low-risk conflict calls outnumber behavioural-health calls (CAP fact sheet), so the
# default mix draws them most; a few ineligible calls keep the disqualifiers honest.
DEFAULT_MIX: dict[str, float] = {
    "conflict": 45,
    "behavioral_health": 18,
    "welfare": 22,
    "violent": 9,
    "medical_emergency": 6,
}


class MixError(UserError):
    """A mix (file or mapping) is not usable."""


def load_mix(path: str | Path) -> dict[str, float]:
    """Read a YAML mix file ``{call_type_or_group: weight}``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MixError(f"cannot read mix file {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        raise MixError(f"mix file {path} is not valid YAML") from None
    if not isinstance(raw, Mapping):
        raise MixError(f"mix file {path} must map call types or groups to weights")
    return check_mix(raw)


def check_mix(raw: Mapping[Any, Any]) -> dict[str, float]:
    mix: dict[str, float] = {}
    for key, weight in raw.items():
        if not isinstance(key, str):
            raise MixError(f"mix key {key!r} is not a call type or group name")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise MixError(f"mix weight for {key} must be a number >= 0")
        mix[key] = float(weight)
    if not mix or sum(mix.values()) <= 0:
        raise MixError("the mix needs at least one positive weight")
    return mix


def template_weights(
    mix: Mapping[str, float], templates: tuple, groups: Mapping[str, str]
) -> list[float]:
    """One weight per template (in the templates' order) from a mix.

    ``groups`` maps a call type code to its group. A key matching no template is an error,
    so a typo never silently drops a share of the calls.
    """
    weights = [0.0] * len(templates)
    known_groups = sorted(set(groups.values()))
    for key in sorted(mix):
        weight = mix[key]
        if key not in groups and key not in known_groups:
            raise MixError(
                f"unknown call type or group {key!r} in the mix "
                f"(groups: {', '.join(known_groups)}; or a call type code like NOISE_COMPLAINT)"
            )
        if key in groups:
            matched = [i for i, t in enumerate(templates) if t.call_type == key]
            what = "call type"
        else:
            matched = [i for i, t in enumerate(templates) if groups.get(t.call_type) == key]
            what = "group"
        if not matched:
            raise MixError(f"no call template for {what} {key!r} in the mix")
        for i in matched:
            weights[i] += weight / len(matched)
    if sum(weights) <= 0:
        raise MixError("the mix needs at least one positive weight")
    return weights
