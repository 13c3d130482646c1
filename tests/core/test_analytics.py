"""Supervisor analytics checked against values worked out by hand on small tables."""

from __future__ import annotations

import datetime as dt
import math
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from app.core import analytics as an

NOW = dt.datetime(2026, 3, 2, 12, 0)


# --- weekly trend --------------------------------------------------------------------------


def test_weekly_trend_by_hand():
    # 2026-01-05 is a Monday. Weeks: 01-05 (10 attempts, 5 passed), 01-12 (4, 3),
    # 01-26 (5, 5); the week of 01-19 has nothing and is left out of the fit.
    daily = pd.DataFrame(
        {
            "day": ["2026-01-05", "2026-01-07", "2026-01-12", "2026-01-26"],
            "attempts": [4, 6, 4, 5],
            "passes": [2, 3, 3, 5],
        }
    )
    weekly = an.weekly_trend(daily)
    assert [str(w) for w in weekly["week"]] == ["2026-01-05", "2026-01-12", "2026-01-26"]
    assert weekly["attempts"].tolist() == [10, 4, 5]
    assert weekly["pass_rate"].tolist() == [0.5, 0.75, 1.0]
    # x = 0, 1, 3; y = .5, .75, 1: slope = 0.75 / (14/3) = 9/56, intercept = 0.75 - 9/56 * 4/3
    slope, intercept = 9 / 56, 0.75 - 9 / 56 * 4 / 3
    expected = [intercept, intercept + slope, intercept + 3 * slope]
    assert weekly["trend"].tolist() == pytest.approx(expected)


def test_weekly_trend_empty_and_single_week():
    assert an.weekly_trend(pd.DataFrame(columns=["day", "attempts", "passes"])).empty
    one = an.weekly_trend(pd.DataFrame({"day": ["2026-01-06"], "attempts": [4], "passes": [1]}))
    assert one["trend"].tolist() == [0.25]


# --- trainees: stage, readiness, stuck -----------------------------------------------------


def _row(**kw) -> dict:
    base = {
        "attempts": 0,
        "passes": 0,
        "recent_attempts": 0,
        "recent_passes": 0,
        "last_at": NOW - dt.timedelta(days=1),
        "stage": "practice",
    }
    base.update(kw)
    return base


def test_stuck_not_improving():
    # 12 attempts: last 30 days 1 of 6 passed (17 %), before 2 of 6 (33 %).
    row = _row(attempts=12, passes=3, recent_attempts=6, recent_passes=1)
    assert an.stuck_reasons(row, now=NOW) == [
        "not improving: passed 1 of 6 in the last 30 days (17% now vs 33% before)"
    ]


def test_low_but_improving_is_not_stuck():
    # Recent 2 of 6 (33 %) after 0 of 6 before: a gain of 33 points.
    row = _row(attempts=12, passes=2, recent_attempts=6, recent_passes=2)
    assert an.stuck_reasons(row, now=NOW) == []


def test_too_few_attempts_to_judge():
    row = _row(attempts=9, passes=0, recent_attempts=9, recent_passes=0)
    assert an.stuck_reasons(row, now=NOW) == []


def test_inactive_and_repeated_misses():
    row = _row(attempts=4, passes=4, last_at=NOW - dt.timedelta(days=15, hours=1))
    row["missed_weapon"] = 3
    row["missed_threat"] = 2
    assert an.stuck_reasons(row, now=NOW) == [
        "inactive for 15 days",
        "missed 'weapon' 3 times in the last 30 days",
    ]
    row["last_at"] = NOW - dt.timedelta(days=13)
    assert an.stuck_reasons(row, now=NOW) == ["missed 'weapon' 3 times in the last 30 days"]


def test_certified_is_never_stuck():
    row = _row(attempts=40, passes=0, recent_attempts=20, recent_passes=0, stage="certified")
    row["last_at"] = NOW - dt.timedelta(days=90)
    assert an.stuck_reasons(row, now=NOW) == []


