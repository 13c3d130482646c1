"""Running the rules: one call (:func:`check_call`), a batch (:func:`check_batch`) and
the findings counted per rule (:func:`summary`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping

from app.core.bank_lint import Finding, LintItem
from app.core.generator.coherence.call import _READING, _line_no, _read_lines
from app.core.generator.coherence.key import rule_grounded, rule_herring, rule_model, rule_opener
from app.core.generator.coherence.kind import rule_kind
from app.core.generator.coherence.one_fact import rule_one_fact
from app.core.generator.coherence.time_role import rule_role, rule_time
from app.core.generator.coherence.variety import rule_variety

RULES = ("time", "role", "one-fact", "opener", "herring", "grounded", "kind", "model", "variety")


CALL_RULES: tuple[tuple[str, Callable[[Mapping], list[tuple[str, str]]]], ...] = (
    ("time", rule_time),
    ("role", rule_role),
    ("one-fact", rule_one_fact),
    ("opener", rule_opener),
    ("herring", rule_herring),
    ("grounded", rule_grounded),
    ("kind", rule_kind),
)


def check_call(
    item: LintItem, dispatch_model: str = "call_center_led", rules: Iterable[str] = RULES
) -> list[Finding]:
    """The coherence findings of one call (every rule but ``variety``)."""
    wanted = set(rules)
    found: list[tuple[str, str, str]] = []
    _READING[0], _READING[1] = item.data, _read_lines(item.data)
    try:
        for name, rule in CALL_RULES:
            if name in wanted:
                found += [(name, where, message) for where, message in rule(item.data)]
        if "model" in wanted:
            found += [("model", w, m) for w, m in rule_model(item.data, dispatch_model)]
    finally:
        _READING[0], _READING[1] = None, []
    return [
        Finding(item.file, _line_no(item.text, where), f"{name}: {where}: {message}")
        for name, where, message in found
    ]


def check_batch(
    items: Iterable[LintItem],
    dispatch_model: str = "call_center_led",
    rules: Iterable[str] = RULES,
) -> list[Finding]:
    """Every coherence finding over a batch: each call on its own, then the variety rule."""
    items = list(items)
    wanted = set(rules)
    found = [f for item in items for f in check_call(item, dispatch_model, wanted)]
    if "variety" in wanted:
        found += rule_variety(items)
    return found


def summary(findings: Iterable[Finding]) -> Counter[str]:
    """Findings counted per rule (the word before the first colon of each message)."""
    return Counter(f.message.split(":", 1)[0] for f in findings)
