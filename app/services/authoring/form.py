"""The editor's form: the fields a trainer may fill in without writing YAML."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.core.generator.dump import dump_scenario
from app.core.yaml_safe import YamlError, load_yaml
from app.errors import UserError

# ------------------------------------------------------------------ the editor's form

FORM_FIELDS = (
    "title",
    "module",
    "difficulty",
    "initial_call_type",
    "opening",
    "disqualifiers",
    "call_type",
    "priority",
    "disposition",
    "acceptable",
    "unsafe",
    "required_questions",
    "rationale",
)


def _raw_mapping(text: str) -> dict:
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        raise UserError(f"line {exc.line}: {exc.message}") from None
    if doc.issues or not isinstance(doc.value, dict):
        raise UserError("Fix the YAML first: the form needs a readable scenario.")
    return doc.value


def form_values(text: str) -> dict:
    """The form's fields read from a YAML text (raises UserError when unreadable)."""
    raw = _raw_mapping(text)

    def section(value: Any) -> dict:
        return value if isinstance(value, dict) else {}

    def listed(value: Any) -> list[str]:
        return [str(v) for v in value] if isinstance(value, list) else []

    call, expert = section(raw.get("call")), section(raw.get("expert"))
    exchanges = call.get("exchanges")
    exchanges = exchanges if isinstance(exchanges, list) else []
    return {
        "title": str(raw.get("title") or ""),
        "module": str(raw.get("module") or ""),
        "difficulty": raw.get("difficulty") if isinstance(raw.get("difficulty"), int) else None,
        "initial_call_type": str(call.get("initial_call_type") or ""),
        "opening": " ".join(str(call.get("opening") or "").split()),
        "disqualifiers": listed(expert.get("disqualifiers")),
        "call_type": str(expert.get("call_type") or ""),
        "priority": expert.get("priority") if isinstance(expert.get("priority"), int) else None,
        "disposition": str(expert.get("disposition") or ""),
        "acceptable": listed(expert.get("acceptable")),
        "unsafe": listed(expert.get("unsafe")),
        "required_questions": listed(expert.get("required_questions")),
        "rationale": " ".join(str(expert.get("rationale") or "").split()),
        "exchange_ids": [
            str(e.get("ask") or e.get("id"))
            for e in exchanges
            if isinstance(e, dict) and (e.get("ask") or e.get("id"))
        ],
    }


def apply_form(text: str, values: Mapping) -> str:
    """The YAML text with the form's fields applied.

    The text is rewritten in the standard layout (the generator's writer): keys keep
    their order, comments are dropped. Empty optional fields are left out.
    """
    raw = _raw_mapping(text)
    call = raw.setdefault("call", {})
    expert = raw.setdefault("expert", {})
    if not isinstance(call, dict) or not isinstance(expert, dict):
        raise UserError("Fix the YAML first: call and expert must be mappings.")
    for name in ("title", "module", "difficulty"):
        if name in values:
            raw[name] = values[name]
    for name in ("initial_call_type", "opening"):
        if name in values:
            call[name] = values[name]
    for name in (
        "disqualifiers",
        "call_type",
        "disposition",
        "required_questions",
        "rationale",
    ):
        if name in values:
            expert[name] = list(values[name]) if isinstance(values[name], list) else values[name]
    for name in ("priority", "acceptable", "unsafe"):
        if name not in values:
            continue
        value = values[name]
        if value in (None, "", []):
            expert.pop(name, None)
        else:
            expert[name] = list(value) if isinstance(value, list) else value
    if values.get("difficulty") is None:
        raw.pop("difficulty", None)
    return dump_scenario(raw)
