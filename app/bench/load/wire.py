"""The wire side of a simulated browser tab: plain HTTP, cookies, widgets and samples.

See :mod:`app.bench.load` for the load test these serve.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ERROR_RATE_LIMIT = 0.01  # a level "holds" when p95 <= 1 s and at most 1% of interactions fail
P95_LIMIT_MS = 1000.0
QUESTIONS_FIRST = ("weapons", "threats", "medical")
CALL_TYPES = ("Welfare check", "Mental health crisis", "Disturbance", "Trespass")
PRIORITIES = ("2", "3")
MODE_LABELS = ("Guided", "Standard", "Timed")
ASK_KEY = re.compile(r"^call(\d+)\.ask\.(.+)$")  # Guided mode: a card per question
TYPED_KEY = re.compile(r"^call(\d+)\.typed$")  # Standard, Timed, exam: one box, own words
# What simulated trainees type in the box (the safety questions first, as a call taker would).
TYPED_FIRST = (
    "does anyone have a weapon",
    "has he threatened to hurt anyone",
    "is anybody hurt or sick",
)
TYPED_MORE = (
    "whats the address there",
    "what number can i call you back on",
    "tell me what happened",
    "is he using drugs or alcohol",
    "ok hold on",
    "can you describe him",
)
STATUS_EARLY = 2  # FINISHED_EARLY_FOR_RERUN: st.rerun() restarted the script; keep reading
STATUS_COMPILE_ERROR = 1


class LoadError(Exception):
    """One failed interaction (the message says what went wrong)."""


@dataclass
class Widget:
    kind: str  # the element type: button, checkbox, radio, selectbox, button_group, text_input
    id: str
    label: str
    key: str | None
    options: list[str] = field(default_factory=list)
    disabled: bool = False
    form_id: str = ""


@dataclass
class Sample:
    level: int
    kind: str  # connect, login, open, mode, start, ask, mark, submit, next, tick, media
    ms: float
    ok: bool
    error: str = ""


@dataclass
class LoadConfig:
    base_url: str  # http://127.0.0.1:PORT (a Streamlit server or the load balancer)
    accounts: Sequence[tuple[str, str]]  # (username, password) of trainee accounts
    levels: Sequence[int] = (10, 25, 50, 100)
    duration_s: float = 60.0  # steady state per level
    think_s: tuple[float, float] = (2.0, 6.0)
    feedback_s: tuple[float, float] = (3.0, 8.0)  # reading the grade before the next call
    timeout_s: float = 30.0
    login_concurrency: int = 2
    clock: bool = True
    fetch_media: bool = True
    seed: int = 0


def _widget_from(element) -> Widget | None:
    kind = element.WhichOneof("type")
    if kind not in ("button", "checkbox", "radio", "selectbox", "button_group", "text_input"):
        return None
    proto = getattr(element, kind)
    wid = proto.id
    key = None
    if wid.startswith("$$ID-"):
        tail = wid.split("-", 2)[2] if wid.count("-") >= 2 else ""
        key = None if tail in ("None", "") or tail.startswith("FormSubmitter:") else tail
    if kind == "button_group":
        options = [o.content for o in proto.options]
    elif kind in ("radio", "selectbox"):
        options = list(proto.options)
    else:
        options = []
    return Widget(
        kind=kind,
        id=wid,
        label=getattr(proto, "label", ""),
        key=key,
        options=options,
        disabled=bool(getattr(proto, "disabled", False)),
        form_id=getattr(proto, "form_id", ""),
    )


async def http_get(base_url: str, path: str, cookie: str, timeout: float) -> tuple[int, dict, int]:
    """A minimal HTTP/1.1 GET: (status, headers (lower-case, Set-Cookie joined), body bytes)."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(parts.hostname, parts.port or 80), timeout
    )
    try:
        request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
        if cookie:
            request += f"Cookie: {cookie}\r\n"
        writer.write((request + "\r\n").encode("latin-1"))
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        raise LoadError(f"bad HTTP response for {path}") from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "set-cookie" and name in headers:
            headers[name] += "\n" + value.strip()
        else:
            headers[name] = value.strip()
    return status, headers, len(body)


def _cookies_from(set_cookie: str) -> dict[str, str]:
    jar = {}
    for line in set_cookie.split("\n"):
        first = line.split(";", 1)[0]
        if "=" in first:
            name, value = first.split("=", 1)
            jar[name.strip()] = value.strip()
    return jar
