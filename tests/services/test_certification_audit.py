"""The audit log in the database, on SQLite and PostgreSQL: append-only, serialized, verifiable."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from app.core import audit as core
from app.services import audit
from app.store.db import get_engine, read_session, write_session
from app.store.models import AuditEntry


def _append(n: int, event: str = "exam_result", agency_id=None) -> None:
    for i in range(n):
        with write_session() as session:
            audit.append(
                session,
                event=event,
                subject=f"exam:{i}",
                payload={"score": i, "reasons": ["x"], "ratio": 0.9, "ok": True},
                agency_id=agency_id,
            )


def test_entries_chain_and_verify(database, world):
    _append(5, agency_id=world.agencies["a"])
    with read_session() as session:
        rows = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [r.id for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == core.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    # What the database gives back hashes to what was written (timestamps, JSON).
    report = audit.verify_log()
    assert report.ok and report.entries == 5 and report.head == (5, rows[-1].hash)
    assert audit.verify_log(anchors=[(3, rows[2].hash)]).ok
    assert not audit.verify_log(anchors=[(6, "a" * 64)]).ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE auditentry SET subject = 'forged' WHERE id = 1",
        "UPDATE auditentry SET payload = NULL",
        "DELETE FROM auditentry WHERE id = 2",
        "DELETE FROM auditentry",
    ],
)
def test_triggers_refuse_update_and_delete(database, statement):
    _append(3)
    with pytest.raises(DBAPIError, match="append-only"):
        with write_session() as session:
            session.execute(text(statement))
    assert audit.verify_log().entries == 3


def test_orm_changes_are_refused_too(database):
    _append(2)
    with pytest.raises(DBAPIError):
        with write_session() as session:
            row = session.get(AuditEntry, 1)
            row.event = "revoked"
            session.add(row)
    with pytest.raises(DBAPIError):
        with write_session() as session:
            session.delete(session.get(AuditEntry, 2))
    assert audit.verify_log().ok


def test_tampering_past_the_triggers_is_detected(database):
    """Someone with owner rights drops the guards and edits a row: verify finds it."""
    _append(4)
    engine = get_engine(write=True)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER auditentry_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER auditentry_no_change ON auditentry")
        conn.exec_driver_sql("UPDATE auditentry SET subject = 'exam:99' WHERE id = 2")
    report = audit.verify_log()
    assert not report.ok
    assert any(p.startswith("entry 2: hash does not match") for p in report.problems)


def test_a_rolled_back_append_leaves_no_gap(database):
    _append(1)
    with pytest.raises(RuntimeError):
        with write_session() as session:
            audit.append(session, event="revoked", subject="certificate:1")
            raise RuntimeError("the change this event records failed")
    _append(1)
    with read_session() as session:
        assert session.exec(select(AuditEntry.id).order_by(AuditEntry.id)).all() == [1, 2]
    assert audit.verify_log().ok


def test_concurrent_appends_never_fork_the_chain(database):
    threads, each = 6, 8
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(each):
                with write_session() as session:
                    audit.append(session, event="sign_off", subject=f"exam:{n}-{i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    report = audit.verify_log()
    assert report.ok, report.problems
    assert report.entries == threads * each


def test_unknown_events_are_refused(database):
    with pytest.raises(ValueError):
        with write_session() as session:
            audit.append(session, event="coffee_break", subject="x")
    assert audit.verify_log().entries == 0


def test_supervisor_sees_only_their_agency_and_the_chain_state(database, world):
    _append(2, agency_id=world.agencies["a"])
    _append(1, agency_id=world.agencies["b"])
    mine = audit.agency_entries(actor=world["supervisor-a"])
    assert [e["id"] for e in mine] == [2, 1]
    assert audit.check_log(actor=world["admin-b"]) == {"ok": True, "entries": 3, "problems": 0}
