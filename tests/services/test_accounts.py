"""Accounts: password policy, login, throttling (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from app.core import passwords
from app.errors import AccessDenied, UserError
from app.services import accounts
from app.services.accounts import LOGIN_FAILED, LoginFailed, authenticate
from app.store.db import read_session
from app.store.models import User, utcnow
from tests.factories import PASSWORD


def _account(username: str) -> User:
    with read_session() as session:
        return session.exec(select(User).where(User.username == username)).one()


def test_policy_length_limits_and_blocklist():
    assert passwords.password_problem("short") is not None
    assert passwords.password_problem("x" * 64) is None  # 64 characters allowed
    assert passwords.password_problem("x" * 129) is not None
    assert passwords.password_problem("password1") is not None  # common
    assert passwords.password_problem("Qwerty123") is not None
    assert len(passwords.common_passwords()) >= 10_000


@given(
    st.text(min_size=8, max_size=64).filter(lambda s: s.lower() not in passwords.common_passwords())
)
def test_no_composition_rules(candidate):
    # Any 8..64 character password that is not common is accepted: no class rules.
    assert passwords.password_problem(candidate) is None


def test_hash_is_argon2id():
    hashed = passwords.hash_password("a long enough secret")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "a long enough secret")
    assert not passwords.verify_password(hashed, "another secret!")


def test_login_ok_and_same_message_for_unknown_user(database, world):
    actor = authenticate(username="trainee-a", password=PASSWORD)
    assert actor.role == "trainee" and actor.agency_id == world.agencies["a"]
    with pytest.raises(LoginFailed) as wrong:
        authenticate(username="trainee-a", password="not the password")
    with pytest.raises(LoginFailed) as unknown:
        authenticate(username="nobody-here", password="not the password")
    assert str(wrong.value) == str(unknown.value) == LOGIN_FAILED


def test_over_long_password_is_refused_quickly(database, world):
    with pytest.raises(LoginFailed, match="too long"):
        authenticate(username="trainee-a", password="x" * 10_000)


def test_throttling_grows_and_resets(database, world):
    start = utcnow()
    for i in range(5):
        with pytest.raises(LoginFailed, match="Wrong"):
            authenticate(
                username="trainer-a", password="bad guess", now=start + dt.timedelta(seconds=i)
            )
    # The fifth failure set a delay: even the right password waits, and the answer is the
    # one a wrong password gets (a pause does not tell that the account exists).
    with pytest.raises(LoginFailed) as paused:
        authenticate(username="trainer-a", password=PASSWORD, now=start + dt.timedelta(seconds=4.5))
    assert str(paused.value) == LOGIN_FAILED
    # After the delay the real user gets in, and the counter resets.
    actor = authenticate(
        username="trainer-a", password=PASSWORD, now=start + dt.timedelta(seconds=30)
    )
    assert actor.username == "trainer-a"
    assert _account("trainer-a").failed_logins == 0


def test_at_most_100_failures_an_hour_then_free_again(database, world):
    start = utcnow()
    now = start
    while now < start + dt.timedelta(hours=1):
        with pytest.raises(LoginFailed):
            authenticate(username="admin-a", password="bad guess", now=now)
        waiting_until = _account("admin-a").next_login_allowed_at
        now = max(now + dt.timedelta(seconds=1), waiting_until or now)
    assert 5 <= _account("admin-a").failed_logins <= 100
    later = start + dt.timedelta(hours=2, minutes=30)
    assert authenticate(username="admin-a", password=PASSWORD, now=later).role == "admin"


def test_admin_manages_only_own_agency(database, world):
    users = accounts.list_users(actor=world["admin-a"])
    assert {u["username"] for u in users} == {"trainee-a", "trainer-a", "supervisor-a", "admin-a"}
    with pytest.raises(AccessDenied):
        accounts.list_users(actor=world["supervisor-a"])
    other = world["trainee-b"].user_id
    with pytest.raises(UserError):
        accounts.set_active(actor=world["admin-a"], user_id=other, active=False)
    new_id = accounts.admin_create_user(
        actor=world["admin-a"],
        username="newbie",
        display_name="New",
        role="trainee",
        password=PASSWORD,
    )
    assert accounts.load_actor(new_id).agency_id == world.agencies["a"]


def test_login_session_token_survives_refresh_until_logout(database, world):
    pending = accounts.begin_login(actor=world["trainee-a"])
    token = accounts.redeem_login_code(pending.code)
    assert accounts.actor_for_token(token).user_id == world["trainee-a"].user_id
    assert accounts.actor_for_token("forged-token") is None
    later = utcnow() + dt.timedelta(hours=12, minutes=1)
    assert accounts.actor_for_token(token, now=later) is None  # ended (idle, then too old)
    accounts.close_login_session(token)
    assert accounts.actor_for_token(token) is None  # revoked at logout


def test_disabled_user_loses_login_session(database, world):
    token = accounts.redeem_login_code(accounts.begin_login(actor=world["trainee-a"]).code)
    accounts.set_active(actor=world["admin-a"], user_id=world["trainee-a"].user_id, active=False)
    assert accounts.actor_for_token(token) is None
    assert accounts.load_actor(world["trainee-a"].user_id) is None
