"""The generator page (AppTest): generate drafts with a progress bar, review one with its
key and preview, publish it, reject another."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.services import authoring
from tests.factories import ROOT

PAGE = str(ROOT / "app" / "app_pages" / "trainer_generator.py")


def open_page(world, who="trainer-a") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.session_state["user_id"] = world[who].user_id
    at.run()
    assert not at.exception, at.exception
    return at


def test_generate_review_publish_and_reject(sqlite_db, world):
    at = open_page(world)
    assert any("No generated drafts" in i.value for i in at.info)
    at.number_input(key="gen.count").set_value(3)
    at.number_input(key="gen.seed").set_value(5)
    at.radio(key="gen.how").set_value("types").run()
    at.multiselect(key="gen.types").select("NOISE_COMPLAINT").run()
    at.button(key="gen.go").click().run()
    assert not at.exception, at.exception
    assert any("3 new draft(s)" in s.value for s in at.success), [e.value for e in at.error]
    drafts = authoring.generated_drafts(actor=world["trainer-a"])
    assert len(drafts) == 3 and {d["call_type"] for d in drafts} <= {
        "NOISE_COMPLAINT",
        "DISTURBANCE",
        "NEIGHBOR_DISPUTE",
        "MEDICAL_EMERGENCY",  # someone collapsed at the party: an emergency, whatever the report
    }
    at.run()
    assert any("The key" in e.label for e in at.expander)
    assert any(t.value for t in at.text)  # the rationale, as plain text
    first = at.selectbox(key="gen.review").value
    # The trainer who generated the drafts may not publish them: a second trainer does.
    assert at.button(key="gen.publish").disabled
    assert any("another trainer" in i.value for i in at.info)
    from tests.services.test_authoring_support import add_user

    reviewer = add_user(world.agencies["a"], "trainer-a2", "trainer")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = reviewer.user_id
    at.run()
    assert at.selectbox(key="gen.review").value == first
    at.button(key="gen.publish").click().run()
    assert any("Approved and published" in s.value for s in at.success)
    second = at.selectbox(key="gen.review").value
    assert second != first
    at.button(key="gen.reject").click().run()
    assert any("Rejected and deleted" in s.value for s in at.success)
    left = authoring.generated_drafts(actor=world["trainer-a"])
    assert [d["version_id"] for d in left] == [
        d["version_id"] for d in drafts if d["version_id"] not in (first, second)
    ]
