"""My training, Lessons and My attempts pages through AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.services import practice
from app.store.db import write_session
from app.store.models import ReviewNote
from tests.factories import ROOT
from tests.services.test_practice_lessons import content  # noqa: F401  (fixture)
from tests.services.test_practice_support import KNIFE_TEXT, RATIONALE_MARKER, store

PAGES = ROOT / "app" / "app_pages"


def _app(page: str, user) -> AppTest:
    at = AppTest.from_file(str(PAGES / page), default_timeout=30)
    at.session_state["user_id"] = user.user_id
    return at.run()


def _texts(at: AppTest) -> str:
    parts = []
    for kind in (
        "markdown",
        "caption",
        "info",
        "success",
        "warning",
        "error",
        "title",
        "subheader",
    ):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts).replace("\\", "")


@pytest.fixture
def submitted(sqlite_db, world):
    """One submitted (unsafe) practice call of trainee-a, with a supervisor's note."""
    t = world["trainee-a"]
    version = store(world.agencies["a"], KNIFE_TEXT)
    attempt_id = practice.start_attempt(actor=t, scenario_version_id=version, mode="standard")
    view = practice.attempt_view(actor=t, attempt_id=attempt_id)
    practice.submit_attempt(
        actor=t,
        attempt_id=attempt_id,
        answer={
            "disqualifiers": [],
            "call_type": "SUSPICIOUS_PERSON",
            "disposition": "community_responder",
        },
        idempotency_key=view["idempotency_key"],
    )
    with write_session() as session:
        session.add(
            ReviewNote(
                agency_id=t.agency_id,
                attempt_id=attempt_id,
                author_id=world["supervisor-a"].user_id,
                text="Zebra-note: *always* ask about weapons <b>first</b>.",
            )
        )
    return attempt_id


def test_home_shows_progress_and_the_next_step(content, submitted, world):  # noqa: F811
    at = _app("trainee_home.py", world["trainee-a"])
    assert not at.exception
    text = _texts(at)
    assert "My training" in text
    assert "Read the lesson “Alpha-Module”" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Practice calls passed"] == "0"
    assert metrics["Unsafe dispatches"] == "1"
    bars = str([p.proto for p in at.get("progress")]).replace("\\", "")
    assert "Lessons read: 0 of 2" in bars and "Knowledge checks passed: 0 of 2" in bars
    assert "Weapon: caught 0 of 1" in str([p.proto for p in at.get("progress")]).replace("\\", "")


def test_home_refuses_staff(sqlite_db, world):
    at = _app("trainee_home.py", world["supervisor-a"])
    assert at.error


def test_lesson_read_and_knowledge_check(content, sqlite_db, world):  # noqa: F811
    t = world["trainee-a"]
    at = _app("lessons.py", t)
    assert not at.exception
    assert at.title[0].value == "Alpha-Module"
    assert any("A call taker screens every call" in m.value for m in at.markdown)
    assert not any(m.value.startswith("# Test lesson") for m in at.markdown)  # title shown once
    assert not any(m.proto.allow_html for m in at.markdown)  # Markdown yes, HTML never
    next(b for b in at.button if b.label == "I have read this lesson").click().run()
    assert any("You have read this lesson" in s.value for s in at.success)
    at.radio(key="check.alpha-module.q1").set_value(1)
    at.radio(key="check.alpha-module.q2").set_value(0)
    next(b for b in at.button if b.label == "Check my answers").click().run()
    assert not at.exception
    assert any("You scored 50 % and passed" in s.value for s in at.success)
    assert "Right answer: No" in _texts(at)
    # Another lesson from the sidebar list.
    at.sidebar.radio[0].set_value("beta-module").run()
    assert at.title[0].value == "Beta-Module"
    from app.services import lessons

    listed = {m["slug"]: m for m in lessons.list_modules(actor=t)}
    assert listed["alpha-module"]["check_passed"] and listed["alpha-module"]["read"]


def test_lessons_page_is_open_to_trainers(content, sqlite_db, world):  # noqa: F811
    at = _app("lessons.py", world["trainer-a"])
    assert not at.exception and not at.error


def test_history_lists_attempts_and_opens_feedback_with_notes(submitted, world):
    at = _app("trainee_history.py", world["trainee-a"])
    assert not at.exception
    assert len(at.dataframe) == 1
    frame = at.dataframe[0].value
    assert list(frame["Result"]) == ["Unsafe"] and list(frame["Notes"]) == [1]
    text = _texts(at)
    assert RATIONALE_MARKER in text
    # The note is shown as typed: no HTML, no Markdown emphasis.
    note = next(m.value for m in at.markdown if "Zebra\\-note" in m.value)
    assert not any(m.proto.allow_html for m in at.markdown)
    assert "\\<b\\>" in note and "\\*always\\*" in note


def test_history_of_someone_else_is_empty(submitted, world):
    at = _app("trainee_history.py", world["trainee-b"])
    assert any("not submitted a call yet" in i.value for i in at.info)
