"""A certificate's life after sign-off: the agency's list with renewal state,
revocation, renewal through continuing practice and the expiry events.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from sqlmodel import Session, col, select

from app.core import certification as core
from app.core.safe_text import strip_bidi
from app.errors import NotFound, UserError
from app.services import audit
from app.services.access import Actor, require
from app.services.certification.certificates import CertificateRow, _cert_dict
from app.services.certification.common import _iso, all_tracks, get_track
from app.services.lrs import outbox as learning_records
from app.services.scope import actor_agency
from app.store.db import read_session, write_session
from app.store.models import Attempt, AuditEntry, Certificate, User, utcnow

MAX_REASON = 500


# ------------------------------------------------------------------ supervisor (certificates)


def _agency_cert(session: Session, actor: Actor, certificate_id: int) -> Certificate:
    cert = session.exec(
        select(Certificate)
        .where(Certificate.id == certificate_id)
        .where(Certificate.agency_id == actor.agency_id)
        .with_for_update()
    ).first()
    if cert is None:
        raise NotFound("There is no such certificate in your agency.")
    return cert


def revoke(*, actor: Actor, certificate_id: int, reason: str) -> CertificateRow:
    """Revoke a certificate with a reason (kept with it and in the audit log)."""
    require(actor, "revoke")
    reason = " ".join(strip_bidi(str(reason or "")).split())
    if len(reason) < 5:
        raise UserError("Give the reason for the revocation (a few words at least).")
    if len(reason) > MAX_REASON:
        raise UserError(f"The reason is too long (at most {MAX_REASON} characters).")
    with write_session() as session:
        cert = _agency_cert(session, actor, certificate_id)
        if cert.revoked_at is not None:
            raise UserError("This certificate is already revoked.")
        now = utcnow()
        cert.revoked_at = now
        cert.revoked_reason = reason
        cert.revoked_by = actor.user_id
        session.add(cert)
        session.flush()
        learning_records.certificate_changed(session, cert, "revoked")  # xAPI outbox
        audit.append(
            session,
            event="revoked",
            subject=f"certificate:{cert.id}",
            payload={"user_id": cert.user_id, "reason": reason, "revoked_at": _iso(now)},
            agency_id=cert.agency_id,
            actor_id=actor.user_id,
        )
        holder = session.get(User, cert.user_id)
        return _cert_dict(cert, holder.display_name if holder else "?", now)


def _practice_calls(
    session: Session, agency_id: int, user_ids: list[int], since: dt.datetime
) -> dict[int, list[core.PracticeCall]]:
    rows = session.exec(
        select(Attempt.user_id, Attempt.submitted_at, Attempt.score, Attempt.unsafe)
        .where(Attempt.agency_id == agency_id)
        .where(col(Attempt.user_id).in_(user_ids or [-1]))
        .where(Attempt.status == "submitted")
        .where(col(Attempt.exam_id).is_(None))
        .where(col(Attempt.submitted_at) >= since)
    ).all()
    out: dict[int, list[core.PracticeCall]] = {}
    for user_id, at, score, unsafe in rows:
        if at is None:  # never: the query asks for submitted attempts since a time
            continue
        out.setdefault(user_id, []).append(core.PracticeCall(at, int(score or 0), bool(unsafe)))
    return out


def _renewal(
    cert: Certificate, calls: list[core.PracticeCall], model: str, now: dt.datetime
) -> core.RenewalCheck:
    track = get_track(cert.track, model)
    return core.renewal_check(
        track,
        expires_at=cert.expires_at,
        revoked=cert.revoked_at is not None,
        calls=calls,
        now=now,
        issued_at=cert.issued_at,
    )


def _lookback_start(now: dt.datetime) -> dt.datetime:
    longest = max((t.renewal.lookback_months for t in all_tracks() if t.renewal), default=6)
    return core.add_months(core.as_utc(now), -longest)


class RenewalState(TypedDict):
    """Renewal through continuing practice (``core.RenewalCheck``) as of the time asked."""

    eligible: bool
    reasons: list[str]  # why not; empty when eligible
    opens_at: dt.datetime
    closes_at: dt.datetime
    calls: int  # practice calls counted
    average: float | None  # their average score; None without calls
    new_expires_at: dt.datetime  # the expiry a renewal now would give
    window: str  # "not_yet", "open", "closed", "none" (no renewal rule) or "revoked"
    unsafe: int  # counted calls with a critical error


class ListedCertificate(CertificateRow):
    renewal: RenewalState | None  # None: the track file was removed


def list_certificates(
    *, actor: Actor, status: str | None = None, now: dt.datetime | None = None
) -> list[ListedCertificate]:
    """The agency's certificates with status valid/expired/revoked and renewal state."""
    require(actor, "revoke")
    now = now or utcnow()
    with read_session() as session:
        agency = actor_agency(session, actor)
        rows = session.exec(
            select(Certificate, User.display_name)
            .join(User, col(User.id) == Certificate.user_id)
            .where(Certificate.agency_id == actor.agency_id)
            .order_by(col(Certificate.expires_at))
        ).all()
        calls = _practice_calls(
            session, actor.agency_id, sorted({c.user_id for c, _ in rows}), _lookback_start(now)
        )
    out: list[ListedCertificate] = []
    for cert, name in rows:
        item = _cert_dict(cert, name, now)
        if status and item["status"] != status:
            continue
        renewal: RenewalState | None
        try:
            check = _renewal(cert, calls.get(cert.user_id, []), agency.dispatch_model, now)
            renewal = RenewalState(
                eligible=check.eligible,
                reasons=list(check.reasons),
                opens_at=check.opens_at,
                closes_at=check.closes_at,
                calls=check.calls,
                average=check.average,
                new_expires_at=check.new_expires_at,
                window=check.window,
                unsafe=check.unsafe,
            )
        except NotFound:  # the track file was removed
            renewal = None
        out.append({**item, "renewal": renewal})
    return out


