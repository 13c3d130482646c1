"""The pages closed during an exam say so (AppTest): Take a call, Lessons, My attempts."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.services import practice
from app.services.exam_lock import EXAM_IN_PROGRESS
from app.store.db import write_session
from app.store.models import Exam, utcnow
from tests.factories import ROOT
from tests.services.test_practice_support import KNIFE_TEXT, RATIONALE_MARKER, SLEEPER_TEXT, store

PAGES = ROOT / "app" / "app_pages"


def _app(page: str, user) -> AppTest:
    at = AppTest.from_file(str(PAGES / page), default_timeout=30)
    at.session_state["user_id"] = user.user_id
    return at.run()


def _texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [b.label for b in at.button]
    return "\n".join(parts).replace("\\", "")


@pytest.fixture
def in_exam(sqlite_db, world):
    """trainee-a: one practice call submitted, one left open, then an exam started."""
    trainee = world["trainee-a"]
    knife = store(world.agencies["a"], KNIFE_TEXT)
    sleeper = store(world.agencies["a"], SLEEPER_TEXT)
    done = practice.start_attempt(actor=trainee, scenario_version_id=knife, mode="standard")
    view = practice.attempt_view(actor=trainee, attempt_id=done)
    practice.submit_attempt(
        actor=trainee,
        attempt_id=done,
        answer={"disqualifiers": [], "call_type": "TRESPASS", "disposition": "police"},
        idempotency_key=view["idempotency_key"],
    )
    practice.start_attempt(actor=trainee, scenario_version_id=knife, mode="guided")
    with write_session() as session:
        exam = Exam(
            agency_id=trainee.agency_id,
            user_id=trainee.user_id,
            track="dispatch-basics",
            status="in_progress",
            plan=[sleeper],
            started_at=utcnow(),
        )
        session.add(exam)
        session.flush()
        return exam.id


@pytest.mark.parametrize(
    ("page", "title"),
    [
        ("trainee_call.py", "Take a call"),
        ("lessons.py", "Lessons"),
        ("trainee_history.py", "My attempts"),
    ],
)
def test_a_closed_page_says_the_exam_is_in_progress(in_exam, world, page, title):
    at = _app(page, world["trainee-a"])
    assert not at.exception
    assert [t.value for t in at.title] == [title]
    assert [i.value for i in at.info] == [EXAM_IN_PROGRESS]
    text = _texts(at)
    assert RATIONALE_MARKER not in text
    assert "Start call" not in text and "Submit call" not in text
    assert "Knowledge check" not in text and "Open an attempt" not in text


def test_the_pages_open_again_once_the_exam_is_over(in_exam, world):
    with write_session() as session:
        exam = session.get(Exam, in_exam)
        exam.status = "completed"
        exam.finished_at = utcnow()
        session.add(exam)
    trainee = world["trainee-a"]
    for page in ("trainee_call.py", "lessons.py", "trainee_history.py"):
        at = _app(page, trainee)
        assert not at.exception, page
        assert EXAM_IN_PROGRESS not in _texts(at), page
    history = _texts(_app("trainee_history.py", trainee))
    assert RATIONALE_MARKER in history  # the practice call's feedback is back


def test_a_trainer_reads_lessons_whatever_a_trainee_does(in_exam, world):
    at = _app("lessons.py", world["trainer-a"])
    assert not at.exception
    assert EXAM_IN_PROGRESS not in _texts(at)
