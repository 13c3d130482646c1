"""Grading: how a trainee's answer compares with a scenario's expert key.

:func:`grade` is a pure function of (scenario, answer, dispatch model, protocol). The
weights, severities and compliance levels are documented for trainers in
``content/grading.md``; they follow the shape of IAED's AQUA review (a score per
category, deviations rated critical / major / moderate / minor, and a compliance level).

Scoring under grading rules 2, in points out of 100 (the five ``parts`` are each 0..1)::

    score = round_half_up(30*questions + 25*disqualifiers + 10*call_type
                          + 30*disposition + 5*time - penalties), at least 0

- questions: share of the required questions asked (1 when none are required);
- disqualifiers: share of the four disqualifier judgements that match the key;
- call_type: 1 when the final code matches, else 0;
- disposition: best route 1, an acceptable route 0.5, any other (or unavailable) route 0;
- time: 1 within the target (or no time given), 0.5 up to 1.5 x the target, else 0;
- penalties: 15 points per missed disqualifier, 10 for sending police the call did not
  need (``over_routed``), 5 for a wrong priority (``wrong_priority``).

Critical (the call fails whatever its score): a route that lacks what a disqualifier
of the key demands, or that the key lists as unsafe (``unsafe_dispatch``); any missed
disqualifier (``missed_disqualifier``); a priority-1 call answered less urgently, or any
call answered two or more levels less urgently (``under_triaged``).

Compliance level (:func:`compliance_level`): from the score (``LEVELS``); "non-compliant"
with any critical error; "partial" at best when more than two required questions were
missed, so a call that skipped much of the protocol is never shown as compliant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, TypedDict

from app.core.protocol import (
    DISPOSITIONS,
    DISQUALIFIERS,
    POLICE_DISPOSITIONS,
    POLICE_LED_DISPOSITIONS,
    Protocol,
    demands_of,
    load_protocol,
    unmet_demands,
)
from app.errors import UserError

RULES = 2  # the grading rules this module applies; every grade records it
KNOWN_RULES = (1, 2)  # rules 1 is kept to replay grades given before rules 2 (regrade, demo)
PASS_MARK = 80
DEFAULT_MODEL = "call_center_led"
WEIGHTS: Mapping[str, int] = {
    "questions": 30,
    "disqualifiers": 25,
    "call_type": 10,
    "disposition": 30,
    "time": 5,
}
ACCEPTABLE_CREDIT = Fraction(1, 2)
SLOW_FACTOR = Fraction(3, 2)  # up to this multiple of the target: half the time credit
# A missed disqualifier is also critical (rules 2): the team on scene would not be
# warned even when the route happened to be safe, so no pass mark lets it through.
PENALTIES: Mapping[str, int] = {"missed_disqualifier": 15, "over_routed": 10, "wrong_priority": 5}
LEVELS = ((95, "high"), (85, "compliant"), (75, "partial"), (60, "low"), (0, "non-compliant"))
# Compliance is about following the protocol: with more required questions missed than
# this, the level is "partial" at best, whatever the score (the score is not changed).
MAX_MISSED_FOR_COMPLIANT = 2
CRITICAL_CODES = ("unsafe_dispatch", "missed_disqualifier", "under_triaged")
# How a critical error is named where several are counted together (exam results).
CRITICAL_NAMES: Mapping[str, str] = {
    "unsafe_dispatch": "unsafe route",
    "missed_disqualifier": "missed disqualifier",
    "under_triaged": "priority far too low",
}
ERROR_CODES = (
    "missed_question",
    "missed_disqualifier",
    "over_disqualified",
    "wrong_call_type",
    "wrong_priority",
    "wrong_disposition",
    "suboptimal_disposition",
    "over_routed",
    "unavailable_route",
    "slow",
)
ANSWER_KEYS = ("questions", "disqualifiers", "call_type", "priority", "disposition", "seconds")
REQUIRED_ANSWER_KEYS = ("questions", "disqualifiers", "call_type", "disposition")
ROUTE_KEYS = ("disposition", "acceptable", "unsafe", "rationale")


class GradingError(UserError):
    """The answer or the dispatch model cannot be graded; one plain line."""


# ----------------------------------------------------------------------------- answers


def answer_problems(answer: Any, protocol: Protocol | None = None) -> list[tuple[str | None, str]]:
    """(key, message) for everything wrong with an answer's shape; [] when usable."""
    protocol = protocol or load_protocol()
    if not isinstance(answer, Mapping):
        return [(None, "an answer must be a mapping of keys")]
    found: list[tuple[str | None, str]] = []
    for key in answer:
        if key not in ANSWER_KEYS:
            found.append((key, f"unknown answer key {key!r} (allowed: {', '.join(ANSWER_KEYS)})"))
    for key in REQUIRED_ANSWER_KEYS:
        if key not in answer:
            found.append((None, f"answer is missing {key!r}"))
    for key in ("questions", "disqualifiers"):
        if key not in answer:
            continue
        value = answer[key]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            found.append((key, f"{key} must be a list of codes (text)"))
        elif key == "disqualifiers":
            for code in value:
                if code not in DISQUALIFIERS:
                    found.append(
                        (key, f"unknown disqualifier {code!r} (one of: {', '.join(DISQUALIFIERS)})")
                    )
    if "call_type" in answer:
        value = answer["call_type"]
        if not isinstance(value, str) or not value:
            found.append(("call_type", "call_type must be a call type code (text)"))
        elif value not in protocol.call_types:
            found.append(("call_type", f"unknown call type {value!r}"))
    if "disposition" in answer:
        value = answer["disposition"]
        if not isinstance(value, str) or value not in DISPOSITIONS:
            found.append(("disposition", f"disposition must be one of: {', '.join(DISPOSITIONS)}"))
    if answer.get("priority") is not None:
        value = answer["priority"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            found.append(("priority", "priority must be a whole number 1..4"))
    if answer.get("seconds") is not None:
        value = answer["seconds"]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            found.append(("seconds", "seconds must be a number of seconds, 0 or more"))
    return found


def validate_answer(answer: Any, protocol: Protocol | None = None) -> list[str]:
    """Plain-words problems with an answer's shape; an empty list means it can be graded."""
    return [message for _, message in answer_problems(answer, protocol)]


# ----------------------------------------------------------------------------- keys


def _check_model(model: str, protocol: Protocol) -> None:
    if model not in protocol.models:
        raise GradingError(
            f"unknown dispatch model {model!r} (one of: {', '.join(protocol.models)})"
        )


def effective_key(
    scenario: Mapping, model: str = DEFAULT_MODEL, protocol: Protocol | None = None
) -> dict:
    """The expert key under ``model``: the ``by_model`` entry's keys replace the defaults."""
    _check_model(model, protocol or load_protocol())
    expert = dict(scenario.get("expert") or {})
    override = (expert.pop("by_model", None) or {}).get(model) or {}
    key = {
        "disqualifiers": list(expert.get("disqualifiers") or []),
        "call_type": expert.get("call_type"),
        "priority": expert.get("priority"),
        "disposition": expert.get("disposition"),
        "acceptable": list(expert.get("acceptable") or []),
        "unsafe": list(expert.get("unsafe") or []),
        "required_questions": list(expert.get("required_questions") or []),
        "time_target_seconds": expert.get("time_target_seconds"),
        "evidence": dict(expert.get("evidence") or {}),
        "rationale": expert.get("rationale"),
    }
    for name in ROUTE_KEYS:
        if name in override and override[name] is not None:
            value = override[name]
            key[name] = list(value) if isinstance(value, list | tuple) else value
    key["model"] = model
    return key


def expert_answer(
    scenario: Mapping, model: str = DEFAULT_MODEL, protocol: Protocol | None = None
) -> dict:
    """The answer an expert gives under ``model``; it grades 100 with no errors."""
    key = effective_key(scenario, model, protocol)
    answer = {
        "questions": list(dict.fromkeys(key["required_questions"])),
        "disqualifiers": list(dict.fromkeys(key["disqualifiers"])),
        "call_type": key["call_type"],
        "disposition": key["disposition"],
    }
    if key["priority"] is not None:
        answer["priority"] = key["priority"]
    if key["time_target_seconds"] is not None:
        answer["seconds"] = key["time_target_seconds"]
    return answer


# ----------------------------------------------------------------------------- grading


def _exchanges(scenario: Mapping) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for exchange in (scenario.get("call") or {}).get("exchanges") or []:
        if isinstance(exchange, Mapping):
            ident = exchange.get("ask") or exchange.get("id")
            if isinstance(ident, str):
                found.setdefault(ident, dict(exchange))
    return found


def _question_text(ident: str, exchanges: Mapping, protocol: Protocol) -> str:
    exchange = exchanges.get(ident) or {}
    text = str(exchange.get("question") or "").strip()
    if text:
        return text
    if ident in protocol.questions:
        return protocol.questions[ident].text
    return ident.replace("_", " ").capitalize()  # never the bare id


def duration_text(seconds: float | None) -> str:
    """A duration the one way feedback writes it: "45 s", "1 min 04 s", "2 min 00 s"."""
    if seconds is None:
        return "—"
    total = max(0, _round_half_up(Fraction(seconds)))
    if total < 60:
        return f"{total} s"
    return f"{total // 60} min {total % 60:02d} s"


def compliance_level(score: int, critical: list | tuple, missed_required: int = 0) -> str:
    """The compliance level: from the score, "non-compliant" with any critical error, and
    at best "partial" with more than two required questions missed."""
    if critical:
        return "non-compliant"
    for threshold, name in LEVELS:
        if score >= threshold:
            if missed_required > MAX_MISSED_FOR_COMPLIANT and threshold > 75:
                return "partial"
            return name
    return LEVELS[-1][1]  # pragma: no cover - the last threshold is 0


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def weighted_total(parts: Mapping[str, Fraction]) -> Fraction:
    """The sum of each part's share times its weight, exactly: in integers over one
    common denominator (adding Fractions term by term was a third of a grade's time)."""
    common = math.lcm(*(parts[name].denominator for name in WEIGHTS))
    total = sum(WEIGHTS[n] * parts[n].numerator * (common // parts[n].denominator) for n in WEIGHTS)
    return Fraction(total, common)


class Deviation(TypedDict):
    """One way the answer differs from the key."""

    code: str  # e.g. unsafe_dispatch, missed_question (see CRITICAL_CODES, ERROR_CODES)
    severity: str  # critical | major | moderate | minor
    category: str  # questions | disqualifiers | call_type | disposition | time
    subject: Any  # what it is about: a question id, a code, a route, seconds
    message: str  # in plain words, for the trainee


class Grade(TypedDict, total=False):
    """A graded call. A grade made now has every key; one stored by an older version of
    the platform may lack some, so stored grades are read with ``.get``."""

    scenario: str | None
    version: int | None
    model: str
    rules: int
    score: int
    passed: bool
    critical: list[str]  # codes of the critical errors, each once
    errors: list[str]  # codes of the other errors (a missed disqualifier is in both)
    parts: dict[str, float]  # share of each part earned, 0..1
    level: str  # compliance level: high | compliant | partial | low | non-compliant
    deviations: list[Deviation]
    pass_mark: int


def grade(
    scenario: Mapping,
    answer: Mapping,
    model: str = DEFAULT_MODEL,
    protocol: Protocol | None = None,
    *,
    pass_mark: int = PASS_MARK,
    rules: int = RULES,
) -> Grade:
    """Grade ``answer`` against ``scenario`` (a validated scenario dict) under ``model``.

    ``rules=1`` grades as the platform did before rules 2 (only the key's ``unsafe`` list
    and responders alone on a disqualified call were critical; a missed disqualifier and
    under-triage were not; a wrong priority cost 2 points; police were over-routed only
    when no key route involved them). Raises :class:`GradingError` for an unknown model,
    unknown rules or an answer of the wrong shape.
    """
    if rules not in KNOWN_RULES:
        raise GradingError(f"unknown grading rules {rules!r} (one of: 1, 2)")
    rules_1 = rules == 1
    protocol = protocol or load_protocol()
    problems = validate_answer(answer, protocol)
    if problems:
        raise GradingError(f"answer is not valid: {problems[0]}")
    key = effective_key(scenario, model, protocol)
    call = scenario.get("call") or {}
    exchanges = _exchanges(scenario)
    deviations: list[Deviation] = []
    errors: list[str] = []
    critical: list[str] = []
    penalty = 0

    def deviate(
        code: str, severity: str, category: str, subject: Any, message: str, *, error: bool = False
    ) -> None:
        """Record a deviation; a critical one is in ``critical`` once (and in ``errors``
        too when ``error``: a missed disqualifier is both, once per disqualifier)."""
        deviations.append(
            Deviation(
                code=code, severity=severity, category=category, subject=subject, message=message
            )
        )
        if severity == "critical":
            if code not in critical:
                critical.append(code)
            if error:
                errors.append(code)
        else:
            errors.append(code)

    evidence = {q: d for d, q in key["evidence"].items() if d in key["disqualifiers"]}

    # questions
    asked = set(answer["questions"])
    required = list(dict.fromkeys(key["required_questions"]))
    missed_questions = [q for q in required if q not in asked]
    parts: dict[str, Fraction] = {}
    parts["questions"] = (
        Fraction(len(required) - len(missed_questions), len(required)) if required else Fraction(1)
    )
    for qid in missed_questions:
        text = _question_text(qid, exchanges, protocol)
        message = f'You did not ask "{text}". This question is required on this call.'
        severity = "moderate"
        if qid in evidence:
            severity = "major"
            label = protocol.disqualifiers[evidence[qid]].label
            message += f" Its answer reveals a disqualifier: {label.lower()}."
        deviate("missed_question", severity, "questions", qid, message)

    # disqualifiers
    expected = set(key["disqualifiers"])
    marked = set(answer["disqualifiers"])
    missed = [d for d in DISQUALIFIERS if d in expected and d not in marked]
    extra = [d for d in DISQUALIFIERS if d in marked and d not in expected]
    parts["disqualifiers"] = Fraction(
        len(DISQUALIFIERS) - len(missed) - len(extra), len(DISQUALIFIERS)
    )
    for code in missed:
        info = protocol.disqualifiers[code]
        ident = key["evidence"].get(code)
        exchange = exchanges.get(ident) if ident else None
        if exchange and exchange.get("answer"):
            text = _question_text(ident, exchanges, protocol)
            said = str(exchange["answer"]).strip()
            message = (
                f'You did not mark the disqualifier "{info.label}": asked "{text}", '
                f'the caller said: "{said}"'
            )
        else:
            message = f'You did not mark the disqualifier "{info.label}": {info.description}'
        penalty += PENALTIES["missed_disqualifier"]
        severity = "major" if rules_1 else "critical"
        deviate("missed_disqualifier", severity, "disqualifiers", code, message, error=True)
    for code in extra:
        info = protocol.disqualifiers[code]
        deviate(
            "over_disqualified",
            "moderate",
            "disqualifiers",
            code,
            f'You marked the disqualifier "{info.label}", but nothing the caller said shows it. '
            "A crime alone, or a worry without facts, is not a disqualifier.",
        )

    # call type and priority
    call_type = answer["call_type"]
    parts["call_type"] = Fraction(1 if call_type == key["call_type"] else 0)
    if call_type != key["call_type"]:
        deviate(
            "wrong_call_type",
            "moderate",
            "call_type",
            call_type,
            f'You coded the call "{protocol.call_type_label(call_type)}"; the right call type '
            f'is "{protocol.call_type_label(key["call_type"])}".',
        )
    priority = answer.get("priority")
    wanted = key["priority"]
    if wanted is not None and priority is not None and priority != wanted:
        penalty += 2 if rules_1 else PENALTIES["wrong_priority"]
        deviate(
            "wrong_priority",
            "minor" if abs(priority - wanted) == 1 else "moderate",
            "call_type",
            priority,
            f"You gave priority {priority}; this call is priority {wanted}.",
        )
    if (
        not rules_1
        and wanted is not None
        and ((wanted == 1 and priority != 1) or (priority is not None and priority - wanted >= 2))
    ):
        given = "no priority" if priority is None else f"priority {priority}"
        deviate(
            "under_triaged",
            "critical",
            "call_type",
            priority,
            f"You gave {given} to a priority {wanted} call. "
            + (
                "Someone's life or safety is at risk now: this call cannot wait."
                if wanted == 1
                else "Two levels less urgent than the call is lets it wait far too long."
            ),
        )

    # route
    disposition = answer["disposition"]
    best = key["disposition"]
    acceptable = set(key["acceptable"])
    unsafe = set(key["unsafe"])
    label = protocol.disposition_label(disposition)
    best_label = protocol.disposition_label(best)
    available = protocol.available_dispositions(model, call.get("time"), call.get("context"))
    unmet = unmet_demands(disposition, expected)
    if rules_1:  # only responders alone counted against the disqualifiers
        unmet = [d for d in unmet if disposition == "community_responder"]
    if unmet:
        listed = ", ".join(protocol.disqualifiers[d].label.lower() for d in unmet)
        needs = " and ".join(sorted(demands_of(unmet)))
        reason = (
            f"You sent {label.lower()}, but this call has a disqualifier ({listed}) that needs "
            f"{needs.replace('ems', 'EMS')} on the way. That route leaves it without them."
        )
        deviate("unsafe_dispatch", "critical", "disposition", disposition, reason)
    elif disposition in unsafe:
        deviate(
            "unsafe_dispatch",
            "critical",
            "disposition",
            disposition,
            f"{label} is an unsafe route for this call.",
        )
    key_routes = {best, *acceptable}
    over_routed = (
        disposition in POLICE_DISPOSITIONS
        and not (rules_1 and (disposition in key_routes or key_routes & POLICE_DISPOSITIONS))
        and "police" not in demands_of(expected)
        and (
            not key_routes & POLICE_DISPOSITIONS
            or (disposition in POLICE_LED_DISPOSITIONS and not key_routes & POLICE_LED_DISPOSITIONS)
        )
    )
    if not key_routes & POLICE_DISPOSITIONS:
        over_message = f"You sent {label.lower()}, but nothing in this call needs police."
    else:
        over_message = (
            f"You sent {label.lower()} without a community team; this call needs the team, "
            "with police beside it at most."
        )
    over_message += f" The best route is {best_label.lower()}."
    if disposition not in available:
        parts["disposition"] = Fraction(0)
        model_label = protocol.models[model].label
        when = ""
        if disposition == "external_hotline" and disposition in protocol.models[model].dispositions:
            when = " at the time of this call (the hotline is closed)"
        deviate(
            "unavailable_route",
            "major",
            "disposition",
            disposition,
            f"{label} is not available under the {model_label} model{when}. "
            f"The best route here is {best_label.lower()}.",
        )
    elif disposition == best:
        parts["disposition"] = Fraction(1)
    elif disposition in acceptable:
        parts["disposition"] = ACCEPTABLE_CREDIT
        deviate(
            "suboptimal_disposition",
            "minor",
            "disposition",
            disposition,
            f"{label} is acceptable, but {best_label.lower()} is the best route for this call.",
        )
    elif not over_routed:
        parts["disposition"] = Fraction(0)
        deviate(
            "wrong_disposition",
            "major",
            "disposition",
            disposition,
            f"{label} is not a right route for this call. The best route is {best_label.lower()}.",
        )
    else:
        parts["disposition"] = Fraction(0)
    if over_routed:
        # Counted whatever credit the route earned: supervisors' over-policing figures
        # read this code, so it must not hide behind a wrong or acceptable route.
        penalty += PENALTIES["over_routed"]
        deviate("over_routed", "major", "disposition", disposition, over_message)

    # time
    seconds = answer.get("seconds")
    target = key["time_target_seconds"]
    parts["time"] = Fraction(1)
    if seconds is not None and target is not None and seconds > target:
        slow_ok = Fraction(seconds) <= SLOW_FACTOR * target
        parts["time"] = Fraction(1, 2) if slow_ok else Fraction(0)
        deviate(
            "slow",
            "minor" if slow_ok else "moderate",
            "time",
            seconds,
            f"You took {duration_text(seconds)}; the target for this call is "
            f"{duration_text(target)}.",
        )

    score = max(0, min(100, _round_half_up(weighted_total(parts) - penalty)))
    return Grade(
        scenario=scenario.get("id"),
        version=scenario.get("version"),
        model=model,
        rules=rules,
        score=score,
        passed=score >= pass_mark and not critical,
        critical=critical,
        errors=errors,
        parts={name: round(parts[name].numerator / parts[name].denominator, 4) for name in WEIGHTS},
        level=compliance_level(score, critical, len(missed_questions)),
        deviations=deviations,
        pass_mark=pass_mark,
    )


def check_matches(result: Mapping, expect: Mapping) -> list[str]:
    """How a grade differs from a check's ``expect`` ([] when it matches).

    ``score`` is exact; ``passed`` a bool; ``critical`` a bool (any critical at all) or a
    list (the same set of codes); ``errors`` a list (the same set of codes).
    """
    differences = []
    if "score" in expect and result["score"] != expect["score"]:
        differences.append(f"score {expect['score']} but it grades {result['score']}")
    if "passed" in expect and result["passed"] != expect["passed"]:
        want = "true" if expect["passed"] else "false"
        got = "true" if result["passed"] else "false"
        differences.append(f"passed: {want} but it grades passed: {got}")
    if "critical" in expect:
        want = expect["critical"]
        if isinstance(want, bool):
            if bool(result["critical"]) != want:
                differences.append(
                    f"critical: {'true' if want else 'false'} but it grades critical: "
                    f"{result['critical'] or 'none'}"
                )
        elif set(want) != set(result["critical"]):
            differences.append(
                f"critical {sorted(set(want))} but it grades {sorted(set(result['critical']))}"
            )
    if "errors" in expect and set(expect["errors"]) != set(result["errors"]):
        differences.append(
            f"errors {sorted(set(expect['errors']))} but it grades {sorted(set(result['errors']))}"
        )
    return differences
