"""Login sessions: the cookie hand-over, a new token at every login, the idle timeout, the
12-hour limit, and every login of a user ended when they are disabled, their role changes
or their password is changed or reset (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from app.errors import AccessDenied, NotFound, UserError
from app.services import accounts
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import LoginSession, User, utcnow
from tests.factories import PASSWORD


def _login(actor, now=None) -> tuple[int, str]:
    """(login session id, cookie token), as the login page and the cookie route make them."""
    pending = accounts.begin_login(actor=actor, now=now)
    token = accounts.redeem_login_code(pending.code, now=now)
    assert token is not None
    return pending.session_id, token


def test_the_code_is_traded_once_for_a_token_and_never_works_as_a_cookie(database, world):
    pending = accounts.begin_login(actor=world["trainee-a"])
    # Until the hand-over, the tab's own session works (it keeps the id), the code does not.
    assert accounts.check_login_session(pending.session_id).username == "trainee-a"
    assert accounts.actor_for_token(pending.code) is None
    token = accounts.redeem_login_code(pending.code)
    assert token and token != pending.code
    assert accounts.login_session_for_token(token)[0] == pending.session_id
    assert accounts.redeem_login_code(pending.code) is None  # used up
    assert accounts.actor_for_token(pending.code) is None


def test_a_late_code_is_refused(database, world):
    start = utcnow()
    pending = accounts.begin_login(actor=world["trainee-a"], now=start)
    assert accounts.redeem_login_code(pending.code, now=start + dt.timedelta(minutes=3)) is None


def test_every_login_gets_a_new_token_and_a_planted_one_is_never_adopted(database, world):
    planted = "attacker-chosen-value-0123456789abcdef"
    pending = accounts.begin_login(actor=world["trainee-a"])
    token = accounts.redeem_login_code(pending.code, replaced_token=planted)
    assert token != planted
    assert accounts.actor_for_token(planted) is None
    assert accounts.actor_for_token(token).username == "trainee-a"
    # Logging in again in the same browser: a different token, and the earlier login ends.
    again = accounts.redeem_login_code(
        accounts.begin_login(actor=world["trainee-a"]).code, replaced_token=token
    )
    assert again not in (token, planted)
    assert accounts.actor_for_token(token) is None
    assert accounts.actor_for_token(again).username == "trainee-a"


def test_the_idle_timeout_ends_a_login_that_is_not_used(database, world):
    idle = dt.timedelta(minutes=get_settings().session_idle_minutes)
    start = utcnow()
    session_id, token = _login(world["trainee-a"], now=start)
    # Used now and then, it lives on past the idle limit counted from the login...
    now = start
    for _ in range(3):
        now += idle - dt.timedelta(minutes=2)
        assert accounts.check_login_session(session_id, now=now) is not None
    # ...but not past the idle limit counted from the last use.
    later = now + idle + dt.timedelta(minutes=1)
    assert accounts.check_login_session(session_id, now=later) is None
    # Once ended it stays ended, for the tab and for the cookie.
    assert accounts.check_login_session(session_id, now=now) is None
    assert accounts.actor_for_token(token, now=now) is None


def test_the_idle_timeout_is_a_setting(database, world, monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "5")
    get_settings.cache_clear()
    start = utcnow()
    session_id, _ = _login(world["trainee-a"], now=start)
    assert accounts.check_login_session(session_id, now=start + dt.timedelta(minutes=6)) is None


def test_a_login_in_use_still_ends_at_the_12_hour_limit(database, world):
    start = utcnow()
    session_id, token = _login(world["trainee-a"], now=start)
    now = start
    while now < start + dt.timedelta(hours=11, minutes=50):
        now += dt.timedelta(minutes=10)
        assert accounts.check_login_session(session_id, now=now) is not None
    assert accounts.check_login_session(session_id, now=start + dt.timedelta(hours=12)) is None
    assert accounts.actor_for_token(token, now=start + dt.timedelta(hours=12)) is None


def _all_ended(user_id: int) -> bool:
    with read_session() as session:
        rows = session.exec(select(LoginSession).where(LoginSession.user_id == user_id)).all()
    return bool(rows) and all(row.revoked for row in rows)


def test_disabling_a_user_ends_all_their_logins_and_enabling_does_not_revive_them(database, world):
    trainee = world["trainee-a"]
    first, token = _login(trainee)
    second, _ = _login(trainee)
    other, _ = _login(world["trainer-a"])
    accounts.set_active(actor=world["admin-a"], user_id=trainee.user_id, active=False)
    assert accounts.check_login_session(first) is None
    assert accounts.check_login_session(second) is None
    assert _all_ended(trainee.user_id)
    accounts.set_active(actor=world["admin-a"], user_id=trainee.user_id, active=True)
    assert accounts.actor_for_token(token) is None
    assert accounts.check_login_session(other).username == "trainer-a"  # others untouched


def test_a_role_change_ends_the_users_logins(database, world):
    trainee = world["trainee-a"]
    session_id, token = _login(trainee)
    accounts.set_role(actor=world["admin-a"], user_id=trainee.user_id, role="trainer")
    assert accounts.check_login_session(session_id) is None
    assert accounts.actor_for_token(token) is None
    assert accounts.load_actor(trainee.user_id).role == "trainer"
    # A fresh login carries the new role.
    session_id, _ = _login(accounts.load_actor(trainee.user_id))
    assert accounts.check_login_session(session_id).role == "trainer"


def test_a_role_changed_behind_the_services_back_also_ends_the_login(database, world):
    session_id, _ = _login(world["trainee-a"])
    with write_session() as session:
        user = session.get(User, world["trainee-a"].user_id)
        user.role = "supervisor"
        session.add(user)
    assert accounts.check_login_session(session_id) is None


def test_who_may_change_a_role(database, world):
    target = world["trainee-a"].user_id
    with pytest.raises(AccessDenied):
        accounts.set_role(actor=world["supervisor-a"], user_id=target, role="trainer")
    with pytest.raises(NotFound):
        accounts.set_role(actor=world["admin-b"], user_id=target, role="trainer")
    with pytest.raises(UserError):
        accounts.set_role(actor=world["admin-a"], user_id=target, role="boss")
    with pytest.raises(UserError):
        accounts.set_role(actor=world["admin-a"], user_id=world["admin-a"].user_id, role="trainee")
    assert accounts.load_actor(target).role == "trainee"


def test_a_password_reset_ends_the_users_logins(database, world):
    session_id, token = _login(world["trainer-a"])
    accounts.set_password(username="trainer-a", password="a brand new passphrase")
    assert accounts.check_login_session(session_id) is None
    assert accounts.actor_for_token(token) is None


def test_changing_ones_own_password_ends_every_login_of_ones_own(database, world):
    trainer = world["trainer-a"]
    here, _ = _login(trainer)
    elsewhere, _ = _login(trainer)
    accounts.change_password(actor=trainer, current=PASSWORD, new="another long passphrase")
    assert accounts.check_login_session(here) is None
    assert accounts.check_login_session(elsewhere) is None


def test_logout_ends_the_login_for_the_tab_and_the_cookie(database, world):
    session_id, token = _login(world["trainee-a"])
    accounts.end_login_session(session_id)
    assert accounts.actor_for_token(token) is None
    other_id, other_token = _login(world["trainee-a"])
    accounts.close_login_session(other_token)
    assert accounts.check_login_session(other_id) is None


def test_a_disabled_user_cannot_begin_a_login(database, world):
    accounts.set_active(actor=world["admin-a"], user_id=world["trainee-a"].user_id, active=False)
    with pytest.raises(accounts.LoginFailed):
        accounts.begin_login(actor=world["trainee-a"])
