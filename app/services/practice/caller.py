"""What the caller says: language, the dead line and calling back, answers, the transcript.

Part of :mod:`app.services.practice` (split out of :mod:`.call`, which re-exports every
name here); import from the package or from :mod:`.call`. Pure functions of the
scenario, the protocol and the recorded events: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NotRequired, TypedDict

from app.core.call_view import _exchange_for, call_of, caller_answer, question_text
from app.core.protocol import Protocol
from app.core.scenario.kinds import call_kind
from app.errors import NotFound, UserError

# Channels on which the team is already at the scene: the location is known from the start.
ON_SCENE_CHANNELS = ("police_referral", "proactive")
# What the caller says to a typed sentence that asks nothing they can answer.
UNCLEAR_REPLY = "Sorry, what do you mean?"
UNCLEAR_IN = {
    "es": "Perdón, ¿qué quiere decir?",
    "fr": "Pardon, qu'est-ce que vous voulez dire ?",
    "pt": "Desculpe, o que quer dizer?",
    "de": "Entschuldigung, was meinen Sie?",
    "it": "Scusi, cosa intende?",
}
LANGUAGE_NAMES = {
    "am": "Amharic", "ar": "Arabic", "cmn": "Mandarin", "de": "German", "es": "Spanish",
    "fa": "Persian", "fr": "French", "hi": "Hindi", "hmn": "Hmong", "ht": "Haitian Creole",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "pa": "Punjabi", "pl": "Polish",
    "pt": "Portuguese", "ru": "Russian", "so": "Somali", "tl": "Tagalog", "uk": "Ukrainian",
    "vi": "Vietnamese", "yue": "Cantonese", "zh": "Chinese",
}  # fmt: skip


def language_of(scenario: Mapping) -> str:
    """The caller's language, as its primary subtag in lower case (``en`` when not given)."""
    caller = call_of(scenario).get("caller") or {}
    tag = caller.get("language") if isinstance(caller, Mapping) else None
    if not isinstance(tag, str) or not tag.strip():
        return "en"
    return tag.strip().split("-")[0].lower()


def location_known(scenario: Mapping, asked: Collection[str]) -> bool:
    """Whether the call screen shows ``call.location``: once ``address`` has been asked,
    or from the start when the team is already at the scene."""
    channel = str(call_of(scenario).get("channel") or "911")
    return channel in ON_SCENE_CHANNELS or "address" in asked


class LineDead(UserError):
    """A question on a dropped or hung-up call before the trainee has called back."""


CALLBACK_EVENT = "callback"
CALLBACK_CLIP = "called_back"
CALLBACK_QUESTION = "You call the number back."


def called_back(events: list | None) -> bool:
    """Whether the trainee has called back (a ``callback`` event is recorded)."""
    return any(isinstance(e, Mapping) and e.get("kind") == CALLBACK_EVENT for e in events or [])


def _refuse_dead_line(scenario: Mapping, events: list | None) -> None:
    if call_kind(scenario).needs_callback and not called_back(events):
        raise LineDead("The line is dead. Call the number back before you ask anything.")


class Said(TypedDict):
    """What the caller says to one question."""

    answer: str  # in the caller's language
    interpreted: str | None  # the interpreter's English; None: none heard
    clip: str | None  # the audio item played ("en:<id>" for the interpreter); None: no clip
    clips: list[str]  # every item played, in order: the caller, then the interpreter


class CallbackSaid(TypedDict):
    """What is said when the trainee calls the number back."""

    who: str | None  # who picks up; None: not given
    answer: str
    interpreted: str | None  # the interpreter's English; None: none heard
    clip: str
    clips: list[str]  # every item played, in order: the caller, then the interpreter


def _in_order(caller: str | None, interpreter: str | None = None) -> list[str]:
    """The audio items of one answer, in the order they are played: the caller's own
    words, then the interpreter's English relay of them. None: that voice has no clip."""
    return [item for item in (caller, interpreter) if item]


def _callback_said(scenario: Mapping, interpreter: bool) -> CallbackSaid:
    """What is said when the trainee calls back: ``{who, answer, interpreted, clip}``."""
    back = call_kind(scenario).when_called_back or {}
    answer = " ".join(str(back.get("answer") or "").split())
    english = " ".join(str(back.get("interpreted") or "").split()) or None
    other = language_of(scenario) != "en"
    english = english if (interpreter and other) else None
    return CallbackSaid(
        who=" ".join(str(back.get("who") or "").split()) or None,
        answer=answer,
        interpreted=english,
        clip=f"en:{CALLBACK_CLIP}" if english else CALLBACK_CLIP,
        clips=_in_order(CALLBACK_CLIP, f"en:{CALLBACK_CLIP}" if english else None),
    )


class PriorCall(TypedDict):
    """One earlier call as the CAD history shows it (None: not given)."""

    when: str | None
    what: str | None
    outcome: str | None


