"""Checking a password at login, throttled per account and per client address.

Both counts are in the database, so every replica sees them. Part of
:mod:`app.services.accounts`; import from the package.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.core import passwords
from app.services.access import Actor
from app.services.accounts.common import (
    FAILURE_ROWS_KEPT,
    FAILURE_WINDOW,
    FREE_FAILURES,
    MAX_DELAY,
    MAX_FAILURES_PER_HOUR,
    LoginFailed,
    _clear_failures,
    _refuse,
    actor_for,
)
from app.settings import get_settings
from app.store.db import write_session
from app.store.models import LoginFailure, User, utcnow


def authenticate(
    *,
    username: str,
    password: str,
    client_address: str | None = None,
    now: dt.datetime | None = None,
) -> Actor:
    """Check a login. The same message for an unknown user, a wrong password and a pause.

    Failures on an account are throttled: after five, each try waits twice as long
    as the last (capped at 15 minutes), and at most 100 failures count per hour.
    The window resets after an hour, so the real user is never locked out for good.

    Failures from one client address are counted across accounts: past
    ``LOGIN_FAILURES_PER_ADDRESS`` in the last hour, each try from that address waits
    twice as long after the last failure (capped at 15 minutes). A success does not
    clear the count. Without ``client_address`` (the command line) there is no such pause.
    """
    now = now or utcnow()
    if len(password) > passwords.MAX_LENGTH:
        raise LoginFailed(f"Password is too long (at most {passwords.MAX_LENGTH} characters).")
    username = username.strip().lower()
    address = address_key(client_address)
    actor: Actor | None = None
    with write_session() as session:
        if address is not None and _address_paused(session, address, now):
            _refuse()  # paused: the password is not tried, and the try is not counted
        failed = False
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None or not user.is_active:
            passwords.verify_password(passwords.dummy_hash(), password)
            failed = True
        else:
            if user.failure_window_start and now - user.failure_window_start > FAILURE_WINDOW:
                _clear_failures(user)
            if user.next_login_allowed_at and now < user.next_login_allowed_at:
                # Paused: spend the time a real check takes, so the pause is not told apart.
                passwords.verify_password(passwords.dummy_hash(), password)
            elif passwords.verify_password(user.password_hash, password):
                _clear_failures(user)
                actor = actor_for(user)
            else:
                _record_failure(user, now)
                failed = True
            session.add(user)
        if failed and address is not None:
            _record_address_failure(session, address, now)
    if actor is None:
        _refuse()
    return actor


def _record_failure(user: User, now: dt.datetime) -> None:
    user.failure_window_start = user.failure_window_start or now
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES_PER_HOUR:
        user.next_login_allowed_at = user.failure_window_start + FAILURE_WINDOW
    elif user.failed_logins >= FREE_FAILURES:
        delay = dt.timedelta(seconds=2 ** (user.failed_logins - FREE_FAILURES))
        user.next_login_allowed_at = now + min(delay, MAX_DELAY)


def address_key(address: str | None) -> str | None:
    """The throttling key of a client address: IPv4 as is, IPv6 by its /64 network.

    An IPv4 address seen through a dual-stack socket (``::ffff:a.b.c.d``) is the IPv4
    address. A value that is not an address is kept as text (at most 64 characters).
    """
    if not address or not isinstance(address, str):
        return None
    text = address.strip()
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0].strip("[]"))
    except ValueError:
        return text[:64] or None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def address_delay(failures: int, free: int) -> dt.timedelta | None:
    """How long after its last failure an address waits, given its failures in the hour."""
    if failures < free:
        return None
    exponent = min(failures - free, 20)  # 2**20 s is far beyond the cap
    return min(dt.timedelta(seconds=2**exponent), MAX_DELAY)


def _address_paused(session: Session, address: str, now: dt.datetime) -> bool:
    count, last = session.exec(
        select(func.count(), func.max(LoginFailure.at))
        .where(LoginFailure.address == address)
        .where(LoginFailure.at > now - FAILURE_WINDOW)
    ).one()
    delay = address_delay(count, get_settings().login_failures_per_address)
    return delay is not None and last is not None and now < _aware(last) + delay


def _record_address_failure(session: Session, address: str, now: dt.datetime) -> None:
    session.exec(delete(LoginFailure).where(col(LoginFailure.at) < now - FAILURE_ROWS_KEPT))
    session.add(LoginFailure(address=address, at=now))


def _aware(value: dt.datetime) -> dt.datetime:
    """A timestamp read back through an aggregate may have lost its time zone (SQLite)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