def test_stuck_accepts_timezone_aware_now():
    row = _row(last_at=NOW - dt.timedelta(days=20))
    aware = NOW.replace(tzinfo=dt.UTC)
    assert an.stuck_reasons(row, now=aware) == ["inactive for 20 days"]


@pytest.mark.parametrize(
    ("modules", "exam", "cert", "attempts", "stage"),
    [
        (0, False, False, 0, "not started"),
        (0, False, False, 3, "lessons"),
        (5, False, False, 0, "lessons"),
        (11, False, False, 0, "practice"),
        (11, True, False, 30, "exam passed"),
        (2, True, True, 30, "certified"),
    ],
)
def test_stage_of(modules, exam, cert, attempts, stage):
    got = an.stage_of(modules_passed=modules, exam_passed=exam, certified=cert, attempts=attempts)
    assert got == stage


def test_trainee_table_and_cohort_summary_by_hand():
    trainees = pd.DataFrame({"user_id": [1, 2, 3], "name": ["Ann", "Bo", "Cy"]})
    stats = pd.DataFrame(
        {
            "user_id": [1, 2],
            "attempts": [10, 20],
            "passes": [5, 16],
            "score_sum": [700, 1700],
            "unsafe": [1, 0],
            "over_routed": [2, 1],
            "last_at": ["2026-03-01 10:00:00", "2026-02-10 09:00:00"],
            "recent_attempts": [4, 0],
            "recent_passes": [2, 0],
            "missed_weapon": [3, 0],
        }
    )
    lessons = pd.DataFrame({"user_id": [1, 2], "modules_passed": [11, 5]})
    milestones = pd.DataFrame(
        {"user_id": [1, 2, 3], "exam_passed": [True, False, False], "certified": [False] * 3}
    )
    table = an.trainee_table(trainees, stats, lessons=lessons, milestones=milestones, now=NOW)
    by_name = table.set_index("name")
    assert by_name.loc["Ann", "pass_rate"] == 0.5
    assert by_name.loc["Ann", "avg_score"] == 70
    assert by_name.loc["Ann", "stage"] == "exam passed"
    # readiness = (11/11 + min(1, 5/20)) / 2 = 0.625; Bo: (5/11 + 16/20) / 2
    assert by_name.loc["Ann", "readiness"] == pytest.approx(0.625)
    assert by_name.loc["Bo", "readiness"] == pytest.approx((5 / 11 + 0.8) / 2)
    assert by_name.loc["Cy", "readiness"] == 0
    assert by_name.loc["Cy", "stage"] == "not started"
    assert pd.isna(by_name.loc["Cy", "pass_rate"])
    assert by_name.loc["Ann", "reasons"] == "missed 'weapon' 3 times in the last 30 days"
    assert by_name.loc["Bo", "reasons"] == "inactive for 20 days"
    assert by_name.loc["Bo", "days_inactive"] == 20
    assert not by_name.loc["Cy", "stuck"]
    # Stuck trainees first.
    assert table["stuck"].tolist() == [True, True, False]

    summary = an.cohort_summary(table, now=NOW)
    assert summary["trainees"] == 3
    assert summary["attempts"] == 30
    assert summary["pass_rate"] == pytest.approx(21 / 30)
    assert summary["active"] == 1  # only Ann within 14 days
    assert summary["stuck"] == 2
    assert summary["stages"] == {
        "not started": 1,
        "lessons": 1,
        "practice": 0,
        "exam passed": 1,
        "certified": 0,
    }


# --- errors and routes ---------------------------------------------------------------------


def test_error_profile_by_hand():
    combos = pd.DataFrame(
        {
            "missed": ["weapon", "", "weapon,medical", None],
            "over": ["", "threat", "police_only", None],
            "n": [2, 1, 1, 6],
        }
    )
    presence = pd.DataFrame({"disqualifiers": ["weapon", "medical,weapon", ""], "n": [4, 2, 4]})
    profile = an.error_profile(combos, presence).set_index("disqualifier")
    assert profile.loc["weapon"].to_dict() == {
        "present": 6,
        "absent": 4,
        "missed": 3,
        "over_flagged": 0,
        "missed_rate": 0.5,
        "over_rate": 0.0,
    }
    assert profile.loc["medical", "missed_rate"] == 0.5
    assert profile.loc["threat", "over_flagged"] == 1
    assert profile.loc["threat", "over_rate"] == 0.1
    assert pd.isna(profile.loc["threat", "missed_rate"])  # no call had a threat
    assert profile.loc["police_only", "over_rate"] == 0.1


