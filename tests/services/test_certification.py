"""Certification services end to end, on SQLite and PostgreSQL (the ``database`` fixture)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import update
from sqlmodel import select

from app.core import certification as core
from app.errors import AccessDenied, NotFound, UserError
from app.services import audit, certification, practice
from app.services.accounts import actor_for
from app.store.db import read_session, write_session
from app.store.models import (
    Agency,
    Attempt,
    AuditEntry,
    Certificate,
    Exam,
    ScenarioVersion,
    User,
    utcnow,
)
from tests.factories import password_hash
from tests.services.test_certification_support import (
    answer_call,
    build_bank,
    pass_all_lessons,
    practice_ids,
    practise,
)

TRACK = "community-responder-screening"


def take_exam(actor, exam_id, *, model="call_center_led", wrong=None, stop_after=None):
    """Answer the exam's calls through the services; returns the final state."""
    answered = 0
    while True:
        state = certification.exam_state(actor=actor, exam_id=exam_id)
        if state["status"] != "in_progress" or (stop_after is not None and answered >= stop_after):
            return state
        attempt_id = state["attempt_id"]
        with read_session() as session:
            row = session.get(Attempt, attempt_id)
            vid, played_under = row.scenario_version_id, row.model
        # The expert answer under the model the call is played under (``model`` is the
        # agency's; a call may be set under another dispatch model).
        answer_call(actor, attempt_id, version_id=vid, model=played_under or model, wrong=wrong)
        answered += 1


def ready_trainee(world, name="trainee-a", agency="a", seed=1):
    """A trainee with lessons passed and 20 good practice calls on a fresh bank."""
    ids = build_bank(world.agencies[agency])
    actor = world[name]
    pass_all_lessons(actor)
    model = "call_center_led" if agency == "a" else "external_hotline"
    practise(actor, practice_ids(ids, 20, seed), model=model)
    return actor, ids


def passed_exam(world, name="trainee-a", agency="a"):
    actor, ids = ready_trainee(world, name, agency)
    model = "call_center_led" if agency == "a" else "external_hotline"
    exam_id = certification.start_exam(actor=actor, track_id=TRACK, rng=random.Random(5))
    state = take_exam(actor, exam_id, model=model)
    assert state["outcome"]["passed"], state["outcome"]
    return actor, exam_id, ids


def events() -> list[str]:
    with read_session() as session:
        return [e.event for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]


