"""The dashboard rollups (app/store/rollups.py) always equal a fresh count over the attempts.

Whatever writes attempts — inserts in any status, submissions, changes to submitted rows,
deletions — the trigger-kept rollups must match what a recount from scratch gives, on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.store import rollups
from app.store.db import read_session, write_session
from app.store.models import Attempt, ScenarioVersion

BASE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
ROUTES = ("community_responder", "police", "ems", None)
CODES = ("", "weapon", "threat", "weapon,medical", None)
SECONDS = (None, 0.0, 4.9, 5.0, 59.9, 60.0, 60.1, 299.9, 300.0, 1234.5, -2.0)


def _snapshot() -> dict[str, set]:
    """Every rollup row with a non-zero count (a row counted down to zero may stay)."""
    out = {}
    with read_session() as session:
        for table in rollups.TABLES:
            rows = session.execute(text(f"SELECT * FROM {table} WHERE attempts <> 0")).all()  # noqa: S608
            out[table] = {tuple(str(v) for v in row) for row in rows}
    return out


def _recounted() -> dict[str, set]:
    """What a recount from the attempts gives (run in a transaction that is rolled back)."""
    with write_session() as session:
        dialect = session.get_bind().dialect.name
        for statement in rollups.rebuild_statements(dialect):
            session.execute(text(statement))
        out = {}
        for table in rollups.TABLES:
            rows = session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
            out[table] = {tuple(str(v) for v in row) for row in rows}
        session.rollback()
    return out


attempt_rows = st.fixed_dictionaries(
    {
        "user": st.sampled_from(["trainee-a", "trainee-b", "trainer-a"]),
        "version": st.integers(0, 2),
        "status": st.sampled_from(["submitted", "submitted", "in_progress", "abandoned"]),
        # Minutes from BASE: several UTC days, with attempts either side of midnight.
        "minute": st.integers(0, 3 * 24 * 60),
        "score": st.one_of(st.none(), st.integers(0, 100)),
        "passed": st.one_of(st.none(), st.booleans()),
        "unsafe": st.one_of(st.none(), st.booleans()),
        "over_routed": st.one_of(st.none(), st.booleans()),
        "seconds": st.sampled_from(SECONDS),
        "disposition": st.sampled_from(ROUTES),
        "expert_disposition": st.sampled_from(ROUTES),
        "missed": st.sampled_from(CODES),
        "over": st.sampled_from(CODES),
    }
)
changes = st.lists(
    st.tuples(st.sampled_from(["submit", "rescore", "move", "delete"]), st.integers(0, 10_000)),
    max_size=12,
)


def _versions(world) -> list[dict[str, int]]:
    ids = []
    with write_session() as session:
        for index, dq in enumerate(("", "weapon", "threat,medical")):
            per_agency = {}
            for slug, agency in world.agencies.items():
                row = ScenarioVersion(
                    agency_id=agency,
                    scenario_key=f"rollup-{index}",
                    title="Rollup",
                    module="m",
                    call_type="WELFARE_CHECK",
                    disqualifiers=dq,
                    yaml_text="{}",
                    data={},
                    content_hash=f"rollup-{index}-{slug}",
                )
                session.add(row)
                session.flush()
                per_agency[agency] = row.id
            ids.append(per_agency)
    return ids


def test_rollups_equal_a_recount_after_any_writes(database, world):
    versions = _versions(world)
    serial = iter(range(10**9))

    @settings(max_examples=25)
    @given(rows=st.lists(attempt_rows, max_size=25), edits=changes)
    def check(rows, edits):
        with write_session() as session:
            session.execute(text("DELETE FROM reviewnote"))
            session.execute(text("DELETE FROM attempt"))
        assert _snapshot() == {table: set() for table in rollups.TABLES}
        with write_session() as session:
            for row in rows:
                actor = world[row["user"]]
                stamp = BASE + dt.timedelta(minutes=row["minute"])
                session.add(
                    Attempt(
                        agency_id=actor.agency_id,
                        user_id=actor.user_id,
                        scenario_version_id=versions[row["version"]][actor.agency_id],
                        status=row["status"],
                        idempotency_key=f"rollup-{next(serial)}",
                        started_at=stamp - dt.timedelta(minutes=3),
                        submitted_at=stamp if row["status"] == "submitted" else None,
                        score=row["score"],
                        passed=row["passed"],
                        unsafe=row["unsafe"],
                        over_routed=row["over_routed"],
                        seconds=row["seconds"],
                        disposition=row["disposition"],
                        expert_disposition=row["expert_disposition"],
                        missed_disqualifiers=row["missed"],
                        over_disqualifiers=row["over"],
                    )
                )
        with write_session() as session:
            ids = [r[0] for r in session.execute(text("SELECT id FROM attempt ORDER BY id"))]
            for kind, pick in edits:
                if not ids:
                    break
                attempt = session.get(Attempt, ids[pick % len(ids)])
                if kind == "submit":  # an unfinished call is submitted
                    attempt.status = "submitted"
                    attempt.submitted_at = BASE + dt.timedelta(days=2, hours=23, minutes=59)
                    attempt.passed, attempt.seconds = True, 61.0
                elif kind == "rescore":  # a submitted row's figures change
                    attempt.score, attempt.passed = 55, False
                    attempt.missed_disqualifiers, attempt.disposition = "medical", "police"
                elif kind == "move":  # to another day (and back out of 'submitted')
                    attempt.submitted_at = BASE + dt.timedelta(days=1, minutes=pick % 1440)
                    if pick % 3 == 0:
                        attempt.status = "abandoned"
                else:
                    session.delete(attempt)
                    ids.remove(attempt.id)
                session.flush()
        assert _snapshot() == _recounted()

    check()


def test_migration_counts_attempts_already_there(database, world):
    """Upgrading a database that already holds attempts fills the rollups."""
    from alembic import command

    from app.store.migrate import alembic_config

    versions = _versions(world)
    actor = world["trainee-a"]
    with write_session() as session:
        for i in range(5):
            session.add(
                Attempt(
                    agency_id=actor.agency_id,
                    user_id=actor.user_id,
                    scenario_version_id=versions[1][actor.agency_id],
                    status="submitted",
                    idempotency_key=f"before-{i}",
                    started_at=BASE,
                    submitted_at=BASE + dt.timedelta(hours=i * 7),
                    score=80,
                    passed=True,
                    seconds=40.0 + i,
                    disposition="police",
                    expert_disposition="police",
                    missed_disqualifiers="",
                    over_disqualifiers="",
                )
            )
    expected = _snapshot()
    assert len(expected["dayrouterollup"]) == 2  # 0, 7, 14, 21 h on day one; 28 h on day two
    command.downgrade(alembic_config(database), "0005")
    command.upgrade(alembic_config(database), "head")
    assert _snapshot() == expected
    with read_session() as session:
        row = session.execute(
            text("SELECT attempts, passes, score_sum FROM traineerollup WHERE user_id = :u"),
            {"u": actor.user_id},
        ).one()
    assert tuple(row) == (5, 5, 400)
