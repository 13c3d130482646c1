"""Scenario files: safe loading, validation against the format, and normalisation.

The contract is ``docs/scenario-format.md`` (format 1). :func:`parse_scenario`
reports *every* problem of one file as a :class:`Problem` (``FILE:LINE: message``) and
returns the scenario only when there is no error (a rejected file is never partly
loaded). :func:`load_paths` reads files and folders and adds the cross-file check
(duplicate ids).

The returned scenario dict is normalised (JSON-ready): every known key is present,
absent optional values are ``None`` (scalars) or empty (lists, mappings), texts are
stripped, code lists lose repeats, ``call.caller`` is always a mapping with
``role``/``relation``/``voice``, ``call.channel`` defaults to ``"911"`` and each
``checks`` entry has a ``model`` (default ``call_center_led``).

Decisions where the format leaves room (documented in content/grading.md too):

- YAML 1.1 reads some plain words as other types; where the format expects text (a
  caller's answer ``No``, a channel ``911``, an id ``1234``) the text written is used.
  Numbers are never read from text: ``version: "2"`` is an error.
- ``time`` must be text ``HH:MM``; an unquoted ``12:40`` is a number in YAML 1.1 and is
  refused with a hint to quote it.
- An exchange is either ``ask: <protocol question id>`` (the protocol's words are used;
  ``question:`` is not allowed) or ``id: <own id>`` with ``question:``; an ``id`` may not
  reuse a protocol question id; an exchange id appears once.
- ``by_model.<model>`` may hold ``disposition``, ``acceptable``, ``unsafe`` and
  ``rationale``; each key given replaces the default one, the others are inherited.
- The best route under every dispatch model must exist under that model at the call's
  time (otherwise the expert answer itself could not score 100).
- Merge keys, duplicate keys and non-text keys are errors.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core import grading
from app.core.protocol import (
    AMBIENCES,
    CHANNELS,
    CONTEXT_KEYS,
    DISPATCH_MODELS,
    DISPOSITIONS,
    DISQUALIFIERS,
    RELATIONS,
    Protocol,
    demands_of,
    is_hhmm,
    load_protocol,
    unmet_demands,
)
from app.core.yaml_safe import MAX_BYTES, YamlDocument, YamlError, decode_text, load_yaml

FORMAT = 1
MODULE_SLUGS = (
    "community-responders",
    "dispatch-models",
    "eligible-call-types",
    "disqualifiers",
    "real-time-screening",
    "crime-is-not-a-disqualifier",
    "conflict-calls",
    "transfers-and-handoffs",
    "tandem-and-referrals",
    "hesitancy-and-over-policing",
    "call-taker-skills",
)
ID_RE = re.compile(r"^[a-z0-9-]+$")
EXCHANGE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MAX_ID_LENGTH = 100
MAX_REQUIRED_QUESTIONS = 30
SCENARIO_SUFFIXES = (".yaml", ".yml")
SKIPPED_FOLDERS = ("templates",)

TOP_KEYS = (
    "format",
    "id",
    "version",
    "title",
    "module",
    "difficulty",
    "tags",
    "call",
    "expert",
    "checks",
)
TOP_REQUIRED = ("format", "id", "version", "title", "module", "call", "expert")
CALL_KEYS = (
    "channel",
    "time",
    "initial_call_type",
    "ali",
    "location",
    "caller",
    "opening",
    "exchanges",
    "context",
)
CALL_REQUIRED = ("initial_call_type", "opening")
CALLER_KEYS = ("role", "relation", "voice", "language")
EXCHANGE_KEYS = ("ask", "id", "question", "answer", "interpreted")
ENGLISH = "en"
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")  # a BCP 47 tag such as es, zh-Hant
EXPERT_KEYS = (
    "disqualifiers",
    "call_type",
    "priority",
    "disposition",
    "acceptable",
    "unsafe",
    "required_questions",
    "time_target_seconds",
    "evidence",
    "rationale",
    "by_model",
)
EXPERT_REQUIRED = (
    "disqualifiers",
    "call_type",
    "disposition",
    "required_questions",
    "rationale",
)
BY_MODEL_KEYS = grading.ROUTE_KEYS
CHECK_KEYS = ("answer", "model", "expect")
EXPECT_KEYS = ("score", "passed", "critical", "errors")


@dataclass(frozen=True)
class Problem:
    """One problem of one file. ``line`` is 1-based; 0 when no line applies."""

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario file that validated: its path, normalised data and original text."""

    path: str
    data: dict
    text: str


