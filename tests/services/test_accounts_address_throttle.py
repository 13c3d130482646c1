"""Login throttling by client address, across accounts (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import func, select

from app.core import passwords
from app.services import accounts
from app.services.accounts import LOGIN_FAILED, LoginFailed, authenticate
from app.settings import get_settings
from app.store.db import read_session, reset_engines, write_session
from app.store.models import LoginFailure, User, utcnow
from tests.factories import PASSWORD

ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


@pytest.fixture
def checks(monkeypatch):
    """Counts the passwords really checked against an account's hash."""
    real = passwords.verify_password
    seen: list[str] = []

    def counting(stored: str, password: str) -> bool:
        if stored != passwords.dummy_hash():
            seen.append(stored)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return seen


def _add_accounts(agency_id: int, count: int) -> list[str]:
    """Accounts whose hash is cheap to check (argon2 reads its cost from the hash)."""
    names = [f"spray-{i:02d}" for i in range(count)]
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with write_session() as session:
        for name in names:
            session.add(
                User(
                    agency_id=agency_id,
                    username=name,
                    display_name=name,
                    role="trainee",
                    password_hash=cheap,
                )
            )
    return names


def _failures_from(address: str) -> int:
    with read_session() as session:
        return session.exec(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.address == address)
        ).one()


def test_spraying_200_passwords_over_50_accounts_is_slowed_after_the_threshold(
    database, world, checks
):
    names = _add_accounts(world.agencies["a"], 50)
    free = get_settings().login_failures_per_address
    start = utcnow()
    answers = set()
    for i in range(200):  # one guess a second, each account tried four times
        with pytest.raises(LoginFailed) as refused:
            authenticate(
                username=names[i % 50],
                password=f"Spring2026-{i}",
                client_address=ATTACKER,
                now=start + dt.timedelta(seconds=i),
            )
        answers.add(str(refused.value))
    # Every refusal read the same as a wrong password, paused or not.
    assert answers == {LOGIN_FAILED}
    # The first `free` guesses were checked; after that each waited twice as long as the
    # last, so of the other 180 only a handful were.
    assert free <= len(checks) <= free + 10
    assert _failures_from(ATTACKER) == len(checks)
    # No account reached its own limit of five: the address throttle did the slowing.
    with read_session() as session:
        paused = session.exec(
            select(func.count())
            .select_from(User)
            .where(User.username.in_(names))
            .where(User.next_login_allowed_at.is_not(None))
        ).one()
    assert paused == 0

    now = start + dt.timedelta(seconds=200)
    reset_engines()  # another process (a replica) sees the same pause
    # A real user at another address logs in; at the attacker's address even the right
    # password gets the wrong-password answer until the pause is over.
    assert authenticate(
        username="trainee-a", password=PASSWORD, client_address=OFFICE, now=now
    ).username == ("trainee-a")
    checked = len(checks)
    with pytest.raises(LoginFailed) as paused_answer:
        authenticate(username="trainee-b", password=PASSWORD, client_address=ATTACKER, now=now)
    assert str(paused_answer.value) == LOGIN_FAILED
    assert len(checks) == checked  # not even checked


def test_the_pause_ends_and_a_success_does_not_clear_the_count(
    database, world, monkeypatch, checks
):
    monkeypatch.setenv("LOGIN_FAILURES_PER_ADDRESS", "3")
    get_settings.cache_clear()
    start = utcnow()
    for i in range(3):
        with pytest.raises(LoginFailed):
            authenticate(
                username="trainer-a",
                password="wrong guess",
                client_address=ATTACKER,
                now=start + dt.timedelta(seconds=i),
            )
    # Third failure at t=2: the next try waits 1 s after it.
    with pytest.raises(LoginFailed):
        authenticate(
            username="admin-a",
            password=PASSWORD,
            client_address=ATTACKER,
            now=start + dt.timedelta(seconds=2.5),
        )
    assert len(checks) == 3
    actor = authenticate(
        username="admin-a",
        password=PASSWORD,
        client_address=ATTACKER,
        now=start + dt.timedelta(seconds=3.5),
    )
    assert actor.username == "admin-a"
    # The success did not wipe the address's failures: one more wrong guess pauses 2 s.
    with pytest.raises(LoginFailed):
        authenticate(
            username="trainee-a",
            password="wrong guess",
            client_address=ATTACKER,
            now=start + dt.timedelta(seconds=4),
        )
    with pytest.raises(LoginFailed):
        authenticate(
            username="trainee-a",
            password=PASSWORD,
            client_address=ATTACKER,
            now=start + dt.timedelta(seconds=5.5),
        )
    assert (
        authenticate(
            username="trainee-a",
            password=PASSWORD,
            client_address=ATTACKER,
            now=start + dt.timedelta(seconds=6.5),
        ).username
        == "trainee-a"
    )
    # An hour later the failures no longer count.
    later = start + dt.timedelta(hours=1, seconds=10)
    for _ in range(2):
        with pytest.raises(LoginFailed):
            authenticate(username="trainer-a", password="wrong", client_address=ATTACKER, now=later)
    assert authenticate(
        username="trainer-a", password=PASSWORD, client_address=ATTACKER, now=later
    ).username == ("trainer-a")


def test_unknown_users_count_and_old_rows_are_dropped(database, world):
    start = utcnow()
    with pytest.raises(LoginFailed):
        authenticate(username="nobody", password="x" * 9, client_address=ATTACKER, now=start)
    assert _failures_from(ATTACKER) == 1
    with pytest.raises(LoginFailed):
        authenticate(
            username="nobody",
            password="x" * 9,
            client_address=OFFICE,
            now=start + dt.timedelta(days=1, minutes=1),
        )
    assert _failures_from(ATTACKER) == 0  # older than a day: deleted
    assert _failures_from(OFFICE) == 1


def test_without_an_address_only_the_account_throttle_applies(database, world):
    authenticate(username="trainee-a", password=PASSWORD)
    with pytest.raises(LoginFailed):
        authenticate(username="trainee-a", password="wrong guess")
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(LoginFailure)).one() == 0


@given(st.ip_addresses(v=6), st.integers(min_value=0, max_value=2**64 - 1))
def test_an_ipv6_client_is_throttled_by_its_64_network(address, host_bits):
    if address.ipv4_mapped is not None:
        return
    sibling = ipaddress.IPv6Address((int(address) >> 64 << 64) | host_bits)
    assert accounts.address_key(str(address)) == accounts.address_key(str(sibling))
    assert accounts.address_key(str(address)).endswith("/64")


@given(st.ip_addresses(v=4))
def test_an_ipv4_client_is_itself_also_through_a_dual_stack_socket(address):
    assert accounts.address_key(str(address)) == str(address)
    assert accounts.address_key(f"::ffff:{address}") == str(address)


@given(st.integers(min_value=1, max_value=500), st.integers(min_value=0, max_value=10_000))
def test_the_address_delay_doubles_past_the_threshold_up_to_the_cap(free, failures):
    delay = accounts.address_delay(failures, free)
    if failures < free:
        assert delay is None
        return
    assert dt.timedelta(seconds=1) <= delay <= accounts.MAX_DELAY
    following = accounts.address_delay(failures + 1, free)
    assert following == min(delay * 2, accounts.MAX_DELAY)
