"""Database tables (SQLModel). Every row that belongs to a 911 center carries ``agency_id``.

Schema changes go through Alembic (``app/store/migrations``); ``create_all`` is only
used for throwaway test databases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import JSON, Column, Index, MetaData, UniqueConstraint, text
from sqlmodel import Field, SQLModel

# A constraint naming convention so Alembic migrations are stable on every backend.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ROLES = ("trainee", "trainer", "supervisor", "admin")

# Conditions of the partial analytics indexes on attempt (queries repeat them verbatim).
ATTEMPT_ERRORS = "missed_disqualifiers <> '' OR over_disqualifiers <> ''"
ATTEMPT_FLAGS = "unsafe OR over_routed"


def utcnow() -> dt.datetime:
    """Timezone-aware UTC timestamp (SQLModel stores UTC on SQLite and PostgreSQL)."""
    return dt.datetime.now(dt.UTC)


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def row_id(row: _Stored) -> int:
    """The primary key of a row read from the database or flushed to it.

    The tables declare ``id: int | None`` because a new row has no id until it is flushed;
    asking for it before then is a bug, so it raises rather than returning None.
    """
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet (flush the session first)")
    return row.id


def _json() -> Any:
    return Field(default=None, sa_column=Column(JSON))


class Agency(SQLModel, table=True):
    """A 911 center: its dispatch model and its changes to the default protocol."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(max_length=200)
    dispatch_model: str = Field(default="call_center_led", max_length=32)
    protocol_overrides: dict | None = _json()
    created_at: dt.datetime = Field(default_factory=utcnow)
    # Content review (migration 0011): publishing needs a second trainer's approval, and
    # where calibration is required, a panel of at least two keys that agree.
    review_required: bool = Field(default=True)
    calibration_required: bool = Field(default=False)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    username: str = Field(unique=True, index=True, max_length=64)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    # Login throttling: failures inside the current one-hour window.
    failed_logins: int = Field(default=0)
    failure_window_start: dt.datetime | None = None
    next_login_allowed_at: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    # A trainee's setting: show the transcript on every call (it starts hidden otherwise).
    always_show_transcripts: bool = Field(default=False)
    # Set when an admin resets the password: the next login may only set a new one.
    must_change_password: bool = Field(default=False)
    # The address single sign-on matches a first sign-in against (lower-case; migration 0014).
    email: str | None = Field(default=None, max_length=254, index=True)


