"""PUBLIC_URL: the site's address printed on certificates; a bad value stops the app
with one line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import SettingsError
from app.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("", ""),
        ("https://academy.example.org", "https://academy.example.org"),
        ("https://academy.example.org/", "https://academy.example.org"),
        ("http://127.0.0.1:8501/", "http://127.0.0.1:8501"),
        (" https://example.org/training/ ", "https://example.org/training"),
    ],
)
def test_good_addresses_are_kept_without_a_trailing_slash(value, stored):
    assert load_settings(public_url=value).public_url == stored


@pytest.mark.parametrize(
    "value",
    [
        "academy.example.org",
        "ftp://example.org",
        "https://",
        "https://x.org/?a=1",
        "https://x.org/#top",
        "javascript:alert(1)",
        "https://exa mple.org",
    ],  # fmt: skip
)
def test_bad_addresses_are_refused_with_one_line(value):
    with pytest.raises(SettingsError, match="PUBLIC_URL") as info:
        load_settings(public_url=value)
    assert "\n" not in str(info.value)


@given(st.text(max_size=40))
def test_any_accepted_value_is_an_http_site_address(value):
    try:
        stored = load_settings(public_url=value).public_url
    except SettingsError:
        return
    assert stored == "" or (stored.startswith(("http://", "https://")) and "?" not in stored)
    assert not stored.endswith("/")


def test_the_command_line_says_error_and_exits_2(tmp_path):
    env = dict(os.environ, PUBLIC_URL="ftp://academy.example.org", DATA_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "app", "init-db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: setting PUBLIC_URL is invalid")
    assert "Traceback" not in out.stderr
