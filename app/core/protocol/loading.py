"""Building a protocol: the default file, then an agency's overrides (a mapping or a file).

A file is read through :func:`app.core.yaml_safe.read_yaml_file`; a problem in it is one
line ``FILE:LINE: message`` (:func:`_from_file`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.core.protocol.codes import (
    CALL_TYPE_GROUPS,
    CALL_TYPES,
    DISPATCH_MODELS,
    DISPOSITIONS,
    DISQUALIFIERS,
    ELIGIBLE_CALL_TYPES,
    POLICE_DISPOSITIONS,
    QUESTION_IDS,
)
from app.core.protocol.model import (
    NEUTRAL_ANSWER,
    CallType,
    DispatchModel,
    Disqualifier,
    Protocol,
    ProtocolError,
    Question,
    parse_hours,
)
from app.core.yaml_safe import read_yaml_file

DEFAULT_PROTOCOL_FILE = (
    Path(__file__).resolve().parents[3] / "content" / "protocols" / "default.yaml"
)
_CALL_TYPE_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _need(mapping: Any, where: str, keys: tuple = ()) -> dict:
    if not isinstance(mapping, Mapping):
        raise ProtocolError(f"{where} must be a mapping", keys)
    return dict(mapping)


def _text(value: Any, where: str, keys: tuple = ()) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(f"{where} must be non-empty text", keys)
    return value.strip()


MAX_PHRASINGS = 200  # per question, default and agency ones together
MAX_PHRASING_CHARS = 200


def _phrasings(
    value: Any, where: str, before: tuple[str, ...] = (), keys: tuple = ()
) -> tuple[str, ...]:
    """``before`` followed by the new phrasings of ``value`` (a list of text), no repeats."""
    if not isinstance(value, list):
        raise ProtocolError(f"{where} must be a list of text", keys)
    out = list(before)
    seen = {" ".join(p.lower().split()) for p in out}
    for number, item in enumerate(value, 1):
        text = _text(item, f"{where} item {number}", (*keys, number - 1))
        text = " ".join(text.split())
        if len(text) > MAX_PHRASING_CHARS:
            raise ProtocolError(
                f"{where} item {number} is longer than {MAX_PHRASING_CHARS} characters",
                (*keys, number - 1),
            )
        key = text.lower()
        if key not in seen:
            seen.add(key)
            out.append(text)
    if len(out) > MAX_PHRASINGS:
        raise ProtocolError(f"{where}: at most {MAX_PHRASINGS} phrasings per question", keys)
    return tuple(out)


def _only(mapping: Mapping, allowed: set[str], where: str, keys: tuple = ()) -> None:
    unknown = sorted((str(k), k) for k in mapping if k not in allowed)
    if unknown:
        name, key = unknown[0]
        raise ProtocolError(
            f"{where}: unknown key {name!r} (allowed: {', '.join(sorted(allowed))})",
            (*keys, key),
        )


def _build_default(raw: Any) -> Protocol:
    raw = _need(raw, "default protocol")
    _only(
        raw,
        {
            "format",
            "name",
            "dispatch_model",
            "hotline_hours",
            "dispatch_models",
            "common_dispositions",
            "dispositions",
            "disqualifiers",
            "call_type_groups",
            "call_types",
            "questions",
        },
        "default protocol",
    )
    common = raw["common_dispositions"]
    models = {}
    for code, spec in _need(
        raw["dispatch_models"], "dispatch_models", ("dispatch_models",)
    ).items():
        at = ("dispatch_models", code)
        spec = _need(spec, f"dispatch_models.{code}", at)
        routes = tuple(d for d in DISPOSITIONS if d in common or d in spec["extra_dispositions"])
        models[code] = DispatchModel(
            code,
            _text(spec["label"], code, (*at, "label")),
            _text(spec["description"], code, (*at, "description")),
            routes,
        )
    if tuple(models) != DISPATCH_MODELS:
        raise ProtocolError(
            "default protocol: dispatch_models must be exactly " + ", ".join(DISPATCH_MODELS),
            ("dispatch_models",),
        )
    dispositions = _need(raw["dispositions"], "dispositions", ("dispositions",))
    if set(dispositions) != set(DISPOSITIONS):
        raise ProtocolError(
            "default protocol: dispositions must be exactly the spec's codes", ("dispositions",)
        )
    involves_police = {c for c, spec in dispositions.items() if spec.get("involves_police")}
    if involves_police != POLICE_DISPOSITIONS:
        raise ProtocolError(
            "default protocol: involves_police does not match the code", ("dispositions",)
        )
    disqualifiers = {
        code: Disqualifier(
            code,
            _text(spec["label"], code, ("disqualifiers", code, "label")),
            _text(spec["description"], code, ("disqualifiers", code, "description")),
        )
        for code, spec in _need(raw["disqualifiers"], "disqualifiers", ("disqualifiers",)).items()
    }
    if tuple(disqualifiers) != DISQUALIFIERS:
        raise ProtocolError(
            "default protocol: disqualifiers must be exactly " + ", ".join(DISQUALIFIERS),
            ("disqualifiers",),
        )
    groups = {
        str(k): _text(v, k, ("call_type_groups", k))
        for k, v in _need(raw["call_type_groups"], "groups", ("call_type_groups",)).items()
    }
    if tuple(groups) != CALL_TYPE_GROUPS:
        raise ProtocolError(
            "default protocol: call_type_groups do not match the code", ("call_type_groups",)
        )
    call_types = {}
    for code, spec in _need(raw["call_types"], "call_types", ("call_types",)).items():
        call_types[code] = CallType(
            code,
            _text(spec["label"], code, ("call_types", code, "label")),
            bool(spec["eligible"]),
            spec["group"],
        )
    if set(call_types) != set(CALL_TYPES) or {
        c for c, t in call_types.items() if t.eligible
    } != set(ELIGIBLE_CALL_TYPES):
        raise ProtocolError("default protocol: call_types do not match the spec", ("call_types",))
    questions = {}
    for qid, spec in _need(raw["questions"], "questions", ("questions",)).items():
        at = ("questions", qid)
        spec = _need(spec, f"questions.{qid}", at)
        questions[qid] = Question(
            qid,
            _text(spec["text"], qid, (*at, "text")),
            _text(spec["default_answer"], qid, (*at, "default_answer")),
            _phrasings(
                spec.get("phrasings", []),
                f"default protocol: questions.{qid}.phrasings",
                keys=(*at, "phrasings"),
            ),
        )
    if tuple(questions) != QUESTION_IDS:
        raise ProtocolError("default protocol: questions do not match the spec", ("questions",))
    try:
        hours = parse_hours(raw.get("hotline_hours", "24/7"))
    except ValueError as exc:
        raise ProtocolError(f"default protocol: {exc}", ("hotline_hours",)) from None
    return Protocol(
        name=_text(raw["name"], "name", ("name",)),
        dispatch_model=raw["dispatch_model"],
        hotline_hours=hours,
        call_types=MappingProxyType(call_types),
        questions=MappingProxyType(questions),
        models=MappingProxyType(models),
        disqualifiers=MappingProxyType(disqualifiers),
        disposition_labels=MappingProxyType(
            {code: _text(dispositions[code]["label"], code) for code in DISPOSITIONS}
        ),
        groups=MappingProxyType(groups),
    )


def _from_file(path: str | Path, build: Callable[[Any], Protocol]) -> Protocol:
    """``build`` applied to a protocol file's value; any problem is ``FILE:LINE: message``."""
    src = read_yaml_file(path, ProtocolError)
    if not isinstance(src.value, Mapping):
        raise src.fail((), "a protocol file must be a mapping of keys")
    try:
        return build(src.value)
    except ProtocolError as exc:
        raise src.fail(exc.keys, str(exc)) from None