def test_confusion_matrix_and_rates_by_hand():
    cells = pd.DataFrame(
        {
            "expert": ["community_responder", "community_responder", "police", "police"],
            "chosen": ["community_responder", "police", "police", "community_responder"],
            "n": [6, 2, 3, 1],
            "unsafe": [0, 0, 0, 1],
            "over_routed": [0, 2, 0, 0],
        }
    )
    matrix = an.confusion_matrix(cells)
    assert list(zip(matrix["expert"], matrix["chosen"], matrix["n"], strict=True)) == [
        ("community_responder", "community_responder", 6),
        ("community_responder", "police", 2),
        ("police", "community_responder", 1),
        ("police", "police", 3),
    ]
    assert matrix["row_share"].tolist() == [0.75, 0.25, 0.25, 0.75]
    assert matrix["agrees"].tolist() == [True, False, False, True]
    rates = an.routing_rates(cells)
    assert rates["attempts"] == 12
    assert rates["unsafe_rate"] == pytest.approx(1 / 12)
    assert rates["over_routing_base"] == 8
    assert rates["over_routing_rate"] == 0.25
    assert rates["police_sent_when_not_needed"] == 2


def test_confusion_matrix_fills_missing_cells():
    cells = pd.DataFrame({"expert": ["ems"], "chosen": ["police"], "n": [4]})
    matrix = an.confusion_matrix(cells)
    assert len(matrix) == 4  # police and ems on both axes
    assert matrix.loc[(matrix.expert == "ems") & (matrix.chosen == "ems"), "n"].item() == 0
    no_row = matrix.loc[(matrix.expert == "police") & (matrix.chosen == "ems"), "row_share"]
    assert pd.isna(no_row.item())  # no call had police as the expert route


# --- time to decision ----------------------------------------------------------------------


def test_timing_by_hand():
    seconds = [30, 45, 60, 61, 90, 20, 50, 59, 75, 40]
    summary = an.timing_summary(seconds)
    # Within 60 s (60 counts): 30, 45, 60, 20, 50, 59, 40 -> 7 of 10.
    assert summary["within"] == 7
    assert summary["share_within"] == 0.7
    # Nearest rank: ceil(0.9 * 10) = 9th of 20 30 40 45 50 59 60 61 75 90 -> 75.
    assert summary["p90"] == 75
    assert summary["meets_target"] is False
    fast = an.timing_summary([10] * 18 + [100, 200])
    assert fast["share_within"] == 0.9 and fast["meets_target"] is True and fast["p90"] == 10


def test_nearest_rank_avoids_float_error():
    assert an.nearest_rank(10, 0.9) == 9
    assert an.nearest_rank(100, 0.9) == 90  # 0.9 * 100 is 90.00000000000001 in floats
    assert an.nearest_rank(11, 0.9) == 10
    assert an.nearest_rank(1, 0.9) == 1
    with pytest.raises(ValueError):
        an.nearest_rank(0, 0.9)


def test_timing_histogram_bins():
    hist = an.timing_histogram([0, 4.9, 5, 12, 12.5, None], width=5)
    assert hist.to_dict("list") == {"start": [0, 5, 10], "n": [2, 1, 2]}


@given(st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), min_size=1, max_size=60))
def test_p90_is_the_nearest_rank_percentile(values):
    p90 = an.timing_summary(values)["p90"]
    n = len(values)
    assert sum(v <= p90 for v in values) >= 0.9 * n - 1e-9
    assert sum(v < p90 for v in values) < 0.9 * n


# --- equity --------------------------------------------------------------------------------


