"""Deliver waiting statements to the LRS: retries with backoff, each statement once.

A statement is sent with ``PUT statements?statementId=<id>``. Its id is stable, so when
an answer is lost and the statement is sent again, the LRS keeps the one copy it has
(xAPI 1.0.3 answers 204 for the same statement, 409 for a different one with the same
id). So a statement is marked ``sent`` only after the LRS said it has it, and sending it
again is harmless.

- 2xx: ``sent``.
- 400, 409, 413 and other refusals of the statement itself: ``rejected``, with the
  LRS's reason; ``lrs status`` lists them and ``lrs replay`` tries them again.
- no answer, a timeout, 401/403 (credentials), 404, 408, 429 or 5xx: stays ``pending``
  and is tried again later, waiting twice as long each time (30 s up to one hour).

Several senders may run at once (each server replica has one, and ``lrs push``): a row is
leased with a conditional UPDATE before it is sent, so two senders do not send it
together.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import quote

from sqlalchemy import or_, update
from sqlmodel import col, select

from app.errors import SettingsError, UserError
from app.services.lrs.config import LrsConfig, LrsNotConfigured, lrs_config
from app.store.db import read_session, write_session
from app.store.models import LearningRecord, utcnow

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
LEASE_S = 60
FIRST_WAIT_S = 30
LONGEST_WAIT_S = 3600
RETRY_STATUSES = {401, 403, 404, 408, 425, 429}
MAX_REASON = 480


class LrsUnreachable(UserError):
    """The LRS did not answer (down, wrong address, or refusing our credentials)."""


@dataclass
class PushReport:
    sent: int = 0
    rejected: int = 0
    retry: int = 0
    problem: str | None = None  # why the push stopped early (LRS down, credentials)
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Answer:
    status: int | None  # None: no answer at all
    text: str


def backoff_seconds(tries: int) -> int:
    """How long to wait after the ``tries``-th failure: 30 s, 60 s, 120 s ... one hour."""
    return int(min(LONGEST_WAIT_S, FIRST_WAIT_S * 2 ** max(0, min(tries - 1, 20))))


def _request(cfg: LrsConfig, method: str, url: str, body: bytes | None = None) -> _Answer:
    request = urllib.request.Request(url, data=body, method=method, headers=cfg.headers())
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            return _Answer(response.status, response.read(4096).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        text = exc.read(4096).decode("utf-8", "replace") if exc.fp else ""
        return _Answer(exc.code, text)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return _Answer(None, str(reason) or type(exc).__name__)


def _reason(answer: _Answer) -> str:
    detail = answer.text.strip()
    try:
        parsed = json.loads(detail)
        if isinstance(parsed, dict) and "detail" in parsed:
            detail = (
                json.dumps(parsed["detail"])
                if not isinstance(parsed["detail"], str)
                else (parsed["detail"])
            )
    except ValueError:
        pass
    line = " ".join(detail.split())
    label = f"LRS answered {answer.status}" if answer.status else "no answer from the LRS"
    return f"{label}: {line}"[:MAX_REASON] if line else label


def check_lrs(cfg: LrsConfig | None = None) -> str:
    """Check the LRS answers and takes our credentials; returns what it said, or raises.

    Asks ``about`` (xAPI 1.0.3); an LRS without it (Ralph) is asked for one statement.
    """
    cfg = cfg or lrs_config()
    answer = _request(cfg, "GET", cfg.about_url)
    if answer.status == 200:
        try:
            versions = json.loads(answer.text).get("version") or []
            return "xAPI " + ", ".join(str(v) for v in versions)
        except (ValueError, AttributeError):
            pass
    if answer.status is not None and answer.status not in (401, 403):
        answer = _request(cfg, "GET", cfg.statements_url + "?limit=1")
    if answer.status is None:
        raise LrsUnreachable(f"Cannot reach the LRS at {cfg.url}: {answer.text}.")
    if answer.status == 401:
        raise LrsUnreachable(
            f"The LRS at {cfg.url} refused the credentials (LRS_USERNAME, LRS_PASSWORD)."
        )
    if answer.status == 403:
        return "it takes our credentials (reading is not allowed to them)"
    if answer.status != 200:
        raise LrsUnreachable(
            f"The LRS at {cfg.url} answered {answer.status}: is LRS_URL its xAPI address "
            "(usually ending in /xAPI/)?"
        )
    return "it takes our credentials"


def _claim(row_id: int, now: dt.datetime) -> bool:
    with write_session() as session:
        result = session.exec(
            update(LearningRecord)
            .where(col(LearningRecord.id) == row_id)
            .where(col(LearningRecord.status) == "pending")
            .where(
                or_(
                    col(LearningRecord.lease_until).is_(None),
                    col(LearningRecord.lease_until) < now,
                )
            )
            .values(lease_until=now + dt.timedelta(seconds=LEASE_S))
        )
        return result.rowcount == 1


def _settle(row_id: int, **values) -> None:
    with write_session() as session:
        session.exec(
            update(LearningRecord)
            .where(col(LearningRecord.id) == row_id)
            .values(lease_until=None, **values)
        )


def _due(now: dt.datetime, limit: int) -> list[tuple[int, str, int, dict]]:
    with read_session() as session:
        rows = session.exec(
            select(LearningRecord)
            .where(col(LearningRecord.status) == "pending")
            .where(col(LearningRecord.next_try_at) <= now)
            .order_by(col(LearningRecord.id))
            .limit(limit)
        ).all()
        return [(r.id or 0, r.statement_id, r.tries, dict(r.statement or {})) for r in rows]


def push(*, limit: int = 500, now: dt.datetime | None = None) -> PushReport:
    """Send what is due at ``now`` (at most ``limit``); stops once the LRS seems down.

    Raises :class:`LrsNotConfigured` or a SettingsError for a bad LRS_URL.
    """
    cfg = lrs_config()
    report = PushReport()
    for row_id, sid, tries, statement in _due(now or utcnow(), limit):
        moment = utcnow()  # ``now`` only chooses what is due; leases and waits are real time
        if not _claim(row_id, moment):
            continue  # another sender has it
        answer = _request(
            cfg,
            "PUT",
            f"{cfg.statements_url}?statementId={quote(sid)}",
            json.dumps(statement, separators=(",", ":")).encode("utf-8"),
        )
        if answer.status is not None and 200 <= answer.status < 300:
            _settle(row_id, status="sent", sent_at=utcnow(), tries=tries + 1, last_error=None)
            report.sent += 1
            continue
        reason = _reason(answer)
        if answer.status is None or answer.status in RETRY_STATUSES or answer.status >= 500:
            wait = backoff_seconds(tries + 1)
            _settle(
                row_id,
                tries=tries + 1,
                next_try_at=moment + dt.timedelta(seconds=wait),
                last_error=reason,
            )
            report.retry += 1
            report.problem = reason
            break  # the LRS is down or refusing us: the rest waits for the next round
        _settle(row_id, status="rejected", tries=tries + 1, last_error=reason)
        report.rejected += 1
        report.details.append(f"{sid}: {reason}")
    return report


def replay(*, since: dt.datetime, include_sent: bool = True) -> int:
    """Queue statements recorded since ``since`` to be sent again (rejected ones too).

    Their ids do not change, so the LRS keeps one copy of each.
    """
    statuses = ["rejected", "sent", "pending"] if include_sent else ["rejected", "pending"]
    with write_session() as session:
        result = session.exec(
            update(LearningRecord)
            .where(col(LearningRecord.created_at) >= since)
            .where(col(LearningRecord.status).in_(statuses))
            .values(status="pending", next_try_at=utcnow(), lease_until=None, tries=0)
        )
        return int(result.rowcount or 0)


# ------------------------------------------------------------------ the background sender


class BackgroundSender:
    """A daemon thread of the web server that pushes every ``interval`` seconds.

    After a failed round it waits longer (doubling, up to ten minutes); a good round
    brings it back to ``interval``. ``stop()`` ends it at the next wait.
    """

    def __init__(self, interval: float) -> None:
        self.interval = max(1.0, float(interval))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lrs-sender", daemon=True)
        self.last_problem: str | None = None

    def start(self) -> BackgroundSender:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.wait(wait):
            try:
                report = push()
            except LrsNotConfigured:
                wait = self.interval
                continue
            except (SettingsError, UserError) as exc:
                report = PushReport(problem=str(exc))
            except Exception as exc:  # a database hiccup must not end the thread
                log.warning("lrs sender: %s: %s", type(exc).__name__, exc)
                report = PushReport(problem=f"{type(exc).__name__}: {exc}")
            if report.problem:
                if report.problem != self.last_problem:
                    log.warning("lrs sender: %s", report.problem)
                self.last_problem = report.problem
                wait = min(600.0, wait * 2)
            else:
                self.last_problem = None
                wait = self.interval


def start_background_sender() -> BackgroundSender | None:
    """Start the sender if an LRS is set up and LRS_SEND_SECONDS is not 0."""
    from app.settings import get_settings

    settings = get_settings()
    if not settings.lrs_url.strip() or settings.lrs_send_seconds <= 0:
        return None
    return BackgroundSender(settings.lrs_send_seconds).start()
