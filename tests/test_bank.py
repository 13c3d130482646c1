"""The shipped scenario bank meets the bank minimums, and ``bank report`` says so.

``test_shipped_bank_has_no_gaps`` fails until every part of the bank has been written;
its message lists what is still missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.bank_report import bank_report
from app.core.scenario import load_paths

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "scenarios"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def shipped():
    return load_paths([BANK])


def test_shipped_bank_loads_without_errors(shipped):
    _, problems = shipped
    errors = [str(p) for p in problems if p.is_error]
    assert errors == [], "\n".join(errors)


def test_shipped_bank_has_no_gaps(shipped):
    loaded, _ = shipped
    report = bank_report(item.data for item in loaded)
    assert report["gaps"] == [], "\n".join(g["message"] for g in report["gaps"])


# ----------------------------------------------------------------------------- the command

ONE = """\
format: 1
id: bank-cli-0001
version: 1
title: A noise complaint
module: conflict-calls
difficulty: 2
tags: [crime, third-party]
call:
  channel: non_emergency
  time: "23:10"
  initial_call_type: NOISE_COMPLAINT
  opening: The party next door is very loud.
  exchanges:
    - ask: weapons
      answer: No.
  context:
    hotline_open: false
expert:
  disqualifiers: []
  call_type: NOISE_COMPLAINT
  disposition: community_responder
  required_questions: [weapons]
  rationale: Nothing disqualifies a loud party.
"""


def test_report_json_on_a_small_folder(tmp_path):
    (tmp_path / "one.yaml").write_text(ONE, encoding="utf-8")
    result = run_cli("bank", "report", "--json", str(tmp_path))
    assert result.returncode == 1, result.stderr  # one scenario is far from a full bank
    report = json.loads(result.stdout)
    assert report["counts"]["total"] == 1
    assert report["counts"]["call_type"] == {"NOISE_COMPLAINT": 1}
    assert report["counts"]["channel"]["non_emergency"] == 1
    assert report["special"]["crime_but_eligible"] == 1
    assert report["special"]["third_party"] == 1
    assert report["special"]["hotline_closed_night"] == 1
    assert report["files_with_errors"] == []
    assert any(g["rule"] == "total" for g in report["gaps"])


def test_report_text_lists_gaps_and_skips_bad_files(tmp_path):
    (tmp_path / "one.yaml").write_text(ONE, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("format: 1\nid: [oops\n", encoding="utf-8")
    result = run_cli("bank", "report", str(tmp_path))
    assert result.returncode == 1
    assert "Scenario bank: 1 scenario(s)" in result.stdout
    assert "NOISE_COMPLAINT (conflict)" in result.stdout
    assert "Gaps (" in result.stdout
    assert "call type LIFT_ASSIST: 0 scenarios, need at least 4" in result.stdout
    assert "bad.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_a_usage_error(tmp_path):
    result = run_cli("bank", "report", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: no such file or folder")
    assert "Traceback" not in result.stderr


def test_shipped_bank_and_generated_calls_follow_the_keying_policy():
    """``bank lint`` finds nothing on the bank and on 1,000 generated calls (issue 14)."""
    result = run_cli("bank", "lint", "scenarios", "--generated", "1000", "--seed", "1")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "0 finding(s), 0 invalid" in result.stderr
