"""A missing real part skips a test on a laptop and fails it under CI=true (tests/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import require_or_skip

TESTS = Path(__file__).resolve().parent


def test_a_present_part_neither_skips_nor_fails(monkeypatch):
    monkeypatch.setenv("CI", "true")
    require_or_skip(True, "nginx is not installed")


def test_a_missing_part_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="nginx is not installed"):
        require_or_skip(False, "nginx is not installed")


def test_a_missing_part_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="nginx is not installed"):
        require_or_skip(False, "nginx is not installed")


def test_tests_skip_only_through_require_or_skip():
    """A bare skip would let CI pass with a part missing."""
    bare = re.compile(r"pytest\.(skip\(|importorskip\(|mark\.skip)")
    found = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != "conftest.py" or path.parent != TESTS
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if bare.search(line) and path != Path(__file__).resolve()
    ]
    assert found == []
