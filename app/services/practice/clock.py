"""Time on a call that is true: it counts only while the call screen is open.

Part of :mod:`app.services.practice`; import from the package.

The open call screen tells the server it is still there every
:data:`HEARTBEAT_SECONDS` (and every question, mark or submission says so too). When
the server next hears from the call after a silence longer than :data:`PAUSE_AFTER`
(the trainee went to another page, logged out, closed the tab or lost the
connection), it records the silence as a pause: a ``pause`` event at the last moment
it heard from the screen and a ``resume`` event now. Time on the call is the time
since it started less every pause, worked out here from the events alone, on the
server; the browser's clock only shows it.

The events this module reads and writes (the attempt's ``events`` list):

- every event carries ``w``, wall-clock seconds since the attempt started, and ``t``,
  seconds of call time (the two differ by the pauses before it); events recorded
  before pauses were counted carry only ``t``, which was wall-clock time then;
- ``{"kind": "seen", "t": ..., "w": ...}``: one per attempt, moved on by each heartbeat;
- ``{"kind": "pause", "t": ..., "w": ...}`` then ``{"kind": "resume", "t": ..., "w": ...}``:
  one pair per pause, with the same ``t`` (the call clock stands still in between).

Pure functions: no database, no Streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TypedDict

HEARTBEAT_SECONDS = 10  # how often the open call screen says it is still there
PAUSE_AFTER = 30  # a silence longer than this (three missed heartbeats) is a pause
SEEN_WRITE_AFTER = 5  # a heartbeat closer than this to the last sign of life writes nothing
PAUSE_KINDS = ("pause", "resume")
CLOCK_KINDS = ("seen", "pause", "resume")


def wall_seconds(started_at: dt.datetime, now: dt.datetime) -> float:
    """Wall-clock seconds from ``started_at`` to ``now`` (never negative)."""
    return max(0.0, round((now - started_at).total_seconds(), 1))


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _dicts(events: Iterable | None) -> list[Mapping]:
    return [e for e in events or [] if isinstance(e, Mapping)]


def last_seen(events: Iterable | None) -> float:
    """The last wall-clock second the server heard from the call screen (0: at the start)."""
    seen = 0.0
    for event in _dicts(events):
        w = _float(event.get("w"))
        if w is None and event.get("kind") not in CLOCK_KINDS:
            w = _float(event.get("t"))  # an event from before pauses: ``t`` was wall time
        if w is not None:
            seen = max(seen, w)
    return seen


def paused_seconds(events: Iterable | None, now_w: float) -> float:
    """Seconds of the call spent paused up to wall-clock second ``now_w``.

    Counts every recorded pause, a pause still open, and a silence since the last sign
    of life longer than :data:`PAUSE_AFTER` that nobody has recorded yet.
    """
    items = _dicts(events)
    paused, since = 0.0, None
    for event in items:
        w = _float(event.get("w"))
        if w is None:
            continue
        if event.get("kind") == "pause":
            since = w if since is None else since
        elif event.get("kind") == "resume" and since is not None:
            paused += max(0.0, w - since)
            since = None
    if since is not None:
        return paused + max(0.0, now_w - since)
    gap = now_w - last_seen(items)
    if gap > PAUSE_AFTER:
        paused += gap
    return paused


def call_seconds(events: Iterable | None, now_w: float) -> float:
    """Seconds of call time at wall-clock second ``now_w``: wall time less the pauses."""
    return round(max(0.0, now_w - paused_seconds(events, now_w)), 1)


def settle(events: list | None, now_w: float, *, mark: bool = True) -> tuple[list, bool]:
    """The events with a silence that became a pause recorded, and the heartbeat moved on.

    Returns (events, changed). A silence longer than :data:`PAUSE_AFTER` since the
    last sign of life becomes a ``pause`` at that moment and a ``resume`` now. With
    ``mark`` (a heartbeat), the ``seen`` mark moves to ``now_w`` unless the last sign of
    life is under :data:`SEEN_WRITE_AFTER` seconds old (then nothing needs writing);
    without it (an event is about to be appended, which is a sign of life itself) only
    the pause is recorded.
    """
    items = list(events or [])
    seen = last_seen(items)
    changed = False
    if now_w - seen > PAUSE_AFTER:
        t = call_seconds(items, seen)
        items.append({"t": t, "w": round(seen, 1), "kind": "pause", "value": None})
        items.append({"t": t, "w": round(now_w, 1), "kind": "resume", "value": None})
        changed = True
    elif now_w - seen < SEEN_WRITE_AFTER:
        return items, changed
    if not mark:
        return items, changed
    marks = [i for i, e in enumerate(items) if isinstance(e, Mapping) and e.get("kind") == "seen"]
    seen_mark = {
        "t": call_seconds(items, now_w),
        "w": round(now_w, 1),
        "kind": "seen",
        "value": None,
    }
    if marks:
        items[marks[-1]] = seen_mark
    else:
        items.append(seen_mark)
    return items, True


class Pause(TypedDict):
    t: float  # the call second it started at
    w: float  # the wall-clock second it started at
    seconds: float  # how long it lasted


def pauses(events: Iterable | None) -> list[Pause]:
    """Each recorded pause: ``{"t": call second, "w": wall second, "seconds": how long}``."""
    out: list[Pause] = []
    start: Mapping | None = None
    for event in _dicts(events):
        kind = event.get("kind")
        if kind == "pause" and start is None:
            start = event
        elif kind == "resume" and start is not None:
            w0, w1 = _float(start.get("w")) or 0.0, _float(event.get("w")) or 0.0
            out.append(
                Pause(
                    t=_float(start.get("t")) or 0.0,
                    w=w0,
                    seconds=round(max(0.0, w1 - w0), 1),
                )
            )
            start = None
    return out
