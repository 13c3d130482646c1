"""Typed questions, the location to be found, callers in another language and time that
is true (pauses), through the practice service. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from app.core.question_match import MAX_CHARS, QuestionTextError
from app.errors import AccessDenied, UserError
from app.services import practice
from app.services.practice import call as calls
from app.services.practice import clock
from app.services.practice import submit as submitting
from app.store.db import read_session
from app.store.models import Attempt, User
from tests.services.test_practice_support import KNIFE_TEXT, store

# The knife call, as a mobile phone shows it: an ALI area before the caller says where.
ALI_TEXT = (
    KNIFE_TEXT.replace("porch-knife-0001", "porch-knife-ali")
    .replace(
        "  location: Front porch of 48 Alder Lane\n",
        "  ali: Mobile phone, within about 200 m of Alder Lane and 5th\n"
        "  location: Front porch of 48 Alder Lane\n",
    )
    .replace(
        "  exchanges:\n",
        "  exchanges:\n    - ask: address\n      answer: Forty-eight Alder Lane, on my porch.\n",
    )
)
# A police referral: the team is at the scene, so the location is known from the start.
REFERRAL_TEXT = KNIFE_TEXT.replace("porch-knife-0001", "porch-knife-referral").replace(
    'channel: "911"', "channel: police_referral"
)
SPANISH_TEXT = """\
format: 1
id: stairs-spanish-0001
version: 1
title: A neighbour on the stairs, in Spanish
module: call-taker-skills
call:
  channel: "911"
  time: "14:10"
  initial_call_type: WELFARE_CHECK
  location: Stairwell of 12 Birch Court
  caller: {role: neighbour, relation: neighbor, language: es}
  opening: >
    Mi vecina está sentada en la escalera desde hace horas y no sabe dónde está.
  exchanges:
    - ask: interpreter
      answer: Sí, sí, gracias.
      interpreted: Yes, yes, thank you.
    - ask: medical
      answer: Está despierta y respira bien, pero está muy confundida.
      interpreted: She's awake and breathing fine, but she's very confused.
    - ask: weapons
      answer: No, nada de eso.
      interpreted: No, nothing like that.
  context:
    responders_available: true
expert:
  disqualifiers: []
  call_type: WELFARE_CHECK
  priority: 3
  disposition: community_responder
  required_questions: [interpreter, medical, weapons]
  rationale: >
    A confused neighbour, awake and breathing, no weapon: a welfare call for the team.
