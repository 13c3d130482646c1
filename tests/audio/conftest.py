"""Audio tests: a fresh cache folder per test.

Rendering tests ask for the ``speech`` fixture (tests/conftest.py): they skip without
espeak-ng, and fail under CI=true.
"""

from __future__ import annotations

import pytest


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
