"""The one way to reach the database.

``read_session()`` for reads and ``write_session()`` for writes. On SQLite every
connection gets WAL, a busy timeout and foreign keys, and write transactions
start with ``BEGIN IMMEDIATE`` (deferred transactions lose updates under
concurrent read-then-write). Writes use ``synchronous=FULL`` so an acknowledged
attempt or certificate survives a crash. PostgreSQL needs none of this.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlmodel import Session, create_engine

from app.errors import DatabaseUnavailable
from app.settings import get_settings

_URL_OVERRIDES: list[str] = []  # innermost use_database() last


def database_url() -> str:
    """The database this process works on: ``use_database``'s, else the settings' one."""
    if _URL_OVERRIDES:
        return _URL_OVERRIDES[-1]
    return get_settings().effective_database_url


@contextlib.contextmanager
def use_database(url: str) -> Iterator[str]:
    """Point this process's sessions, engines and migrations at ``url`` for the block.

    For tools that work on a database of their own (the bench) without touching the
    environment or the settings. Process-wide, not per thread: AppTest and worker
    threads started inside the block see it too. Blocks nest; on exit the engines of
    ``url`` are disposed (so its file or database can be removed) and the previous
    database is back.
    """
    _URL_OVERRIDES.append(url)
    try:
        yield url
    finally:
        _URL_OVERRIDES.pop()
        if url not in _URL_OVERRIDES:
            _dispose(url)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def _make_engine(url: str, *, immediate: bool) -> Engine:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseUnavailable(
            "DATABASE_URL is not a valid database URL "
            "(expected e.g. sqlite:///data/app.db or postgresql+psycopg://user@host/db)"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(
            f"DATABASE_URL uses '{parsed.get_backend_name()}'; only sqlite and postgresql are supported"
        )
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(
                    f"cannot create the folder for the SQLite database {parsed.database}: "
                    f"{exc.strerror}"
                ) from None
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine, immediate=immediate)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseUnavailable(f"DATABASE_URL driver is not installed: {exc}") from None


def _configure_sqlite(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from the driver so BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL" if immediate else "PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_ENGINES: dict[str, tuple[Engine, Engine]] = {}


def _engines(url: str) -> tuple[Engine, Engine]:
    """(read engine, write engine) for a URL, made once per process."""
    if url not in _ENGINES:
        if is_sqlite(url):
            _ENGINES[url] = (_make_engine(url, immediate=False), _make_engine(url, immediate=True))
        else:
            engine = _make_engine(url, immediate=False)
            _ENGINES[url] = (engine, engine)
    return _ENGINES[url]


def get_engine(*, write: bool = False, url: str | None = None) -> Engine:
    """The cached engine for reads (default) or writes."""
    read, write_engine = _engines(url or database_url())
    return write_engine if write else read


def _dispose(url: str) -> None:
    """Dispose and forget the engines of one URL (made again on next use)."""
    engines = _ENGINES.pop(url, None)
    if engines is not None:
        for engine in set(engines):
            engine.dispose()


def reset_engines() -> None:
    """Dispose and forget cached engines (tests that switch databases)."""
    for url in list(_ENGINES):
        _dispose(url)


def _translate(exc: DBAPIError, url: str) -> DatabaseUnavailable:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return DatabaseUnavailable(f"cannot reach the database at {_safe_url(url)}: {reason}")


@contextlib.contextmanager
def read_session(url: str | None = None) -> Iterator[Session]:
    """A short session for reads."""
    url = url or database_url()
    with Session(get_engine(url=url), expire_on_commit=False) as session:
        try:
            yield session
        except DBAPIError as exc:
            if exc.connection_invalidated or _is_connect_error(exc):
                raise _translate(exc, url) from None
            raise


@contextlib.contextmanager
def write_session(url: str | None = None) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on error."""
    url = url or database_url()
    with Session(get_engine(write=True, url=url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            if exc.connection_invalidated or _is_connect_error(exc):
                raise _translate(exc, url) from None
            raise
        except BaseException:
            session.rollback()
            raise


def _is_connect_error(exc: DBAPIError) -> bool:
    message = str(exc.orig or exc).lower()
    return any(
        marker in message
        for marker in (
            "connection refused",
            "could not connect",
            "unable to open database",
            "connection failed",
            "name or service not known",
            "timeout expired",
            "does not exist",
        )
    )


def check_connection(url: str | None = None) -> None:
    """Raise DatabaseUnavailable with one plain line if the database cannot be reached."""
    url = url or database_url()
    try:
        with get_engine(url=url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise _translate(exc, url) from None
