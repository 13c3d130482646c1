"""The bench's own database: fresh, migrated, seeded with the demo and a big synthetic load.

:class:`BenchWorld` creates a database nobody else uses (a temporary SQLite file,
or a new PostgreSQL database on a given server), points this process's sessions at
it (``app.store.db.use_database``) and its audio cache and data folders at folders
of its own, and fills it:

* the demo agencies, users and scenario bank (``app.services.demo.seed_demo``, as
  ``python -m app demo``);
* in the demo agency *riverside*: ``app.bench.bulk.build_dataset`` (10,000
  scenarios, 5,000 trainees, 1,000,000 attempts by default);
* an agency for the load test: a slice of the bank, its audio rendered ahead
  (as ``python -m app audio render`` does for a deployment), and trainee accounts
  sharing one password.

On exit the database and settings are restored and whatever was created is removed
(unless ``keep``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import UserError
from app.settings import PROJECT_ROOT

ENV_KEYS = ("DATA_DIR", "AUDIO_CACHE_DIR", "APP_ENV", "COOKIE_SECRET")
LOAD_AGENCY = "bench-load"
LOAD_PREFIX = "load-"


class BenchDatabaseError(UserError):
    """The database given to the bench cannot be used."""


@dataclass
class Sizes:
    scenarios: int
    trainees: int
    attempts: int

    @classmethod
    def full(cls) -> Sizes:
        return cls(10_000, 5_000, 1_000_000)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(1_000, 500, 100_000)


@dataclass
class BenchWorld:
    url: str
    workdir: Path
    data_dir: Path
    audio_dir: Path
    cookie_secret: str
    demo_password: str
    agency_id: int = 0  # riverside: the big synthetic data set
    load_agency_id: int = 0
    bulk_password: str = ""
    bulk_trainee_ids: list[int] = field(default_factory=list)
    supervisor_id: int = 0
    demo_trainee_id: int = 0
    load_accounts: list[tuple[str, str]] = field(default_factory=list)
    load_scenario_ids: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _check_sqlite_target(url: str) -> None:
    from sqlalchemy.engine import make_url

    path = make_url(url).database
    if path and path != ":memory:" and Path(path).exists() and Path(path).stat().st_size > 0:
        raise BenchDatabaseError(
            f"{path} already exists; the bench adds a million rows, so give it a new file"
        )


def _pg_admin_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def _pg_create(url: str) -> tuple[str, str]:
    """Create a fresh database on the server of ``url``; returns (its URL, its name)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"callscreen_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_pg_admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise BenchDatabaseError(
            f"cannot create a bench database on that server: {reason}"
        ) from None
    finally:
        admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False), name


