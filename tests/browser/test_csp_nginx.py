"""The app runs in Chromium behind deploy/nginx.conf with its Content-Security-Policy.

The app as deployed (``python -m app serve``, seeded by ``python -m app demo``) with
nginx in front, rendered from the deploy file for loopback ports. Each page records every
``securitypolicyviolation`` event from its first moment; users log in (the login cookie
route must answer through nginx), a trainee takes a call (the clock must tick, the
caller's audio load), a supervisor opens the charts, a trainer uploads a file and
downloads the bank, and no policy violation may happen on the way. Another site may
not frame the app.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from app.bench import servers
from app.session_routes import COOKIE
from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD, ROOT, VOICE_CALL, open_practice_call
from tests.conftest import require_or_skip

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push({directive: e.effectiveDirective, blocked: e.blockedURI,
                     sample: (e.sample || "").slice(0, 80)});
});
"""
# streamlit_app.py sets page_icon=":material/support_agent:", for which Streamlit points
# the favicon at fonts.gstatic.com. The policy blocks that (no third-party requests from
# a 911 center's browser); only the tab icon is missing. Nothing else may be blocked.
FAVICON = re.compile(r"^https://fonts\.gstatic\.com/s/i/.*/24px\.svg$")


@dataclass(frozen=True)
class Proxied:
    url: str  # nginx's base URL
    database_url: str  # the app's database behind it


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """The seeded app behind deploy/nginx.conf."""
    require_or_skip(servers.nginx_binary() is not None, "nginx is not installed")
    work = tmp_path_factory.mktemp("csp")
    env = servers.server_env(
        database_url=f"sqlite:///{work / 'app.db'}",
        data_dir=work / "data",
        audio_dir=work / "audio",
        cookie_secret=secrets.token_urlsafe(32),
    )
    env["DEMO_PASSWORD"] = DEMO_PASSWORD
    subprocess.run(
        [sys.executable, "-m", "app", "demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    app, app_url = servers.start_server(env, work / "logs")
    try:
        port = int(app_url.rsplit(":", 1)[1])
        proxy, url = servers.start_nginx([port], work / "nginx")
        try:
            yield Proxied(url, env["DATABASE_URL"])
        finally:
            proxy.stop()
    finally:
        app.stop()


def _idle(page) -> None:
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000
    )


def _open(browser, base_url: str, username: str):
    """A fresh browser context logged in as ``username`` through nginx."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    response = page.goto(base_url)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    _idle(page)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=30_000)
    _idle(page)
    # The page fetches its HttpOnly login cookie from the app's route, through nginx,
    # under the policy (connect-src) and the Referrer-Policy (the route checks Origin).
    deadline = time.monotonic() + 15
    while not any(c["name"] == COOKIE and c["httpOnly"] for c in context.cookies()):
        assert time.monotonic() < deadline, "the login cookie was not set through nginx"
        page.wait_for_timeout(200)
    return context, page


def _violations(page) -> list[dict]:
    found = page.evaluate("window.__csp")
    return [v for v in found if not (v["directive"] == "img-src" and FAVICON.match(v["blocked"]))]


def test_a_trainee_takes_a_call_under_the_policy(browser, proxied):
    open_practice_call(proxied.database_url, "lv-trainee", VOICE_CALL)  # a call with audio
    context, page = _open(browser, proxied.url, "lv-trainee")
    try:
        page.get_by_role("link", name="Take a call").click()
        page.get_by_role("button", name=re.compile("Start call|Submit call")).wait_for()
        _idle(page)
        start = page.get_by_role("button", name="Start call")
        if start.count():  # otherwise an open call was resumed
            start.click()
        page.get_by_text("Your decision").wait_for(timeout=30_000)
        _idle(page)
        # The clock is an inline script drawn with st.html: it must run and tick.
        clock = page.locator("[role=timer] .cc-value").first
        before = clock.inner_text()
        page.wait_for_function(
            "(before) => document.querySelector('[role=timer] .cc-value').textContent !== before",
            arg=before,
            timeout=5_000,
        )
        # The caller's audio comes from this server's clip route and loads.
        page.wait_for_function(
            "() => { const a = document.querySelector('audio');"
            " return a && a.readyState >= 1 && !a.error; }",
            timeout=30_000,
        )
        source = page.evaluate("document.querySelector('audio').currentSrc")
        assert source.startswith(proxied.url + "/api/clip?"), source
        assert _violations(page) == []
        page.screenshot(path=str(ARTIFACTS / "csp-trainee-call.png"))
    finally:
        context.close()


def test_supervisor_charts_draw_under_the_policy(browser, proxied):
    context, page = _open(browser, proxied.url, "supervisor")
    try:
        page.get_by_role("link", name="Cohort").click()
        _idle(page)
        charts = page.locator("[data-testid='stVegaLiteChart'] .marks")
        expect(charts.first).to_be_visible(timeout=30_000)
        assert _violations(page) == []  # Vega without 'unsafe-eval'
    finally:
        context.close()


def test_upload_and_download_work_under_the_policy(browser, proxied, tmp_path):
    context, page = _open(browser, proxied.url, "trainer2")
    try:
        page.get_by_role("link", name="Import / export").click()
        _idle(page)
        broken = tmp_path / "broken.yaml"
        broken.write_text("format: 1\ntitle: [unclosed\n", encoding="utf-8")
        page.locator("input[type=file]").first.set_input_files(str(broken))
        import_button = page.get_by_role("button", name="Import")
        expect(import_button).to_be_enabled(timeout=30_000)  # the upload went through
        import_button.click()
        # The server read the uploaded bytes (and, the file being broken, stored nothing).
        expect(page.get_by_text("Nothing was imported")).to_be_visible(timeout=30_000)
        # The download button's file is made on click from the run that drew the button;
        # a click while the page is still running can reach a button about to be redrawn.
        _idle(page)
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name=re.compile(r"^Download \d+ scenario")).click()
        path = tmp_path / "bank.zip"
        download.value.save_as(path)
        with zipfile.ZipFile(path) as archive:
            assert any(name.endswith(".yaml") for name in archive.namelist())
        assert _violations(page) == []
    finally:
        context.close()


def test_another_site_cannot_frame_the_app(browser, proxied):
    context = browser.new_context()
    try:
        page = context.new_page()
        with page.expect_console_message(
            lambda message: "frame-ancestors 'none'" in message.text, timeout=15_000
        ):
            page.set_content(f'<iframe src="{proxied.url}/" width="600" height="400"></iframe>')
        framed = [frame for frame in page.frames if frame is not page.main_frame]
        assert framed and not any(frame.url.startswith(proxied.url) for frame in framed)
        assert not any(frame.query_selector("[data-testid='stApp']") for frame in framed)
    finally:
        context.close()
