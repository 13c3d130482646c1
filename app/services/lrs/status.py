"""What the outbox holds: counts, the oldest waiting statement, rejected ones with reasons."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from sqlmodel import col, select

from app.errors import SettingsError
from app.services.access import Actor, require
from app.services.lrs import outbox
from app.services.lrs.config import LrsNotConfigured, lrs_config
from app.store.db import read_session
from app.store.models import LearningRecord


class RejectedRow(TypedDict):
    """A statement the LRS refused."""

    statement_id: str
    event: str  # event key, such as "attempt:42:submitted"
    verb: str
    recorded: dt.datetime  # when the statement was written to the outbox
    reason: str  # the LRS's answer ("" when none was kept)


class OutboxStatus(TypedDict):
    pending: int  # statements waiting to be sent
    sent: int
    rejected: int
    oldest_pending: dt.datetime | None  # None: nothing waiting
    last_problem: str | None  # the first waiting statement's last error; None: none failed
    rejected_rows: list[RejectedRow]  # newest first, at most rejected_limit


def outbox_status(*, agency_id: int | None = None, rejected_limit: int = 50) -> OutboxStatus:
    """Plain data about the outbox (all agencies, or one)."""
    with read_session() as session:
        counts = outbox.counts(session, agency_id)
        oldest = outbox.oldest_pending(session, agency_id)
        rejected_q = select(LearningRecord).where(col(LearningRecord.status) == "rejected")
        waiting_q = (
            select(LearningRecord.last_error)
            .where(col(LearningRecord.status) == "pending")
            .where(col(LearningRecord.last_error).is_not(None))
            .order_by(col(LearningRecord.id))
        )
        if agency_id is not None:
            rejected_q = rejected_q.where(col(LearningRecord.agency_id) == agency_id)
            waiting_q = waiting_q.where(col(LearningRecord.agency_id) == agency_id)
        rejected = session.exec(
            rejected_q.order_by(col(LearningRecord.id).desc()).limit(rejected_limit)
        ).all()
        last_problem = session.exec(waiting_q.limit(1)).first()
    return OutboxStatus(
        pending=counts["pending"],
        sent=counts["sent"],
        rejected=counts["rejected"],
        oldest_pending=oldest,
        last_problem=last_problem,
        rejected_rows=[
            RejectedRow(
                statement_id=row.statement_id,
                event=row.event_key,
                verb=row.verb,
                recorded=row.created_at,
                reason=row.last_error or "",
            )
            for row in rejected
        ],
    )


def configuration_line() -> tuple[bool, str]:
    """(ok, one plain line) about the LRS settings, without contacting the LRS."""
    try:
        cfg = lrs_config()
    except LrsNotConfigured as exc:
        return True, f"{exc} Statements are kept until one is set up."
    except SettingsError as exc:
        return False, str(exc)
    return True, f"Learning records go to {cfg.url}"


class AdminStatus(OutboxStatus):
    """The LRS settings line (see configuration_line) with the agency's outbox."""

    ok: bool
    line: str


def admin_status(*, actor: Actor) -> AdminStatus:
    """The LRS line and the outbox of the admin's own agency."""
    require(actor, "manage_users")
    ok, line = configuration_line()
    status: AdminStatus = {
        "ok": ok,
        "line": line,
        **outbox_status(agency_id=actor.agency_id, rejected_limit=20),
    }
    return status
