"""Stored item statistics (app/services/item_snapshot.py) on SQLite and PostgreSQL.

A small center sees current figures at once; a big one sees the stored figures, told how
many attempts came in since, while a real ``python -m app items refresh`` process works
them in.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core import item_stats as stats_core
from app.errors import AccessDenied
from app.services import authoring, item_snapshot
from app.store.db import read_session
from tests.factories import ROOT
from tests.services.test_authoring_support import BUS_STOP, KNIFE, add_attempt, store, text_of


@pytest.fixture
def two_items(database, world):
    a = world.agencies["a"]
    ids = [store(a, text_of(p)) for p in (KNIFE, BUS_STOP)]
    for version_id in ids:
        add_attempt(world["trainee-a"], version_id, 100)
    return ids


def _attempts_at(agency_id: int, version_id: int) -> int:
    with read_session() as session:
        return item_snapshot.work_out(session, agency_id)[version_id].attempts


def test_a_small_center_sees_every_new_attempt_at_once(two_items, world):
    trainer = world["trainer-a"]
    first = {r["version_id"]: r["attempts"] for r in authoring.item_analysis(actor=trainer)}
    assert first == {two_items[0]: 1, two_items[1]: 1}
    add_attempt(world["trainee-a"], two_items[0], 50)
    again = {r["version_id"]: r["attempts"] for r in authoring.item_analysis(actor=trainer)}
    assert again[two_items[0]] == 2
    status = authoring.item_analysis_status(actor=trainer)
    assert status.fresh and status.attempts == 3 and not status.refreshing


def _keep_refresh_processes(monkeypatch) -> list[subprocess.Popen]:
    """Collect every ``python -m app items refresh`` process started from now on."""
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def popen(command, *args, **kwargs):
        process = real_popen(command, *args, **kwargs)
        if "items" in command and "refresh" in command:
            started.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", popen)
    return started


def test_a_big_center_gets_stored_figures_and_a_background_refresh(two_items, world, monkeypatch):
    monkeypatch.setattr(item_snapshot, "INLINE_LIMIT", 0)
    refreshes = _keep_refresh_processes(monkeypatch)
    trainer, agency = world["trainer-a"], world.agencies["a"]
    assert authoring.item_stats_map(actor=trainer)[two_items[0]].attempts == 1  # first time
    for score in (0, 50, 100):
        add_attempt(world["trainee-a"], two_items[0], score)

    snapshot = item_snapshot.current(agency)
    assert snapshot.stats[two_items[0]].attempts == 1  # the stored figures, at once
    assert not snapshot.fresh and snapshot.new_attempts == 3 and snapshot.refreshing

    [process] = refreshes  # one background process, whose end is waited for (no polling)
    assert process.wait(timeout=90) == 0, "the background refresh failed"
    status = authoring.item_analysis_status(actor=trainer)
    assert status.fresh and status.attempts == 5
    assert not status.refreshing and status.seconds is not None
    assert item_snapshot.current(agency).stats[two_items[0]].attempts == 4
    assert _attempts_at(agency, two_items[0]) == 4


def test_one_refresh_at_a_time_and_a_stuck_claim_expires(two_items, world, monkeypatch):
    agency = world.agencies["a"]
    assert item_snapshot.claim_refresh(agency)
    assert not item_snapshot.claim_refresh(agency)
    monkeypatch.setattr(item_snapshot, "CLAIM_EXPIRES", item_snapshot.dt.timedelta(0))
    assert item_snapshot.claim_refresh(agency)  # the earlier one never finished
    item_snapshot.refresh(agency)  # finishing releases the claim
    monkeypatch.undo()
    assert item_snapshot.claim_refresh(agency)


def test_the_refresh_button_works_them_out_again(two_items, world, monkeypatch):
    monkeypatch.setattr(item_snapshot, "INLINE_LIMIT", 0)
    trainer = world["trainer-a"]
    authoring.item_analysis(actor=trainer)
    add_attempt(world["trainee-a"], two_items[1], 0)
    assert not authoring.item_analysis_status(actor=trainer).fresh
    result = authoring.refresh_item_analysis(actor=trainer)
    assert result.fresh and result.stats[two_items[1]].attempts == 2
    with pytest.raises(AccessDenied):
        authoring.refresh_item_analysis(actor=world["trainee-a"])


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "items", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_refreshes_every_agency_and_rejects_an_unknown_one(two_items, world):
    done = _cli("refresh")
    assert done.returncode == 0, done.stderr
    assert "agency-a: 2 item(s) from 2 attempt(s)" in done.stdout
    assert "agency-b: 0 item(s)" in done.stdout
    wrong = _cli("refresh", "--agency", "nowhere")
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == "error: no agency 'nowhere'"
    assert "Traceback" not in wrong.stderr


codes = st.sampled_from(["police", "ems", "ASSAULT", "WELFARE_CHECK"])
unit = st.one_of(st.none(), st.floats(-1, 1, allow_nan=False))


@given(
    st.lists(
        st.builds(
            stats_core.ItemStats,
            item=st.integers(1, 10**6),
            attempts=st.integers(0, 10**6),
            trainees=st.integers(0, 10**5),
            facility=unit,
            discrimination=unit,
            discrimination_n=st.integers(0, 10**5),
            dubious=st.booleans(),
            wrong_disposition=st.one_of(st.none(), st.tuples(codes, st.integers(1, 99))),
            wrong_call_type=st.one_of(st.none(), st.tuples(codes, st.integers(1, 99))),
            flags=st.lists(st.sampled_from(sorted(stats_core.HINT_TEXT)), unique=True).map(tuple),
        ),
        unique_by=lambda s: s.item,
    )
)
def test_stored_statistics_read_back_unchanged(stats):
    by_item = {s.item: s for s in stats}
    assert item_snapshot.decode(item_snapshot.encode(by_item)) == by_item
