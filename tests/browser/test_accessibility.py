"""Accessibility in real Chromium: axe-core (WCAG 2.2 AA) on every page of every role, the
login, the call screen before and after Submit, an exam call, the editor and each supervisor
view; no request to another host and no console error on any of them; each role lands on
its home page; and a test of the test (a low-contrast caption is caught).

Uses the shared ``live_server`` fixture and Debian's chromium. The rules and the pinned
exceptions are in ``tests/browser/accessibility_audit.py``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.ui.navigation import HOME, pages_for
from tests.browser.accessibility_audit import Guard, audit
from tests.browser.test_exam_integrity import examinee  # noqa: F401 - a fixture
from tests.browser.test_supervisor_dashboard import seeded  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser

ROLES = ("trainee", "trainer", "supervisor", "admin")
HOME_TITLES = {
    "trainee": "My training",
    "trainer": "Scenario bank",
    "supervisor": "Cohort",
    "admin": "Users",
}


def _new_trainee(server, name: str) -> str:
    return server.create_user(name)


def _check(page, server, where: str, guard: Guard, report: dict[str, list[str]]) -> None:
    """Audit the page as it is now; keep what is wrong under ``where``."""
    server.wait_idle(page)
    expect(page.locator("[data-testid=stSpinner]")).to_have_count(0, timeout=30_000)
    problems = [str(f) for f in audit(page)] + guard.problems()
    guard.outside.clear()
    guard.errors.clear()
    if problems:
        report[where] = problems


def _fail_on(report: dict[str, list[str]]) -> None:
    if report:
        lines = [f"{where}:\n  " + "\n  ".join(found) for where, found in report.items()]
        pytest.fail("accessibility problems\n" + "\n".join(lines))


def _open(server, page, title: str) -> None:
    """Open a page from the menu, as a person would (an address typed in reloads the app)."""
    nav = page.locator("[data-testid=stSidebarNav]")
    link = nav.get_by_role("link", name=title, exact=True)
    more = nav.get_by_role("button", name=re.compile("View .*more", re.I))
    if not link.is_visible() and more.count():
        more.first.click()
    link.click()
    server.wait_idle(page)
    # A page opens with its title; "Take a call" with a call still open (another test of
    # the same server left one) opens straight on the call screen, which has none.
    page.locator(
        "[data-testid=stMain] h1, [data-testid=stMain] h2, .st-key-cs-decision"
    ).first.wait_for(timeout=30_000)


def test_the_login_and_the_public_pages(live_server, page):
    guard = Guard().attach(page)
    report: dict[str, list[str]] = {}
    page.goto(live_server.base_url)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    _check(page, live_server, "login", guard, report)
    page.get_by_role("button", name="Log in").click()  # empty form: the error message
    live_server.wait_idle(page)
    _check(page, live_server, "login with an error", guard, report)
    _open(live_server, page, "Verify a certificate")
    _check(page, live_server, "verify", guard, report)
    _fail_on(report)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_each_role(live_server, page, role, request):
    """Every page in the role's menu, as its demo user sees it, after landing on home.
    The supervisor's views are drawn with the demo practice history in them."""
    if role == "supervisor":
        request.getfixturevalue("seeded")
    guard = Guard().attach(page)
    report: dict[str, list[str]] = {}
    live_server.login(page, role)
    expect(page.get_by_role("heading", name=HOME_TITLES[role]).first).to_be_visible(timeout=30_000)
    current = page.locator("[data-testid=stSidebarNav] a[aria-current=page]")
    expect(current).to_contain_text(HOME_TITLES[role])
    _check(page, live_server, f"{role}: home", guard, report)
    for spec in pages_for(role):
        if spec.file == HOME[role]:
            continue
        _open(live_server, page, spec.title)
        _check(page, live_server, f"{role}: {spec.title}", guard, report)
    _fail_on(report)


def _names_without_escapes(page, scope: str) -> list[str]:
    """Accessible names of the scope's checkboxes, radios and buttons that hold a "\\"."""
    names = page.locator(scope).evaluate(
        """(root) => [...root.querySelectorAll("input, button")].map((el) =>
            el.getAttribute("aria-label") ||
            (el.closest("label") ? el.closest("label").innerText : el.innerText) || "")"""
    )
    return [n for n in names if "\\" in n]