_MISSING = object()


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _quote(value: Any) -> str:
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"'{text}'"


def _suggest(value: str, allowed: Iterable[str]) -> str | None:
    """A likely meant code: the only one containing ``value``, else a close spelling."""
    allowed = list(allowed)
    containing = [a for a in allowed if len(value) >= 3 and value.lower() in a.lower()]
    if len(containing) == 1:
        return containing[0]
    close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.7)
    return close[0] if close else None


def exchange_id(exchange: Mapping) -> str | None:
    """The id an exchange answers to: its ``ask`` (protocol question) or its own ``id``."""
    ident = exchange.get("ask") or exchange.get("id")
    return ident if isinstance(ident, str) else None


def exchange_question(exchange: Mapping, protocol: Protocol | None = None) -> str:
    """The words the call taker says for this exchange."""
    if exchange.get("question"):
        return str(exchange["question"])
    return (protocol or load_protocol()).question_text(exchange_id(exchange) or "")


class _Checker:
    """Walks one parsed document, collecting problems and building normalised data."""

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
        return data

    def call(self, raw: Any) -> dict | None:
        path = ("call",)
        if self.mapping(path, raw) is _MISSING:
            return None
        self.keys(path, raw, CALL_KEYS, CALL_REQUIRED)
        call: dict[str, Any] = {"channel": "911"}
        if raw.get("channel") is not None:
            call["channel"] = self.code(("call", "channel"), raw["channel"], CHANNELS, "channel")
        call["time"] = None
        if raw.get("time") is not None:
            value = raw["time"]
            if isinstance(value, str) and is_hhmm(value.strip()):
                call["time"] = value.strip()
            elif isinstance(value, int | float) and not isinstance(value, bool):
                self.report(
                    ("call", "time"),
                    'time must be a quoted HH:MM string, e.g. time: "02:40" '
                    "(unquoted, YAML reads it as a number)",
                )
            else:
                self.report(("call", "time"), f"time {_quote(value)} is not HH:MM (00:00 to 23:59)")
        if "initial_call_type" in raw:
            call["initial_call_type"] = self.code(
                ("call", "initial_call_type"),
                raw["initial_call_type"],
                self.protocol.call_types,
                "call type",
            )
        for key in ("ali", "location"):
            call[key] = None
            if raw.get(key) is not None:
                call[key] = self.text(("call", key), raw[key])
        call["caller"] = {"role": None, "relation": None, "voice": None, "language": ENGLISH}
        if raw.get("caller") is not None:
            caller = self.mapping(("call", "caller"), raw["caller"])
            if caller is not _MISSING:
                self.keys(("call", "caller"), caller, CALLER_KEYS)
                for key in CALLER_KEYS:
                    if caller.get(key) is None:
                        continue
                    at = ("call", "caller", key)
                    if key == "relation":
                        call["caller"][key] = self.code(at, caller[key], RELATIONS, "relation")
                    elif key == "language":
                        language = self.text(at, caller[key])
                        if language is not _MISSING and not LANGUAGE_RE.match(language):
                            self.report(
                                at,
                                f"language {_quote(language)} is not a language code "
                                "such as en, es or zh-Hant",
                            )
                        call["caller"][key] = language
                    else:
                        call["caller"][key] = self.text(at, caller[key])
        if "opening" in raw:
            call["opening"] = self.text(("call", "opening"), raw["opening"])
        call["exchanges"] = self.exchanges(raw.get("exchanges", []))
        call["context"] = self.context(raw.get("context"))
        return call

    def exchanges(self, raw: Any) -> list:
        path = ("call", "exchanges")
        if raw is None:
            return []
        items = self.list_of(path, raw)
        if items is _MISSING:
            return []
        out: list[dict] = []
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            at = (*path, index)
            if not isinstance(item, dict):
                self.report(at, "an exchange must be a mapping with ask (or id) and answer")
                continue
            self.keys(at, item, EXCHANGE_KEYS, ("answer",))
            exchange: dict[str, Any] = {}
            ident: Any = _MISSING
            if "ask" in item and "id" in item:
                self.report(
                    at,
                    "an exchange has ask (a protocol question) or id (its own question), not both",
                )
            elif "ask" in item:
                ident = self.code((*at, "ask"), item["ask"], self.protocol.questions, "question id")
                exchange["ask"] = ident
                if "question" in item:
                    self.report(
                        (*at, "question"),
                        "question: is only for an exchange with its own id; "
                        "ask: uses the protocol's words",
                    )
            elif "id" in item:
                ident = self.text((*at, "id"), item["id"])
                if ident is not _MISSING:
                    if ident in self.protocol.questions:
                        self.report(
                            (*at, "id"),
                            f"id {_quote(ident)} is a protocol question; write ask: {ident}",
                        )
                        ident = _MISSING
                    elif not EXCHANGE_ID_RE.match(ident):
                        self.report(
                            (*at, "id"), f"exchange id {_quote(ident)} may use a-z, 0-9, _ and -"
                        )
                        ident = _MISSING
                exchange["id"] = ident
                if "question" in item:
                    exchange["question"] = self.text((*at, "question"), item["question"])
                else:
                    self.report(at, f"missing required key '{_dotted((*at, 'question'))}'")
            else:
                self.report(at, "an exchange needs ask: <protocol question id> or id: <own id>")
            if "answer" in item:
                exchange["answer"] = self.text((*at, "answer"), item["answer"])
            if item.get("interpreted") is not None:
                exchange["interpreted"] = self.text((*at, "interpreted"), item["interpreted"])
            if isinstance(ident, str):
                if ident in first:
                    self.report(
                        at, f"exchange {_quote(ident)} is already scripted at line {first[ident]}"
                    )
                else:
                    first[ident] = self.line(at)
            out.append(exchange)
        return out

    def context(self, raw: Any) -> dict:
        path = ("call", "context")
        if raw is None:
            return {}
        if self.mapping(path, raw) is _MISSING:
            return {}
        self.keys(path, raw, tuple(CONTEXT_KEYS))
        out: dict[str, Any] = {}
        for key, kind in CONTEXT_KEYS.items():
            if key not in raw or raw[key] is None:
                continue
            at = (*path, key)
            if kind is bool:
                out[key] = self.boolean(at, raw[key])
            elif key == "ambience":
                out[key] = self.code(at, raw[key], AMBIENCES, "ambience")
            else:
                out[key] = self.text(at, raw[key])
        return out

    def expert(self, raw: Any, exchanges: list) -> dict | None:
        path = ("expert",)
        if self.mapping(path, raw) is _MISSING:
            return None
        self.keys(path, raw, EXPERT_KEYS, EXPERT_REQUIRED)
        ids = {exchange_id(e) for e in exchanges if exchange_id(e)}
        expert: dict[str, Any] = {}
        if "disqualifiers" in raw:
            expert["disqualifiers"] = self.code_list(
                ("expert", "disqualifiers"), raw["disqualifiers"], DISQUALIFIERS, "disqualifier"
            )
        if "call_type" in raw:
            expert["call_type"] = self.code(
                ("expert", "call_type"), raw["call_type"], self.protocol.call_types, "call type"
            )
        expert["priority"] = None
        if raw.get("priority") is not None:
            expert["priority"] = self.integer(("expert", "priority"), raw["priority"], 1, 4)
        if "disposition" in raw:
            expert["disposition"] = self.code(
                ("expert", "disposition"), raw["disposition"], DISPOSITIONS, "disposition"
            )
        for key in ("acceptable", "unsafe"):
            expert[key] = []
            if raw.get(key) is not None:
                expert[key] = self.code_list(("expert", key), raw[key], DISPOSITIONS, "disposition")
        if "required_questions" in raw:
            at = ("expert", "required_questions")
            items = self.list_of(at, raw["required_questions"])
            questions: Any = []
            if items is not _MISSING:
                if len(items) > MAX_REQUIRED_QUESTIONS:
                    self.report(at, f"at most {MAX_REQUIRED_QUESTIONS} required questions")
                for index, item in enumerate(items):
                    qid = self.text((*at, index), item, what="a required question")
                    if qid is _MISSING:
                        questions = _MISSING
                        continue
                    if qid not in ids:
                        self.report(
                            (*at, index),
                            f"required question {_quote(qid)} has no exchange in call.exchanges",
                        )
                    if questions is not _MISSING and qid not in questions:
                        questions.append(qid)
            expert["required_questions"] = questions if items is not _MISSING else _MISSING
        expert["time_target_seconds"] = None
        if raw.get("time_target_seconds") is not None:
            expert["time_target_seconds"] = self.integer(
                ("expert", "time_target_seconds"), raw["time_target_seconds"], 1, 3600
            )
        expert["evidence"] = {}
        if raw.get("evidence") is not None:
            expert["evidence"] = self.evidence(raw["evidence"], expert.get("disqualifiers"), ids)
        if "rationale" in raw:
            expert["rationale"] = self.text(("expert", "rationale"), raw["rationale"])
        expert["by_model"] = {}
        if raw.get("by_model") is not None:
            expert["by_model"] = self.by_model(raw["by_model"])
        return expert

    def evidence(self, raw: Any, disqualifiers: Any, ids: set) -> dict:
        path = ("expert", "evidence")
        if self.mapping(path, raw) is _MISSING:
            return {}
        out = {}
        for code, value in raw.items():
            at = (*path, code)
            if code not in DISQUALIFIERS:
                self.report(
                    at, f"unknown disqualifier {_quote(code)} (one of: {', '.join(DISQUALIFIERS)})"
                )
                continue
            if isinstance(disqualifiers, list) and code not in disqualifiers:
                self.report(
                    at, f"evidence for '{code}', but '{code}' is not in expert.disqualifiers"
                )
            ident = self.text(at, value, what=f"evidence for '{code}'")
            if ident is _MISSING:
                continue
            if ident not in ids:
                self.report(at, f"evidence {_quote(ident)} has no exchange in call.exchanges")
            out[code] = ident
        return out

    def by_model(self, raw: Any) -> dict:
        path = ("expert", "by_model")
        if self.mapping(path, raw) is _MISSING:
            return {}
        out: dict[str, dict] = {}
        for model, entry in raw.items():
            at = (*path, model)
            if model not in DISPATCH_MODELS:
                self.report(
                    at,
                    f"unknown dispatch model {_quote(model)} (one of: {', '.join(DISPATCH_MODELS)})",
                )
                continue
            if self.mapping(at, entry) is _MISSING:
                continue
            self.keys(at, entry, BY_MODEL_KEYS)
            clean: dict[str, Any] = {}
            if entry.get("disposition") is not None:
                clean["disposition"] = self.code(
                    (*at, "disposition"), entry["disposition"], DISPOSITIONS, "disposition"
                )
            for key in ("acceptable", "unsafe"):
                if entry.get(key) is not None:
                    clean[key] = self.code_list((*at, key), entry[key], DISPOSITIONS, "disposition")
            if entry.get("rationale") is not None:
                clean["rationale"] = self.text((*at, "rationale"), entry["rationale"])
            out[model] = clean
        return out

    def checks(self, raw: Any) -> list:
        path = ("checks",)
        if raw is None:
            return []
        items = self.list_of(path, raw)
        if items is _MISSING:
            return []
        out = []
        for index, item in enumerate(items):
            at = (*path, index)
            if not isinstance(item, dict):
                self.report(at, "a check must be a mapping with answer and expect")
                continue
            self.keys(at, item, CHECK_KEYS, ("answer", "expect"))
            check: dict[str, Any] = {}
            if "answer" in item:
                answer = item["answer"]
                problems = grading.answer_problems(answer, self.protocol)
                for key, message in problems:
                    where = (*at, "answer", key) if key else (*at, "answer")
                    self.report(where, f"checks[{index}].answer: {message}")
                check["answer"] = answer if not problems else _MISSING
            check["model"] = grading.DEFAULT_MODEL
            if item.get("model") is not None:
                check["model"] = self.code(
                    (*at, "model"), item["model"], DISPATCH_MODELS, "dispatch model"
                )
            if "expect" in item:
                check["expect"] = self.expect((*at, "expect"), item["expect"])
            out.append(check)
        return out

    def expect(self, path: tuple, raw: Any) -> Any:
        if self.mapping(path, raw) is _MISSING:
            return _MISSING
        self.keys(path, raw, EXPECT_KEYS)
        if not any(key in raw for key in EXPECT_KEYS):
            self.report(path, f"expect needs at least one of: {', '.join(EXPECT_KEYS)}")
            return _MISSING
        out: dict[str, Any] = {}
        if "score" in raw:
            out["score"] = self.integer((*path, "score"), raw["score"], 0, 100)
        if "passed" in raw:
            out["passed"] = self.boolean((*path, "passed"), raw["passed"])
        if "critical" in raw:
            value = raw["critical"]
            if isinstance(value, bool):
                out["critical"] = value
            else:
                out["critical"] = self.code_list(
                    (*path, "critical"), value, grading.CRITICAL_CODES, "critical code"
                )
        if "errors" in raw:
            out["errors"] = self.code_list(
                (*path, "errors"), raw["errors"], grading.ERROR_CODES, "error code"
            )
        return out

    # -- rules across keys

    def routes(self, data: dict) -> None:
        """Rules on the routes under every dispatch model (default key + by_model)."""
        expert = data["expert"]
        call = data["call"]
        if any(
            expert.get(k, _MISSING) is _MISSING
            for k in ("disqualifiers", "disposition", "acceptable", "unsafe")
        ):
            return
        by_model = expert.get("by_model") or {}
        if any(v is _MISSING for entry in by_model.values() for v in entry.values()):
            return
        disqualifiers = expert["disqualifiers"]
        unavailable: dict[tuple, list[str]] = {}
        for model in DISPATCH_MODELS:
            entry = by_model.get(model, {})

            def source(key: str, model=model, entry=entry) -> tuple:
                if key in entry:
                    return ("expert", "by_model", model, key)
                return ("expert", key)

            best = entry.get("disposition", expert["disposition"])
            acceptable = entry.get("acceptable", expert["acceptable"])
            unsafe = entry.get("unsafe", expert["unsafe"])
            if best in unsafe:
                self.report(
                    source("disposition"),
                    f"disposition '{best}' is also listed in unsafe"
                    + (f" (under {model})" if "disposition" in entry or "unsafe" in entry else ""),
                )
            for code in acceptable:
                if code in unsafe:
                    self.report(source("acceptable"), f"'{code}' is both acceptable and unsafe")
            self.demands_met(disqualifiers, best, source("disposition"), model, entry)
            for index, code in enumerate(acceptable):
                self.demands_met(disqualifiers, code, (*source("acceptable"), index), model, entry)
            if best in acceptable:
                self.warn(
                    source("acceptable"), f"'{best}' is the best route; drop it from acceptable"
                )
            if call.get("time", _MISSING) is _MISSING:
                continue
            context = {k: v for k, v in call.get("context", {}).items() if v is not _MISSING}
            available = self.protocol.available_dispositions(model, call["time"], context)
            if best not in available:
                unavailable.setdefault(source("disposition"), []).append(model)
        for path, models in unavailable.items():
            best = self._value_at(data, path)
            closed = ""
            if best == "external_hotline":
                closed = " (or the hotline is closed at this call's time)"
            hint = "; add " + ", ".join(f"expert.by_model.{m}.disposition" for m in models)
            if path[:2] == ("expert", "by_model"):
                hint = ""
            self.report(
                path,
                f"best route '{best}' does not exist under {', '.join(models)}{closed}{hint}",
            )
        if (
            not disqualifiers
            and isinstance(expert.get("call_type"), str)
            and not self.protocol.eligible(expert["call_type"])
            and expert["disposition"] == "community_responder"
        ):
            self.warn(
                ("expert", "call_type"),
                f"call type {expert['call_type']} is not eligible for community responders in "
                "this protocol, but the best route is community_responder",
            )

    def demands_met(
        self, disqualifiers: list, route: str, at: tuple, model: str, entry: dict
    ) -> None:
        """Rules 2: a key's best and acceptable routes meet every disqualifier's demand."""
        unmet = unmet_demands(route, disqualifiers)
        if not unmet:
            return
        demanded = sorted(demands_of(unmet))
        meeting = [
            code
            for code in DISPOSITIONS
            if not unmet_demands(code, disqualifiers) and code != route
        ]
        where = f" (under {model})" if at[:2] == ("expert", "by_model") else ""
        self.report(
            at,
            f"route '{route}'{where} does not meet what {', '.join(unmet)} demands "
            f"({' and '.join(d.replace('ems', 'EMS') for d in demanded)}); "
            f"a route that does: {', '.join(meeting)}",
        )

    def language(self, data: dict) -> None:
        """A caller in another language needs the language line among the required questions."""
        caller = data["call"].get("caller") or {}
        language = caller.get("language")
        required = data["expert"].get("required_questions")
        if not isinstance(language, str) or language.split("-")[0] == ENGLISH:
            return
        if isinstance(required, list) and "interpreter" not in required:
            self.report(
                ("expert", "required_questions"),
                f"the caller speaks {_quote(language)}: list 'interpreter' in required_questions "
                "(and script its exchange)",
            )

    @staticmethod
    def _value_at(data: dict, path: tuple) -> Any:
        value: Any = data
        for part in path:
            value = value[part]
        return value

    def run_checks(self, data: dict) -> None:
        for index, check in enumerate(data["checks"]):
            at = ("checks", index)
            try:
                result = grading.grade(data, check["answer"], check["model"], self.protocol)
            except grading.GradingError as exc:  # pragma: no cover - answer validated above
                self.report(at, f"check {index + 1} cannot be graded: {exc}")
                continue
            differences = grading.check_matches(result, check["expect"])
            if differences:
                self.report(
                    (*at, "expect"),
                    f"check {index + 1} (model {check['model']}) expects "
                    + "; ".join(differences)
                    + f" [the key grades it: score {result['score']}, errors: "
                    + f"{', '.join(result['errors']) or 'none'}, critical: "
                    + f"{', '.join(result['critical']) or 'none'}]",
                )


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
    if data is not None and not errors and not _contains_missing(data):
        before = len(checker.problems)
        checker.run_checks(data)
        problems += checker.problems[before:]
    problems = sorted(set(problems), key=lambda p: (p.line, p.severity != "error", p.message))
    if data is None or any(p.is_error for p in problems) or _contains_missing(data):
        return None, problems
    return data, problems


