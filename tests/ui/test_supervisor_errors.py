"""Error profile page (AppTest): rates, the three charts and the attempts behind them."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.factories import ROOT
from tests.services.test_review import seed_review_data

PAGE = str(ROOT / "app" / "app_pages" / "supervisor_errors.py")


FOLDED = (
    "errors.dq.open",
    "errors.matrix.open",
    "errors.time.open",
)  # the page's expanders (drawn only when open)


def run(user_id: int, opened=FOLDED) -> AppTest:
    """The page as ``user_id`` sees it with the ``opened`` expanders open (all by default)."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = user_id
    for key in opened:
        at.session_state[key] = True
    return at.run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_error_page_numbers(sqlite_db, world):
    seeded = seed_review_data(world)
    at = run(world["supervisor-a"].user_id)
    assert not at.exception, at.exception
    assert metric(at, "Unsafe dispatches") == "22.2%"  # 2 of 9
    assert metric(at, "Over-routing") == "33.3%"  # 2 of 6
    assert metric(at, "Decided within 60 s") == "56%"  # 5 of 9
    assert metric(at, "90th percentile") == "120 s"
    assert len(at.get("vega_lite_chart")) == 3
    # The first table under the disqualifier chart: calls that missed a weapon.
    missed = at.dataframe[0].value
    assert missed["Attempt"].tolist() == [seeded.attempts[2]]


def test_error_page_drilldowns(sqlite_db, world):
    seeded = seed_review_data(world)
    at = run(world["supervisor-a"].user_id)
    at.radio(key="errors.kind").set_value("Flagged wrongly")
    at.selectbox(key="errors.dq").set_value("threat")
    at.run()
    assert at.dataframe[0].value["Attempt"].tolist() == [seeded.attempts[4]]
    at.radio(key="errors.route.what").set_value("Unsafe dispatches").run()
    unsafe = [t.value for t in at.dataframe if "Attempt" in t.value.columns][1]
    assert unsafe["Attempt"].tolist() == [seeded.attempts[7], seeded.attempts[2]]
    at.radio(key="errors.time.what").set_value("Over 60 s").run()
    slow = [t.value for t in at.dataframe if "Attempt" in t.value.columns][-1]
    assert len(slow) == 4 and (slow["Seconds"] > 60).all()


def test_period_filter(sqlite_db, world):
    seed_review_data(world)
    at = run(world["supervisor-a"].user_id)
    at.button_group[0].set_value("Last 30 days").run()
    assert not at.exception
    # 7 calls in the last 30 days, 2 of them unsafe.
    assert metric(at, "Unsafe dispatches") == "28.6%"


def test_other_agency_numbers_are_separate(sqlite_db, world):
    seed_review_data(world)
    at = run(world["supervisor-b"].user_id)
    assert metric(at, "Unsafe dispatches") == "100.0%"  # b's three unsafe calls only
    assert metric(at, "90th percentile") == "500 s"


def test_no_calls(sqlite_db, world):
    at = run(world["supervisor-a"].user_id)
    assert not at.exception
    assert any("No submitted calls" in i.value for i in at.info)
