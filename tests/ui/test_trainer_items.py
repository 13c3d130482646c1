"""The item analysis page (AppTest) for trainers and supervisors."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.factories import ROOT
from tests.services.test_authoring_items import items  # noqa: F401 - the shared fixture

PAGE = str(ROOT / "app" / "app_pages" / "trainer_items.py")


def open_page(actor) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = actor.user_id
    at.run()
    assert not at.exception, at.exception
    return at


def test_items_table_and_hints(items, world):  # noqa: F811
    for who in ("trainer-a", "supervisor-a"):
        at = open_page(world[who])
        frame = at.dataframe[0].value
        assert len(frame) == 3
        row = frame[frame["Id"] == "disturbance-knife-0003"].iloc[0]
        assert abs(row["Facility"] - 0.375) < 1e-9 and bool(row["Dubious"])
        assert row["Most common wrong route"] == "police (2)"
        assert any("miskeyed" in w.value for w in at.warning)
    at.toggle(key="items.dubious").set_value(True).run()
    assert len(at.dataframe[0].value) == 2


def test_trainees_are_refused(items, world):  # noqa: F811
    at = open_page(world["trainee-a"])
    assert any("may not" in e.value for e in at.error)
