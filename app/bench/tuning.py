"""Streamlit config options for an experiment (``python -m app bench --set key=value``).

The bench measures the app as configured in ``.streamlit/config.toml``. ``--set``
changes an option for one run, in this process (AppTest) and in every server it
starts (as the ``STREAMLIT_...`` environment variable Streamlit reads), so a tuning
idea can be measured before it goes into the config file.
"""

from __future__ import annotations

from app.errors import UserError


class OptionError(UserError):
    """Not a Streamlit option or not a value it accepts."""


def _coerce(raw: str, kind: type):
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(raw)
        return lowered == "true"
    if kind in (int, float):
        return kind(raw)
    return raw


def parse(items: list[str]) -> dict[str, str]:
    """['runner.postScriptGC=false', ...] -> {'runner.postScriptGC': 'false'} (checked)."""
    from streamlit import config

    known = config.get_config_options()
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in known:
            raise OptionError(f"--set {item}: not a Streamlit option (section.name=value)")
        kind = type(known[key].default_val) if known[key].default_val is not None else str
        try:
            _coerce(value, kind)
        except ValueError:
            raise OptionError(f"--set {item}: '{value}' is not a {kind.__name__}") from None
        out[key] = value.strip()
    return out


def apply(options: dict[str, str]) -> dict[str, str]:
    """Set the options in this process; returns the environment variables for servers."""
    from streamlit import config

    known = config.get_config_options()
    env: dict[str, str] = {}
    for key, value in options.items():
        option = known[key]
        kind = type(option.default_val) if option.default_val is not None else str
        config.set_option(key, _coerce(value, kind))
        env[option.env_var] = value
    return env
