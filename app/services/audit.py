"""The audit log in the database: append (serialized), read and verify the hash chain.

Appends happen inside the caller's ``write_session`` so an event is stored in the same
transaction as the change it records. They are serialized so the chain never forks:
SQLite's write transactions already start with ``BEGIN IMMEDIATE`` (one writer at a
time); on PostgreSQL the transaction takes an advisory lock first. Ids are assigned
here (last id + 1), never by a sequence, so a rolled-back append leaves no gap. The
table refuses UPDATE and DELETE (database triggers, see ``app/store/guards.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import text
from sqlmodel import Session, col, select

from app.core import audit as core
from app.services.access import Actor, require
from app.store.db import read_session
from app.store.models import AuditEntry, User, row_id, utcnow

# pg_advisory_xact_lock key for audit appends ("AUDT" in ASCII).
ADVISORY_KEY = 0x41554454
BATCH = 1000


def _record(row: AuditEntry) -> core.AuditRecord:
    return core.AuditRecord(
        id=row_id(row),
        at=row.at,
        agency_id=row.agency_id,
        actor_id=row.actor_id,
        event=row.event,
        subject=row.subject,
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
    # SQLite: the write transaction began with BEGIN IMMEDIATE, so it holds the lock.


def append(
    session: Session,
    *,
    event: str,
    subject: str,
    payload: dict[str, Any] | None = None,
    agency_id: int | None = None,
    actor_id: int | None = None,
) -> core.AuditRecord:
    """Append one event to the chain inside ``session`` (a ``write_session``)."""
    _lock(session)
    last = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(1)).first()
    entry = core.make_entry(
        _record(last) if last is not None else None,
        at=utcnow(),
        event=event,
        subject=subject,
        payload=payload,
        agency_id=agency_id,
        actor_id=actor_id,
    )
    session.add(
        AuditEntry(
            id=entry.id,
            at=entry.at,
            agency_id=entry.agency_id,
            actor_id=entry.actor_id,
            event=entry.event,
            subject=entry.subject,
            payload=entry.payload,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )
    )
    session.flush()
    return entry


def iter_entries(session: Session) -> Iterator[core.AuditRecord]:
    """Every entry in id order, read in batches (the log can be long)."""
    after = 0
    while True:
        rows = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.id) > after)
            .order_by(col(AuditEntry.id))
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            yield _record(row)
        after = row_id(rows[-1])


@dataclass(frozen=True)
class ChainReport:
    entries: int
    problems: list[str]
    head: tuple[int, str] | None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_log(*, anchors: list[tuple[int, str]] | None = None) -> ChainReport:
    """Check the whole chain (system task: the CLI and the supervisor page use it)."""
    count = 0
    last: core.AuditRecord | None = None

    def counted(entries):
        nonlocal count, last
        for entry in entries:
            count += 1
            last = entry
            yield entry

    with read_session() as session:
        problems = core.verify_chain(counted(iter_entries(session)), anchors=anchors or ())
    return ChainReport(count, problems, (last.id, last.hash) if last else None)


class LogCheck(TypedDict):
    ok: bool
    entries: int  # entries checked, every agency's
    problems: int  # how many breaks in the chain (what they are stays with the admins' CLI)


class AgencyEntry(TypedDict):
    id: int
    at: dt.datetime
    event: str
    subject: str
    actor: str  # display name, or "system"
    payload: dict
    hash: str


def check_log(*, actor: Actor) -> LogCheck:
    """For supervisors and admins: whether the chain is intact (no other agency's details)."""
    require(actor, "audit")
    report = verify_log()
    return LogCheck(ok=report.ok, entries=report.entries, problems=len(report.problems))


def agency_entries(
    *, actor: Actor, limit: int = 200, event: str | None = None
) -> list[AgencyEntry]:
    """The newest audit entries of the actor's agency."""
    require(actor, "audit")
    with read_session() as session:
        query = (
            select(AuditEntry, User.display_name)
            .join(User, col(User.id) == AuditEntry.actor_id, isouter=True)
            .where(AuditEntry.agency_id == actor.agency_id)
        )
        if event:
            query = query.where(AuditEntry.event == event)
        rows = session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)).all()
    return [
        AgencyEntry(
            id=row_id(row),
            at=row.at,
            event=row.event,
            subject=row.subject,
            actor=name or "system",
            payload=row.payload or {},
            hash=row.hash,
        )
        for row, name in rows
    ]
