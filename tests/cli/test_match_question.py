"""`python -m app match-question`, run as a real process: JSON out, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "spec_sample.yaml"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "match-question", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_error_line(result, fragment: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0]


def test_a_question_prints_its_id_and_score():
    result = run("does he have a knife or anything")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"question", "score"}
    assert out["question"] == "weapons" and 0.5 <= out["score"] <= 1


def test_a_non_question_prints_null_and_exits_0():
    result = run("uh huh")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["question"] is None and 0 <= out["score"] <= 1


def test_a_scenarios_own_question_is_matched_with_scenario():
    text = "how long has that guy been there"
    with_scenario = json.loads(run(text, "--scenario", str(SAMPLE)).stdout)
    assert with_scenario["question"] == "how_long"
    without = json.loads(run(text).stdout)
    assert without["question"] != "how_long"


def test_an_unreadable_scenario_is_one_error_line(tmp_path):
    assert_one_error_line(
        run("is anyone hurt", "--scenario", str(tmp_path / "missing.yaml")), "missing.yaml"
    )
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert_one_error_line(run("is anyone hurt", "--scenario", str(folder)), "folder.yaml")


def test_an_invalid_scenario_is_one_error_line(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    assert_one_error_line(run("is anyone hurt", "--scenario", str(broken)), "invalid scenario")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        SAMPLE.read_text("utf-8").replace("difficulty: 2", "difficulty: 9"), encoding="utf-8"
    )
    assert_one_error_line(run("is anyone hurt", "--scenario", str(wrong)), "wrong.yaml")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("", "empty"), ("   ", "empty"), ("x" * 10_000, "10000 characters")],
)
def test_empty_or_too_long_text_is_one_error_line(text, fragment):
    assert_one_error_line(run(text), fragment)
