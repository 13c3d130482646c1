"""In real Chromium: the login cookie is HttpOnly and SameSite=Strict, page scripts never
see the token, a planted cookie is replaced at login, and an open tab is logged out at its
next action once its user is disabled, their role changes or their password is reset.

The server is ``python -m app serve`` (``app/asgi.py``: the pages plus the cookie routes)
on the database ``live_server`` seeded.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.session_routes import COOKIE
from app.ui.session import ENDED_NOTICE
from tests.browser.conftest import ARTIFACTS, ROOT, _free_port, _wait_healthy

PASSWORD = "cookie-test-passphrase"


@dataclass
class AppServer:
    base_url: str
    database_url: str


@pytest.fixture(scope="module")
def app_server(live_server, tmp_path_factory) -> Iterator[AppServer]:
    """``python -m app serve`` on a free loopback port, on the live server's database."""
    log_dir = tmp_path_factory.mktemp("cookie-server")
    port = _free_port()
    cmd = [sys.executable, "-m", "app", "serve", "--port", str(port), "--address", "127.0.0.1"]
    with open(log_dir / "serve.log", "w") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=live_server.env, stdout=log, stderr=subprocess.STDOUT
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base_url, proc, timeout=180)  # a busy machine starts slowly
            yield AppServer(base_url, live_server.env["DATABASE_URL"])
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _admin():
    from app.services.accounts import actor_for
    from app.store.db import read_session
    from app.store.models import User

    with read_session() as session:
        return actor_for(session.exec(select(User).where(User.username == "admin")).one())


@pytest.fixture
def new_trainee(app_server) -> Iterator[str]:
    """A trainee of the demo agency made for this test only (the others' users stay as
    they are); yields the user name."""
    from app.services import accounts
    from app.store.db import use_database

    username = f"cookie-{secrets.token_hex(4)}"
    first = "first passphrase from the admin"
    with use_database(app_server.database_url):
        user_id = accounts.admin_create_user(
            actor=_admin(),
            username=username,
            display_name="Casey Cookie",
            role="trainee",
            password=first,
        )
        # The trainee replaces the admin's first password, as they must at first login.
        actor = accounts.load_actor(user_id)
        assert actor is not None
        accounts.change_password(actor=actor, current=first, new=PASSWORD)
    yield username


def _idle(page) -> None:
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000
    )


def _log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url)
    _idle(page)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=30_000)
    _idle(page)
    # The page has traded its one-time code for the cookie at POST /api/session.
    page.wait_for_function(
        "document.documentElement.dataset.callscreenSession === 'set'", timeout=30_000
    )


def _session_cookies(context) -> list[dict]:
    return [c for c in context.cookies() if c["name"] == COOKIE]


def test_page_scripts_never_see_the_session_token(app_server, new_trainee, page):
    _log_in(page, app_server.base_url, new_trainee)
    (cookie,) = _session_cookies(page.context)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/"
    assert len(cookie["value"]) >= 40
    visible = page.evaluate("document.cookie")
    assert COOKIE not in visible and cookie["value"] not in visible
    # A script cannot overwrite it either.
    page.evaluate(f"document.cookie = '{COOKIE}=from-a-script; path=/'")
    assert [c["value"] for c in _session_cookies(page.context)] == [cookie["value"]]
    # And it is what keeps the login over a refresh.
    page.reload()
    _idle(page)
    expect(page.get_by_text("Signed in as")).to_have_count(1, timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "session-cookie-httponly.png"))


def test_a_planted_cookie_is_replaced_at_login(app_server, new_trainee, page):
    planted = "planted-" + secrets.token_urlsafe(24)
    page.context.add_cookies([{"name": COOKIE, "value": planted, "url": app_server.base_url}])
    page.goto(app_server.base_url)
    _idle(page)
    # The planted value logs nobody in...
    expect(page.get_by_role("button", name="Log in")).to_have_count(1, timeout=30_000)
    _log_in(page, app_server.base_url, new_trainee)
    # ...and logging in replaces it with a new HttpOnly token.
    cookies = _session_cookies(page.context)
    assert len(cookies) == 1
    assert cookies[0]["value"] != planted and cookies[0]["httpOnly"] is True
    page.reload()
    _idle(page)
    expect(page.get_by_text("Signed in as")).to_have_count(1, timeout=30_000)


def _disable(username: str) -> None:
    from app.services import accounts

    accounts.set_active(actor=_admin(), user_id=_user_id(username), active=False)


def _make_trainer(username: str) -> None:
    from app.services import accounts

    accounts.set_role(actor=_admin(), user_id=_user_id(username), role="trainer")


def _reset_password(username: str) -> None:
    from app.services import accounts

    accounts.set_password(username=username, password="a different passphrase")


def _user_id(username: str) -> int:
    from app.store.db import read_session
    from app.store.models import User

    with read_session() as session:
        return session.exec(select(User.id).where(User.username == username)).one()


@pytest.mark.parametrize(
    "change",
    [_disable, _make_trainer, _reset_password],
    ids=["disabled", "role-changed", "password-reset"],
)
def test_an_open_tab_is_logged_out_at_its_next_action(app_server, new_trainee, page, change):
    from app.store.db import use_database

    _log_in(page, app_server.base_url, new_trainee)
    expect(page.get_by_text("Signed in as")).to_have_count(1, timeout=30_000)
    with use_database(app_server.database_url):
        change(new_trainee)
    page.get_by_role("link", name="My attempts").click()
    _idle(page)
    expect(page.get_by_role("button", name="Log in")).to_have_count(1, timeout=30_000)
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    expect(page.get_by_text(ENDED_NOTICE)).to_have_count(1, timeout=10_000)
    expect(page.get_by_role("heading", name="My attempts")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / f"session-ended-{change.__name__.strip('_')}.png"))
    # The cookie does not bring the login back.
    page.reload()
    _idle(page)
    expect(page.get_by_role("button", name="Log in")).to_have_count(1, timeout=30_000)
    expect(page.get_by_text("Signed in as")).to_have_count(0)


def test_logging_out_clears_the_cookie(app_server, new_trainee, page):
    _log_in(page, app_server.base_url, new_trainee)
    assert _session_cookies(page.context)
    page.get_by_role("link", name="Account").click()
    _idle(page)
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    page.wait_for_function(
        "document.documentElement.dataset.callscreenSession === 'cleared'", timeout=30_000
    )
    assert _session_cookies(page.context) == []
