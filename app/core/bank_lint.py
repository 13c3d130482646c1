"""The keying policy's machine-checkable rules, run over a whole bank.

``content/keying-policy.md`` says in words how a call is keyed; this module checks the
parts a program can check, so that every hand-written and generated key follows them:

- every route of a key (best and acceptable, also per dispatch model) meets what each of
  the key's disqualifiers demands (police or EMS);
- a police-led route (police without a community team) is best or acceptable only where a
  disqualifier demands police, or no team is free (``responders_available: false``);
  tandem may be keyed without one (a fight that has stopped, a history of violence);
- a key has a priority; a key with ``medical`` is priority 1 and carries a call type
  that is not eligible for community responders (``MEDICAL_EMERGENCY`` or narrower);
- ``address`` and ``callback`` are required on every ``911`` and ``non_emergency`` call;
- every disqualifier of a key has its ``evidence`` (the caller line that reveals it);
- the rationale names each disqualifier in plain words;
- scenarios marked as having the same facts (tags ``same-facts:<group>``) or as
  counterfactual twins (``twin:<group>``) are keyed the same way.

:func:`lint_bank` adds the answers each caller can give (:mod:`app.core.answer_coverage`)
and, for generated calls (tag ``generated``), the coherence of what the caller says
(:mod:`app.core.generator.coherence`: time words, role, one fact per thing, openers, red
herrings, the dispatch model, variety across the batch).

Pure: it reads normalised scenario dicts (from :func:`app.core.scenario.load_paths` or
the generator) and returns findings; it never opens a file itself.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.core.protocol import (
    DISPATCH_MODELS,
    DISQUALIFIERS,
    POLICE_LED_DISPOSITIONS,
    SCREENED_CHANNELS,
    Protocol,
    demands_of,
    load_protocol,
    unmet_demands,
)

ALWAYS_REQUIRED = ("address", "callback")
GROUP_TAGS = ("same-facts:", "twin:")
# The parts of a key that must agree between scenarios with the same facts.
SAME_KEY_PARTS = ("disqualifiers", "call_type", "priority", "disposition", "acceptable")
# Words that name each disqualifier in a rationale (whole words, any case).
RATIONALE_WORDS: Mapping[str, tuple[str, ...]] = {
    "weapon": ("weapon", "weapons", "armed", "knife", "gun", "firearm"),
    "threat": ("threat", "threats", "threatened", "threatening", "threatens"),
    "medical": ("medical", "unresponsive", "overdose", "not breathing", "injury", "injured"),
    "police_only": (
        "police-only",
        "police only",
        "arrest",
        "custody",
        "evidence",
        "entry",
        "force entry",
    ),
}


@dataclass(frozen=True)
class Finding:
    """One finding: where (file and line of the key part) and what is wrong."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class LintItem:
    """A scenario to lint: its normalised data, the file it came from and its text (for
    line numbers; empty for generated calls kept in memory)."""

    data: Mapping
    file: str
    text: str = ""


