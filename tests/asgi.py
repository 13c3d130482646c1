"""One HTTP request through a list of the app's Starlette routes, as the ASGI server would
make it (no network, no browser)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from starlette.routing import Route, Router


def request(
    routes: list[Route],
    method: str,
    path: str,
    *,
    query: str = "",
    headers: dict | None = None,
    body: bytes = b"",
    scheme: str = "http",
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, [(lower-case header name, value)], body) of one request."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8501),
    }
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    # A thread of its own: a browser test in the same worker may leave an event loop
    # running in this one, and asyncio.run() refuses to start inside it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, Router(routes=routes)(scope, receive, send)).result()
    start, *bodies = sent
    pairs = [(name.decode().lower(), value.decode()) for name, value in start["headers"]]
    return start["status"], pairs, b"".join(m.get("body", b"") for m in bodies)
