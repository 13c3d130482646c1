"""One settings object, read from the environment and ``.streamlit/secrets.toml``.

Defaults suit a laptop. Outside development a default or missing cookie secret
is refused. A bad value raises :class:`SettingsError` with one plain line.
"""

from __future__ import annotations

import functools
import ipaddress
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_COOKIE_SECRET = "development-only-cookie-secret"


class Settings(BaseSettings):
    """Every setting of the platform. Each field is documented in README.md."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means an SQLite file in DATA_DIR.",
    )
    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Folder for local data.")
    app_env: Literal["development", "test", "production"] = Field(
        default="development", description="development, test or production."
    )
    cookie_secret: str = Field(default=DEV_COOKIE_SECRET, description="Streamlit cookie secret.")
    audio_cache_dir: Path | None = Field(
        default=None, description="Shared folder for rendered call audio (default DATA_DIR/audio)."
    )
    audio_workers: int = Field(default=2, ge=1, le=16, description="Speech worker processes.")
    audio_timeout_s: float = Field(default=20.0, gt=0, description="Timeout per rendered clip.")
    pass_mark: int = Field(default=80, ge=0, le=100, description="Practice pass mark (score).")
    session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="A login ends after this long without use."
    )
    session_max_hours: int = Field(
        default=12, ge=1, le=7 * 24, description="A login ends this long after it began."
    )
    session_cookie_secure: Literal["auto", "always"] = Field(
        default="auto",
        description="Mark the session cookie Secure: auto (when the request came over HTTPS) "
        "or always.",
    )
    trusted_proxies: str = Field(
        default="127.0.0.1,::1",
        description="Comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed.",
    )
    login_failures_per_address: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Failed logins from one client address in an hour before each try waits.",
    )
    public_url: str = Field(
        default="",
        description="The site's public address (https://academy.example.org), printed with "
        "the verify link and QR code on certificates. Empty: a relative /verify link.",
    )

    lrs_url: str = Field(
        default="",
        description="The Learning Record Store's xAPI address (https://lrs.example.org/xAPI/); "
        "empty: statements wait in the outbox and nothing is sent.",
    )
    lrs_username: str = Field(default="", description="User name (Basic auth) for the LRS.")
    lrs_password: str = Field(default="", description="Password (Basic auth) for the LRS.")
    lrs_send_seconds: float = Field(
        default=15.0,
        ge=0,
        le=3600,
        description="How often the server's background sender delivers waiting statements; "
        "0 turns the background sender off (use python -m app lrs push).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"'{item}' is not an IP address or network") from None
        return ",".join(items)

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_site(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"'{value}' is not an http:// or https:// address")
        if parts.query or parts.fragment or any(c.isspace() for c in value):
            raise ValueError(f"'{value}' must be a plain site address without ? or #")
        return value.rstrip("/")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'callscreen.db'}"

    @property
    def effective_audio_dir(self) -> Path:
        return self.audio_cache_dir or (self.data_dir / "audio")


def _secrets_file_values() -> dict:
    """Top-level keys of ``.streamlit/secrets.toml`` (lower-cased), if the file exists."""
    path = PROJECT_ROOT / ".streamlit" / "secrets.toml"
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    return {k.lower(): v for k, v in raw.items() if not isinstance(v, dict)}


def load_settings(**overrides) -> Settings:
    """Build settings: explicit overrides > environment > secrets.toml > defaults."""
    import os

    from_secrets = {k: v for k, v in _secrets_file_values().items() if k.upper() not in os.environ}
    try:
        settings = Settings(**{**from_secrets, **overrides})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]).upper()
        raise SettingsError(f"setting {name} is invalid: {first['msg']}") from None
    if settings.app_env == "production" and settings.cookie_secret in ("", DEV_COOKIE_SECRET):
        raise SettingsError("setting COOKIE_SECRET must be set to a private value in production")
    return settings


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
