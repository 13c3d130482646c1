"""Shared fixtures: a fresh, migrated database on SQLite and on PostgreSQL.

``database`` runs a test once per backend. PostgreSQL tests skip when the server
is unreachable, except under CI=true where that fails the run.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# A busy 2-core machine makes wall-clock deadlines flaky; CI runs derandomized so a
# red run is reproducible, development runs explore new examples each time.
hypothesis_settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
hypothesis_settings.register_profile(
    "ci",
    parent=hypothesis_settings.get_profile("default"),
    derandomize=True,
    print_blob=True,
)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent


def _use_database(monkeypatch, url: str, tmp_path: Path) -> None:
    from app.settings import get_settings
    from app.store.db import reset_engines

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AUDIO_CACHE_DIR", str(tmp_path / "audio"))
    get_settings.cache_clear()
    reset_engines()


def _postgres_database():
    """Create a throwaway PostgreSQL database; yields its URL."""
    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is unreachable under CI: {exc}")
        pytest.skip("PostgreSQL is not reachable")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from app.store.db import reset_engines

        reset_engines()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, monkeypatch, tmp_path):
    """A migrated, empty database; the test runs on SQLite and on PostgreSQL."""
    from app.store.migrate import upgrade_to_head

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        _use_database(monkeypatch, url, tmp_path)
        upgrade_to_head()
        yield url
    else:
        gen = _postgres_database()
        url = next(gen)
        _use_database(monkeypatch, url, tmp_path)
        upgrade_to_head()
        yield url
        gen.close()
    from app.settings import get_settings
    from app.store.db import reset_engines

    reset_engines()
    get_settings.cache_clear()


@pytest.fixture
def sqlite_db(monkeypatch, tmp_path):
    """A migrated SQLite database only (UI tests)."""
    from app.settings import get_settings
    from app.store.db import reset_engines
    from app.store.migrate import upgrade_to_head

    url = f"sqlite:///{tmp_path / 'test.db'}"
    _use_database(monkeypatch, url, tmp_path)
    upgrade_to_head()
    yield url
    reset_engines()
    get_settings.cache_clear()


@pytest.fixture
def world(request):
    """Two agencies with a user of every role each, in the test's own database."""
    from tests.factories import make_world

    chosen = [name for name in ("database", "sqlite_db") if name in request.fixturenames]
    if not chosen:
        pytest.fail("the world fixture needs the database or sqlite_db fixture")
    request.getfixturevalue(chosen[0])  # set the database up first, whatever the order

    return make_world()
