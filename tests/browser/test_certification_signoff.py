"""Sign-off, the certificate PDF and the public verify page in real Chromium.

- A supervisor signs off a passed exam after opening one of its calls (the replay opens
  in a dialog; the sign-off asks them to confirm a statement).
- The certificate PDF, rendered to PNG with pypdfium2, prints the absolute verify
  address (the live server's ``PUBLIC_URL``) and a QR code that decodes to it; the
  decoded address opens the verify page, which says the certificate is valid.
- The verify page refuses the 31st lookup in a minute from one address, across two
  browser contexts (the count is in the database, not in the browser session).
- Screenshots of the sign-off and of the equity audit go to ``test-artifacts/``.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlmodel import delete

from tests.browser.conftest import ARTIFACTS, ROOT
from tests.browser.exam_support import exam_ready_trainee, finish_exam
from tests.conftest import require_or_skip


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


pytestmark = pytest.mark.browser

TRACK = "community-responder-screening"
HOLDER = "Casey Signoff"


@pytest.fixture(scope="module")
def passed_exam(live_server) -> Iterator[dict]:
    """A new trainee of the demo agency with a finished, passed exam awaiting sign-off,
    made through the services (``exam_ready_trainee``: lessons and 20 practice calls; then
    the exam answered like the expert). Disabled afterwards, so the cohort the other tests
    count is as it was."""
    from app.services import certification
    from app.store.db import use_database

    with exam_ready_trainee(live_server, "signoff", name=HOLDER, seed=7) as trainee:
        with use_database(live_server.env["DATABASE_URL"]):
            exam_id = certification.start_exam(
                actor=trainee.actor, track_id=TRACK, rng=random.Random(5)
            )
        state = finish_exam(live_server, trainee, exam_id)
        assert state["outcome"]["passed"], state["outcome"]
        yield {"exam_id": exam_id, "user_id": trainee.user_id}


def _shot(server, page, name: str) -> None:
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 2000"
    )
    page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 40, 1000), 6000)})
    server.wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True, animations="disabled")
    page.set_viewport_size({"width": 1400, "height": 1000})


def _pick(page, label: str, option_text: str) -> None:
    """Choose the option of a Streamlit selectbox that contains ``option_text``."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option").filter(has_text=option_text).first.click()


def _attestation(server, exam_id: int) -> dict | None:
    from app.store.db import read_session, use_database
    from app.store.models import Exam

    with use_database(server.env["DATABASE_URL"]), read_session() as session:
        return session.get(Exam, exam_id).signoff_attestation


def test_supervisor_signs_off_after_opening_a_call_and_the_pdf_verifies(
    live_server, passed_exam, page
):
    pdfium, zxingcpp = pdf_tools()

    live_server.login(page, "supervisor")
    page.get_by_role("link", name="Certifications").click()
    live_server.wait_idle(page)
    _pick(page, re.compile("Passed exams waiting for your sign-off"), HOLDER)
    live_server.wait_idle(page)

    sign = page.get_by_role("button", name=re.compile("Sign off…"))
    expect(sign).to_be_disabled()  # no call opened yet
    opens = page.get_by_role("button", name=re.compile("Open call"))
    expect(opens).to_have_count(10)
    opens.nth(1).click()  # call 2: its replay opens in a dialog
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("What the trainee did, second by second")).to_be_visible()
    expect(dialog.get_by_text("The trainee's answer beside the expert key")).to_be_visible()
    live_server.wait_idle(page)
    _shot(live_server, page, "supervisor-signoff-replay.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    expect(page.get_by_text("You opened call 2 of 10.")).to_be_visible()
    expect(sign).to_be_enabled()
    sign.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("I have reviewed", exact=False)).to_be_visible()
    issue = dialog.get_by_role("button", name=re.compile("Sign off and issue certificate"))
    expect(issue).to_be_disabled()  # until the statement is confirmed
    dialog.get_by_text("I confirm this statement").click()
    expect(issue).to_be_enabled()
    _shot(live_server, page, "supervisor-signoff-confirm.png")
    issue.click()
    live_server.wait_idle(page)
    notice = page.get_by_text(re.compile(f"Certificate issued to {HOLDER}: code "))
    expect(notice).to_be_visible()
    code = re.search(r"code ([A-Z0-9-]{14})", notice.inner_text()).group(1)
    attestation = _attestation(live_server, passed_exam["exam_id"])
    assert attestation is not None and attestation["calls_opened"] == [2]
    assert HOLDER in attestation["statement"]
    _shot(live_server, page, "supervisor-signoff-done.png")

    # The new certificate: no renewal warning, and its PDF.
    page.get_by_role("tab", name="Certificates").click()
    live_server.wait_idle(page)
    _pick(page, "Certificate", code)
    live_server.wait_idle(page)
    certs = page.get_by_role("tabpanel", name="Certificates")
    expect(certs.get_by_text("Renewal opens on", exact=False)).to_be_visible()
    expect(certs).not_to_contain_text("critical error")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Certificate \\(PDF\\)")).click()
    pdf = open(download.value.path(), "rb").read()  # noqa: SIM115 - a small file
    url = f"{live_server.base_url}/verify?code={code}"
    sheet = pdfium.PdfDocument(pdf)[0]
    assert url in " ".join(sheet.get_textpage().get_text_range().split())
    image = sheet.render(scale=3).to_pil()
    image.save(ARTIFACTS / "certificate-pdf.png")
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]

    # The QR code's address opens the public page, which checks the code on arrival.
    page.goto(url)
    live_server.wait_idle(page)
    expect(page.get_by_text("Valid certificate, until", exact=False)).to_be_visible()
    expect(page.get_by_text(HOLDER)).to_be_visible()


