"""What every part of accounts shares: the limits, :class:`LoginFailed`, the actor of a user.

Part of :mod:`app.services.accounts`; import from the package.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NoReturn

from app.errors import UserError
from app.services.access import Actor
from app.store.models import User, row_id

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


def _refuse() -> NoReturn:
    raise LoginFailed(LOGIN_FAILED)


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=row_id(user),
        agency_id=user.agency_id,
        role=user.role,
        username=user.username,
        display_name=user.display_name,
        must_change_password=bool(user.must_change_password),
    )


def _clear_failures(user: User) -> None:
    user.failed_logins, user.failure_window_start, user.next_login_allowed_at = 0, None, None