def _line_of(text: str, key: str, after: str = "expert:") -> int:
    """1-based line of the first ``key:`` below ``after:`` in ``text`` (1 when unknown)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith(after)), 0)
    pattern = re.compile(rf"^\s*-?\s*{re.escape(key)}\s*:")
    for index in range(start, len(lines)):
        if pattern.match(lines[index]):
            return index + 1
    return start + 1 if lines else 1


def _names(rationale: str, code: str) -> bool:
    text = rationale.lower()
    return any(re.search(rf"\b{re.escape(word)}\b", text) for word in RATIONALE_WORDS[code])


def _routes(expert: Mapping) -> list[tuple[str, str, str]]:
    """(model or "", part, route) for every best and acceptable route of a key."""
    found = [("", "disposition", expert.get("disposition"))]
    found += [("", "acceptable", route) for route in expert.get("acceptable") or []]
    for model in DISPATCH_MODELS:
        entry = (expert.get("by_model") or {}).get(model) or {}
        if entry.get("disposition"):
            found.append((model, "disposition", entry["disposition"]))
        found += [(model, "acceptable", route) for route in entry.get("acceptable") or []]
    return [(model, part, route) for model, part, route in found if isinstance(route, str)]


def lint_scenario(item: LintItem, protocol: Protocol | None = None) -> list[Finding]:
    """The policy findings of one scenario (empty when it follows the policy)."""
    protocol = protocol or load_protocol()
    data, text = item.data, item.text
    expert = data.get("expert") or {}
    call = data.get("call") or {}
    disqualifiers = [d for d in DISQUALIFIERS if d in (expert.get("disqualifiers") or [])]
    found: list[Finding] = []

    def finding(key: str, message: str) -> None:
        found.append(Finding(item.file, _line_of(text, key), message))

    for model, part, route in _routes(expert):
        unmet = unmet_demands(route, disqualifiers)
        if unmet:
            where = f" under {model}" if model else ""
            finding(part, f"{part} '{route}'{where} does not meet what {', '.join(unmet)} demands")
    no_team = (call.get("context") or {}).get("responders_available") is False
    if "police" not in demands_of(disqualifiers) and not no_team:
        for model, part, route in _routes(expert):
            if route in POLICE_LED_DISPOSITIONS:
                where = f" under {model}" if model else ""
                finding(
                    part,
                    f"{part} '{route}'{where} sends police without a community team, but no "
                    "disqualifier of the key demands police (violence under way is a threat)",
                )
    priority = expert.get("priority")
    if priority is None:
        finding("call_type", "the key has no priority (policy: every key gives one)")
    if "medical" in disqualifiers:
        if priority not in (None, 1):
            finding("priority", f"a medical disqualifier is priority 1, not {priority}")
        call_type = expert.get("call_type")
        if isinstance(call_type, str) and protocol.eligible(call_type):
            finding(
                "call_type",
                f"call type {call_type} is eligible for community responders, but the call has "
                "an emergency medical need (MEDICAL_EMERGENCY, unless a narrower code fits)",
            )
    if (call.get("channel") or "911") in SCREENED_CHANNELS:
        required = set(expert.get("required_questions") or [])
        missing = [q for q in ALWAYS_REQUIRED if q not in required]
        if missing:
            finding(
                "required_questions",
                f"{' and '.join(missing)} must be required on a {call.get('channel') or '911'} "
                "call",
            )
    evidence = expert.get("evidence") or {}
    rationale = str(expert.get("rationale") or "")
    for code in disqualifiers:
        if code not in evidence:
            finding("evidence", f"'{code}' has no evidence (the exchange that reveals it)")
        if not _names(rationale, code):
            finding("rationale", f"the rationale does not name the '{code}' disqualifier")
    return found


def group_of(data: Mapping) -> list[str]:
    """The same-facts and twin groups a scenario belongs to (from its tags)."""
    return [
        tag for tag in data.get("tags") or [] if isinstance(tag, str) and tag.startswith(GROUP_TAGS)
    ]


def _key_signature(expert: Mapping) -> tuple:
    return tuple(
        tuple(sorted(expert.get(part) or []))
        if part in ("disqualifiers", "acceptable")
        else expert.get(part)
        for part in SAME_KEY_PARTS
    )


def lint_groups(items: Iterable[LintItem]) -> list[Finding]:
    """Scenarios that share a same-facts or twin group but are keyed differently."""
    groups: dict[str, list[LintItem]] = defaultdict(list)
    for item in items:
        for group in group_of(item.data):
            groups[group].append(item)
    found = []
    for group, members in sorted(groups.items()):
        first = members[0]
        want = _key_signature(first.data.get("expert") or {})
        for other in members[1:]:
            got = _key_signature(other.data.get("expert") or {})
            if got != want:
                parts = [
                    part for part, a, b in zip(SAME_KEY_PARTS, want, got, strict=True) if a != b
                ]
                found.append(
                    Finding(
                        other.file,
                        _line_of(other.text, "expert", after=""),
                        f"{group}: keyed differently from {first.data.get('id')} "
                        f"({', '.join(parts)})",
                    )
                )
    return found


def lint_policy(items: Iterable[LintItem], protocol: Protocol | None = None) -> list[Finding]:
    """The keying-policy findings alone: each scenario on its own, then the groups."""
    protocol = protocol or load_protocol()
    items = list(items)
    found = [f for item in items for f in lint_scenario(item, protocol)]
    return found + lint_groups(items)


def is_generated(data: Mapping) -> bool:
    """A call the generator wrote (it carries the tag ``generated``)."""
    return "generated" in (data.get("tags") or [])


def lint_coherence(items: Iterable[LintItem], protocol: Protocol | None = None) -> list[Finding]:
    """The coherence findings of the generated calls among ``items`` (as one batch), under
    the agency's dispatch model; see :mod:`app.core.generator.coherence`."""
    from app.core.generator.coherence import check_batch  # imports this module

    generated = [item for item in items if is_generated(item.data)]
    if not generated:
        return []
    protocol = protocol or load_protocol()
    return check_batch(generated, protocol.dispatch_model)


def lint_bank(items: Iterable[LintItem], protocol: Protocol | None = None) -> list[Finding]:
    """Every finding over a bank: each scenario on its own, the answers each caller can
    give, the groups, and the coherence of the generated calls."""
    protocol = protocol or load_protocol()
    items = list(items)
    found = [f for item in items for f in lint_scenario(item, protocol)]
    from app.core.answer_coverage import lint_all  # answered questions (imports this module)

    return found + lint_all(items, protocol) + lint_groups(items) + lint_coherence(items, protocol)
