"""Call time from the events alone: pauses are what the call screen did not see."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.services.practice import clock

GAPS = st.lists(st.floats(min_value=0, max_value=900, allow_nan=False), max_size=40)


def _run(gaps: list[float]) -> tuple[list, float]:
    """A call screen heard from after each gap; returns (events, wall seconds at the end)."""
    events: list = []
    now = 0.0
    for gap in gaps:
        now = round(now + gap, 1)
        events, _ = clock.settle(events, now)
    return events, now


@given(GAPS)
def test_call_time_and_pauses_add_up_to_the_wall_clock(gaps):
    events, now = _run(gaps)
    paused = sum(p["seconds"] for p in clock.pauses(events))
    assert abs(clock.call_seconds(events, now) + paused - now) < 0.2
    assert 0 <= clock.call_seconds(events, now) <= now


@given(GAPS)
def test_every_event_the_clock_writes_has_its_call_second_and_wall_second(gaps):
    events, _ = _run(gaps)
    assert all(isinstance(e["t"], float) and isinstance(e["w"], float) for e in events)
    assert all(e["t"] <= e["w"] + 0.1 for e in events)


@given(GAPS)
def test_recording_a_pause_does_not_change_the_call_time(gaps):
    """What the server works out before it writes a pause is what it shows after."""
    events, now = _run(gaps[:-1])
    later = now + (gaps[-1] if gaps else 0)
    before = clock.call_seconds(events, later)
    settled, _ = clock.settle(events, later)
    assert abs(clock.call_seconds(settled, later) - before) < 0.2


@given(st.lists(st.floats(min_value=0, max_value=clock.HEARTBEAT_SECONDS), max_size=60))
def test_a_screen_that_keeps_up_its_heartbeat_is_never_paused(gaps):
    events, now = _run(gaps)
    assert clock.pauses(events) == []
    assert abs(clock.call_seconds(events, now) - now) < 0.2


ON_THE_CALL = st.lists(st.floats(min_value=0, max_value=clock.HEARTBEAT_SECONDS), max_size=20)


@given(ON_THE_CALL, st.floats(min_value=clock.PAUSE_AFTER + 0.5, max_value=7200), ON_THE_CALL)
def test_a_long_silence_is_left_out_whole(before, away, after):
    events, now = _run([*before, away, *after])
    assert clock.call_seconds(events, now) <= now - away + 0.2
    [pause] = clock.pauses(events)
    assert pause["seconds"] >= away - 0.2


def test_the_heartbeat_is_one_mark_moved_on():
    events, _ = _run([10, 10, 10, 10])
    assert [e["kind"] for e in events] == ["seen"]
    assert events[0]["w"] == 40


def test_events_from_before_pauses_count_their_time_as_wall_time():
    legacy = [{"t": 50.0, "kind": "ask", "value": "weapons"}]
    assert clock.last_seen(legacy) == 50.0
    assert clock.call_seconds(legacy, 60.0) == 60.0
    assert clock.call_seconds(legacy, 50.0 + clock.PAUSE_AFTER + 10) == 50.0


def test_a_pause_still_open_counts_up_to_now():
    events = [{"kind": "pause", "t": 12.0, "w": 12.0}]
    assert clock.call_seconds(events, 100.0) == 12.0
