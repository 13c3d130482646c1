"""No module of the app grows past 600 lines (migrations aside): a long module does several
jobs, and the next person has to read all of it to change one."""

from __future__ import annotations

from pathlib import Path

from tests.factories import ROOT

MAX_LINES = 600


def too_long(root: Path, limit: int = MAX_LINES) -> list[str]:
    return [
        f"{path.relative_to(root)}: {count} lines"
        for path in sorted((root / "app").rglob("*.py"))
        if "migrations" not in path.parts
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > limit
    ]


def test_no_module_is_over_600_lines():
    assert too_long(ROOT) == []


def test_the_check_finds_a_long_module(tmp_path):
    (tmp_path / "app" / "store" / "migrations").mkdir(parents=True)
    (tmp_path / "app" / "long.py").write_text("x = 1\n" * 601, encoding="utf-8")
    (tmp_path / "app" / "short.py").write_text("x = 1\n" * 600, encoding="utf-8")
    (tmp_path / "app" / "store" / "migrations" / "old.py").write_text("x = 1\n" * 900)
    assert too_long(tmp_path) == ["app/long.py: 601 lines"]
