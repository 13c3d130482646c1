"""In a real browser: a login survives a page refresh; logging out ends it."""

from __future__ import annotations

from playwright.sync_api import expect


def test_refresh_keeps_the_login_and_logout_ends_it(live_server, page):
    live_server.login(page, "trainee")
    page.reload()
    live_server.wait_idle(page)
    expect(page.get_by_text("Signed in as")).to_have_count(1, timeout=30_000)
    page.get_by_role("link", name="Account").click()
    live_server.wait_idle(page)
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    page.reload()
    live_server.wait_idle(page)
    expect(page.get_by_role("button", name="Log in")).to_have_count(1, timeout=30_000)
    expect(page.get_by_text("Signed in as")).to_have_count(0)


def test_a_deep_link_asks_for_the_login_then_opens_that_page(live_server, page):
    page.goto(f"{live_server.base_url}/trainee_history")
    live_server.wait_idle(page)
    expect(page.get_by_role("button", name="Log in")).to_have_count(1, timeout=30_000)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.get_by_label("User name").fill("trainee")
    page.get_by_label("Password", exact=True).fill(live_server.accounts["trainee"])
    page.get_by_role("button", name="Log in").click()
    # The page asked for, once the navigation is rebuilt for the trainee.
    expect(page.get_by_role("heading", name="My attempts")).to_have_count(1, timeout=30_000)
    assert page.url.rstrip("/").endswith("/trainee_history")


def test_another_roles_page_by_address_is_refused_on_the_server(live_server, page):
    live_server.login(page, "trainee")
    page.goto(f"{live_server.base_url}/supervisor_dashboard")
    live_server.wait_idle(page)
    expect(page.get_by_text("Your role (trainee) may not do this.")).to_have_count(
        1, timeout=30_000
    )
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_role("heading", name="Cohort")).to_have_count(0)
    expect(page.get_by_role("link", name="Cohort")).to_have_count(0)  # not in the menu
