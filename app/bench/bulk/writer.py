"""Writing the bulk data set: scenarios, users, lesson progress and attempts in batches.

See ``app.bench.bulk`` for what :func:`build_dataset` builds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.bench.bulk.synthetic import (
    ATTEMPT_COLUMNS,
    _attempt_counts,
    _AttemptMaker,
    _fmt_dt,
    _make_scenarios,
    _scenario_data,
)
from app.core.modules import MODULE_SLUGS as MODULES
from app.errors import NotFound
from app.store import rollups
from app.store.db import get_engine, is_sqlite
from app.store.models import utcnow

Progress = Callable[[int, int], None]

BATCH = 50_000


@dataclass
class BulkSummary:
    agency_id: int
    scenarios: int = 0
    trainees: int = 0
    attempts: int = 0
    twin_pairs: int = 0
    supervisor: str = ""
    password: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


SCENARIO_COLUMNS = (
    "agency_id",
    "scenario_key",
    "version",
    "is_current",
    "status",
    "source",
    "title",
    "module",
    "call_type",
    "disqualifiers",
    "difficulty",
    "channel",
    "twin_group",
    "yaml_text",
    "data",
    "content_hash",
    "created_at",
)
USER_COLUMNS = (
    "agency_id",
    "username",
    "display_name",
    "role",
    "password_hash",
    "is_active",
    "failed_logins",
    "created_at",
)
LESSON_COLUMNS = (
    "agency_id",
    "user_id",
    "module",
    "lesson_read_at",
    "check_score",
    "check_passed",
    "updated_at",
)


# --- writing -----------------------------------------------------------------------------


class _Writer:
    """Bulk inserts through the raw DB-API connection: executemany (SQLite) or COPY (PG)."""

    def __init__(self, raw, sqlite: bool):
        self.raw, self.sqlite = raw, sqlite

    def begin(self) -> None:
        if self.sqlite:
            self.raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.raw.commit() if not self.sqlite else self.raw.execute("COMMIT")

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            self.raw.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)  # noqa: S608 - fixed names
            return
        with self.raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def ids(self, table: str, column: str, values: list[str], agency_id: int) -> dict[str, int]:
        """Map ``column`` values to ids for rows just written (one query)."""
        sql = (
            f'SELECT "{column}", id FROM "{table}" WHERE agency_id = '  # noqa: S608 - fixed names
            + ("?" if self.sqlite else "%s")
        )
        cur = self.raw.cursor()
        cur.execute(sql, (agency_id,))
        wanted = set(values)
        found = {k: i for k, i in cur.fetchall() if k in wanted}
        cur.close()
        return found


def build_dataset(
    *,
    agency_id: int,
    scenarios: int = 10_000,
    trainees: int = 5_000,
    attempts: int = 1_000_000,
    seed: int = 0,
    progress: Progress | None = None,
    password: str | None = None,
    now: dt.datetime | None = None,
    url: str | None = None,
) -> BulkSummary:
    """Add synthetic scenarios, trainees (plus one supervisor) and submitted attempts.

    Everything goes into agency ``agency_id`` (which must exist). The same seed gives
    the same numbers; keys carry a random run token so the builder can run twice.
    ``progress(done, total)`` is called as attempts are written.
    """
    from app.core.passwords import hash_password

    rng = np.random.default_rng(seed)
    now = now or utcnow()
    if now.tzinfo is not None:  # the database keeps naive UTC
        now = now.astimezone(dt.UTC).replace(tzinfo=None)
    run = secrets.token_hex(3)
    engine = get_engine(write=True, url=url)
    sqlite = is_sqlite(str(engine.url))
    summary = BulkSummary(agency_id=agency_id)
    timer = time.perf_counter()
    password = password or f"bench-{secrets.token_urlsafe(12)}"
    pw_hash = hash_password(password)  # once for every user

    raw_conn = engine.raw_connection()
    triggers_off = False
    try:
        raw = raw_conn.driver_connection
        if raw is None:
            raise RuntimeError("the pooled connection has no database connection")
        if sqlite:
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute("PRAGMA cache_size=-400000")  # 400 MB of page cache for the load
        writer = _Writer(raw, sqlite)
        cur = raw.cursor()
        cur.execute(
            "SELECT dispatch_model FROM agency WHERE id = ?"
            if sqlite
            else "SELECT dispatch_model FROM agency WHERE id = %s",
            (agency_id,),
        )
        found = cur.fetchone()
        cur.close()
        if found is None:
            raise NotFound(f"no agency with id {agency_id}")
        model = found[0]
        stamp = _fmt_dt(now, sqlite)

        # Scenarios and users in one transaction.
        writer.begin()
        specs = _make_scenarios(rng, scenarios, run)
        rows = []
        for s in specs:
            text = json.dumps(_scenario_data(s), sort_keys=True)
            rows.append(
                (
                    agency_id,
                    s.key,
                    1,
                    True,
                    "published",
                    "generated",
                    f"Synthetic {s.call_type.replace('_', ' ').lower()} call",
                    "real-time-screening",
                    s.call_type,
                    ",".join(sorted(s.disqualifiers)),
                    2,
                    "911",
                    s.twin_group,
                    text,
                    text,
                    hashlib.sha256(text.encode()).hexdigest(),
                    stamp,
                )
            )
        writer.insert("scenarioversion", SCENARIO_COLUMNS, rows)
        sv_by_key = writer.ids("scenarioversion", "scenario_key", [s.key for s in specs], agency_id)
        sv_ids = [sv_by_key[s.key] for s in specs]

        names = _names(seed, trainees)
        usernames = [f"bench-{run}-{i:05d}" for i in range(trainees)]
        supervisor = f"bench-{run}-supervisor"
        user_rows = [
            (agency_id, u, names[i], "trainee", pw_hash, True, 0, stamp)
            for i, u in enumerate(usernames)
        ]
        user_rows.append(
            (agency_id, supervisor, "Bench Supervisor", "supervisor", pw_hash, True, 0, stamp)
        )
        writer.insert("user", USER_COLUMNS, user_rows)
        by_name = writer.ids("user", "username", usernames, agency_id)
        user_ids = [by_name[u] for u in usernames]
        lesson_rows = []
        for i, uid in enumerate(user_ids):
            done = int(rng.binomial(len(MODULES), 0.85 if i % 7 else 0.4))
            for m in MODULES[:done]:
                lesson_rows.append((agency_id, uid, m, stamp, 90, True, stamp))
        writer.insert("lessonprogress", LESSON_COLUMNS, lesson_rows)
        writer.commit()
        summary.scenarios, summary.trainees = len(specs), trainees
        summary.supervisor, summary.password = supervisor, password
        summary.seconds["setup"] = time.perf_counter() - timer

        # Attempts, a few batches per transaction.
        counts = _attempt_counts(rng, trainees, attempts)
        maker = _AttemptMaker(
            rng=rng,
            scenarios=specs,
            counts=counts,
            now=now,
            agency_id=agency_id,
            model=model,
            run=run,
            user_ids=user_ids,
            sv_ids=sv_ids,
        )
        done = 0
        batch: list[tuple] = []
        # Row triggers would recount the rollups a million times: take them off for the
        # load, then count once and put them back (in the finally below).
        writer.begin()
        for statement in rollups.drop_statements("sqlite" if sqlite else "postgresql"):
            raw.execute(statement)
        writer.commit()
        triggers_off = True
        writer.begin()
        for u in range(trainees):
            batch.extend(maker.rows(u, done + len(batch), sqlite))
            if len(batch) >= BATCH:
                writer.insert("attempt", ATTEMPT_COLUMNS, batch)
                done += len(batch)
                batch = []
                if done % (BATCH * 5) == 0:
                    writer.commit()
                    writer.begin()
                if progress:
                    progress(done, attempts)
        writer.insert("attempt", ATTEMPT_COLUMNS, batch)
        done += len(batch)
        writer.commit()
        if progress:
            progress(done, attempts)
        summary.attempts, summary.twin_pairs = done, maker.pairs
        summary.seconds["attempts"] = time.perf_counter() - timer - summary.seconds["setup"]
        _recount_rollups(writer, raw, sqlite)
        triggers_off = False
        summary.seconds["rollups"] = (
            time.perf_counter() - timer - summary.seconds["setup"] - summary.seconds["attempts"]
        )
        if sqlite:
            raw.execute("ANALYZE")
        else:
            # VACUUM sets the visibility map, without which PostgreSQL cannot use the
            # covering indexes index-only; it refuses to run inside a transaction.
            raw.autocommit = True
            try:
                for table in ("attempt", "scenarioversion", '"user"', "lessonprogress"):
                    raw.execute(f"VACUUM ANALYZE {table}")
            finally:
                raw.autocommit = False
    except BaseException:
        try:
            driver = raw_conn.driver_connection
            if driver is not None:
                driver.rollback()
            if triggers_off:
                _recount_rollups(writer, raw, sqlite)
        except Exception:  # noqa: S110 - the original error matters more
            pass
        raise
    finally:
        raw_conn.close()
    summary.seconds["total"] = time.perf_counter() - timer
    return summary


def _recount_rollups(writer: _Writer, raw, sqlite: bool) -> None:
    """Count the rollups from the attempts and put their triggers back, in one transaction."""
    dialect = "sqlite" if sqlite else "postgresql"
    writer.begin()
    for statement in rollups.rebuild_statements(dialect) + rollups.create_statements(dialect):
        raw.execute(statement)
    writer.commit()


def _names(seed: int, count: int) -> list[str]:
    from faker import Faker

    fake = Faker()
    fake.seed_instance(seed)
    first = [fake.first_name() for _ in range(min(count, 400))]
    last = [fake.last_name() for _ in range(min(count, 400))]
    return [
        f"{first[i % len(first)]} {last[(i * 7 + i // len(first)) % len(last)]}"
        for i in range(count)
    ]