def test_trainee_from_zero_to_verified_certificate(database, world):
    trainee, supervisor = world["trainee-a"], world["supervisor-a"]
    ids = build_bank(world.agencies["a"])

    with pytest.raises(certification.NotEligible):
        certification.start_exam(actor=trainee, track_id=TRACK)
    overview = certification.exam_overview(actor=trainee)
    missing = overview["tracks"][0]["eligibility"]["missing"]
    assert any("lesson" in m for m in missing) and any("practice" in m for m in missing)

    pass_all_lessons(trainee)
    practised = practice_ids(ids, 20)
    practise(trainee, practised[:19])
    elig = certification.exam_overview(actor=trainee)["tracks"][0]["eligibility"]
    assert not elig["eligible"] and elig["practice_calls"] == 19
    practise(trainee, practised[19:])
    elig = certification.exam_overview(actor=trainee)["tracks"][0]["eligibility"]
    assert elig["eligible"], elig

    exam_id = certification.start_exam(actor=trainee, track_id=TRACK, rng=random.Random(7))
    with read_session() as session:
        plan = session.get(Exam, exam_id).plan
        seen_keys = {session.get(ScenarioVersion, v).scenario_key for v in practised}
        planned_keys = {session.get(ScenarioVersion, v).scenario_key for v in plan}
    assert len(plan) == 10 and not planned_keys & seen_keys

    # First call: answered, but no feedback until the end.
    state = certification.exam_state(actor=trainee, exam_id=exam_id)
    first = state["attempt_id"]
    answer_call(trainee, first, version_id=plan[0], model="call_center_led")
    with pytest.raises(AccessDenied):
        practice.review_attempt(actor=trainee, attempt_id=first)
    state = take_exam(trainee, exam_id)
    assert state["status"] == "completed" and state["answered"] == 10
    outcome = state["outcome"]
    assert outcome["passed"] and outcome["score"] == 100 and outcome["reasons"] == []
    assert outcome["total_seconds"] is not None
    assert practice.review_attempt(actor=trainee, attempt_id=first)["grade"]["score"] == 100

    pending = certification.pending_sign_offs(actor=supervisor)
    assert [p["exam_id"] for p in pending] == [exam_id]
    cert = certification.sign_off(
        actor=supervisor, exam_id=exam_id, attested=True, calls_opened=[1]
    )
    assert cert["status"] == "valid" and core.normalize_code(cert["code"]) == cert["code"]
    assert certification.pending_sign_offs(actor=supervisor) == []
    issued = core.as_utc(cert["issued_at"])
    assert core.as_utc(cert["expires_at"]) == core.add_months(issued, 24)

    public = certification.verify_certificate(cert["code"].lower().replace("-", " "))
    assert public == {
        "found": True,
        "code": cert["code"],
        "status": "valid",
        "holder": "Trainee A",
        "agency": "Agency A",
        "track": "Community responder call screening",
        "issued_on": issued.date(),
        "expires_on": core.as_utc(cert["expires_at"]).date(),
        "revoked_on": None,
    }
    assert certification.verify_certificate("2222-3333-4444") == {"found": False}
    assert certification.verify_certificate("not a code") == {"found": False}

    for who in (trainee, supervisor, world["admin-a"]):
        pdf = certification.certificate_pdf(actor=who, certificate_id=cert["certificate_id"])
        assert pdf.startswith(b"%PDF")
    assert [c["code"] for c in certification.my_certificates(actor=trainee)] == [cert["code"]]
    blocked = certification.exam_overview(actor=trainee)["tracks"][0]["eligibility"]["blocked"]
    assert any("valid certificate until" in line for line in blocked)
    with pytest.raises(certification.NotEligible, match="renew"):
        certification.start_exam(actor=trainee, track_id=TRACK)
    home = certification.track_progress(actor=trainee)
    assert home[0]["title"] == "Community responder call screening"

    assert events() == ["exam_started", "exam_result", "sign_off", "certificate_issued"]
    report = audit.verify_log()
    assert report.ok and report.entries == 4


def test_supervisor_signs_off_then_revokes(database, world):
    trainee, supervisor = world["trainee-a"], world["supervisor-a"]
    _, exam_id, _ = passed_exam(world)
    cert = certification.sign_off(
        actor=supervisor, exam_id=exam_id, attested=True, calls_opened=[1]
    )
    with pytest.raises(UserError):
        certification.sign_off(actor=supervisor, exam_id=exam_id, attested=True, calls_opened=[1])
    with pytest.raises(UserError):
        certification.revoke(actor=supervisor, certificate_id=cert["certificate_id"], reason="")
    revoked = certification.revoke(
        actor=supervisor,
        certificate_id=cert["certificate_id"],
        reason="Sent an unarmed team to a call with a gun during live duty.",
    )
    assert revoked["status"] == "revoked"
    public = certification.verify_certificate(cert["code"])
    assert public["status"] == "revoked"
    assert public["revoked_on"] == core.as_utc(revoked["revoked_at"]).date()
    assert "reason" not in str(public) and "gun" not in str(public)
    with pytest.raises(UserError):
        certification.revoke(
            actor=supervisor, certificate_id=cert["certificate_id"], reason="Twice is once too many"
        )
    listed = certification.list_certificates(actor=supervisor)
    assert [(c["code"], c["status"]) for c in listed] == [(cert["code"], "revoked")]
    assert certification.list_certificates(actor=supervisor, status="valid") == []
    assert certification.my_certificates(actor=trainee)[0]["status"] == "revoked"
    assert events()[-1] == "revoked"
    assert audit.verify_log().ok


