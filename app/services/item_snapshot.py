"""Item statistics of an agency's bank, worked out from every graded attempt and kept.

Working them out reads every graded attempt (about 8 s at a million attempts), so the
result is stored per agency (:class:`ItemStatsSnapshot`) with a *signature* of the
attempts it covers. :func:`current` gives the stored statistics when no attempt came in
since; otherwise, for a small center (at most :data:`INLINE_LIMIT` attempts) it works
them out again on the spot, and for a big one it hands back the stored ones, saying how
many attempts came in since, and starts one refresh in a separate process
(``python -m app items refresh``) so no page waits and the server's interpreter stays
free for the trainees. A refresh is claimed in the database, so two pages or two
replicas never start two.

Internal to the services: callers check the actor (app/services/authoring.py).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from sqlalchemy import or_, text, update
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.core import item_stats as stats_core
from app.settings import PROJECT_ROOT
from app.store.db import read_session, write_session
from app.store.models import ItemStatsSnapshot, ScenarioVersion, utcnow

INLINE_LIMIT = 50_000  # submitted attempts up to which a page works the statistics out itself
CLAIM_EXPIRES = dt.timedelta(minutes=10)  # a refresh that never finished may be retried

# One grouped query (the agency's submitted, graded attempts outside guided mode, by
# trainee, version, chosen route and chosen call type), then pandas in
# app.core.item_stats. The query is constant text; every value is a bound parameter.
_SQL_ITEM_GROUPS = (
    "SELECT a.user_id, a.scenario_version_id, a.disposition, a.expert_disposition,",
    "a.call_type, COUNT(*), SUM(a.score) FROM attempt a",
    "WHERE a.agency_id = :agency AND a.status = 'submitted' AND a.score IS NOT NULL",
    "AND a.mode <> 'guided'",
    "GROUP BY a.user_id, a.scenario_version_id, a.disposition, a.expert_disposition,",
    "a.call_type",
)


@dataclass(frozen=True)
class Snapshot:
    """Item statistics and how current they are."""

    stats: dict[int, stats_core.ItemStats] = field(repr=False)
    computed_at: dt.datetime | None
    attempts: int  # submitted attempts when they were worked out
    fresh: bool  # no attempt was submitted, changed or removed since
    new_attempts: int  # how many more submitted attempts there are now
    refreshing: bool  # a background refresh is running
    seconds: float | None  # how long working them out took


# --- working the statistics out ----------------------------------------------------------


def _item_frame(session: Session, agency_id: int) -> pd.DataFrame:
    # The driver's cursor: a million rows through SQLAlchemy's Row objects cost more
    # than the query itself.
    sql = " ".join(_SQL_ITEM_GROUPS)
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        params: Any = {"agency": agency_id}
    else:  # psycopg: %(name)s placeholders
        sql, params = sql.replace(":agency", "%(agency)s"), {"agency": agency_id}
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the database connection was closed under the item statistics")
    cursor = driver.cursor()
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    raw = pd.DataFrame.from_records(
        rows, columns=["trainee", "item", "route", "best", "chosen", "n", "total"]
    )
    keys = dict(
        session.exec(
            select(ScenarioVersion.id, ScenarioVersion.call_type).where(
                ScenarioVersion.agency_id == agency_id
            )
        ).all()
    )
    key_type = raw["item"].map(keys)
    wrong_route = raw["route"].notna() & raw["best"].notna() & (raw["route"] != raw["best"])
    wrong_type = raw["chosen"].notna() & (raw["chosen"] != key_type)
    return pd.DataFrame(
        {
            "trainee": raw["trainee"],
            "item": raw["item"],
            "n": raw["n"].astype("int64"),
            "points": raw["total"].astype("int64"),  # whole points: exact totals
            "wrong_route": raw["route"].where(wrong_route, None),
            "wrong_type": raw["chosen"].where(wrong_type, None),
        }
    )


def work_out(session: Session, agency_id: int) -> dict[int, stats_core.ItemStats]:
    """The statistics of every version with graded attempts, from the attempts themselves."""
    aggregates = stats_core.aggregate_frame(_item_frame(session, agency_id))
    return {_version_id(item): stats_core.finish(agg) for item, agg in aggregates.items()}


def _version_id(item: Hashable) -> int:
    """An item here is a scenario version id (a Python or a numpy integer)."""
    if not isinstance(item, int | np.integer):
        raise TypeError(f"item {item!r} is not a scenario version id")
    return int(item)


# --- storing them ---------------------------------------------------------------------------


class StoredItemStats(TypedDict):
    """One version's statistics as stored in ``ItemStatsSnapshot.items`` (JSON)."""

    item: int  # scenario version id
    attempts: int
    trainees: int
    facility: float | None
    discrimination: float | None
    discrimination_n: int
    dubious: bool
    wrong_disposition: list[str | int] | None  # [route code, attempts]; JSON has no tuples
    wrong_call_type: list[str | int] | None  # [call type code, attempts]
    flags: list[str]


