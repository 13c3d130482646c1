"""The checker's ``checks`` section and the rules across keys (routes, demands, language).

Part of :mod:`app.core.scenario`; import from the package.
"""

from __future__ import annotations

from typing import Any

from app.core import grading
from app.core.protocol import DISPATCH_MODELS, DISPOSITIONS, demands_of, unmet_demands
from app.core.scenario.common import (
    _MISSING,
    CHECK_KEYS,
    ENGLISH,
    EXPECT_KEYS,
    MAX_GUARDED_WORDS,
    TEXT_MIN_TARGET_SECONDS,
    _quote,
)
from app.core.scenario.readers import _Readers


class _RuleChecks(_Readers):
    """Checks ``checks`` and the rules that span sections (see :class:`.readers._Readers`)."""

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

    def call_kinds(self, data: dict) -> None:
        """Rules of the kinds of call (docs/scenario-format.md 3.9) that span sections."""
        call, expert = data["call"], data["expert"]
        caller = call.get("caller") or {}
        target = expert.get("time_target_seconds")
        if (
            call.get("medium") == "text"
            and isinstance(target, int)
            and target < TEXT_MIN_TARGET_SECONDS
        ):
            self.report(
                ("expert", "time_target_seconds"),
                f"a text-to-911 conversation takes longer than a voice call: give it at least "
                f"{TEXT_MIN_TARGET_SECONDS} seconds, not {target}",
            )
        if caller.get("knows_location") is False and not call.get("ali"):
            self.report(
                ("call", "caller", "knows_location"),
                "the caller does not know where they are: give call.ali (what the phone "
                "system shows, e.g. an area and a radius) so the trainee has a starting point",
            )
        if caller.get("can_speak_freely") is False:
            for index, exchange in enumerate(call.get("exchanges") or []):
                answer = exchange.get("answer")
                if isinstance(answer, str) and len(answer.split()) > MAX_GUARDED_WORDS:
                    self.report(
                        ("call", "exchanges", index, "answer"),
                        f"the caller cannot speak freely: keep the answer to "
                        f"{MAX_GUARDED_WORDS} words or fewer (it has {len(answer.split())})",
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
