"""The checker's ``call`` section: channel, time, caller, opening, exchanges, context.

Part of :mod:`app.core.scenario`; import from the package.
"""

from __future__ import annotations

from typing import Any

from app.core.protocol import AMBIENCES, CHANNELS, CONTEXT_KEYS, RELATIONS, is_hhmm
from app.core.scenario.common import (
    _MISSING,
    CALL_KEYS,
    CALL_REQUIRED,
    CALLBACK_KEYS,
    CALLER_AGES,
    CALLER_GENDERS,
    CALLER_KEYS,
    CONNECTIONS,
    ENGLISH,
    EXCHANGE_ID_RE,
    EXCHANGE_KEYS,
    LANGUAGE_RE,
    MEDIUMS,
    PRIOR_CALL_KEYS,
    _dotted,
    _quote,
)
from app.core.scenario.readers import _Readers


class _CallChecks(_Readers):
    """Checks and normalises ``call`` (see :class:`.readers._Readers`)."""

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
                    elif key == "age":
                        call["caller"][key] = self.code(at, caller[key], CALLER_AGES, "age band")
                    elif key == "gender":
                        call["caller"][key] = self.code(at, caller[key], CALLER_GENDERS, "gender")
                    elif key in ("can_speak_freely", "knows_location"):
                        call["caller"][key] = self.boolean(at, caller[key])
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
        self.call_kind(raw, call)
        return call

    # -- kinds of call (docs/scenario-format.md 3.9); keys kept only when given

    def call_kind(self, raw: dict, call: dict) -> None:
        if raw.get("medium") is not None:
            call["medium"] = self.code(("call", "medium"), raw["medium"], MEDIUMS, "medium")
        if raw.get("connection") is not None:
            call["connection"] = self.code(
                ("call", "connection"), raw["connection"], CONNECTIONS, "connection"
            )
        if raw.get("when_called_back") is not None:
            call["when_called_back"] = self.called_back(raw["when_called_back"])
        if raw.get("prior_calls") is not None:
            call["prior_calls"] = self.prior_calls(raw["prior_calls"])
        has_connection = raw.get("connection") is not None
        has_callback = raw.get("when_called_back") is not None
        if has_connection and not has_callback:
            self.report(
                ("call", "connection"),
                "a dropped or hung-up call needs call.when_called_back: what is said when "
                "the trainee calls back",
            )
        if has_callback and not has_connection:
            self.report(
                ("call", "when_called_back"),
                "when_called_back is only for a call whose line goes dead: "
                "add call.connection: dropped or hang_up",
            )
        if raw.get("prior_calls") is not None and "prior_calls" in call["context"]:
            self.report(
                ("call", "context", "prior_calls"),
                "earlier calls are written twice: keep call.prior_calls and drop "
                "context.prior_calls",
            )

    def called_back(self, raw: Any) -> Any:
        path = ("call", "when_called_back")
        if self.mapping(path, raw) is _MISSING:
            return _MISSING
        self.keys(path, raw, CALLBACK_KEYS, ("answer",))
        out: dict[str, Any] = {}
        for key in CALLBACK_KEYS:
            if raw.get(key) is not None:
                out[key] = self.text((*path, key), raw[key])
        return out

    def prior_calls(self, raw: Any) -> Any:
        path = ("call", "prior_calls")
        items = self.list_of(path, raw)
        if items is _MISSING:
            return _MISSING
        if not items:
            self.report(path, "prior_calls needs at least one earlier call (or leave it out)")
        out: list[Any] = []
        for index, item in enumerate(items):
            at = (*path, index)
            if not isinstance(item, dict):
                self.report(at, "an earlier call is a mapping with when, what and outcome")
                out.append(_MISSING)
                continue
            self.keys(at, item, PRIOR_CALL_KEYS, ("when", "what"))
            entry: dict[str, Any] = {}
            for key in PRIOR_CALL_KEYS:
                if item.get(key) is not None:
                    entry[key] = self.text((*at, key), item[key])
            out.append(entry)
        return out

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