@functools.cache
def default_protocol() -> Protocol:
    """The default protocol (read once from ``content/protocols/default.yaml``)."""
    return _from_file(DEFAULT_PROTOCOL_FILE, _build_default)


OVERRIDE_KEYS = {
    "format",
    "name",
    "dispatch_model",
    "hotline_hours",
    "call_types",
    "questions",
    "labels",
}
LABEL_SECTIONS = {"dispositions", "disqualifiers", "dispatch_models", "call_type_groups"}


def _entries(
    raw: Mapping, section: str, code_pattern: re.Pattern, rule: str, allowed: set[str]
) -> Iterator[tuple[Any, dict, str, tuple]]:
    """(code, spec, where, keys) of each entry of an override section, its shape checked."""
    where = f"protocol override: {section}"
    for code, spec in _need(raw.get(section, {}), where, (section,)).items():
        at, keys = f"{where}.{code}", (section, code)
        if not isinstance(code, str) or not code_pattern.match(code):
            raise ProtocolError(f"{at}: {rule}", keys)
        spec = _need(spec, at, keys)
        _only(spec, allowed, at, keys)
        yield code, spec, at, keys


def _apply_overrides(base: Protocol, raw: Mapping) -> Protocol:
    where = "protocol override"
    _only(raw, OVERRIDE_KEYS, where)
    if "format" in raw and raw["format"] != 1:
        raise ProtocolError(f"{where}: format must be 1", ("format",))
    name = _text(raw["name"], f"{where}: name", ("name",)) if "name" in raw else base.name
    model = raw.get("dispatch_model", base.dispatch_model)
    if model not in DISPATCH_MODELS:
        raise ProtocolError(
            f"{where}: dispatch_model {model!r} is not one of {', '.join(DISPATCH_MODELS)}",
            ("dispatch_model",),
        )
    hours = base.hotline_hours
    if "hotline_hours" in raw:
        try:
            hours = parse_hours(raw["hotline_hours"])
        except ValueError as exc:
            raise ProtocolError(f"{where}: {exc}", ("hotline_hours",)) from None

    call_types = dict(base.call_types)
    for code, spec, at, keys in _entries(
        raw,
        "call_types",
        _CALL_TYPE_CODE,
        "a call type code is UPPER_CASE letters, digits and _",
        {"label", "eligible", "group"},
    ):
        old = call_types.get(code)
        if old is None and ("label" not in spec or "group" not in spec):
            raise ProtocolError(f"{at}: a new call type needs a label and a group", keys)
        label = (
            old.label
            if old is not None and "label" not in spec
            else _text(spec["label"], f"{at}.label", (*keys, "label"))
        )
        eligible = spec.get("eligible", old.eligible if old else False)
        if not isinstance(eligible, bool):
            raise ProtocolError(f"{at}.eligible must be true or false", (*keys, "eligible"))
        group = spec.get("group", old.group if old else None)
        if group not in CALL_TYPE_GROUPS:
            raise ProtocolError(
                f"{at}.group must be one of {', '.join(CALL_TYPE_GROUPS)}", (*keys, "group")
            )
        call_types[code] = CallType(code, label, eligible, group)

    questions = dict(base.questions)
    for qid, spec, at, keys in _entries(
        raw,
        "questions",
        _QUESTION_ID,
        "a question id is lower_case letters, digits and _",
        {"text", "default_answer", "phrasings"},
    ):
        old_question = questions.get(qid)
        if old_question is None and "text" not in spec:
            raise ProtocolError(f"{at}: a new question needs its text", keys)
        text = (
            old_question.text
            if old_question is not None and "text" not in spec
            else _text(spec["text"], f"{at}.text", (*keys, "text"))
        )
        default = (
            _text(spec["default_answer"], f"{at}.default_answer", (*keys, "default_answer"))
            if "default_answer" in spec
            else (old_question.default_answer if old_question else NEUTRAL_ANSWER)
        )
        phrasings = old_question.phrasings if old_question else ()
        if "phrasings" in spec:
            phrasings = _phrasings(
                spec["phrasings"], f"{at}.phrasings", phrasings, (*keys, "phrasings")
            )
        questions[qid] = Question(qid, text, default, phrasings)

    labels = _need(raw.get("labels", {}), f"{where}: labels", ("labels",))
    _only(labels, LABEL_SECTIONS, f"{where}: labels", ("labels",))
    disposition_labels = dict(base.disposition_labels)
    disqualifiers = dict(base.disqualifiers)
    models = dict(base.models)
    groups = dict(base.groups)
    for section, known in (
        ("dispositions", disposition_labels),
        ("disqualifiers", disqualifiers),
        ("dispatch_models", models),
        ("call_type_groups", groups),
    ):
        entries = _need(labels.get(section, {}), f"{where}: labels.{section}", ("labels", section))
        for code, label in entries.items():
            at, keys = f"{where}: labels.{section}.{code}", ("labels", section, code)
            if code not in known:
                raise ProtocolError(f"{at}: unknown code {code!r}", keys)
            label = _text(label, at, keys)
            if section == "dispositions":
                disposition_labels[code] = label
            elif section == "call_type_groups":
                groups[code] = label
            elif section == "disqualifiers":
                old_dq = disqualifiers[code]
                disqualifiers[code] = Disqualifier(code, label, old_dq.description)
            else:
                old_model = models[code]
                models[code] = DispatchModel(
                    code, label, old_model.description, old_model.dispositions
                )
    return Protocol(
        name=name,
        dispatch_model=model,
        hotline_hours=hours,
        call_types=MappingProxyType(call_types),
        questions=MappingProxyType(questions),
        models=MappingProxyType(models),
        disqualifiers=MappingProxyType(disqualifiers),
        disposition_labels=MappingProxyType(disposition_labels),
        groups=MappingProxyType(groups),
    )


def load_protocol(overrides: Mapping | str | Path | None = None) -> Protocol:
    """The default protocol, with an agency's overrides applied when given.

    ``overrides`` is a mapping or the path of a YAML file (see content/protocols/README.md).
    Raises :class:`ProtocolError` (a UserError) with one plain line when they are not usable.
    """
    base = default_protocol()
    if overrides is None:
        return base
    if isinstance(overrides, Mapping):
        return _apply_overrides(base, overrides)
    return _from_file(overrides, functools.partial(_apply_overrides, base))
