"""A supervisor's replay of a typed call: what the trainee typed, what it matched, the pauses."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services import practice, review
from app.services.practice import call as calls
from app.services.practice import clock
from app.services.practice import submit as submitting
from app.services.review.replay import _question
from tests.services.test_practice_support import KNIFE_TEXT, store
from tests.services.test_practice_typed import KNIFE_ANSWER


def take_typed_call(world, monkeypatch) -> int:
    """A knife call taken by typing, with ten minutes away from the call screen."""
    now = [dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)]
    for module in (calls, submitting):
        monkeypatch.setattr(module, "utcnow", lambda: now[0])

    def move(seconds: float) -> None:
        now[0] += dt.timedelta(seconds=seconds)

    t = world["trainee-a"]
    version = store(world.agencies["a"], KNIFE_TEXT)
    attempt_id = practice.start_attempt(actor=t, scenario_version_id=version, mode="standard")
    move(8)
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="is he armed")
    move(4)
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="hold on")
    move(600)  # another page
    calls.keep_alive(actor=t, attempt_id=attempt_id)
    move(6)
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="did he threaten you")
    move(2)
    key = practice.attempt_view(actor=t, attempt_id=attempt_id)["idempotency_key"]
    practice.submit_attempt(
        actor=t, attempt_id=attempt_id, answer=KNIFE_ANSWER, idempotency_key=key
    )
    return attempt_id


@pytest.fixture
def typed_call(database, world, monkeypatch):
    return take_typed_call(world, monkeypatch)


def test_the_replay_shows_each_typed_text_and_what_it_matched(typed_call, world):
    replay = review.attempt_replay(actor=world["supervisor-a"], attempt_id=typed_call)
    assert replay.typed[["typed", "matched"]].values.tolist() == [
        ["is he armed", "weapons"],
        ["hold on", None],
        ["did he threaten you", "threats"],
    ]
    labels = replay.timeline["label"].tolist()
    assert f"typed: 'is he armed' → {_question('weapons')}" in labels
    assert "typed: 'hold on' → not understood" in labels
    unmatched = replay.timeline[replay.timeline["kind"] == "unmatched"]
    assert unmatched["verdict"].tolist() == ["counts as nothing"]


def test_the_replay_shows_the_pauses_and_leaves_them_out_of_the_time(typed_call, world):
    replay = review.attempt_replay(actor=world["supervisor-a"], attempt_id=typed_call)
    assert replay.pauses.values.tolist() == [[12.0, 600.0]]
    [pause] = replay.timeline[replay.timeline["kind"] == "pause"].to_dict("records")
    assert pause["t"] == 12.0 and pause["label"].startswith("paused 10 min 00 s")
    assert not {"seen", "resume"} & set(replay.timeline["kind"])  # heartbeat, pause's end
    assert replay.attempt["seconds"] == 20.0  # 8 + 4 + 6 + 2: the ten minutes away left out
    asked = replay.timeline[replay.timeline["kind"] == "ask"]["t"].tolist()
    assert asked == [8.0, 18.0]  # call time, not wall time


def test_replay_helpers_are_empty_for_a_call_without_typing():
    from app.services.review.replay import pause_table, typed_questions

    events = [{"t": 3.0, "kind": "ask", "value": "weapons"}, {"kind": "seen", "w": 9.0}]
    assert typed_questions(events).empty and pause_table(events).empty
    assert clock.pauses(events) == []


def test_a_call_back_reads_as_words_in_the_replay():
    from app.services.review.replay import replay_timeline

    events = [
        {"kind": "callback", "t": 4.0, "value": None},
        {"kind": "ask", "t": 9.0, "value": "address"},
    ]
    timeline = replay_timeline(events, {"required_questions": ["address"]}, {})
    first = timeline.to_dict("records")[0]
    assert first["label"] == "called the caller back after the line went dead"
    assert "callback" not in first["label"] and first["judgement"] == "good"