def renew(*, actor: Actor, certificate_id: int, now: dt.datetime | None = None) -> CertificateRow:
    """Extend a certificate by another validity period (recertification through
    continuing practice); the track's renewal rule must be met."""
    require(actor, "sign_off")
    now = now or utcnow()
    with write_session() as session:
        cert = _agency_cert(session, actor, certificate_id)
        agency = actor_agency(session, actor)
        calls = _practice_calls(session, cert.agency_id, [cert.user_id], _lookback_start(now))
        check = _renewal(cert, calls.get(cert.user_id, []), agency.dispatch_model, now)
        if not check.eligible:
            raise UserError("Cannot renew: " + " ".join(check.reasons))
        old = cert.expires_at
        cert.expires_at = check.new_expires_at
        session.add(cert)
        session.flush()
        learning_records.certificate_changed(session, cert, "renewed")  # xAPI outbox
        audit.append(
            session,
            event="renewed",
            subject=f"certificate:{cert.id}",
            payload={
                "user_id": cert.user_id,
                "old_expires_at": _iso(old),
                "new_expires_at": _iso(check.new_expires_at),
                "practice_calls": check.calls,
                "average": check.average,
            },
            agency_id=cert.agency_id,
            actor_id=actor.user_id,
        )
        holder = session.get(User, cert.user_id)
        return _cert_dict(cert, holder.display_name if holder else "?", now)


def record_expiries(*, actor: Actor | None = None, now: dt.datetime | None = None) -> int:
    """Append an "expired" audit event for each certificate past its expiry date that
    has none yet for that date. With an actor: their agency only; without: every agency
    (``python -m app audit expire``). Returns how many events were written."""
    if actor is not None:
        require(actor, "audit")
    now = now or utcnow()
    written = 0
    with write_session() as session:
        query = (
            select(Certificate)
            .where(col(Certificate.revoked_at).is_(None))
            .where(Certificate.expires_at <= now)
        )
        if actor is not None:
            query = query.where(Certificate.agency_id == actor.agency_id)
        due = session.exec(query.order_by(col(Certificate.id))).all()
        if not due:
            return 0
        subjects = [f"certificate:{c.id}" for c in due]
        recorded = {
            (subject, (payload or {}).get("expires_at"))
            for subject, payload in session.exec(
                select(AuditEntry.subject, AuditEntry.payload)
                .where(AuditEntry.event == "expired")
                .where(col(AuditEntry.subject).in_(subjects))
            ).all()
        }
        for cert in due:
            subject = f"certificate:{cert.id}"
            if (subject, _iso(cert.expires_at)) in recorded:
                continue
            audit.append(
                session,
                event="expired",
                subject=subject,
                payload={"user_id": cert.user_id, "expires_at": _iso(cert.expires_at)},
                agency_id=cert.agency_id,
                actor_id=None,
            )
            written += 1
    return written