def _clear_lookups(server) -> None:
    from app.store.db import use_database, write_session
    from app.store.models import VerifyLookup

    with use_database(server.env["DATABASE_URL"]), write_session() as session:
        session.exec(delete(VerifyLookup))


def _check(server, page, code: str) -> None:
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name=re.compile("Check")).click()
    server.wait_idle(page)


def _add_lookups_like_the_last(server, count: int) -> None:
    """``count`` more lookups, just now, from the address of the last one recorded."""
    from sqlmodel import col, select

    from app.store.db import use_database, write_session
    from app.store.models import VerifyLookup, utcnow

    with use_database(server.env["DATABASE_URL"]), write_session() as session:
        last = session.exec(select(VerifyLookup).order_by(col(VerifyLookup.id).desc())).first()
        assert last is not None, "the browser's lookup was not recorded"
        session.add_all(VerifyLookup(address=last.address, at=utcnow()) for _ in range(count))


def test_verify_refuses_the_31st_lookup_in_a_minute_across_two_contexts(live_server, browser):
    _clear_lookups(live_server)  # other tests on this server looked codes up too
    code = "2345-6789-ABCD"  # well formed, unknown
    first = browser.new_context(viewport={"width": 1400, "height": 1000})
    second = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        pages = [first.new_page(), second.new_page()]
        for page in pages:
            page.goto(f"{live_server.base_url}/verify")
            live_server.wait_idle(page)
        # 30 lookups in all: 5 from the first browser, 20 more from its address added
        # straight to the database (30 clicks can take longer than the minute the limit
        # counts, on a busy machine), then 5 from the second browser.
        for number in range(10):
            page = pages[0] if number < 5 else pages[1]
            _check(live_server, page, code)
            expect(page.get_by_text("No certificate with this code was found.")).to_be_visible()
            expect(page.get_by_text("Too many checks", exact=False)).to_have_count(0)
            if number == 4:
                _add_lookups_like_the_last(live_server, 20)
        # The 31st, from the second browser (a session of its own), is refused.
        _check(live_server, pages[1], code)
        expect(pages[1].get_by_text("Too many checks", exact=False)).to_be_visible()
        expect(pages[1].get_by_text("No certificate with this code was found.")).to_have_count(0)
        # So is the next from the first browser: the limit is per address, not per session.
        _check(live_server, pages[0], code)
        expect(pages[0].get_by_text("Too many checks", exact=False)).to_be_visible()
        pages[1].screenshot(path=str(ARTIFACTS / "verify-throttled.png"), full_page=True)
    finally:
        first.close()
        second.close()
        _clear_lookups(live_server)


SEED = (
    "from app.services.accounts import get_agency_by_slug\n"
    "from app.services.demo_activity import seed_demo_activity\n"
    "from app.store.db import read_session\n"
    "with read_session() as s:\n"
    "    agency = get_agency_by_slug(session=s, slug='riverside').id\n"
    "print(seed_demo_activity(agency))\n"
)


def test_equity_audit_in_plain_words(live_server, page):
    subprocess.run(
        [sys.executable, "-c", SEED], cwd=ROOT, env=live_server.env, check=True, timeout=600
    )
    live_server.login(page, "supervisor")
    page.get_by_role("link", name="Equity audit").click()
    live_server.wait_idle(page)
    expect(page.get_by_text("What differs between the two versions")).to_be_visible()
    expect(page.get_by_text("Trainees flagged")).to_be_visible()
    main = page.locator("[data-testid='stMain']")
    expect(main).not_to_contain_text("cluster-robust")
    expect(main).not_to_contain_text("sign test")
    _shot(live_server, page, "supervisor-equity-audit.png")
