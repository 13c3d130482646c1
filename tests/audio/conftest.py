"""Audio tests: a fresh cache folder per test, and skip rendering tests without espeak-ng."""

from __future__ import annotations

import os

import pytest

from app.audio import speech_available


@pytest.fixture(autouse=True)
def audio_cache(monkeypatch, tmp_path):
    """Point AUDIO_CACHE_DIR at a temporary folder; yield it."""
    from app.settings import get_settings

    folder = tmp_path / "audio-cache"
    monkeypatch.setenv("AUDIO_CACHE_DIR", str(folder))
    monkeypatch.setenv("AUDIO_WORKERS", "2")
    monkeypatch.setenv("AUDIO_TIMEOUT_S", "20")
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


@pytest.fixture
def speech():
    """Skip unless the speech engine is installed; under CI=true a missing engine fails."""
    ok, message = speech_available()
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"espeak-ng is required under CI: {message}")
        pytest.skip(message)
