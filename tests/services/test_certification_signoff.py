"""Sign-off with an attestation, a fresh certificate's renewal state, the verify page's
rate limit kept in the database and the certificate's absolute address and QR code.

On SQLite and PostgreSQL (the ``database`` fixture).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from app.core import certification as core
from app.errors import AccessDenied, NotFound, UserError
from app.services import certification
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import Attempt, AuditEntry, Exam, VerifyLookup
from tests.conftest import require_or_skip
from tests.services.test_certification import passed_exam


def pdf_tools():
    """pypdfium2 (PDF to image) and zxing-cpp (QR decoding), both in the ``test`` extra."""
    try:
        import pypdfium2
        import zxingcpp
    except ImportError:
        pypdfium2 = zxingcpp = None
    require_or_skip(
        zxingcpp is not None and pypdfium2 is not None,
        "pypdfium2 and zxing-cpp are needed (pip install -e '.[test]')",
    )
    return pypdfium2, zxingcpp


def _exam(exam_id: int) -> Exam:
    with read_session() as session:
        return session.get(Exam, exam_id)


def test_sign_off_needs_the_statement_and_an_opened_call(database, world):
    supervisor = world["supervisor-a"]
    _, exam_id, _ = passed_exam(world)
    with pytest.raises(UserError, match="Confirm the statement"):
        certification.sign_off(actor=supervisor, exam_id=exam_id, calls_opened=[1])
    with pytest.raises(UserError, match="Open at least one"):
        certification.sign_off(actor=supervisor, exam_id=exam_id, attested=True)
    # Numbers that are not calls of this exam do not count as opened.
    with pytest.raises(UserError, match="Open at least one"):
        certification.sign_off(
            actor=supervisor, exam_id=exam_id, attested=True, calls_opened=[0, 11]
        )
    # Role and agency are checked before anything else.
    with pytest.raises(AccessDenied):
        certification.sign_off(
            actor=world["trainer-a"], exam_id=exam_id, attested=True, calls_opened=[1]
        )
    with pytest.raises(NotFound):
        certification.sign_off(
            actor=world["supervisor-b"], exam_id=exam_id, attested=True, calls_opened=[1]
        )
    with pytest.raises(NotFound):
        certification.sign_off_statement(actor=world["supervisor-b"], exam_id=exam_id)
    assert _exam(exam_id).signed_off_at is None  # nothing half done

    statement = certification.sign_off_statement(actor=supervisor, exam_id=exam_id)
    assert "Trainee A" in statement and "10 calls" in statement
    cert = certification.sign_off(
        actor=supervisor, exam_id=exam_id, attested=True, calls_opened=[7, 2, 2, 99]
    )
    exam = _exam(exam_id)
    assert exam.signed_off_by == supervisor.user_id and exam.signed_off_at is not None
    assert exam.signoff_attestation["statement"] == statement
    assert exam.signoff_attestation["calls_opened"] == [2, 7]
    assert exam.signoff_attestation["calls"] == 10
    assert exam.signoff_attestation["by"] == supervisor.user_id
    with read_session() as session:
        entry = session.exec(
            select(AuditEntry)
            .where(AuditEntry.event == "sign_off")
            .where(AuditEntry.subject == f"exam:{exam_id}")
        ).one()
    assert entry.actor_id == supervisor.user_id
    assert entry.payload["statement"] == statement
    assert entry.payload["calls_opened"] == [2, 7]
    review = certification.exam_review(actor=supervisor, exam_id=exam_id)
    assert review["attestation"]["calls_opened"] == [2, 7]
    assert review["signed_off_by"] == supervisor.display_name
    # Every call of the review carries the attempt the replay opens.
    assert all(c["attempt_id"] for c in review["calls"]) and len(review["calls"]) == 10
    assert cert["verify_url"].endswith(f"/verify?code={cert['code']}")


def test_a_fresh_certificate_shows_no_renewal_warning(database, world):
    supervisor = world["supervisor-a"]
    trainee, exam_id, _ = passed_exam(world)
    # One practice call before the exam had an unsafe dispatch.
    with write_session() as session:
        first = session.exec(
            select(Attempt.id)
            .where(Attempt.user_id == trainee.user_id)
            .where(col(Attempt.exam_id).is_(None))
            .order_by(Attempt.id)
        ).first()
        session.exec(update(Attempt).where(Attempt.id == first).values(unsafe=True))
    cert = certification.sign_off(
        actor=supervisor, exam_id=exam_id, attested=True, calls_opened=[1]
    )
    [item] = certification.list_certificates(actor=supervisor)
    renewal = item["renewal"]
    assert renewal["window"] == "not_yet" and not renewal["eligible"]
    assert len(renewal["reasons"]) == 1 and renewal["reasons"][0].startswith("Renewal opens on")
    assert renewal["calls"] == 0 and renewal["unsafe"] == 0  # practice before issue is not counted
    # When the window opens, the practice before the certificate still does not count.
    later = core.as_utc(renewal["opens_at"]) + dt.timedelta(days=1)
    [item] = certification.list_certificates(actor=supervisor, now=later)
    assert item["renewal"]["window"] == "open"
    assert not any("critical" in r for r in item["renewal"]["reasons"])
    assert cert["status"] == "valid"


def test_verify_lookups_are_limited_per_address_in_the_database(database, world):
    supervisor = world["supervisor-a"]
    _, exam_id, _ = passed_exam(world)
    cert = certification.sign_off(
        actor=supervisor, exam_id=exam_id, attested=True, calls_opened=[1]
    )
    now = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
    limit = certification.LOOKUPS_PER_MINUTE
    assert limit == 30
    for i in range(limit):
        at = now + dt.timedelta(seconds=i)
        result = certification.verify_lookup(cert["code"], client_address="203.0.113.9", now=at)
        assert result["found"]
    with pytest.raises(certification.TooManyLookups):
        certification.verify_lookup(
            cert["code"], client_address="203.0.113.9", now=now + dt.timedelta(seconds=40)
        )
    # Another address is not affected; the same IPv6 /64 shares one limit.
    assert certification.verify_lookup("nothing", client_address="198.51.100.7", now=now) == {
        "found": False
    }
    for i in range(limit):
        certification.verify_lookup("x", client_address=f"2001:db8:1:2::{i + 1:x}", now=now)
    with pytest.raises(certification.TooManyLookups):
        certification.verify_lookup("x", client_address="2001:db8:1:2::ffff", now=now)
    # A minute after the first lookups, the address may look up again.
    again = now + dt.timedelta(seconds=61)
    assert certification.verify_lookup(cert["code"], client_address="203.0.113.9", now=again)[
        "found"
    ]
    with read_session() as session:
        rows = session.exec(select(VerifyLookup).where(VerifyLookup.address == "203.0.113.9"))
        assert len(rows.all()) == limit + 1  # a refused lookup is not recorded


def test_old_lookup_rows_are_deleted(database):
    now = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
    certification.verify_lookup("x", client_address="203.0.113.1", now=now)
    certification.verify_lookup("x", client_address="203.0.113.2", now=now + dt.timedelta(days=2))
    with read_session() as session:
        assert [r.address for r in session.exec(select(VerifyLookup)).all()] == ["203.0.113.2"]


def test_certificate_pdf_has_the_absolute_address_and_a_qr_code(database, world, monkeypatch):
    pdfium, zxingcpp = pdf_tools()
    monkeypatch.setenv("PUBLIC_URL", "https://academy.example.org/")
    get_settings.cache_clear()
    try:
        supervisor = world["supervisor-a"]
        _, exam_id, _ = passed_exam(world)
        cert = certification.sign_off(
            actor=supervisor, exam_id=exam_id, attested=True, calls_opened=[1]
        )
        url = f"https://academy.example.org/verify?code={cert['code']}"
        assert cert["verify_url"] == url
        pdf = certification.certificate_pdf(actor=supervisor, certificate_id=cert["certificate_id"])
    finally:
        monkeypatch.delenv("PUBLIC_URL")
        get_settings.cache_clear()
    page = pdfium.PdfDocument(pdf)[0]
    assert url in " ".join(page.get_textpage().get_text_range().split())
    image = page.render(scale=3).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]


def test_without_public_url_the_pdf_has_the_path_and_no_qr_code(database, world):
    pdfium, zxingcpp = pdf_tools()
    supervisor = world["supervisor-a"]
    _, exam_id, _ = passed_exam(world)
    cert = certification.sign_off(
        actor=supervisor, exam_id=exam_id, attested=True, calls_opened=[1]
    )
    pdf = certification.certificate_pdf(actor=supervisor, certificate_id=cert["certificate_id"])
    page = pdfium.PdfDocument(pdf)[0]
    assert f"/verify?code={cert['code']}" in page.get_textpage().get_text_range()
    assert zxingcpp.read_barcodes(page.render(scale=3).to_pil()) == []
