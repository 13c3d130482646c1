"""The speech worker pool: pyttsx3 first, checked output, timeouts, crashes, fallback."""

from __future__ import annotations

import os
import signal

import pytest

from app.audio import (
    DISPATCHER_VOICE,
    SpeechUnavailable,
    SynthesisError,
    VoiceProfile,
    clip_for_text,
    speech_available,
    synth,
)
from app.audio.wavfile import check_wav


@pytest.fixture
def pool():
    pool = synth.SpeechPool(1)
    yield pool
    pool.close()


def test_pyttsx3_is_the_engine_and_stdout_stays_clean(speech, pool, tmp_path, capfd):
    out = tmp_path / "clip.wav"
    duration = pool.render("Hello, nine one one.", DISPATCHER_VOICE, out, timeout=20)
    assert pool.engine == "pyttsx3"
    assert check_wav(out) == pytest.approx(duration) and duration > 0.3
    assert "Audio saved to" not in capfd.readouterr().out


def test_worker_is_reused(speech, pool, tmp_path):
    for i in range(3):
        pool.render(f"Clip {i}.", DISPATCHER_VOICE, tmp_path / f"{i}.wav", timeout=20)
    assert pool.spawned == 1 and pool.jobs == 3


def test_unknown_voice_is_an_error_not_a_wrong_clip(speech, pool, tmp_path):
    out = tmp_path / "clip.wav"
    out.touch()
    # "en-gb" is not a name espeak-ng's SetVoiceByName knows (British English is "en").
    with pytest.raises(SynthesisError, match="pyttsx3 failed"):
        pool.render("Hello.", VoiceProfile("en-gb+f3"), out, timeout=20)
    assert not out.exists()
    # The worker survives and renders the next clip.
    pool.render("Hello.", DISPATCHER_VOICE, out, timeout=20)
    assert pool.spawned == 1


def _idle_worker(pool: synth.SpeechPool) -> synth._Worker:
    """The pool's one idle worker (left in the pool)."""
    worker = pool._idle.get_nowait()
    pool._idle.put(worker)
    return worker


def test_dead_worker_is_replaced_and_the_clip_retried(speech, pool, tmp_path):
    pool.render("First.", DISPATCHER_VOICE, tmp_path / "a.wav", timeout=20)
    [pid] = pool.worker_pids()
    worker = _idle_worker(pool)
    assert worker.pid == pid
    os.kill(pid, signal.SIGKILL)
    worker.process.wait(5)  # dead for certain while idle, without guessing how long that takes
    duration = pool.render("Second.", DISPATCHER_VOICE, tmp_path / "b.wav", timeout=20)
    assert duration > 0
    assert pool.spawned == 2
    assert pool.worker_pids() != [pid]


def test_worker_dying_mid_clip_is_retried_once(speech, pool, tmp_path, monkeypatch):
    pool.render("Warm.", DISPATCHER_VOICE, tmp_path / "w.wav", timeout=20)
    [pid] = pool.worker_pids()
    real_run = synth._Worker.run
    calls = []

    def run_and_crash_first(self, job, timeout):
        calls.append(self.pid)
        if len(calls) == 1:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait(5)
        return real_run(self, job, timeout)

    monkeypatch.setattr(synth._Worker, "run", run_and_crash_first)
    assert pool.render("Again.", DISPATCHER_VOICE, tmp_path / "x.wav", timeout=20) > 0
    assert calls[0] == pid and calls[1] != pid and len(calls) == 2


def test_worker_dying_twice_gives_an_error(speech, pool, tmp_path, monkeypatch):
    real_run = synth._Worker.run

    def always_crash(self, job, timeout):
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(5)
        return real_run(self, job, timeout)

    monkeypatch.setattr(synth._Worker, "run", always_crash)
    with pytest.raises(SynthesisError, match="stopped twice"):
        pool.render("Doomed.", DISPATCHER_VOICE, tmp_path / "x.wav", timeout=20)
    assert pool.spawned == 2


def test_timeout_kills_the_worker(speech, pool, tmp_path):
    out = tmp_path / "slow.wav"
    pool.render("Warm.", DISPATCHER_VOICE, tmp_path / "w.wav", timeout=20)
    [pid] = pool.worker_pids()
    with pytest.raises(SynthesisError, match="longer than"):
        pool.render("A long sentence. " * 150, DISPATCHER_VOICE, out, timeout=0.001)
    assert not out.exists()
    assert pool.worker_pids() == []  # the stuck worker was not put back
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    pool.render("Back to normal.", DISPATCHER_VOICE, out, timeout=20)
    assert pool.spawned == 2


def test_fallback_to_the_espeak_program_when_pyttsx3_cannot_start(speech, tmp_path):
    pool = synth.SpeechPool(1, driver="no_such_driver")
    try:
        out = tmp_path / "fallback.wav"
        duration = pool.render("Fallback speech.", DISPATCHER_VOICE, out, timeout=20)
        assert pool.engine.startswith("espeak-ng program (fallback)")
        assert "pyttsx3 could not start" in pool.engine
        assert duration > 0 and check_wav(out) == pytest.approx(duration)
    finally:
        pool.close()


def test_no_engine_at_all_is_speech_unavailable(tmp_path):
    pool = synth.SpeechPool(1, driver="no_such_driver", allow_fallback=False)
    try:
        with pytest.raises(SpeechUnavailable, match="Audio is off"):
            pool.render("Hello.", DISPATCHER_VOICE, tmp_path / "x.wav", timeout=20)
    finally:
        pool.close()


def test_missing_engine_gives_the_notice(monkeypatch):
    monkeypatch.setattr(synth, "ESPEAK_LIBRARY", "libespeak-ng-is-not-installed.so.1")
    ok, message = speech_available()
    assert ok is False
    assert message.startswith("Audio is off: install espeak-ng (sudo apt-get install espeak-ng)")
    with pytest.raises(SpeechUnavailable) as info:
        clip_for_text("Hello?", DISPATCHER_VOICE)
    assert str(info.value) == message


def test_missing_pyttsx3_gives_the_notice(monkeypatch):
    real_find_spec = synth.importlib.util.find_spec
    monkeypatch.setattr(
        synth.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pyttsx3" else real_find_spec(name, *a),
    )
    ok, message = speech_available()
    assert not ok and "pyttsx3" in message and message.startswith("Audio is off")


def test_speech_available_never_raises(monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(synth, "espeak_version", broken)
    ok, message = speech_available()
    assert not ok and message.startswith("Audio is off")


def test_speech_available_true_names_the_engine(speech):
    ok, message = speech_available()
    assert ok and "espeak-ng" in message and "pyttsx3" in message
