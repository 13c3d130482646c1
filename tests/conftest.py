"""Shared fixtures: a fresh, migrated database on SQLite and on PostgreSQL.

``database`` runs a test once per backend; its PostgreSQL half is marked ``postgres``.
A test that needs a real part the machine may lack (PostgreSQL, Chromium, espeak-ng,
nginx) calls :func:`require_or_skip`: it skips on a developer's machine without the
part and fails under CI=true, so that CI cannot pass with a part missing.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings


def under_ci() -> bool:
    """True when the environment variable CI is "true" (as CI services set it)."""
    return os.environ.get("CI") == "true"


def require_or_skip(ok: bool, reason: str) -> None:
    """Skip the test unless ``ok``; under CI=true fail instead, with the same reason."""
    if ok:
        return
    if under_ci():
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


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
hypothesis_settings.load_profile("ci" if under_ci() else "default")

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
        require_or_skip(False, f"PostgreSQL is not reachable: {str(exc).splitlines()[0]}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from app.store.db import reset_engines

        reset_engines()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pytest_collection_modifyitems(items):
    """Mark the PostgreSQL half of every ``database`` test ``postgres``."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database") == "postgres":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def speech():
    """Speech synthesis (pyttsx3 with espeak-ng) works here; else skip, or fail under CI."""
    from app.audio import speech_available

    ok, message = speech_available()
    require_or_skip(ok, message)


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
