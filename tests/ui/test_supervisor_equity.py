"""Equity audit page (AppTest): the cohort verdict, per-trainee flags and the pairs behind them."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from app.store.db import write_session
from app.store.models import Attempt
from tests.factories import ROOT
from tests.services.test_review import seed_review_data

PAGE = str(ROOT / "app" / "app_pages" / "supervisor_equity.py")


def run(user_id: int) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = user_id
    return at.run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def add_biased_pairs(world, seeded, pairs: int = 12) -> None:
    """Trainee A sends variant b of every twin to police and variant a to responders."""
    with write_session() as session:
        for i in range(pairs):
            for variant, route in (("a", "community_responder"), ("b", "police")):
                when = seeded.now - dt.timedelta(days=1, minutes=i)
                session.add(
                    Attempt(
                        agency_id=world.agencies["a"],
                        user_id=seeded.users["T1"],
                        scenario_version_id=seeded.scenarios["S1-a"],
                        status="submitted",
                        idempotency_key=f"bias-{i}-{variant}",
                        started_at=when,
                        submitted_at=when,
                        score=80,
                        passed=True,
                        unsafe=False,
                        over_routed=route == "police",
                        seconds=40,
                        disposition=route,
                        expert_disposition="community_responder",
                        missed_disqualifiers="",
                        over_disqualifiers="",
                        twin_group=f"bias-{i}",
                        twin_variant=variant,
                    )
                )


def test_small_unbiased_data(sqlite_db, world):
    seed_review_data(world)
    at = run(world["supervisor-a"].user_id)
    assert not at.exception, at.exception
    assert metric(at, "Twin pairs") == "2"
    assert metric(at, "Cohort difference") == "+0 points"
    assert not at.warning
    assert at.dataframe[0].value["Flagged"].tolist() == [False, False]


def test_biased_trainee_is_flagged(sqlite_db, world):
    seeded = seed_review_data(world)
    add_biased_pairs(world, seeded)
    at = run(world["supervisor-a"].user_id)
    assert not at.exception, at.exception
    assert metric(at, "Trainees flagged") == "1 of 1"
    table = at.dataframe[0].value.set_index("Trainee")
    assert table.loc["Trainee A", "Flagged"]
    assert table.loc["Trainee A", "Only b to police"] == 13  # 12 injected + 1 seeded
    at.selectbox(key="equity.trainee").set_value(seeded.users["T1"]).run()
    pairs = at.dataframe[1].value
    assert len(pairs) == 13
    calls = at.dataframe[2].value
    assert len(calls) == 26 and set(calls["twin_variant"]) == {"a", "b"}


def test_no_twins(sqlite_db, world):
    at = run(world["supervisor-a"].user_id)
    assert not at.exception
    assert any("twin" in i.value for i in at.info)


def test_other_agency(sqlite_db, world):
    seeded = seed_review_data(world)
    add_biased_pairs(world, seeded)
    at = run(world["supervisor-b"].user_id)
    assert not at.exception
    assert "Trainee A" not in at.dataframe[0].value["Trainee"].tolist()
