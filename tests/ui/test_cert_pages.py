"""AppTest: the exam page, the supervisor's certifications page and the public verify page."""

from __future__ import annotations

import random

from streamlit.testing.v1 import AppTest

from app.core import grading
from app.core.protocol import load_protocol
from app.services import certification
from app.store.db import read_session
from app.store.models import Attempt
from tests.factories import ROOT
from tests.services.test_certification import TRACK, take_exam
from tests.services.test_certification_support import (
    answer_call,
    build_bank,
    pass_all_lessons,
    practice_ids,
    practise,
    scenario_data,
)

PAGES = ROOT / "app" / "app_pages"


def page(name: str, user_id: int | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGES / name), default_timeout=60)
    if user_id is not None:
        at.session_state["user_id"] = user_id
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.title]
    for kind in ("success", "error", "warning", "info", "caption"):
        parts += [e.value for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts).replace("\\", "")


def ready(world):
    ids = build_bank(world.agencies["a"])
    trainee = world["trainee-a"]
    pass_all_lessons(trainee)
    practise(trainee, practice_ids(ids, 20))
    return trainee


def passed_exam(world) -> int:
    trainee = ready(world)
    exam_id = certification.start_exam(actor=trainee, track_id=TRACK, rng=random.Random(3))
    assert take_exam(trainee, exam_id)["outcome"]["passed"]
    return exam_id


# ----------------------------------------------------------------------------- verify


def test_verify_works_logged_out(sqlite_db, world):
    exam_id = passed_exam(world)
    cert = certification.sign_off(
        actor=world["supervisor-a"], exam_id=exam_id, attested=True, calls_opened=[1]
    )
    at = page("verify.py").run()
    assert not at.exception
    assert "user_id" not in at.session_state
    assert at.title[0].value == "Verify a certificate"

    at.text_input[0].input("zzzz-zzzz-zzzz")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["No certificate with this code was found."]
    assert "Trainee" not in texts(at)

    at.text_input[0].input(cert["code"].lower().replace("-", " "))
    at.button[0].click().run()
    shown = texts(at)
    assert at.success and at.success[0].value.startswith("Valid certificate, until ")
    assert "Trainee A" in shown and "Agency A" in shown and "Community responder" in shown
    assert str(cert["certificate_id"]) not in [m.value for m in at.markdown]

    certification.revoke(
        actor=world["supervisor-a"], certificate_id=cert["certificate_id"], reason="Test revoke"
    )
    at.button[0].click().run()
    assert at.error and at.error[0].value.startswith("This certificate was revoked on ")
    assert "Test revoke" not in texts(at)


def test_verify_link_with_code_is_checked_on_arrival_and_rate_limited(sqlite_db, world):
    at = page("verify.py")
    at.query_params["code"] = "2345-6789-ABCD"
    at.run()
    assert not at.exception
    assert at.text_input[0].value == "2345-6789-ABCD"
    assert [e.value for e in at.error] == ["No certificate with this code was found."]
    for _ in range(certification.LOOKUPS_PER_MINUTE - 1):  # 30 lookups in all
        at.button[0].click().run()
        assert not at.warning
    at.button[0].click().run()  # the 31st
    assert at.warning and "Too many checks" in at.warning[0].value
    assert not at.error  # the code was not looked at
    # A new browser session does not reset the count: it is kept in the database.
    fresh = page("verify.py").run()
    fresh.text_input[0].input("2345-6789-ABCD")
    fresh.button[0].click().run()
    assert fresh.warning and "Too many checks" in fresh.warning[0].value


# ----------------------------------------------------------------------------- the exam


def test_exam_page_before_eligibility(sqlite_db, world):
    at = page("trainee_exam.py", world["trainee-a"].user_id).run()
    assert not at.exception
    start = next(b for b in at.button if b.label == "Start the exam")
    assert start.disabled
    assert "Submit 20 more practice calls." in texts(at)


