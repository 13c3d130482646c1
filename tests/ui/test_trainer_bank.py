"""The bank page (AppTest): filters, item statistics beside each scenario, publish and
retire, and an agency's scenarios only."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.factories import ROOT
from tests.services.test_authoring_support import (
    BUS_STOP,
    KNIFE,
    LAUNDROMAT,
    add_attempt,
    store,
    text_of,
)

PAGE = str(ROOT / "app" / "app_pages" / "trainer_bank.py")


@pytest.fixture
def bank(sqlite_db, world):
    a = world.agencies["a"]
    ids = {
        "knife": store(a, text_of(KNIFE)),
        "laundromat": store(a, text_of(LAUNDROMAT)),
        "bus": store(a, text_of(BUS_STOP), status="draft"),
    }
    store(world.agencies["b"], text_of(LAUNDROMAT).replace("-0004", "-0777"))
    add_attempt(world["trainee-a"], ids["laundromat"], 100)
    add_attempt(world["trainee-a"], ids["laundromat"], 50)
    return ids


def open_page(world, who="trainer-a") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = world[who].user_id
    at.run()
    assert not at.exception, at.exception
    return at


def table(at: AppTest):
    return at.dataframe[0].value


def test_lists_the_agencys_bank_with_statistics(bank, world):
    at = open_page(world)
    frame = table(at)
    assert set(frame["Id"]) == {
        "disturbance-knife-0003",
        "disturbance-laundromat-0004",
        "disturbance-bus-stop-0001",
    }
    row = frame[frame["Id"] == "disturbance-laundromat-0004"].iloc[0]
    assert row["Attempts"] == 2 and row["Facility"] == pytest.approx(0.75)
    assert row["Calibration"] == "not calibrated"


def test_filters(bank, world):
    at = open_page(world)
    at.selectbox(key="bank.dq").select("weapon").run()
    assert list(table(at)["Id"]) == ["disturbance-knife-0003"]
    at.selectbox(key="bank.dq").select("All").run()
    at.selectbox(key="bank.status").select("draft").run()
    assert list(table(at)["Id"]) == ["disturbance-bus-stop-0001"]
    at.selectbox(key="bank.status").select("All").run()
    at.selectbox(key="bank.model").select("external_hotline").run()
    assert "disturbance-bus-stop-0001" in list(table(at)["Id"])
    at.selectbox(key="bank.module").select("dispatch-models").run()
    assert not at.dataframe and any("No scenario matches" in i.value for i in at.info)


def test_publish_then_retire(bank, world):
    at = open_page(world)
    at.selectbox(key="bank.selected").set_value(bank["bus"]).run()
    at.button(key="bank.publish").click().run()
    assert any("is published" in s.value for s in at.success)
    at.button(key="bank.retire").click().run()
    assert any("is retired" in s.value for s in at.success)
    frame = table(at)
    assert frame[frame["Id"] == "disturbance-bus-stop-0001"].iloc[0]["Status"] == "retired"


def test_an_imported_draft_is_rejected_from_the_bank(bank, world):
    from app.services import authoring
    from tests.services.test_authoring_support import LAUNDROMAT, text_of

    authoring.import_uploads(
        actor=world["trainer-a"],
        uploads=[("l.yaml", text_of(LAUNDROMAT).replace("-0004", "-0777").encode())],
    )
    at = open_page(world)
    draft = next(
        r["version_id"]
        for r in authoring.bank(actor=world["trainer-a"], with_stats=False)
        if r["key"].endswith("-0777")
    )
    at.selectbox(key="bank.selected").set_value(draft).run()
    assert at.button(key="bank.publish").disabled  # the importer may not publish it
    at.button(key="bank.reject").click().run()
    assert any("rejected and deleted" in s.value for s in at.success)
    assert not any(r["key"].endswith("-0777") for r in authoring.bank(actor=world["trainer-a"]))
