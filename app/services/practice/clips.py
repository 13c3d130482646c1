"""Audio of a call: the clips the trainee may hear, and the voices that speak them.

Part of :mod:`app.services.practice` (split out of :mod:`.call`, which re-exports every
name here); import from the package or from :mod:`.call`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from app.core.call_view import call_of
from app.core.protocol import Protocol
from app.core.scenario.kinds import call_kind
from app.errors import AccessDenied, NotFound
from app.services.access import Actor, require
from app.services.practice.caller import (
    CALLBACK_CLIP,
    UNCLEAR_REPLY,
    _callback_said,
    _said,
    _unclear,
    called_back,
    language_of,
)
from app.services.practice.common import _asked, _load
from app.services.scope import protocol_for
from app.store.db import read_session

# The logger keeps the name it had before the split out of ``practice.call``.
log = logging.getLogger("app.services.practice.call")


def clip_bytes(*, actor: Actor, attempt_id: int, item: str) -> bytes | None:
    """The WAV bytes of something the trainee has heard (None without speech).

    ``item``: ``opening``; the id of a question asked (the caller's answer);
    ``en:<id>`` (the interpreter's English for it, once the interpreter is on the line);
    ``unclear`` or ``en:unclear`` (the caller did not understand a sentence).
    """
    require(actor, "own_attempts")
    with read_session() as session:
        attempt, version, agency = _load(session, actor, attempt_id)
    scenario = version.data or {}
    if attempt.status == "in_progress":
        asked = _asked(attempt.events)
        english, _, qid = item.rpartition(":") if item.startswith("en:") else ("", "", item)
        if english and "interpreter" not in asked:
            raise AccessDenied("Ask for the interpreter first.")
        if qid == CALLBACK_CLIP:
            if not called_back(attempt.events):
                raise AccessDenied("Call the number back first.")
        elif qid not in ("opening", "unclear") and qid not in asked:
            raise AccessDenied("Ask the question first.")
    return scenario_clip(scenario, item, protocol_for(agency.protocol_overrides))


def caller_voice(data: Mapping):
    """The caller's voice, speaking the caller's language (``call.caller.language``):
    :func:`app.audio.voices.voice_for` picks it from age, gender and language."""
    from app import audio

    return audio.scenario_voice(data)


def interpreter_voice(data: Mapping):
    """The language line's interpreter: an English voice of its own for this call."""
    from app import audio

    return audio.interpreter_voice(data)


def scenario_clip(data: Mapping, item: str, protocol: Protocol) -> bytes | None:
    """WAV bytes of the opening, of the caller's answer to ``item`` (in the caller's
    language), of ``en:<item>`` (the interpreter's English) or of ``unclear`` (the caller
    did not understand). None without speech, or with nothing to say."""
    from app import audio

    if call_kind(data).is_text:
        return None  # a text-to-911 conversation is read, not heard
    available, _ = audio.speech_available()
    if not available:
        return None
    try:
        english = item.startswith("en:")
        qid = item[3:] if english else item
        language = language_of(data)
        if qid == CALLBACK_CLIP:
            back = _callback_said(data, interpreter=english)
            text = back["interpreted"] if english else back["answer"]
        elif qid == "opening":
            text = " ".join(str(call_of(data).get("opening") or "").split())
        elif qid == "unclear":
            text = UNCLEAR_REPLY if english else _unclear(language)
        else:
            said = _said(data, qid, protocol, interpreter=english)
            text = said["interpreted"] if english else said["answer"]
            if not english and said["clip"] is None:
                return None  # nothing scripted in the caller's language
        if not text:
            return None
        speaker = interpreter_voice(data) if english else caller_voice(data)
        path = audio.clip_for_text(
            text, speaker, None if english else audio.scenario_ambience(data)
        )
        return path.read_bytes()
    except (audio.AudioError, OSError, NotFound, ValueError) as exc:
        log.warning("no audio for scenario %s item %s: %s", data.get("id"), item, exc)
        return None