def test_exam_page_runs_the_exam_and_resumes_after_a_refresh(sqlite_db, world):
    trainee = ready(world)
    at = page("trainee_exam.py", trainee.user_id).run()
    assert not at.exception
    start = next(b for b in at.button if b.label == "Start the exam")
    assert not start.disabled
    start.click().run()
    assert certification.current_exam(actor=trainee) is None  # asked first (issue 18)
    assert "Start the exam now?" in texts(at)
    next(b for b in at.button if b.label == "Yes, start the exam").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Community responder call screening"
    assert "Exam call 1 of 10" in at.get("progress")[0].proto.text
    exam_id = certification.current_exam(actor=trainee)
    attempt_id = certification.exam_state(actor=trainee, exam_id=exam_id)["attempt_id"]

    # Take the first call through the call screen itself.
    with read_session() as session:
        version_id = session.get(Attempt, attempt_id).scenario_version_id
    data = scenario_data(version_id)
    own = {e["id"]: e["question"] for e in data["call"]["exchanges"] if e.get("id")}
    words = {q.id: q.text for q in load_protocol().questions.values()} | own
    if data["call"].get("connection"):  # a dropped line: ring the caller back first
        at.button(key=f"call{attempt_id}.callback").click().run()
    expert = grading.expert_answer(data, "call_center_led")  # the agency's model decides
    for question in expert["questions"]:  # exam calls: typed questions
        at.text_input(key=f"call{attempt_id}.typed").input(words[question])
        next(b for b in at.button if b.label == "Ask").click().run()
    for code in expert["disqualifiers"]:
        at.checkbox(key=f"call{attempt_id}.dq.{code}").check().run()
    at.selectbox(key=f"call{attempt_id}.call_type").set_value(expert["call_type"]).run()
    if "priority" in expert:  # generated calls carry one; a priority 1 left empty is critical
        at.segmented_control(key=f"call{attempt_id}.priority").set_value(expert["priority"]).run()
    at.radio(key=f"call{attempt_id}.disposition").set_value(expert["disposition"]).run()
    next(b for b in at.button if b.label == "Submit call").click().run()
    assert not at.exception, at.exception
    with read_session() as session:
        graded = session.get(Attempt, attempt_id)
        assert not graded.unsafe, (data["id"], expert, graded.answer)
    shown_now = [m.value for m in (*at.success, *at.warning, *at.error, *at.info)]
    assert any("Call recorded" in s.value for s in at.success), (data["id"], shown_now)
    next(b for b in at.button if b.label == "Start the next call").click().run()
    assert "Exam call 2 of 10" in at.get("progress")[0].proto.text
    # No feedback shown for the submitted call.
    assert "Score" not in [m.label for m in at.metric]

    # Two more calls answered elsewhere (another tab), then the connection drops.
    take_exam(trainee, exam_id, stop_after=2)
    refreshed = page("trainee_exam.py", trainee.user_id).run()
    assert not refreshed.exception
    assert "Exam call 4 of 10" in refreshed.get("progress")[0].proto.text
    current = certification.exam_state(actor=trainee, exam_id=exam_id)["attempt_id"]
    assert refreshed.text_input(key=f"call{current}.typed")

    take_exam(trainee, exam_id)
    refreshed.run()
    assert not refreshed.exception
    assert refreshed.title[0].value.endswith(": result")
    result = [m.value for m in (*refreshed.success, *refreshed.warning, *refreshed.error)]
    result += [refreshed.dataframe[0].value.to_string()[:3000]] if refreshed.dataframe else []
    assert refreshed.success and "A supervisor will review" in refreshed.success[0].value, result
    assert refreshed.dataframe[0].value.shape[0] == 10

    certification.sign_off(
        actor=world["supervisor-a"], exam_id=exam_id, attested=True, calls_opened=[1]
    )
    next(b for b in refreshed.button if b.label == "Back to certification").click().run()
    assert not refreshed.exception
    shown = texts(refreshed)
    assert "My certificates" in [s.value for s in refreshed.subheader]
    assert "Verification code" in shown and "signed off" in shown


