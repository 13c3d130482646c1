"""The agency protocol page (AppTest): change the model, eligibility, hours and add a
question; a bad value is refused and nothing is saved."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.services import authoring
from app.store.db import read_session
from app.store.models import Agency
from tests.factories import ROOT

PAGE = str(ROOT / "app" / "app_pages" / "trainer_protocol.py")


def open_page(actor) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = actor.user_id
    at.run()
    assert not at.exception, at.exception
    return at


def save(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Save the protocol").click().run()
    assert not at.exception, at.exception
    return at


def overrides(world):
    with read_session() as session:
        agency = session.get(Agency, world.agencies["a"])
        return agency.dispatch_model, agency.protocol_overrides


def test_save_model_hours_eligibility_and_a_question(sqlite_db, world):
    at = open_page(world["trainer-a"])
    at.selectbox(key="protocol.model").select("external_hotline")
    at.text_input(key="protocol.hours").set_value("08:00-22:00")
    at.multiselect(key="protocol.eligible").unselect("NOISE_COMPLAINT")
    at.text_input(key="protocol.new_id").set_value("pets")
    at.text_input(key="protocol.new_text").set_value("Are there any animals in the home?")
    at = save(at)
    assert any("saved" in s.value for s in at.success)
    model, saved = overrides(world)
    assert model == "external_hotline" and saved["hotline_hours"] == "08:00-22:00"
    assert saved["call_types"] == {"NOISE_COMPLAINT": {"eligible": False}}
    assert saved["questions"] == {"pets": {"text": "Are there any animals in the home?"}}
    assert at.checkbox(key="protocol.keep.pets").value is True
    # Remove the question again.
    at.checkbox(key="protocol.keep.pets").uncheck()
    save(at)
    assert "questions" not in overrides(world)[1]


def test_bad_hours_are_refused_and_nothing_saved(sqlite_db, world):
    before = overrides(world)
    at = open_page(world["admin-a"])
    at.text_input(key="protocol.hours").set_value("all day")
    at = save(at)
    assert any("Not saved" in e.value and "hotline hours" in e.value for e in at.error)
    assert overrides(world) == before


def test_the_bank_check_lists_scenarios_that_no_longer_fit(sqlite_db, world):
    from tests.services.test_authoring_support import BUS_STOP, store, text_of

    store(world.agencies["a"], text_of(BUS_STOP))
    at = open_page(world["trainer-a"])
    at.button(key="protocol.check").click().run()
    assert any("Every current scenario fits" in s.value for s in at.success)
    settings = authoring.protocol_settings(actor=world["trainer-a"])
    authoring.save_protocol(
        actor=world["trainer-a"],
        dispatch_model="call_center_led",
        eligible=[c["code"] for c in settings["call_types"] if c["eligible"]],
        hotline_hours="09:00-10:00",
    )
    at.button(key="protocol.check").click().run()
    assert any("need attention" in w.value for w in at.warning), [c.value for c in at.code]


def test_supervisors_are_refused(sqlite_db, world):
    at = open_page(world["supervisor-a"])
    assert any("may not" in e.value for e in at.error)


def test_a_center_adds_a_wording_and_tries_it(sqlite_db, world):
    at = open_page(world["trainer-a"])
    at.text_input(key="protocol.try").set_value("is the fella packing any heat").run()
    assert any("Not understood" in i.value for i in at.info)

    at.selectbox(key="protocol.wording_question").select("weapons").run()
    at.text_area(key="protocol.wordings.weapons").set_value("is the fella packing any heat\n")
    next(b for b in at.button if b.label == "Save the wordings").click().run()
    assert not at.exception, at.exception
    assert any("wordings are saved" in s.value for s in at.success)
    assert any("Understood as: " in s.value and "weapon" in s.value for s in at.success)
    assert overrides(world)[1]["questions"]["weapons"]["phrasings"] == [
        "is the fella packing any heat"
    ]


def test_an_admin_sets_the_review_rules_and_a_trainer_only_sees_them(sqlite_db, world):
    from app.services.authoring import review_settings

    trainer_page = open_page(world["trainer-a"])
    assert trainer_page.toggle(key="protocol.review_required").disabled
    assert any("Only an admin" in c.value for c in trainer_page.caption)

    at = open_page(world["admin-a"])
    assert at.toggle(key="protocol.review_required").value is True  # on by default
    at.toggle(key="protocol.review_required").set_value(False)
    at.toggle(key="protocol.calibration_required").set_value(True)
    next(b for b in at.button if b.label == "Save the review rules").click().run()
    assert not at.exception, at.exception
    assert any("review rules are saved" in s.value for s in at.success)
    assert review_settings(actor=world["trainer-a"]) == {
        "review_required": False,
        "calibration_required": True,
    }
    # The other agency keeps its own rules.
    assert review_settings(actor=world["trainer-b"])["review_required"] is True