def test_the_call_screen_before_and_after_submit(live_server, page):
    guard = Guard().attach(page)
    report: dict[str, list[str]] = {}
    live_server.login(page, _new_trainee(live_server, "a11y-call"))
    _open(live_server, page, "Take a call")
    _check(page, live_server, "take a call: start", guard, report)
    page.get_by_role("radio", name=re.compile("^Standard")).check(force=True)
    live_server.wait_idle(page)
    page.get_by_role("button", name="Start call").click()
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    _check(page, live_server, "call screen", guard, report)
    live_server.ring_back_if_dead(page)
    box = page.locator(".st-key-cs-ask input[type=text]")
    answers = page.evaluate("() => window.csAnswers || 0")
    box.fill("does anyone have a weapon")
    box.press("Enter")
    page.wait_for_function(f"() => (window.csAnswers || 0) > {answers}", timeout=30_000)
    live_server.wait_idle(page)
    toggle = page.get_by_role("checkbox", name="Show transcript")
    if toggle.count():  # a voice call; a text-to-911 chat (the call is random) is always shown
        toggle.check(force=True)
        live_server.wait_idle(page)
    expect(page.locator(".st-key-cs-transcript")).to_be_visible()
    _check(page, live_server, "call screen with an answer and the transcript", guard, report)
    audio = page.locator(".st-key-cs-listen audio")
    if audio.count():  # speech on: the player is named
        expect(audio.first).to_have_attribute("aria-label", "Caller's voice")
    assert _names_without_escapes(page, ".st-key-cs-decision") == []
    page.get_by_role("button", name="Submit call").click()  # nothing chosen: refused
    live_server.wait_idle(page)
    expect(page.locator(".st-key-cs-decision [data-testid=stAlert]")).to_have_count(1)
    _check(page, live_server, "call screen with a refusal", guard, report)
    page.get_by_role("combobox", name="Call type").click()
    page.keyboard.type("Welfare check")
    page.keyboard.press("Enter")
    live_server.wait_idle(page)
    page.locator(".st-key-cs-route input[type=radio]").first.check(force=True)
    live_server.wait_idle(page)
    page.get_by_role("button", name="Submit call").click()
    page.get_by_role("button", name="Next call").wait_for(timeout=30_000)
    _check(page, live_server, "feedback", guard, report)
    _fail_on(report)


def test_an_exam_call(live_server, examinee, page):  # noqa: F811 - the imported fixture
    guard = Guard().attach(page)
    report: dict[str, list[str]] = {}
    live_server.login(page, examinee.username)
    _open(live_server, page, "Certification exam")
    _check(page, live_server, "exam: before the start", guard, report)
    page.get_by_role("button", name="Start the exam", exact=True).click()
    page.get_by_role("button", name="Yes, start the exam").click()  # the confirmation
    page.get_by_text("Exam call 1 of").wait_for(timeout=60_000)
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    _check(page, live_server, "exam call", guard, report)
    assert _names_without_escapes(page, ".st-key-cs-decision") == []
    _fail_on(report)


def test_the_audit_catches_a_low_contrast_caption(live_server, page):
    """Test of the test: a caption drawn in light grey on the login page must fail, and
    the same page without it passes."""
    guard = Guard().attach(page)
    page.goto(live_server.base_url)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    live_server.wait_idle(page)
    assert audit(page) == []
    page.locator("[data-testid=stCaptionContainer]").first.evaluate(
        """(caption) => {
            const low = caption.cloneNode(true);
            low.id = "a11y-canary";
            low.style.color = "#a3a3a3";
            low.querySelector("p").textContent = "A caption nobody can read.";
            caption.after(low);
        }"""
    )
    found = audit(page)
    assert [(f.rule, f.target) for f in found] == [("color-contrast", "#a11y-canary > p")]
    # A pinned exception is exactly one rule on one element: pinning it silences only it.
    assert audit(page, pinned={("color-contrast", "#a11y-canary > p"): "test"}) == []
    assert guard.problems() == []


def test_the_guard_catches_a_request_to_another_host_and_a_console_error(live_server, page):
    guard = Guard().attach(page)
    page.goto(live_server.base_url)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    assert guard.problems() == []
    page.evaluate(
        """() => {
            console.error("a11y canary");
            const img = document.createElement("img");
            img.src = "http://example.invalid/x.png";
            document.body.appendChild(img);
        }"""
    )
    page.wait_for_function("() => document.querySelector('img[src*=example]').complete")
    problems = guard.problems()
    assert "request to another host: http://example.invalid/x.png" in problems
    assert any("a11y canary" in p for p in problems)
