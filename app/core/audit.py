"""The audit log's hash chain (pure).

Every entry's ``hash`` is ``sha256(prev_hash + canonical JSON)`` of its contents, where
the JSON is ``[at, agency_id, actor_id, event, subject, payload]`` with sorted keys, no
spaces and ``at`` written as UTC ISO 8601 with microseconds (``2025-01-31T14:05:09.120000Z``).
The first entry's ``prev_hash`` is 64 zeros and ids run 1, 2, 3, ... without gaps.

:func:`verify_chain` finds any changed, removed, reordered or inserted entry. Two
changes no chain can show on its own: entries cut off the end, and entries appended at
the end by someone who can write to the database. Keep the head printed by
``python -m app audit verify`` somewhere else and pass it back (``--head``) to catch
both: the remembered entry must still be there with the same hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
EVENTS = (
    "exam_started",
    "exam_result",
    "sign_off",
    "certificate_issued",
    "revoked",
    "expired",
    "renewed",
    "regrade",  # grades under new grading rules stored beside the old ones
    "certificate_review",  # a certificate whose exam changes outcome under new rules
    "content_draft",  # a scenario version saved, imported or generated as a draft
    "content_approved",  # a second trainer approved a draft
    "content_published",  # a version went live for trainees
    "content_rejected",  # a draft was rejected (deleted or retired)
    "content_retired",  # a published scenario was taken out of use
    "review_settings",  # an agency's review or calibration rule changed
    "user_created",  # an admin added a user
    "user_disabled",  # an admin disabled a user (their logins end at once)
    "user_enabled",
    "role_changed",  # payload: from, to
    "password_reset",  # an admin set a one-time password (changed at the next login)
    "sso_linked",  # a first single sign-on linked an agency account to a user (by e-mail)
    "sso_user_created",  # a first single sign-on created a user (the agency allows it)
)
MAX_PROBLEMS = 50  # a broken log can be long; the first problems say enough


@dataclass(frozen=True)
class AuditRecord:
    """One audit entry as plain values."""

    id: int
    at: dt.datetime
    agency_id: int | None
    actor_id: int | None
    event: str
    subject: str
    payload: Any
    prev_hash: str
    hash: str


def iso_utc(value: dt.datetime) -> str:
    """``value`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (a naive value is taken as UTC)."""
    if not isinstance(value, dt.datetime):
        raise TypeError("audit timestamps must be datetimes")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    at: dt.datetime,
    agency_id: int | None,
    actor_id: int | None,
    event: str,
    subject: str,
    payload: Any,
) -> str:
    """The canonical JSON text the hash covers."""
    return json.dumps(
        [iso_utc(at), agency_id, actor_id, event, subject, payload],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def entry_hash(
    prev_hash: str,
    at: dt.datetime,
    agency_id: int | None,
    actor_id: int | None,
    event: str,
    subject: str,
    payload: Any,
) -> str:
    """``sha256(prev_hash + canonical JSON)`` as 64 hex digits."""
    text = prev_hash + canonical(at, agency_id, actor_id, event, subject, payload)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_entry(
    prev: AuditRecord | None,
    *,
    at: dt.datetime,
    event: str,
    subject: str,
    payload: Any = None,
    agency_id: int | None = None,
    actor_id: int | None = None,
) -> AuditRecord:
    """The entry that follows ``prev`` (None: the first entry of the log)."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    prev_hash = prev.hash if prev is not None else GENESIS
    ident = prev.id + 1 if prev is not None else 1
    digest = entry_hash(prev_hash, at, agency_id, actor_id, event, subject, payload)
    return AuditRecord(ident, at, agency_id, actor_id, event, subject, payload, prev_hash, digest)


def _field(entry: Any, name: str) -> Any:
    if isinstance(entry, Mapping):
        return entry.get(name)
    return getattr(entry, name, None)


def verify_chain(entries: Iterable[Any], *, anchors: Iterable[tuple[int, str]] = ()) -> list[str]:
    """Every problem with a log given in id order (AuditRecords, rows or mappings).

    Checks that ids start at 1 and rise by one, that each ``prev_hash`` is the hash
    of the entry before (64 zeros for the first), and that each ``hash`` matches the
    entry's contents. ``anchors`` are (id, hash) pairs remembered from an earlier
    check; each must still be there unchanged. Returns [] for an intact log. Streams:
    the entries are read once.
    """
    problems: list[str] = []
    wanted = dict(anchors)
    expected_id = 1
    prev_hash = GENESIS
    count = 0

    def report(message: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(message)
        elif len(problems) == MAX_PROBLEMS:
            problems.append("... more problems not listed")

    for entry in entries:
        count += 1
        ident = _field(entry, "id")
        where = f"entry {ident}"
        if not isinstance(ident, int) or isinstance(ident, bool):
            report(f"entry #{count} has no usable id")
        elif ident != expected_id:
            if ident > expected_id:
                report(f"{where}: ids jump from {expected_id - 1} to {ident} (entries missing)")
            else:
                report(f"{where}: out of order or repeated (expected id {expected_id})")
        if isinstance(ident, int) and not isinstance(ident, bool):
            expected_id = max(expected_id, ident + 1)
        else:
            expected_id += 1
        stored_prev = _field(entry, "prev_hash")
        if stored_prev != prev_hash:
            report(f"{where}: prev_hash does not match the hash of the entry before it")
        try:
            actual = entry_hash(
                str(stored_prev),
                _field(entry, "at"),
                _field(entry, "agency_id"),
                _field(entry, "actor_id"),
                _field(entry, "event"),
                _field(entry, "subject"),
                _field(entry, "payload"),
            )
        except (TypeError, ValueError) as exc:
            report(f"{where}: contents cannot be hashed ({exc})")
            actual = None
        stored = _field(entry, "hash")
        if actual is not None and stored != actual:
            report(f"{where}: hash does not match its contents (changed after it was written)")
        if ident in wanted:
            if wanted.pop(ident) != stored:
                report(f"{where}: differs from the remembered head hash")
        prev_hash = stored
    for ident in sorted(wanted):
        report(f"entry {ident}: remembered entry is missing (the log was cut short)")
    return problems


def head(entries: Iterable[Any]) -> tuple[int, str] | None:
    """(id, hash) of the last entry, to remember for a later check."""
    last = None
    for entry in entries:
        last = entry
    if last is None:
        return None
    return _field(last, "id"), _field(last, "hash")
