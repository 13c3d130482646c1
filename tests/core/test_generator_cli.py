"""``python -m app generate``: files on disk, same seed same bytes, errors for people."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.bench.generator_rate import generate_per_s
from app.core.scenario import load_paths

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "generate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.yaml"))}


def test_same_seed_writes_the_same_bytes_another_seed_differs(tmp_path):
    one, two, other = tmp_path / "one", tmp_path / "two", tmp_path / "other"
    for folder, seed in ((one, "42"), (two, "42"), (other, "43")):
        result = run_cli("--count", "25", "--seed", seed, "--out", str(folder))
        assert result.returncode == 0, result.stderr
    assert len(files(one)) == 25
    assert files(one) == files(two)
    assert files(one) != files(other)
    loaded, problems = load_paths([one])
    assert len(loaded) == 25 and not [p for p in problems if p.is_error]


def test_twins_and_mix_file_and_progress(tmp_path):
    mix = tmp_path / "mix.yaml"
    mix.write_text("conflict: 2\nbehavioral_health: 1\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli(
        "--count", "200", "--seed", "7", "--out", str(out), "--mix", str(mix), "--twins"
    )
    assert result.returncode == 0, result.stderr
    names = sorted(files(out))
    assert len(names) == 400
    assert sum(name.endswith("-a.yaml") for name in names) == 200
    assert "200/200" in result.stderr  # progress on stderr for big counts
    assert result.stdout == ""
    loaded, problems = load_paths([out])
    assert len(loaded) == 400 and not [p for p in problems if p.is_error]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--count", "ten", "--seed", "1"], "--count must be a whole number"),
        (["--count", "0", "--seed", "1"], "--count must be from 1"),
        (["--count", "3", "--seed", "x1"], "--seed must be a whole number"),
        (["--count", "3", "--seed", "1", "--mix", "/nonexistent/mix.yaml"], "no such file"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(tmp_path, args, fragment):
    result = run_cli(*args, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0]


def test_bad_mix_content_and_out_that_is_a_file(tmp_path):
    mix = tmp_path / "mix.yaml"
    mix.write_text("sports: 3\n", encoding="utf-8")
    result = run_cli("--count", "3", "--seed", "1", "--out", str(tmp_path / "o"), "--mix", str(mix))
    assert result.returncode == 2 and "unknown call type or group 'sports'" in result.stderr
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli("--count", "3", "--seed", "1", "--out", str(blocker))
    assert result.returncode == 2 and "not a folder" in result.stderr


def test_bench_generates_and_validates():
    assert generate_per_s(40) > 0
    assert generate_per_s(40, workers=2) > 0
