"""The bench's dashboard timings (app/bench/dashboards.py) on the review data set."""

from __future__ import annotations

import pytest

from app.bench.dashboards import dashboard_timings
from tests.services.test_review import seed_review_data


@pytest.fixture
def seeded(database, world):
    return seed_review_data(world)


def test_dashboard_timings(seeded, world):
    timings = dashboard_timings(world.agencies["a"])
    assert {"cohort_overview", "error_profile", "confusion_matrix", "timing", "equity_audit",
            "trainee_detail", "attempt_replay"} <= set(timings)  # fmt: skip
    assert all(0 <= s < 5 for s in timings.values())
