"""`python -m app validate` and `python -m app grade`, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_scenario_validation import BASE, sub

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "spec_sample.yaml"
EXPERT = {
    "questions": ["weapons", "threats", "medical"],
    "disqualifiers": [],
    "call_type": "UNHOUSED_PERSON",
    "priority": 3,
    "disposition": "community_responder",
    "seconds": 64,
}


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def answer_file(tmp_path):
    def write(answer, name="answer.json") -> Path:
        path = tmp_path / name
        path.write_text(answer if isinstance(answer, str) else json.dumps(answer), "utf-8")
        return path

    return write


def test_validate_valid_files_exits_0(tmp_path):
    (tmp_path / "one.yaml").write_text(sub(2, "id: one"), encoding="utf-8")
    result = run("validate", str(tmp_path), str(SAMPLE))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"{SAMPLE}:5: warning: unknown module 'disqualifier-screening'; "
        "did you mean 'disqualifiers'?\n"
    )
    assert result.stderr.strip() == (
        "2 file(s) checked: 2 valid, 0 with errors; 0 error(s), 1 warning(s)"
    )


def test_validate_prints_every_problem_and_exits_1(tmp_path):
    (tmp_path / "good.yaml").write_text(BASE, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(sub(6, "difficulty: 9", sub(9, "  channel: fax", sub(2, "id: other"))), "utf-8")
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text("a: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    result = run("validate", str(tmp_path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"{bad}:6: difficulty must be 1..5, not 9" in lines
    assert any(line.startswith(f"{bad}:9: unknown channel 'fax'") for line in lines)
    assert f"{hostile}:1: tag !!python/object/apply:os.system is not allowed" in lines
    assert len(lines) == 3
    assert "3 file(s) checked: 1 valid, 2 with errors; 3 error(s), 0 warning(s)" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_duplicate_ids_exit_1(tmp_path):
    (tmp_path / "a.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(BASE, encoding="utf-8")
    result = run("validate", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout == (
        f"{tmp_path / 'b.yaml'}:2: duplicate id 'doorway-sleeper-0001' "
        f"(also in {tmp_path / 'a.yaml'}:2)\n"
    )


def test_validate_missing_path_exits_1(tmp_path):
    result = run("validate", str(tmp_path / "nothing"))
    assert result.returncode == 1
    assert result.stdout == f"{tmp_path / 'nothing'}: no such file or folder\n"


def test_validate_against_an_agency_protocol(tmp_path):
    (tmp_path / "s.yaml").write_text(BASE, encoding="utf-8")
    protocol = tmp_path / "agency.yaml"
    protocol.write_text('hotline_hours: "08:00-22:00"\n', encoding="utf-8")
    result = run("validate", str(tmp_path / "s.yaml"), "--protocol", str(protocol))
    assert result.returncode == 1 and "does not exist under external_hotline" in result.stdout
    protocol.write_text("hotline_hours: sometimes\n", encoding="utf-8")
    result = run("validate", str(tmp_path / "s.yaml"), "--protocol", str(protocol))
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"error: {protocol}:1: protocol override: hotline hours 'sometimes'"
    )


def test_grade_prints_json_and_exits_0(answer_file):
    result = run("grade", str(SAMPLE), "--answer", str(answer_file(EXPERT)))
    assert result.returncode == 0, result.stderr
    grade = json.loads(result.stdout)
    assert grade["score"] == 100 and grade["passed"] is True
    assert grade["scenario"] == "doorway-sleeper-0001" and grade["model"] == "call_center_led"


def test_a_failing_grade_still_exits_0(answer_file):
    answer = {**EXPERT, "disposition": "police"}
    result = run("grade", str(SAMPLE), "--answer", str(answer_file(answer)))
    assert result.returncode == 0
    grade = json.loads(result.stdout)
    assert grade["passed"] is False and grade["critical"] == ["unsafe_dispatch"]


def test_grade_with_a_model_and_from_stdin():
    result = run(
        "grade",
        str(SAMPLE),
        "--answer",
        "-",
        "--model",
        "external_hotline",
        stdin=json.dumps({**EXPERT, "disposition": "external_hotline"}),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["score"] == 100


@pytest.mark.parametrize(
    ("scenario", "answer", "message"),
    [
        ("missing.yaml", EXPERT, "error: invalid scenario: missing.yaml: cannot read the file"),
        (str(SAMPLE), "{not json", "the answer is not valid JSON"),
        (str(SAMPLE), {"questions": []}, "invalid answer"),
        (str(SAMPLE), {**EXPERT, "disposition": "taxi"}, "disposition must be one of"),
        (str(SAMPLE), "[1, 2]", "an answer must be a mapping"),
    ],
)
def test_grade_bad_input_exits_2_with_one_line(tmp_path, answer_file, scenario, answer, message):
    if scenario == "missing.yaml":
        scenario = str(tmp_path / "missing.yaml")
        message = message.replace("missing.yaml", str(tmp_path / "missing.yaml"))
    result = run("grade", scenario, "--answer", str(answer_file(answer)))
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_grade_invalid_scenario_exits_2(tmp_path, answer_file):
    bad = tmp_path / "bad.yaml"
    bad.write_text(sub(6, "difficulty: 9", sub(9, "  channel: fax")), encoding="utf-8")
    result = run("grade", str(bad), "--answer", str(answer_file(EXPERT)))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: invalid scenario: {bad}:6: difficulty must be 1..5, not 9 (and 1 more problem(s))"
    )


def test_grade_unknown_model_exits_2(answer_file):
    result = run("grade", str(SAMPLE), "--answer", str(answer_file(EXPERT)), "--model", "radio")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: unknown dispatch model 'radio' "
        "(one of: call_center_led, embedded_professional, external_hotline)"
    )


def test_grade_missing_answer_file_exits_2(tmp_path):
    result = run("grade", str(SAMPLE), "--answer", str(tmp_path / "none.json"))
    assert result.returncode == 2
    assert "cannot read the answer" in result.stderr and "Traceback" not in result.stderr


def test_grade_hostile_scenario_exits_2(tmp_path, answer_file):
    bad = tmp_path / "bomb.yaml"
    bad.write_text("a: &a [*a]\n", encoding="utf-8")
    result = run("grade", str(bad), "--answer", str(answer_file(EXPERT)))
    assert result.returncode == 2 and "nesting deeper than" in result.stderr
