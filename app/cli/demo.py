"""``python -m app demo``: an idempotent demo agency, users of each role and the bank."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlmodel import select

from app.settings import PROJECT_ROOT

DEMO_AGENCIES = [
    ("riverside", "Riverside Emergency Communications", "call_center_led", None),
    (
        "lakeview",
        "Lakeview County 911",
        "external_hotline",
        {"hotline_hours": "08:00-22:00"},
    ),
]
DEMO_USERS = [
    ("riverside", "admin", "admin", "Alex Admin"),
    ("riverside", "trainer", "trainer", "Tess Trainer"),
    ("riverside", "trainer2", "trainer", "Theo Trainer"),
    ("riverside", "supervisor", "supervisor", "Sam Supervisor"),
    ("riverside", "trainee", "trainee", "Taylor Trainee"),
    ("riverside", "trainee2", "trainee", "Jordan Rivera"),
    ("lakeview", "lv-supervisor", "supervisor", "Lee Lakeview"),
    ("lakeview", "lv-trainee", "trainee", "Morgan Lakeview"),
]


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="create demo agencies, users and the scenario bank")
    p.add_argument("--scenarios", default=str(PROJECT_ROOT / "scenarios"))
    p.set_defaults(func=run)


def new_password() -> str:
    """A random passphrase-like password (DEMO_PASSWORD overrides, for scripted demos)."""
    return os.environ.get("DEMO_PASSWORD") or f"demo-{secrets.token_urlsafe(12)}"


def run(args) -> int:
    from app.services.accounts import create_agency, create_user
    from app.services.bank import import_paths
    from app.store.db import write_session
    from app.store.migrate import upgrade_to_head
    from app.store.models import Agency, User

    upgrade_to_head()
    created: list[tuple[str, str, str]] = []
    agency_ids: dict[str, int] = {}
    with write_session() as session:
        for slug, name, model, overrides in DEMO_AGENCIES:
            agency = session.exec(select(Agency).where(Agency.slug == slug)).first()
            if agency is None:
                agency = create_agency(session=session, slug=slug, name=name, dispatch_model=model)
                agency.protocol_overrides = overrides
                session.add(agency)
                session.flush()
            agency_ids[slug] = agency.id
        for slug, username, role, display in DEMO_USERS:
            if session.exec(select(User).where(User.username == username)).first():
                continue
            password = new_password()
            create_user(
                session=session,
                agency_id=agency_ids[slug],
                username=username,
                display_name=display,
                role=role,
                password=password,
            )
            created.append((username, role, password))
    bank = Path(args.scenarios)
    for slug in agency_ids:
        summary = import_paths([str(bank)], agency_id=agency_ids[slug])
        print(f"scenario bank for {slug}: {summary}")
    from app.services.demo_activity import seed_demo_activity

    added = seed_demo_activity(agency_ids["riverside"], seed=0)
    print(
        f"demo practice history: {added} attempts added"
        if added
        else "demo practice history: present"
    )
    if created:
        print("\nDemo accounts (passwords are shown only this once):")
        for username, role, password in created:
            print(f"  {role:<11} {username:<14} {password}")
    else:
        print(
            "Demo accounts already exist (their passwords were printed when first created; "
            "`python -m app set-password NAME` sets a new one)."
        )
    return 0
