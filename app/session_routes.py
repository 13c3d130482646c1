"""Two HTTP routes beside Streamlit that set and clear the login cookie.

A Streamlit page talks to the browser over a websocket, so it cannot set an HttpOnly
cookie. These routes of the ASGI app (``app/asgi.py``) can:

- ``POST /api/session`` with ``{"code": "..."}``: the one-time code a login just made
  (``accounts.begin_login``) is traded for a new random token, sent back as the
  ``callscreen_session`` cookie: ``HttpOnly``, ``SameSite=Strict``, ``Path=/``, and
  ``Secure`` when the request came over HTTPS (or ``SESSION_COOKIE_SECURE=always``).
  Whatever cookie the browser had before is replaced, and the login it pointed to ends.
- ``POST /api/session/logout``: the cookie is cleared and its login ended.

The page sends these with ``fetch`` right after logging in or out
(``app/ui/session.py``). Both refuse anything but a same-origin JSON request, so another
site can neither log a browser in nor out. Behind a reverse proxy the scheme (for
``Secure``) comes from ``X-Forwarded-Proto``, which the server believes only from the
addresses in ``TRUSTED_PROXIES``.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.services import accounts
from app.settings import get_settings

COOKIE = "callscreen_session"
SESSION_PATH = "/api/session"
LOGOUT_PATH = "/api/session/logout"
MAX_BODY = 1024


def same_origin(request: Request) -> bool:
    """True for a request the app's own page sent (Origin matches Host, fetch metadata)."""
    if request.headers.get("sec-fetch-site", "same-origin") != "same-origin":
        return False
    origin = request.headers.get("origin")
    host = request.headers.get("host")
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


def cookie_is_secure(request: Request) -> bool:
    return get_settings().session_cookie_secure == "always" or request.url.scheme == "https"


def session_cookie(value: str, *, max_age: int, secure: bool) -> str:
    """The Set-Cookie value (``value`` is our own URL-safe token, or empty to clear)."""
    parts = [f"{COOKIE}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Strict"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def _plain(status: int) -> Response:
    return Response(status_code=status, headers={"Cache-Control": "no-store"})


async def _json_body(request: Request) -> dict | None:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def open_session(request: Request) -> Response:
    """Trade a login's one-time code for the session cookie."""
    if not same_origin(request):
        return _plain(403)
    data = await _json_body(request)
    if data is None or not isinstance(data.get("code"), str):
        return _plain(400)
    token = await run_in_threadpool(
        accounts.redeem_login_code, data["code"], replaced_token=request.cookies.get(COOKIE)
    )
    if token is None:
        return _plain(403)
    response = _plain(204)
    max_age = get_settings().session_max_hours * 3600
    response.headers["Set-Cookie"] = session_cookie(
        token, max_age=max_age, secure=cookie_is_secure(request)
    )
    return response


async def close_session(request: Request) -> Response:
    """Clear the session cookie and end the login it pointed to."""
    if not same_origin(request):
        return _plain(403)
    if await _json_body(request) is None:
        return _plain(400)
    token = request.cookies.get(COOKIE)
    if token:
        await run_in_threadpool(accounts.close_login_session, token)
    response = _plain(204)
    response.headers["Set-Cookie"] = session_cookie("", max_age=0, secure=cookie_is_secure(request))
    return response


def routes() -> list[Route]:
    return [
        Route(SESSION_PATH, open_session, methods=["POST"]),
        Route(LOGOUT_PATH, close_session, methods=["POST"]),
    ]
