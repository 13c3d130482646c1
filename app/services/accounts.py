"""Accounts: agencies, users, login with throttling, and login sessions.

Login throttling works twice over, both in the database so every replica sees it: per
account (the delay doubles after five failures) and per client address across all
accounts (password spraying: after ``LOGIN_FAILURES_PER_ADDRESS`` failures in an hour the
delay doubles with each further failure). A paused try gets the same answer as a wrong
password, so neither an account's existence nor the pause is revealed.

A login session is what the browser's HttpOnly cookie points to (``app/session_routes.py``
sets the cookie). It ends at logout, after ``SESSION_IDLE_MINUTES`` without use, after
``SESSION_MAX_HOURS``, and for every session of a user when that user is disabled, their
role changes or their password is changed or reset.

An admin manages the users of their own agency only: add, disable or enable, change a
role, and reset a password. A reset gives a one-time password, shown to the admin once;
until its holder sets a password of their own, ``Actor.must_change_password`` makes
every permission check refuse them. Disabling, enabling, role changes and resets are
written to the audit log in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass
from typing import NoReturn, TypeGuard

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from app.core import passwords
from app.core.protocol_models import DISPATCH_MODELS
from app.core.safe_text import strip_bidi
from app.errors import NotFound, UserError
from app.services import audit
from app.services.access import Actor, require
from app.services.scope import protocol_for
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import ROLES, Agency, LoginFailure, LoginSession, User, row_id, utcnow

# One answer for a wrong password, an unknown user and a paused login.
LOGIN_FAILED = (
    "Wrong user name or password. After many failed tries, logging in pauses for a while."
)
FREE_FAILURES = 5  # failures on one account before the delay starts growing
MAX_FAILURES_PER_HOUR = 100
MAX_DELAY = dt.timedelta(minutes=15)
FAILURE_WINDOW = dt.timedelta(hours=1)
FAILURE_ROWS_KEPT = dt.timedelta(days=1)
HANDOFF_TTL = dt.timedelta(minutes=2)  # time for the browser to fetch its cookie
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# One-time passwords: no look-alike characters (0/O, 1/l/I), read out or typed easily.
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ONE_TIME_GROUPS = 4  # four groups of four: about 79 bits


class LoginFailed(UserError):
    pass


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


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=row_id(user),
        agency_id=user.agency_id,
        role=user.role,
        username=user.username,
        display_name=user.display_name,
        must_change_password=bool(user.must_change_password),
    )


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


def _refuse() -> NoReturn:
    raise LoginFailed(LOGIN_FAILED)


def _clear_failures(user: User) -> None:
    user.failed_logins, user.failure_window_start, user.next_login_allowed_at = 0, None, None


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


def load_actor(user_id: int) -> Actor | None:
    """The actor for a session's user id, or None when the account is gone or disabled."""
    with read_session() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return actor_for(user)


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


def list_users(*, actor: Actor) -> list[dict]:
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
            {
                "id": u.id,
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "active": u.is_active,
                "must_change_password": bool(u.must_change_password),
                "open_logins": int(live.get(row_id(u), 0)) if u.is_active else 0,
            }
            for u in rows
        ]


def admin_create_user(
    *, actor: Actor, username: str, display_name: str, role: str, password: str
) -> int:
    """An admin adds a user to their own agency."""
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


def agency_of(*, actor: Actor) -> dict:
    with read_session() as session:
        agency = session.get(Agency, actor.agency_id)
        if agency is None:
            raise NotFound("this agency no longer exists")
        protocol = protocol_for(agency.protocol_overrides)
        model = protocol.models.get(agency.dispatch_model)
        return {
            "id": agency.id,
            "slug": agency.slug,
            "name": agency.name,
            "dispatch_model": agency.dispatch_model,
            "dispatch_model_label": model.label if model else agency.dispatch_model,
            "protocol_overrides": agency.protocol_overrides or {},
        }


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


def check_login_session(session_id: int, *, now: dt.datetime | None = None) -> Actor | None:
    """The actor of a live login session, or None once it has ended (for any reason).

    Called at each action in the browser: it also keeps the idle clock (at most one
    write a minute). A session found ended is marked so, and its cookie stops working.
    """
    now = now or utcnow()
    with read_session() as session:
        row = session.get(LoginSession, session_id)
        user = session.get(User, row.user_id) if row is not None else None
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