def test_twin_pairs_by_hand():
    cells = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 1, 2, 2],
            "twin_group": ["g1", "g1", "g2", "g2", "g3", "g1", "g1"],
            "twin_variant": ["a", "b", "a", "b", "a", "a", "b"],
            "attempts": [1, 1, 2, 1, 1, 1, 1],
            "police": [1, 0, 1, 1, 0, 0, 0],
        }
    )
    pairs = an.twin_pairs(cells)
    assert pairs.to_dict("records") == [
        {"user_id": 1, "twin_group": "g1", "police_a": 1.0, "police_b": 0.0, "diff": 1.0},
        {"user_id": 1, "twin_group": "g2", "police_a": 0.5, "police_b": 1.0, "diff": -0.5},
        {"user_id": 2, "twin_group": "g1", "police_a": 0.0, "police_b": 0.0, "diff": 0.0},
    ]


_cell = st.tuples(
    st.integers(1, 4),  # trainee
    st.sampled_from(["g1", "g2", "g3"]),
    st.sampled_from(["a", "b", "c"]),  # "c" is no variant of a pair: never counted
    st.integers(0, 3),  # attempts
    st.integers(0, 3),  # of which sent to police (capped at attempts below)
)


@given(st.lists(_cell, max_size=40))
def test_twin_pairs_are_the_police_shares_of_both_variants(raw):
    """For any cells, by hand: a pair for each trainee and group with both variants taken,
    each variant's share of its attempts sent to police; the counts the audit's SQL sums
    give the same pairs."""
    rows = [(u, g, v, n, min(p, n)) for u, g, v, n, p in raw]
    cells = pd.DataFrame(
        rows, columns=["user_id", "twin_group", "twin_variant", "attempts", "police"]
    )
    totals: dict[tuple, list[int]] = {}
    for u, g, v, n, p in rows:
        if v in ("a", "b"):
            total = totals.setdefault((u, g), [0, 0, 0, 0])
            side = 0 if v == "a" else 2
            total[side] += n
            total[side + 1] += p
    expected = [
        {
            "user_id": u,
            "twin_group": g,
            "police_a": pa / na,
            "police_b": pb / nb,
            "diff": pa / na - pb / nb,
        }
        for (u, g), (na, pa, nb, pb) in sorted(totals.items())
        if na and nb
    ]
    assert an.twin_pairs(cells).to_dict("records") == expected
    counts = pd.DataFrame(
        [(u, g, *total) for (u, g), total in sorted(totals.items())], columns=an.COUNT_COLUMNS
    )
    assert an.pairs_from_counts(counts).to_dict("records") == expected


def test_paired_ci_by_hand():
    diffs = [1.0, -0.5, 0.0]
    ci = an.paired_ci(diffs)
    # mean 1/6; sample variance 7/12; se = sqrt(7/36); t(2) = 4.30265 (tables)
    se = math.sqrt(7 / 36)
    assert ci.mean == pytest.approx(1 / 6)
    assert ci.se == pytest.approx(se)
    assert ci.low == pytest.approx(1 / 6 - 4.30265 * se, abs=1e-5)
    assert ci.high == pytest.approx(1 / 6 + 4.30265 * se, abs=1e-5)
    assert not ci.excludes_zero
    # Clusters {1: [1, -0.5], 2: [0]}: residual sums 1/6 and -1/6;
    # se = sqrt(2/1 * (1/36 + 1/36)) / 3 = 1/9; t(1) = tan(0.475 pi) = 12.7062.
    robust = an.paired_ci(diffs, clusters=[1, 1, 2])
    assert robust.se == pytest.approx(1 / 9)
    assert robust.low == pytest.approx(1 / 6 - math.tan(0.475 * math.pi) / 9)


def test_paired_ci_edge_cases():
    assert an.paired_ci([]).mean is None
    one = an.paired_ci([1.0])
    assert one.mean == 1.0 and one.low is None and not one.excludes_zero
    assert an.paired_ci([1.0, 0.0], clusters=["x", "x"]).low is None


