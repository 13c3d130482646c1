"""The demo seeding service: all or nothing on a bad bank, idempotent, passwords shown once."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text
from sqlmodel import select

from app.core.passwords import verify_password
from app.errors import UserError
from app.services.bank import ImportRejected
from app.services.demo import DEMO_AGENCIES, DEMO_USERS, seed_demo
from app.store.db import read_session
from app.store.models import Agency, User
from tests.factories import PASSWORD, ROOT

BANK_FILES = sorted((ROOT / "scenarios").rglob("*-0001.yaml"))[:3]


@pytest.fixture
def bank(tmp_path):
    folder = tmp_path / "bank"
    folder.mkdir()
    for path in BANK_FILES:
        shutil.copy(path, folder / path.name)
    return folder


def _counts() -> tuple[int, int, int]:
    with read_session() as session:
        return tuple(
            session.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()  # noqa: S608
            for table in ("agency", "user", "scenarioversion")
        )


def test_a_rejected_bank_writes_nothing_and_lists_every_problem(database, bank):
    (bank / "broken.yaml").write_text("format: 1\nid: broken\nversion: 1\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as refused:
        seed_demo(scenarios=bank, activity=False)
    assert refused.value.problems
    assert all(p.startswith(f"{bank / 'broken.yaml'}:1: ") for p in refused.value.problems)
    assert _counts() == (0, 0, 0)  # no agency, no account whose password nobody saw


def test_an_empty_bank_folder_is_a_user_error(database, tmp_path):
    with pytest.raises(UserError, match="no scenario files"):
        seed_demo(scenarios=tmp_path, activity=False)
    assert _counts() == (0, 0, 0)


def test_seeding_returns_the_new_accounts_once(database, bank):
    first = seed_demo(scenarios=bank, activity=False)
    assert [a.username for a in first.accounts] == [u[1] for u in DEMO_USERS]
    assert [a.role for a in first.accounts] == [u[2] for u in DEMO_USERS]
    assert len({a.password for a in first.accounts}) == len(DEMO_USERS)  # one each
    assert set(first.agency_ids) == {a[0] for a in DEMO_AGENCIES}
    assert all(s.created == len(BANK_FILES) for s in first.bank.values())
    assert first.activity == 0
    with read_session() as session:
        users = {u.username: u for u in session.exec(select(User)).all()}
        slugs = {a.id: a.slug for a in session.exec(select(Agency)).all()}
    for slug, username, _role, _name in DEMO_USERS:
        assert slugs[users[username].agency_id] == slug
    for account in (first.accounts[0], first.accounts[-1]):  # a hash check costs ~0.1 s
        assert verify_password(users[account.username].password_hash, account.password)

    again = seed_demo(scenarios=bank, activity=False)
    assert again.accounts == []
    assert again.agency_ids == first.agency_ids
    assert all(s.unchanged == len(BANK_FILES) and s.created == 0 for s in again.bank.values())
    assert _counts() == (len(DEMO_AGENCIES), len(DEMO_USERS), 2 * len(BANK_FILES))


def test_a_given_password_goes_to_every_new_account(sqlite_db, bank):
    seed = seed_demo(scenarios=bank, password=PASSWORD, activity=False)
    assert {a.password for a in seed.accounts} == {PASSWORD}
    with read_session() as session:
        stored = session.exec(select(User.password_hash).where(User.username == "lv-trainee"))
        assert verify_password(stored.one(), PASSWORD)


def test_the_practice_history_is_added_once(sqlite_db, bank):
    first = seed_demo(scenarios=bank, activity=True)
    assert first.activity > 0
    assert seed_demo(scenarios=bank, activity=True).activity == 0
