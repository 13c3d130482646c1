"""The data layer on SQLite and PostgreSQL: migrations, pragmas, guards."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from app.store import db
from app.store.db import database_url, get_engine, read_session, use_database, write_session
from app.store.migrate import has_drift, upgrade_to_head
from app.store.models import Agency, AuditEntry


def test_migrations_reach_head_without_drift(database):
    assert has_drift() is False
    upgrade_to_head()  # idempotent
    assert has_drift() is False


def test_sqlite_connections_are_configured(sqlite_db):
    with get_engine(write=True).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_write_session_commits_and_rolls_back(database):
    with write_session() as session:
        session.add(Agency(slug="x", name="X"))
    with pytest.raises(RuntimeError), write_session() as session:
        session.add(Agency(slug="y", name="Y"))
        session.flush()
        raise RuntimeError("boom")
    with read_session() as session:
        assert [a.slug for a in session.exec(select(Agency)).all()] == ["x"]


def test_foreign_keys_are_enforced(database):
    from app.store.models import User

    with pytest.raises(DBAPIError), write_session() as session:
        session.add(
            User(
                agency_id=999, username="ghost", display_name="g", role="trainee", password_hash="x"
            )
        )


def test_audit_log_refuses_update_and_delete(database):
    with write_session() as session:
        session.add(AuditEntry(event="test", subject="s", prev_hash="0" * 64, hash="a" * 64))
    for statement in ("UPDATE auditentry SET event = 'edited'", "DELETE FROM auditentry"):
        with pytest.raises(DBAPIError, match="append-only"), write_session() as session:
            session.exec(text(statement))
    with read_session() as session:
        assert session.exec(select(AuditEntry.event)).all() == ["test"]


def _slugs(url: str | None = None) -> list[str]:
    with read_session(url) as session:
        return [a.slug for a in session.exec(select(Agency).order_by(Agency.slug)).all()]


def test_use_database_points_the_process_elsewhere_and_back(database, tmp_path):
    home = database_url()
    other = f"sqlite:///{tmp_path / 'other.db'}"
    with write_session() as session:
        session.add(Agency(slug="home", name="Home"))
    with use_database(other) as url:
        assert url == other and database_url() == other
        upgrade_to_head()  # migrations follow too
        with write_session() as session:
            session.add(Agency(slug="away", name="Away"))
        assert _slugs() == ["away"]
        with use_database(home):  # blocks nest
            assert _slugs() == ["home"]
        assert database_url() == other
    assert database_url() == home
    assert other not in db._ENGINES  # disposed on the way out: the file can go
    assert _slugs() == ["home"] and _slugs(other) == ["away"]
