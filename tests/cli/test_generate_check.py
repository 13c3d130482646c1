"""``python -m app generate --check``: findings as FILE:LINE: message, exit 0 / 1 / 2."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from app.cli.generate import check_generated
from app.core.generator import generate
from app.core.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "generate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_without_out_checks_and_writes_nothing(tmp_path):
    result = run_cli("--count", "40", "--seed", "3", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().endswith("40 generated call(s) checked: 0 finding(s)")


def test_check_with_out_writes_the_same_files_as_without_check(tmp_path):
    checked, plain = tmp_path / "checked", tmp_path / "plain"
    assert run_cli("--count", "15", "--seed", "9", "--out", str(checked), "--check").returncode == 0
    assert run_cli("--count", "15", "--seed", "9", "--out", str(plain)).returncode == 0
    read = lambda folder: {p.name: p.read_bytes() for p in folder.glob("*.yaml")}  # noqa: E731
    assert len(read(checked)) == 15 and read(checked) == read(plain)


def test_bad_arguments_are_one_line_and_exit_2():
    for args, message in (
        (["--count", "5", "--seed", "1"], "error: --out is required"),
        (["--count", "5", "--seed", "1", "--check", "--model", "nope"], "error: --model must"),
        (["--count", "x", "--seed", "1", "--check"], "error: --count must be a whole number"),
    ):
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_a_finding_is_printed_with_file_and_line():
    protocol = load_protocol()
    scenarios = generate(5, 11, protocol=protocol)
    first = scenarios[0]
    text = first.yaml_text.replace(f'time: "{first.data["call"]["time"]}"', 'time: "01:06"')
    text = text.replace("opening: ", "opening: Good morning. ", 1)
    broken = dataclasses.replace(first, yaml_text=text)
    problems = check_generated([broken, *scenarios[1:]], "out", protocol)
    line = next(
        n for n, row in enumerate(text.splitlines(), 1) if row.strip().startswith("opening:")
    )
    assert problems == [
        f"out/{first.id}.yaml:{line}: time: opening: 'Good morning' is a morning greeting, "
        "but the call comes in at 01:06"
    ]
