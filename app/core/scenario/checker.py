"""The whole checker and :func:`parse_scenario`, which runs it on one text.

Part of :mod:`app.core.scenario`; import from the package.
"""

from __future__ import annotations

from typing import Any

from app.core.modules import MODULE_SLUGS  # the one list of module slugs
from app.core.protocol import Protocol, load_protocol
from app.core.scenario.call import _CallChecks
from app.core.scenario.common import (
    _MISSING,
    FORMAT,
    ID_RE,
    MAX_ID_LENGTH,
    TOP_KEYS,
    TOP_REQUIRED,
    Problem,
    _quote,
    _suggest,
)
from app.core.scenario.expert import _ExpertChecks
from app.core.scenario.rules import _RuleChecks
from app.core.yaml_safe import YamlError, load_yaml


class _Checker(_CallChecks, _ExpertChecks, _RuleChecks):
    """Walks one parsed document, collecting problems and building normalised data.

    The reporting and generic readers are in :class:`.readers._Readers`; each section of
    the format has its mixin (:mod:`.call`, :mod:`.expert`, :mod:`.rules`).
    """

    # -- the scenario

    def scenario(self, raw: Any) -> dict | None:
        if not isinstance(raw, dict):
            self.report((), "a scenario must be a mapping of keys (format, id, call, expert, ...)")
            return None
        self.keys((), raw, TOP_KEYS, TOP_REQUIRED)
        data: dict[str, Any] = {}
        if "format" in raw:
            fmt = raw["format"]
            if isinstance(fmt, bool) or fmt != FORMAT:
                self.report(
                    ("format",), f"format must be {FORMAT} (the format this platform reads)"
                )
            data["format"] = FORMAT
        if "id" in raw:
            ident = self.text(("id",), raw["id"])
            if ident is not _MISSING:
                if not ID_RE.match(ident):
                    self.report(("id",), f"id {_quote(ident)} may use only a-z, 0-9 and -")
                elif len(ident) > MAX_ID_LENGTH:
                    self.report(("id",), f"id is longer than {MAX_ID_LENGTH} characters")
            data["id"] = ident
        if "version" in raw:
            data["version"] = self.integer(("version",), raw["version"], 1, None)
        if "title" in raw:
            data["title"] = self.text(("title",), raw["title"])
        if "module" in raw:
            module = self.text(("module",), raw["module"])
            if module is not _MISSING and module not in MODULE_SLUGS:
                hint = _suggest(module, MODULE_SLUGS)
                extra = f"; did you mean '{hint}'?" if hint else ""
                self.warn(("module",), f"unknown module {_quote(module)}{extra}")
            data["module"] = module
        data["difficulty"] = None
        if raw.get("difficulty") is not None:
            data["difficulty"] = self.integer(("difficulty",), raw["difficulty"], 1, 5)
        data["tags"] = []
        if raw.get("tags") is not None:
            tags = self.list_of(("tags",), raw["tags"])
            if tags is not _MISSING:
                data["tags"] = []
                for index, tag in enumerate(tags):
                    tag = self.text(("tags", index), tag, what="a tag")
                    if tag is not _MISSING and tag not in data["tags"]:
                        data["tags"].append(tag)
        call = self.call(raw["call"]) if "call" in raw else None
        data["call"] = call
        exchanges = call["exchanges"] if isinstance(call, dict) else []
        data["expert"] = self.expert(raw["expert"], exchanges) if "expert" in raw else None
        data["checks"] = self.checks(raw["checks"]) if "checks" in raw else []
        if isinstance(call, dict) and isinstance(data["expert"], dict):
            self.routes(data)
            self.language(data)
            self.call_kinds(data)
        return data


def _contains_missing(value: Any) -> bool:
    if value is _MISSING:
        return True
    if isinstance(value, dict):
        return any(_contains_missing(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_missing(v) for v in value)
    return False


def parse_scenario(
    text: str | bytes, filename: str = "<text>", protocol: Protocol | None = None
) -> tuple[dict | None, list[Problem]]:
    """Validate one scenario text; return (normalised data or None, every problem).

    Data is None as soon as there is one error (warnings alone keep the data).
    """
    protocol = protocol or load_protocol()
    filename = str(filename)
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        return None, [Problem(filename, exc.line, exc.message)]
    problems = [Problem(filename, issue.line, issue.message) for issue in doc.issues]
    if any(issue.fatal for issue in doc.issues):
        return None, problems
    checker = _Checker(filename, doc, protocol)
    data = checker.scenario(doc.value)
    problems += checker.problems
    errors = any(p.is_error for p in problems)
    missing = data is not None and _contains_missing(data)  # checks never add a gap
    if data is not None and not errors and not missing:
        before = len(checker.problems)
        checker.run_checks(data)
        problems += checker.problems[before:]
    problems = sorted(set(problems), key=lambda p: (p.line, p.severity != "error", p.message))
    if data is None or any(p.is_error for p in problems) or missing:
        return None, problems
    return data, problems
