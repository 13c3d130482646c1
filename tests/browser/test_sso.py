"""In a real browser: logging in through the agency's identity provider, and out again.

A real OpenID Connect provider (``oidc-provider-mock``) runs on loopback; the app runs as
``python -m app serve`` runs it, with a secrets file that sets the provider up for the
demo agency ``riverside``. Chromium follows the whole exchange: Streamlit's ``st.login``,
the provider's consent page, the callback, our hand-over to the session cookie, the role's
home page, and the logout that ends both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from tests.browser.conftest import (
    DEMO_PASSWORD,
    ROOT,
    LiveServer,
    _free_port,
    _wait_healthy,
)
from tests.conftest import require_or_skip

PROVIDER = "riverside"
ROLE_CLAIM = "academy_role"


def _put_user(base: str, sub: str, claims: dict) -> None:
    request = urllib.request.Request(
        f"{base}/users/{sub}",
        data=json.dumps(claims).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


@pytest.fixture(scope="module")
def identity_provider():
    try:
        from oidc_provider_mock import run_server_in_thread
    except ImportError:
        require_or_skip(False, "oidc-provider-mock is not installed (pip install -e '.[test]')")
    with run_server_in_thread() as server:
        base = f"http://localhost:{server.server_port}"
        _put_user(
            base,
            "taylor-1",
            {
                "email": "taylor@riverside.example",
                "email_verified": True,
                "name": "Taylor Trainee",
                ROLE_CLAIM: "cs-trainee",
            },
        )
        _put_user(
            base,
            "dispatcher-1",
            {
                "email": "jordan@riverside.example",
                "email_verified": True,
                ROLE_CLAIM: "cs-dispatcher",  # a role the agency did not map
            },
        )
        _put_user(
            base,
            "sam-1",
            {"email": "sam@riverside.example", "email_verified": True, ROLE_CLAIM: "cs-supervisor"},
        )
        yield base


@pytest.fixture(scope="module")
def sso_server(identity_provider, tmp_path_factory):
    """The app with single sign-on set up for riverside, on a port of its own."""
    data = tmp_path_factory.mktemp("sso")
    url = f"sqlite:///{data / 'sso.db'}"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DATA_DIR=str(data),
        AUDIO_CACHE_DIR=str(data / "audio"),
        DEMO_PASSWORD=DEMO_PASSWORD,
        APP_ENV="test",
    )
    subprocess.run(
        [sys.executable, "-m", "app", "demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    from app.store.db import use_database, write_session
    from app.store.models import User

    with use_database(url), write_session() as session:
        for username, email in (
            ("trainee", "taylor@riverside.example"),
            ("trainee2", "jordan@riverside.example"),
            ("supervisor", "sam@riverside.example"),
        ):
            user = session.exec(select(User).where(col(User.username) == username)).one()
            user.email = email
            session.add(user)

    port = _free_port()
    base_url = f"http://localhost:{port}"
    secrets = data / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{base_url}/oauth2callback"\n'
        'cookie_secret = "sso-browser-test-cookie-secret-0123456789"\n'
        f"[auth.{PROVIDER}]\n"
        'client_id = "callscreen-academy"\n'
        'client_secret = "test-client-secret"\n'
        f'server_metadata_url = "{identity_provider}/.well-known/openid-configuration"\n'
        f"[sso.{PROVIDER}]\n"
        'agency = "riverside"\n'
        'label = "Riverside account"\n'
        f'role_claim = "{ROLE_CLAIM}"\n'
        f"[sso.{PROVIDER}.roles]\n"
        '"cs-trainee" = "trainee"\n'
        '"cs-supervisor" = "supervisor"\n'
    )
    cmd = [sys.executable, "-m", "streamlit", "run", "app/asgi.py"]
    cmd += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    cmd += ["--server.headless", "true", "--secrets.files", str(secrets)]
    log = open(data / "streamlit.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc)
        server = LiveServer(base_url, env)
        server.url = url  # type: ignore[attr-defined]
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _sign_in_at_provider(page, server: LiveServer, sub: str) -> None:
    page.goto(server.base_url)
    server.wait_idle(page)
    page.get_by_role("button", name="Log in with your Riverside account").click()
    page.locator("input[name='sub']").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{server.base_url}/**", timeout=30_000)


def _cookies(page) -> dict[str, dict]:
    return {c["name"]: c for c in page.context.cookies()}


def test_sign_in_through_the_provider_lands_home_and_logout_ends_both(sso_server, page):
    from app.store.db import read_session, use_database
    from app.store.models import LoginSession, User, UserIdentity

    _sign_in_at_provider(page, sso_server, "taylor-1")
    expect(page.get_by_role("heading", name="My training")).to_have_count(1, timeout=30_000)
    expect(page.get_by_text("Signed in as")).to_have_count(1)
    page.wait_for_function(
        "document.documentElement.dataset.callscreenSession === 'set'", timeout=30_000
    )
    session_cookie = _cookies(page)["callscreen_session"]
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Strict"
    with use_database(sso_server.url), read_session() as session:  # type: ignore[attr-defined]
        user = session.exec(select(User).where(col(User.username) == "trainee")).one()
        (identity,) = session.exec(select(UserIdentity)).all()
        assert (identity.user_id, identity.provider, identity.subject) == (
            user.id,
            PROVIDER,
            "taylor-1",
        )
        live = session.exec(
            select(LoginSession)
            .where(col(LoginSession.user_id) == user.id)
            .where(col(LoginSession.revoked).is_(False))
        ).all()
        assert len(live) == 1

    # Our cookie is the session: a refresh keeps the login.
    page.reload()
    sso_server.wait_idle(page)
    expect(page.get_by_role("heading", name="My training")).to_have_count(1, timeout=30_000)

    page.get_by_role("link", name="Account").click()
    sso_server.wait_idle(page)
    page.get_by_role("button", name="Log out").click()
    # The provider's own logout page (RP-initiated logout), then back to the app.
    page.get_by_role("button", name="End session").click(timeout=30_000)
    page.wait_for_url(f"{sso_server.base_url}/**", timeout=30_000)
    sso_server.wait_idle(page)
    expect(page.get_by_role("button", name="Log in", exact=True)).to_have_count(1, timeout=30_000)
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    assert "_streamlit_user" not in _cookies(page)
    with use_database(sso_server.url), read_session() as session:  # type: ignore[attr-defined]
        live = session.exec(
            select(LoginSession)
            .where(col(LoginSession.user_id) == user.id)
            .where(col(LoginSession.revoked).is_(False))
        ).all()
        assert live == []
    page.reload()
    sso_server.wait_idle(page)
    expect(page.get_by_role("button", name="Log in", exact=True)).to_have_count(1, timeout=30_000)
    expect(page.get_by_text("Signed in as")).to_have_count(0)


def test_a_token_with_an_unmapped_role_signs_in_nobody(sso_server, page):
    from app.store.db import read_session, use_database
    from app.store.models import UserIdentity

    _sign_in_at_provider(page, sso_server, "dispatcher-1")
    sso_server.wait_idle(page)
    expect(page.get_by_text("role this academy does not know")).to_have_count(1, timeout=30_000)
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    assert "callscreen_session" not in _cookies(page)
    with use_database(sso_server.url), read_session() as session:  # type: ignore[attr-defined]
        subjects = [i.subject for i in session.exec(select(UserIdentity)).all()]
    assert "dispatcher-1" not in subjects


def test_a_supervisor_lands_on_the_cohort_and_downloads_the_records(sso_server, page):
    _sign_in_at_provider(page, sso_server, "sam-1")
    expect(page.get_by_role("heading", name="Cohort")).to_have_count(1, timeout=30_000)
    sso_server.wait_idle(page)
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Download training records (CSV)").click()
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b'"format","agency","username","name","email","hours_on_calls"')
    assert b'"riverside","trainee"' in data
