"""``python -m app regrade``: history graded under rules 1, regraded under rules 2.

The history is made through the services (so every row is real) and then written back
as rules 1 stored it: the grade without ``"rules"``, the ``rules`` column 1, and, where
rules 1 judged otherwise, that judgement (a missed disqualifier was not critical, the
exam with one weapon call resolved by phone passed and was signed off). Runs on SQLite
and PostgreSQL (``database``); the page test on SQLite (``sqlite_db``).
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import update
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from app.cli import main
from app.core import grading
from app.core import regrade as core
from app.errors import AccessDenied
from app.services import audit, certification, practice, regrade, review
from app.store.db import read_session, write_session
from app.store.models import Attempt, AuditEntry, Certificate, Exam, ScenarioVersion
from tests.factories import ROOT
from tests.services.test_certification import TRACK, ready_trainee
from tests.services.test_certification_support import answer_call, scenario_data

PHONE = {"disqualifiers": [], "disposition": "phone_resolution"}


def _as_rules_1(attempt_id: int, **judged) -> None:
    """Store the attempt as rules 1 did: no "rules" in the grade, rules column 1."""
    with write_session() as session:
        attempt = session.get(Attempt, attempt_id)
        grade = {k: v for k, v in (attempt.grade or {}).items() if k != "rules"}
        grade.update(judged)
        session.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id)
            .values(grade=grade, rules=1, score=grade["score"], passed=grade["passed"])
        )


def _history(world) -> dict:
    """Trainee A: 20 practice calls, an exam that passed under rules 1 and was signed
    off, and one practice call that passed under rules 1 at pass mark 70 although it
    missed a disqualifier. Everything is stored as rules 1."""
    trainee = world["trainee-a"]
    ready_trainee(world)
    exam_id = certification.start_exam(actor=trainee, track_id=TRACK, rng=random.Random(5))
    weapon_attempt = None
    while True:
        state = certification.exam_state(actor=trainee, exam_id=exam_id)
        if state["status"] != "in_progress":
            break
        attempt_id = state["attempt_id"]
        with read_session() as session:
            vid = session.get(Attempt, attempt_id).scenario_version_id
        key = grading.effective_key(scenario_data(vid), "call_center_led")
        wrong = None
        if "weapon" in key["disqualifiers"] and weapon_attempt is None:
            wrong, weapon_attempt = PHONE, attempt_id
        answer_call(trainee, attempt_id, version_id=vid, model="call_center_led", wrong=wrong)
    assert state["outcome"]["passed"] is False  # rules 2

    # A medical call answered with the right route but without marking the disqualifier.
    with read_session() as session:
        planned = set(session.get(Exam, exam_id).plan)
        medical = session.exec(
            select(ScenarioVersion.id)
            .where(ScenarioVersion.agency_id == trainee.agency_id)
            .where(ScenarioVersion.disqualifiers == "medical")
            .order_by(col(ScenarioVersion.id))
        ).all()
    vid = next(v for v in medical if v not in planned)
    practice_attempt = practice.start_attempt(
        actor=trainee, scenario_version_id=vid, mode="standard"
    )
    answer_call(
        trainee,
        practice_attempt,
        version_id=vid,
        model="call_center_led",
        wrong={"disqualifiers": []},
    )

    # Everything back to what rules 1 stored.
    with read_session() as session:
        ids = session.exec(
            select(Attempt.id)
            .where(Attempt.user_id == trainee.user_id)
            .where(Attempt.status == "submitted")
        ).all()
    for attempt_id in ids:
        if attempt_id == weapon_attempt:
            _as_rules_1(attempt_id, critical=[], level="non-compliant")
        elif attempt_id == practice_attempt:
            _as_rules_1(attempt_id, critical=[], passed=True, pass_mark=70, level="partial")
        else:
            _as_rules_1(attempt_id)
    with write_session() as session:
        exam = session.get(Exam, exam_id)
        outcome = {**exam.result["outcome"], "passed": True, "critical": 0, "reasons": []}
        session.execute(
            update(Exam)
            .where(Exam.id == exam_id)
            .values(passed=True, result={**exam.result, "outcome": outcome})
        )
    cert = certification.sign_off(
        actor=world["supervisor-a"], exam_id=exam_id, attested=True, calls_opened=[1]
    )
    return {
        "exam_id": exam_id,
        "certificate": cert,
        "weapon_attempt": weapon_attempt,
        "practice_attempt": practice_attempt,
        "attempts": len(ids),
    }


def _snapshot() -> dict:
    with read_session() as session:
        return {
            "attempts": [
                (a.id, a.grade, a.score, a.passed, a.rules, a.regrade)
                for a in session.exec(select(Attempt).order_by(col(Attempt.id))).all()
            ],
            "exams": [
                (e.id, e.score, e.passed, e.result)
                for e in session.exec(select(Exam).order_by(col(Exam.id))).all()
            ],
            "certificates": [
                (c.id, c.code, c.revoked_at, c.expires_at)
                for c in session.exec(select(Certificate).order_by(col(Certificate.id))).all()
            ],
            "audit": session.exec(select(AuditEntry.id).order_by(col(AuditEntry.id))).all(),
        }


def _events() -> list[str]:
    with read_session() as session:
        return list(session.exec(select(AuditEntry.event).order_by(col(AuditEntry.id))).all())


@pytest.fixture
def history(database, world):
    return _history(world)


def test_dry_run_counts_the_changes_and_writes_nothing(history, world, capsys):
    before = _snapshot()
    reports = {r.slug: r for r in regrade.survey()}
    assert set(reports) == {"agency-a", "agency-b"}
    a = reports["agency-a"]
    assert a.rules == 2 and a.not_gradable == 0
    assert (a.attempts.checked, a.attempts.to_failed, a.attempts.to_passed) == (
        history["attempts"],
        1,  # the practice call that missed a disqualifier
        0,
    )
    assert (a.exams.checked, a.exams.to_failed, a.exams.to_passed) == (1, 1, 0)
    code = history["certificate"]["code"]
    assert [(c["code"], c["holder"], c["status"]) for c in a.certificates] == [
        (code, "Trainee A", "valid")
    ]
    b = reports["agency-b"]
    assert (b.attempts.checked, b.exams.checked, b.certificates) == (0, 0, [])

    assert main(["regrade", "--dry-run", "--agency", "agency-a"]) == 0
    out = capsys.readouterr().out
    assert "dry run, nothing written" in out
    row = next(line for line in out.splitlines() if line.startswith("agency-a"))
    assert row.split() == [
        "agency-a",
        str(history["attempts"]),
        "1",
        "1",
        "0",
        "1",
        "1",
        "1",
        "0",
        "1",
    ]
    assert f"{code}  Trainee A (trainee-a)" in out
    assert main(["regrade"]) == 0  # no flag: a dry run too
    assert "agency-b" in capsys.readouterr().out
    assert _snapshot() == before


def test_apply_stores_beside_the_old_grades_and_is_idempotent(history, world, capsys):
    before = _snapshot()
    assert main(["regrade", "--apply", "--as", "admin-a", "--agency", "agency-a"]) == 0
    out = capsys.readouterr().out
    assert f"Stored {history['attempts']} new grade(s) and 1 exam result(s)" in out
    assert history["certificate"]["code"] in out

    after = _snapshot()
    old = {row[0]: row for row in before["attempts"]}
    for aid, grade, score, passed, rules, regraded in after["attempts"]:
        # The old grade, score, passed and rules are untouched; the new one is beside.
        assert (grade, score, passed, rules) == old[aid][1:5]
        assert regraded["rules"] == 2 and regraded["grade"]["rules"] == 2
        assert regraded["score"] == regraded["grade"]["score"]
        assert regraded["by"] == world["admin-a"].user_id
    new = {row[0]: row[5] for row in after["attempts"]}
    assert new[history["practice_attempt"]]["passed"] is False
    assert "missed_disqualifier" in new[history["weapon_attempt"]]["grade"]["critical"]

    ((exam_id, score, passed, result),) = after["exams"]
    assert (exam_id, score, passed) == before["exams"][0][:3]
    assert result["outcome"] == before["exams"][0][3]["outcome"]
    assert result["regrade"]["rules"] == 2 and result["regrade"]["outcome"]["passed"] is False
    assert after["certificates"] == before["certificates"]  # never revoked
    public = certification.verify_certificate(history["certificate"]["code"])
    assert public["status"] == "valid"

    assert _events()[-2:] == ["certificate_review", "regrade"]
    with read_session() as session:
        flag = session.exec(
            select(AuditEntry).where(AuditEntry.event == "certificate_review")
        ).one()
    assert flag.subject == f"certificate:{history['certificate']['certificate_id']}"
    assert flag.payload["code"] == history["certificate"]["code"]
    assert flag.agency_id == world.agencies["a"]
    assert audit.verify_log().ok
    listed = audit.agency_entries(actor=world["supervisor-a"], event="certificate_review")
    assert len(listed) == 1  # on the supervisors' audit log

    # Again: nothing new is stored and nothing is logged.
    again = regrade.apply(actor=world["admin-a"])
    assert again.stored == {"attempts": 0, "exams": 0, "certificates_flagged": 0}
    assert again.exams.to_failed == 1 and len(again.certificates) == 1  # still reported
    assert _snapshot() == after


def test_apply_needs_an_admin_of_the_agency(history, world, capsys):
    before = _snapshot()
    for who in ("supervisor-a", "trainer-a", "trainee-a"):
        with pytest.raises(AccessDenied):
            regrade.apply(actor=world[who])
    with pytest.raises(AccessDenied):
        regrade.apply(actor=world["admin-b"], agency="agency-a")
    with pytest.raises(AccessDenied):
        regrade.survey(actor=world["supervisor-a"])
    assert regrade.apply(actor=world["admin-b"]).stored["attempts"] == 0  # b has no history
    for argv in (
        ["regrade", "--apply"],
        ["regrade", "--apply", "--as", "supervisor-a"],
        ["regrade", "--apply", "--as", "admin-b", "--agency", "agency-a"],
        ["regrade", "--apply", "--as", "nobody"],
        ["regrade", "--dry-run", "--as", "admin-a"],
    ):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, captured.err)
    assert _snapshot() == before


def test_unknown_agency_is_one_error_line_and_exit_2(database, world, capsys):
    for argv in (
        ["regrade", "--dry-run", "--agency", "nowhere"],
        ["regrade", "--apply", "--as", "admin-a", "--agency", "nowhere"],
    ):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == "error: no agency 'nowhere'\n"


def test_an_attempt_graded_under_rules_1_is_labelled(history, world):
    trainee, supervisor = world["trainee-a"], world["supervisor-a"]
    old_id = history["practice_attempt"]
    label = "Graded under rules 1 (before a missed disqualifier"

    shown = practice.review_attempt(actor=trainee, attempt_id=old_id)
    assert shown["rules"] == 1 and shown["rules_note"].startswith(label)
    assert shown["grade"]["passed"] is True  # the old result stands
    replay = review.attempt_replay(actor=supervisor, attempt_id=old_id)
    assert replay.attempt["rules_note"].startswith(label)
    report = certification.exam_report(actor=trainee, exam_id=history["exam_id"])
    assert report["rules_note"].startswith(label)
    assert all(c["rules"] == 1 for c in report["calls"])
    exam = certification.exam_review(actor=supervisor, exam_id=history["exam_id"])
    assert exam["rules_note"].startswith(label) and exam["outcome_under_new_rules"] is None

    # A call graded now carries no label.
    with read_session() as session:
        vid = session.get(Attempt, old_id).scenario_version_id
    new_id = practice.start_attempt(actor=trainee, scenario_version_id=vid, mode="standard")
    answer_call(trainee, new_id, version_id=vid, model="call_center_led")
    fresh = practice.review_attempt(actor=trainee, attempt_id=new_id)
    assert fresh["rules"] == 2 and fresh["rules_note"] is None
    assert review.attempt_replay(actor=supervisor, attempt_id=new_id).attempt["rules_note"] is None

    # Once regraded, the label also says what rules 2 gives.
    regrade.apply(actor=world["admin-a"])
    shown = practice.review_attempt(actor=trainee, attempt_id=old_id)
    assert shown["rules_note"].startswith(label)
    assert "Under rules 2 it scores" in shown["rules_note"]
    assert "does not pass" in shown["rules_note"]
    regraded = certification.exam_review(actor=supervisor, exam_id=history["exam_id"])
    assert regraded["outcome_under_new_rules"]["outcome"]["passed"] is False


def test_the_grade_card_shows_the_label(sqlite_db, world):
    _history(world)
    at = AppTest.from_file(str(ROOT / "app" / "app_pages" / "trainee_history.py"))
    at.session_state["user_id"] = world["trainee-a"].user_id
    at.run(timeout=60)
    assert not at.exception
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert any(c.startswith("Graded under rules 1 (before") for c in captions), captions


def test_label_only_for_older_rules():
    assert core.rules_note(2, current=2) is None
    assert core.rules_note(1, current=2).startswith("Graded under rules 1 (before")
    with_new = core.rules_note(1, {"rules": 2, "score": 79, "passed": False}, current=2)
    assert with_new.endswith("Under rules 2 it scores 79 and does not pass.")
    assert core.grade_rules({}) == 1 and core.grade_rules({"rules": 2}) == 2
    assert core.grade_rules({"rules": "2"}) == 1  # not a rules number: the first rules
    assert core.current_rules() == grading.RULES
