"""While a trainee's exam is open: no practice, no lessons, no feedback, no exam key.

Every test runs on SQLite and on PostgreSQL (the ``database`` fixture).
"""

from __future__ import annotations

import json
import random

import pytest

from app.errors import AccessDenied
from app.services import authoring, certification, lessons, practice, review
from app.services.exam_lock import EXAM_IN_PROGRESS, ExamInProgress, exam_lock_message
from app.services.practice.choosing import _candidates
from app.store.db import read_session, write_session
from app.store.models import Exam, utcnow
from tests.services.test_practice_support import (
    KNIFE_TEXT,
    RATIONALE_MARKER,
    SLEEPER_TEXT,
    store,
)

TWIN_B_TEXT = KNIFE_TEXT.replace("twin-variant:a", "twin-variant:b").replace(
    "kitchen knife stuck in his belt", "phone charger stuck in his belt"
)
ANSWER = {
    "disqualifiers": ["weapon"],
    "call_type": "SUSPICIOUS_PERSON",
    "priority": 2,
    "disposition": "community_responder_with_police",
}


def _open_exam(trainee, plan: list[int]) -> int:
    with write_session() as session:
        exam = Exam(
            agency_id=trainee.agency_id,
            user_id=trainee.user_id,
            track="dispatch-basics",
            status="in_progress",
            plan=plan,
            started_at=utcnow(),
        )
        session.add(exam)
        session.flush()
        return exam.id


def _finish(exam_id: int) -> None:
    with write_session() as session:
        exam = session.get(Exam, exam_id)
        exam.status = "completed"
        exam.finished_at = utcnow()
        session.add(exam)


def _refused(call) -> None:
    with pytest.raises(ExamInProgress) as info:
        call()
    assert str(info.value) == EXAM_IN_PROGRESS == "Your exam is in progress: finish it first."


def _bank(world) -> dict[str, int]:
    agency = world.agencies["a"]
    return {
        "knife": store(agency, KNIFE_TEXT),
        "twin": store(agency, TWIN_B_TEXT, key="porch-knife-0002"),
        "sleeper": store(agency, SLEEPER_TEXT),
    }


def test_practice_and_its_feedback_wait_while_the_exam_is_open(database, world):
    trainee = world["trainee-a"]
    calls = _bank(world)
    # One practice call done (with feedback), one left open, before the exam starts.
    done = practice.start_attempt(
        actor=trainee, scenario_version_id=calls["sleeper"], mode="guided"
    )
    view = practice.attempt_view(actor=trainee, attempt_id=done)
    practice.submit_attempt(
        actor=trainee,
        attempt_id=done,
        answer={**ANSWER, "disqualifiers": [], "call_type": "UNHOUSED_PERSON"},
        idempotency_key=view["idempotency_key"],
    )
    left_open = practice.start_attempt(
        actor=trainee, scenario_version_id=calls["twin"], mode="guided"
    )
    assert exam_lock_message(actor=trainee) is None
    exam_id = _open_exam(trainee, [calls["knife"]])
    assert exam_lock_message(actor=trainee) == EXAM_IN_PROGRESS

    _refused(lambda: practice.next_scenario(actor=trainee, mode="standard"))
    _refused(lambda: practice.attempt_view(actor=trainee, attempt_id=left_open))
    _refused(
        lambda: practice.ask_question(actor=trainee, attempt_id=left_open, question_id="weapons")
    )
    _refused(
        lambda: practice.record_event(actor=trainee, attempt_id=left_open, kind="priority", value=2)
    )
    _refused(lambda: practice.guided_hints(actor=trainee, attempt_id=left_open))
    _refused(lambda: practice.clip_bytes(actor=trainee, attempt_id=left_open, item="opening"))
    _refused(
        lambda: practice.submit_attempt(
            actor=trainee, attempt_id=left_open, answer=ANSWER, idempotency_key="x"
        )
    )
    _refused(lambda: practice.review_attempt(actor=trainee, attempt_id=done))
    # A practice call cannot even be opened by id during the exam (the call left open
    # stays as it was: nothing replaces it).
    _refused(
        lambda: practice.start_attempt(
            actor=trainee, scenario_version_id=calls["sleeper"], mode="standard"
        )
    )

    # The exam's own call is served, and its feedback waits for the end of the exam.
    exam_call = practice.start_attempt(
        actor=trainee, scenario_version_id=calls["knife"], mode="exam", exam_id=exam_id
    )
    view = practice.attempt_view(actor=trainee, attempt_id=exam_call)
    assert view["mode"] == "exam"
    practice.ask_question(actor=trainee, attempt_id=exam_call, question_id="weapons")
    practice.submit_attempt(
        actor=trainee,
        attempt_id=exam_call,
        answer=ANSWER,
        idempotency_key=view["idempotency_key"],
    )
    with pytest.raises(AccessDenied, match="when the exam is finished"):
        practice.review_attempt(actor=trainee, attempt_id=exam_call)

    # Other people are not locked by a trainee's exam.
    other = world["trainee-b"]
    assert exam_lock_message(actor=other) is None

    _finish(exam_id)
    assert exam_lock_message(actor=trainee) is None
    assert practice.review_attempt(actor=trainee, attempt_id=done)["grade"]["score"] >= 0
    exam_review = practice.review_attempt(actor=trainee, attempt_id=exam_call)
    assert RATIONALE_MARKER in exam_review["feedback"]["rationale"]
    assert practice.attempt_view(actor=trainee, attempt_id=left_open)["status"] == "in_progress"
    assert isinstance(practice.next_scenario(actor=trainee, mode="standard"), int)


