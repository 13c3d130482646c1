"""An admin adds a user, resets their password and is asked before disabling them, in a
real browser; the page is saved as ``test-artifacts/admin-users.png`` (issue 18).

The user is new to this test, so no other browser test's demo account is touched.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

NEW = "shot.trainee"


def test_admin_users_page(live_server, page):
    page.set_viewport_size({"width": 1400, "height": 1200})
    live_server.login(page, "admin")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Users").click()
    live_server.wait_idle(page)
    expect(page.get_by_role("heading", name="Users")).to_be_visible()

    # A refused password keeps what was typed.
    page.get_by_label("User name").fill(NEW)
    page.get_by_label("Full name").fill("Robin Screenshot")
    page.get_by_label("First password (at least 8 characters)").fill("short")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("Not added: Password must have at least 8 characters.")).to_be_visible()
    expect(page.get_by_label("User name")).to_have_value(NEW)
    expect(page.get_by_label("Full name")).to_have_value("Robin Screenshot")

    page.get_by_label("First password (at least 8 characters)").fill("a long first passphrase")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text(f"Added {NEW}.")).to_be_visible()
    expect(page.get_by_text("At their first login they must choose a password")).to_be_visible()
    live_server.wait_idle(page)

    # The picker starts empty; choosing the new user offers the three changes.
    picker = page.locator(".st-key-admin_users-chosen").get_by_role("combobox")
    expect(picker).to_have_value("")
    picker.click()
    page.get_by_role("option").filter(has_text="Robin Screenshot").first.click()
    live_server.wait_idle(page)

    page.get_by_role("button", name="Reset password").click()
    live_server.wait_idle(page)
    expect(page.get_by_text("One-time password", exact=True)).to_be_visible()
    one_time = page.locator("[data-testid='stCode'] code").inner_text().strip()
    assert len(one_time.split("-")) == 4
    page.screenshot(path=str(ARTIFACTS / "admin-users-reset.png"))

    page.get_by_role("button", name="Disable…").click()
    live_server.wait_idle(page)
    expect(page.get_by_text("Disable Robin Screenshot (shot.trainee)?")).to_be_visible()
    page.set_viewport_size({"width": 1400, "height": 2000})  # the whole page in one picture
    live_server.wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "admin-users.png"), full_page=True)

    page.get_by_role("button", name="Yes, disable").click()
    expect(page.get_by_text("Robin Screenshot is disabled.")).to_be_visible()
    # The one-time password was shown once only.
    expect(page.get_by_text("One-time password", exact=True)).to_have_count(0)