def _pg_drop(url: str, name: str) -> None:
    import sqlalchemy as sa

    from app.store.db import reset_engines

    reset_engines()
    admin = sa.create_engine(_pg_admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _pg_check_empty(url: str) -> None:
    import sqlalchemy as sa

    from app.store.db import check_connection

    check_connection(url)
    engine = sa.create_engine(url)
    try:
        tables = sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BenchDatabaseError(
            "that database already has tables; the bench needs an empty one "
            "(give the server URL ending in '/' to create a fresh database)"
        )


@contextlib.contextmanager
def bench_database(url: str | None, workdir: Path, *, keep: bool = False):
    """Yield the URL of a fresh database for the bench; remove it afterwards unless ``keep``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if url is None:
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise BenchDatabaseError("--database is not a database URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _check_sqlite_target(url)
        yield url
        return
    if backend != "postgresql":
        raise BenchDatabaseError(f"--database uses '{backend}'; only sqlite and postgresql work")
    if parsed.database:
        _pg_check_empty(url)
        yield url
        return
    fresh, name = _pg_create(url)
    try:
        yield fresh
    finally:
        if not keep:
            _pg_drop(url, name)


@contextlib.contextmanager
def settings_for(url: str, data_dir: Path, audio_dir: Path, cookie_secret: str):
    """Point this process at the bench database (through the store) and at the bench's
    folders (through the settings), then restore both."""
    from app.settings import get_settings
    from app.store.db import use_database

    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    os.environ.update(
        DATA_DIR=str(data_dir),
        AUDIO_CACHE_DIR=str(audio_dir),
        APP_ENV="test",
        COOKIE_SECRET=cookie_secret,
    )
    get_settings.cache_clear()
    try:
        with use_database(url):
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def _seed_demo(world: BenchWorld) -> None:
    from app.services.demo import seed_demo

    seed_demo(scenarios=PROJECT_ROOT / "scenarios", password=world.demo_password)


def _ids(world: BenchWorld) -> None:
    from sqlalchemy import text

    from app.store.db import read_session

    with read_session() as session:
        world.agency_id = session.execute(
            text("SELECT id FROM agency WHERE slug = 'riverside'")
        ).scalar_one()
        world.demo_trainee_id = session.execute(
            text("SELECT id FROM \"user\" WHERE username = 'trainee'")
        ).scalar_one()


def _bulk(world: BenchWorld, sizes: Sizes, seed: int, progress) -> None:
    from sqlalchemy import text

    from app.bench.bulk import build_dataset
    from app.store.db import read_session

    summary = build_dataset(
        agency_id=world.agency_id,
        scenarios=sizes.scenarios,
        trainees=sizes.trainees,
        attempts=sizes.attempts,
        seed=seed,
        progress=progress,
        password=world.bulk_password,
    )
    world.seconds.update({f"bulk_{k}": round(v, 1) for k, v in summary.seconds.items()})
    with read_session() as session:
        rows = session.execute(
            text(
                "SELECT id FROM \"user\" WHERE agency_id = :a AND role = 'trainee' "
                "AND username LIKE 'bench-%' ORDER BY id"
            ),
            {"a": world.agency_id},
        ).all()
        world.bulk_trainee_ids = [r[0] for r in rows]
        world.supervisor_id = session.execute(
            text('SELECT id FROM "user" WHERE username = :u'), {"u": summary.supervisor}
        ).scalar_one()


def bank_files(count: int) -> list[Path]:
    """``count`` scenario files of the bank, spread over its modules (sorted, stable)."""
    folders = sorted(
        p for p in (PROJECT_ROOT / "scenarios").iterdir() if p.is_dir() and p.name != "templates"
    )
    per = [sorted(f.glob("*.yaml")) for f in folders]
    chosen: list[Path] = []
    index = 0
    while len(chosen) < count and any(index < len(files) for files in per):
        for files in per:
            if index < len(files) and len(chosen) < count:
                chosen.append(files[index])
        index += 1
    return chosen


def _load_agency(world: BenchWorld, accounts: int, scenarios: int, progress) -> None:
    """An agency with a slice of the bank, its audio rendered, and trainee accounts."""
    from sqlalchemy import text

    from app.core.passwords import hash_password
    from app.services.accounts import create_agency
    from app.services.bank import import_paths
    from app.store.db import read_session, write_session
    from app.store.models import User, row_id

    with write_session() as session:
        agency = create_agency(
            session=session,
            slug=LOAD_AGENCY,
            name="Load test center",
            dispatch_model="call_center_led",
        )
        world.load_agency_id = row_id(agency)
    files = bank_files(scenarios)
    import_paths([str(f) for f in files], agency_id=world.load_agency_id)
    password = f"load-{secrets.token_urlsafe(12)}"
    hashed = hash_password(password)
    with write_session() as session:
        for i in range(accounts):
            session.add(
                User(
                    agency_id=world.load_agency_id,
                    username=f"{LOAD_PREFIX}{i + 1:04d}",
                    display_name=f"Load Trainee {i + 1}",
                    role="trainee",
                    password_hash=hashed,
                )
            )
    world.load_accounts = [(f"{LOAD_PREFIX}{i + 1:04d}", password) for i in range(accounts)]
    with read_session() as session:
        rows = session.execute(
            text("SELECT id, data FROM scenarioversion WHERE agency_id = :a ORDER BY id"),
            {"a": world.load_agency_id},
        ).all()
    world.load_scenario_ids = [r[0] for r in rows]
    render_audio([r[1] for r in rows], progress)


def render_audio(scenarios: list, progress: Callable[[int, int], None] | None = None) -> int:
    """Render every clip of these scenarios into the audio cache; returns the clip count."""
    import json

    from app import audio

    available, _ = audio.speech_available()
    if not available:
        return 0
    clips = 0
    for index, data in enumerate(scenarios, start=1):
        if isinstance(data, str):
            data = json.loads(data)
        try:
            clips += len(audio.render_scenario(data))
        except audio.AudioError:
            pass  # a clip that cannot be rendered is rendered (or not) on demand, as live
        if progress:
            progress(index, len(scenarios))
    return clips


@contextlib.contextmanager
def bench_world(
    *,
    database: str | None,
    sizes: Sizes,
    load_accounts: int,
    load_scenarios: int,
    seed: int = 0,
    keep: bool = False,
    workdir: Path | None = None,
    progress: Callable[[str], Callable[[int, int], None]] | None = None,
):
    """Create, seed and yield a :class:`BenchWorld`; clean up afterwards."""
    from app.store.migrate import upgrade_to_head

    made = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="callscreen-bench-"))
    bar: Callable[[str], Callable[[int, int], None] | None] = progress or (lambda _label: None)
    try:
        with bench_database(database, workdir, keep=keep) as url:
            world = BenchWorld(
                url=url,
                workdir=workdir,
                data_dir=workdir / "data",
                audio_dir=workdir / "audio",
                cookie_secret=secrets.token_urlsafe(32),
                demo_password=f"demo-{secrets.token_urlsafe(12)}",
                bulk_password=f"bench-{secrets.token_urlsafe(12)}",
            )
            world.data_dir.mkdir(parents=True, exist_ok=True)
            with settings_for(url, world.data_dir, world.audio_dir, world.cookie_secret):
                started = time.perf_counter()
                upgrade_to_head()
                _seed_demo(world)
                _ids(world)
                world.seconds["demo"] = round(time.perf_counter() - started, 1)
                started = time.perf_counter()
                _bulk(world, sizes, seed, bar(f"attempts ({sizes.attempts:,})"))
                world.seconds["bulk"] = round(time.perf_counter() - started, 1)
                if load_accounts:  # only the load test signs in as these trainees
                    started = time.perf_counter()
                    _load_agency(world, load_accounts, load_scenarios, bar("load-test audio"))
                    world.seconds["load_agency"] = round(time.perf_counter() - started, 1)
                yield world
    finally:
        if made and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
