"""``GET /api/clip``: the caller's voice for the call on screen, as a signed link.

Handing ``st.audio`` the WAV bytes made Streamlit hash them (an MD5 of ~0.8 MB for an
opening) and file them in its media store on every rerun of the call screen: each mark,
each tick. The call screen instead hands it a link to this route, made once per clip:

- The link names the login session, the attempt and the clip (``opening``, a question
  id, ``en:<id>``, ...) and carries an HMAC of the three under a key this server process
  draws when it starts, so only this process can make one and no field can be changed.
  (Streamlit keeps its own media per process too; behind several replicas the sticky
  routing in ``deploy/nginx.conf`` sends the link to the replica that made it.)
- Serving it checks everything the page would: the login session must still be live
  (``accounts.check_login_session``), and ``practice.clip_bytes`` applies the trainee's
  own access rules (their own attempt; only what they have asked, or been told).
- Anything refused is a bare 404, so a link says nothing about why.
- The answer is ``private`` and may be kept by the browser for the login's lifetime:
  replaying a clip, or a rerun that draws the same player, fetches nothing. A ``Range``
  request (the player seeking) gets the part asked for.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.errors import UserError
from app.settings import get_settings

CLIP_PATH = "/api/clip"
_KEY = secrets.token_bytes(32)  # per process: links die with the server that made them
_ITEM = re.compile(r"[A-Za-z0-9_:.-]{1,80}")
_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only: str.isdigit() also takes "²"
_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})")


def _signature(login_id: int, attempt_id: int, item: str) -> str:
    message = f"{login_id}:{attempt_id}:{item}".encode()
    return hmac.new(_KEY, message, hashlib.sha256).hexdigest()[:32]


def clip_link(page_url: str, *, login_id: int, attempt_id: int, item: str) -> str:
    """The absolute link to one clip, on the server the page came from (``page_url`` is
    the browser's address of the page, ``st.context.url``)."""
    parts = urlsplit(page_url)
    query = urlencode(
        {
            "login": login_id,
            "attempt": attempt_id,
            "item": item,
            "sig": _signature(login_id, attempt_id, item),
        }
    )
    return f"{parts.scheme}://{parts.netloc}{CLIP_PATH}?{query}"


def _signed_request(request: Request) -> tuple[int, int, str] | None:
    """(login id, attempt id, item) of a link this process made; None for anything else."""
    query = request.query_params
    login, attempt, item, sig = (query.get(k, "") for k in ("login", "attempt", "item", "sig"))
    if not (_ID.fullmatch(login) and _ID.fullmatch(attempt) and _ITEM.fullmatch(item)):
        return None
    login_id, attempt_id = int(login), int(attempt)
    if not login_id or not hmac.compare_digest(sig, _signature(login_id, attempt_id, item)):
        return None
    return login_id, attempt_id, item


def _clip_for(login_id: int, attempt_id: int, item: str) -> bytes | None:
    """The clip if the login is live and its trainee may hear it (runs in a worker thread)."""
    from app.services import practice
    from app.services.accounts import check_login_session

    actor = check_login_session(login_id)
    if actor is None:
        return None
    try:
        return practice.clip_bytes(actor=actor, attempt_id=attempt_id, item=item)
    except UserError:  # not theirs, not asked yet, or no such attempt: all the same to them
        return None


def _part(data: bytes, header: str | None) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers for an optional single ``Range: bytes=a-b`` request."""
    size = len(data)
    found = _RANGE.fullmatch(header.strip()) if header else None
    if found is None:
        return 200, data, {}
    first, last = found.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    elif last:  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = 0, size - 1
    if start > end or start >= size:
        return 416, b"", {"Content-Range": f"bytes */{size}"}
    return 206, data[start : end + 1], {"Content-Range": f"bytes {start}-{end}/{size}"}


async def serve_clip(request: Request) -> Response:
    signed = _signed_request(request)
    data = await run_in_threadpool(_clip_for, *signed) if signed else None
    if data is None:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    status, body, headers = _part(data, request.headers.get("range"))
    keep = get_settings().session_max_hours * 3600
    headers |= {"Accept-Ranges": "bytes", "Cache-Control": f"private, max-age={keep}"}
    return Response(body, status_code=status, media_type="audio/wav", headers=headers)


def routes() -> list[Route]:
    return [Route(CLIP_PATH, serve_clip, methods=["GET"])]