class ScenarioVersion(SQLModel, table=True):
    """One version of a scenario. A version that has attempts is never changed."""

    __table_args__ = (
        UniqueConstraint("agency_id", "scenario_key", "version"),
        Index("ix_scenarioversion_lookup", "agency_id", "is_current", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    scenario_key: str = Field(max_length=128, index=True)
    version: int = Field(default=1)
    is_current: bool = Field(default=True)
    status: str = Field(default="published", max_length=16)  # draft | published | retired
    source: str = Field(default="bank", max_length=16)  # bank | authored | generated
    title: str = Field(max_length=300)
    module: str = Field(max_length=64)
    call_type: str = Field(max_length=64)  # the expert's final code
    disqualifiers: str = Field(default="", max_length=128)  # comma-separated, for filtering
    difficulty: int = Field(default=1)
    channel: str = Field(default="911", max_length=32)
    twin_group: str | None = Field(default=None, max_length=64, index=True)
    yaml_text: str
    data: dict | None = _json()
    content_hash: str = Field(max_length=64)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    # Content review (migration 0011). ``editors``: ids of everyone who saved this
    # version's text (none of them may approve it); ``key_author``: who wrote the expert
    # key (carried over when a change leaves the key alone); ``approved_*``: the second
    # trainer's approval; ``published_at``: when it went live. User ids without a foreign
    # key (SQLite cannot add one without copying the table; users are never deleted).
    editors: list | None = _json()
    key_author: int | None = None
    approved_by: int | None = None
    approved_at: dt.datetime | None = None
    published_at: dt.datetime | None = None


class Attempt(SQLModel, table=True):
    """A trainee's answer to one scenario version, with its grade and timeline."""

    __table_args__ = (
        Index("ix_attempt_agency_submitted", "agency_id", "status", "submitted_at"),
        Index("ix_attempt_user", "user_id", "status"),
        # Covering indexes for the supervisor dashboards (app/services/review.py): each
        # view reads one of them index-only instead of a million wide rows.
        Index(
            "ix_attempt_an_user",
            "agency_id",
            "status",
            "user_id",
            "submitted_at",
            "passed",
            "score",
            "unsafe",
            "over_routed",
        ),
        Index(
            "ix_attempt_an_time",
            "agency_id",
            "status",
            "submitted_at",
            "user_id",
            "passed",
            "missed_disqualifiers",
        ),
        Index("ix_attempt_an_seconds", "agency_id", "status", "seconds", "submitted_at"),
        Index(
            "ix_attempt_an_route",
            "agency_id",
            "status",
            "expert_disposition",
            "disposition",
            "submitted_at",
            "unsafe",
            "over_routed",
        ),
        # Partial indexes: only attempts with a disqualifier error / an unsafe or over-routed
        # dispatch, newest first, for the error profile and "attempts behind" lists.
        Index(
            "ix_attempt_an_errors",
            "agency_id",
            "status",
            "submitted_at",
            "missed_disqualifiers",
            "over_disqualifiers",
            sqlite_where=text(ATTEMPT_ERRORS),
            postgresql_where=text(ATTEMPT_ERRORS),
        ),
        Index(
            "ix_attempt_an_flags",
            "agency_id",
            "status",
            "submitted_at",
            "unsafe",
            "over_routed",
            sqlite_where=text(ATTEMPT_FLAGS),
            postgresql_where=text(ATTEMPT_FLAGS),
        ),
        Index(
            "ix_attempt_an_scenario", "agency_id", "status", "scenario_version_id", "submitted_at"
        ),
        Index(
            "ix_attempt_an_twin",
            "agency_id",
            "twin_group",
            "user_id",
            "twin_variant",
            "status",
            "disposition",
            "submitted_at",
            "scenario_version_id",  # the version taken (equity audit), migration 0015
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    scenario_version_id: int = Field(foreign_key="scenarioversion.id", index=True)
    exam_id: int | None = Field(default=None, foreign_key="exam.id", index=True)
    mode: str = Field(default="standard", max_length=16)  # guided | standard | timed | exam
    model: str = Field(default="call_center_led", max_length=32)
    status: str = Field(default="in_progress", max_length=16)  # in_progress | submitted
    idempotency_key: str = Field(unique=True, max_length=64)
    started_at: dt.datetime = Field(default_factory=utcnow)
    submitted_at: dt.datetime | None = None
    events: list | None = _json()  # [{"t": seconds, "kind": "ask"|"mark"|..., "value": ...}]
    answer: dict | None = _json()
    grade: dict | None = _json()
    # Denormalised from the grade so analytics runs as SQL over a million rows.
    score: int | None = None
    passed: bool | None = None
    unsafe: bool | None = None
    over_routed: bool | None = None
    seconds: float | None = None
    disposition: str | None = Field(default=None, max_length=40)
    expert_disposition: str | None = Field(default=None, max_length=40)
    call_type: str | None = Field(default=None, max_length=64)
    missed_disqualifiers: str | None = Field(default=None, max_length=128)
    over_disqualifiers: str | None = Field(default=None, max_length=128)
    twin_group: str | None = Field(default=None, max_length=64)
    twin_variant: str | None = Field(default=None, max_length=8)
    # The grading rules the stored grade was made under (``grade["rules"]``; a grade
    # without the key is rules 1, and so is every row from before the column existed).
    rules: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})
    # The grade under newer rules, stored beside the original by ``python -m app regrade
    # --apply``: {"rules", "grade", "score", "passed", "at", "by"}. ``grade``, ``score``
    # and ``passed`` above are never rewritten (app/services/regrade.py).
    regrade: dict | None = _json()


class LessonProgress(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "module"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    module: str = Field(max_length=64)
    lesson_read_at: dt.datetime | None = None
    check_score: int | None = None
    check_passed: bool = Field(default=False)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class Exam(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    track: str = Field(max_length=64)
    status: str = Field(default="in_progress", max_length=16)  # in_progress | completed
    plan: list | None = _json()  # scenario version ids, in order
    started_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    score: int | None = None
    passed: bool | None = None
    result: dict | None = _json()
    signed_off_by: int | None = Field(default=None, foreign_key="user.id")
    signed_off_at: dt.datetime | None = None
    # What the supervisor attested at sign-off: statement and calls opened (migration 0012).
    signoff_attestation: dict | None = _json()


class Certificate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    exam_id: int | None = Field(default=None, foreign_key="exam.id")
    track: str = Field(max_length=64)
    code: str = Field(unique=True, index=True, max_length=32)
    issued_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revoked_reason: str | None = Field(default=None, max_length=500)
    revoked_by: int | None = Field(default=None, foreign_key="user.id")


class AuditEntry(SQLModel, table=True):
    """Append-only, hash-chained log of certification events (triggers refuse changes)."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    event: str = Field(max_length=40)
    subject: str = Field(max_length=200)
    payload: dict | None = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class ReviewNote(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    text: str = Field(max_length=4000)
    created_at: dt.datetime = Field(default_factory=utcnow)


class CalibrationKey(SQLModel, table=True):
    """One trainer's blind key for a scenario version (expert calibration)."""

    __table_args__ = (UniqueConstraint("scenario_version_id", "trainer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    scenario_version_id: int = Field(foreign_key="scenarioversion.id", index=True)
    trainer_id: int = Field(foreign_key="user.id")
    key: dict | None = _json()  # {"disqualifiers": [...], "call_type": ..., "disposition": ...}
    created_at: dt.datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    """A browser login that survives a page refresh (the HttpOnly cookie holds the token).

    Until the browser has fetched its cookie, ``token_hash`` holds the hash of a one-time
    hand-over code and ``handoff_until`` its deadline; the cookie route swaps it for a
    fresh token. ``stamp`` is a digest of the user's role and password hash at login: when
    either changes, the login is over. ``last_seen_at`` is for the idle timeout.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    revoked: bool = Field(default=False)
    last_seen_at: dt.datetime | None = None
    stamp: str | None = Field(default=None, max_length=64)
    handoff_until: dt.datetime | None = None


class LoginFailure(SQLModel, table=True):
    """One failed login from a client address (any account), for throttling by address.

    Rows older than a day are deleted as new ones arrive. The address of an IPv6 client
    is its /64 network.
    """

    __table_args__ = (Index("ix_loginfailure_address_at", "address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64)
    at: dt.datetime = Field(default_factory=utcnow, index=True)


class VerifyLookup(SQLModel, table=True):
    """One lookup on the public verify page from a client address, for its rate limit.

    Kept in the database so the limit holds across browser sessions and replicas; rows
    older than a day are deleted as new ones arrive (migration 0012).
    """

    __table_args__ = (Index("ix_verifylookup_address_at", "address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64)
    at: dt.datetime = Field(default_factory=utcnow, index=True)


class UserIdentity(SQLModel, table=True):
    """A user's account at their agency's identity provider (single sign-on, migration 0014).

    ``provider`` is the provider's name in ``.streamlit/secrets.toml``; ``subject`` the
    token's ``sub`` claim. After the first sign-in the user is found by this pair alone.
    """

    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    provider: str = Field(max_length=64)
    subject: str = Field(max_length=255)
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_login_at: dt.datetime | None = None


class LearningRecord(SQLModel, table=True):
    """One xAPI statement waiting for, or delivered to, the Learning Record Store.

    Written in the same transaction as the event it records (the outbox); the sender
    (``app/services/lrs/``) delivers it. ``status``: pending | sent | rejected.
    ``statement_id`` is a UUID5 of ``event_key``, so a statement is the same every time.
    """

    __table_args__ = (Index("ix_learningrecord_status_next_try_at", "status", "next_try_at"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    event_key: str = Field(max_length=200, unique=True)
    statement_id: str = Field(max_length=36, unique=True)
    verb: str = Field(max_length=32)
    statement: dict | None = _json()
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    status: str = Field(default="pending", max_length=16)
    tries: int = Field(default=0)
    next_try_at: dt.datetime = Field(default_factory=utcnow)
    lease_until: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)


# --- Rollups of submitted attempts (kept by database triggers, app/store/rollups.py) ---------
# The supervisor dashboards read these few thousand rows instead of a million attempts.
# Triggers on attempt add a row's contribution when it becomes submitted and take it back
# when a submitted row changes or goes, so every writer (the app, imports, bulk loads,
# hand-run SQL) keeps them right. Text keys hold '' where the attempt has NULL.


class TraineeRollup(SQLModel, table=True):
    """Per trainee: all their submitted attempts."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    attempts: int = Field(default=0)
    passes: int = Field(default=0)
    score_sum: int = Field(default=0)
    unsafe: int = Field(default=0)
    over_routed: int = Field(default=0)
    last_at: dt.datetime | None = None


class DayRouteRollup(SQLModel, table=True):
    """Per agency and UTC day: expert route x chosen route."""

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    day: dt.date = Field(primary_key=True)
    expert_disposition: str = Field(primary_key=True, max_length=40)
    disposition: str = Field(primary_key=True, max_length=40)
    attempts: int = Field(default=0)
    passes: int = Field(default=0)
    unsafe: int = Field(default=0)
    over_routed: int = Field(default=0)


class DayErrorRollup(SQLModel, table=True):
    """Per agency and UTC day: the key's disqualifiers x missed x wrongly flagged."""

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    day: dt.date = Field(primary_key=True)
    key_disqualifiers: str = Field(primary_key=True, max_length=128)
    missed_disqualifiers: str = Field(primary_key=True, max_length=128)
    over_disqualifiers: str = Field(primary_key=True, max_length=128)
    attempts: int = Field(default=0)


class DaySecondsRollup(SQLModel, table=True):
    """Per agency and UTC day: time to decision in 5-second bins (app/services/review.py)."""

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    day: dt.date = Field(primary_key=True)
    bin: int = Field(primary_key=True)
    attempts: int = Field(default=0)


class ItemStatsSnapshot(SQLModel, table=True):
    """The last item analysis of an agency's bank (app/services/item_snapshot.py).

    Working it out reads every graded attempt, so big centers keep the result here and
    refresh it in the background; ``signature`` tells whether attempts came in since.
    """

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    computed_at: dt.datetime | None = None
    signature: str = Field(default="", max_length=64)
    attempts: int = Field(default=0)  # submitted attempts when it was worked out
    seconds: float | None = None  # how long working it out took
    items: list | None = _json()  # ItemStats rows, see item_snapshot.encode
    refresh_started_at: dt.datetime | None = None  # a refresh is running (claimed) since
