"""The clip cache: content-addressed, atomic, read-only on a hit, safe under concurrency."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.audio import AudioError, VoiceProfile, cache, clip_for_text, synth, voice_for
from app.audio.wavfile import check_wav

VOICE = voice_for({"voice": "adult_female"}, "cache-test")


def _no_synthesis(*args, **kwargs):
    raise AssertionError("a cached clip must not be synthesised again")


def test_same_text_and_voice_is_one_cached_file(speech, audio_cache, monkeypatch):
    first = clip_for_text("He's breathing, he just rolled over.", VOICE)
    assert first.parent.parent == audio_cache
    content = first.read_bytes()
    jobs = synth.get_pool(2).jobs
    files, stored = sorted(audio_cache.rglob("*")), first.stat()
    monkeypatch.setattr(synth, "render_clip", _no_synthesis)
    again = clip_for_text("He's breathing,  he just\nrolled over. ", VOICE)  # same words
    assert again == first and again.read_bytes() == content
    # A hit only reads: no worker job, no temporary file, the stored clip not rewritten.
    assert synth.get_pool(2).jobs == jobs
    assert sorted(audio_cache.rglob("*")) == files
    assert (again.stat().st_ino, again.stat().st_mtime_ns) == (stored.st_ino, stored.st_mtime_ns)


def test_key_covers_voice_ambience_and_text(speech):
    other_voice = VoiceProfile(VOICE.voice, rate=VOICE.rate + 10, pitch=VOICE.pitch)
    keys = {
        cache.clip_key("Hello.", VOICE),
        cache.clip_key("Hello!", VOICE),
        cache.clip_key("Hello.", other_voice),
        cache.clip_key("Hello.", VOICE, "tv"),
    }
    assert len(keys) == 4
    assert cache.clip_key("Hello.", VOICE, None) == cache.clip_key("Hello.", VOICE, "none")


def test_engine_version_is_part_of_the_key(monkeypatch):
    before = cache.clip_key("Hello.", VOICE)
    monkeypatch.setattr(synth, "espeak_version", lambda: "99.0")
    assert cache.clip_key("Hello.", VOICE) != before


def test_damaged_entry_is_rendered_again(speech):
    path = clip_for_text("Since last night I think.", VOICE)
    path.write_bytes(b"RIFF junk")
    assert cache.cached_clip("Since last night I think.", VOICE) is None
    assert not path.exists()
    again = clip_for_text("Since last night I think.", VOICE)
    assert again == path and check_wav(again) > 0


def test_no_temporary_files_are_left(speech, audio_cache):
    clip_for_text("One.", VOICE)
    clip_for_text("Two.", VOICE, "crowd")
    leftovers = [p for p in audio_cache.rglob("*") if p.is_file() and p.suffix != ".wav"]
    assert leftovers == []
    assert all(not p.name.startswith(cache.TEMP_PREFIX) for p in audio_cache.rglob("*"))


def test_failed_render_leaves_nothing_behind(speech, audio_cache):
    with pytest.raises(AudioError):
        clip_for_text("Hello.", VoiceProfile("en-gb+f3"))  # a voice espeak-ng refuses
    assert [p for p in audio_cache.rglob("*") if p.is_file()] == []


def test_twenty_concurrent_requests(speech):
    texts = [f"Caller number {i}, I need someone to come out." for i in range(20)]
    barrier = threading.Barrier(20)

    def request(text):
        barrier.wait()
        return clip_for_text(text, VOICE)

    with ThreadPoolExecutor(max_workers=20) as pool:
        paths = list(pool.map(request, texts))
    assert len(set(paths)) == 20
    assert all(check_wav(p) > 0 for p in paths)


def test_concurrent_requests_for_one_clip_render_it_once(speech, monkeypatch):
    calls = []
    real = synth.render_clip

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(synth, "render_clip", counting)
    barrier = threading.Barrier(8)

    def request(_):
        barrier.wait()
        return clip_for_text("Everyone asks for this one.", VOICE)

    with ThreadPoolExecutor(max_workers=8) as pool:
        paths = set(pool.map(request, range(8)))
    assert len(paths) == 1 and len(calls) == 1


@pytest.mark.parametrize("text", ["", "   \n ", None, "x" * (cache.MAX_TEXT_CHARS + 1)])
def test_unusable_text_is_refused(text):
    with pytest.raises(AudioError):
        clip_for_text(text, VOICE)


def test_unknown_ambience_is_refused():
    with pytest.raises(AudioError, match="unknown ambience"):
        clip_for_text("Hello.", VOICE, "jungle")


def test_stale_temporary_files_are_cleaned(audio_cache):
    folder = audio_cache / "ab"
    folder.mkdir(parents=True)
    old, fresh = folder / f"{cache.TEMP_PREFIX}old.wav", folder / f"{cache.TEMP_PREFIX}new.wav"
    old.write_bytes(b"x")
    fresh.write_bytes(b"x")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert cache.remove_stale_temp_files() == 1
    assert not old.exists() and fresh.exists()
