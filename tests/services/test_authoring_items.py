"""Item analysis through the database on SQLite and PostgreSQL: the same hand-worked
numbers as tests/core/test_item_stats.py, computed from attempt rows."""

from __future__ import annotations

import math

import pytest

from app.errors import AccessDenied
from app.services import authoring
from tests.services.test_authoring_support import (
    BUS_STOP,
    KNIFE,
    LAUNDROMAT,
    add_attempt,
    add_user,
    store,
    text_of,
)

# Scores out of 100 (the same table as the core test, as fractions):
#        A    B    C
#  T1   100  100    0
#  T2    50  100   50
#  T3     0   50  100
#  T4     0    0  100
TABLE = [(100, 100, 0), (50, 100, 50), (0, 50, 100), (0, 0, 100)]
# Hints need 20 attempts from 10 trainees (item_stats.MIN_*_FOR_ITEM_FLAG): each row of
# the table is taken by three trainees, twice each (12 trainees, 24 attempts per item),
# which changes no mean and no correlation.
COPIES, REPEATS = 3, 2


@pytest.fixture
def items(database, world):
    a = world.agencies["a"]
    ids = [store(a, text_of(p)) for p in (KNIFE, LAUNDROMAT, BUS_STOP)]
    trainees = [world["trainee-a"]]
    trainees += [add_user(a, f"trainee-{n}", "trainee") for n in range(2, 4 * COPIES + 1)]
    for n, trainee in enumerate(trainees):
        for version_id, score in zip(ids, TABLE[n % 4], strict=True):
            for repeat in range(REPEATS):
                # Only the first four trainees' first tries name a wrong code, so the most
                # common wrong answer is counted by hand as in the core test.
                wrong = score == 0 and n < 4 and repeat == 0
                add_attempt(
                    trainee,
                    version_id,
                    score,
                    disposition="police" if wrong else "community_responder",
                    call_type="ASSAULT" if wrong else None,
                )
    # Noise that must not count: a guided attempt and another agency's attempts.
    add_attempt(world["trainee-a"], ids[0], 0, mode="guided")
    b_id = store(world.agencies["b"], text_of(KNIFE))
    add_attempt(world["trainee-b"], b_id, 100)
    return dict(zip("ABC", ids, strict=True))


def test_item_analysis_matches_the_hand_computed_values(items, world):
    rows = {r["version_id"]: r for r in authoring.item_analysis(actor=world["trainer-a"])}
    assert set(rows) == set(items.values())
    a, b, c = rows[items["A"]], rows[items["B"]], rows[items["C"]]
    assert (a["attempts"], a["trainees"]) == (4 * COPIES * REPEATS, 4 * COPIES)
    assert a["facility"] == pytest.approx(0.375)
    assert b["facility"] == pytest.approx(0.625) and c["facility"] == pytest.approx(0.625)
    assert a["discrimination"] == pytest.approx(-1 / math.sqrt(11))
    assert c["discrimination"] == pytest.approx(-math.sqrt(10 / 11))
    assert b["discrimination"] is None
    assert a["dubious"] and c["dubious"] and not b["dubious"]
    assert "miskeyed" in a["flags"]
    # A: two attempts scored 0 and chose police / ASSAULT (the key says otherwise).
    assert (a["wrong_disposition"], a["wrong_disposition_count"]) == ("police", 2)
    assert (a["wrong_call_type"], a["wrong_call_type_count"]) == ("ASSAULT", 2)
    dubious = authoring.item_analysis(actor=world["trainer-a"], dubious_only=True)
    assert {r["version_id"] for r in dubious} == {items["A"], items["C"]}


def test_supervisors_see_item_analysis_trainees_do_not(items, world):
    assert len(authoring.item_analysis(actor=world["supervisor-a"])) == 3
    with pytest.raises(AccessDenied):
        authoring.item_analysis(actor=world["trainee-a"])


def test_each_agency_sees_only_its_own_items(items, world):
    rows = authoring.item_analysis(actor=world["supervisor-b"])
    assert len(rows) == 1 and rows[0]["attempts"] == 1 and rows[0]["facility"] == 1.0
