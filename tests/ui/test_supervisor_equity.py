"""Equity audit page (AppTest): the cohort verdict, per-trainee flags and the pairs behind them."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from app.store.db import write_session
from app.store.models import Attempt
from tests.factories import ROOT
from tests.services.test_review import seed_review_data

PAGE = str(ROOT / "app" / "app_pages" / "supervisor_equity.py")


FOLDED = ("equity.behind.open",)  # the page's expanders (drawn only when open)


def run(user_id: int, opened=FOLDED) -> AppTest:
    """The page as ``user_id`` sees it with the ``opened`` expanders open (all by default)."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = user_id
    for key in opened:
        at.session_state[key] = True
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
    assert metric(at, "Twin pairs taken") == "2"
    assert metric(at, "Police: version a minus b") == "+0 points"
    # Below the minimums: one verdict saying so, no green all-clear, no flag.
    assert not at.warning and not at.success
    assert [i.value.startswith("**Not enough twin calls yet to judge.**") for i in at.info] == [
        True
    ]
    twins = at.dataframe[0].value
    assert "What differs between version a and version b" in twins.columns
    people = at.dataframe[1].value
    assert people["Flag"].tolist() == ["Too few pairs to judge (needs 10)"] * 2


def test_biased_trainee_is_flagged_and_the_verdict_agrees(sqlite_db, world):
    seeded = seed_review_data(world)
    add_biased_pairs(world, seeded)
    at = run(world["supervisor-a"].user_id)
    assert not at.exception, at.exception
    assert metric(at, "Trainees flagged") == "1 of 1"
    assert not at.success  # never an all-clear above a flagged trainee
    assert at.warning[0].value.startswith("**Police routing differs between twin versions.")
    assert "Trainee A sent version b to police" in at.warning[0].value
    table = at.dataframe[1].value.set_index("Trainee")
    assert table.loc["Trainee A", "Flag"] == "Flagged: listen to the calls"
    assert table.loc["Trainee A", "Only b to police (pairs)"] == 13
    assert table.loc["Trainee A", "Could this be chance?"].startswith("very unlikely")
    at.selectbox(key="equity.trainee").set_value(seeded.users["T1"]).run()
    pairs = at.dataframe[2].value
    assert len(pairs) == 13
    calls = at.dataframe[3].value
    assert len(calls) == 26 and set(calls["twin_variant"]) == {"a", "b"}


def test_main_text_has_no_jargon_and_plain_column_names(sqlite_db, world):
    seeded = seed_review_data(world)
    add_biased_pairs(world, seeded)
    at = run(world["supervisor-a"].user_id)
    main = " ".join(
        [m.value for m in at.markdown if "How the numbers" not in m.value]
        + [c.value for c in at.caption]
        + [w.value for w in at.warning]
        + [m.label for m in at.metric]
    ).lower()
    for word in ("cluster-robust", "sign test", "twin_group", "over_routed", "p_value"):
        assert word not in main
    for frame in at.dataframe[:2]:
        assert not [c for c in frame.value.columns if "_" in c]


def test_no_twins(sqlite_db, world):
    at = run(world["supervisor-a"].user_id)
    assert not at.exception
    assert any("twin" in i.value for i in at.info)


def test_other_agency(sqlite_db, world):
    seeded = seed_review_data(world)
    add_biased_pairs(world, seeded)
    at = run(world["supervisor-b"].user_id)
    assert not at.exception
    for frame in at.dataframe:
        assert "Trainee A" not in frame.value.to_string()
