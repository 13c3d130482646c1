"""Certificates as plain data, their PDF, and the public verification of a code."""

from __future__ import annotations

import datetime as dt
import zlib
from typing import NotRequired, TypedDict

from sqlalchemy import text
from sqlmodel import Session, col, delete, func, select

from app.core import certification as core
from app.core.certificate_pdf import CertificateInfo, render_certificate_pdf
from app.errors import NotFound, UserError
from app.services.access import Actor, can, require
from app.services.accounts import address_key
from app.services.certification.common import _track_title, verification_path, verification_url
from app.store.db import read_session, write_session
from app.store.models import Agency, Certificate, User, VerifyLookup, row_id, utcnow

# ------------------------------------------------------------------ certificates (shared)


class CertificateRow(TypedDict):
    """A certificate as the trainee's and the supervisor's pages show it."""

    certificate_id: int
    user_id: int
    holder: str  # display name
    track: str  # track id
    title: str  # the track's title (its id when the track file is gone)
    code: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_reason: str | None
    status: str  # "valid", "expired" or "revoked", as of the time asked
    verify_path: str
    verify_url: str  # absolute when PUBLIC_URL is set


def _cert_dict(cert: Certificate, holder: str, now: dt.datetime) -> CertificateRow:
    return CertificateRow(
        certificate_id=row_id(cert),
        user_id=cert.user_id,
        holder=holder,
        track=cert.track,
        title=_track_title(cert.track),
        code=cert.code,
        issued_at=cert.issued_at,
        expires_at=cert.expires_at,
        revoked_at=cert.revoked_at,
        revoked_reason=cert.revoked_reason,
        status=core.certificate_status(cert.expires_at, cert.revoked_at, now),
        verify_path=verification_path(cert.code),
        verify_url=verification_url(cert.code),
    )


def my_certificates(*, actor: Actor, now: dt.datetime | None = None) -> list[CertificateRow]:
    """The trainee's own certificates with their status."""
    require(actor, "exam")
    now = now or utcnow()
    with read_session() as session:
        rows = session.exec(
            select(Certificate)
            .where(Certificate.user_id == actor.user_id)
            .where(Certificate.agency_id == actor.agency_id)
            .order_by(col(Certificate.issued_at).desc())
        ).all()
    name = actor.display_name or actor.username
    return [_cert_dict(c, name, now) for c in rows]


def certificate_pdf(*, actor: Actor, certificate_id: int) -> bytes:
    """The certificate as a PDF: its holder, or a supervisor/admin of the agency."""
    if not (can(actor, "exam") or can(actor, "revoke")):
        require(actor, "revoke")  # raises with the usual message
    with read_session() as session:
        query = (
            select(Certificate, User.display_name, Agency.name)
            .join(User, col(User.id) == Certificate.user_id)
            .join(Agency, col(Agency.id) == Certificate.agency_id)
            .where(Certificate.id == certificate_id)
            .where(Certificate.agency_id == actor.agency_id)
        )
        if actor.role == "trainee":
            query = query.where(Certificate.user_id == actor.user_id)
        row = session.exec(query).first()
    if row is None:
        raise NotFound("There is no such certificate.")
    cert, holder, agency_name = row
    return render_certificate_pdf(
        CertificateInfo(
            holder=holder,
            agency=agency_name,
            track=_track_title(cert.track),
            issued_at=cert.issued_at,
            expires_at=cert.expires_at,
            code=cert.code,
            verify_url=verification_url(cert.code),
            status=core.certificate_status(cert.expires_at, cert.revoked_at, utcnow()),
        )
    )


# ------------------------------------------------------------------ public verification

LOOKUPS_PER_MINUTE = 30  # per client address; the 31st in a minute is refused
LOOKUP_WINDOW = dt.timedelta(minutes=1)
LOOKUP_ROWS_KEPT = dt.timedelta(days=1)
UNKNOWN_ADDRESS = "unknown"  # no address (AppTest, a misconfigured proxy): one shared limit


class TooManyLookups(UserError):
    """The client address has used up its lookups for the minute."""


def _count_lookup(session: Session, address: str, now: dt.datetime) -> bool:
    """Record one lookup for the address if it is under its limit; False when refused.

    The rows are in the database (``verifylookup``), so the limit holds across browser
    sessions and replicas. On PostgreSQL a transaction-scoped advisory lock per address
    keeps two replicas from both letting the 31st through; SQLite's write transactions
    (BEGIN IMMEDIATE) are one at a time already.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"verify:{address}".encode())
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    recent = session.exec(
        select(func.count())
        .select_from(VerifyLookup)
        .where(VerifyLookup.address == address)
        .where(VerifyLookup.at > now - LOOKUP_WINDOW)
    ).one()
    if recent >= LOOKUPS_PER_MINUTE:
        return False
    session.exec(delete(VerifyLookup).where(col(VerifyLookup.at) < now - LOOKUP_ROWS_KEPT))
    session.add(VerifyLookup(address=address, at=now))
    return True


class VerifyResult(TypedDict):
    """The public check of a code: only ``found`` (False) for an unknown code."""

    found: bool
    code: NotRequired[str]
    status: NotRequired[str]  # "valid", "expired" or "revoked"
    holder: NotRequired[str]  # display name
    agency: NotRequired[str]
    track: NotRequired[str]  # the track's title
    issued_on: NotRequired[dt.date]
    expires_on: NotRequired[dt.date]
    revoked_on: NotRequired[dt.date | None]


def verify_lookup(
    code: str, *, client_address: str | None, now: dt.datetime | None = None
) -> VerifyResult:
    """The public verify page's lookup: counted against the client address first.

    At most :data:`LOOKUPS_PER_MINUTE` lookups per address in any minute (an IPv6 client
    counts by its /64 network, as for failed logins); past that :class:`TooManyLookups`
    is raised and the code is not looked at.
    """
    now = now or utcnow()
    address = address_key(client_address) or UNKNOWN_ADDRESS
    with write_session() as session:
        allowed = _count_lookup(session, address, now)
    if not allowed:
        raise TooManyLookups("Too many checks in a short time. Please wait a minute and try again.")
    return verify_certificate(code, now=now)


def verify_certificate(code: str, *, now: dt.datetime | None = None) -> VerifyResult:
    """Public check of a verification code (no login).

    Unknown or malformed codes give ``{"found": False}`` and nothing else. A known code
    gives its status, holder, agency, track and dates, and no internal ids.
    """
    normalized = core.normalize_code(code)
    if normalized is None:
        return VerifyResult(found=False)
    with read_session() as session:
        row = session.exec(
            select(Certificate, User.display_name, Agency.name)
            .join(User, col(User.id) == Certificate.user_id)
            .join(Agency, col(Agency.id) == Certificate.agency_id)
            .where(Certificate.code == normalized)
        ).first()
    if row is None:
        return VerifyResult(found=False)
    cert, holder, agency_name = row
    now = now or utcnow()
    return VerifyResult(
        found=True,
        code=cert.code,
        status=core.certificate_status(cert.expires_at, cert.revoked_at, now),
        holder=holder,
        agency=agency_name,
        track=_track_title(cert.track),
        issued_on=core.as_utc(cert.issued_at).date(),
        expires_on=core.as_utc(cert.expires_at).date(),
        revoked_on=core.as_utc(cert.revoked_at).date() if cert.revoked_at else None,
    )