class CallKindView(TypedDict):
    medium: str  # "voice" or "text"
    needs_callback: bool  # the line went dead after the opening
    called_back: bool
    prior_calls: list[PriorCall]


def _one_line(value: object) -> str | None:
    return " ".join(str(value or "").split()) or None


def call_kind_view(scenario: Mapping, events: list | None) -> CallKindView:
    """What the call screen needs to know about the kind of call, and nothing more.

    ``medium`` (``voice`` or ``text``), ``needs_callback`` (the line went dead after the
    opening), ``called_back``, ``prior_calls`` (the call history the CAD shows). Whether
    the caller can speak freely or knows where they are is for the trainee to find out.
    """
    kind = call_kind(scenario)
    return CallKindView(
        medium=kind.medium,
        needs_callback=kind.needs_callback,
        called_back=called_back(events),
        prior_calls=[
            PriorCall(
                when=_one_line(entry.get("when")),
                what=_one_line(entry.get("what")),
                outcome=_one_line(entry.get("outcome")),
            )
            for entry in kind.prior_calls
        ],
    )


def _unclear(language: str) -> str:
    if language == "en":
        return UNCLEAR_REPLY
    return UNCLEAR_IN.get(language, "(The caller does not seem to follow the question.)")


def _said(scenario: Mapping, question_id: str, protocol: Protocol, interpreter: bool) -> Said:
    """The caller's answer to one question: ``{answer, interpreted, clip}``.

    A caller in another language answers in it; once the interpreter is on the line
    the English comes too (the exchange's ``interpreted``, or the protocol's neutral
    answer for a question the script leaves out). ``clip`` names what is played.
    """
    language = language_of(scenario)
    if language == "en":
        return Said(
            answer=caller_answer(scenario, question_id, protocol),
            interpreted=None,
            clip=question_id,
            clips=[question_id],
        )
    exchange = _exchange_for(scenario, question_id)
    scripted = exchange is not None and bool(exchange.get("answer"))
    if scripted and exchange is not None:
        answer = " ".join(str(exchange["answer"]).split())
        english = exchange.get("interpreted")
        english = " ".join(str(english).split()) if english else None
    else:
        name = LANGUAGE_NAMES.get(language, f"the caller's language ({language})")
        answer = f"(The caller answers in {name}.)"
        english = caller_answer(scenario, question_id, protocol)
    own = question_id if scripted else None  # the caller's words have a clip when scripted
    if interpreter and english:
        relay = f"en:{question_id}"
        return Said(answer=answer, interpreted=english, clip=relay, clips=_in_order(own, relay))
    return Said(answer=answer, interpreted=None, clip=own, clips=_in_order(own))


class TranscriptEntry(Said):
    """One exchange of the call after the opening."""

    id: str | None  # the question asked; None: not understood, or the call back
    question: str  # what the trainee said: their own words when typed
    typed: bool
    t: float  # call seconds
    callback: NotRequired[bool]  # only on the call back, always True


def transcript(scenario: Mapping, protocol: Protocol, events: list | None) -> list[TranscriptEntry]:
    """Everything said on the call after the opening, in order.

    One entry per question asked (a repeat too) and per typed sentence the caller could
    not make sense of: ``{id (None when not understood), question (what the trainee
    said: their own words when typed), typed, answer, interpreted, clip, t}``.
    """
    out: list[TranscriptEntry] = []
    interpreter = False
    language = language_of(scenario)
    for event in events or []:
        if not isinstance(event, Mapping):
            continue
        kind, t = event.get("kind"), event.get("t", 0)
        if kind == CALLBACK_EVENT:
            back = _callback_said(scenario, interpreter)
            out.append(
                TranscriptEntry(
                    id=None,
                    question=CALLBACK_QUESTION,
                    typed=False,
                    t=t,
                    callback=True,
                    answer=back["answer"],
                    interpreted=back["interpreted"],
                    clip=back["clip"],
                    clips=back["clips"],
                )
            )
        elif kind == "ask":
            qid = str(event.get("value"))
            try:
                words = question_text(scenario, qid, protocol)
                interpreter = interpreter or qid == "interpreter"
                said = _said(scenario, qid, protocol, interpreter)
            except NotFound:  # a question the protocol no longer has
                continue
            typed = event.get("typed")
            out.append(
                {"id": qid, "question": typed or words, "typed": bool(typed), "t": t, **said}
            )
        elif kind == "unmatched":
            english = interpreter and language != "en"
            out.append(
                TranscriptEntry(
                    id=None,
                    question=str(event.get("typed") or ""),
                    typed=True,
                    t=t,
                    answer=_unclear(language),
                    interpreted=UNCLEAR_REPLY if english else None,
                    clip="en:unclear" if english else "unclear",
                    clips=_in_order("unclear", "en:unclear" if english else None),
                )
            )
    return out
