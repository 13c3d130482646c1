"""8 processes write attempts and are killed with SIGKILL part-way, 20 rounds."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlmodel import select

from app.store.db import read_session, write_session
from app.store.models import Attempt, ScenarioVersion

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("crash_writer.py")


def _scenario_row(agency_id: int) -> int:
    with write_session() as session:
        row = ScenarioVersion(
            agency_id=agency_id,
            scenario_key="crash-test",
            title="t",
            module="m",
            call_type="WELFARE_CHECK",
            yaml_text="x",
            data={},
            content_hash="h",
        )
        session.add(row)
        session.flush()
        return row.id


class _Acknowledged:
    """The keys the writers printed (each after its commit returned), as they arrive."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self._arrived = threading.Condition()

    def drain(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            with self._arrived:
                self.keys.append(line.strip())
                self._arrived.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Block until ``count`` keys have arrived (False if ``timeout`` passed first)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.keys) >= count, timeout)


def test_no_acknowledged_attempt_lost_under_kill_9(sqlite_db, world):
    rng = random.Random(7)
    scenario_id = _scenario_row(world.agencies["a"])
    user_id = world["trainee-a"].user_id
    acknowledged: set[str] = set()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for round_no in range(20):
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(WRITER),
                    str(world.agencies["a"]),
                    str(user_id),
                    str(scenario_id),
                    f"r{round_no}p{i}",
                ],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            for i in range(8)
        ]
        acks = _Acknowledged()
        readers = [threading.Thread(target=acks.drain, args=(p,), daemon=True) for p in procs]
        for r in readers:
            r.start()
        # Wait until the writers are well under way (start-up is slow on a busy machine),
        # then kill them mid-stream, after a random number of further commits.
        acks.wait_for(16 + rng.randint(1, 16), timeout=60)
        for p in procs:
            p.send_signal(signal.SIGKILL)
        for p in procs:
            p.wait()
        for r in readers:
            r.join(5)
        acknowledged.update(k for k in acks.keys if k)
    assert len(acknowledged) > 100, "writers barely ran; the test would prove nothing"
    with read_session() as session:
        stored = set(session.exec(select(Attempt.idempotency_key)).all())
    assert acknowledged <= stored
    path = make_url(sqlite_db).database
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