def test_access_denials(database, world):
    trainee, exam_id, _ = passed_exam(world)
    with pytest.raises(AccessDenied):
        certification.sign_off(actor=trainee, exam_id=exam_id, attested=True, calls_opened=[1])
    with pytest.raises(AccessDenied):
        certification.sign_off(
            actor=world["trainer-a"], exam_id=exam_id, attested=True, calls_opened=[1]
        )
    with pytest.raises(AccessDenied):
        certification.sign_off(
            actor=world["admin-a"], exam_id=exam_id, attested=True, calls_opened=[1]
        )
    with pytest.raises(NotFound):
        certification.sign_off(
            actor=world["supervisor-b"], exam_id=exam_id, attested=True, calls_opened=[1]
        )
    with pytest.raises(NotFound):
        certification.exam_review(actor=world["supervisor-b"], exam_id=exam_id)
    assert certification.pending_sign_offs(actor=world["supervisor-b"]) == []

    # Another trainee of the same agency, and one of agency b, guessing the exam id.
    with write_session() as session:
        user = User(
            agency_id=world.agencies["a"],
            username="trainee-a2",
            display_name="Second Trainee",
            role="trainee",
            password_hash=password_hash(),
        )
        session.add(user)
        session.flush()
        other = actor_for(user)
    for guesser in (other, world["trainee-b"]):
        with pytest.raises(NotFound):
            certification.exam_state(actor=guesser, exam_id=exam_id)
        with pytest.raises(NotFound):
            certification.exam_report(actor=guesser, exam_id=exam_id)
        with pytest.raises(NotFound):
            certification.finish_exam(actor=guesser, exam_id=exam_id)
    with pytest.raises(AccessDenied):
        certification.start_exam(actor=world["supervisor-a"], track_id=TRACK)

    cert = certification.sign_off(
        actor=world["supervisor-a"], exam_id=exam_id, attested=True, calls_opened=[1]
    )
    cid = cert["certificate_id"]
    with pytest.raises(AccessDenied):
        certification.revoke(actor=trainee, certificate_id=cid, reason="I changed my mind")
    with pytest.raises(NotFound):
        certification.revoke(actor=world["supervisor-b"], certificate_id=cid, reason="Not mine!")
    with pytest.raises(NotFound):
        certification.certificate_pdf(actor=other, certificate_id=cid)
    with pytest.raises(NotFound):
        certification.certificate_pdf(actor=world["supervisor-b"], certificate_id=cid)
    with pytest.raises(AccessDenied):
        certification.certificate_pdf(actor=world["trainer-a"], certificate_id=cid)
    with pytest.raises(AccessDenied):
        certification.list_certificates(actor=trainee)
    with pytest.raises(AccessDenied):
        audit.agency_entries(actor=trainee)
    assert audit.agency_entries(actor=world["supervisor-b"]) == []
    assert len(audit.agency_entries(actor=world["admin-a"])) == 4


def test_exam_resumes_at_the_same_call_and_never_restarts(database, world):
    trainee, _ = ready_trainee(world)
    exam_id = certification.start_exam(actor=trainee, track_id=TRACK, rng=random.Random(2))
    take_exam(trainee, exam_id, stop_after=3)
    state = certification.exam_state(actor=trainee, exam_id=exam_id)
    assert state["answered"] == 3 and state["position"] == 3
    # A refresh or dropped connection: the page only knows the user; it finds the exam again.
    assert certification.current_exam(actor=trainee) == exam_id
    assert certification.start_exam(actor=trainee, track_id=TRACK) == exam_id
    again = certification.exam_state(actor=trainee, exam_id=exam_id)
    assert again["attempt_id"] == state["attempt_id"] and again["position"] == 3
    # Practising meanwhile does not disturb the open exam call.
    with pytest.raises(UserError):
        certification.finish_exam(actor=trainee, exam_id=exam_id)
    with read_session() as session:
        plan = session.get(Exam, exam_id).plan
    assert (
        certification.exam_state(actor=trainee, exam_id=exam_id)["attempt_id"]
        == state["attempt_id"]
    )
    assert len(plan) == 10
    final = take_exam(trainee, exam_id)
    assert final["status"] == "completed"
    assert certification.finish_exam(actor=trainee, exam_id=exam_id) == final["outcome"]
    assert events().count("exam_result") == 1