def test_lessons_and_knowledge_checks_wait_while_the_exam_is_open(database, world):
    trainee, trainer = world["trainee-a"], world["trainer-a"]
    calls = _bank(world)
    slug = lessons.all_modules()[0].slug
    exam_id = _open_exam(trainee, [calls["knife"]])
    _refused(lambda: lessons.get_lesson(actor=trainee, slug=slug))
    _refused(lambda: lessons.mark_read(actor=trainee, slug=slug))
    _refused(lambda: lessons.submit_check(actor=trainee, slug=slug, answers={}))
    # The progress list stays readable ("My training" and the exam page show it).
    assert [m["slug"] for m in lessons.list_modules(actor=trainee)][0] == slug
    assert practice.my_progress(actor=trainee)["attempts"] == 0
    # A trainer takes no exam and is never locked.
    assert lessons.get_lesson(actor=trainer, slug=slug)["slug"] == slug
    _finish(exam_id)
    assert lessons.mark_read(actor=trainee, slug=slug)["read"] is True
    assert lessons.get_lesson(actor=trainee, slug=slug)["read"] is True


def test_no_key_of_an_exam_call_reaches_the_trainee_before_the_exam_ends(database, world):
    trainee = world["trainee-a"]
    calls = _bank(world)
    exam_id = _open_exam(trainee, [calls["knife"], calls["sleeper"]])
    state = certification.exam_state(actor=trainee, exam_id=exam_id)
    attempt_id = state["attempt_id"]
    view = practice.attempt_view(actor=trainee, attempt_id=attempt_id)
    asked = practice.ask_question(actor=trainee, attempt_id=attempt_id, question_id="weapons")
    practice.submit_attempt(
        actor=trainee, attempt_id=attempt_id, answer=ANSWER, idempotency_key=view["idempotency_key"]
    )
    state = certification.exam_state(actor=trainee, exam_id=exam_id)
    assert state["status"] == "in_progress" and state["answered"] == 1
    # Everything a trainee's page can draw or download while the exam is open.
    shown = [
        view,
        asked,
        state,
        practice.attempt_view(actor=trainee, attempt_id=state["attempt_id"]),
        practice.my_attempts(actor=trainee),
        practice.my_progress(actor=trainee),
        practice.current_attempt(actor=trainee, exam_id=exam_id),
        lessons.list_modules(actor=trainee),
        certification.exam_overview(actor=trainee),
        certification.my_exams(actor=trainee),
    ]
    text = json.dumps(shown, default=str)
    assert RATIONALE_MARKER not in text
    for secret in ('"evidence": {', '"required_questions"', '"rationale"', '"acceptable"'):
        assert secret not in text, text[max(0, text.find(secret) - 300) : text.find(secret) + 200]
    with pytest.raises(AccessDenied):
        practice.review_attempt(actor=trainee, attempt_id=attempt_id)
    with pytest.raises(AccessDenied):
        certification.exam_report(actor=trainee, exam_id=exam_id)
    # The supervisors' replay and the authors' preview are not the trainee's to open.
    with pytest.raises(AccessDenied):
        review.attempt_replay(actor=trainee, attempt_id=attempt_id)
    with pytest.raises(AccessDenied):
        authoring.preview(actor=trainee, data={"id": "porch-knife-0001"})


def test_after_the_exam_its_calls_and_their_twins_count_as_seen(database, world):
    trainee = world["trainee-a"]
    calls = _bank(world)
    exam_id = _open_exam(trainee, [calls["knife"]])
    with read_session() as session:
        _refused(lambda: _candidates(session, trainee))
    _finish(exam_id)
    with read_session() as session:
        candidates = {c.id: c for c in _candidates(session, trainee)}
        finished = session.get(Exam, exam_id).finished_at
    for name in ("knife", "twin"):  # the exam's call and its twin variant
        assert candidates[calls[name]].times_seen == 1
        assert candidates[calls[name]].last_seen == finished
    assert candidates[calls["sleeper"]].times_seen == 0
    assert candidates[calls["sleeper"]].last_seen is None
    # Practice offers the call the trainee has not met, every time.
    chosen = {
        practice.next_scenario(actor=trainee, mode="standard", rng=random.Random(seed))
        for seed in range(12)
    }
    assert chosen == {calls["sleeper"]}
