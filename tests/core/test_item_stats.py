"""Item statistics checked against values worked out by hand (the arithmetic is in the
comments), plus properties that hold for any data."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.item_stats import (
    DUBIOUS_BELOW,
    HINT_TEXT,
    MIN_ATTEMPTS_FOR_ITEM_FLAG,
    MIN_TRAINEES_FOR_ITEM_FLAG,
    Response,
    aggregate,
    exact_order,
    item_statistics,
    pearson,
)


def R(trainee, item, score, count=1, route=None, call_type=None):
    return Response(trainee, item, score, count, route, call_type)


# Four trainees, three items (score fractions):
#        A    B    C
#  T1   1.0  1.0  0.0
#  T2   0.5  1.0  0.5
#  T3   0.0  0.5  1.0
#  T4   0.0  0.0  1.0
TABLE = {
    "T1": {"A": 1.0, "B": 1.0, "C": 0.0},
    "T2": {"A": 0.5, "B": 1.0, "C": 0.5},
    "T3": {"A": 0.0, "B": 0.5, "C": 1.0},
    "T4": {"A": 0.0, "B": 0.0, "C": 1.0},
}


def table_responses(copies: int = 1, count: int = 1):
    """The table; with ``copies`` every trainee appears that many times (T1-0, T1-1, ...)
    and tries each item ``count`` times. Neither changes a mean or a correlation."""
    return [
        R(f"{t}-{c}", i, s, count)
        for c in range(copies)
        for t, row in TABLE.items()
        for i, s in row.items()
    ]


def big_table():
    """The table with enough evidence for hints: 12 trainees, 24 attempts per item."""
    return table_responses(copies=3, count=2)


def test_facility_by_hand():
    stats = item_statistics(table_responses())
    # A: (1 + 0.5 + 0 + 0) / 4 = 0.375; B: (1 + 1 + 0.5 + 0) / 4 = 0.625; C: (0 + .5 + 1 + 1) / 4
    assert stats["A"].facility == pytest.approx(0.375)
    assert stats["B"].facility == pytest.approx(0.625)
    assert stats["C"].facility == pytest.approx(0.625)
    assert stats["A"].attempts == 4 and stats["A"].trainees == 4


def test_discrimination_by_hand():
    stats = item_statistics(table_responses())
    # A: item scores x = [1, .5, 0, 0] (mean .375); rest = mean of B and C per trainee
    #    y = [.5, .75, .75, .5] (mean .625).
    #    dx = [.625, .125, -.375, -.375], dy = [-.125, .125, .125, -.125]
    #    Sxy = -.078125 + .015625 - .046875 + .046875 = -.0625
    #    Sxx = .390625 + .015625 + .140625 + .140625 = .6875; Syy = 4 * .015625 = .0625
    #    r = -.0625 / sqrt(.6875 * .0625) = -1 / sqrt(11) = -0.30151
    assert stats["A"].discrimination == pytest.approx(-1 / math.sqrt(11))
    assert stats["A"].discrimination == pytest.approx(-0.30151, abs=1e-5)
    # C: x = [0, .5, 1, 1] (mean .625); rest = mean of A and B: y = [1, .75, .25, 0] (mean .5)
    #    dx = [-.625, -.125, .375, .375], dy = [.5, .25, -.25, -.5]
    #    Sxy = -.3125 - .03125 - .09375 - .1875 = -.625; Sxx = .6875; Syy = .625
    #    r = -.625 / sqrt(.6875 * .625) = -sqrt(10 / 11) = -0.95346
    assert stats["C"].discrimination == pytest.approx(-math.sqrt(10 / 11))
    # B: rest = mean of A and C = [.5, .5, .5, .5] for everyone: no spread, no index.
    assert stats["B"].discrimination is None
    assert stats["A"].discrimination_n == 4


def test_copies_of_the_table_give_the_same_figures():
    small, big = item_statistics(table_responses()), item_statistics(big_table())
    for item in "ABC":
        assert big[item].facility == pytest.approx(small[item].facility)
        if small[item].discrimination is None:
            assert big[item].discrimination is None
        else:
            assert big[item].discrimination == pytest.approx(small[item].discrimination)
    assert (big["A"].attempts, big["A"].trainees, big["A"].discrimination_n) == (24, 12, 12)


def test_negative_discrimination_is_dubious_and_perhaps_miskeyed():
    stats = item_statistics(big_table())
    assert stats["A"].dubious and stats["C"].dubious
    assert "miskeyed" in stats["A"].flags
    assert not stats["B"].dubious
    assert HINT_TEXT["miskeyed"] in stats["C"].hints


def test_perfect_positive_discrimination():
    # X and Y agree exactly: x = [1, .5, 0], rest = [1, .5, 0] -> r = 1.
    rows = [R("T1", "X", 1), R("T1", "Y", 1), R("T2", "X", 0.5), R("T2", "Y", 0.5)]
    rows += [R("T3", "X", 0), R("T3", "Y", 0)]
    stats = item_statistics(rows)
    assert stats["X"].discrimination == pytest.approx(1.0)
    assert stats["X"].facility == pytest.approx(0.5)
    assert not stats["X"].dubious and stats["X"].flags == ()


def test_counts_weight_the_means():
    # T1 tried X three times with a mean of 1/3 (one 1.0, two 0.0) and Y once (0.0):
    # facility X = (3 * 1/3 + 1 * 1.0) / 4 = 0.5 (T2 scored 1.0 once).
    rows = [R("T1", "X", 1 / 3, count=3), R("T2", "X", 1.0), R("T1", "Y", 0.0)]
    stats = item_statistics(rows)
    assert stats["X"].attempts == 4
    assert stats["X"].facility == pytest.approx(0.5)
    assert stats["X"].trainees == 2


def test_too_few_trainees_give_no_discrimination():
    rows = [R("T1", "X", 1), R("T1", "Y", 1), R("T2", "X", 0), R("T2", "Y", 0)]
    assert item_statistics(rows)["X"].discrimination is None  # two trainees: below three


def _orthogonal(copies: int, count: int = 2, rest: bool = True) -> list[Response]:
    # x (item X) and y (their only other item R) are orthogonal around their means .5:
    # dx = [.5, .5, -.5, -.5, 0], dy = [.5, -.5, .5, -.5, 0], Sxy = .25 - .25 - .25 + .25 = 0.
    xs = [1, 1, 0, 0, 0.5]
    ys = [1, 0, 1, 0, 0.5]
    rows = []
    for c in range(copies):
        for n, (x, y) in enumerate(zip(xs, ys, strict=True)):
            rows.append(R(f"T{n}-{c}", "X", x, count))
            if rest or c:  # without rest: the first copy tried nothing else
                rows.append(R(f"T{n}-{c}", "R", y, count))
    return rows


def test_zero_discrimination_with_ten_trainees_is_dubious():
    stats = item_statistics(_orthogonal(copies=2))  # 10 trainees, 20 attempts at X
    assert stats["X"].discrimination == pytest.approx(0.0)
    assert stats["X"].dubious
    assert stats["X"].flags == ("low_discrimination",)
    # Five trainees: the same low index is not enough evidence.
    five = item_statistics(_orthogonal(copies=1, count=4))["X"]
    assert five.attempts >= MIN_ATTEMPTS_FOR_ITEM_FLAG
    assert five.discrimination == pytest.approx(0.0) and not five.dubious and five.flags == ()


def test_the_trainees_behind_the_index_must_reach_the_minimum():
    # 15 trainees tried X, but 5 of them tried nothing else: 10 behind the index, enough.
    rows = _orthogonal(copies=3, rest=False)
    stats = item_statistics(rows)["X"]
    assert (stats.trainees, stats.discrimination_n) == (15, 10) and stats.dubious
    # 10 trainees tried X but only 5 of them anything else: no dubious mark.
    rows = _orthogonal(copies=2, rest=False)
    stats = item_statistics(rows)["X"]
    assert (stats.trainees, stats.discrimination_n) == (10, 5)
    assert stats.discrimination == pytest.approx(0.0) and not stats.dubious and stats.flags == ()


def test_a_small_table_raises_no_hint():
    # The hand-worked table: 4 trainees and 4 attempts per item, far below the minimums.
    # The figures are there (A's index is negative) but nothing is flagged.
    stats = item_statistics(table_responses())
    assert stats["A"].discrimination == pytest.approx(-1 / math.sqrt(11))
    for item in "ABC":
        assert not stats[item].dubious and stats[item].flags == ()


def test_one_wrong_answer_does_not_make_a_scenario_miskeyed():
    # Three trainees; the best of them chose a wrong route once. Before the minimums this
    # was enough for "perhaps miskeyed" (the whole strong third chose it).
    rows = [R("T1", "Z", 1.0), R("T2", "Z", 0.5), R("T3", "Z", 0.0)]
    rows += [R("T1", "Q", 0.0, route="police"), R("T2", "Q", 1.0), R("T3", "Q", 1.0)]
    assert item_statistics(rows)["Q"].flags == ()


def _easy(trainees: int, counts: list[int]) -> list[Response]:
    return [R(f"T{n}", "EASY", 1.0, counts[n]) for n in range(trainees)]


def test_hints_need_the_minimum_of_attempts_and_trainees():
    assert MIN_ATTEMPTS_FOR_ITEM_FLAG == 20 and MIN_TRAINEES_FOR_ITEM_FLAG == 10
    enough = item_statistics(_easy(10, [2] * 10))["EASY"]
    assert (enough.attempts, enough.trainees) == (20, 10) and enough.flags == ("too_easy",)
    few_attempts = item_statistics(_easy(10, [1] + [2] * 9))["EASY"]
    assert few_attempts.attempts == 19 and few_attempts.flags == ()
    few_trainees = item_statistics(_easy(9, [3] * 9))["EASY"]
    assert few_trainees.attempts == 27 and few_trainees.flags == ()
    assert few_trainees.facility == 1.0  # the figure is still given


def test_too_easy_and_too_hard():
    rows = []
    for n in range(10):  # two attempts each: 20 attempts per item, 10 trainees
        rows.append(R(f"T{n}", "EASY", 1.0 if n else 0.5, 2))  # (9 + .5) / 10 = .95 > .9
        rows.append(R(f"T{n}", "HARD", 1.0 if n == 0 else 0.1, 2))  # (1 + .9) / 10 = .19 < .2
    stats = item_statistics(rows)
    assert stats["EASY"].facility == pytest.approx(0.95)
    assert "too_easy" in stats["EASY"].flags
    assert stats["HARD"].facility == pytest.approx(0.19)
    assert "too_hard" in stats["HARD"].flags


def test_most_common_wrong_answers_and_ties():
    rows = [
        R("T1", "X", 0.5, count=2, route="police"),
        R("T2", "X", 0.5, count=1, route="police"),
        R("T3", "X", 0.0, count=3, route="ems", call_type="ASSAULT"),
        R("T4", "X", 1.0, count=1),
    ]
    stats = item_statistics(rows)["X"]
    # police 2 + 1 = 3, ems 3: a tie goes to the first code alphabetically.
    assert stats.wrong_disposition == ("ems", 3)
    assert stats.wrong_call_type == ("ASSAULT", 3)


def test_strong_trainees_choosing_the_same_wrong_route_suggests_a_miskey():
    # Twelve trainees all score .5 on Q, twice (no spread, so no discrimination index).
    # Their rest scores (item Z) all differ: the top third is T0-T3, and two of them
    # (half) chose police on Q, which the key calls wrong.
    rest = [1.0, 0.95, 0.9, 0.85, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    rows = []
    for n, z in enumerate(rest):
        rows.append(R(f"T{n}", "Z", z))
        rows.append(R(f"T{n}", "Q", 0.5, 2, route="police" if n < 2 else None))
    stats = item_statistics(rows)["Q"]
    assert stats.discrimination is None
    assert stats.wrong_disposition == ("police", 4)
    assert "miskeyed" in stats.flags
    # The same wrong route from the two weakest instead: no hint.
    rows = []
    for n, z in enumerate(rest):
        rows.append(R(f"T{n}", "Z", z))
        rows.append(R(f"T{n}", "Q", 0.5, 2, route="police" if n >= 10 else None))
    assert "miskeyed" not in item_statistics(rows)["Q"].flags


def test_no_responses_no_items():
    assert item_statistics([]) == {}
    assert item_statistics([R("T1", "X", 1.0, count=0)]) == {}


def test_pearson_by_hand():
    # x = [1, 2, 3], y = [2, 4, 5]: dx = [-1, 0, 1], dy = [-5/3, 1/3, 4/3]
    # Sxy = 5/3 + 4/3 = 3; Sxx = 2; Syy = (25 + 1 + 16) / 9 = 42/9; r = 3 / sqrt(2 * 42/9)
    assert pearson([1, 2, 3], [2, 4, 5]) == pytest.approx(3 / math.sqrt(2 * 42 / 9))
    assert pearson([1, 1, 1], [1, 2, 3]) is None


scores = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])
responses = st.lists(
    st.builds(
        Response,
        trainee=st.sampled_from(["a", "b", "c", "d", "e"]),
        item=st.sampled_from(["x", "y", "z"]),
        score=scores,
        count=st.integers(1, 3),
    ),
    max_size=40,
)


@given(responses)
def test_statistics_stay_in_range_for_any_data(rows):
    stats = item_statistics(rows)
    assert set(stats) == {r.item for r in rows}
    for item, s in stats.items():
        assert 0.0 <= s.facility <= 1.0
        assert s.attempts == sum(r.count for r in rows if r.item == item)
        if s.discrimination is not None:
            assert -1.0 <= s.discrimination <= 1.0
            assert s.discrimination_n >= 3
        enough = (
            s.attempts >= MIN_ATTEMPTS_FOR_ITEM_FLAG
            and s.trainees >= MIN_TRAINEES_FOR_ITEM_FLAG
            and s.discrimination_n >= MIN_TRAINEES_FOR_ITEM_FLAG
        )
        assert s.dubious == (
            enough and s.discrimination is not None and s.discrimination < DUBIOUS_BELOW
        )
        if s.attempts < MIN_ATTEMPTS_FOR_ITEM_FLAG or s.trainees < MIN_TRAINEES_FOR_ITEM_FLAG:
            assert s.flags == ()


# --- the strong third on exact totals -----------------------------------------------------------


def test_exact_order_keeps_equal_fractions_together():
    # 14/30 reached three ways, 7/15 in lowest terms, and 1/2.
    order = exact_order(pd.Series([140, 7, 28, 1]), pd.Series([300, 15, 60, 2]))
    assert order.iloc[0] == order.iloc[1] == order.iloc[2] < order.iloc[3]


def test_exact_order_separates_fractions_one_float_cannot():
    # Neighbouring Fibonacci ratios differ by 1 / (F46 F47), about 2e-19: the same float.
    a, b, c = 1134903170, 1836311903, 2971215073
    assert a / b == b / c and Fraction(a, b) > Fraction(b, c)
    order = exact_order(pd.Series([b, a, 2 * a, 1]), pd.Series([c, b, 2 * b, 2]))
    assert order.iloc[3] < order.iloc[0] < order.iloc[1] == order.iloc[2]


def test_tied_rest_scores_enter_the_strong_third_together():
    # Twelve trainees score .9 twice on Q. Rest scores: three at .9, then three tied at
    # 120 points over three attempts reached through different scores (40+40+40,
    # 20+30+70, 10+70+40), then six at .1. The top third is four trainees; all three tied
    # at the fourth place come in: six strong trainees. (Summing score fractions as
    # floats, the old code ranked the three apart and took only one of them.)
    # The tied three chose police on Q: half of the strong third, so perhaps miskeyed.
    rest = {"T0": [90] * 3, "T1": [90] * 3, "T2": [90] * 3}
    rest |= {"T3": [40, 40, 40], "T4": [20, 30, 70], "T5": [10, 70, 40]}
    rest |= {f"T{n}": [10] * 3 for n in range(6, 12)}
    rows = []
    for trainee, points in rest.items():
        rows += [R(trainee, f"R{k}", p / 100) for k, p in enumerate(points)]
        wrong = "police" if trainee in ("T3", "T4", "T5") else None
        rows.append(R(trainee, "Q", 0.9, 2, route=wrong))
    agg = aggregate(rows)["Q"]
    assert agg.strong == 6
    assert dict(agg.strong_routes) == {"police": 3}
    assert "miskeyed" in item_statistics(rows)["Q"].flags


points = st.sampled_from([0, 10, 20, 30, 40, 60, 70, 90, 100])


@settings(deadline=None, max_examples=150)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([f"t{n}" for n in range(12)]),
            st.sampled_from(["q", "r", "s", "u"]),
            points,
            st.integers(1, 3),
        ),
        max_size=80,
    )
)
def test_strong_third_matches_exact_fractions(rows):
    responses = [R(t, i, Fraction(p, 100), c) for t, i, p, c in rows]
    # By hand with fractions: a trainee's rest score on an item is their points on every
    # other item over their attempts there; the strong third is everyone at or above the
    # rest score in place ceil(m / 3) from the top.
    total: dict[str, list[int]] = {}
    at: dict[tuple[str, str], list[int]] = {}
    for t, i, p, c in rows:
        total.setdefault(t, [0, 0])
        at.setdefault((t, i), [0, 0])
        for bucket in (total[t], at[(t, i)]):
            bucket[0] += p * c
            bucket[1] += c
    aggregates = aggregate(responses)
    for item in {i for _, i, _, _ in rows}:
        rest = [
            Fraction(total[t][0] - at[(t, i)][0], total[t][1] - at[(t, i)][1])
            for (t, i) in at
            if i == item and total[t][1] > at[(t, i)][1]
        ]
        expected = 0
        if rest:
            cut = sorted(rest, reverse=True)[math.ceil(len(rest) / 3) - 1]
            expected = sum(r >= cut for r in rest)
        assert aggregates[item].pairs == len(rest)
        assert aggregates[item].strong == expected


def _tie_cases(seed: int, cases: int) -> list[tuple[int, list[int], list[int]]]:
    """(item score, rest points a, rest points b): different scores, the same total."""
    rng = random.Random(seed)
    out = []
    while len(out) < cases:
        size = rng.randint(2, 5)
        a = [rng.randrange(0, 101) for _ in range(size)]
        b = [rng.randrange(0, 101) for _ in range(size - 1)]
        last = sum(a) - sum(b)
        if 0 <= last <= 100 and sorted(b + [last]) != sorted(a):
            out.append((rng.randrange(0, 101), a, b + [last]))
    return out


def test_three_thousand_constructed_ties_stay_tied():
    # Each item has two trainees whose rest scores are equal fractions reached through
    # different scores; with two trainees the top third is one place, so a tie makes both
    # strong. Summed as float fractions, 680 of these 3,000 ties used to come apart.
    rows = []
    for k, (score, a, b) in enumerate(_tie_cases(14, 3000)):
        for who, rest in (("a", a), ("b", b)):
            trainee = f"{who}{k}"
            rows.append(R(trainee, f"Q{k}", score / 100))
            rows += [R(trainee, f"R{k}-{j}", p / 100) for j, p in enumerate(rest)]
    aggregates = aggregate(rows)
    split = [k for k in range(3000) if aggregates[f"Q{k}"].strong != 2]
    assert split == []
