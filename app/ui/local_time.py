"""Times shown in the viewer's own time zone (the browser reports it), UTC otherwise."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st


def viewer_zone() -> dt.tzinfo:
    try:
        name = st.context.timezone
    except Exception:  # no browser context (AppTest, bare mode)
        name = None
    if not name:
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def local(stamp: dt.datetime | None) -> dt.datetime | None:
    """``stamp`` (stored in UTC) in the viewer's zone."""
    if stamp is None:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(viewer_zone())


def shown(stamp: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``stamp`` formatted in the viewer's zone, with the zone's abbreviation."""
    value = local(stamp)
    return "" if value is None else f"{value.strftime(fmt)} {value.tzname() or ''}".strip()
