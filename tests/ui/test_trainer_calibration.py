"""The calibration page (AppTest): a trainer keys blind, sees the panel only after
submitting; a contested draft is refused on the bank page; the agreement report."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.services import calibration
from tests.factories import ROOT
from tests.services.test_authoring_support import LAUNDROMAT, add_user, snapshot, store, text_of

PAGES = ROOT / "app" / "app_pages"


@pytest.fixture
def panel(sqlite_db, world):
    a = world.agencies["a"]
    draft = store(
        a,
        text_of(LAUNDROMAT),
        status="draft",
        source="authored",
        created_by=world["trainer-a"].user_id,
    )
    return {"draft": draft, "x": add_user(a, "trainer-x"), "y": add_user(a, "trainer-y")}


def open_page(actor, page="trainer_calibration.py") -> AppTest:
    at = AppTest.from_file(str(PAGES / page), default_timeout=60)
    at.session_state["user_id"] = actor.user_id
    at.run()
    assert not at.exception, at.exception
    return at


def submit(
    at: AppTest, version_id: int, *, dq=(), call_type="DISTURBANCE", route="police", priority=3
):
    prefix = f"cal.form.{version_id}.new"
    for code in dq:
        at.checkbox(key=f"{prefix}.dq.{code}").check()
    at.selectbox(key=f"{prefix}.call_type").select(call_type)
    at.radio(key=f"{prefix}.priority").set_value(priority)
    at.radio(key=f"{prefix}.disposition").set_value(route)
    next(b for b in at.button if b.label == "Submit my key").click().run()
    assert not at.exception, at.exception
    return at


def panel_shown(at: AppTest) -> bool:
    return any(h.value == "The panel's keys" for h in at.subheader)


def test_blind_keying_then_reveal_then_contest(panel, world):
    x, y = panel["x"], panel["y"]
    at = open_page(x)
    assert at.selectbox(key="cal.pick").value == panel["draft"]
    assert not panel_shown(at)
    assert not at.dataframe  # no keys of anyone on screen before submitting
    at = submit(at, panel["draft"], route="community_responder")
    assert any("Your key is saved" in s.value for s in at.success)
    assert panel_shown(at)
    keys = next(f.value for f in at.dataframe)
    assert list(keys["Trainer"]) == ["Trainer X (you)", "Stored key"]
    assert list(keys["Priority"]) == ["Priority 3", "Priority 3"]
    # One key is not an agreement: no percentages, no "agrees with itself".
    agreement = {"Disqualifiers", "Call type", "Priority", "Route"}
    assert {m.value for m in at.metric if m.label in agreement} == {"—"}
    assert any("Agreement needs at least two keys" in i.value for i in at.info)
    assert not any("agree" in s.value.lower() for s in at.success)

    # y has not keyed: still blind, though x's key exists.
    at_y = open_page(y)
    assert not panel_shown(at_y)
    assert any("1 trainer(s) have keyed" in c.value for c in at_y.caption)
    report = next(f.value for f in at_y.dataframe if "Calibration" in f.value.columns)
    assert list(report["Calibration"]) == ["key it to see"] and list(report["Why"]) == [""]
    assert report["Route"].isna().all()
    at_y = submit(at_y, panel["draft"], dq=["weapon"], route="community_responder_with_police")
    assert any("Contested" in e.value for e in at_y.error)

    # The contested draft cannot be published from the bank, even by another trainer.
    before = snapshot()
    bank = open_page(x, "trainer_bank.py")
    bank.selectbox(key="bank.selected").set_value(panel["draft"]).run()
    assert bank.button(key="bank.publish").disabled
    assert any("contested in calibration" in i.value for i in bank.info)
    assert snapshot() == before


def test_the_author_sees_the_panel_but_has_no_form(panel, world):
    calibration.submit_key(
        actor=panel["x"],
        version_id=panel["draft"],
        disqualifiers=[],
        call_type="DISTURBANCE",
        priority=3,
        disposition="community_responder",
    )
    at = open_page(world["trainer-a"])
    assert any(h.value == "Your scenario" for h in at.subheader)
    assert not any(b.label == "Submit my key" for b in at.button)
    assert panel_shown(at)


def test_the_report_shows_kappa_and_trainers(panel, world):
    for who, route in (("x", "community_responder"), ("y", "police")):
        calibration.submit_key(
            actor=panel[who],
            version_id=panel["draft"],
            disqualifiers=[],
            call_type="DISTURBANCE",
            priority=3,
            disposition=route,
        )
    at = open_page(panel["x"])
    metrics = {m.label: m.value for m in at.metric}
    assert {"Route", "Disqualifiers", "Priority", "Call type"} <= set(metrics)
    frames = [f.value for f in at.dataframe]
    trainers = next(f for f in frames if "Scenarios" in f.columns)
    assert set(trainers["Trainer"]) == {"Trainer X", "Trainer Y"}


def test_trainees_and_supervisors_are_refused(panel, world):
    for who in ("trainee-a", "supervisor-a"):
        at = open_page(world[who])
        assert any("may not" in e.value for e in at.error)
