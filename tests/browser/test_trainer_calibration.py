"""A trainer opens Calibration in a real browser: every question button shows its whole
text (none cut off), and the key form asks for the priority."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

# For each button: is its label wider or taller than the button shows?
CLIPPED = """
buttons => buttons
  .filter(b => b.offsetParent !== null)
  .map(b => {
    const label = b.querySelector('p') || b;
    const box = b.getBoundingClientRect();
    const text = label.getBoundingClientRect();
    return {
      text: b.innerText,
      clipped: label.scrollWidth > label.clientWidth + 1
        || text.right > box.right + 1 || text.bottom > box.bottom + 1,
    };
  })
  .filter(b => b.clipped)
"""


def test_question_buttons_are_not_cut_off(live_server, page):
    live_server.login(page, "trainer")
    page.get_by_role("link", name="Calibration").click()
    live_server.wait_idle(page)
    expect(page.get_by_text("Ask the caller")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Priority", exact=True).first).to_be_visible()
    questions = page.locator("[data-testid='stButton'] button")
    assert questions.count() > 5
    clipped = questions.evaluate_all(CLIPPED)
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_text("Ask the caller").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "trainer-calibration.png"))
    assert clipped == [], clipped