def test_failed_exam_gives_reasons_and_waits_before_a_retake(database, world):
    trainee, _ = ready_trainee(world)
    exam_id = certification.start_exam(actor=trainee, track_id=TRACK, rng=random.Random(4))
    state = take_exam(trainee, exam_id, wrong={"disposition": "community_responder"})
    outcome = state["outcome"]
    assert not outcome["passed"] and outcome["critical"] >= 4
    assert any("critical" in r for r in outcome["reasons"])
    assert certification.pending_sign_offs(actor=world["supervisor-a"]) == []
    with pytest.raises(UserError):
        certification.sign_off(
            actor=world["supervisor-a"], exam_id=exam_id, attested=True, calls_opened=[1]
        )
    with pytest.raises(certification.NotEligible, match="retake"):
        certification.start_exam(actor=trainee, track_id=TRACK)
    report = certification.exam_report(actor=trainee, exam_id=exam_id)
    assert len(report["calls"]) == 10 and report["outcome"] == outcome


def test_expiry_events_and_renewal_through_practice(database, world):
    trainee, supervisor = world["trainee-a"], world["supervisor-a"]
    _, exam_id, ids = passed_exam(world)
    cert = certification.sign_off(
        actor=supervisor, exam_id=exam_id, attested=True, calls_opened=[1]
    )
    cid = cert["certificate_id"]
    now = utcnow()
    assert certification.record_expiries(now=now) == 0

    # Renewal opens 90 days before expiry and needs 12 practice calls in the last 6 months;
    # the calls taken before the exam are made 7 months old.
    soon = now + dt.timedelta(days=30)
    with write_session() as session:
        session.execute(update(Certificate).where(Certificate.id == cid).values(expires_at=soon))
        session.execute(
            update(Attempt)
            .where(Attempt.exam_id.is_(None))
            .values(submitted_at=now - dt.timedelta(days=213))
        )
    listed = certification.list_certificates(actor=supervisor)[0]
    assert not listed["renewal"]["eligible"]
    with pytest.raises(UserError, match="practice calls"):
        certification.renew(actor=supervisor, certificate_id=cid)
    with read_session() as session:
        seen = {a.scenario_version_id for a in session.exec(select(Attempt)).all()}
    fresh = [v for v in ids.values() if v not in seen]
    practise(trainee, (fresh * 2)[:12])
    listed = certification.list_certificates(actor=supervisor)[0]
    assert listed["renewal"]["eligible"], listed["renewal"]
    with pytest.raises(AccessDenied):
        certification.renew(actor=world["admin-a"], certificate_id=cid)
    renewed = certification.renew(actor=supervisor, certificate_id=cid)
    assert core.as_utc(renewed["expires_at"]) == core.add_months(core.as_utc(soon), 24)
    assert events()[-1] == "renewed"

    # Expired: verification says so at once; the expiry event is written once.
    past = now - dt.timedelta(days=1)
    with write_session() as session:
        session.execute(update(Certificate).where(Certificate.id == cid).values(expires_at=past))
    assert certification.verify_certificate(cert["code"])["status"] == "expired"
    assert certification.list_certificates(actor=supervisor, status="expired")[0]["status"] == (
        "expired"
    )
    assert certification.record_expiries(actor=world["supervisor-b"]) == 0
    assert certification.record_expiries(actor=supervisor) == 1
    assert certification.record_expiries() == 0
    assert events()[-1] == "expired"
    # Past the grace period renewal is refused; the exam must be taken again.
    with write_session() as session:
        session.execute(
            update(Certificate)
            .where(Certificate.id == cid)
            .values(expires_at=now - dt.timedelta(days=40))
        )
    with pytest.raises(UserError, match="exam"):
        certification.renew(actor=supervisor, certificate_id=cid)
    assert certification.record_expiries() == 1  # a new expiry date, a new event
    assert audit.verify_log().ok


