"""The call as the services hand it to a screen: what the caller says and what the trainee
may choose. The call screen (``practice.call.AttemptView``) and the trainer's preview
(``authoring.preview.Preview``) both extend :class:`CallView`.

Part of :mod:`app.services.practice`; import from the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict


class CodeLabel(TypedDict):
    code: str
    label: str


class InitialCallType(TypedDict):
    code: str | None  # None: the scenario gives none
    label: str


class CallerFacts(TypedDict):
    role: str | None
    relation: str | None


class CatalogueQuestion(TypedDict):
    id: str
    text: str
    own: bool  # the scenario's own question, not the protocol's


class DisqualifierChoice(TypedDict):
    code: str
    label: str
    description: str


class CallView(TypedDict):
    """The call as a trainee's screen shows it, nothing of the key: the shape
    :func:`app.core.call_view.call_view` builds, shared by the call screen and the
    trainer's preview."""

    model: str
    model_label: str
    channel: str  # "911" unless the scenario says otherwise
    time: str | None  # local time of the call, "HH:MM"
    location: str | None  # None: not known (on the call screen: not asked yet)
    caller: CallerFacts
    opening: str
    initial_call_type: InitialCallType
    context: dict[str, Any]  # only the keys of CONTEXT_SHOWN the scenario has
    questions: list[CatalogueQuestion]
    call_types: list[CodeLabel]
    dispositions: list[CodeLabel]  # the routes available at the call's time
    disqualifiers: list[DisqualifierChoice]
    priorities: list[int]


def as_call_view(view: Mapping) -> CallView:
    """:func:`app.core.call_view.call_view`'s result as a :class:`CallView` (same keys,
    same order; ``answers``, when asked for, is left to the caller)."""
    return CallView(
        model=view["model"],
        model_label=view["model_label"],
        channel=view["channel"],
        time=view["time"],
        location=view["location"],
        caller=view["caller"],
        opening=view["opening"],
        initial_call_type=view["initial_call_type"],
        context=view["context"],
        questions=view["questions"],
        call_types=view["call_types"],
        dispositions=view["dispositions"],
        disqualifiers=view["disqualifiers"],
        priorities=view["priorities"],
    )


class Heard(TypedDict):
    """One question as asked and answered (in English, the script's or the fallback)."""

    id: str
    question: str
    answer: str


def heard_as(said: Mapping) -> Heard:
    """:func:`app.core.call_view.heard`'s result (or one of the preview's answers) typed."""
    return Heard(id=said["id"], question=said["question"], answer=said["answer"])


class AskedQuestion(Heard):
    t: float  # call seconds when first asked
