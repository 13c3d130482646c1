"""Cohort page (AppTest): headline numbers, charts, who is stuck, CSV, agency separation."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from app.services.accounts import create_user
from app.store.db import write_session
from app.store.models import Attempt
from tests.factories import PASSWORD, ROOT
from tests.services.test_review import seed_review_data

PAGE = str(ROOT / "app" / "app_pages" / "supervisor_dashboard.py")


FOLDED = ("cohort.stage.open", "cohort.week.open", "cohort.all.open")  # the page's expanders


def run(user_id: int, opened=FOLDED) -> AppTest:
    """The page as ``user_id`` sees it with the ``opened`` expanders open (all by default)."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = user_id
    for key in opened:
        at.session_state[key] = True
    return at.run()


def add_idle_trainee(world, seeded) -> int:
    """A third trainee whose only call was 20 days ago (stuck: inactive)."""
    with write_session() as session:
        user = create_user(
            session=session,
            agency_id=world.agencies["a"],
            username="trainee-idle",
            display_name="Idle Trainee",
            role="trainee",
            password=PASSWORD,
        )
        when = seeded.now - dt.timedelta(days=20)
        session.add(
            Attempt(
                agency_id=world.agencies["a"],
                user_id=user.id,
                scenario_version_id=seeded.scenarios["S1-a"],
                status="submitted",
                idempotency_key="idle-1",
                started_at=when,
                submitted_at=when,
                score=90,
                passed=True,
                unsafe=False,
                over_routed=False,
                seconds=40,
                disposition="community_responder",
                expert_disposition="community_responder",
                missed_disqualifiers="",
                over_disqualifiers="",
            )
        )
        return user.id


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_cohort_page_shows_the_numbers(sqlite_db, world):
    seeded = seed_review_data(world)
    add_idle_trainee(world, seeded)
    at = run(world["supervisor-a"].user_id)
    assert not at.exception, at.exception
    assert metric(at, "Trainees") == "3"
    assert metric(at, "Pass rate") == "60%"  # 6 of 10 calls passed
    assert metric(at, "Stuck") == "1"
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # stages, weekly pass rate
    stuck = at.dataframe[2].value
    assert stuck["Trainee"].tolist() == ["Idle Trainee"]
    assert stuck["Why stuck"].tolist() == ["inactive for 20 days"]
    assert len(at.get("download_button")) >= 4


def test_cohort_page_traces_a_week(sqlite_db, world):
    seed_review_data(world)
    at = run(world["supervisor-a"].user_id)
    weeks = at.selectbox(key="cohort.week")
    assert weeks.options  # newest week first
    behind = at.dataframe[1].value
    assert "Attempt" in behind.columns and len(behind) >= 1
    assert set(behind["Trainee"]) <= {"Trainee A", "Second Trainee"}


def test_cohort_page_stage_drilldown(sqlite_db, world):
    seed_review_data(world)
    at = run(world["supervisor-a"].user_id)
    at.selectbox(key="cohort.stage").set_value("lessons").run()
    assert not at.exception
    assert sorted(at.dataframe[0].value["Trainee"]) == ["Second Trainee", "Trainee A"]


def test_tables_behind_the_numbers_are_drawn_only_when_opened(sqlite_db, world, monkeypatch):
    from app.services import review

    seed_review_data(world)
    asked = []
    real = review.attempts_behind
    monkeypatch.setattr(review, "attempts_behind", lambda **kw: asked.append(kw) or real(**kw))
    at = run(world["supervisor-a"].user_id, opened=())
    assert not at.exception
    assert [e.label for e in at.expander] == [
        "Trainees behind these numbers",
        "Attempts behind this chart",
        "All trainees (2)",
    ]
    assert not at.dataframe  # nobody is stuck in this data, and the rest is folded
    assert asked == [] and not at.get("selectbox")
    at.session_state["cohort.week.open"] = True
    at.run()
    assert len(asked) == 1 and len(at.dataframe) == 1
    assert at.selectbox(key="cohort.week").options


def test_other_agency_sees_only_its_own(sqlite_db, world):
    seed_review_data(world)
    at = run(world["supervisor-b"].user_id)
    assert not at.exception
    assert metric(at, "Trainees") == "1"
    everyone = at.dataframe[-1].value
    assert everyone["Trainee"].tolist() == ["Trainee B"]


def test_empty_agency(sqlite_db, world):
    at = run(world["supervisor-a"].user_id)
    assert not at.exception
    assert metric(at, "Trainees") == "1"  # trainee-a, not started
    assert any("No practice calls" in i.value for i in at.info)


def test_trainee_is_refused(sqlite_db, world):
    at = run(world["trainee-a"].user_id)
    assert any("may not" in e.value for e in at.error)
    assert not at.get("vega_lite_chart")


def test_cohort_page_traces_failed_calls(sqlite_db, world):
    seeded = seed_review_data(world)
    at = run(world["supervisor-a"].user_id)
    at.selectbox(key="cohort.week").set_value("failed").run()
    failed = at.dataframe[1].value
    assert set(failed["Attempt"]) == {seeded.attempts[i] for i in (1, 2, 5, 7)}
    assert set(failed["Passed"]) == {"no"}
    # Protocol labels, not codes (issue 18).
    assert not failed["Route chosen"].str.contains("_").any()
    assert "Police" in set(failed["Route chosen"]) | set(failed["Route in the key"])
