"""Practice service: start, view (no key before submission), ask, mark, submit exactly once,
review, access rules. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
import threading

import pytest
from sqlmodel import select

from app.errors import AccessDenied, NotFound, UserError
from app.services import practice
from app.services.accounts import actor_for, create_user
from app.store.db import read_session, write_session
from app.store.models import Attempt, Exam, ReviewNote
from tests.factories import PASSWORD
from tests.services.test_practice_support import (
    KNIFE_TEXT,
    RATIONALE_MARKER,
    SLEEPER_TEXT,
    store,
)

KNIFE_ANSWER = {
    "disqualifiers": ["weapon"],
    "call_type": "SUSPICIOUS_PERSON",
    "priority": 2,
    "disposition": "community_responder_with_police",
}


@pytest.fixture
def bank(database, world):
    a, b = world.agencies["a"], world.agencies["b"]
    return {
        "knife": store(a, KNIFE_TEXT),
        "sleeper": store(a, SLEEPER_TEXT),
        "draft": store(a, KNIFE_TEXT, status="draft", key="porch-knife-draft"),
        "knife_b": store(b, KNIFE_TEXT),
    }


def _start(world, bank, name="knife", who="trainee-a", mode="standard"):
    return practice.start_attempt(actor=world[who], scenario_version_id=bank[name], mode=mode)


def _key(world, attempt_id, who="trainee-a"):
    return practice.attempt_view(actor=world[who], attempt_id=attempt_id)["idempotency_key"]


def _all_keys(value) -> set[str]:
    """Every mapping key anywhere in a nested structure."""
    if isinstance(value, dict):
        return set(value) | set().union(*(_all_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_all_keys(v) for v in value))
    return set()


def _row(attempt_id) -> Attempt:
    with read_session() as session:
        return session.get(Attempt, attempt_id)


# ------------------------------------------------------------------ the view hides the key


def test_view_before_submission_never_carries_the_key(bank, world):
    attempt_id = _start(world, bank)
    view = practice.attempt_view(actor=world["trainee-a"], attempt_id=attempt_id)
    keys = _all_keys(view)
    for field in (
        "rationale",
        "evidence",
        "unsafe",
        "required_questions",
        "checks",
        "acceptable",
        "expert",
        "expert_disposition",
        "time_target_seconds",
        "by_model",
        "title",
    ):
        assert field not in keys, field
    text = json.dumps(view, default=str)
    assert RATIONALE_MARKER not in text
    assert "kitchen knife" not in text  # the weapons answer: not asked yet
    assert "community_responder_with_police" in text  # a route on offer, not a key
    assert view["opening"].startswith("There's a man I don't know")
    assert view["channel"] == "911" and view["time"] == "23:10"
    assert view["context"]["prior_calls"].startswith("Two calls")
    ids = [q["id"] for q in view["questions"]]
    assert "weapons" in ids and "how_long_porch" in ids and "entry" in ids
    routes = [d["code"] for d in view["dispositions"]]
    assert "embedded_professional" not in routes and "external_hotline" not in routes
    assert view["asked"] == [] and view["marks"]["disqualifiers"] == []
    assert view["time_limit_seconds"] is None  # only timed mode shows the target

    # Still nothing after asking and marking (only the answer that was asked appears).
    practice.ask_question(actor=world["trainee-a"], attempt_id=attempt_id, question_id="weapons")
    practice.record_event(
        actor=world["trainee-a"], attempt_id=attempt_id, kind="disposition", value="police"
    )
    view = practice.attempt_view(actor=world["trainee-a"], attempt_id=attempt_id)
    text = json.dumps(view)
    assert "kitchen knife" in text
    assert RATIONALE_MARKER not in text
    assert not {"rationale", "evidence", "expert", "required_questions"} & _all_keys(view)


def test_timed_view_shows_the_target_and_hotline_agency_its_route(bank, world):
    attempt_id = _start(world, bank, mode="timed")
    view = practice.attempt_view(actor=world["trainee-a"], attempt_id=attempt_id)
    assert view["time_limit_seconds"] == 75
    other = _start(world, bank, name="knife_b", who="trainee-b")
    routes = [
        d["code"]
        for d in practice.attempt_view(actor=world["trainee-b"], attempt_id=other)["dispositions"]
    ]
    assert "external_hotline" in routes


# ------------------------------------------------------------------ asking and marking


def test_ask_returns_scripted_or_default_answer_and_records_time(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    answer = practice.ask_question(actor=t, attempt_id=attempt_id, question_id="weapons")
    assert "kitchen knife" in answer["answer"] and answer["t"] >= 0
    default = practice.ask_question(actor=t, attempt_id=attempt_id, question_id="entry")
    assert default["answer"]  # the protocol's default answer
    own = practice.ask_question(actor=t, attempt_id=attempt_id, question_id="how_long_porch")
    assert own["question"] == "How long has he been on the porch?"
    practice.ask_question(actor=t, attempt_id=attempt_id, question_id="weapons")  # again: free
    with pytest.raises(NotFound):
        practice.ask_question(actor=t, attempt_id=attempt_id, question_id="no_such_question")
    events = _row(attempt_id).events
    assert [e["value"] for e in events if e["kind"] == "ask"] == [
        "weapons",
        "entry",
        "how_long_porch",
    ]
    assert all(isinstance(e["t"], int | float) for e in events)


def test_marks_fold_into_the_current_choices(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    for kind, value in (
        ("disqualifier", {"code": "weapon", "on": True}),
        ("disqualifier", {"code": "threat", "on": True}),
        ("disqualifier", {"code": "threat", "on": False}),
        ("call_type", "SUSPICIOUS_PERSON"),
        ("priority", 2),
        ("disposition", "police"),
        ("disposition", "community_responder_with_police"),
    ):
        practice.record_event(actor=t, attempt_id=attempt_id, kind=kind, value=value)
    marks = practice.attempt_view(actor=t, attempt_id=attempt_id)["marks"]
    assert marks == {
        "disqualifiers": ["weapon"],
        "call_type": "SUSPICIOUS_PERSON",
        "priority": 2,
        "disposition": "community_responder_with_police",
    }
    for kind, value in (
        ("disqualifier", {"code": "knife"}),
        ("priority", 7),
        ("disposition", "taxi"),
        ("bogus", 1),
    ):
        with pytest.raises(UserError):
            practice.record_event(actor=t, attempt_id=attempt_id, kind=kind, value=value)


# ------------------------------------------------------------------ submitting


def test_submit_grades_with_server_questions_and_fills_columns(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    for q in ("weapons", "threats", "medical"):
        practice.ask_question(actor=t, attempt_id=attempt_id, question_id=q)
    # The browser cannot claim questions it did not ask.
    answer = {**KNIFE_ANSWER, "questions": ["everything"], "seconds": 1}
    grade = practice.submit_attempt(
        actor=t, attempt_id=attempt_id, answer=answer, idempotency_key=_key(world, attempt_id)
    )
    assert grade["passed"] and grade["score"] >= 95
    row = _row(attempt_id)
    assert row.status == "submitted" and row.submitted_at is not None
    assert row.answer["questions"] == ["weapons", "threats", "medical"]
    assert row.score == grade["score"] and row.passed is True and row.unsafe is False
    assert row.over_routed is False
    assert row.disposition == "community_responder_with_police"
    assert row.expert_disposition == "community_responder_with_police"
    assert row.call_type == "SUSPICIOUS_PERSON"
    assert row.missed_disqualifiers == "" and row.over_disqualifiers == ""
    assert (row.twin_group, row.twin_variant) == ("grp-knife", "a")
    assert row.seconds is not None and row.seconds >= 0


def test_unsafe_and_missed_disqualifier_are_recorded(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    grade = practice.submit_attempt(
        actor=t,
        attempt_id=attempt_id,
        answer={
            "disqualifiers": ["police_only"],
            "call_type": "SUSPICIOUS_PERSON",
            "disposition": "community_responder",
        },
        idempotency_key=_key(world, attempt_id),
    )
    assert not grade["passed"] and "unsafe_dispatch" in grade["critical"]
    row = _row(attempt_id)
    assert row.unsafe is True
    assert row.missed_disqualifiers == "weapon" and row.over_disqualifiers == "police_only"


def test_over_routing_is_recorded(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank, name="sleeper")
    practice.submit_attempt(
        actor=t,
        attempt_id=attempt_id,
        answer={
            "disqualifiers": [],
            "call_type": "UNHOUSED_PERSON",
            "disposition": "community_responder_with_police",
        },
        idempotency_key=_key(world, attempt_id),
    )
    row = _row(attempt_id)
    assert row.over_routed is True and row.expert_disposition == "community_responder"


def test_incomplete_answer_is_refused_and_the_call_stays_open(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    with pytest.raises(UserError, match="call type"):
        practice.submit_attempt(
            actor=t,
            attempt_id=attempt_id,
            answer={"disqualifiers": [], "call_type": None, "disposition": "police"},
            idempotency_key=_key(world, attempt_id),
        )
    assert _row(attempt_id).status == "in_progress"


def test_double_submit_returns_the_first_grade(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    key = _key(world, attempt_id)
    first = practice.submit_attempt(
        actor=t, attempt_id=attempt_id, answer=KNIFE_ANSWER, idempotency_key=key
    )
    wrong = {**KNIFE_ANSWER, "disposition": "community_responder", "disqualifiers": []}
    second = practice.submit_attempt(
        actor=t, attempt_id=attempt_id, answer=wrong, idempotency_key=key
    )
    assert second == first
    assert _row(attempt_id).disposition == "community_responder_with_police"


def test_two_concurrent_submissions_store_one_attempt(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    key = _key(world, attempt_id)
    answers = [KNIFE_ANSWER, {**KNIFE_ANSWER, "disposition": "police"}]
    barrier = threading.Barrier(len(answers))
    results, failures = [None] * len(answers), []

    def submit(index):
        try:
            barrier.wait(timeout=10)
            results[index] = practice.submit_attempt(
                actor=t, attempt_id=attempt_id, answer=answers[index], idempotency_key=key
            )
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(answers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    assert results[0] == results[1]  # both callers get the one stored grade
    with read_session() as session:
        rows = session.exec(select(Attempt).where(Attempt.user_id == t.user_id)).all()
    assert len(rows) == 1 and rows[0].status == "submitted"
    assert rows[0].grade == results[0]


def test_submit_with_a_foreign_idempotency_key_is_refused(bank, world):
    attempt_id = _start(world, bank)
    with pytest.raises(AccessDenied):
        practice.submit_attempt(
            actor=world["trainee-a"],
            attempt_id=attempt_id,
            answer=KNIFE_ANSWER,
            idempotency_key="0" * 32,
        )


# ------------------------------------------------------------------ resuming and replacing


def test_refresh_resumes_and_a_new_call_replaces_the_open_one(bank, world):
    t = world["trainee-a"]
    assert practice.current_attempt(actor=t) is None
    first = _start(world, bank)
    assert practice.current_attempt(actor=t) == first
    first_key = _key(world, first)
    second = _start(world, bank, name="sleeper")
    assert practice.current_attempt(actor=t) == second
    assert _row(first).status == "abandoned"
    with pytest.raises(practice.AttemptClosed):
        practice.ask_question(actor=t, attempt_id=first, question_id="weapons")
    with pytest.raises(practice.AttemptClosed):
        practice.submit_attempt(
            actor=t, attempt_id=first, answer=KNIFE_ANSWER, idempotency_key=first_key
        )
    practice.submit_attempt(
        actor=t,
        attempt_id=second,
        answer={**KNIFE_ANSWER, "call_type": "UNHOUSED_PERSON"},
        idempotency_key=_key(world, second),
    )
    assert practice.current_attempt(actor=t) is None


# ------------------------------------------------------------------ access


def _second_trainee(world):
    with write_session() as session:
        user = create_user(
            session=session,
            agency_id=world.agencies["a"],
            username="trainee-a2",
            display_name="Second Trainee",
            role="trainee",
            password=PASSWORD,
        )
        return actor_for(user)


def test_another_trainees_attempt_is_invisible(bank, world):
    attempt_id = _start(world, bank)
    key = _key(world, attempt_id)
    for stranger in (_second_trainee(world), world["trainee-b"]):
        with pytest.raises(NotFound):
            practice.attempt_view(actor=stranger, attempt_id=attempt_id)
        with pytest.raises(NotFound):
            practice.ask_question(actor=stranger, attempt_id=attempt_id, question_id="weapons")
        with pytest.raises(NotFound):
            practice.record_event(actor=stranger, attempt_id=attempt_id, kind="priority", value=1)
        with pytest.raises(NotFound):
            practice.submit_attempt(
                actor=stranger, attempt_id=attempt_id, answer=KNIFE_ANSWER, idempotency_key=key
            )
        with pytest.raises(NotFound):
            practice.review_attempt(actor=stranger, attempt_id=attempt_id)
        with pytest.raises(NotFound):
            practice.clip_bytes(actor=stranger, attempt_id=attempt_id, item="opening")
    assert _row(attempt_id).status == "in_progress"


def test_other_agencies_and_unpublished_scenarios_cannot_be_started(bank, world):
    with pytest.raises(NotFound):
        _start(world, bank, name="knife_b")
    with pytest.raises(AccessDenied):
        _start(world, bank, name="draft")
    with pytest.raises(UserError):
        _start(world, bank, mode="exam")  # exam mode only through an exam


@pytest.mark.parametrize("role", ["trainer-a", "supervisor-a", "admin-a"])
def test_staff_cannot_use_practice_services(bank, world, role):
    attempt_id = _start(world, bank)
    staff = world[role]
    with pytest.raises(AccessDenied):
        practice.start_attempt(actor=staff, scenario_version_id=bank["knife"], mode="standard")
    with pytest.raises(AccessDenied):
        practice.attempt_view(actor=staff, attempt_id=attempt_id)
    with pytest.raises(AccessDenied):
        practice.next_scenario(actor=staff, mode="standard")
    with pytest.raises(AccessDenied):
        practice.submit_attempt(
            actor=staff, attempt_id=attempt_id, answer=KNIFE_ANSWER, idempotency_key="x"
        )
    with pytest.raises(AccessDenied):
        practice.my_progress(actor=staff)


def test_audio_of_an_unasked_answer_is_refused(bank, world):
    attempt_id = _start(world, bank)
    with pytest.raises(AccessDenied):
        practice.clip_bytes(actor=world["trainee-a"], attempt_id=attempt_id, item="weapons")


def test_clip_bytes_is_none_without_a_speech_engine(bank, world, monkeypatch):
    import app.audio

    monkeypatch.setattr(app.audio, "speech_available", lambda: (False, "no speech here"))
    attempt_id = _start(world, bank)
    assert (
        practice.clip_bytes(actor=world["trainee-a"], attempt_id=attempt_id, item="opening") is None
    )


# ------------------------------------------------------------------ review and history


def test_review_only_after_submission_with_key_feedback_and_notes(bank, world):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    with pytest.raises(AccessDenied):
        practice.review_attempt(actor=t, attempt_id=attempt_id)
    practice.ask_question(actor=t, attempt_id=attempt_id, question_id="threats")
    practice.submit_attempt(
        actor=t,
        attempt_id=attempt_id,
        answer={
            "disqualifiers": [],
            "call_type": "SUSPICIOUS_PERSON",
            "disposition": "community_responder",
        },
        idempotency_key=_key(world, attempt_id),
    )
    with write_session() as session:
        session.add(
            ReviewNote(
                agency_id=world.agencies["a"],
                attempt_id=attempt_id,
                author_id=world["supervisor-a"].user_id,
                text="Ask about weapons on every porch call.",
            )
        )
    review = practice.review_attempt(actor=t, attempt_id=attempt_id)
    assert "unsafe_dispatch" in review["grade"]["critical"]
    feedback = review["feedback"]
    assert RATIONALE_MARKER in feedback["rationale"]
    assert feedback["expert"]["disposition"]["code"] == "community_responder_with_police"
    [line] = feedback["evidence"]
    assert line["disqualifier"] == "weapon" and "kitchen knife" in line["answer"]
    assert line["asked"] is False and line["marked"] is False
    assert [q["id"] for q in feedback["would_have_revealed"]] == ["weapons", "medical"]
    assert review["notes"][0]["text"].startswith("Ask about weapons")
    assert review["notes"][0]["author"] == "Supervisor A"
    listed = practice.my_attempts(actor=t)
    assert [(a["id"], a["notes"], a["unsafe"]) for a in listed] == [(attempt_id, 1, True)]
    assert practice.my_attempts(actor=_second_trainee(world)) == []


def test_exam_attempt_review_waits_for_the_end_of_the_exam(bank, world):
    t = world["trainee-a"]
    with write_session() as session:
        exam = Exam(agency_id=t.agency_id, user_id=t.user_id, track="basic", plan=[bank["knife"]])
        session.add(exam)
        session.flush()
        exam_id = exam.id
    with pytest.raises(AccessDenied):
        practice.start_attempt(
            actor=t, scenario_version_id=bank["sleeper"], mode="exam", exam_id=exam_id
        )
    attempt_id = practice.start_attempt(
        actor=t, scenario_version_id=bank["knife"], mode="exam", exam_id=exam_id
    )
    assert practice.current_attempt(actor=t) is None  # practice and exam calls are apart
    assert practice.current_attempt(actor=t, exam_id=exam_id) == attempt_id
    practice.submit_attempt(
        actor=t, attempt_id=attempt_id, answer=KNIFE_ANSWER, idempotency_key=_key(world, attempt_id)
    )
    with pytest.raises(AccessDenied):
        practice.review_attempt(actor=t, attempt_id=attempt_id)
    with write_session() as session:
        row = session.get(Exam, exam_id)
        row.status = "completed"
        session.add(row)
    review = practice.review_attempt(actor=t, attempt_id=attempt_id)
    assert review["mode"] == "exam" and review["feedback"]["expert"]["disqualifiers"]


def test_guided_hints_only_in_guided_mode(bank, world):
    t = world["trainee-a"]
    standard = _start(world, bank)
    practice.ask_question(actor=t, attempt_id=standard, question_id="weapons")
    practice.record_event(
        actor=t, attempt_id=standard, kind="disposition", value="community_responder"
    )
    assert practice.guided_hints(actor=t, attempt_id=standard) == []
    guided = _start(world, bank, mode="guided")
    assert practice.guided_hints(actor=t, attempt_id=guided) == []  # nothing chosen yet
    practice.ask_question(actor=t, attempt_id=guided, question_id="weapons")
    practice.record_event(
        actor=t, attempt_id=guided, kind="disposition", value="community_responder"
    )
    hints = practice.guided_hints(actor=t, attempt_id=guided)
    assert any("alone" in h for h in hints)


# ------------------------------------------------------------------ adaptive choice


def test_next_scenario_prefers_unseen_and_stays_in_the_agency(bank, world, monkeypatch):
    monkeypatch.setattr(practice, "_generate_calls", lambda actor, profile, count=3: [])
    t = world["trainee-a"]
    allowed = {bank["knife"], bank["sleeper"]}
    for seed in range(20):
        assert practice.next_scenario(actor=t, mode="standard", rng=random.Random(seed)) in allowed
    attempt_id = _start(world, bank, name="knife")
    practice.submit_attempt(
        actor=t, attempt_id=attempt_id, answer=KNIFE_ANSWER, idempotency_key=_key(world, attempt_id)
    )
    for seed in range(20):  # the knife call is seen: the unseen sleeper comes first
        chosen = practice.next_scenario(actor=t, mode="standard", rng=random.Random(seed))
        assert chosen == bank["sleeper"]
    attempt_id = _start(world, bank, name="sleeper")
    practice.submit_attempt(
        actor=t,
        attempt_id=attempt_id,
        answer={
            "disqualifiers": [],
            "call_type": "UNHOUSED_PERSON",
            "disposition": "community_responder",
        },
        idempotency_key=_key(world, attempt_id),
    )
    # Everything seen and no generator: still one of the agency's published calls.
    for seed in range(10):
        assert practice.next_scenario(actor=t, mode="standard", rng=random.Random(seed)) in allowed


def test_next_scenario_sees_bank_changes_at_once(bank, world, monkeypatch):
    """The catalogue kept per process never offers a retired call or misses a new one."""
    from app.services import authoring

    monkeypatch.setattr(practice, "_generate_calls", lambda actor, profile, count=3: [])
    t, trainer = world["trainee-a"], world["trainer-a"]
    picks = {
        practice.next_scenario(actor=t, mode="standard", rng=random.Random(s)) for s in range(20)
    }
    assert picks == {bank["knife"], bank["sleeper"]}  # the catalogue is now kept
    authoring.set_status(actor=trainer, version_id=bank["knife"], status="retired")
    for seed in range(20):
        chosen = practice.next_scenario(actor=t, mode="standard", rng=random.Random(seed))
        assert chosen == bank["sleeper"]
    authoring.set_status(actor=trainer, version_id=bank["draft"], status="published")
    picks = {
        practice.next_scenario(actor=t, mode="standard", rng=random.Random(s)) for s in range(40)
    }
    assert picks == {bank["sleeper"], bank["draft"]}


def test_next_scenario_uses_generated_calls_when_the_bank_is_exhausted(bank, world, monkeypatch):
    t = world["trainee-a"]
    for name in ("knife", "sleeper"):
        attempt_id = _start(world, bank, name=name)
        practice.submit_attempt(
            actor=t,
            attempt_id=attempt_id,
            answer=KNIFE_ANSWER,
            idempotency_key=_key(world, attempt_id),
        )
    from app.core.scenario import parse_scenario

    generated_text = KNIFE_TEXT.replace("id: porch-knife-0001", "id: gen-porch-0001")
    data, _ = parse_scenario(generated_text, "gen.yaml")

    class FakeGenerator:
        @staticmethod
        def generate(count, seed):
            return [(data, generated_text)]

    import sys

    monkeypatch.setitem(sys.modules, "app.core.generator", FakeGenerator)
    chosen = practice.next_scenario(actor=t, mode="standard")
    assert chosen not in bank.values()
    from app.store.models import ScenarioVersion

    with read_session() as session:
        row = session.get(ScenarioVersion, chosen)
    assert row.source == "generated" and row.agency_id == t.agency_id


def test_no_calls_and_no_generator_is_a_plain_message(database, world, monkeypatch):
    monkeypatch.setattr(practice, "_generate_calls", lambda actor, profile, count=3: [])
    with pytest.raises(NotFound, match="no published calls"):
        practice.next_scenario(actor=world["trainee-a"], mode="standard")


def test_progress_summarises_the_trainee(bank, world):
    t = world["trainee-a"]
    empty = practice.my_progress(actor=t)
    assert empty["attempts"] == 0 and empty["average_score"] is None
    assert empty["next_step"]["kind"] in {"lesson", "check", "practice"}
    attempt_id = _start(world, bank)
    practice.submit_attempt(
        actor=t,
        attempt_id=attempt_id,
        answer={"disqualifiers": [], "call_type": "SUSPICIOUS_PERSON", "disposition": "police"},
        idempotency_key=_key(world, attempt_id),
    )
    progress = practice.my_progress(actor=t)
    assert progress["attempts"] == 1
    assert progress["disqualifier_accuracy"]["weapon"] == {
        "label": "Weapon",
        "tries": 1,
        "caught": 0,
        "rate": 0.0,
    }
    assert progress["disqualifier_accuracy"]["threat"]["rate"] is None
    assert 0.0 <= progress["readiness"] <= 1.0
    assert progress["focus"]["disqualifiers"] == ["weapon"]


def test_clip_bytes_are_a_wav_of_the_opening_and_of_asked_answers(bank, world, speech):
    t = world["trainee-a"]
    attempt_id = _start(world, bank)
    opening = practice.clip_bytes(actor=t, attempt_id=attempt_id, item="opening")
    assert opening[:4] == b"RIFF" and opening[8:12] == b"WAVE" and len(opening) > 1000
    practice.ask_question(actor=t, attempt_id=attempt_id, question_id="entry")  # unscripted
    default = practice.clip_bytes(actor=t, attempt_id=attempt_id, item="entry")
    assert default[:4] == b"RIFF" and default != opening


def test_exhausted_bank_gets_real_generated_calls_for_weak_call_types(bank, world):
    t = world["trainee-a"]
    for name in ("knife", "sleeper"):
        attempt_id = _start(world, bank, name=name)
        practice.submit_attempt(
            actor=t,
            attempt_id=attempt_id,
            answer={**KNIFE_ANSWER, "disqualifiers": [], "disposition": "police"},
            idempotency_key=_key(world, attempt_id),
        )
    chosen = practice.next_scenario(actor=t, mode="standard", rng=random.Random(3))
    assert chosen not in bank.values()
    from app.store.models import ScenarioVersion

    with read_session() as session:
        row = session.get(ScenarioVersion, chosen)
        generated = session.exec(
            select(ScenarioVersion).where(ScenarioVersion.source == "generated")
        ).all()
    assert row.source == "generated" and row.agency_id == t.agency_id
    assert row.status == "published" and len(generated) >= 1
    # The generated call plays like any other.
    attempt_id = practice.start_attempt(actor=t, scenario_version_id=chosen, mode="standard")
    assert practice.attempt_view(actor=t, attempt_id=attempt_id)["opening"]
