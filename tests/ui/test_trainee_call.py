"""The call screen through AppTest: start, ask, mark, submit, feedback, resume after refresh."""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from app.store.db import read_session
from app.store.models import Attempt
from tests.factories import ROOT
from tests.services.test_practice_support import KNIFE_TEXT, RATIONALE_MARKER, store

PAGE = str(ROOT / "app" / "app_pages" / "trainee_call.py")
NO_SPEECH = "Speech is off on this test server."


@pytest.fixture
def knife(sqlite_db, world, monkeypatch):
    import app.audio
    from app.ui import call_panel

    monkeypatch.setattr(app.audio, "speech_available", lambda: (False, NO_SPEECH))
    call_panel._speech_status.clear()
    yield store(world.agencies["a"], KNIFE_TEXT)
    call_panel._speech_status.clear()


def _app(user) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["user_id"] = user.user_id
    return at.run()


def _texts(at: AppTest) -> str:
    """Every text the page drew (markdown, captions, alerts, widget labels)."""
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [b.label for b in at.button]
    return "\n".join(parts).replace("\\", "")


def _button(at: AppTest, suffix: str):
    return next(b for b in at.button if b.key and b.key.endswith(suffix))


def _submit(at: AppTest):
    return next(b for b in at.button if b.label == "Submit call")


def _attempt(world) -> Attempt:
    with read_session() as session:
        return session.exec(
            select(Attempt).where(Attempt.user_id == world["trainee-a"].user_id)
        ).one()


def test_whole_call_from_start_to_feedback(knife, world):
    at = _app(world["trainee-a"])
    assert not at.exception
    at.radio(key="practice.mode_pick").set_value("standard").run()
    at.button[0].click().run()  # Start call
    assert not at.exception
    text = _texts(at)
    assert "There's a man I don't know" in text
    assert NO_SPEECH in text  # no speech engine: the notice, and the transcript is shown
    assert RATIONALE_MARKER not in text and "kitchen knife" not in text

    _button(at, ".ask.weapons").click().run()
    assert "kitchen knife" in _texts(at)
    assert _button(at, ".ask.weapons").disabled
    _button(at, ".ask.threats").click().run()
    _button(at, ".ask.medical").click().run()

    attempt = _attempt(world)
    prefix = f"call{attempt.id}."
    at.checkbox(key=prefix + "dq.weapon").check().run()
    at.selectbox(key=prefix + "call_type").set_value("SUSPICIOUS_PERSON").run()
    at.radio(key=prefix + "disposition").set_value("community_responder_with_police").run()
    assert RATIONALE_MARKER not in _texts(at)  # nothing of the key before submission

    events = _attempt(world).events
    assert [e["value"] for e in events if e["kind"] == "ask"] == ["weapons", "threats", "medical"]
    kinds = [e["kind"] for e in events]
    assert {"disqualifier", "call_type", "disposition"} <= set(kinds)

    _submit(at).click().run()
    assert not at.exception
    row = _attempt(world)
    assert row.status == "submitted" and row.passed
    text = _texts(at)
    assert RATIONALE_MARKER in text  # the expert's reasons, now
    assert any(m.label == "Score" for m in at.metric)
    assert any(b.label == "Next call" for b in at.button)


def test_refresh_resumes_the_open_call_with_its_marks(knife, world):
    at = _app(world["trainee-a"])
    at.button[0].click().run()
    _button(at, ".ask.weapons").click().run()
    attempt = _attempt(world)
    at.checkbox(key=f"call{attempt.id}.dq.weapon").check().run()

    fresh = _app(world["trainee-a"])  # a new browser session for the same user
    assert not fresh.exception
    assert "kitchen knife" in _texts(fresh)
    assert fresh.checkbox(key=f"call{attempt.id}.dq.weapon").value is True
    assert fresh.session_state["practice.attempt_id"] == attempt.id


def test_submit_without_a_route_explains_and_keeps_the_call(knife, world):
    at = _app(world["trainee-a"])
    at.button[0].click().run()
    _submit(at).click().run()
    assert any("Choose a call type" in e.value for e in at.error)
    assert _attempt(world).status == "in_progress"


def test_guided_mode_hints_after_a_wrong_choice(knife, world):
    at = _app(world["trainee-a"])
    at.radio(key="practice.mode_pick").set_value("guided").run()
    at.button[0].click().run()
    assert not at.info or all("alone" not in i.value for i in at.info)
    _button(at, ".ask.weapons").click().run()
    attempt = _attempt(world)
    at.radio(key=f"call{attempt.id}.disposition").set_value("community_responder").run()
    hints = [i.value.replace("\\", "") for i in at.info]
    assert any("alone" in h for h in hints), hints


def test_timed_mode_shows_the_target(knife, world):
    at = _app(world["trainee-a"])
    at.radio(key="practice.mode_pick").set_value("timed").run()
    at.button[0].click().run()
    clock = [h.value for h in at.html if "call-clock-" in h.value]
    assert len(clock) == 1 and "Time left of 1:15" in clock[0]  # the knife call: 75 s
    assert "limit = 75;" in clock[0]  # the browser counts down from the same target


def test_the_call_clock_text_matches_what_the_browser_shows():
    from app.ui.call_panel import clock_text

    assert clock_text(12.7, None) == ("Call time", "0:12")
    assert clock_text(14.2, 75) == ("Time left of 1:15", "1:00")
    assert clock_text(75.0, 75) == ("Time left of 1:15", "0:00")
    assert clock_text(200.4, 75) == ("Over the 1:15 target", "+2:05")


def test_next_call_after_feedback_starts_a_new_attempt(knife, world):
    store(world.agencies["a"], KNIFE_TEXT.replace("porch-knife-0001", "porch-knife-0002"))
    at = _app(world["trainee-a"])
    at.button[0].click().run()
    first = at.session_state["practice.attempt_id"]
    prefix = f"call{first}."
    at.selectbox(key=prefix + "call_type").set_value("SUSPICIOUS_PERSON").run()
    at.radio(key=prefix + "disposition").set_value("police").run()
    _submit(at).click().run()
    next(b for b in at.button if b.label == "Next call").click().run()
    assert not at.exception
    assert at.session_state["practice.attempt_id"] != first


def test_empty_bank_without_generator_says_so(sqlite_db, world, monkeypatch):
    from app.services import practice

    monkeypatch.setattr(practice, "_generate_calls", lambda actor, profile, count=3: [])
    at = _app(world["trainee-a"])
    at.button[0].click().run()
    assert any("no published calls" in i.value for i in at.info)


def test_staff_cannot_open_the_call_page(sqlite_db, world):
    at = _app(world["trainer-a"])
    assert at.error and "may not" in at.error[0].value


def test_caller_audio_autoplays_the_opening_then_each_answer(sqlite_db, world, speech):
    from app.ui import call_panel

    call_panel._speech_status.clear()
    store(world.agencies["a"], KNIFE_TEXT)
    at = _app(world["trainee-a"])
    at.button[0].click().run()
    [opening] = at.get("audio")
    assert opening.proto.autoplay  # the call starts: the caller speaks
    at.toggle(key=f"call{_attempt(world).id}.transcript").set_value(False).run()
    assert not at.get("audio")[0].proto.autoplay  # a rerun does not replay it
    assert not any("There's a man" in m.value for m in at.markdown)  # transcript hidden
    _button(at, ".ask.weapons").click().run()
    [answer] = at.get("audio")
    assert answer.proto.autoplay and answer.proto.url != opening.proto.url
