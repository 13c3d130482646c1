"""Item statistics checked against values worked out by hand (the arithmetic is in the
comments), plus properties that hold for any data."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.item_stats import (
    HINT_TEXT,
    Response,
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


def table_responses():
    return [R(t, i, s) for t, row in TABLE.items() for i, s in row.items()]


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


def test_negative_discrimination_is_dubious_and_perhaps_miskeyed():
    stats = item_statistics(table_responses())
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


def test_zero_discrimination_with_five_trainees_is_dubious():
    # x (item X) and y (their only other item R) are orthogonal around their means .5:
    # dx = [.5, .5, -.5, -.5, 0], dy = [.5, -.5, .5, -.5, 0], Sxy = .25 - .25 - .25 + .25 = 0.
    xs = [1, 1, 0, 0, 0.5]
    ys = [1, 0, 1, 0, 0.5]
    rows = []
    for n, (x, y) in enumerate(zip(xs, ys, strict=True)):
        rows += [R(f"T{n}", "X", x), R(f"T{n}", "R", y)]
    stats = item_statistics(rows)
    assert stats["X"].discrimination == pytest.approx(0.0)
    assert stats["X"].dubious
    assert stats["X"].flags == ("low_discrimination",)
    # With only four of them the same low index is not enough evidence.
    four = item_statistics(rows[:8])["X"]
    assert four.discrimination is not None and not four.dubious


def test_too_easy_and_too_hard():
    rows = []
    for n in range(10):
        rows.append(R(f"T{n}", "EASY", 1.0 if n else 0.5))  # (9 + .5) / 10 = .95 > .9
        rows.append(R(f"T{n}", "HARD", 1.0 if n == 0 else 0.1))  # (1 + .9) / 10 = .19 < .2
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
    # Six trainees all score .5 on Q (no spread, so no discrimination index). Their rest
    # scores (item Z) are 1, .9, .5, .4, .2, 0: the top third is T0 and T1, and both chose
    # police on Q, which the key calls wrong.
    rest = [1.0, 0.9, 0.5, 0.4, 0.2, 0.0]
    rows = []
    for n, z in enumerate(rest):
        rows.append(R(f"T{n}", "Z", z))
        rows.append(R(f"T{n}", "Q", 0.5, route="police" if n < 2 else None))
    stats = item_statistics(rows)["Q"]
    assert stats.discrimination is None
    assert stats.wrong_disposition == ("police", 2)
    assert "miskeyed" in stats.flags
    # The same wrong route from the two weakest instead: no hint.
    rows = []
    for n, z in enumerate(rest):
        rows.append(R(f"T{n}", "Z", z))
        rows.append(R(f"T{n}", "Q", 0.5, route="police" if n >= 4 else None))
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
        assert s.dubious == (
            s.discrimination is not None
            and (s.discrimination < 0 or (s.discrimination_n >= 5 and s.discrimination < 0.15))
        )