def encode(stats: dict[int, stats_core.ItemStats]) -> list[StoredItemStats]:
    return [
        StoredItemStats(
            item=_version_id(s.item),
            attempts=s.attempts,
            trainees=s.trainees,
            facility=s.facility,
            discrimination=s.discrimination,
            discrimination_n=s.discrimination_n,
            dubious=s.dubious,
            wrong_disposition=list(s.wrong_disposition) if s.wrong_disposition else None,
            wrong_call_type=list(s.wrong_call_type) if s.wrong_call_type else None,
            flags=list(s.flags),
        )
        for s in stats.values()
    ]


def decode(rows: list[dict] | None) -> dict[int, stats_core.ItemStats]:
    out = {}
    for row in rows or []:
        wrong_route, wrong_type = row["wrong_disposition"], row["wrong_call_type"]
        out[int(row["item"])] = stats_core.ItemStats(
            item=int(row["item"]),
            attempts=int(row["attempts"]),
            trainees=int(row["trainees"]),
            facility=row["facility"],
            discrimination=row["discrimination"],
            discrimination_n=int(row["discrimination_n"]),
            dubious=bool(row["dubious"]),
            wrong_disposition=(wrong_route[0], int(wrong_route[1])) if wrong_route else None,
            wrong_call_type=(wrong_type[0], int(wrong_type[1])) if wrong_type else None,
            flags=tuple(row["flags"]),
        )
    return out


def _signature(session: Session, agency_id: int) -> tuple[str, int]:
    """A fingerprint of the agency's submitted attempts (from the trigger-kept rollup)
    and how many there are."""
    attempts, scores, passes = session.execute(
        text(
            "SELECT COALESCE(SUM(attempts), 0), COALESCE(SUM(score_sum), 0), "
            "COALESCE(SUM(passes), 0) FROM traineerollup WHERE agency_id = :agency"
        ),
        {"agency": agency_id},
    ).one()
    return f"{int(attempts)}:{int(scores)}:{int(passes)}", int(attempts)


def _ensure_row(session: Session, agency_id: int) -> None:
    session.execute(
        text(
            "INSERT INTO itemstatssnapshot (agency_id, signature, attempts) "
            "VALUES (:agency, '', 0) ON CONFLICT (agency_id) DO NOTHING"
        ),
        {"agency": agency_id},
    )


def refresh(agency_id: int) -> Snapshot:
    """Work the statistics out now and store them (also releases a refresh claim)."""
    started = time.perf_counter()
    with read_session() as session:
        # The signature first: attempts arriving while this runs make it stale again.
        signature, attempts = _signature(session, agency_id)
        stats = work_out(session, agency_id)
    seconds = round(time.perf_counter() - started, 3)
    now = utcnow()
    with write_session() as session:
        _ensure_row(session, agency_id)
        row = session.get(ItemStatsSnapshot, agency_id)
        if row is None:
            raise RuntimeError(f"no item statistics row for agency {agency_id}")
        row.computed_at, row.signature, row.attempts = now, signature, attempts
        row.seconds, row.items, row.refresh_started_at = seconds, encode(stats), None
        session.add(row)
    _remember(agency_id, now, stats)
    return Snapshot(stats, now, attempts, True, 0, False, seconds)


# Decoded statistics per agency, so a page rerun does not parse the stored JSON again.
_decoded: dict[int, tuple[dt.datetime, dict[int, stats_core.ItemStats]]] = {}
_decoded_lock = threading.Lock()