def test_sign_test_by_hand():
    assert an.sign_test_p(0, 0) == 1.0
    assert an.sign_test_p(1, 1) == 1.0
    assert an.sign_test_p(5, 0) == pytest.approx(2 / 32)
    assert an.sign_test_p(0, 6) == pytest.approx(2 / 64)
    assert an.sign_test_p(8, 2) == pytest.approx(2 * (1 + 10 + 45) / 1024)


@given(st.integers(0, 40), st.integers(0, 40))
def test_sign_test_is_symmetric_and_a_probability(a, b):
    p = an.sign_test_p(a, b)
    assert p == an.sign_test_p(b, a)
    assert 0 < p <= 1


@given(st.lists(st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]), min_size=2, max_size=40))
def test_paired_ci_contains_mean_and_flips_with_sign(diffs):
    ci = an.paired_ci(diffs)
    assert ci.low <= ci.mean <= ci.high
    flipped = an.paired_ci([-d for d in diffs])
    assert flipped.low == pytest.approx(-ci.high)
    assert flipped.high == pytest.approx(-ci.low)


def _pairs(user_id: int, values: list[float]) -> list[dict]:
    return [
        {"user_id": user_id, "twin_group": f"g{i}", "police_a": 0.0, "police_b": 0.0, "diff": d}
        for i, d in enumerate(values)
    ]


def test_equity_flags_by_hand():
    # Trainee 1: 10 pairs, variant b alone went to police in 6 -> mean -0.6,
    # sd = sqrt(2.4/9), t(9) = 2.26216: CI about [-0.969, -0.231]; sign test p = 2/64.
    # Trainee 2: the same with 9 pairs -> below the minimum of 10, not flagged.
    # Trainee 3: 5 pairs all +1 -> zero-width CI [1, 1] but sign test p = 1/16: not flagged.
    rows = (
        _pairs(1, [-1.0] * 6 + [0.0] * 4) + _pairs(2, [-1.0] * 6 + [0.0] * 3) + _pairs(3, [1.0] * 5)
    )
    audit = an.equity_audit(pd.DataFrame(rows), min_pairs=5)
    table = audit.per_trainee.set_index("user_id")
    half = 2.26216 * math.sqrt(2.4 / 9) / math.sqrt(10)
    assert table.loc[1, "mean_diff"] == pytest.approx(-0.6)
    assert table.loc[1, "low"] == pytest.approx(-0.6 - half, abs=1e-5)
    assert table.loc[1, "high"] == pytest.approx(-0.6 + half, abs=1e-5)
    assert table.loc[1, "b_only"] == 6 and table.loc[1, "a_only"] == 0
    assert table.loc[1, "p_value"] == pytest.approx(2 / 64)
    assert table.loc[1, "flagged"]
    assert table.loc[2, "flagged"]  # 9 pairs >= min_pairs=5
    assert not table.loc[3, "flagged"]  # interval [1, 1] but p = 0.0625
    strict = an.equity_audit(pd.DataFrame(rows), min_pairs=10).per_trainee.set_index("user_id")
    assert strict.loc[1, "flagged"] and not strict.loc[2, "flagged"]


def test_equity_vectorised_interval_matches_paired_ci():
    rng = random.Random(3)
    rows = []
    for user in range(5):
        rows += _pairs(user, [rng.choice([-1.0, 0.0, 0.0, 1.0]) for _ in range(rng.randint(2, 15))])
    frame = pd.DataFrame(rows)
    table = an.equity_audit(frame).per_trainee.set_index("user_id")
    for user, group in frame.groupby("user_id"):
        ci = an.paired_ci(group["diff"].tolist())  # the table cuts intervals to [-1, 1]
        assert table.loc[user, "low"] == pytest.approx(max(-1.0, ci.low))
        assert table.loc[user, "high"] == pytest.approx(min(1.0, ci.high))
    cohort = an.equity_audit(frame).cohort
    robust = an.paired_ci(frame["diff"].tolist(), frame["user_id"].tolist())
    assert cohort["low"] == pytest.approx(max(-1.0, robust.low)) and cohort["pairs"] == len(frame)


