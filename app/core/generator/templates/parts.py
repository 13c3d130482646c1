"""Reading template files and the shared material (phrasebook, identities) they draw on.

Files are read through :func:`app.core.yaml_safe.read_yaml_file`, keys as written (``no:``
is the text ``"no"``); a problem is one line ``FILE:LINE: key: message``.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.core.generator.facts import FACT_VALUES
from app.core.generator.templates.model import (
    FACT_QUESTIONS,
    ITEM_STATES,
    PLACEHOLDERS,
    PLAIN_QUESTIONS,
    TEMPLATE_DIR,
    Identities,
    TemplateError,
)
from app.core.yaml_safe import YamlFile, read_yaml_file


def _fail(src: YamlFile, key: str, message: str) -> Exception:
    """``FILE:LINE: key: message`` (the line of ``key``, a dotted path such as ``callers[0]``)."""
    return src.fail(key, f"{key}: {message}" if key else message)


def _str_list(value: Any, src: YamlFile, key: str, allow_empty: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or (not value and not allow_empty):
        raise _fail(src, key, "must be a non-empty list of text")
    out = []
    for item in value:
        if item is None:
            item = ""
        if not isinstance(item, str):
            raise _fail(src, key, f"{item!r} is not text")
        out.append(item)
    return tuple(out)


def _weights(value: Any, allowed: tuple[str, ...], src: YamlFile, key: str) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise _fail(src, key, "must be a mapping of value -> weight")
    out = {}
    for name in allowed:  # keep a fixed order whatever the file's order
        if name in value:
            weight = value[name]
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
                raise _fail(src, f"{key}.{name}", "weight must be a number >= 0")
            out[name] = float(weight)
    unknown = [str(k) for k in value if str(k) not in allowed]
    if unknown:
        raise _fail(src, key, f"unknown value {unknown[0]!r} (one of: {', '.join(allowed)})")
    if sum(out.values()) <= 0:
        raise _fail(src, key, "needs at least one positive weight")
    return out


def _read(path: Path) -> YamlFile:
    """The file, read with its lines; keys as written (``no:`` and ``yes:`` are text)."""
    src = read_yaml_file(path, TemplateError, name=path.name, text_keys=True)
    if not isinstance(src.value, dict) or src.value.get("template") != 1:
        raise src.fail((), "not a call template (needs `template: 1`)")
    return src


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _check_placeholders(value: Any, src: YamlFile, key: str = "") -> None:
    if isinstance(value, str):
        try:
            names = _fields(value)
        except ValueError as exc:
            raise _fail(src, key, f"bad braces in {value!r}: {exc}") from None
        unknown = sorted(n for n in names if n not in PLACEHOLDERS)
        if unknown:
            raise _fail(src, key, f"unknown placeholder {{{unknown[0]}}} in {value!r}")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_placeholders(v, src, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_placeholders(v, src, f"{key}[{i}]")


def _fact_answers(raw: Any, fact: str, src: YamlFile, key: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise _fail(src, key, f"must be a mapping of {fact} value -> variants")
    allowed = FACT_VALUES[fact]
    out = {}
    for value, variants in raw.items():
        if value not in allowed:
            raise _fail(src, f"{key}.{value}", f"unknown {fact} value (one of: {allowed})")
        out[value] = _str_list(variants, src, f"{key}.{value}")
    return out


@functools.cache
def load_phrasebook(template_dir: Path = TEMPLATE_DIR) -> dict:
    """The shared phrasing (``_phrasebook.yaml``), checked."""
    src = _read(template_dir / "_phrasebook.yaml")
    raw = src.value
    if raw.get("kind") != "phrasebook":
        raise _fail(src, "kind", "must be phrasebook")
    _check_placeholders(raw, src)
    answers = raw.get("answers") or {}
    book: dict[str, Any] = {"answers": {}}
    for question, variants in answers.items():
        key = f"answers.{question}"
        if question in ("threats_self",):
            book["answers"][question] = _fact_answers(variants, "threat", src, key)
        elif question in FACT_QUESTIONS:
            book["answers"][question] = _fact_answers(variants, FACT_QUESTIONS[question], src, key)
        elif question == "relationship":
            book["answers"][question] = {
                rel: _str_list(v, src, f"{key}.{rel}") for rel, v in variants.items()
            }
        else:
            book["answers"][question] = _str_list(variants, src, key)
    book["items"] = {state: _items(raw["items"].get(state), src, state) for state in ITEM_STATES}
    book["threat_when"] = _str_list(raw.get("threat_when"), src, "threat_when")
    book["ages"] = _str_list(raw.get("ages"), src, "ages")
    book["clothing"] = _str_list(raw.get("clothing"), src, "clothing")
    return book


@functools.cache
def load_identities(template_dir: Path = TEMPLATE_DIR) -> Identities:
    """The identity profiles (``_identities.yaml``) used for names and twins."""
    src = _read(template_dir / "_identities.yaml")
    raw = src.value
    profiles = []
    seen = set()
    for i, profile in enumerate(raw.get("profiles") or []):
        key = f"profiles[{i}]"
        if not isinstance(profile, Mapping) or not profile.get("id"):
            raise _fail(src, key, "needs an id")
        if profile["id"] in seen:
            raise _fail(src, key, f"duplicate id {profile['id']!r}")
        seen.add(profile["id"])
        entry = {
            "id": str(profile["id"]),
            "weight": float(profile.get("weight", 1)),
            "accent": str(profile.get("accent") or ""),
            "neighborhoods": _str_list(profile.get("neighborhoods"), src, f"{key}.neighborhoods"),
            "kin": {str(k): str(v) for k, v in (profile.get("kin") or {}).items()},
            "faker": profile.get("names") == "faker",
        }
        if not entry["faker"]:
            for names in ("first_male", "first_female", "last"):
                entry[names] = _str_list(profile.get(names), src, f"{key}.{names}")
        profiles.append(entry)
    if len(profiles) < 2:
        raise _fail(src, "profiles", "needs at least two profiles (twins differ in identity)")
    return Identities(tuple(profiles))


def _items(entries: Any, src: YamlFile, state: str) -> tuple[dict, ...]:
    """Objects for one weapon state, each with ``item`` and ``note`` (and ``where`` unless
    in hand). ``menace`` (in hand only) marks an everyday object: the sentence showing it is
    held threateningly, added to the caller's answer (keying policy rule 7)."""
    key = f"items.{state}"
    if not isinstance(entries, list) or not entries:
        raise _fail(src, key, "in_hand|in_reach|out_of_reach|carried: list of items")
    for entry in entries:
        if not isinstance(entry, Mapping) or "item" not in entry or "note" not in entry:
            raise _fail(src, key, "each item needs `item` and `note`")
        if state != "in_hand" and "where" not in entry:
            raise _fail(src, key, "each item needs `where`")
        if "menace" in entry and state != "in_hand":
            raise _fail(src, key, "`menace` is only for items in hand")
    return tuple(dict(e) for e in entries)


def _plain_answers(raw: Any, src: YamlFile, key: str) -> dict[str, tuple[str, ...]]:
    """Answers a caller or a place gives in its own way (fact-free questions only)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(src, key, "must be a mapping of question -> variants")
    out = {}
    for question, variants in raw.items():
        if question not in PLAIN_QUESTIONS and question != "relationship":
            allowed = ", ".join((*PLAIN_QUESTIONS, "relationship"))
            raise _fail(src, f"{key}.{question}", f"only {allowed} here")
        out[question] = _str_list(variants, src, f"{key}.{question}")
    return out
