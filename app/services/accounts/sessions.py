"""Login sessions: starting one, the cookie hand-over, checking, idling out and ending.

Part of :mod:`app.services.accounts`; import from the package.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TypeGuard

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from app.services.access import Actor
from app.services.accounts.common import HANDOFF_TTL, LOGIN_FAILED, LoginFailed, actor_for
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import LoginSession, User, row_id, utcnow


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _stamp(user: User) -> str:
    """Changes when the user's role, agency or password changes (ending their logins)."""
    material = f"{user.id}\0{user.agency_id}\0{user.role}\0{user.password_hash}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _usable_secret(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and 20 <= len(value) <= 100


@dataclass(frozen=True)
class PendingLogin:
    """A new login: the id the Streamlit session keeps, and the code for the cookie route."""

    session_id: int
    code: str


def begin_login(*, actor: Actor, now: dt.datetime | None = None) -> PendingLogin:
    """Start a login session for an actor ``authenticate`` just returned.

    The browser trades ``code`` (once, within two minutes) for its cookie at the cookie
    route; the code itself never works as a cookie.
    """
    now = now or utcnow()
    code = secrets.token_urlsafe(32)
    with write_session() as session:
        user = session.get(User, actor.user_id)
        if user is None or not user.is_active:
            raise LoginFailed(LOGIN_FAILED)
        row = LoginSession(
            user_id=row_id(user),
            token_hash=_token_hash(code),
            created_at=now,
            expires_at=now + dt.timedelta(hours=get_settings().session_max_hours),
            last_seen_at=now,
            stamp=_stamp(user),
            handoff_until=now + HANDOFF_TTL,
        )
        session.add(row)
        session.flush()
        return PendingLogin(session_id=row_id(row), code=code)


def redeem_login_code(
    code: str, *, replaced_token: str | None = None, now: dt.datetime | None = None
) -> str | None:
    """The cookie's token for a hand-over code, or None when the code is not (or no
    longer) good. The token is new and random every time: whatever cookie the browser
    had before is never adopted, and the login it pointed to (if any) is ended.
    """
    if not _usable_secret(code):
        return None
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with write_session() as session:
        swapped = session.exec(
            update(LoginSession)
            .where(col(LoginSession.token_hash) == _token_hash(code))
            .where(col(LoginSession.handoff_until).is_not(None))
            .where(col(LoginSession.handoff_until) > now)
            .where(col(LoginSession.revoked).is_(False))
            .values(token_hash=_token_hash(token), handoff_until=None)
        )
        if swapped.rowcount != 1:
            return None
        if _usable_secret(replaced_token):
            session.execute(
                update(LoginSession)
                .where(col(LoginSession.token_hash) == _token_hash(replaced_token))
                .values(revoked=True)
            )
    return token


def _ended(row: LoginSession | None, user: User | None, now: dt.datetime) -> bool:
    if row is None or row.revoked or now >= row.expires_at:
        return True
    if user is None or not user.is_active or row.stamp != _stamp(user):
        return True
    idle = dt.timedelta(minutes=get_settings().session_idle_minutes)
    return now - (row.last_seen_at or row.created_at) > idle


# Built once (it runs on every rerun of every page); the login's id is bound when it runs.
_LOGIN_WITH_USER = (
    select(LoginSession, User)
    .join(User, col(User.id) == LoginSession.user_id, isouter=True)
    .where(col(LoginSession.id) == bindparam("session_id"))
)


def check_login_session(session_id: int, *, now: dt.datetime | None = None) -> Actor | None:
    """The actor of a live login session, or None once it has ended (for any reason).

    Called at each action in the browser: it also keeps the idle clock (at most one
    write a minute). A session found ended is marked so, and its cookie stops working.
    """
    now = now or utcnow()
    with read_session() as session:  # one round trip: this runs on every rerun of every page
        found = session.exec(_LOGIN_WITH_USER, params={"session_id": session_id}).first()
        row, user = found if found is not None else (None, None)
        if row is None or user is None or _ended(row, user, now):
            alive = None
        else:
            alive = actor_for(user)
        last_seen = row.last_seen_at if row is not None else None
        revoked = row is None or row.revoked
    if alive is None:
        if not revoked:
            end_login_session(session_id)
        return None
    idle = dt.timedelta(minutes=get_settings().session_idle_minutes)
    if last_seen is None or now - last_seen >= min(dt.timedelta(minutes=1), idle / 10):
        with write_session() as session:
            session.execute(
                update(LoginSession)
                .where(col(LoginSession.id) == session_id)
                .values(last_seen_at=now)
            )
    return alive


def login_session_for_token(
    token: str, *, now: dt.datetime | None = None
) -> tuple[int, Actor] | None:
    """(login session id, actor) for a cookie's token, or None if it does not open one."""
    if not _usable_secret(token):
        return None
    with read_session() as session:
        row = session.exec(
            select(LoginSession)
            .where(LoginSession.token_hash == _token_hash(token))
            .where(col(LoginSession.handoff_until).is_(None))
        ).first()
        session_id = row.id if row is not None else None
    if session_id is None:
        return None
    actor = check_login_session(session_id, now=now)
    return (session_id, actor) if actor is not None else None


def actor_for_token(token: str, *, now: dt.datetime | None = None) -> Actor | None:
    """The actor a login cookie belongs to, or None if unknown, expired, revoked or disabled."""
    found = login_session_for_token(token, now=now)
    return found[1] if found is not None else None


def end_login_session(session_id: int) -> None:
    """Log out: the session (and its cookie) stops working at once."""
    with write_session() as session:
        session.execute(
            update(LoginSession).where(col(LoginSession.id) == session_id).values(revoked=True)
        )


def close_login_session(token: str) -> None:
    """Log out by the cookie's token (the cookie route's logout)."""
    if not _usable_secret(token):
        return
    with write_session() as session:
        session.execute(
            update(LoginSession)
            .where(col(LoginSession.token_hash) == _token_hash(token))
            .values(revoked=True)
        )


def end_user_sessions(session: Session, user_id: int) -> int:
    """End every login of a user, inside the caller's write session; how many were live."""
    result = session.exec(
        update(LoginSession)
        .where(col(LoginSession.user_id) == user_id)
        .where(col(LoginSession.revoked).is_(False))
        .values(revoked=True)
    )
    return result.rowcount
