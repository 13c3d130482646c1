"""Where the Learning Record Store is: the LRS_* settings, checked once, in one plain line."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.errors import SettingsError
from app.settings import get_settings


class LrsNotConfigured(SettingsError):
    """LRS_URL is empty: statements wait in the outbox."""


@dataclass(frozen=True)
class LrsConfig:
    """The LRS's xAPI base address (ending in ``/``) and its Basic credentials."""

    url: str
    username: str
    password: str

    @property
    def statements_url(self) -> str:
        return self.url + "statements"

    @property
    def about_url(self) -> str:
        return self.url + "about"

    def headers(self) -> dict[str, str]:
        headers = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
        if self.username or self.password:
            pair = f"{self.username}:{self.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers


def check_address(url: str) -> str:
    """The LRS address normalised to end in ``/``; a bad one raises a one-line error."""
    value = url.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"LRS_URL '{value}' is not an http:// or https:// address "
            "(for example https://lrs.example.org/xAPI/)."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise SettingsError(
            "LRS_URL must be a plain address: put the user name and password in "
            "LRS_USERNAME and LRS_PASSWORD, and leave out ? and #."
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise SettingsError(f"LRS_URL '{value}' has a port that is not a number.") from None
    return value.rstrip("/") + "/"


def lrs_config() -> LrsConfig:
    """The configured LRS; raises :class:`LrsNotConfigured` or a one-line SettingsError."""
    settings = get_settings()
    if not settings.lrs_url.strip():
        raise LrsNotConfigured("No Learning Record Store is set up (LRS_URL is empty).")
    return LrsConfig(
        url=check_address(settings.lrs_url),
        username=settings.lrs_username,
        password=settings.lrs_password,
    )


def site_home() -> str:
    """The site address statements name their actors and activities under."""
    from app.services.lrs.statements import DEFAULT_HOME

    return str(getattr(get_settings(), "public_url", "") or DEFAULT_HOME).rstrip("/")
