"""Bulk synthetic data: counts, internal consistency and the dashboards on top (both backends)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from app.bench.bulk import build_dataset
from app.bench.dashboards import dashboard_timings
from app.core import analytics as an
from app.errors import NotFound
from app.services import review
from app.services.access import Actor
from app.services.accounts import create_agency
from app.store.db import read_session, write_session


@pytest.fixture
def agency(database):
    with write_session() as session:
        return create_agency(
            session=session, slug="bench", name="Bench", dispatch_model="call_center_led"
        ).id


def _loads(value):
    return json.loads(value) if isinstance(value, str) else value


def test_build_dataset_counts_and_consistency(agency):
    calls = []
    summary = build_dataset(
        agency_id=agency,
        scenarios=120,
        trainees=40,
        attempts=3_000,
        seed=5,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert (summary.scenarios, summary.trainees, summary.attempts) == (120, 40, 3_000)
    assert summary.twin_pairs > 0
    assert calls[-1] == (3_000, 3_000)
    with read_session() as session:
        count = session.execute(
            text("SELECT COUNT(*) FROM attempt WHERE agency_id = :a AND status = 'submitted'"),
            {"a": agency},
        ).scalar_one()
        hashes = session.execute(
            text('SELECT COUNT(DISTINCT password_hash), COUNT(*) FROM "user" WHERE agency_id = :a'),
            {"a": agency},
        ).one()
        rows = session.execute(
            text(
                "SELECT score, passed, unsafe, over_routed, disposition, missed_disqualifiers, "
                "over_disqualifiers, grade, answer, events, twin_group, twin_variant "
                "FROM attempt WHERE agency_id = :a ORDER BY id LIMIT 400"
            ),
            {"a": agency},
        ).all()
    assert count == 3_000
    assert hashes == (1, 41)  # one hash for 40 trainees and the supervisor
    for score, passed, unsafe, over, route, missed, over_dq, grade, answer, events, tg, tv in rows:
        grade, answer, events = _loads(grade), _loads(answer), _loads(events)
        assert grade["score"] == score and grade["passed"] == bool(passed)
        assert ("unsafe_dispatch" in grade["critical"]) == bool(unsafe)
        assert ("over_routed" in grade["errors"]) == bool(over)
        assert bool(passed) == (score >= 80 and not unsafe)
        assert answer["disposition"] == route
        assert events[-1] == {"t": answer["seconds"], "kind": "disposition", "value": route}
        missed_codes = set(an.split_codes(missed))
        assert {e.split(":")[1] for e in grade["errors"] if e.startswith("missed_dis")} == (
            missed_codes
        )
        assert not missed_codes & set(answer["disqualifiers"])
        assert set(an.split_codes(over_dq)) <= set(answer["disqualifiers"])
        assert (tg is None) == (tv is None)


def test_dashboards_run_on_bulk_data(agency):
    summary = build_dataset(agency_id=agency, scenarios=60, trainees=20, attempts=2_000, seed=1)
    sup = Actor(user_id=0, agency_id=agency, role="supervisor")
    overview = review.cohort_overview(actor=sup)
    assert overview.summary["trainees"] == 20 and overview.summary["attempts"] == 2_000
    assert overview.weekly["attempts"].sum() == 2_000
    rates = review.confusion_matrix(actor=sup).rates
    assert rates["attempts"] == 2_000 and 0 < rates["unsafe_rate"] < 0.5
    assert 0 < rates["over_routing_rate"] < 0.5
    assert review.equity_audit(actor=sup).cohort["pairs"] == summary.twin_pairs
    timings = dashboard_timings(agency)
    assert set(timings) >= {"cohort_overview", "equity_audit", "attempt_replay"}


def test_bulk_load_leaves_the_rollups_counted_and_kept(agency):
    from tests.store.test_rollups import _recounted, _snapshot

    build_dataset(agency_id=agency, scenarios=20, trainees=6, attempts=500, seed=3)
    counted = _snapshot()
    assert counted == _recounted()
    assert sum(int(row[2]) for row in counted["traineerollup"]) == 500  # attempts column
    with write_session() as session:  # the triggers are back: one more row is counted
        session.execute(
            text(
                "UPDATE attempt SET passed = NOT passed WHERE id = "
                "(SELECT MIN(id) FROM attempt WHERE agency_id = :a)"
            ),
            {"a": agency},
        )
    assert _snapshot() != counted and _snapshot() == _recounted()


def test_same_seed_same_numbers_and_runs_twice(agency):
    first = build_dataset(agency_id=agency, scenarios=30, trainees=5, attempts=300, seed=9)
    second = build_dataset(agency_id=agency, scenarios=30, trainees=5, attempts=300, seed=9)
    assert first.twin_pairs == second.twin_pairs
    with read_session() as session:
        scores = (
            session.execute(
                text("SELECT score FROM attempt WHERE agency_id = :a ORDER BY id"), {"a": agency}
            )
            .scalars()
            .all()
        )
    assert scores[:300] == scores[300:]


def test_unknown_agency(database):
    with pytest.raises(NotFound):
        build_dataset(agency_id=999, scenarios=2, trainees=1, attempts=1)