def test_intervals_are_cut_to_the_possible_range():
    # Two pairs, +1 and 0: the t interval 0.5 +- 12.706 * 0.5 reaches far past +-1.
    table = an.equity_audit(pd.DataFrame(_pairs(1, [1.0, 0.0]))).per_trainee
    assert (table.loc[0, "low"], table.loc[0, "high"]) == (-1.0, 1.0)


def test_equity_empty():
    audit = an.equity_audit(pd.DataFrame(columns=["user_id", "twin_group", "diff"]))
    assert audit.per_trainee.empty
    assert audit.cohort["pairs"] == 0 and not audit.cohort["flagged"]


# --- equity: exact t quantiles, the sign test and minimums -----------------------------------


def test_t_critical_values_are_exact_at_any_degrees_of_freedom():
    # Closed forms: t(1) = tan(0.475 pi); t(2) = 0.95 * sqrt(2 / (4 * 0.975 * 0.025)).
    assert an.t_critical95(1) == pytest.approx(math.tan(0.475 * math.pi), abs=1e-9)
    assert an.t_critical95(2) == pytest.approx(0.95 * math.sqrt(2 / 0.0975), abs=1e-9)
    # Printed tables (4 decimals): above 30 degrees of freedom it is not the normal 1.96.
    assert an.t_critical95(31) == pytest.approx(2.0395, abs=1e-4)
    assert an.t_critical95(60) == pytest.approx(2.0003, abs=1e-4)
    assert an.t_critical95(120) == pytest.approx(1.9799, abs=1e-4)
    assert an.t_critical95(0) == math.inf


@given(st.integers(1, 100_000))
def test_t_critical_values_fall_towards_but_stay_above_the_normal_value(df):
    assert an.t_critical95(df) > an.t_critical95(df + 1) > 1.959963984540054


def _one_pair_each(diffs: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"user_id": u, "twin_group": "g", "police_a": 0.0, "police_b": 0.0, "diff": d}
            for u, d in enumerate(diffs)
        ]
    )


def test_32_trainees_with_one_pair_each_are_not_flagged():
    # Six pairs +1, one -1, 25 zero: mean 5/32; residual sum of squares
    # 6 (27/32)^2 + (37/32)^2 + 25 (5/32)^2 = 6368/1024; se = sqrt(32/31 * 6368/1024) / 32
    # = 0.07918; t(31) = 2.0395 gives [-0.0052, +0.3177], which includes zero.
    diffs = [1.0] * 6 + [-1.0] + [0.0] * 25
    cohort = an.equity_audit(_one_pair_each(diffs)).cohort
    se = math.sqrt(32 / 31 * 6368 / 1024) / 32
    assert (cohort["pairs"], cohort["trainees"]) == (32, 32) and cohort["judged"]
    assert cohort["mean_diff"] == pytest.approx(5 / 32)
    assert cohort["low"] == pytest.approx(-0.005, abs=5e-4)
    assert cohort["high"] == pytest.approx(0.318, abs=5e-4)
    assert not cohort["flagged"]
    # The normal value would have excluded zero and raised the flag.
    assert 5 / 32 - 1.96 * se > 0
    # One pair per trainee: the cluster-robust interval is the ordinary t interval.
    low, high = scipy_stats.t.interval(0.95, 31, loc=5 / 32, scale=scipy_stats.sem(diffs))
    assert cohort["low"] == pytest.approx(low, abs=1e-9)
    assert cohort["high"] == pytest.approx(high, abs=1e-9)


def _trainees(count: int, values: list[float]) -> pd.DataFrame:
    rows = []
    for user in range(count):
        rows += _pairs(user, values)
    return pd.DataFrame(rows)


