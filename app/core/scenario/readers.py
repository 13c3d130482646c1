"""The checker's base: reporting problems and the generic readers every section uses.

Part of :mod:`app.core.scenario`; import from the package.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.core.protocol import Protocol
from app.core.scenario.common import _MISSING, Problem, _dotted, _quote, _suggest
from app.core.yaml_safe import YamlDocument


class _Readers:
    """Walks one parsed document, collecting problems and building normalised data.

    This base holds the reporting and the generic readers; the sections of the format
    are checked by the mixins built on it (:mod:`.call`, :mod:`.expert`, :mod:`.rules`),
    put together as ``_Checker`` in :mod:`.checker`.
    """

    def __init__(self, filename: str, doc: YamlDocument, protocol: Protocol):
        self.filename = filename
        self.doc = doc
        self.protocol = protocol
        self.problems: list[Problem] = []
        self._seen: set[tuple[int, str]] = set()

    # -- reporting

    def line(self, path: tuple) -> int:
        return self.doc.line(path)

    def report(self, path: tuple, message: str, severity: str = "error", line: int = 0) -> None:
        line = line or self.line(path)
        if (line, message) in self._seen:
            return
        self._seen.add((line, message))
        self.problems.append(Problem(self.filename, line, message, severity))

    def warn(self, path: tuple, message: str) -> None:
        self.report(path, message, "warning")

    # -- generic readers (each returns _MISSING on a problem, after reporting it)

    def keys(self, path: tuple, mapping: dict, allowed: tuple, required: tuple = ()) -> None:
        where = _dotted(path) or "the scenario"
        for key in mapping:
            if key not in allowed:
                hint = _suggest(key, allowed)
                extra = f"; did you mean '{hint}'?" if hint else f" (allowed: {', '.join(allowed)})"
                self.report((*path, key), f"unknown key {_quote(key)} in {where}{extra}")
        for key in required:
            if key not in mapping:
                self.report(path, f"missing required key '{_dotted((*path, key))}'")

    def mapping(self, path: tuple, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        self.report(path, f"{_dotted(path)} must be a mapping of keys")
        return _MISSING

    def text(self, path: tuple, value: Any, *, what: str | None = None) -> Any:
        what = what or _dotted(path)
        if value is not None and not isinstance(value, str | list | dict):
            value = self.doc.plain_text.get(path, value)
        if not isinstance(value, str):
            if value is None:
                self.report(path, f"{what} must not be empty")
            else:
                self.report(path, f"{what} must be text")
            return _MISSING
        value = value.strip()
        if not value:
            self.report(path, f"{what} must not be empty")
            return _MISSING
        return value

    def code(self, path: tuple, value: Any, allowed: Iterable[str], kind: str) -> Any:
        value = self.text(path, value)
        if value is _MISSING:
            return value
        allowed = list(allowed)
        if value not in allowed:
            hint = _suggest(value, allowed)
            extra = f"; did you mean '{hint}'?" if hint else ""
            if len(allowed) <= 12 and not hint:
                extra = f" (one of: {', '.join(allowed)})"
            self.report(path, f"unknown {kind} {_quote(value)}{extra}")
            return _MISSING
        return value

    def integer(self, path: tuple, value: Any, low: int, high: int | None) -> Any:
        name = _dotted(path)
        span = f"{low}..{high}" if high is not None else f"{low} or more"
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(path, f"{name} must be a whole number {span}")
            return _MISSING
        if value < low or (high is not None and value > high):
            self.report(path, f"{name} must be {span}, not {value}")
            return _MISSING
        return value

    def boolean(self, path: tuple, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        self.report(path, f"{_dotted(path)} must be true or false")
        return _MISSING

    def list_of(self, path: tuple, value: Any) -> Any:
        if isinstance(value, list):
            return value
        if value is None:
            self.report(path, f"{_dotted(path)} must be a list (write [] for none)")
        else:
            self.report(path, f"{_dotted(path)} must be a list")
        return _MISSING

    def code_list(self, path: tuple, value: Any, allowed: Iterable[str], kind: str) -> Any:
        items = self.list_of(path, value)
        if items is _MISSING:
            return items
        allowed = list(allowed)
        out = []
        bad = False
        for index, item in enumerate(items):
            code = self.code((*path, index), item, allowed, kind)
            if code is _MISSING:
                bad = True
            elif code not in out:
                out.append(code)
        return _MISSING if bad else out
