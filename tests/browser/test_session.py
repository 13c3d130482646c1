"""In a real browser: a login survives a page refresh; logging out ends it."""

from __future__ import annotations


def test_refresh_keeps_the_login_and_logout_ends_it(live_server, page):
    live_server.login(page, "trainee")
    page.reload()
    live_server.wait_idle(page)
    assert page.get_by_text("Signed in as").count() == 1
    page.get_by_role("link", name="Account").click()
    live_server.wait_idle(page)
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    page.reload()
    live_server.wait_idle(page)
    assert page.get_by_role("button", name="Log in").count() == 1
    assert page.get_by_text("Signed in as").count() == 0