def test_cohort_flag_needs_enough_trainees_and_pairs():
    # Every trainee sent variant b to police in 2 of 3 pairs: a clear difference.
    values = [-1.0, -1.0, 0.0]
    few_trainees = an.equity_audit(_trainees(an.MIN_TRAINEES_FOR_EQUITY_FLAG - 1, values)).cohort
    assert few_trainees["pairs"] >= an.MIN_PAIRS_FOR_COHORT_FLAG - 3
    assert few_trainees["high"] < 0  # the interval excludes zero ...
    assert not few_trainees["judged"] and not few_trainees["flagged"]  # ... but too few
    enough = an.equity_audit(_trainees(an.MIN_TRAINEES_FOR_EQUITY_FLAG + 1, values)).cohort
    assert enough["pairs"] >= an.MIN_PAIRS_FOR_COHORT_FLAG
    assert enough["judged"] and enough["flagged"]
    # Enough trainees but too few pairs: 12 trainees with two pairs each (24 < 30).
    short = an.equity_audit(_trainees(12, [-1.0, 0.0])).cohort
    assert short["high"] < 0 and not short["flagged"]
    assert an.equity_audit(_trainees(15, [-1.0, 0.0])).cohort["flagged"]  # 30 pairs


def test_trainee_flag_needs_the_minimum_of_pairs():
    below = [-1.0] * (an.MIN_PAIRS_FOR_EQUITY_FLAG - 2) + [0.0]
    table = an.equity_audit(_trainees(1, below)).per_trainee
    assert table.loc[0, "high"] < 0 and table.loc[0, "p_value"] < 0.05
    assert not table.loc[0, "flagged"]
    table = an.equity_audit(_trainees(1, below + [-1.0])).per_trainee
    assert table.loc[0, "pairs"] == an.MIN_PAIRS_FOR_EQUITY_FLAG and table.loc[0, "flagged"]


differences = st.floats(-1, 1, allow_nan=False).map(lambda d: round(d, 3))


@settings(deadline=None)
@given(st.lists(differences, min_size=2, max_size=120).filter(lambda d: len(set(d)) > 1))
def test_t_interval_agrees_with_scipy(diffs):
    ci = an.paired_ci(diffs)
    low, high = scipy_stats.t.interval(
        0.95, len(diffs) - 1, loc=ci.mean, scale=scipy_stats.sem(diffs)
    )
    assert ci.mean == pytest.approx(float(np.mean(diffs)), abs=1e-9)
    assert ci.low == pytest.approx(low, abs=1e-9)
    assert ci.high == pytest.approx(high, abs=1e-9)


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), differences), min_size=2, max_size=150).filter(
        lambda rows: len({g for g, _ in rows}) > 1
    )
)
def test_cluster_robust_interval_agrees_with_scipy_quantile(rows):
    clusters = [g for g, _ in rows]
    diffs = np.array([d for _, d in rows])
    ci = an.paired_ci(diffs.tolist(), clusters)
    # Written independently with numpy: residual sums per cluster, then t(G - 1).
    residual = pd.Series(diffs - diffs.mean()).groupby(clusters).sum().to_numpy()
    groups, n = len(residual), len(diffs)
    se = math.sqrt(groups / (groups - 1) * float(np.sum(residual**2))) / n
    t = scipy_stats.t.ppf(0.975, groups - 1)
    assert ci.se == pytest.approx(se, abs=1e-9)
    assert ci.low == pytest.approx(diffs.mean() - t * se, abs=1e-9)
    assert ci.high == pytest.approx(diffs.mean() + t * se, abs=1e-9)


@settings(deadline=None)
@given(st.integers(0, 400), st.integers(0, 400))
def test_sign_test_agrees_with_scipy_binomtest(a, b):
    expected = 1.0 if a + b == 0 else scipy_stats.binomtest(a, a + b, 0.5).pvalue
    assert an.sign_test_p(a, b) == pytest.approx(expected, abs=1e-9)


