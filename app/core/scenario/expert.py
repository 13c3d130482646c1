"""The checker's ``expert`` section: the key, its evidence and its per-model routes.

Part of :mod:`app.core.scenario`; import from the package.
"""

from __future__ import annotations

from typing import Any

from app.core.protocol import DISPATCH_MODELS, DISPOSITIONS, DISQUALIFIERS
from app.core.scenario.common import (
    _MISSING,
    BY_MODEL_KEYS,
    EXPERT_KEYS,
    EXPERT_REQUIRED,
    MAX_REQUIRED_QUESTIONS,
    _quote,
    exchange_id,
)
from app.core.scenario.readers import _Readers


class _ExpertChecks(_Readers):
    """Checks and normalises ``expert`` (see :class:`.readers._Readers`)."""

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