def _remember(agency_id: int, computed_at: dt.datetime, stats: dict) -> None:
    with _decoded_lock:
        _decoded[agency_id] = (computed_at, stats)


def _stored_stats(session: Session, row: ItemStatsSnapshot) -> dict[int, stats_core.ItemStats]:
    with _decoded_lock:
        known = _decoded.get(row.agency_id)
    if known and known[0] == row.computed_at:
        return known[1]
    if row.computed_at is None:
        return {}  # never worked out: nothing is stored
    items = session.execute(
        select(ItemStatsSnapshot.items).where(ItemStatsSnapshot.agency_id == row.agency_id)
    ).scalar_one()
    stats = decode(items)
    _remember(row.agency_id, row.computed_at, stats)
    return stats


def _header(session: Session, agency_id: int) -> ItemStatsSnapshot | None:
    """The snapshot row without its (large) statistics."""
    return session.exec(
        select(ItemStatsSnapshot)
        # SQLModel types the attribute as the column's value; it is the mapped attribute.
        .options(defer(ItemStatsSnapshot.items))  # type: ignore[arg-type]
        .where(ItemStatsSnapshot.agency_id == agency_id)
    ).first()


def _running(row: ItemStatsSnapshot | None, now: dt.datetime) -> bool:
    started = row.refresh_started_at if row else None
    return started is not None and _aware(started) > now - CLAIM_EXPIRES


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _snapshot(
    row: ItemStatsSnapshot | None, signature: str, attempts: int, stats: dict
) -> Snapshot:
    if row is None or row.computed_at is None:
        return Snapshot(stats, None, 0, False, attempts, _running(row, utcnow()), None)
    return Snapshot(
        stats,
        row.computed_at,
        row.attempts,
        row.signature == signature,
        max(attempts - row.attempts, 0),
        _running(row, utcnow()),
        row.seconds,
    )


def current(agency_id: int) -> Snapshot:
    """The agency's item statistics (see the module notes for when they are worked out)."""
    with read_session() as session:
        row = _header(session, agency_id)
        signature, attempts = _signature(session, agency_id)
        header = _snapshot(row, signature, attempts, {})
        known: Snapshot | None = None  # never worked out yet, or cheap enough to do now
        if (
            row is not None
            and header.computed_at is not None
            and (header.fresh or attempts > INLINE_LIMIT)
        ):
            known = _snapshot(row, signature, attempts, _stored_stats(session, row))
    if known is None:
        return refresh(agency_id)
    if not known.fresh and not known.refreshing and start_refresh(agency_id):
        known = replace(known, refreshing=True)
    return known


def status(agency_id: int) -> Snapshot:
    """How current the stored statistics are, without them (cheap; never works them out)."""
    with read_session() as session:
        row = _header(session, agency_id)
        signature, attempts = _signature(session, agency_id)
    return _snapshot(row, signature, attempts, {})


# --- the background refresh -----------------------------------------------------------------


def claim_refresh(agency_id: int) -> bool:
    """Mark a refresh as started unless one is running (at most one per agency)."""
    now = utcnow()
    with write_session() as session:
        _ensure_row(session, agency_id)
        started = col(ItemStatsSnapshot.refresh_started_at)
        claimed = session.exec(
            update(ItemStatsSnapshot)
            .where(col(ItemStatsSnapshot.agency_id) == agency_id)
            .where(or_(started.is_(None), started < now - CLAIM_EXPIRES))
            .values(refresh_started_at=now)
        )
        return claimed.rowcount == 1


def release_claim(agency_id: int) -> None:
    with write_session() as session:
        row = session.get(ItemStatsSnapshot, agency_id)
        if row is not None:
            row.refresh_started_at = None
            session.add(row)


def start_refresh(agency_id: int) -> bool:
    """Start ``python -m app items refresh`` for the agency in its own process, once."""
    if not claim_refresh(agency_id):
        return True  # someone else's refresh is running
    command = [sys.executable, "-m", "app", "items", "refresh", "--agency-id", str(agency_id)]
    try:
        subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            command,
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives the page's rerun, not tied to its signals
        )
    except OSError:
        release_claim(agency_id)
        return False
    return True
