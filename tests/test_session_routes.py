"""The cookie routes, called as the ASGI server calls them (no browser, no network)."""

from __future__ import annotations

import json

import pytest

from app import session_routes
from app.services import accounts
from app.session_routes import COOKIE, LOGOUT_PATH, SESSION_PATH
from app.settings import get_settings
from tests.asgi import request

HOST = "127.0.0.1:8501"
SAME_ORIGIN = {
    "host": HOST,
    "origin": f"http://{HOST}",
    "sec-fetch-site": "same-origin",
    "content-type": "application/json",
}


def call(path: str, headers: dict, body: dict | bytes = b"", *, scheme="http", method="POST"):
    """(status, {header: [values]}) of one request through the app's routes."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    status, pairs, _ = request(
        session_routes.routes(), method, path, headers=headers, body=raw, scheme=scheme
    )
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        found.setdefault(name, []).append(value)
    return status, found


def _cookie_attributes(set_cookie: str) -> tuple[str, set[str]]:
    first, *rest = [part.strip() for part in set_cookie.split(";")]
    return first, {part.lower() for part in rest}


def test_a_login_code_becomes_an_httponly_strict_cookie_with_a_new_token(sqlite_db, world):
    pending = accounts.begin_login(actor=world["trainee-a"])
    planted = "planted-by-someone-else-0123456789"
    status, headers = call(
        SESSION_PATH, {**SAME_ORIGIN, "cookie": f"{COOKIE}={planted}"}, {"code": pending.code}
    )
    assert status == 204
    assert headers["cache-control"] == ["no-store"]
    (set_cookie,) = headers["set-cookie"]
    pair, attributes = _cookie_attributes(set_cookie)
    name, token = pair.split("=", 1)
    assert name == COOKIE and token not in (planted, pending.code)
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert f"max-age={get_settings().session_max_hours * 3600}" in attributes
    assert "secure" not in attributes  # plain HTTP, SESSION_COOKIE_SECURE=auto
    assert accounts.actor_for_token(token).username == "trainee-a"
    # The code is spent: a replay gets nothing.
    status, headers = call(SESSION_PATH, SAME_ORIGIN, {"code": pending.code})
    assert status == 403 and "set-cookie" not in headers


def test_the_cookie_is_secure_over_https_or_when_set_to_always(sqlite_db, world, monkeypatch):
    code = accounts.begin_login(actor=world["trainee-a"]).code
    # The server sets the scheme to https for TLS, or for X-Forwarded-Proto from a
    # trusted proxy (TRUSTED_PROXIES); the route reads the scheme.
    _, headers = call(SESSION_PATH, SAME_ORIGIN, {"code": code}, scheme="https")
    assert "secure" in _cookie_attributes(headers["set-cookie"][0])[1]
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "always")
    get_settings.cache_clear()
    code = accounts.begin_login(actor=world["trainee-a"]).code
    _, headers = call(SESSION_PATH, SAME_ORIGIN, {"code": code})
    assert "secure" in _cookie_attributes(headers["set-cookie"][0])[1]


@pytest.mark.parametrize(
    "change",
    [
        {"origin": "https://evil.example"},
        {"origin": None},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"host": "other.example"},
    ],
    ids=["other-origin", "no-origin", "cross-site", "same-site", "other-host"],
)
def test_only_the_apps_own_pages_may_set_or_clear_the_cookie(sqlite_db, world, change):
    headers = {k: v for k, v in {**SAME_ORIGIN, **change}.items() if v is not None}
    code = accounts.begin_login(actor=world["trainee-a"]).code
    status, answer = call(SESSION_PATH, headers, {"code": code})
    assert status == 403 and "set-cookie" not in answer
    status, answer = call(LOGOUT_PATH, headers, {})
    assert status == 403 and "set-cookie" not in answer
    # The code was not spent by the refused request.
    assert call(SESSION_PATH, SAME_ORIGIN, {"code": code})[0] == 204


@pytest.mark.parametrize(
    "headers, body",
    [
        ({**SAME_ORIGIN, "content-type": "text/plain"}, {"code": "x" * 43}),
        ({**SAME_ORIGIN, "content-type": "application/x-www-form-urlencoded"}, b"code=x"),
        (SAME_ORIGIN, b"not json"),
        (SAME_ORIGIN, {"code": 12}),
        (SAME_ORIGIN, b"[1, 2]"),
        (SAME_ORIGIN, {"code": "x" * 5000}),
    ],
    ids=["text", "form", "bad-json", "not-a-string", "not-an-object", "too-long"],
)
def test_anything_but_a_json_code_is_refused(sqlite_db, headers, body):
    status, answer = call(SESSION_PATH, headers, body)
    assert status == 400 and "set-cookie" not in answer


def test_an_unknown_code_is_refused(sqlite_db, world):
    status, answer = call(SESSION_PATH, SAME_ORIGIN, {"code": "y" * 43})
    assert status == 403 and "set-cookie" not in answer


def test_logout_clears_the_cookie_and_ends_its_login(sqlite_db, world):
    pending = accounts.begin_login(actor=world["trainee-a"])
    token = accounts.redeem_login_code(pending.code)
    status, headers = call(LOGOUT_PATH, {**SAME_ORIGIN, "cookie": f"{COOKIE}={token}"}, {})
    assert status == 204
    pair, attributes = _cookie_attributes(headers["set-cookie"][0])
    assert pair == f"{COOKIE}=" and "max-age=0" in attributes
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert accounts.actor_for_token(token) is None
    assert accounts.check_login_session(pending.session_id) is None


def test_only_post_is_answered(sqlite_db):
    status, _ = call(SESSION_PATH, SAME_ORIGIN, method="GET")
    assert status == 405
