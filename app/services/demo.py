"""The demo: two agencies, a user of each role, the scenario bank and some practice history.

:func:`seed_demo` is what ``python -m app demo`` and the bench's data set run. It is
idempotent, and a run that fails leaves no account behind whose password was never
shown: the bank is validated before anything is written, and the demo users are
created after the bank is in, all in one transaction. There is no actor: the operator
runs it on a database of their own, like ``init-db``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import select

from app.core.scenario import load_paths
from app.errors import UserError
from app.services.accounts import create_agency, create_user
from app.services.bank import ImportRejected, ImportSummary, import_loaded
from app.store.db import write_session
from app.store.models import Agency, User, row_id

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
ACTIVITY_AGENCY = "riverside"  # the agency whose dashboards get a practice history


@dataclass(frozen=True)
class DemoAccount:
    """A demo account created by this run, with the only copy of its password."""

    username: str
    role: str
    password: str


@dataclass
class DemoSeed:
    """What :func:`seed_demo` did."""

    agency_ids: dict[str, int] = field(default_factory=dict)  # slug -> id
    bank: dict[str, ImportSummary] = field(default_factory=dict)  # slug -> import summary
    accounts: list[DemoAccount] = field(default_factory=list)  # new this run; may be empty
    activity: int = 0  # practice attempts added (0: the history was already there)


def new_password() -> str:
    """A random passphrase-like password."""
    return f"demo-{secrets.token_urlsafe(12)}"


def _validated_bank(folder: Path) -> list[tuple[dict, str]]:
    """Every scenario of the bank as (data, text); :class:`ImportRejected` lists the errors."""
    loaded, problems = load_paths([str(folder)])
    errors = [str(p) for p in problems if getattr(p, "severity", "error") == "error"]
    if errors:
        raise ImportRejected(errors)
    if not loaded:
        raise UserError(f"no scenario files found in {folder}")
    return [(s.data, s.text) for s in loaded]


def _agencies() -> dict[str, int]:
    agency_ids: dict[str, int] = {}
    with write_session() as session:
        for slug, name, model, overrides in DEMO_AGENCIES:
            agency = session.exec(select(Agency).where(Agency.slug == slug)).first()
            if agency is None:
                agency = create_agency(session=session, slug=slug, name=name, dispatch_model=model)
                agency.protocol_overrides = overrides
                session.add(agency)
                session.flush()
            agency_ids[slug] = row_id(agency)
    return agency_ids


def _users(agency_ids: dict[str, int], password: str | None) -> list[DemoAccount]:
    created: list[DemoAccount] = []
    with write_session() as session:
        for slug, username, role, display in DEMO_USERS:
            if session.exec(select(User).where(User.username == username)).first():
                continue
            chosen = password or new_password()
            create_user(
                session=session,
                agency_id=agency_ids[slug],
                username=username,
                display_name=display,
                role=role,
                password=chosen,
            )
            created.append(DemoAccount(username, role, chosen))
    return created


def seed_demo(
    *, scenarios: str | Path, password: str | None = None, activity: bool = True
) -> DemoSeed:
    """Create what is missing of the demo on the (migrated) database; return what was done.

    ``scenarios`` is the bank folder, imported into each demo agency. Every new account
    gets ``password``, or a random one of its own when it is None. A bank with errors
    raises :class:`ImportRejected` (its ``problems`` are FILE:LINE lines) before
    anything is written. ``activity=False`` skips the practice history.
    """
    bank = _validated_bank(Path(scenarios))
    seed = DemoSeed(agency_ids=_agencies())
    for slug, agency_id in seed.agency_ids.items():
        seed.bank[slug] = import_loaded(bank, agency_id=agency_id)
    seed.accounts = _users(seed.agency_ids, password)
    if activity:
        from app.services.demo_activity import seed_demo_activity

        seed.activity = seed_demo_activity(seed.agency_ids[ACTIVITY_AGENCY], seed=0)
    return seed
