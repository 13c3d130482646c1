"""A trainee who uses only the keyboard: logs in, opens "Take a call", takes a whole call
and reads the feedback, in real Chromium. Every key press is counted and the count is
printed (run with ``-s`` to see it). Also: the skip link, where the focus lands after each
action, a visible focus ring, and no keyboard trap.

Uses the shared ``live_server`` fixture and Debian's chromium.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from playwright.sync_api import expect

from app.ui.a11y import FOCUS_COLOUR
from tests.browser.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

QUESTION_BOX = ".st-key-cs-ask input[type=text]"
QUESTIONS = ("whats the address", "does anyone have a weapon", "is anyone hurt")
# The most key presses a whole call may take, login to feedback (typed letters included).
BUDGET = 180
TAB_LIMIT = 60  # Tabs to reach any one control; more is a sign of a trap or a lost focus


@dataclass
class Keys:
    """The keyboard, with every press counted."""

    page: object
    presses: int = 0
    tabs: int = 0
    log: list[str] = field(default_factory=list)
    trail: list[str] = field(default_factory=list)  # where the last tab_to went

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.presses += 1
        if key in ("Tab", "Shift+Tab"):
            self.tabs += 1
        else:
            self.log.append(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.presses += len(text)
        self.log.append(repr(text))

    def tab_to(self, js_test: str, *, back: bool = False) -> int:
        """Tab (or Shift+Tab) until ``js_test(document.activeElement)`` holds."""
        key = "Shift+Tab" if back else "Tab"
        trail = []
        for count in range(1, TAB_LIMIT + 1):
            self.press(key)
            found, where = self.page.evaluate(
                f"() => {{ const el = document.activeElement; return [Boolean({js_test}),"
                " el ? el.tagName + ':' + (el.getAttribute('aria-label') || el.innerText || '')"
                ".trim().slice(0, 30) : 'none']; }"
            )
            trail.append(where)
            if found:
                self.log.append(f"{key}×{count}")
                self.trail = trail
                return count
        raise AssertionError(f"not reached in {TAB_LIMIT} Tabs: {js_test}; went {trail}")


def _ring(page) -> str:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineColor")


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return f"rgb({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)})"


@pytest.fixture(scope="module")
def keyboard_trainee(live_server) -> str:
    return live_server.create_user("kb-only")


def test_a_keyboard_only_trainee_takes_a_call_and_reads_the_feedback(
    live_server, keyboard_trainee, page
):
    page.set_viewport_size({"width": 1280, "height": 800})
    keys = Keys(page)
    page.goto(live_server.base_url)
    live_server.wait_idle(page)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)

    # The skip link comes first and is seen when focused. The page's script puts it in
    # once the page has drawn; a Tab before that reaches Streamlit's own skip link.
    skip = page.locator("#cs-skip")
    skip.wait_for(state="attached", timeout=30_000)
    keys.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    expect(skip).to_have_text("Skip to main content")
    expect(page.get_by_role("link", name="Skip to")).to_have_count(1)  # not Streamlit's too

    # Log in.
    keys.tab_to("el.getAttribute('aria-label') === 'User name'")
    keys.type(keyboard_trainee)
    keys.tab_to("el.type === 'password'")
    keys.type(DEMO_PASSWORD)
    keys.press("Enter")
    page.wait_for_function(
        "document.documentElement.dataset.callscreenSession === 'set'", timeout=30_000
    )
    live_server.wait_idle(page)
    expect(page.get_by_role("heading", name="My training").first).to_be_visible()

    # "Take a call" from the menu; the focused link has the focus ring, not the
    # current-page look.
    keys.tab_to(
        "el.matches('a[data-testid=stSidebarNavLink]') && el.innerText.includes('Take a call')"
    )
    assert _ring(page) == _rgb(FOCUS_COLOUR), _ring(page)
    current = page.locator("[data-testid=stSidebarNavLink][aria-current=page]")
    assert current.evaluate("el => getComputedStyle(el).outlineStyle") == "none"
    keys.press("Enter")
    live_server.wait_idle(page)
    expect(page.get_by_role("heading", name="Take a call")).to_be_focused()  # into the page

    # Standard mode (the choices are a radio group: arrow keys), then Start call.
    keys.tab_to("el.type === 'radio'")  # from the title: a Tab or two (printed below)
    while not page.get_by_role("radio", name="Standard").is_checked():
        keys.press("ArrowDown")
        live_server.wait_idle(page)
    keys.tab_to("el.innerText && el.innerText.includes('Start call')")
    assert _ring(page) == _rgb(FOCUS_COLOUR)
    keys.press("Enter")
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    live_server.wait_idle(page)
    box = page.locator(QUESTION_BOX)
    expect(box).to_be_focused(timeout=10_000)  # the call opens ready to ask
    live_server.ring_back_if_dead(page)  # a dropped call (with the mouse: not under test here)
    expect(box).to_be_focused(timeout=10_000)

    # The skip link says where it goes, and goes there.
    back = keys.tab_to("el.id === 'cs-skip'", back=True)
    expect(page.locator("#cs-skip")).to_have_text("Skip to the call")
    keys.press("Enter")
    live_server.wait_idle(page)
    expect(box).to_be_focused()
    expect(box).to_have_value("")

    for text in QUESTIONS:
        before = page.evaluate("() => window.csAnswers || 0")
        keys.type(text)
        expect(box).to_have_value(text)  # all of it in the box before Enter
        keys.press("Enter")
        page.wait_for_function(f"() => (window.csAnswers || 0) > {before}", timeout=30_000)
        live_server.wait_idle(page)
        expect(box).to_be_focused(timeout=10_000)  # back in the box for the next question

    keys.press("Alt+KeyM")
    live_server.wait_idle(page)
    expect(page.locator(".st-key-cs-dq-medical input")).to_be_checked()
    expect(box).to_be_focused()  # a mark by key leaves the focus where it was
    keys.press("Alt+Digit3")
    live_server.wait_idle(page)
    keys.press("Alt+KeyC")
    keys.type("Welfare check")
    keys.press("Enter")
    live_server.wait_idle(page)
    expect(page.get_by_role("combobox", name="Call type")).to_have_value("Welfare check")
    keys.press("Alt+KeyR")
    live_server.wait_idle(page)
    keys.press("ArrowDown")
    live_server.wait_idle(page)
    expect(page.locator(".st-key-cs-route input[type=radio]").nth(1)).to_be_checked()
    expect(page.locator(".st-key-cs-route input[type=radio]").nth(1)).to_be_focused()
    keys.press("Alt+KeyS")
    keys.press("Alt+KeyS")
    page.get_by_role("button", name="Next call").wait_for(timeout=30_000)
    live_server.wait_idle(page)

    # The focus is on the feedback's heading: the trainee reads on from there.
    heading = page.locator(".st-key-cs-feedback").get_by_role("heading").first
    expect(heading).to_be_focused(timeout=10_000)
    expect(heading).to_contain_text("Call review")
    expect(page.locator(".st-key-cs-feedback")).to_contain_text("The expert's answer")
    to_next = keys.tab_to("el.innerText && el.innerText.includes('Next call')")

    print(
        f"\nkeyboard-only call: {keys.presses} key presses in all ({keys.tabs} Tabs, "
        f"{back} Shift+Tabs back to the skip link, {to_next} Tabs from the feedback to "
        f"'Next call'); keys other than Tab: {' '.join(keys.log)}"
    )
    assert keys.presses <= BUDGET, keys.presses


def test_no_keyboard_trap_on_the_call_screen(live_server, page):
    """Tab goes through the whole call screen and out of it, and Shift+Tab comes back."""
    live_server.login(page, live_server.create_user("kb-trap"))
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name="Take a call").click()
    page.get_by_role("radio", name="Standard").check(force=True)
    live_server.wait_idle(page)
    page.get_by_role("button", name="Start call").click()
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    live_server.wait_idle(page)
    expect(page.locator(QUESTION_BOX)).to_be_focused(timeout=10_000)
    seen: list[str] = []
    for _ in range(120):
        page.keyboard.press("Tab")
        where = page.evaluate(
            "() => { const el = document.activeElement;"
            " if (!el || el === document.body) return 'body';"
            " if (el.closest('.st-key-cs-decision')) return 'decision';"
            " if (el.closest('.st-key-cs-submit')) return 'submit';"
            " if (el.closest('[data-testid=stSidebar]')) return 'sidebar';"
            " if (el.id === 'cs-skip') return 'skip';"
            " return el.closest('[data-testid=stMain]') ? 'main' : 'other'; }"
        )
        seen.append(where)
        if where in ("skip", "sidebar", "body", "other") and "decision" in seen:
            break
    assert "decision" in seen, seen  # Tab reaches the decision panel...
    to_decision = seen.index("decision") + 1
    print(f"\nTabs from the question box to the first disqualifier: {to_decision}")
    assert to_decision <= 15, seen
    assert seen[-1] in ("skip", "sidebar", "body", "other"), seen  # ...and leaves the call
    for _ in range(3):  # and back again
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement !== document.body")
