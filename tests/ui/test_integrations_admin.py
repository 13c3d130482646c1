"""The admin's lines for single sign-on and the LRS, and the e-mail form (AppTest)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.settings import get_settings
from app.store.db import read_session
from app.store.models import User
from tests.factories import ROOT

PAGE = ROOT / "app" / "app_pages" / "admin_users.py"


def _run(user_id: int, secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.session_state["user_id"] = user_id
    return at.run()


def test_lines_say_what_is_set_up_and_what_is_wrong(sqlite_db, world, monkeypatch):
    at = _run(world["admin-a"].user_id)
    assert not at.exception
    assert "Single sign-on is not set up for your agency; users log in with a password." in [
        s.value for s in at.success
    ]
    assert any("No Learning Record Store is set up" in s.value for s in at.success)

    monkeypatch.setenv("LRS_URL", "lrs.example.org/xAPI")
    get_settings.cache_clear()
    broken = {
        "auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x"},
        "sso": {"riverside": {"agency": "agency-a"}},
    }
    at = _run(world["admin-a"].user_id, broken)
    errors = [e.value for e in at.error]
    assert any(e.startswith("LRS_URL 'lrs.example.org/xAPI' is not an http") for e in errors)
    assert any("[sso.riverside] has no [auth.riverside]" in e for e in errors)
    assert all("\n" not in e for e in errors)
    get_settings.cache_clear()


def test_the_admin_records_an_email_for_a_users_first_sign_in(sqlite_db, world):
    trainee = world["trainee-a"]
    at = _run(world["admin-a"].user_id)
    at.selectbox(key="integrations.email_user").set_value(trainee.user_id)
    at.text_input(key="integrations.email_value").input("Taylor@Agency-A.example")
    next(b for b in at.button if b.label == "Save e-mail").click()
    at.run()
    assert "E-mail saved." in [s.value for s in at.success]
    with read_session() as session:
        assert session.get(User, trainee.user_id).email == "taylor@agency-a.example"


def test_a_supervisor_sees_none_of_it(sqlite_db, world):
    at = _run(world["supervisor-a"].user_id)
    assert not any("Learning Record" in s.value for s in at.success)
    assert at.error  # the page refuses the role before drawing anything


def test_the_login_page_offers_each_agency_account_and_keeps_passwords(sqlite_db, world):
    at = AppTest.from_file(str(ROOT / "app" / "app_pages" / "login.py"), default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "riverside": {
            "client_id": "academy",
            "client_secret": "secret",
            "server_metadata_url": "https://login.example/.well-known/openid-configuration",
        },
    }
    at.secrets["sso"] = {"riverside": {"agency": "agency-a", "label": "Riverside account"}}
    at.run()
    labels = [b.label for b in at.button]
    assert "Log in with your Riverside account" in labels
    assert at.text_input  # the password form stays
