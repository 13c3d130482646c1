"""Grading rules 2 in the exam: one weapon call resolved by phone fails the exam.

Under rules 1 this exam passed: the weapon call scored about 49 with no critical error,
the average was 95 and nine of ten calls passed on their own. Under rules 2 a missed
disqualifier is critical (and phone resolution lacks the police a weapon demands), and
the track allows no critical error. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random

from app.core import grading
from app.services import certification
from app.store.db import read_session
from app.store.models import Attempt
from tests.services.test_certification import TRACK, ready_trainee
from tests.services.test_certification_support import answer_call, scenario_data

WRONG = {"disqualifiers": [], "disposition": "phone_resolution"}


def test_nine_perfect_calls_and_a_weapon_call_resolved_by_phone_fail(database, world):
    trainee, _ = ready_trainee(world)
    exam_id = certification.start_exam(actor=trainee, track_id=TRACK, rng=random.Random(5))
    grades: dict[str, list[dict]] = {"weapon": [], "good": []}
    while True:
        state = certification.exam_state(actor=trainee, exam_id=exam_id)
        if state["status"] != "in_progress":
            break
        attempt_id = state["attempt_id"]
        with read_session() as session:
            vid = session.get(Attempt, attempt_id).scenario_version_id
        key = grading.effective_key(scenario_data(vid), "call_center_led")
        weapon_call = "weapon" in key["disqualifiers"] and not grades["weapon"]
        grade = answer_call(
            trainee,
            attempt_id,
            version_id=vid,
            model="call_center_led",
            wrong=WRONG if weapon_call else None,
        )
        grades["weapon" if weapon_call else "good"].append(grade)
        if weapon_call:
            weapon_attempt = attempt_id

    assert len(grades["weapon"]) == 1 and len(grades["good"]) == 9
    assert all(g["score"] == 100 and g["passed"] and not g["critical"] for g in grades["good"])
    (weapon,) = grades["weapon"]
    assert weapon["rules"] == 2
    assert not weapon["passed"]
    assert "missed_disqualifier" in weapon["critical"]
    assert "unsafe_dispatch" in weapon["critical"]  # phone resolution lacks the police

    outcome = state["outcome"]
    assert outcome["passed"] is False
    assert outcome["critical"] >= 1
    assert any("critical" in reason for reason in outcome["reasons"])
    with read_session() as session:
        stored = session.get(Attempt, weapon_attempt)
    assert stored.rules == 2 and stored.score == weapon["score"] and not stored.passed
    assert certification.pending_sign_offs(actor=world["supervisor-a"]) == []
