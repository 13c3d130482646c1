"""Exam calls give no feedback until the exam ends, not even in the trainee's own lists."""

from __future__ import annotations

from app.services import bank, practice
from app.store.db import write_session
from app.store.models import Attempt, Exam
from tests.factories import SPEC_SAMPLE


def test_exam_calls_stay_hidden_until_the_exam_is_finished(database, world):
    trainee = world["trainee-a"]
    bank.import_paths([str(SPEC_SAMPLE)], agency_id=world.agencies["a"])
    with write_session() as session:
        exam = Exam(agency_id=trainee.agency_id, user_id=trainee.user_id, track="t", plan=[])
        session.add(exam)
        session.flush()
        from sqlmodel import select

        from app.store.models import ScenarioVersion

        version = session.exec(select(ScenarioVersion.id)).first()
        session.add(
            Attempt(
                agency_id=trainee.agency_id,
                user_id=trainee.user_id,
                scenario_version_id=version,
                exam_id=exam.id,
                mode="exam",
                status="submitted",
                idempotency_key="exam-call-1",
                score=40,
                passed=False,
            )
        )
        exam_id = exam.id
    assert practice.my_attempts(actor=trainee) == []
    assert practice.my_progress(actor=trainee)["attempts"] == 0
    with write_session() as session:
        session.get(Exam, exam_id).status = "completed"
    assert [a["score"] for a in practice.my_attempts(actor=trainee)] == [40]
