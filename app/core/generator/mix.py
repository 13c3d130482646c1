"""Which call types a generation run draws, and how often.

A mix maps a call-type group (``conflict``, ``behavioral_health``, ...) or a call type
code (``NOISE_COMPLAINT``) to a weight. A key's weight is shared evenly by the templates
it matches; a template matched by several keys adds their shares.

Keys ``kind:<name>`` set the share (0 to 1) of a kind of call laid over the written calls
(``kind:dropped: 0.1``; see :mod:`app.core.generator.kinds`); a mix that names no kind gets
the default shares, and ``kind:none: 1`` turns them all off. Keys ``language:<code>`` set
the share (0 to 1) of callers in that language (``language:es: 0.25``): the templates
written in it share that part of the batch, the English ones the rest. Without such a
key, templates in another language take their place in the mix like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from app.core.generator.kinds import DEFAULT_SHARES, KINDS
from app.core.generator.templates.model import LANGUAGES
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
        if key.startswith("language:"):
            code = key.split(":", 1)[1]
            if code not in LANGUAGES or code == "en":
                others = ", ".join(c for c in LANGUAGES if c != "en")
                raise MixError(f"mix key {key}: the languages are {others}")
            if weight > 1:
                raise MixError(f"mix key {key}: a language's share is from 0 to 1")
        if key.startswith("kind:"):
            name = key.split(":", 1)[1]
            if name not in (*KINDS, "none"):
                raise MixError(f"mix key {key}: the kinds are {', '.join(KINDS)} (or none)")
            if weight > 1:
                raise MixError(f"mix key {key}: a kind's share is from 0 to 1")
        mix[key] = float(weight)
    if sum(w for k, w in mix.items() if ":" not in k) <= 0:
        raise MixError("the mix needs at least one positive weight")
    if sum(w for k, w in mix.items() if k.startswith("kind:") and k != "kind:none") > 1:
        raise MixError("the kinds' shares add up to more than 1")
    if sum(w for k, w in mix.items() if k.startswith("language:")) > 1:
        raise MixError("the languages' shares add up to more than 1")
    return mix


def language_weights(
    weights: list[float], templates: tuple, mix: Mapping[str, float]
) -> list[float]:
    """The template weights with each ``language:<code>`` share applied: the templates in
    that language (those the mix draws, else all of them, evenly) get that share of the
    batch, and the English ones what is left."""
    shares = {k.split(":", 1)[1]: w for k, w in mix.items() if k.startswith("language:")}
    if not shares:
        return weights
    total = sum(weights)
    out = list(weights)
    english = [i for i, t in enumerate(templates) if t.language == "en"]
    for code, share in shares.items():
        chosen = [i for i, t in enumerate(templates) if t.language == code]
        if not chosen:
            raise MixError(f"mix key language:{code}: no call template is written in {code}")
        drawn = [i for i in chosen if weights[i] > 0] or chosen
        base = sum(weights[i] for i in drawn)
        for i in chosen:
            out[i] = 0.0
        for i in drawn:
            part = weights[i] / base if base else 1 / len(drawn)
            out[i] = share * total * part
    rest = 1 - sum(shares.values())
    english_total = sum(weights[i] for i in english)
    for i in english:
        out[i] = rest * total * weights[i] / english_total if english_total else 0.0
    if sum(out) <= 0:
        raise MixError("the mix needs at least one positive weight")
    return out


def kind_shares(mix: Mapping[str, float]) -> dict[str, float]:
    """The share of each kind of call a mix asks for (the defaults when it names none)."""
    named = {k.split(":", 1)[1]: w for k, w in mix.items() if k.startswith("kind:")}
    if not named:
        return dict(DEFAULT_SHARES)
    return {kind: named.get(kind, 0.0) for kind in KINDS}


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
        if ":" in key:
            continue  # a kind or language share, not a call type
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