"""
KNIFE_ANSWER = {
    "disqualifiers": ["weapon"],
    "call_type": "SUSPICIOUS_PERSON",
    "priority": 2,
    "disposition": "community_responder_with_police",
}


@pytest.fixture
def calls_bank(database, world):
    a = world.agencies["a"]
    return {
        "knife": store(a, KNIFE_TEXT),
        "ali": store(a, ALI_TEXT),
        "referral": store(a, REFERRAL_TEXT),
        "spanish": store(a, SPANISH_TEXT),
    }


def _start(world, bank, name="knife", mode="standard"):
    return practice.start_attempt(
        actor=world["trainee-a"], scenario_version_id=bank[name], mode=mode
    )


def _events(attempt_id: int) -> list[dict]:
    with read_session() as session:
        return list(session.get(Attempt, attempt_id).events or [])


def _view(world, attempt_id):
    return practice.attempt_view(actor=world["trainee-a"], attempt_id=attempt_id)


# ------------------------------------------------------------------ typed questions


def test_a_typed_question_is_answered_as_if_asked_and_counts(calls_bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank)
    said = calls.ask_typed(actor=t, attempt_id=attempt_id, text="  is he   armed ")
    assert said["id"] == "weapons" and "kitchen knife" in said["answer"]
    assert said["question"] == "is he armed" and said["score"] >= 0.5
    own = calls.ask_typed(actor=t, attempt_id=attempt_id, text="how long has he been on the porch")
    assert own["id"] == "how_long_porch" and "twenty minutes" in own["answer"]

    view = _view(world, attempt_id)
    assert [a["id"] for a in view["asked"]] == ["weapons", "how_long_porch"]
    assert view["transcript"][0]["question"] == "is he armed"  # the trainee's own words
    assert view["transcript"][0]["typed"] is True
    typed = [(e["kind"], e["value"], e["typed"]) for e in _events(attempt_id) if "typed" in e]
    assert typed == [
        ("ask", "weapons", "is he armed"),
        ("ask", "how_long_porch", "how long has he been on the porch"),
    ]
    practice.submit_attempt(
        actor=t,
        attempt_id=attempt_id,
        answer=KNIFE_ANSWER,
        idempotency_key=view["idempotency_key"],
    )
    with read_session() as session:
        stored = session.get(Attempt, attempt_id)
    assert stored.answer["questions"] == ["weapons", "how_long_porch"]  # graded as asked
    review = practice.review_attempt(actor=t, attempt_id=attempt_id)
    assert [e["question"] for e in review["transcript"]] == [
        "is he armed",
        "how long has he been on the porch",
    ]


def test_asking_the_same_thing_twice_keeps_both_texts_but_counts_once(calls_bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank)
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="does he have a weapon")
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="any knives or guns?")
    view = _view(world, attempt_id)
    assert [a["id"] for a in view["asked"]] == ["weapons"]
    assert [e["question"] for e in view["transcript"]] == [
        "does he have a weapon",
        "any knives or guns?",
    ]


@pytest.mark.parametrize("text", ["ok", "hold on", "asdfgh qwerty", "nice weather today"])
def test_text_that_asks_nothing_gets_a_natural_reply_and_counts_as_nothing(calls_bank, world, text):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank)
    said = calls.ask_typed(actor=t, attempt_id=attempt_id, text=text)
    assert said["id"] is None and said["answer"] == calls.UNCLEAR_REPLY
    view = _view(world, attempt_id)
    assert view["asked"] == []  # nothing counts as asked
    assert view["transcript"][-1]["answer"] == "Sorry, what do you mean?"
    [event] = [e for e in _events(attempt_id) if e.get("typed")]
    assert event["kind"] == "unmatched" and event["typed"] == text  # recorded all the same


@pytest.mark.parametrize("text", ["", "   ", "x" * (MAX_CHARS + 1), "why " * 2500])
def test_empty_or_over_long_text_is_refused_and_nothing_is_stored(calls_bank, world, text):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank)
    with pytest.raises(QuestionTextError) as caught:
        calls.ask_typed(actor=t, attempt_id=attempt_id, text=text)
    message = str(caught.value)
    assert "empty" in message or "characters long" in message
    assert "\n" not in message
    assert _events(attempt_id) == []


def test_typed_questions_need_an_open_call_of_ones_own(calls_bank, world):
    attempt_id = _start(world, calls_bank)
    with pytest.raises(Exception) as caught:
        calls.ask_typed(actor=world["trainee-b"], attempt_id=attempt_id, text="is he armed")
    assert isinstance(caught.value, UserError)
    view = _view(world, attempt_id)
    practice.submit_attempt(
        actor=world["trainee-a"],
        attempt_id=attempt_id,
        answer=KNIFE_ANSWER,
        idempotency_key=view["idempotency_key"],
    )
    with pytest.raises(practice.AttemptClosed):
        calls.ask_typed(actor=world["trainee-a"], attempt_id=attempt_id, text="is he armed")


def test_a_call_keeps_a_bounded_number_of_typed_questions(calls_bank, world, monkeypatch):
    t = world["trainee-a"]
    monkeypatch.setattr(calls, "MAX_TYPED_PER_CALL", 2)
    attempt_id = _start(world, calls_bank)
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="is he armed")
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="ok")
    with pytest.raises(UserError, match="already holds 2 typed questions"):
        calls.ask_typed(actor=t, attempt_id=attempt_id, text="did he threaten you")
    assert len([e for e in _events(attempt_id) if e.get("typed")]) == 2


def test_standard_timed_and_exam_calls_type_guided_calls_keep_the_cards(calls_bank, world):
    for mode, typed in (("standard", True), ("timed", True), ("guided", False)):
        assert _view(world, _start(world, calls_bank, mode=mode))["typed"] is typed
    assert "exam" in calls.TYPED_MODES


# ------------------------------------------------------------------ where the call is


def test_location_shows_only_after_the_address_is_asked(calls_bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank, "ali")
    view = _view(world, attempt_id)
    assert view["location"] is None
    assert view["ali"] == "Mobile phone, within about 200 m of Alder Lane and 5th"
    assert "48 Alder Lane" not in repr(view)  # not even hidden somewhere in the view
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="what's the address of your house?")
    assert _view(world, attempt_id)["location"] == "Front porch of 48 Alder Lane"


def test_location_without_ali_is_nothing_until_asked(calls_bank, world):
    attempt_id = _start(world, calls_bank, "knife", mode="guided")
    view = _view(world, attempt_id)
    assert view["location"] is None and view["ali"] is None
    practice.ask_question(actor=world["trainee-a"], attempt_id=attempt_id, question_id="address")
    assert _view(world, attempt_id)["location"] == "Front porch of 48 Alder Lane"


def test_a_referral_from_the_scene_shows_the_location_from_the_start(calls_bank, world):
    view = _view(world, _start(world, calls_bank, "referral"))
    assert view["location"] == "Front porch of 48 Alder Lane"


# ------------------------------------------------------------------ another language


def test_a_caller_in_another_language_is_interpreted_only_once_the_line_is_on(calls_bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank, "spanish")
    assert _view(world, attempt_id)["opening"].startswith("Mi vecina")
    before = calls.ask_typed(actor=t, attempt_id=attempt_id, text="is she awake and breathing")
    assert before["answer"].startswith("Está despierta") and before["interpreted"] is None
    assert before["clip"] == "medical"
    unclear = calls.ask_typed(actor=t, attempt_id=attempt_id, text="ok")
    assert unclear["answer"] == "Perdón, ¿qué quiere decir?" and unclear["interpreted"] is None

    line = calls.ask_typed(actor=t, attempt_id=attempt_id, text="I'm getting an interpreter")
    assert line["id"] == "interpreter" and line["interpreted"] == "Yes, yes, thank you."
    after = calls.ask_typed(actor=t, attempt_id=attempt_id, text="does anyone have a weapon")
    assert after["answer"] == "No, nada de eso."
    assert after["interpreted"] == "No, nothing like that." and after["clip"] == "en:weapons"
    unscripted = calls.ask_typed(actor=t, attempt_id=attempt_id, text="is anyone hurt")
    assert unscripted["answer"] == "(The caller answers in Spanish.)"
    assert unscripted["interpreted"]  # the neutral answer, in English through the line

    transcript = _view(world, attempt_id)["transcript"]
    assert transcript[0]["interpreted"] is None  # said before the interpreter came on
    assert [e["interpreted"] is not None for e in transcript] == [False, False, True, True, True]


def test_once_the_interpreter_is_on_each_answer_plays_the_caller_then_the_interpreter(
    calls_bank, world
):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank, "spanish")
    before = calls.ask_typed(actor=t, attempt_id=attempt_id, text="is she awake and breathing")
    assert before["clips"] == ["medical"]  # Spanish only: nobody relays it yet
    assert calls.ask_typed(actor=t, attempt_id=attempt_id, text="ok")["clips"] == ["unclear"]

    line = calls.ask_typed(actor=t, attempt_id=attempt_id, text="I'm getting an interpreter")
    assert line["clips"] == ["interpreter", "en:interpreter"]
    after = calls.ask_typed(actor=t, attempt_id=attempt_id, text="does anyone have a weapon")
    assert after["clips"] == ["weapons", "en:weapons"]  # the caller first, then the English
    assert after["clip"] == "en:weapons"  # the last voice heard, as before
    card = practice.ask_question(actor=t, attempt_id=attempt_id, question_id="medical")
    assert card["clips"] == ["medical", "en:medical"]
    unclear = calls.ask_typed(actor=t, attempt_id=attempt_id, text="ok")
    assert unclear["clips"] == ["unclear", "en:unclear"]
    # Nothing scripted in Spanish: the caller has no clip, only the interpreter is heard.
    unscripted = calls.ask_typed(actor=t, attempt_id=attempt_id, text="is anyone hurt")
    assert unscripted["clips"] == [f"en:{unscripted['id']}"]

    transcript = _view(world, attempt_id)["transcript"]
    assert [e["clips"] for e in transcript] == [
        ["medical"],
        ["unclear"],
        ["interpreter", "en:interpreter"],
        ["weapons", "en:weapons"],
        ["unclear", "en:unclear"],
        [f"en:{unscripted['id']}"],
    ]
    for entry in transcript:  # the trainee may fetch every clip of every answer
        for item in entry["clips"]:
            practice.clip_bytes(actor=t, attempt_id=attempt_id, item=item)


def test_an_english_caller_is_one_voice(calls_bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank)
    said = calls.ask_typed(actor=t, attempt_id=attempt_id, text="is he armed")
    assert said["clips"] == ["weapons"] == [said["clip"]]
    assert calls.ask_typed(actor=t, attempt_id=attempt_id, text="ok")["clips"] == ["unclear"]


def test_english_calls_have_no_interpreter_lines(calls_bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank)
    said = calls.ask_typed(actor=t, attempt_id=attempt_id, text="do you need an interpreter")
    assert said["interpreted"] is None
    assert all(e["interpreted"] is None for e in _view(world, attempt_id)["transcript"])


def test_the_interpreters_clip_needs_the_interpreter_first(calls_bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank, "spanish")
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="is she awake and breathing")
    with pytest.raises(AccessDenied):
        practice.clip_bytes(actor=t, attempt_id=attempt_id, item="en:medical")
    with pytest.raises(AccessDenied):
        practice.clip_bytes(actor=t, attempt_id=attempt_id, item="weapons")  # not asked yet


def test_the_caller_speaks_their_language_and_the_interpreter_english(calls_bank, world):
    from app.core.scenario import parse_scenario

    data, _ = parse_scenario(SPANISH_TEXT)
    caller = calls.caller_voice(data)
    assert caller.voice.startswith("es-419+")  # Latin American Spanish, the caller's variant
    assert calls.interpreter_voice(data).voice.startswith("en")
    english, _ = parse_scenario(KNIFE_TEXT)
    assert calls.caller_voice(english).voice.startswith("en")


def test_spanish_clips_are_spoken(calls_bank, world, speech):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank, "spanish")
    assert practice.clip_bytes(actor=t, attempt_id=attempt_id, item="opening")[:4] == b"RIFF"
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="I'm getting an interpreter")
    said = calls.ask_typed(actor=t, attempt_id=attempt_id, text="is she awake and breathing")
    spanish, english = (
        practice.clip_bytes(actor=t, attempt_id=attempt_id, item=item) for item in said["clips"]
    )
    assert spanish == practice.clip_bytes(actor=t, attempt_id=attempt_id, item="medical")
    assert spanish[:4] == english[:4] == b"RIFF" and spanish != english


# ------------------------------------------------------------------ the transcript setting


def test_always_show_transcripts_is_kept_for_the_trainee(calls_bank, world):
    t = world["trainee-a"]
    assert calls.transcript_setting(actor=t) is False
    attempt_id = _start(world, calls_bank)
    assert _view(world, attempt_id)["always_transcript"] is False
    calls.set_transcript_setting(actor=t, always=True)
    assert calls.transcript_setting(actor=t) is True
    assert _view(world, attempt_id)["always_transcript"] is True
    assert calls.transcript_setting(actor=world["trainee-b"]) is False  # one user's setting
    with read_session() as session:
        assert session.get(User, t.user_id).always_show_transcripts is True


def test_staff_have_no_transcript_setting(calls_bank, world):
    with pytest.raises(AccessDenied):
        calls.set_transcript_setting(actor=world["supervisor-a"], always=True)


# ------------------------------------------------------------------ time that is true


class _Clock:
    """utcnow() for the practice service, moved on by hand."""

    def __init__(self, monkeypatch):
        self.now = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
        for module in (calls, submitting):
            monkeypatch.setattr(module, "utcnow", lambda: self.now)

    def move(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def test_time_away_from_the_call_screen_is_a_pause_not_call_time(calls_bank, world, monkeypatch):
    t = world["trainee-a"]
    now = _Clock(monkeypatch)
    attempt_id = _start(world, calls_bank)
    for _ in range(3):  # the open screen's heartbeat
        now.move(clock.HEARTBEAT_SECONDS)
        calls.keep_alive(actor=t, attempt_id=attempt_id)
    assert _view(world, attempt_id)["elapsed_seconds"] == 30.0

    now.move(600)  # ten minutes on another page, or logged out
    assert _view(world, attempt_id)["elapsed_seconds"] == 30.0  # the clock stood still
    assert calls.keep_alive(actor=t, attempt_id=attempt_id) == 30.0  # back: the pause is kept
    kinds = [e["kind"] for e in _events(attempt_id) if e["kind"] in ("pause", "resume")]
    assert kinds == ["pause", "resume"]

    now.move(5)
    said = calls.ask_typed(actor=t, attempt_id=attempt_id, text="is he armed")
    assert said["t"] == 35.0
    now.move(10)
    practice.submit_attempt(
        actor=t,
        attempt_id=attempt_id,
        answer=KNIFE_ANSWER,
        idempotency_key=_view(world, attempt_id)["idempotency_key"],
    )
    with read_session() as session:
        stored = session.exec(select(Attempt).where(Attempt.id == attempt_id)).one()
    assert stored.seconds == 45.0 and stored.answer["seconds"] == 45.0


def test_a_dropped_connection_before_submitting_is_not_counted(calls_bank, world, monkeypatch):
    t = world["trainee-a"]
    now = _Clock(monkeypatch)
    attempt_id = _start(world, calls_bank)
    now.move(20)
    calls.ask_typed(actor=t, attempt_id=attempt_id, text="is he armed")
    now.move(300)  # the line dropped; the trainee comes back and submits at once
    key = _view(world, attempt_id)["idempotency_key"]
    practice.submit_attempt(
        actor=t, attempt_id=attempt_id, answer=KNIFE_ANSWER, idempotency_key=key
    )
    with read_session() as session:
        assert session.get(Attempt, attempt_id).seconds == 20.0
    stops = [e for e in _events(attempt_id) if e["kind"] in ("pause", "resume")]
    assert [(e["kind"], e["t"], e["w"]) for e in stops] == [
        ("pause", 20.0, 20.0),
        ("resume", 20.0, 320.0),
    ]


def test_the_open_screen_reading_the_call_says_it_is_back(calls_bank, world, monkeypatch):
    """The call screen's own read (``alive``) does what the heartbeat does: it moves the
    last sign of life on, a long silence becomes a pause, a recent one writes nothing;
    a plain read never writes."""
    t = world["trainee-a"]
    now = _Clock(monkeypatch)
    attempt_id = _start(world, calls_bank)

    def alive():
        return practice.attempt_view(actor=t, attempt_id=attempt_id, alive=True)

    now.move(clock.HEARTBEAT_SECONDS)
    assert alive()["elapsed_seconds"] == clock.HEARTBEAT_SECONDS
    assert [e["w"] for e in _events(attempt_id) if e["kind"] == "seen"] == [clock.HEARTBEAT_SECONDS]
    now.move(clock.SEEN_WRITE_AFTER - 1)
    before = _events(attempt_id)
    assert alive()["elapsed_seconds"] == clock.HEARTBEAT_SECONDS + clock.SEEN_WRITE_AFTER - 1
    assert _events(attempt_id) == before  # just heard from: nothing to write

    now.move(600)  # away, then back
    assert _view(world, attempt_id)["elapsed_seconds"] == clock.HEARTBEAT_SECONDS
    assert _events(attempt_id) == before  # a plain read records nothing
    assert alive()["elapsed_seconds"] == clock.HEARTBEAT_SECONDS  # the pause left out
    kinds = [e["kind"] for e in _events(attempt_id) if e["kind"] in ("pause", "resume")]
    assert kinds == ["pause", "resume"]
    now.move(3)
    assert _view(world, attempt_id)["elapsed_seconds"] == clock.HEARTBEAT_SECONDS + 3


def test_a_short_silence_is_call_time(calls_bank, world, monkeypatch):
    t = world["trainee-a"]
    now = _Clock(monkeypatch)
    attempt_id = _start(world, calls_bank)
    now.move(clock.PAUSE_AFTER - 1)  # under the pause threshold: still on the call
    calls.keep_alive(actor=t, attempt_id=attempt_id)
    assert _view(world, attempt_id)["elapsed_seconds"] == clock.PAUSE_AFTER - 1
    assert not [e for e in _events(attempt_id) if e["kind"] == "pause"]


def test_keep_alive_on_a_submitted_call_does_nothing(calls_bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, calls_bank)
    practice.submit_attempt(
        actor=t,
        attempt_id=attempt_id,
        answer=KNIFE_ANSWER,
        idempotency_key=_view(world, attempt_id)["idempotency_key"],
    )
    before = _events(attempt_id)
    assert calls.keep_alive(actor=t, attempt_id=attempt_id) is None
    assert _events(attempt_id) == before