@settings(deadline=None, max_examples=50)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0])),
        min_size=1,
        max_size=200,
    )
)
def test_equity_table_agrees_with_scipy(rows):
    frame = pd.DataFrame(
        [
            {"user_id": u, "twin_group": f"g{i}", "police_a": 0.0, "police_b": 0.0, "diff": d}
            for i, (u, d) in enumerate(rows)
        ]
    )
    table = an.equity_audit(frame).per_trainee.set_index("user_id")
    for user, group in frame.groupby("user_id"):
        diffs = group["diff"].to_numpy()
        row = table.loc[user]
        a, b = int((diffs > 0).sum()), int((diffs < 0).sum())
        p = 1.0 if a + b == 0 else scipy_stats.binomtest(a, a + b, 0.5).pvalue
        assert row["p_value"] == pytest.approx(p, abs=1e-9)
        if len(diffs) < 2 or np.ptp(diffs) == 0:
            continue  # no spread: scipy has no interval to compare with
        low, high = scipy_stats.t.interval(
            0.95, len(diffs) - 1, loc=diffs.mean(), scale=scipy_stats.sem(diffs)
        )
        assert row["low"] == pytest.approx(max(-1.0, low), abs=1e-9)
        assert row["high"] == pytest.approx(min(1.0, high), abs=1e-9)


# --- equity: seeded simulation -------------------------------------------------------------


def simulate_twins(
    seed: int,
    *,
    trainees: int = 30,
    pairs_each: int = 12,
    biased: dict[int, float] | None = None,
    cohort_bias: float = 0.0,
) -> pd.DataFrame:
    """Twin attempt cells for a cohort; ``biased`` adds police probability on variant b."""
    rng = random.Random(seed)
    rows = []
    for user in range(trainees):
        base = rng.uniform(0.05, 0.3)  # each trainee's own habit of calling police
        extra = cohort_bias + (biased or {}).get(user, 0.0)
        for pair in range(pairs_each):
            for variant, p in (("a", base), ("b", min(1.0, base + extra))):
                rows.append(
                    {
                        "user_id": user,
                        "twin_group": f"g{pair}",
                        "twin_variant": variant,
                        "attempts": 1,
                        "police": int(rng.random() < p),
                    }
                )
    return pd.DataFrame(rows)


def _audit(cells: pd.DataFrame) -> an.EquityAudit:
    return an.equity_audit(an.twin_pairs(cells), min_pairs=10, min_pairs_cohort=30)


def test_unbiased_cohort_is_not_flagged():
    # 200 seeded cohorts of 30 trainees x 12 pairs (360 pairs each), no bias anywhere.
    # A 95 % interval wrongly excludes 0 for about 5 % of unbiased cohorts by
    # construction; the flag rate must stay near that, and far lower per trainee
    # (where the sign test must agree as well).
    trainee_flags = cohort_flags = tests = 0
    runs = 200
    for seed in range(runs):
        audit = _audit(simulate_twins(seed))
        trainee_flags += int(audit.per_trainee["flagged"].sum())
        tests += len(audit.per_trainee)
        cohort_flags += int(audit.cohort["flagged"])
    assert tests == 30 * runs
    assert trainee_flags / tests <= 0.01
    assert cohort_flags / runs <= 0.08


def test_injected_bias_of_one_trainee_is_found():
    found = others = 0
    for seed in range(20):
        cells = simulate_twins(seed, pairs_each=16, biased={7: 0.6})
        table = _audit(cells).per_trainee.set_index("user_id")
        found += int(table.loc[7, "flagged"])
        assert table.loc[7, "mean_diff"] < 0  # variant b goes to police more often
        others += int(table.drop(index=7)["flagged"].sum())
    assert found >= 18
    assert others <= 0.01 * 20 * 29


def test_cohort_wide_bias_is_found():
    flagged = 0
    for seed in range(20):
        audit = _audit(simulate_twins(seed, cohort_bias=0.15))
        flagged += int(audit.cohort["flagged"])
        assert audit.cohort["mean_diff"] < 0
    assert flagged >= 19


@settings(max_examples=50)
@given(st.integers(0, 10_000))
def test_twin_pair_differences_are_bounded(seed):
    pairs = an.twin_pairs(simulate_twins(seed, trainees=3, pairs_each=3))
    assert pairs["diff"].between(-1, 1).all()
    assert len(pairs) == 9
