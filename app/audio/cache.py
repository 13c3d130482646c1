"""Content-addressed cache of rendered clips on disk.

A clip's file name is the sha256 of everything that shapes its sound: the
text, the voice profile, the ambience and the engine (pyttsx3 and espeak-ng
versions, output format). A clip is written to a temporary file in the same
folder and moved into place with ``os.replace``, so several app replicas can
share the folder: a reader sees the whole file or none, and two replicas
rendering the same clip at once both write identical content.

A hit only reads the file's header (no process is started).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path

from app.audio import ambience as ambience_mod
from app.audio import synth
from app.audio.errors import AudioError
from app.audio.voices import VoiceProfile
from app.audio.wavfile import SAMPLE_RATE, BadWav, check_wav, remove_quietly

FORMAT_VERSION = 1  # bump when our own processing (mixing, levels) changes the sound
MAX_TEXT_CHARS = 4000
TEMP_PREFIX = ".tmp-"

_inflight: dict[str, threading.Event] = {}
_inflight_lock = threading.Lock()


def cache_dir() -> Path:
    """The configured cache folder (``AUDIO_CACHE_DIR``, default DATA_DIR/audio)."""
    from app.settings import get_settings

    return Path(get_settings().effective_audio_dir)


def normalize_text(text: object) -> str:
    """The text as spoken: whitespace collapsed. Raise AudioError if empty or too long."""
    if not isinstance(text, str):
        raise AudioError("a clip needs text to speak")
    spoken = " ".join(text.split())
    if not spoken:
        raise AudioError("a clip needs text to speak, got only blanks")
    if len(spoken) > MAX_TEXT_CHARS:
        raise AudioError(f"a clip's text is limited to {MAX_TEXT_CHARS} characters")
    return spoken


def engine_signature() -> dict:
    """What else decides a clip's sound: engine versions and our output format."""
    return {
        "format": FORMAT_VERSION,
        "sample_rate": SAMPLE_RATE,
        "pyttsx3": synth.pyttsx3_version() or "none",
        "espeak-ng": synth.espeak_version() or "none",
    }


def clip_key(text: str, voice: VoiceProfile, ambience: str | None = None) -> str:
    """The sha256 hex digest naming the clip of ``text`` in ``voice`` over ``ambience``."""
    payload = {
        "text": normalize_text(text),
        "voice": voice.as_dict(),
        "ambience": ambience_mod.normalize_kind(ambience) or ambience_mod.NONE,
        "engine": engine_signature(),
    }
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def clip_path(key: str, folder: Path | None = None) -> Path:
    folder = Path(folder) if folder is not None else cache_dir()
    return folder / key[:2] / f"{key}.wav"


def _valid_or_removed(path: Path) -> bool:
    try:
        check_wav(path)
        return True
    except BadWav:
        if path.exists():
            remove_quietly(path)  # a damaged entry is rendered again
        return False


def cached_clip(
    text: str, voice: VoiceProfile, ambience: str | None = None, *, folder: Path | None = None
) -> Path | None:
    """The cached clip if a valid one exists, else None (never renders)."""
    path = clip_path(clip_key(text, voice, ambience), folder)
    return path if _valid_or_removed(path) else None


def get_clip(
    text: str, voice: VoiceProfile, ambience: str | None = None, *, folder: Path | None = None
) -> Path:
    """The clip of ``text`` spoken in ``voice`` over ``ambience``, rendered on a miss."""
    kind = ambience_mod.normalize_kind(ambience)
    spoken = normalize_text(text)
    key = clip_key(spoken, voice, kind)
    path = clip_path(key, folder)
    if _valid_or_removed(path):
        return path
    # One render per clip in this process; others asking for it wait for that one.
    with _inflight_lock:
        event = _inflight.get(key)
        owner = event is None
        if event is None:
            event = _inflight[key] = threading.Event()
    if not owner:
        from app.settings import get_settings

        event.wait(get_settings().audio_timeout_s * 2 + 5)
        if _valid_or_removed(path):
            return path
    try:
        _render_into(path, spoken, voice, kind, seed=int(key[:12], 16))
    finally:
        if owner:
            with _inflight_lock:
                _inflight.pop(key, None)
            event.set()
    return path


def _render_into(path: Path, text: str, voice: VoiceProfile, kind: str | None, seed: int) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".wav", dir=path.parent)
        os.close(fd)
        os.chmod(tmp, 0o644)  # other replicas may run as other users
    except OSError as exc:
        raise AudioError(f"cannot write to the audio cache {path.parent}: {exc}") from None
    try:
        synth.render_clip(text, voice, tmp, ambience=kind, seed=seed)
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise


def remove_stale_temp_files(folder: Path | None = None, older_than_s: float = 3600.0) -> int:
    """Delete temporary files left by renders that were killed; return how many."""
    folder = Path(folder) if folder is not None else cache_dir()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    for tmp in folder.glob(f"*/{TEMP_PREFIX}*"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed += 1
        except OSError:
            continue
    return removed