def test_answer_call_helper_matches_the_page(sqlite_db, world):
    """The services helper used above answers like the expert: every exam call scores 100."""
    trainee = ready(world)
    exam_id = certification.start_exam(actor=trainee, track_id=TRACK, rng=random.Random(1))
    state = certification.exam_state(actor=trainee, exam_id=exam_id)
    with read_session() as session:
        vid = session.get(Attempt, state["attempt_id"]).scenario_version_id
    grade = answer_call(trainee, state["attempt_id"], version_id=vid, model="call_center_led")
    assert grade["score"] == 100


# ----------------------------------------------------------------------------- supervisor


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_supervisor_signs_off_and_revokes_on_the_page(sqlite_db, world):
    exam_id = passed_exam(world)
    supervisor = world["supervisor-a"]
    at = page("supervisor_certs.py", supervisor.user_id).run()
    assert not at.exception, at.exception
    assert "Trainee A" in texts(at)
    # Every exam call is listed with a button to open its replay; sign-off waits for one.
    opens = [b for b in at.button if b.label == "Open call"]
    assert len(opens) == 10
    assert button(at, "Sign off…").disabled
    assert not [b for b in at.button if b.label == "Sign off and issue certificate"]

    opens[2].click().run()  # call 3: the replay opens in a dialog
    assert not at.exception, at.exception
    assert "Call 3:" in texts(at)
    assert "What the trainee did, second by second" in texts(at)
    assert "You opened call 3 of 10." in texts(at)
    assert not button(at, "Sign off…").disabled

    button(at, "Sign off…").click().run()
    assert not at.exception, at.exception
    statement = certification.sign_off_statement(actor=supervisor, exam_id=exam_id)
    assert statement.replace("'", "") in texts(at).replace("'", "")
    sign = button(at, "Sign off and issue certificate")
    assert sign.disabled  # until the statement is confirmed
    at.checkbox(key=f"certs.attest.{exam_id}").check().run()
    button(at, "Sign off and issue certificate").click().run()
    assert not at.exception, at.exception
    issued = at.success[0].value.replace("\\", "")
    code = certification.list_certificates(actor=supervisor)[0]["code"]
    assert issued == f"Certificate issued to Trainee A: code {code}."
    assert "No passed exam is waiting for sign-off." in texts(at)
    review = certification.exam_review(actor=supervisor, exam_id=exam_id)
    assert review["attestation"]["calls_opened"] == [3]
    assert review["attestation"]["statement"] == statement
    assert review["signed_off_by"] == supervisor.display_name
    table = at.dataframe[0].value
    assert list(table["Status"]) == ["Valid"] and list(table["Code"]) == [code]
    # A fresh certificate shows no renewal warning, only when renewal opens.
    shown = texts(at)
    assert "Renewal opens on" in shown and "critical error" not in shown
    assert not [c for c in at.caption if ":material/close:" in c.value]

    reason = next(t for t in at.text_area if t.label == "Reason for revoking")
    reason.input("Repeated unsafe dispatches on live calls.")
    button(at, "Revoke certificate").click().run()
    assert not at.exception, at.exception
    assert "is revoked" in at.success[0].value
    assert certification.verify_certificate(code)["status"] == "revoked"
    assert "The audit log is intact: 5 entries" in texts(at)


def test_admin_sees_certificates_but_cannot_sign_off(sqlite_db, world):
    passed_exam(world)
    at = page("supervisor_certs.py", world["admin-a"].user_id).run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label == "Sign off and issue certificate"]
    assert any("Supervisors sign off exams" in i.value for i in at.info)


def test_supervisor_of_another_agency_sees_nothing(sqlite_db, world):
    passed_exam(world)
    at = page("supervisor_certs.py", world["supervisor-b"].user_id).run()
    assert not at.exception
    assert "Trainee A" not in texts(at)
    assert "No passed exam is waiting for sign-off." in texts(at)
