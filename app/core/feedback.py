"""Teaching feedback on a graded call, and hints while a guided call is under way.

Pure: no streamlit, no database. The grade (``app.core.grading.grade``) already says
what went wrong and how badly; this module turns it into something a trainee can
learn from: the expert key in words, the caller line that revealed each
disqualifier, the questions that would have revealed what was missed, and a short
"next time" tip per mistake.

Every text here is in plain words: call types, disqualifiers, routes and questions are
named by the protocol's labels and texts, never by their codes, and every duration is
written one way (:func:`duration_text`, e.g. "1 min 04 s"). A deviation's message is
written again from its code and subject (so a grade stored with older wording reads the
same), and the "next time" tip for a wrong call type follows the direction of the
mistake: the reported code kept where the call is something else, or a right reported
code changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.core.grading import compliance_level, duration_text
from app.core.protocol import DISQUALIFIERS, POLICE_DISPOSITIONS, Protocol

SEVERITY_ORDER = {"critical": 0, "major": 1, "moderate": 2, "minor": 3}

# One "next time" tip per deviation code, in the platform's own words.
TIPS: Mapping[str, str] = {
    "unsafe_dispatch": (
        "Each disqualifier needs a responder that can meet it: a weapon, a threat or a "
        "police-only need needs police on the way; a medical emergency needs EMS; both need "
        "police and EMS. A phone call, 988 or a hotline meets none of them."
    ),
    "under_triaged": (
        "Give the priority from the risk now: anyone whose life may be at risk (a medical "
        "emergency, a weapon in use, violence under way) is priority 1."
    ),
    "missed_disqualifier": (
        "When an answer mentions a weapon, a threat, a medical problem or something only "
        "police may do, mark it straight away, then choose the route."
    ),
    "over_disqualified": (
        "Mark a disqualifier only for something the caller actually said. A crime on its "
        "own (trespass, shoplifting, vandalism) does not rule out community responders."
    ),
    "missed_question": (
        "Work through the screening questions on every call, even when the opening "
        "sounds routine: the risky detail often comes only when you ask."
    ),
    "wrong_call_type": "Choose the call type from what screening shows is happening now.",
    "wrong_priority": (
        "Set the priority from the risk you found in screening: 1 life at risk now, 2 a "
        "disqualifier present, 3 someone needs help soon, 4 it can wait."
    ),
    "wrong_disposition": (
        "Match the route to what you found: no disqualifier means community responders "
        "(or your model's route for them); a disqualifier means police or EMS, alone or "
        "with the team."
    ),
    "suboptimal_disposition": (
        "Your route would work, but another one fits this call better; see the expert key."
    ),
    "over_routed": (
        "Sending police to an eligible call out of habit is the over-policing error. When "
        "screening finds no weapon, threat or police-only need, trust it and send the team "
        "(with police beside it at most, where the key allows it)."
    ),
    "unavailable_route": (
        "Check which routes your dispatch model has, and whether the hotline is open at "
        "the time of the call."
    ),
    "slow": "Ask the key questions early and decide once you have what you need.",
}

# The "next time" tip for a wrong call type, by the direction of the mistake.
KEPT_REPORTED_TIP = (
    "Recode for what is happening now: the call came in as “{reported}”, but what the "
    "caller told you makes it “{right}”. Change the call type as soon as screening shows "
    "the call is something else."
)
LEFT_RIGHT_CODE_TIP = (
    "The reported call type (“{reported}”) was right: recode only when screening shows "
    "something else. A detail that sounds worrying is not, on its own, a reason to recode."
)

LEVEL_LABELS: Mapping[str, str] = {
    "high": "High",
    "compliant": "Compliant",
    "partial": "Partial",
    "low": "Low",
    "non-compliant": "Non-compliant",
}

# A plain sentence per code for a grade that carries no deviation detail.
BARE_MESSAGES: Mapping[str, str] = {
    "unsafe_dispatch": "The route you chose was unsafe for this call.",
    "under_triaged": "The priority you gave was far less urgent than this call needed.",
    "missed_disqualifier": "You did not mark a disqualifier the caller revealed.",
    "over_disqualified": "You marked a disqualifier that nothing the caller said shows.",
    "missed_question": "You did not ask a required screening question.",
    "wrong_call_type": "The call type you chose was not the right one.",
    "wrong_priority": "The priority you gave was not the right one.",
    "wrong_disposition": "The route you chose was not a right route for this call.",
    "suboptimal_disposition": "Your route was acceptable, but not the best one.",
    "over_routed": "You sent police to a call that did not need them.",
    "unavailable_route": "The route you chose was not available for this call.",
    "slow": "You took longer than the time target for this call.",
}


def normalize_errors(errors: Any) -> list[dict]:
    """Errors as dicts {code, detail}: accepts codes, "code:detail" texts or dicts."""
    out = []
    for item in errors or []:
        if isinstance(item, Mapping):
            out.append({"code": str(item.get("code")), "detail": item.get("subject")})
        else:
            code, _, detail = str(item).partition(":")
            out.append({"code": code, "detail": detail or None})
    return out


def _exchanges(scenario: Mapping) -> dict[str, Mapping]:
    found: dict[str, Mapping] = {}
    for exchange in (scenario.get("call") or {}).get("exchanges") or []:
        if isinstance(exchange, Mapping):
            ident = exchange.get("ask") or exchange.get("id")
            if isinstance(ident, str):
                found.setdefault(ident, exchange)
    return found


def _said(text: Any) -> str:
    return " ".join(str(text or "").split())


def question_text(ident: str, scenario: Mapping, protocol: Protocol) -> str:
    """The words of a question: the protocol's, or the scenario's own (never its id)."""
    if ident in protocol.questions:
        return protocol.questions[ident].text
    exchange = _exchanges(scenario).get(ident) or {}
    return _said(exchange.get("question")) or str(ident).replace("_", " ").capitalize()


def _dq_label(code: Any, protocol: Protocol) -> str:
    info = protocol.disqualifiers.get(str(code))
    return info.label if info else str(code).replace("_", " ")


def _call_type_label(code: Any, protocol: Protocol) -> str:
    call_type = protocol.call_types.get(str(code or ""))
    return call_type.label if call_type else "another call type"


def _labelled(codes: Iterable[str], label) -> list[dict]:
    return [{"code": c, "label": label(c)} for c in codes]


def expert_summary(key: Mapping, protocol: Protocol) -> dict:
    """The expert key in words (codes and labels)."""

    def dq_label(code: str) -> str:
        info = protocol.disqualifiers.get(code)
        return info.label if info else code

    return {
        "disqualifiers": _labelled(
            [d for d in DISQUALIFIERS if d in set(key.get("disqualifiers") or [])], dq_label
        ),
        "call_type": {
            "code": key.get("call_type"),
            "label": protocol.call_type_label(str(key.get("call_type") or "")),
        },
        "priority": key.get("priority"),
        "disposition": {
            "code": key.get("disposition"),
            "label": protocol.disposition_label(str(key.get("disposition") or "")),
        },
        "acceptable": _labelled(key.get("acceptable") or [], protocol.disposition_label),
        "unsafe": _labelled(key.get("unsafe") or [], protocol.disposition_label),
        "time_target_seconds": key.get("time_target_seconds"),
    }


def evidence_lines(
    scenario: Mapping,
    key: Mapping,
    *,
    asked: Iterable[str],
    marked: Iterable[str],
    protocol: Protocol,
) -> list[dict]:
    """For each expert disqualifier: the caller line that revealed it (when the key says)."""
    exchanges = _exchanges(scenario)
    asked_set, marked_set = set(asked), set(marked)
    evidence = key.get("evidence") or {}
    lines = []
    for code in DISQUALIFIERS:
        if code not in set(key.get("disqualifiers") or []):
            continue
        ident = evidence.get(code)
        exchange = exchanges.get(ident) if ident else None
        info = protocol.disqualifiers.get(code)
        lines.append(
            {
                "disqualifier": code,
                "label": info.label if info else code,
                "question_id": ident,
                "question": question_text(ident, scenario, protocol) if ident else None,
                "answer": _said(exchange.get("answer")) if exchange else None,
                "asked": bool(ident and ident in asked_set),
                "marked": code in marked_set,
            }
        )
    return lines


def revealing_questions(
    scenario: Mapping,
    key: Mapping,
    *,
    asked: Iterable[str],
    marked: Iterable[str],
    protocol: Protocol,
) -> list[dict]:
    """Questions that would have revealed what was missed.

    The exchange that reveals each missed disqualifier (asked or not: an asked one means
    the trainee heard it and did not act on it), then the required questions not asked.
    Each item: {id, question, reason, asked}.
    """
    asked_set, marked_set = set(asked), set(marked)
    evidence = key.get("evidence") or {}
    items: list[dict] = []
    seen: set[str] = set()
    for code in DISQUALIFIERS:
        if code not in set(key.get("disqualifiers") or []) or code in marked_set:
            continue
        ident = evidence.get(code)
        if not ident or ident in seen:
            continue
        seen.add(ident)
        info = protocol.disqualifiers.get(code)
        label = (info.label if info else code).lower()
        heard = ident in asked_set
        items.append(
            {
                "id": ident,
                "question": question_text(ident, scenario, protocol),
                "reason": (
                    f"You asked this, and the answer showed a {label}: listen for it."
                    if heard
                    else f"Its answer reveals a {label}."
                ),
                "asked": heard,
            }
        )
    for ident in key.get("required_questions") or []:
        if ident in asked_set or ident in seen:
            continue
        seen.add(ident)
        items.append(
            {
                "id": ident,
                "question": question_text(ident, scenario, protocol),
                "reason": "A required screening question on this call.",
                "asked": False,
            }
        )
    return items


def transcript(scenario: Mapping, *, asked: Iterable[str], protocol: Protocol) -> list[dict]:
    """Every scripted exchange of the call, marked asked or not (for review after submission)."""
    asked_set = set(asked)
    return [
        {
            "id": ident,
            "question": question_text(ident, scenario, protocol),
            "answer": _said(exchange.get("answer")),
            "asked": ident in asked_set,
        }
        for ident, exchange in _exchanges(scenario).items()
    ]


def _reported(scenario: Mapping | None) -> str | None:
    code = ((scenario or {}).get("call") or {}).get("initial_call_type")
    return str(code) if code else None


def call_type_direction(chosen: Any, scenario: Mapping | None, right: Any) -> str | None:
    """Which way a wrong call type went: "kept_reported" (the trainee kept the code the
    call came in with, and the call is something else), "left_right_code" (the code it
    came in with was right and the trainee changed it), or None (neither)."""
    reported = _reported(scenario)
    if not reported or not chosen or chosen == right:
        return None
    if chosen == reported:
        return "kept_reported"
    if right == reported:
        return "left_right_code"
    return None


def call_type_tip(chosen: Any, scenario: Mapping | None, right: Any, protocol: Protocol) -> str:
    """The "next time" tip for a wrong call type, following the direction of the mistake."""
    direction = call_type_direction(chosen, scenario, right)
    reported = _call_type_label(_reported(scenario), protocol)
    if direction == "kept_reported":
        return KEPT_REPORTED_TIP.format(reported=reported, right=_call_type_label(right, protocol))
    if direction == "left_right_code":
        return LEFT_RIGHT_CODE_TIP.format(reported=reported)
    return TIPS["wrong_call_type"]


def deviation_message(
    item: Mapping,
    *,
    scenario: Mapping,
    key: Mapping,
    protocol: Protocol,
) -> str:
    """A deviation in plain words, written from its code and subject.

    The codes whose stored message named codes or seconds (questions, disqualifiers,
    call type, time) are written again with the protocol's labels; the others keep the
    grade's own sentence, which already uses labels.
    """
    code, subject = item.get("code"), item.get("subject")
    exchanges = _exchanges(scenario)
    evidence = {
        q: d
        for d, q in (key.get("evidence") or {}).items()
        if d in (key.get("disqualifiers") or [])
    }
    if code == "missed_question" and subject:
        text = question_text(str(subject), scenario, protocol)
        message = f"You did not ask “{text}”. This question is required on this call."
        if subject in evidence:
            label = _dq_label(evidence[subject], protocol).lower()
            message += f" Its answer reveals a disqualifier: {label}."
        return message
    if code == "missed_disqualifier" and subject:
        label = _dq_label(subject, protocol)
        ident = (key.get("evidence") or {}).get(subject)
        exchange = exchanges.get(ident) if ident else None
        if ident and exchange and exchange.get("answer"):
            return (
                f"You did not mark the disqualifier “{label}”. Asked "
                f"“{question_text(ident, scenario, protocol)}”, the caller said: "
                f"“{_said(exchange['answer'])}”"
            )
        info = protocol.disqualifiers.get(str(subject))
        return f"You did not mark the disqualifier “{label}”" + (
            f": {info.description}" if info else "."
        )
    if code == "over_disqualified" and subject:
        return (
            f"You marked the disqualifier “{_dq_label(subject, protocol)}”, but nothing the "
            "caller said shows it. A crime alone, or a worry without facts, is not a "
            "disqualifier."
        )
    if code == "wrong_call_type" and subject:
        return (
            f"You coded the call “{_call_type_label(subject, protocol)}”; the right call type "
            f"is “{_call_type_label(key.get('call_type'), protocol)}”."
        )
    if code == "slow" and isinstance(subject, int | float) and key.get("time_target_seconds"):
        return (
            f"You took {duration_text(subject)}; the target for this call is "
            f"{duration_text(key['time_target_seconds'])}."
        )
    return str(item.get("message") or BARE_MESSAGES.get(str(code), "Something to look at."))


def deviations(
    grade: Mapping,
    *,
    scenario: Mapping | None = None,
    key: Mapping | None = None,
    protocol: Protocol | None = None,
) -> list[dict]:
    """The grade's deviations, worst first, each with a "next time" tip.

    With the scenario, its effective key and the protocol, each message is written in
    plain words (:func:`deviation_message`) and the call-type tip follows the direction
    of the mistake (:func:`call_type_tip`).
    """
    items: list[dict[str, Any]] = []
    for item in grade.get("deviations") or []:
        entry = {**item, "tip": TIPS.get(item.get("code"), "")}
        if scenario is not None and key is not None and protocol is not None:
            entry["message"] = deviation_message(
                item, scenario=scenario, key=key, protocol=protocol
            )
            if item.get("code") == "wrong_call_type":
                entry["tip"] = call_type_tip(
                    item.get("subject"), scenario, key.get("call_type"), protocol
                )
        items.append(entry)
    if not items:  # a grade without deviation detail: fall back to the bare codes
        for code in list(grade.get("critical") or []) + list(grade.get("errors") or []):
            entry = normalize_errors([code])[0]
            items.append(
                {
                    "code": entry["code"],
                    "severity": "critical" if code in (grade.get("critical") or []) else "major",
                    "category": "",
                    "subject": entry["detail"],
                    "message": BARE_MESSAGES.get(entry["code"], "Something to look at."),
                    "tip": TIPS.get(entry["code"], ""),
                }
            )
    return sorted(items, key=lambda d: SEVERITY_ORDER.get(d.get("severity", ""), 9))


def summary(grade: Mapping) -> str:
    """One sentence on the outcome."""
    critical = set(grade.get("critical") or [])
    if "unsafe_dispatch" in critical:
        return "Unsafe: this route would have put an unarmed team in danger."
    if "missed_disqualifier" in critical:
        return (
            "Not passed: a disqualifier went unmarked, so the team sent would not have been warned."
        )
    if critical:
        return "Not passed: this call was given far too low a priority."
    if grade.get("passed"):
        if not grade.get("errors"):
            return "Spot on: you screened and routed this call like the expert."
        return "Passed, with a few things to tighten up."
    return "Not passed yet: see what to change below."


def build_feedback(
    scenario: Mapping,
    answer: Mapping,
    grade: Mapping,
    *,
    key: Mapping,
    asked: Sequence[str] | None = None,
    protocol: Protocol,
) -> dict:
    """Everything the review screen teaches from one graded call.

    ``key`` is the effective expert key for the attempt's dispatch model
    (``grading.effective_key``); ``asked`` the questions asked (default: the answer's).
    """
    asked = list(asked if asked is not None else answer.get("questions") or [])
    marked = list(answer.get("disqualifiers") or [])
    missed = [q for q in dict.fromkeys(key.get("required_questions") or []) if q not in asked]
    level = compliance_level(int(grade.get("score") or 0), grade.get("critical") or [], len(missed))
    return {
        "summary": summary(grade),
        "level": level,
        "level_label": LEVEL_LABELS[level],
        "missed_required": len(missed),
        "deviations": deviations(grade, scenario=scenario, key=key, protocol=protocol),
        "expert": expert_summary(key, protocol),
        "rationale": _said(key.get("rationale")),
        "evidence": evidence_lines(scenario, key, asked=asked, marked=marked, protocol=protocol),
        "would_have_revealed": revealing_questions(
            scenario, key, asked=asked, marked=marked, protocol=protocol
        ),
        "transcript": transcript(scenario, asked=asked, protocol=protocol),
    }


def guided_hints(
    scenario: Mapping,
    *,
    key: Mapping,
    asked: Sequence[str],
    marks: Mapping,
    protocol: Protocol,
) -> list[str]:
    """Hints for guided practice, judged on what the trainee has heard and marked so far.

    A hint never names something the trainee has not yet heard from the caller, except
    that once a route is chosen it may point at screening questions still to ask.
    """
    hints: list[str] = []
    asked_set = set(asked)
    expert_dq = set(key.get("disqualifiers") or [])
    marked = set(marks.get("disqualifiers") or [])
    disposition = marks.get("disposition")
    evidence = key.get("evidence") or {}
    heard = {
        code: ident for code, ident in evidence.items() if code in expert_dq and ident in asked_set
    }

    def label(code: str) -> str:
        info = protocol.disqualifiers.get(code)
        return (info.label if info else code).lower()

    if disposition == "community_responder" and heard:
        ident = next(iter(heard.values()))
        hints.append(
            "Think again about sending community responders alone: the caller's answer to "
            f"“{question_text(ident, scenario, protocol)}” rules it out."
        )
    chose = bool(disposition or marks.get("call_type"))
    for code, ident in heard.items():
        if chose and code not in marked:
            hints.append(
                f"The answer to “{question_text(ident, scenario, protocol)}” points to a "
                f"disqualifier you have not marked: {label(code)}."
            )
    for code in DISQUALIFIERS:
        if code in marked and code not in expert_dq:
            hints.append(
                f"You marked {label(code)}. What exactly did the caller say that shows it? "
                "A crime, or a worry without facts, is not a disqualifier."
            )
    routes = {key.get("disposition"), *(key.get("acceptable") or [])}
    if (
        disposition in POLICE_DISPOSITIONS
        and not expert_dq
        and not routes & POLICE_DISPOSITIONS
        and not marked
    ):
        hints.append(
            "You have found no disqualifier, yet your route involves police. If screening "
            "shows no weapon, threat, medical emergency or police-only need, an unarmed "
            "team can take this call."
        )
    if disposition:
        missing = [q for q in key.get("required_questions") or [] if q not in asked_set]
        if missing:
            texts = "; ".join(f"“{question_text(q, scenario, protocol)}”" for q in missing)
            hints.append(f"Before you settle the route, ask: {texts}")
    call_type = marks.get("call_type")
    if disposition and call_type and call_type != key.get("call_type"):
        chosen = _call_type_label(call_type, protocol)
        reported = _call_type_label(_reported(scenario), protocol)
        direction = call_type_direction(call_type, scenario, key.get("call_type"))
        if direction == "kept_reported":
            hints.append(
                f"Check the call type: the call came in as “{reported}”. Recode for what is "
                "happening now: does that still describe what the caller has told you?"
            )
        elif direction == "left_right_code":
            hints.append(
                f"Check the call type: the call came in as “{reported}” and you recoded it "
                f"to “{chosen}”. Recode only when screening shows something else: what did "
                f"the caller say that makes it “{chosen}”?"
            )
        else:
            hints.append(f"Check the call type: does “{chosen}” describe what is happening now?")
    return hints