def _walk(path: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS and not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(SCENARIO_SUFFIXES) and not name.startswith("."):
                found.append(Path(root) / name)
    return found


def scenario_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Problem]]:
    """Files named and ``*.yaml``/``*.yml`` below folders named (skipping ``templates``
    folders and hidden ones); a named file is always included, whatever its name."""
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = _walk(path)
        elif path.exists():
            candidates = [path]
        else:
            problems.append(Problem(str(raw), 0, "no such file or folder"))
            continue
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(candidate)
    return files, problems


def read_scenario_file(path: str | os.PathLike) -> tuple[str | None, list[Problem]]:
    """The UTF-8 text of a scenario file, refusing large files before reading them."""
    name = str(path)
    try:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            return None, [Problem(name, 0, f"file is larger than {MAX_BYTES // 1024} KiB")]
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        return decode_text(raw), []
    except YamlError as exc:
        return None, [Problem(name, exc.line, exc.message)]
    except OSError as exc:
        return None, [Problem(name, 0, f"cannot read the file: {exc.strerror or exc}")]


def load_paths(
    paths: Iterable[str | os.PathLike], protocol: Protocol | None = None
) -> tuple[list[LoadedScenario], list[Problem]]:
    """Validate every scenario file at ``paths`` (files or folders).

    Returns the valid scenarios and every problem of every file; a file with an error is
    not in the list. An id used twice is an error on the later file naming the first.
    """
    protocol = protocol or load_protocol()
    files, problems = scenario_files(paths)
    loaded: list[LoadedScenario] = []
    first_seen: dict[str, tuple[str, int]] = {}
    for path in files:
        name = str(path)
        text, read_problems = read_scenario_file(path)
        if text is None:
            problems += read_problems
            continue
        data, file_problems = parse_scenario(text, name, protocol)
        problems += file_problems
        if data is None:
            continue
        ident = data["id"]
        line = _id_line(text)
        if ident in first_seen:
            other, other_line = first_seen[ident]
            problems.append(
                Problem(name, line, f"duplicate id '{ident}' (also in {other}:{other_line})")
            )
            continue
        first_seen[ident] = (name, line)
        loaded.append(LoadedScenario(name, data, text))
    return loaded, problems


def _id_line(text: str) -> int:
    match = re.search(r"^id\s*:", text, re.MULTILINE)
    return text[: match.start()].count("\n") + 1 if match else 1
