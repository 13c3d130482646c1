"""Adaptive choice of the next practice call (pure), plus the service's scope rules."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import adaptive
from app.core.adaptive import Candidate, Profile, build_profile, choose, weight
from app.core.protocol import DISQUALIFIERS

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _c(i, call_type="TRESPASS", dq=(), seen=None, times=0):
    return Candidate(
        id=i,
        key=f"s{i}",
        call_type=call_type,
        disqualifiers=tuple(dq),
        last_seen=seen,
        times_seen=times,
    )


def test_empty_bank_gives_none():
    assert choose([], Profile()) is None


def test_unseen_always_wins_over_seen():
    pool = [_c(1, seen=T0, times=3), _c(2), _c(3, seen=T0, times=1)]
    assert {choose(pool, Profile(), random.Random(s)).id for s in range(50)} == {2}


def test_when_all_seen_the_least_recent_few_compete():
    pool = [
        _c(i, seen=T0 + dt.timedelta(days=i), times=1) for i in range(1, adaptive.STALE_POOL + 4)
    ]
    picked = {choose(pool, Profile(), random.Random(s)).id for s in range(200)}
    assert picked <= set(range(1, adaptive.STALE_POOL + 1))


def test_weak_disqualifier_pulls_its_calls_up():
    profile = build_profile(
        [
            {
                "call_type": "DISTURBANCE",
                "disqualifiers": ["weapon"],
                "missed": ["weapon"],
                "passed": False,
            }
        ]
        * 4
        + [{"call_type": "TRESPASS", "disqualifiers": [], "missed": [], "passed": True}] * 4
    )
    weapon_call, plain_call = _c(1, "DISTURBANCE", ["weapon"]), _c(2, "TRESPASS")
    assert weight(weapon_call, profile) > 4 * weight(plain_call, profile)
    counts = Counter(
        choose([weapon_call, plain_call], profile, random.Random(s)).id for s in range(400)
    )
    assert counts[1] > 3 * counts[2]
    assert adaptive.weakest(profile) == {"call_types": ["DISTURBANCE"], "disqualifiers": ["weapon"]}


def test_over_disqualifying_pulls_clean_calls_up():
    profile = build_profile(
        [{"call_type": "TRESPASS", "disqualifiers": [], "over": ["police_only"], "passed": False}]
        * 5
    )
    assert weight(_c(1, "NOISE_COMPLAINT"), profile) > weight(
        _c(2, "NOISE_COMPLAINT", ["weapon"]), profile
    )


def test_little_evidence_counts_for_little():
    one_miss = build_profile(
        [{"call_type": "X", "disqualifiers": ["threat"], "missed": ["threat"], "passed": False}]
    )
    assert one_miss.disqualifier_rate("threat") == pytest.approx(1 / adaptive.MIN_EVIDENCE)


candidates = st.lists(
    st.builds(
        Candidate,
        id=st.integers(1, 10_000),
        key=st.text("abc", min_size=1, max_size=3),
        call_type=st.sampled_from(["TRESPASS", "DISTURBANCE", "WELFARE_CHECK"]),
        disqualifiers=st.lists(st.sampled_from(DISQUALIFIERS), unique=True, max_size=2).map(tuple),
        difficulty=st.integers(1, 5),
        last_seen=st.none() | st.datetimes(timezones=st.just(dt.UTC)),
        times_seen=st.integers(0, 5),
    ),
    max_size=15,
    unique_by=lambda c: c.id,
)
histories = st.lists(
    st.fixed_dictionaries(
        {
            "call_type": st.sampled_from(["TRESPASS", "DISTURBANCE"]),
            "disqualifiers": st.lists(st.sampled_from(DISQUALIFIERS), unique=True),
            "missed": st.lists(st.sampled_from(DISQUALIFIERS), unique=True),
            "over": st.lists(st.sampled_from(DISQUALIFIERS), unique=True),
            "passed": st.booleans(),
        }
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(candidates, histories, st.integers(0, 2**32 - 1))
def test_choice_is_a_candidate_unseen_first_and_deterministic(pool, history, seed):
    profile = build_profile(history)
    chosen = choose(pool, profile, random.Random(seed))
    if not pool:
        assert chosen is None
        return
    assert chosen in pool
    if adaptive.unseen(pool):
        assert chosen.times_seen == 0 and chosen.last_seen is None
    # The same seed gives the same call whatever order the candidates come in.
    again = choose(list(reversed(pool)), profile, random.Random(seed))
    assert again == chosen
    assert all(weight(c, profile) > 0 for c in pool)


# ------------------------------------------------------------------ the service keeps to its scope


@pytest.fixture
def mixed_bank(sqlite_db, world):
    from tests.services.test_practice_support import KNIFE_TEXT, SLEEPER_TEXT, store

    a, b = world.agencies["a"], world.agencies["b"]
    allowed = {store(a, KNIFE_TEXT), store(a, SLEEPER_TEXT)}
    for index in range(3):
        store(a, KNIFE_TEXT, status="draft", key=f"draft-{index}")
        store(a, SLEEPER_TEXT, status="retired", key=f"retired-{index}")
        store(b, KNIFE_TEXT, key=f"other-agency-{index}")
    return allowed


# The fixture is only read (no attempts are made), so sharing it between examples is safe.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_service_never_picks_another_agencys_or_unpublished_call(mixed_bank, world, seed):
    from app.services import practice

    chosen = practice.next_scenario(
        actor=world["trainee-a"], mode="standard", rng=random.Random(seed)
    )
    assert chosen in mixed_bank