def test_changed_key_is_regraded_side_by_side_never_stored(database, world):
    _, exam_id, _ = passed_exam(world)
    supervisor = world["supervisor-a"]
    with read_session() as session:
        exam = session.get(Exam, exam_id)
        versions = [session.get(ScenarioVersion, i) for i in exam.plan]
    calm = next(v for v in versions if "disposition: community_responder" in v.yaml_text)
    # The trainer changes the key: the best route becomes police (a new version).
    from app.core.scenario import parse_scenario
    from app.services.bank import store_scenario

    text = calm.yaml_text.replace("disposition: community_responder", "disposition: police")
    text = text.replace("version: 1", "version: 2")
    data, problems = parse_scenario(text, "changed.yaml")
    assert data is not None, problems
    with write_session() as session:
        row, outcome = store_scenario(
            session=session, agency_id=world.agencies["a"], data=data, text=text
        )
    assert outcome == "new_version"
    review = certification.exam_review(actor=supervisor, exam_id=exam_id)
    changed = [c for c in review["calls"] if c["key_changed"]]
    assert len(changed) == 1
    call = changed[0]
    assert call["grade"]["score"] == 100
    assert call["new_grade"]["score"] < 100 and call["new_key"]["disposition"] == "police"
    assert review["outcome"]["score"] == 100
    assert review["outcome_with_current_keys"]["score"] < 100
    with read_session() as session:
        stored = session.exec(select(Attempt.score).where(Attempt.exam_id == exam_id)).all()
        assert set(stored) == {100}
        assert session.get(Exam, exam_id).score == 100


def test_short_bank_is_filled_with_generated_calls(database, world):
    agency = world.agencies["a"]
    # Enough calm calls but no disqualifier calls at all: the generator must supply them.
    layout = [("conflict", "911"), ("conflict", "non_emergency")] * 3 + [
        ("behavioral", "911"),
        ("welfare", "911"),
        ("welfare", "non_emergency"),
    ] * 2
    build_bank(agency, layout=layout, prefix="short")
    trainee = world["trainee-a"]
    pass_all_lessons(trainee)
    # 20 practice calls are needed: repeat the calm calls (later attempts of one call).
    with read_session() as session:
        ids = session.exec(
            select(ScenarioVersion.id).where(ScenarioVersion.agency_id == agency)
        ).all()
    practise(trainee, (list(ids[:4]) * 5)[:20])
    exam_id = certification.start_exam(actor=trainee, track_id=TRACK, rng=random.Random(11))
    with read_session() as session:
        plan = session.get(Exam, exam_id).plan
        rows = [session.get(ScenarioVersion, v) for v in plan]
    sources = {r.source for r in rows}
    assert "generated" in sources
    practised = set(ids[:4])
    assert not practised & set(plan)
    track = certification.get_track(TRACK, "call_center_led")
    summaries = [
        certification._summary(r.id, r.data, practice.protocol_for(None), _agency(agency))
        for r in rows
    ]
    assert core.plan_meets(track, summaries) == []


def _agency(agency_id):
    with read_session() as session:
        return session.get(Agency, agency_id)


def test_external_hotline_agency_uses_its_model_section(database, world):
    trainee, _ = ready_trainee(world, "trainee-b", "b")
    exam_id = certification.start_exam(actor=trainee, track_id=TRACK, rng=random.Random(9))
    with read_session() as session:
        plan = session.get(Exam, exam_id).plan
        rows = [session.get(ScenarioVersion, v) for v in plan]
    hotline = sum(
        1
        for r in rows
        if (r.data["expert"].get("by_model") or {}).get("external_hotline", {}).get("disposition")
        == "external_hotline"
    )
    assert hotline >= 3
    state = take_exam(trainee, exam_id, model="external_hotline")
    assert state["outcome"]["passed"]
    with pytest.raises(NotFound):
        certification.sign_off(
            actor=world["supervisor-a"], exam_id=exam_id, attested=True, calls_opened=[1]
        )
    cert = certification.sign_off(
        actor=world["supervisor-b"], exam_id=exam_id, attested=True, calls_opened=[1]
    )
    assert certification.verify_certificate(cert["code"])["agency"] == "Agency B"


def test_exam_attempt_cannot_be_started_on_a_call_outside_the_plan(database, world):
    trainee, ids = ready_trainee(world)
    exam_id = certification.start_exam(actor=trainee, track_id=TRACK, rng=random.Random(1))
    with read_session() as session:
        plan = set(session.get(Exam, exam_id).plan)
    outside = next(v for v in ids.values() if v not in plan)
    with pytest.raises(AccessDenied):
        practice.start_attempt(
            actor=trainee, scenario_version_id=outside, mode="exam", exam_id=exam_id
        )
