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
a new user's first password, typed by the admin, counts the same. Until its holder sets
a password of their own, ``Actor.must_change_password`` makes every permission check
refuse them. Disabling, enabling, role changes and resets are
written to the audit log in the same transaction as the change.

The package is split by subject; every name callers use is importable from here:

- :mod:`.common` — the limits, :class:`LoginFailed`, the actor of a user;
- :mod:`.login` — :func:`authenticate` and its throttling per account and per address;
- :mod:`.sessions` — login sessions: begin, the cookie hand-over, check, end;
- :mod:`.users` — agencies and users, loading an actor, a user's own password;
- :mod:`.admin` — an admin's user management: list, add, disable, role, reset.

The password checks are looked up on :mod:`app.core.passwords` at each call, so a test
that patches ``passwords.verify_password`` still reaches :func:`authenticate`.
"""

from __future__ import annotations

from app.core import passwords
from app.services.accounts.admin import (
    admin_create_user,
    list_users,
    one_time_password,
    reset_password,
    set_active,
    set_role,
)
from app.services.accounts.common import (
    FAILURE_ROWS_KEPT,
    FAILURE_WINDOW,
    FREE_FAILURES,
    HANDOFF_TTL,
    LOGIN_FAILED,
    MAX_DELAY,
    MAX_FAILURES_PER_HOUR,
    ONE_TIME_ALPHABET,
    ONE_TIME_GROUPS,
    USERNAME_RE,
    LoginFailed,
    actor_for,
)
from app.services.accounts.login import address_delay, address_key, authenticate
from app.services.accounts.sessions import (
    PendingLogin,
    actor_for_token,
    begin_login,
    check_login_session,
    close_login_session,
    end_login_session,
    end_user_sessions,
    login_session_for_token,
    redeem_login_code,
)
from app.services.accounts.users import (
    agency_of,
    change_password,
    create_agency,
    create_user,
    get_agency_by_slug,
    load_actor,
    set_password,
)

__all__ = [
    "FAILURE_ROWS_KEPT",
    "FAILURE_WINDOW",
    "FREE_FAILURES",
    "HANDOFF_TTL",
    "LOGIN_FAILED",
    "MAX_DELAY",
    "MAX_FAILURES_PER_HOUR",
    "ONE_TIME_ALPHABET",
    "ONE_TIME_GROUPS",
    "USERNAME_RE",
    "LoginFailed",
    "PendingLogin",
    "actor_for",
    "actor_for_token",
    "address_delay",
    "address_key",
    "admin_create_user",
    "agency_of",
    "authenticate",
    "begin_login",
    "change_password",
    "check_login_session",
    "close_login_session",
    "create_agency",
    "create_user",
    "end_login_session",
    "end_user_sessions",
    "get_agency_by_slug",
    "list_users",
    "load_actor",
    "login_session_for_token",
    "one_time_password",
    "passwords",
    "redeem_login_code",
    "reset_password",
    "set_active",
    "set_password",
    "set_role",
]
