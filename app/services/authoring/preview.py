"""The trainee's view of a scenario as the trainer previews it, and its key in words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from app.core import grading
from app.core.call_view import call_view
from app.core.protocol import Protocol
from app.services.access import Actor, require
from app.services.authoring.common import _protocol
from app.services.practice import scenario_clip
from app.services.practice.call_view import CallView, Heard, as_call_view, heard_as

# ------------------------------------------------------------------ preview (no key)


class Preview(CallView):
    """The trainee's call screen for a scenario, and every caller answer."""

    id: str | None  # the scenario's id
    title: str | None
    answers: list[Heard]  # one per question of the catalogue, in its order


def build_preview(data: Mapping, protocol: Protocol, model: str) -> Preview:
    """What a trainee's call screen shows for this scenario, and nothing of the key.

    The call is built by :func:`app.core.call_view.call_view`, as for the trainee's own
    screen (:func:`app.services.practice.attempt_view`), plus the scenario's ``id`` and
    ``title``; ``answers`` lists what the caller says to each question of the catalogue
    ``[{id, question, answer}]`` (the page reveals them one by one, as the trainee asks).
    A dispatch model or call time the protocol cannot use gives no routes (a draft).
    """
    view = call_view(data, protocol, model, answers=True, strict=False)
    return {
        "id": data.get("id"),
        "title": data.get("title"),
        **as_call_view(view),
        "answers": [heard_as(a) for a in view["answers"]],
    }


def preview(*, actor: Actor, data: Mapping) -> Preview:
    """The trainee's view of a (validated) scenario under the agency's dispatch model."""
    require(actor, "author_scenarios")
    protocol, model = _protocol(actor)
    return build_preview(data, protocol, model)


def preview_clip(*, actor: Actor, data: Mapping, item: str) -> bytes | None:
    require(actor, "author_scenarios")
    protocol, _ = _protocol(actor)
    return scenario_clip(data, item, protocol)


class KeySummary(TypedDict):
    """The expert key in the protocol's words (labels, not codes)."""

    model: str
    disqualifiers: list[str]
    call_type: str
    priority: int | None  # 1-4; None: the key sets none
    disposition: str  # the best route
    acceptable: list[str]
    unsafe: list[str]
    required_questions: list[str]  # the questions' words
    time_target_seconds: int | None
    rationale: str


def key_summary(*, actor: Actor, data: Mapping) -> KeySummary:
    """The key under the agency's dispatch model, with labels (for reviewing drafts)."""
    require(actor, "author_scenarios")
    protocol, model = _protocol(actor)
    key = grading.effective_key(data, model, protocol)
    return {
        "model": model,
        "disqualifiers": [protocol.disqualifiers[d].label for d in key["disqualifiers"]],
        "call_type": protocol.call_type_label(key["call_type"]),
        "priority": key["priority"],
        "disposition": protocol.disposition_label(key["disposition"]),
        "acceptable": [protocol.disposition_label(d) for d in key["acceptable"]],
        "unsafe": [protocol.disposition_label(d) for d in key["unsafe"]],
        "required_questions": [
            next(
                (
                    q["text"]
                    for q in build_preview(data, protocol, model)["questions"]
                    if q["id"] == qid
                ),
                qid,
            )
            for qid in key["required_questions"]
        ],
        "time_target_seconds": key["time_target_seconds"],
        "rationale": " ".join(str(key["rationale"] or "").split()),
    }
