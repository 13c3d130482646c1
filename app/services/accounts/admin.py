"""An admin manages the users of their own agency: list, add, disable, role, reset.

Every change is written to the audit log in the same transaction. Part of
:mod:`app.services.accounts`; import from the package.
"""

from __future__ import annotations

import secrets
from typing import TypedDict

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core import passwords
from app.errors import NotFound, UserError
from app.services import audit
from app.services.access import Actor, require
from app.services.accounts.common import ONE_TIME_ALPHABET, ONE_TIME_GROUPS, _clear_failures
from app.services.accounts.sessions import end_user_sessions
from app.services.accounts.users import create_user
from app.store.db import read_session, write_session
from app.store.models import ROLES, LoginSession, User, row_id, utcnow


class UserRow(TypedDict):
    """One user in the admin's list."""

    id: int
    username: str
    name: str  # display name
    role: str
    active: bool
    must_change_password: bool  # holds a password an admin gave (new user or reset)
    open_logins: int  # live login sessions; 0 for a disabled user


def list_users(*, actor: Actor) -> list[UserRow]:
    """Users of the admin's own agency."""
    require(actor, "manage_users")
    with read_session() as session:
        rows = session.exec(
            select(User).where(User.agency_id == actor.agency_id).order_by(User.role, User.username)
        ).all()
        now = utcnow()
        live = dict(
            session.exec(
                select(LoginSession.user_id, func.count())
                .join(User, col(User.id) == LoginSession.user_id)
                .where(User.agency_id == actor.agency_id)
                .where(col(LoginSession.revoked).is_(False))
                .where(col(LoginSession.expires_at) > now)
                .group_by(col(LoginSession.user_id))
            ).all()
        )
        return [
            UserRow(
                id=row_id(u),
                username=u.username,
                name=u.display_name,
                role=u.role,
                active=u.is_active,
                must_change_password=bool(u.must_change_password),
                open_logins=int(live.get(row_id(u), 0)) if u.is_active else 0,
            )
            for u in rows
        ]


def admin_create_user(
    *, actor: Actor, username: str, display_name: str, role: str, password: str
) -> int:
    """An admin adds a user to their own agency with a first password the admin typed.

    That password is the admin's, not the user's: like a reset's one-time password it
    must be replaced at the first login (``must_change_password``), and until then every
    permission check refuses the user. Users made by an operator on the command line or
    by the demo are not forced (they choose their own password there).
    """
    require(actor, "manage_users")
    with write_session() as session:
        user = create_user(
            session=session,
            agency_id=actor.agency_id,
            username=username,
            display_name=display_name,
            role=role,
            password=password,
        )
        user.must_change_password = True
        session.add(user)
        _audit(session, actor, "user_created", user, {"role": user.role})
        return row_id(user)


def _agency_user(session: Session, actor: Actor, user_id: int) -> User:
    """A user of the admin's own agency, locked for the change (NotFound otherwise)."""
    user = session.exec(
        select(User)
        .where(User.id == user_id)
        .where(User.agency_id == actor.agency_id)
        .with_for_update()
    ).first()
    if user is None:
        raise NotFound("There is no such user in your agency.")
    return user


def _audit(session: Session, actor: Actor, event: str, user: User, payload: dict) -> None:
    audit.append(
        session,
        event=event,
        subject=f"user {user.username}",
        payload=payload,
        agency_id=actor.agency_id,
        actor_id=actor.user_id,
    )


def set_active(*, actor: Actor, user_id: int, active: bool) -> int:
    """An admin disables or enables a user of their agency.

    Disabling ends every login of that user at once: their next click in any open tab
    is refused. Returns how many open logins were ended (0 when enabling or unchanged).
    """
    require(actor, "manage_users")
    with write_session() as session:
        user = _agency_user(session, actor, user_id)
        if user.id == actor.user_id and not active:
            raise UserError("You cannot disable your own account.")
        if user.is_active == active:
            return 0
        user.is_active = active
        session.add(user)
        ended = end_user_sessions(session, row_id(user)) if not active else 0
        event = "user_enabled" if active else "user_disabled"
        _audit(session, actor, event, user, {"logins_ended": ended} if not active else {})
        return ended


def set_role(*, actor: Actor, user_id: int, role: str) -> int:
    """An admin changes the role of a user of their agency; that user's logins end.

    Returns how many open logins were ended.
    """
    require(actor, "manage_users")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    with write_session() as session:
        user = _agency_user(session, actor, user_id)
        if user.id == actor.user_id:
            raise UserError("You cannot change your own role.")
        if user.role == role:
            return 0
        before = user.role
        user.role = role
        session.add(user)
        ended = end_user_sessions(session, row_id(user))
        _audit(session, actor, "role_changed", user, {"from": before, "to": role})
        return ended


def one_time_password() -> str:
    """A random password such as ``k7pm-x3qa-9dhr-tw2e`` (read out or typed easily)."""
    while True:
        groups = [
            "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(4))
            for _ in range(ONE_TIME_GROUPS)
        ]
        candidate = "-".join(groups)
        if passwords.password_problem(candidate) is None:
            return candidate


def reset_password(*, actor: Actor, user_id: int) -> str:
    """An admin gives a user of their agency a one-time password and returns it.

    The password is returned once and stored only as a hash. The user's logins end and
    login pauses are cleared; at the next login the user may only set a new password.
    """
    require(actor, "manage_users")
    with write_session() as session:
        user = _agency_user(session, actor, user_id)
        if user.id == actor.user_id:
            raise UserError("Change your own password on the Account page.")
        if not user.is_active:
            raise UserError("Enable this user before resetting their password.")
        password = one_time_password()
        user.password_hash = passwords.hash_password(password)
        user.must_change_password = True
        _clear_failures(user)
        session.add(user)
        ended = end_user_sessions(session, row_id(user))
        _audit(session, actor, "password_reset", user, {"logins_ended": ended})
        return password
