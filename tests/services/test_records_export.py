"""Training records export (docs/records-export.md): the CSV a records system imports."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import col, select

from app.errors import AccessDenied
from app.services import certification
from app.services.records_export import COLUMNS, records_csv
from app.store.db import read_session, write_session
from app.store.models import Attempt, User
from tests.services.test_certification import passed_exam


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_a_trainee_row_has_their_calls_and_certificate(database, world):
    supervisor = world["supervisor-a"]
    trainee, exam_id, _ = passed_exam(world)
    cert = certification.sign_off(
        actor=supervisor, exam_id=exam_id, attested=True, calls_opened=(1,)
    )
    with write_session() as session:
        user = session.get(User, trainee.user_id)
        user.display_name = '=HYPERLINK("http://x")'
        session.add(user)

    data = records_csv(actor=supervisor)
    assert data.startswith(b'"format","agency","username"')
    rows = _rows(data)
    assert list(rows[0]) == list(COLUMNS)
    assert {r["agency"] for r in rows} == {"agency-a"}  # only the supervisor's agency
    (mine,) = [r for r in rows if r["username"] == "trainee-a"]
    with read_session() as session:
        mine_calls = session.exec(
            select(Attempt)
            .where(col(Attempt.user_id) == trainee.user_id)
            .where(col(Attempt.status) == "submitted")
        ).all()
    practising = [a for a in mine_calls if a.mode != "exam"]
    practice, passed = len(practising), sum(1 for a in practising if a.passed)
    exam_calls = len(mine_calls) - practice
    all_seconds = sum(a.seconds or 0 for a in mine_calls)
    assert practice and exam_calls
    assert int(mine["practice_calls"]) == practice
    assert int(mine["practice_passed"]) == passed
    assert float(mine["practice_pass_rate"]) == pytest.approx(passed / practice, abs=0.001)
    assert int(mine["exam_calls"]) == exam_calls
    assert float(mine["hours_on_calls"]) == pytest.approx(all_seconds / 3600, abs=0.01)
    assert mine["certificate_code"] == cert["code"]
    assert mine["certificate_status"] == "valid"
    assert mine["certificate_verify_url"].endswith(f"/verify?code={cert['code']}")
    assert mine["certificate_issued"] < mine["certificate_expires"]
    assert mine["name"].startswith("'=")  # neutralised: never runs as a formula
    others = [r for r in rows if r["username"] != "trainee-a"]
    assert all(r["certificate_code"] == "" for r in others)


def test_only_a_supervisor_exports_and_only_their_agency(database, world):
    with pytest.raises(AccessDenied):
        records_csv(actor=world["trainee-a"])
    with pytest.raises(AccessDenied):
        records_csv(actor=world["admin-a"])
    rows = _rows(records_csv(actor=world["supervisor-b"]))
    assert [r["username"] for r in rows] == ["trainee-b"]


def test_cli_export_writes_the_same_file_or_one_line(sqlite_db, world, tmp_path, capsys):
    from app.cli import main

    out = tmp_path / "records.csv"
    assert main(["records", "export", "--agency", "agency-a", "--out", str(out)]) == 0
    assert [r["username"] for r in _rows(out.read_bytes())] == ["trainee-a"]
    assert main(["records", "export", "--agency", "nowhere"]) == 2
    assert capsys.readouterr().err.strip() == "error: There is no agency 'nowhere'."
