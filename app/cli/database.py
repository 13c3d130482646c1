"""Database commands: init-db, create-user, backup, import."""

from __future__ import annotations

import getpass
import os
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from app.cli import UsageError
from app.cli.progress import ProgressBar
from app.errors import NotFound
from app.store.db import database_url, is_sqlite, write_session


def register(subparsers) -> None:
    p = subparsers.add_parser("init-db", help="create or migrate the database to the newest schema")
    p.set_defaults(func=run_init_db)

    p = subparsers.add_parser("create-user", help="create a user (the first admin, for example)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["trainee", "trainer", "supervisor", "admin"])
    p.add_argument("--agency", required=True, help="agency slug (created if --agency-name given)")
    p.add_argument("--agency-name", help="create the agency with this name if it does not exist")
    p.add_argument(
        "--model",
        default="call_center_led",
        help="dispatch model of a newly created agency",
    )
    p.add_argument("--name", default="", help="display name")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    p.set_defaults(func=run_create_user)

    p = subparsers.add_parser("set-password", help="set a user's password (a forgotten one)")
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=run_set_password)

    p = subparsers.add_parser("backup", help="consistent copy of the SQLite database to PATH")
    p.add_argument("path")
    p.set_defaults(func=run_backup)

    p = subparsers.add_parser("import", help="validate scenarios and store all of them, or none")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--agency", help="agency slug (default: the only agency)")
    p.set_defaults(func=run_import)


def run_init_db(args) -> int:
    from app.store.migrate import upgrade_to_head

    upgrade_to_head()
    print(f"database ready at {make_url(database_url()).render_as_string(hide_password=True)}")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise UsageError("the passwords differ")
    return first


def run_create_user(args) -> int:
    from app.services.accounts import create_agency, create_user, get_agency_by_slug
    from app.store.models import row_id

    password = _read_password(args.password_stdin)
    with write_session() as session:
        try:
            agency = get_agency_by_slug(session=session, slug=args.agency)
        except NotFound:
            if not args.agency_name:
                raise UsageError(
                    f"no agency '{args.agency}': add --agency-name to create it"
                ) from None
            agency = create_agency(
                session=session, slug=args.agency, name=args.agency_name, dispatch_model=args.model
            )
        user = create_user(
            session=session,
            agency_id=row_id(agency),
            username=args.username,
            display_name=args.name,
            role=args.role,
            password=password,
        )
        print(f"created {user.role} '{user.username}' in agency '{agency.slug}'")
    return 0


def run_set_password(args) -> int:
    from app.services.accounts import set_password

    set_password(username=args.username, password=_read_password(args.password_stdin))
    print(f"password of '{args.username}' changed")
    return 0


def run_backup(args) -> int:
    url = database_url()
    if not is_sqlite(url):
        raise UsageError("backup copies SQLite databases; for PostgreSQL use pg_dump")
    source_path = make_url(url).database
    if not source_path or not Path(source_path).exists():
        raise UsageError(f"no database file at {source_path}")
    target = Path(args.path)
    if target.exists():
        raise UsageError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        dest = sqlite3.connect(tmp)
        with dest:
            # The online backup API copies a consistent snapshot while others write.
            source.backup(dest, pages=256)
        check = dest.execute("PRAGMA integrity_check").fetchone()[0]
        dest.close()
    finally:
        source.close()
    if check != "ok":
        tmp.unlink(missing_ok=True)
        raise UsageError(f"backup failed its integrity check: {check}")
    os.replace(tmp, target)
    print(f"backup written to {target} (integrity ok)")
    return 0


def resolve_agency_id(slug: str | None) -> int:
    from sqlmodel import select

    from app.store.db import read_session
    from app.store.models import Agency, row_id

    with read_session() as session:
        if slug:
            agency = session.exec(select(Agency).where(Agency.slug == slug)).first()
            if agency is None:
                raise UsageError(f"no agency '{slug}'")
            return row_id(agency)
        agencies = session.exec(select(Agency)).all()
        if len(agencies) != 1:
            names = ", ".join(a.slug for a in agencies) or "none yet"
            raise UsageError(f"choose an agency with --agency (agencies: {names})")
        return row_id(agencies[0])


def run_import(args) -> int:
    from app.services.bank import ImportRejected, import_paths

    agency_id = resolve_agency_id(args.agency)
    bar = ProgressBar("importing")
    try:
        summary = import_paths(args.paths, agency_id=agency_id, progress=bar)
    except ImportRejected as exc:
        for problem in exc.problems:
            print(problem)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    bar.close()
    print(f"imported: {summary}")
    return 0
