"""Accounts: agencies, users, login with throttling."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlmodel import Session, select

from app.core import passwords
from app.core.protocol_models import DISPATCH_MODELS
from app.errors import NotFound, UserError
from app.services.access import Actor, require
from app.store.db import read_session, write_session
from app.store.models import ROLES, Agency, LoginSession, User, utcnow

LOGIN_FAILED = "Wrong user name or password."
FREE_FAILURES = 5  # failures before the delay starts growing
MAX_FAILURES_PER_HOUR = 100
MAX_DELAY = dt.timedelta(minutes=15)
LOGIN_SESSION_HOURS = 12
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class LoginFailed(UserError):
    pass


def create_agency(*, session: Session, slug: str, name: str, dispatch_model: str) -> Agency:
    if dispatch_model not in DISPATCH_MODELS:
        raise UserError(f"unknown dispatch model '{dispatch_model}'")
    agency = Agency(slug=slug, name=name, dispatch_model=dispatch_model)
    session.add(agency)
    session.flush()
    return agency


def get_agency_by_slug(*, session: Session, slug: str) -> Agency:
    agency = session.exec(select(Agency).where(Agency.slug == slug)).first()
    if agency is None:
        raise NotFound(f"no agency '{slug}'")
    return agency


def create_user(
    *,
    session: Session,
    agency_id: int,
    username: str,
    display_name: str,
    role: str,
    password: str,
) -> User:
    """Create a user after checking the name, role and password policy."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise UserError("user name must be 2-64 characters: letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    problem = passwords.password_problem(password, username=username)
    if problem:
        raise UserError(problem)
    if session.exec(select(User).where(User.username == username)).first():
        raise UserError(f"user name '{username}' is taken")
    user = User(
        agency_id=agency_id,
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=passwords.hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        agency_id=user.agency_id,
        role=user.role,
        username=user.username,
        display_name=user.display_name,
    )


def authenticate(*, username: str, password: str, now: dt.datetime | None = None) -> Actor:
    """Check a login. The same message for an unknown user and a wrong password.

    Failures on an account are throttled: after five, each try waits twice as long
    as the last (capped at 15 minutes), and at most 100 failures count per hour.
    The window resets after an hour, so the real user is never locked out for good.
    """
    now = now or utcnow()
    if len(password) > passwords.MAX_LENGTH:
        raise LoginFailed(f"Password is too long (at most {passwords.MAX_LENGTH} characters).")
    username = username.strip().lower()
    with write_session() as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None or not user.is_active:
            passwords.verify_password(passwords.dummy_hash(), password)
            raise LoginFailed(LOGIN_FAILED)
        if user.failure_window_start and now - user.failure_window_start > dt.timedelta(hours=1):
            user.failed_logins, user.failure_window_start, user.next_login_allowed_at = (
                0,
                None,
                None,
            )
        if user.next_login_allowed_at and now < user.next_login_allowed_at:
            wait = int((user.next_login_allowed_at - now).total_seconds()) + 1
            session.add(user)
            raise LoginFailed(f"Too many failed logins. Try again in {wait} seconds.")
        if passwords.verify_password(user.password_hash, password):
            user.failed_logins, user.failure_window_start, user.next_login_allowed_at = (
                0,
                None,
                None,
            )
            session.add(user)
            return actor_for(user)
        _record_failure(user, now)
        session.add(user)
    raise LoginFailed(LOGIN_FAILED)


def _record_failure(user: User, now: dt.datetime) -> None:
    user.failure_window_start = user.failure_window_start or now
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES_PER_HOUR:
        user.next_login_allowed_at = user.failure_window_start + dt.timedelta(hours=1)
    elif user.failed_logins >= FREE_FAILURES:
        delay = dt.timedelta(seconds=2 ** (user.failed_logins - FREE_FAILURES))
        user.next_login_allowed_at = now + min(delay, MAX_DELAY)


def load_actor(user_id: int) -> Actor | None:
    """The actor for a session's user id, or None when the account is gone or disabled."""
    with read_session() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return actor_for(user)


def change_password(*, actor: Actor, current: str, new: str) -> None:
    with write_session() as session:
        user = session.get(User, actor.user_id)
        if user is None or not passwords.verify_password(user.password_hash, current):
            raise UserError("The current password is wrong.")
        problem = passwords.password_problem(new, username=user.username)
        if problem:
            raise UserError(problem)
        user.password_hash = passwords.hash_password(new)
        session.add(user)


def set_password(*, username: str, password: str) -> None:
    """Set a password from the command line (an operator resetting a forgotten one)."""
    with write_session() as session:
        user = session.exec(select(User).where(User.username == username.strip().lower())).first()
        if user is None:
            raise NotFound(f"no user '{username}'")
        problem = passwords.password_problem(password, username=user.username)
        if problem:
            raise UserError(problem)
        user.password_hash = passwords.hash_password(password)
        user.failed_logins, user.failure_window_start, user.next_login_allowed_at = 0, None, None
        session.add(user)


def list_users(*, actor: Actor) -> list[dict]:
    """Users of the admin's own agency."""
    require(actor, "manage_users")
    with read_session() as session:
        rows = session.exec(
            select(User).where(User.agency_id == actor.agency_id).order_by(User.role, User.username)
        ).all()
        return [
            {
                "id": u.id,
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "active": u.is_active,
            }
            for u in rows
        ]


def admin_create_user(
    *, actor: Actor, username: str, display_name: str, role: str, password: str
) -> int:
    """An admin adds a user to their own agency."""
    require(actor, "manage_users")
    with write_session() as session:
        return create_user(
            session=session,
            agency_id=actor.agency_id,
            username=username,
            display_name=display_name,
            role=role,
            password=password,
        ).id


def set_active(*, actor: Actor, user_id: int, active: bool) -> None:
    require(actor, "manage_users")
    with write_session() as session:
        user = session.get(User, user_id)
        if user is None or user.agency_id != actor.agency_id:
            raise NotFound("no such user in your agency")
        if user.id == actor.user_id and not active:
            raise UserError("You cannot disable your own account.")
        user.is_active = active
        session.add(user)


def agency_of(*, actor: Actor) -> dict:
    with read_session() as session:
        agency = session.get(Agency, actor.agency_id)
        return {
            "id": agency.id,
            "slug": agency.slug,
            "name": agency.name,
            "dispatch_model": agency.dispatch_model,
            "protocol_overrides": agency.protocol_overrides or {},
        }


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_login_session(*, actor: Actor, now: dt.datetime | None = None) -> str:
    """A random token for the browser's cookie; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    with write_session() as session:
        session.add(
            LoginSession(
                user_id=actor.user_id,
                token_hash=_token_hash(token),
                created_at=now,
                expires_at=now + dt.timedelta(hours=LOGIN_SESSION_HOURS),
            )
        )
    return token


def actor_for_token(token: str, *, now: dt.datetime | None = None) -> Actor | None:
    """The actor a login cookie belongs to, or None if unknown, expired, revoked or disabled."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    now = now or utcnow()
    with read_session() as session:
        row = session.exec(
            select(LoginSession).where(LoginSession.token_hash == _token_hash(token))
        ).first()
        if row is None or row.revoked or row.expires_at <= now:
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            return None
        return actor_for(user)


def close_login_session(token: str) -> None:
    """Log out: the token stops working at once."""
    with write_session() as session:
        row = session.exec(
            select(LoginSession).where(LoginSession.token_hash == _token_hash(token))
        ).first()
        if row is not None:
            row.revoked = True
            session.add(row)
