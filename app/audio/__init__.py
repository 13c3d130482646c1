"""Call audio: the caller's words spoken offline by espeak-ng through pyttsx3.

Public API::

    speech_available() -> (bool, message)       cheap, never raises
    clip_for_text(text, voice, ambience=None)   -> Path of a cached WAV (rendered on a miss)
    scenario_clips(scenario)                    -> {"opening" | exchange id: ClipRequest}
    render_scenario(scenario, out_dir=None, progress=None) -> {clip name: Path}
    wav_duration(path)                          -> seconds
    voice_for(caller, scenario_id, state=None)  -> VoiceProfile; DISPATCHER_VOICE

Clips are 22,050 Hz mono 16-bit WAV files in a content-addressed cache
(``AUDIO_CACHE_DIR``, default DATA_DIR/audio). Synthesis runs in worker
processes (``AUDIO_WORKERS``), each clip under ``AUDIO_TIMEOUT_S``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from app.audio import ambience as _ambience
from app.audio.cache import get_clip
from app.audio.errors import AudioError, SpeechUnavailable, SynthesisError
from app.audio.synth import speech_available
from app.audio.voices import DISPATCHER_VOICE, VoiceProfile, voice_for
from app.audio.wavfile import wav_duration

__all__ = [
    "DISPATCHER_VOICE",
    "AudioError",
    "ClipRequest",
    "SpeechUnavailable",
    "SynthesisError",
    "VoiceProfile",
    "clip_for_text",
    "interpreter_voice",
    "render_scenario",
    "scenario_ambience",
    "scenario_clips",
    "scenario_voice",
    "speech_available",
    "voice_for",
    "wav_duration",
]

Progress = Callable[[int, int, str], None]  # (clips done, clips in total, clip name)


class ClipRequest(NamedTuple):
    """One clip to render: the words, who says them, and what is heard behind them."""

    text: str
    voice: VoiceProfile
    ambience: str | None = None


def clip_for_text(text: str, voice: VoiceProfile, ambience: str | None = None) -> Path:
    """The WAV file of ``text`` spoken in ``voice`` (over ``ambience``), from the cache.

    Renders on a miss. Raises :class:`SpeechUnavailable` when there is no speech
    engine, :class:`AudioError` for empty text or an unknown ambience.
    """
    try:
        return get_clip(text, voice, ambience)
    except ValueError as exc:  # an unknown ambience
        raise AudioError(str(exc)) from None


def _call(scenario: Mapping) -> Mapping:
    call = scenario.get("call") if isinstance(scenario, Mapping) else None
    return call if isinstance(call, Mapping) else {}


def scenario_ambience(scenario: Mapping) -> str | None:
    """The scenario's ``call.context.ambience`` (None when absent or ``none``)."""
    context = _call(scenario).get("context")
    kind = context.get("ambience") if isinstance(context, Mapping) else None
    try:
        return _ambience.normalize_kind(kind)
    except ValueError as exc:
        raise AudioError(f"scenario {scenario.get('id')}: {exc}") from None


def scenario_voice(scenario: Mapping, state: str | None = None) -> VoiceProfile:
    """The caller's voice for this scenario (the same for every clip of the call)."""
    tags = scenario.get("tags") if isinstance(scenario.get("tags"), list) else []
    return voice_for(_call(scenario).get("caller"), str(scenario.get("id", "")), state, tags=tags)


def interpreter_voice(scenario: Mapping) -> VoiceProfile:
    """The language line's interpreter on this call: an English voice of its own."""
    return voice_for(
        {"voice": "adult", "role": "interpreter"}, f"{scenario.get('id', '')}:interpreter"
    )


def _is_text_call(call: Mapping) -> bool:
    return call.get("medium") == "text"


def _file_name(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")
    return safe[:80] or "clip"


def scenario_clips(scenario: Mapping) -> dict[str, ClipRequest]:
    """Every clip a call can play: ``opening``, ``called_back`` (what is said when the
    trainee calls back a dropped call), one per exchange (named by ``ask`` or ``id``)
    and, for a caller in another language, ``en-<name>`` for the interpreter's English.

    A text-to-911 call has no clips. Exchanges without an answer are skipped; names
    are made safe for file names and a repeated name gets a ``-2`` suffix.
    """
    call = _call(scenario)
    if _is_text_call(call):
        return {}
    voice = scenario_voice(scenario)
    relay = interpreter_voice(scenario)
    kind = scenario_ambience(scenario)
    clips: dict[str, ClipRequest] = {}

    def add(name: str, text: object, speaker: VoiceProfile = voice) -> None:
        if not isinstance(text, str) or not text.strip():
            return
        base = _file_name(name)
        unique, n = base, 1
        while unique in clips:
            n += 1
            unique = f"{base}-{n}"
        clips[unique] = ClipRequest(
            " ".join(text.split()), speaker, kind if speaker is voice else None
        )

    add("opening", call.get("opening"))
    callback = call.get("when_called_back")
    if isinstance(callback, Mapping):
        add("called_back", callback.get("answer"))
        add("en-called_back", callback.get("interpreted"), relay)
    exchanges = call.get("exchanges")
    for index, exchange in enumerate(exchanges if isinstance(exchanges, list) else []):
        if not isinstance(exchange, Mapping):
            continue
        name = exchange.get("ask") or exchange.get("id") or f"exchange-{index + 1}"
        add(str(name), exchange.get("answer"))
        add(f"en-{name}", exchange.get("interpreted"), relay)
    return clips


def render_scenario(
    scenario: Mapping, out_dir: str | Path | None = None, progress: Progress | None = None
) -> dict[str, Path]:
    """Render every clip of a scenario into the cache; return {clip name: path}.

    With ``out_dir`` the clips are also copied to ``out_dir/<scenario id>/<clip>.wav``
    and those paths are returned. Clips render in parallel (one thread per speech
    worker). ``progress(done, total, name)`` is called after each clip.
    """
    from app.settings import get_settings

    clips = scenario_clips(scenario)
    total = len(clips)
    results: dict[str, Path] = {}
    if total == 0:
        return results
    target = None
    if out_dir is not None:
        target = Path(out_dir) / _file_name(str(scenario.get("id") or "scenario"))
        target.mkdir(parents=True, exist_ok=True)
    workers = min(total, get_settings().audio_workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="audio-render") as pool:
        futures = {name: pool.submit(clip_for_text, *request) for name, request in clips.items()}
        for done, (name, future) in enumerate(futures.items(), start=1):
            path = future.result()
            if target is not None:
                copy = target / f"{name}.wav"
                shutil.copyfile(path, copy)
                path = copy
            results[name] = path
            if progress is not None:
                progress(done, total, name)
    return results
