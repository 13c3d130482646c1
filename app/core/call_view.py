"""The trainee's-eye view of a call: what a call screen may show, and nothing of the key.

One builder for both screens that show a call as a trainee sees it: the practice and
exam call (:func:`app.services.practice.attempt_view` adds the attempt's status, clock,
questions asked and marks) and the trainer's preview
(:func:`app.services.authoring.build_preview` adds the scenario's id and title and every
caller answer). Pure: no Streamlit, no database.

Nothing here reads ``scenario["expert"]`` or ``scenario["checks"]``: no rationale,
evidence, required questions, unsafe routes or expert disposition can reach a view.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.core.protocol import Protocol, ProtocolError
from app.core.protocol.model import fallback_answer
from app.errors import NotFound

# The call.context keys a trainee sees (ambience is heard, not shown).
CONTEXT_SHOWN = ("responders_available", "police_available", "hotline_open", "notes", "prior_calls")
PRIORITIES = (1, 2, 3, 4)


def call_of(scenario: Mapping) -> Mapping:
    """The scenario's ``call`` mapping (empty when there is none)."""
    return scenario.get("call") or {}


def _exchange_for(scenario: Mapping, question_id: str) -> Mapping | None:
    for exchange in call_of(scenario).get("exchanges") or []:
        if exchange.get("ask") == question_id or exchange.get("id") == question_id:
            return exchange
    return None


def question_catalogue(scenario: Mapping, protocol: Protocol) -> list[dict]:
    """Every question the trainee may ask: the protocol's, then the scenario's own.

    Deliberately says nothing about which ones the key requires.
    """
    items = [{"id": q.id, "text": q.text, "own": False} for q in protocol.questions.values()]
    for exchange in call_of(scenario).get("exchanges") or []:
        qid = exchange.get("id")
        if qid and not exchange.get("ask") and qid not in protocol.questions:
            items.append({"id": qid, "text": str(exchange.get("question") or qid), "own": True})
    return items


def caller_answer(scenario: Mapping, question_id: str, protocol: Protocol) -> str:
    """What the caller says to this question: the scripted answer, else a fallback.

    The fallback fits the caller's stance and relation
    (:func:`app.core.protocol.model.fallback_answer`); an agency's own default answer
    for the question is kept as it is.
    """
    exchange = _exchange_for(scenario, question_id)
    if exchange is not None and exchange.get("answer"):
        return " ".join(str(exchange["answer"]).split())
    question = protocol.questions.get(question_id)
    if question is None:
        raise NotFound(f"There is no question '{question_id}' for this call.")
    return fallback_answer(question_id, call_of(scenario), question.default_answer)


def is_scripted(scenario: Mapping, question_id: str) -> bool:
    """Whether the scenario scripts an answer to this question (no fallback needed)."""
    exchange = _exchange_for(scenario, question_id)
    return exchange is not None and bool(exchange.get("answer"))


def question_text(scenario: Mapping, question_id: str, protocol: Protocol) -> str:
    """The words the call taker says for this question (the protocol's, else the script's)."""
    if question_id in protocol.questions:
        return protocol.questions[question_id].text
    exchange = _exchange_for(scenario, question_id)
    return str((exchange or {}).get("question") or question_id)


def available_routes(scenario: Mapping, protocol: Protocol, model: str) -> list[str]:
    """The routes that exist under ``model`` at this call's time and context."""
    call = call_of(scenario)
    return protocol.available_dispositions(model, call.get("time"), call.get("context") or {})


def call_view(
    scenario: Mapping,
    protocol: Protocol,
    model: str,
    *,
    answers: bool = False,
    strict: bool = True,
) -> dict:
    """What a trainee's call screen shows for ``scenario`` under dispatch ``model``.

    Keys: model, model_label, channel, time, location, caller (role, relation),
    opening, initial_call_type {code, label}, context (only :data:`CONTEXT_SHOWN`),
    questions (the catalogue [{id, text, own}]), call_types [{code, label}],
    dispositions [{code, label}] (the routes available at the call's time),
    disqualifiers [{code, label, description}] and priorities.

    With ``answers=True`` also ``answers``: what the caller says to each question of the
    catalogue ``[{id, question, answer}]`` (a preview reveals them one by one).
    With ``strict=False`` a model or call time the protocol cannot use gives no routes
    instead of raising :class:`~app.core.protocol.ProtocolError` (a draft's preview).
    """
    call = call_of(scenario)
    caller = call.get("caller") or {}
    context = call.get("context") or {}
    catalogue = question_catalogue(scenario, protocol)
    try:
        routes = available_routes(scenario, protocol, model)
    except ProtocolError:
        if strict:
            raise
        routes = []
    view = {
        "model": model,
        "model_label": protocol.models[model].label if model in protocol.models else model,
        "channel": str(call.get("channel") or "911"),
        "time": call.get("time"),
        "location": call.get("location"),
        "caller": {"role": caller.get("role"), "relation": caller.get("relation")},
        "opening": " ".join(str(call.get("opening") or "").split()),
        "initial_call_type": {
            "code": call.get("initial_call_type"),
            "label": protocol.call_type_label(str(call.get("initial_call_type") or "")),
        },
        "context": {k: context[k] for k in CONTEXT_SHOWN if k in context},
        "questions": catalogue,
        "call_types": [{"code": c.code, "label": c.label} for c in protocol.call_types.values()],
        "dispositions": [{"code": d, "label": protocol.disposition_label(d)} for d in routes],
        "disqualifiers": [
            {"code": d.code, "label": d.label, "description": d.description}
            for d in protocol.disqualifiers.values()
        ],
        "priorities": list(PRIORITIES),
    }
    if answers:
        view["answers"] = [_heard_or_blank(scenario, q, protocol) for q in catalogue]
    return view


def heard(scenario: Mapping, question_id: str, protocol: Protocol) -> dict:
    """One question as asked and answered: ``{id, question, answer}``.

    Raises :class:`~app.errors.NotFound` for a question the call does not know.
    """
    return {
        "id": question_id,
        "question": question_text(scenario, question_id, protocol),
        "answer": caller_answer(scenario, question_id, protocol),
    }


def _heard_or_blank(scenario: Mapping, question: Mapping, protocol: Protocol) -> dict:
    try:
        said = caller_answer(scenario, question["id"], protocol)
    except NotFound:  # pragma: no cover - every catalogue id has an answer
        said = ""
    return {"id": question["id"], "question": question["text"], "answer": said}
