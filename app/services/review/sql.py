"""The SQL the review views share: bound parameters, covering indexes pinned on SQLite,
the whole-day ``since`` rule, and small fragments (counts, code matches, police routes)."""

from __future__ import annotations

import datetime as dt
from typing import Any, overload

import pandas as pd
from sqlalchemy import BindParameter, Date, DateTime, bindparam, text
from sqlmodel import Session

from app.core import analytics as an
from app.services.access import Actor
from app.store import rollups

SUBMITTED = "submitted"
HIST_WIDTH = float(rollups.SECONDS_BIN_WIDTH)  # seconds per histogram bin
HIST_CAP = HIST_WIDTH * rollups.SECONDS_LAST_BIN  # decisions this slow share the last bin


# --- SQL helpers ----------------------------------------------------------------------------


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _from(session: Session, index: str) -> str:
    """``attempt`` pinned to a covering index on SQLite (PostgreSQL plans well alone)."""
    return f"attempt INDEXED BY {index}" if _is_sqlite(session) else "attempt"


def _where(since: dt.datetime | None) -> str:
    clause = "agency_id = :agency AND status = :submitted"
    if since is not None:
        clause += " AND submitted_at >= :since"
    return clause


def _run(session: Session, *parts: str, **params) -> list:
    """Run SQL joined from constant fragments, with every value as a bound parameter.

    The fragments come only from this module (column names, index names, the four
    disqualifier codes); nothing a user typed is ever part of the text.
    """
    stmt = text(" ".join(parts))
    # Timestamps are stored in UTC (timestamptz on PostgreSQL, UTC text on SQLite).
    params = {k: _utc(v) if isinstance(v, dt.datetime) else v for k, v in params.items()}
    typed: list[BindParameter[Any]] = [
        bindparam(k, type_=DateTime(timezone=True))
        for k, v in params.items()
        if isinstance(v, dt.datetime)
    ]
    typed += [
        bindparam(k, type_=Date())
        for k, v in params.items()
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime)
    ]
    typed += [bindparam(k, expanding=True) for k, v in params.items() if isinstance(v, list)]
    if typed:
        stmt = stmt.bindparams(*typed)
    return list(session.execute(stmt, params).all())


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _params(actor: Actor, since: dt.datetime | None) -> dict:
    params: dict = {"agency": actor.agency_id, "submitted": SUBMITTED}
    if since is not None:
        params["since"] = since
    return params


def _since_day(value: dt.date | dt.datetime | None) -> dt.date | None:
    """The UTC day a ``since`` falls on (views count whole days, see the module notes)."""
    if isinstance(value, dt.datetime):
        return _utc(value).date()
    return value


@overload
def _as_datetime(value: dt.date) -> dt.datetime: ...
@overload
def _as_datetime(value: dt.date | None) -> dt.datetime | None: ...


def _as_datetime(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """The start (UTC) of the day of ``since``, for queries over the attempts themselves."""
    day = _since_day(value)
    return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _day(value: object) -> dt.date:
    """A rollup day as a date (SQLite hands back its ISO text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _rollup_where(day: dt.date | None) -> str:
    return "agency_id = :agency" + ("" if day is None else " AND day >= :day")


def _rollup_params(actor: Actor, day: dt.date | None) -> dict:
    return {"agency": actor.agency_id} | ({} if day is None else {"day": day})


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _case(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _has_code(column: str, code: str) -> str:
    # The four codes are not substrings of one another; '_' is escaped for LIKE.
    pattern = code.replace("_", "\\_")
    return f"{column} LIKE '%{pattern}%' ESCAPE '\\'"


def _police_in() -> str:
    return "disposition IN (" + ", ".join(f"'{r}'" for r in an.POLICE_ROUTES) + ")"
