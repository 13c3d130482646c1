"""Certificates: dates and status, renewal through continuing practice, verification codes."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.certification.track import Track

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L or U: read aloud safely
CODE_LENGTH = 12
CODE_GROUP = 4


# ----------------------------------------------------------------------------- certificates


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def certificate_status(
    expires_at: dt.datetime, revoked_at: dt.datetime | None, now: dt.datetime
) -> str:
    """``revoked``, ``expired`` or ``valid`` (a revocation wins over an expiry)."""
    if revoked_at is not None:
        return "revoked"
    return "expired" if as_utc(now) >= as_utc(expires_at) else "valid"


@dataclass(frozen=True)
class PracticeCall:
    submitted_at: dt.datetime
    score: int
    critical: bool = False


@dataclass(frozen=True)
class RenewalCheck:
    eligible: bool
    reasons: tuple[str, ...]  # why not (empty when eligible)
    opens_at: dt.datetime
    closes_at: dt.datetime
    calls: int
    average: float | None
    new_expires_at: dt.datetime
    # "not_yet" (before the renewal window: nothing to judge), "open", "closed" (past the
    # grace period), "none" (the track has no renewal through practice) or "revoked".
    window: str = "open"
    unsafe: int = 0


def renewal_check(
    track: Track,
    *,
    expires_at: dt.datetime,
    revoked: bool,
    calls: Sequence[PracticeCall],
    now: dt.datetime,
    issued_at: dt.datetime | None = None,
) -> RenewalCheck:
    """Whether continuing practice renews a certificate now, and to when.

    Only practice since the certificate was issued counts (``issued_at``), within the
    track's look-back period. Before the renewal window opens there is nothing to judge:
    the one reason is the date it opens, never a warning about the practice so far.
    """
    now, expires_at = as_utc(now), as_utc(expires_at)
    rule = track.renewal
    reasons: list[str] = []
    counted: list[PracticeCall] = []
    if rule is None:
        opens = closes = expires_at
        window = "none"
    else:
        opens = expires_at - dt.timedelta(days=rule.window_days)
        closes = expires_at + dt.timedelta(days=rule.grace_days)
        since = add_months(now, -rule.lookback_months)
        if issued_at is not None:
            since = max(since, as_utc(issued_at))
        counted = [c for c in calls if as_utc(c.submitted_at) >= since]
        window = "not_yet" if now < opens else ("closed" if now > closes else "open")
    if revoked:
        window = "revoked"
    average = round(sum(c.score for c in counted) / len(counted), 1) if counted else None
    unsafe = sum(1 for c in counted if c.critical)
    if window == "revoked":
        reasons.append("A revoked certificate cannot be renewed.")
    elif window == "none":
        reasons.append("This track has no renewal through practice; retake the exam.")
    elif window == "not_yet":
        reasons.append(f"Renewal opens on {opens:%d %b %Y}.")
    elif window == "closed":
        reasons.append("The renewal period has passed; the exam must be taken again.")
    elif rule is not None:
        if len(counted) < rule.min_calls:
            reasons.append(
                f"{len(counted)} practice calls in the last {rule.lookback_months} months; "
                f"{rule.min_calls} are needed."
            )
        if average is not None and average < rule.min_average:
            reasons.append(f"Their average score is {average:g}; {rule.min_average:g} is needed.")
        if unsafe > rule.max_critical:
            reasons.append(
                f"{unsafe} of them had a critical error (an unsafe route, a missed "
                "disqualifier or a priority far too low)."
            )
    start = expires_at if now < expires_at else now
    return RenewalCheck(
        eligible=not reasons,
        reasons=tuple(reasons),
        opens_at=opens,
        closes_at=closes,
        calls=len(counted),
        average=average,
        new_expires_at=add_months(start, track.validity_months),
        window=window,
        unsafe=unsafe,
    )


# ----------------------------------------------------------------------------- sign-off


def sign_off_statement(trainee: str, track: str, calls: int) -> str:
    """The statement a supervisor confirms before an exam is signed off (kept with it)."""
    name = " ".join(str(trainee).split()) or "the trainee"
    return (
        f"I have reviewed {name}'s exam for {track}: its {calls} calls, their results and "
        "the calls I opened. I confirm that this person screened these calls safely and may "
        "be certified to screen calls for the community responder team."
    )


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """A random verification code such as ``7KQM-3WXT-HN9C`` (about 59 bits)."""
    chars = "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(chars[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalize_code(text: str) -> str | None:
    """The stored form of a typed code (case, spaces and dashes ignored), or None."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    chars = re.sub(r"[\s\-_.]", "", text).upper()
    if len(chars) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in chars):
        return None
    return "-".join(chars[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))
