"""``python -m app audit verify|expire`` as a real process, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from app.services import audit
from app.store.db import get_engine, write_session
from app.store.models import Certificate, utcnow

ROOT = Path(__file__).resolve().parents[2]


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "audit", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _append(n: int) -> None:
    for i in range(n):
        with write_session() as session:
            audit.append(session, event="exam_result", subject=f"exam:{i}", payload={"n": i})


def test_verify_ok_then_broken(database):
    empty = run_cli(database, "verify")
    assert empty.returncode == 0 and empty.stdout.startswith("audit log ok (0 entries)")
    _append(3)
    ok = run_cli(database, "verify")
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.splitlines()
    assert lines[0] == "audit log ok (3 entries)"
    head = lines[1].split()[1]
    assert run_cli(database, "verify", "--head", head).returncode == 0

    engine = get_engine(write=True)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER auditentry_no_update")
            conn.exec_driver_sql("DROP TRIGGER auditentry_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER auditentry_no_change ON auditentry")
        conn.exec_driver_sql("DELETE FROM auditentry WHERE id = 3")
    # Cutting the last entry leaves a valid chain; only the remembered head shows it.
    assert run_cli(database, "verify").returncode == 0
    cut = run_cli(database, "verify", "--head", head)
    assert cut.returncode == 1
    assert "entry 3: remembered entry is missing" in cut.stdout
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE auditentry SET subject = 'exam:7' WHERE id = 1")
    broken = run_cli(database, "verify")
    assert broken.returncode == 1
    assert broken.stdout.splitlines() == [
        "audit log has 1 problem(s) in 2 entries:",
        "  entry 1: hash does not match its contents (changed after it was written)",
    ]


def test_bad_head_is_a_usage_error(database):
    result = run_cli(database, "verify", "--head", "nonsense")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: --head must look like ID:HASH")


def test_expire_records_each_expiry_once(database, world):
    now = utcnow()
    with write_session() as session:
        for n, days in enumerate((-3, -1, 10)):
            session.add(
                Certificate(
                    agency_id=world.agencies["a"],
                    user_id=world["trainee-a"].user_id,
                    track="community-responder-screening",
                    code=f"2222-3333-{4440 + n}".replace("0", "A"),
                    issued_at=now - dt.timedelta(days=700),
                    expires_at=now + dt.timedelta(days=days),
                )
            )
    first = run_cli(database, "expire")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "2 expiry event(s) recorded"
    assert run_cli(database, "expire").stdout.strip() == "0 expiry event(s) recorded"
    assert run_cli(database, "verify").stdout.startswith("audit log ok (2 entries)")
