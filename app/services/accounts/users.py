"""Agencies and users: creating them, loading an actor, and a user's own password.

Part of :mod:`app.services.accounts`; import from the package.
"""

from __future__ import annotations

from typing import TypedDict

from sqlmodel import Session, select

from app.core import passwords
from app.core.protocol_models import DISPATCH_MODELS
from app.core.safe_text import strip_bidi
from app.errors import NotFound, UserError
from app.services.access import Actor
from app.services.accounts.common import USERNAME_RE, _clear_failures, actor_for
from app.services.accounts.sessions import end_user_sessions
from app.services.scope import protocol_for
from app.store.db import read_session, write_session
from app.store.models import ROLES, Agency, User, row_id


def create_agency(*, session: Session, slug: str, name: str, dispatch_model: str) -> Agency:
    if dispatch_model not in DISPATCH_MODELS:
        raise UserError(f"unknown dispatch model '{dispatch_model}'")
    agency = Agency(slug=slug, name=strip_bidi(name), dispatch_model=dispatch_model)
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
        display_name=strip_bidi(display_name).strip() or username,
        role=role,
        password_hash=passwords.hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def load_actor(user_id: int) -> Actor | None:
    """The actor for a session's user id, or None when the account is gone or disabled."""
    with read_session() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return actor_for(user)


class AgencyInfo(TypedDict):
    """The actor's agency as the account and users pages show it."""

    id: int
    slug: str
    name: str
    dispatch_model: str  # code
    dispatch_model_label: str  # the model's label, or the code when the protocol lacks it
    protocol_overrides: dict  # the agency's changes to the default protocol ({} when none)


def agency_of(*, actor: Actor) -> AgencyInfo:
    with read_session() as session:
        agency = session.get(Agency, actor.agency_id)
        if agency is None:
            raise NotFound("this agency no longer exists")
        protocol = protocol_for(agency.protocol_overrides)
        model = protocol.models.get(agency.dispatch_model)
        return AgencyInfo(
            id=row_id(agency),
            slug=agency.slug,
            name=agency.name,
            dispatch_model=agency.dispatch_model,
            dispatch_model_label=model.label if model else agency.dispatch_model,
            protocol_overrides=agency.protocol_overrides or {},
        )


def change_password(*, actor: Actor, current: str, new: str) -> None:
    """A user changes their own password; every login of theirs ends, this one too.

    This is also how a one-time password from an admin is replaced: the new password
    must differ from it, and the forced change is then done.
    """
    with write_session() as session:
        user = session.get(User, actor.user_id)
        if user is None or not user.is_active:
            raise UserError("This account is disabled.")
        if user.agency_id != actor.agency_id:
            raise NotFound("no such user in your agency")
        if not passwords.verify_password(user.password_hash, current):
            raise UserError("The current password is wrong.")
        problem = passwords.password_problem(new, username=user.username)
        if problem:
            raise UserError(problem)
        if new == current:
            raise UserError("The new password must differ from the current one.")
        user.password_hash = passwords.hash_password(new)
        user.must_change_password = False
        session.add(user)
        end_user_sessions(session, row_id(user))


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
        _clear_failures(user)
        session.add(user)
        end_user_sessions(session, row_id(user))
