"""Training records export: one CSV a records system can import (docs/records-export.md).

One row per trainee and certificate (a trainee without a certificate has one row with the
certificate columns empty). Every cell goes through ``app.core.safe_text.csv_bytes``, so
no name or reason can run as a spreadsheet formula.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from sqlalchemy import case, func
from sqlmodel import col, select

from app.core import certification as core
from app.core.safe_text import csv_bytes
from app.errors import NotFound
from app.services.access import Actor, require
from app.services.certification.common import verification_url
from app.store.db import read_session
from app.store.models import Agency, Attempt, Certificate, User, utcnow

FORMAT_VERSION = 1
COLUMNS = (
    "format",
    "agency",
    "username",
    "name",
    "email",
    "hours_on_calls",
    "practice_calls",
    "practice_passed",
    "practice_pass_rate",
    "exam_calls",
    "exam_calls_passed",
    "certificate_track",
    "certificate_code",
    "certificate_issued",
    "certificate_expires",
    "certificate_status",
    "certificate_verify_url",
    "exported_at",
)


def _date(value: dt.datetime | None) -> str:
    return core.as_utc(value).date().isoformat() if value is not None else ""


class RecordRow(TypedDict):
    """One CSV row: the keys are COLUMNS in order (meanings in docs/records-export.md).

    Without a certificate every certificate_* cell is ""."""

    format: str  # "callscreen-records/<FORMAT_VERSION>"
    agency: str  # slug
    username: str
    name: str
    email: str  # "" when none is recorded
    hours_on_calls: float  # two decimals
    practice_calls: int
    practice_passed: int
    practice_pass_rate: float | str  # 0 to 1, three decimals; "" without practice
    exam_calls: int
    exam_calls_passed: int
    certificate_track: str
    certificate_code: str
    certificate_issued: str  # YYYY-MM-DD, UTC
    certificate_expires: str  # YYYY-MM-DD, UTC
    certificate_status: str  # valid, expired or revoked on the export's day
    certificate_verify_url: str
    exported_at: str  # ISO 8601, UTC, seconds


def agency_rows(agency_id: int, *, now: dt.datetime | None = None) -> list[RecordRow]:
    """The export's rows for one agency's trainees (no access check: callers do it)."""
    now = now or utcnow()
    exported = core.as_utc(now).isoformat(timespec="seconds")
    with read_session() as session:
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise NotFound("There is no such agency.")
        trainees = session.exec(
            select(User)
            .where(col(User.agency_id) == agency_id)
            .where(col(User.role) == "trainee")
            .order_by(col(User.username))
        ).all()
        is_exam = col(Attempt.mode) == "exam"
        stats = {
            user_id: (seconds, practice, practice_passed, exam, exam_passed)
            for user_id, seconds, practice, practice_passed, exam, exam_passed in session.exec(
                select(  # type: ignore[call-overload]
                    col(Attempt.user_id),
                    func.coalesce(func.sum(Attempt.seconds), 0.0),
                    func.sum(case((is_exam, 0), else_=1)),
                    func.sum(case((is_exam, 0), (col(Attempt.passed).is_(True), 1), else_=0)),
                    func.sum(case((is_exam, 1), else_=0)),
                    func.sum(case((is_exam & col(Attempt.passed).is_(True), 1), else_=0)),
                )
                .where(col(Attempt.agency_id) == agency_id)
                .where(col(Attempt.status) == "submitted")
                .group_by(col(Attempt.user_id))
            ).all()
        }
        certificates: dict[int, list[Certificate]] = {}
        for row in session.exec(
            select(Certificate)
            .where(col(Certificate.agency_id) == agency_id)
            .order_by(col(Certificate.issued_at))
        ).all():
            certificates.setdefault(row.user_id, []).append(row)
    rows: list[RecordRow] = []
    for user in trainees:
        seconds, practice, passed, exam, exam_passed = stats.get(user.id or 0, (0.0, 0, 0, 0, 0))
        practice, passed = int(practice or 0), int(passed or 0)
        held: list[Certificate | None] = list(certificates.get(user.id or 0, []))
        for cert in held or [None]:
            rows.append(
                RecordRow(
                    format=f"callscreen-records/{FORMAT_VERSION}",
                    agency=agency.slug,
                    username=user.username,
                    name=user.display_name,
                    email=user.email or "",
                    hours_on_calls=round(float(seconds or 0) / 3600, 2),
                    practice_calls=practice,
                    practice_passed=passed,
                    practice_pass_rate=round(passed / practice, 3) if practice else "",
                    exam_calls=int(exam or 0),
                    exam_calls_passed=int(exam_passed or 0),
                    certificate_track=cert.track if cert else "",
                    certificate_code=cert.code if cert else "",
                    certificate_issued=_date(cert.issued_at) if cert else "",
                    certificate_expires=_date(cert.expires_at) if cert else "",
                    certificate_status=(
                        core.certificate_status(cert.expires_at, cert.revoked_at, now)
                        if cert
                        else ""
                    ),
                    certificate_verify_url=verification_url(cert.code) if cert else "",
                    exported_at=exported,
                )
            )
    return rows


def records_csv(*, actor: Actor, now: dt.datetime | None = None) -> bytes:
    """The supervisor's agency's records as CSV bytes."""
    require(actor, "analytics")
    return csv_bytes(agency_rows(actor.agency_id, now=now), columns=list(COLUMNS))


def agency_csv(slug: str, *, now: dt.datetime | None = None) -> bytes:
    """For the command line (run by whoever runs the server): one agency by its slug."""
    with read_session() as session:
        agency = session.exec(select(Agency).where(col(Agency.slug) == slug)).first()
    if agency is None or agency.id is None:
        raise NotFound(f"There is no agency '{slug}'.")
    return csv_bytes(agency_rows(agency.id, now=now), columns=list(COLUMNS))
