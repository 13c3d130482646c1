"""``python -m app demo``: a bank with errors creates nothing and says why; then it works."""

from __future__ import annotations

import re
import shutil

from app.cli import main
from app.services.demo import DEMO_USERS
from tests.factories import ROOT

GOOD = sorted((ROOT / "scenarios").rglob("*-0001.yaml"))[:2]


def test_a_rejected_bank_creates_no_account_and_the_next_run_shows_the_passwords(
    sqlite_db, tmp_path, capsys, monkeypatch
):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    bank = tmp_path / "bank"
    bank.mkdir()
    for path in GOOD:
        shutil.copy(path, bank / path.name)
    broken = [bank / f"broken-{i}.yaml" for i in range(3)]
    for path in broken:  # four problems each: call, expert, module and title are missing
        path.write_text(f"format: 1\nid: {path.stem}\nversion: 1\n", encoding="utf-8")

    assert main(["demo", "--scenarios", str(bank)]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 12, err  # the first ten problems, how many more, one error line
    assert all(
        re.match(rf"{re.escape(str(bank))}/broken-\d\.yaml:1: ", line) for line in lines[:10]
    )
    assert lines[10] == "... and 2 more"
    assert lines[11].startswith("error: ") and "12 problem(s)" in lines[11]
    assert "Demo accounts" not in out

    for path in broken:
        path.unlink()
    assert main(["demo", "--scenarios", str(bank)]) == 0
    out = capsys.readouterr().out
    assert "Demo accounts (passwords are shown only this once):" in out
    assert re.search(r"^\s+role\s+username\s+password$", out, re.M)
    for _slug, username, role, _name in DEMO_USERS:  # not "already exist": every one is new
        assert re.search(rf"^\s+{role}\s+{username}\s+demo-\S+$", out, re.M), username

    assert main(["demo", "--scenarios", str(bank)]) == 0
    assert "Demo accounts already exist" in capsys.readouterr().out
