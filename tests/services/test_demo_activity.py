"""Demo practice history: real scenarios, real grades, a bias the equity audit finds."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.core import grading
from app.services import review
from app.services.bank import import_paths
from app.services.demo_activity import seed_demo_activity
from app.store.db import read_session
from app.store.models import Attempt, ScenarioVersion
from tests.factories import ROOT


@pytest.fixture
def seeded_demo(sqlite_db, world):
    agency = world.agencies["a"]
    import_paths([str(ROOT / "scenarios")], agency_id=agency)
    added = seed_demo_activity(agency, seed=0)
    return agency, added


def test_a_few_hundred_graded_attempts(seeded_demo):
    agency, added = seeded_demo
    assert 150 <= added <= 600
    assert seed_demo_activity(agency, seed=0) == 0  # idempotent
    with read_session() as session:
        rows = session.exec(
            select(Attempt, ScenarioVersion)
            .join(ScenarioVersion, ScenarioVersion.id == Attempt.scenario_version_id)
            .where(Attempt.agency_id == agency)
        ).all()
    assert len(rows) == added
    for attempt, version in rows[:60]:
        # The stored grade is what the core grader gives for the stored answer.
        # each attempt regrades as stored, under the rules it records
        again = grading.grade(version.data, attempt.answer, attempt.model, rules=attempt.rules)
        assert attempt.grade["rules"] == attempt.rules
        assert again["score"] == attempt.score == attempt.grade["score"]
        assert attempt.passed == again["passed"]
        assert attempt.unsafe == ("unsafe_dispatch" in again["critical"])
        assert attempt.over_routed == ("over_routed" in again["errors"])
        assert attempt.events[-1]["kind"] == "disposition"
        assert attempt.events[-1]["value"] == attempt.answer["disposition"]


def test_dashboards_have_something_to_show(seeded_demo, world):
    sup = world["supervisor-a"]
    overview = review.cohort_overview(actor=sup)
    assert overview.summary["trainees"] >= 6
    reasons = " ".join(overview.trainees["reasons"])
    assert "inactive" in reasons and "missed 'weapon'" in reasons
    rates = review.confusion_matrix(actor=sup).rates
    assert rates["unsafe"] > 0 and rates["over_routed"] > 0
    equity = review.equity_audit(actor=sup)
    flagged = equity.per_trainee[equity.per_trainee["flagged"]]
    assert flagged["name"].tolist() == ["Blake Okafor"]  # the one injected bias
    assert flagged["mean_diff"].item() < 0  # version b sent to police more often


def test_the_demo_history_holds_calls_graded_before_rules_2(seeded_demo):
    """Older demo calls keep their rules-1 grade, so `regrade --dry-run` has work to show."""
    agency, _ = seeded_demo
    with read_session() as session:
        rows = session.exec(select(Attempt).where(Attempt.agency_id == agency)).all()
    rules = {a.rules for a in rows}
    assert rules == {1, 2}
    old = [a for a in rows if a.rules == 1]
    assert all(a.grade["rules"] == 1 for a in old)
    assert max(a.submitted_at for a in old) < min(a.submitted_at for a in rows if a.rules == 2)
