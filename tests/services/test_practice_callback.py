"""Dropped and hung-up calls through the practice service: nothing is answered until the
trainee calls back, the call back is recorded once, heard, replayed and interpreted; a
text-to-911 call has no audio. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.errors import AccessDenied, NotFound, UserError
from app.services import practice
from app.services.practice import call as calls
from app.store.db import read_session
from app.store.models import Attempt
from tests.services.test_practice_support import KNIFE_TEXT, store

DROPPED_TEXT = """\
format: 1
id: dropped-kitchen-0001
version: 1
title: A mother's call cut off mid-sentence
module: call-taker-skills
call:
  channel: "911"
  time: "16:20"
  initial_call_type: MENTAL_HEALTH
  connection: dropped
  caller: {role: mother, relation: family, language: es, gender: female}
  opening: Mi hijo no está bien, está gritando en la cocina y yo no sé qué—
  when_called_back:
    who: the same woman
    answer: ¿Sí? Perdón, se cortó. Sigue gritando, pero no tiene nada en las manos.
    interpreted: Yes? Sorry, it cut off. He's still shouting, but he has nothing in his hands.
  exchanges:
    - ask: interpreter
      answer: Sí, por favor.
      interpreted: Yes, please.
    - ask: weapons
      answer: No, no tiene nada.
      interpreted: No, he has nothing.
  context:
    responders_available: true
expert:
  disqualifiers: []
  call_type: MENTAL_HEALTH
  priority: 3
  disposition: community_responder
  required_questions: [interpreter, weapons]
  rationale: >
    A son in distress at home, nothing in his hands and nobody hurt: the team.
"""
TEXT_CALL = (
    KNIFE_TEXT.replace("porch-knife-0001", "porch-knife-text")
    .replace('  channel: "911"\n', '  channel: "911"\n  medium: text\n')
    .replace("time_target_seconds: 75", "time_target_seconds: 240")
)


@pytest.fixture
def bank(database, world):
    a = world.agencies["a"]
    return {
        "dropped": store(a, DROPPED_TEXT),
        "knife": store(a, KNIFE_TEXT),
        "text": store(a, TEXT_CALL),
    }


def _start(world, bank, name="dropped", who="trainee-a"):
    return practice.start_attempt(actor=world[who], scenario_version_id=bank[name], mode="standard")


def _events(attempt_id: int) -> list[dict]:
    with read_session() as session:
        return list(session.get(Attempt, attempt_id).events or [])


def test_nothing_is_answered_before_the_call_back(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    view = practice.attempt_view(actor=t, attempt_id=attempt_id)
    assert view["call_kind"]["needs_callback"] is True
    assert view["call_kind"]["called_back"] is False
    with pytest.raises(practice.LineDead):
        practice.ask_question(actor=t, attempt_id=attempt_id, question_id="weapons")
    with pytest.raises(practice.LineDead):
        calls.ask_typed(actor=t, attempt_id=attempt_id, text="does he have a weapon")
    assert _events(attempt_id) == []  # a question on a dead line is not asked
    with pytest.raises(AccessDenied):
        practice.clip_bytes(actor=t, attempt_id=attempt_id, item="called_back")


def test_calling_back_opens_the_line_once_and_is_replayed(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    said = practice.call_back(actor=t, attempt_id=attempt_id)
    assert said["answer"].startswith("¿Sí? Perdón, se cortó")
    assert said["interpreted"] is None  # no interpreter on the line yet
    assert said["who"] == "the same woman" and said["clip"] == "called_back"
    assert said["clips"] == ["called_back"]
    again = practice.call_back(actor=t, attempt_id=attempt_id)
    assert again["t"] == said["t"]
    assert [e["kind"] for e in _events(attempt_id)] == ["callback"]

    line = practice.ask_question(actor=t, attempt_id=attempt_id, question_id="interpreter")
    assert line["interpreted"] == "Yes, please."
    weapons = practice.ask_question(actor=t, attempt_id=attempt_id, question_id="weapons")
    assert weapons["answer"] == "No, no tiene nada." and weapons["interpreted"]
    view = practice.attempt_view(actor=t, attempt_id=attempt_id)
    assert view["call_kind"]["called_back"] is True
    first = view["transcript"][0]
    assert first["callback"] is True and first["question"] == calls.CALLBACK_QUESTION
    assert first["interpreted"] is None  # said before the interpreter came on
    assert [e.get("id") for e in view["transcript"]] == [None, "interpreter", "weapons"]


def test_after_the_interpreter_the_call_back_comes_in_english_too(bank, world):
    from app.core.scenario import parse_scenario

    data, _ = parse_scenario(DROPPED_TEXT)
    english = calls._callback_said(data, interpreter=True)
    assert english["interpreted"].startswith("Yes? Sorry, it cut off")
    assert english["clip"] == "en:called_back"
    assert english["clips"] == ["called_back", "en:called_back"]  # she speaks, then the line
    assert calls._callback_said(data, interpreter=False)["clips"] == ["called_back"]


def test_a_submitted_call_back_call_is_graded_on_what_was_asked_after_it(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    practice.call_back(actor=t, attempt_id=attempt_id)
    for qid in ("interpreter", "weapons"):
        practice.ask_question(actor=t, attempt_id=attempt_id, question_id=qid)
    view = practice.attempt_view(actor=t, attempt_id=attempt_id)
    result = practice.submit_attempt(
        actor=t,
        attempt_id=attempt_id,
        answer={
            "disqualifiers": [],
            "call_type": "MENTAL_HEALTH",
            "priority": 3,
            "disposition": "community_responder",
        },
        idempotency_key=view["idempotency_key"],
    )
    grade = result["grade"] if "grade" in result else result
    assert grade["score"] == 100
    with pytest.raises(UserError):
        practice.call_back(actor=t, attempt_id=attempt_id)  # the call is closed


def test_a_connected_call_has_nobody_to_call_back(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank, "knife")
    assert practice.attempt_view(actor=t, attempt_id=attempt_id)["call_kind"] == {
        "medium": "voice",
        "needs_callback": False,
        "called_back": False,
        "prior_calls": [],
    }
    with pytest.raises(UserError):
        practice.call_back(actor=t, attempt_id=attempt_id)
    practice.ask_question(actor=t, attempt_id=attempt_id, question_id="weapons")  # no refusal


def test_only_the_trainee_can_call_back_their_own_call(bank, world):
    attempt_id = _start(world, bank)
    for other in ("trainee-b", "trainer-a"):
        with pytest.raises((NotFound, AccessDenied)):
            practice.call_back(actor=world[other], attempt_id=attempt_id)
    with read_session() as session:
        row = session.exec(select(Attempt).where(Attempt.id == attempt_id)).one()
    assert not row.events


def test_a_text_call_is_read_not_heard(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank, "text")
    assert practice.attempt_view(actor=t, attempt_id=attempt_id)["call_kind"]["medium"] == "text"
    assert practice.clip_bytes(actor=t, attempt_id=attempt_id, item="opening") is None
