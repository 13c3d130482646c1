"""The equity audit in plain words: what differs between twins, and one verdict that
always agrees with the flags (property tests over any pairs)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import analytics as an


def call(name: str, place: str, voice: str = "en-us") -> dict:
    return {
        "call": {
            "location": f"12 Elm Street, {place}",
            "caller": {"role": "neighbour", "voice": voice},
            "opening": f"Hi, this is {name}. My neighbour is shouting in the street again.",
            "exchanges": [
                {"ask": "weapons", "answer": f"No, {name} here, I see no weapon."},
                {"ask": "medical", "answer": "Nobody is hurt."},
            ],
        }
    }


def test_twin_differences_name_the_changed_details_only():
    a, b = call("Maria Lopez", "Northside"), call("Emily Walsh", "Southgate", "en-gb")
    out = an.twin_differences(a, b)
    assert "Caller's voice: en-us / en-gb" in out
    assert "Where: 12 Elm Street, Northside / 12 Elm Street, Southgate" in out
    assert "“Maria Lopez” / “Emily Walsh”" in out
    assert not [line for line in out if "weapon" in line or "hurt" in line]


def test_identical_twins_say_so():
    assert an.twin_differences(call("A", "B"), call("A", "B")) == [
        "No difference found in the call's words"
    ]


def test_many_word_changes_are_counted_not_listed():
    a = {"call": {"opening": " ".join(f"w{i} x" for i in range(10))}}
    b = {"call": {"opening": " ".join(f"v{i} x" for i in range(10))}}
    out = an.twin_differences(a, b)
    assert len(out) == an.equity.MAX_CHANGES + 1 and out[-1].startswith("6 more word changes")


pair_lists = st.lists(
    st.tuples(
        st.integers(1, 14),  # trainee
        st.integers(0, 40),  # twin group
        st.sampled_from([0.0, 1.0, 0.5]),
        st.sampled_from([0.0, 1.0, 0.5]),
    ),
    max_size=160,
)


def frame(rows) -> pd.DataFrame:
    seen = {}
    for user, group, a, b in rows:
        seen[(user, group)] = (a, b)
    data = [
        {"user_id": u, "twin_group": f"g{g}", "police_a": a, "police_b": b, "diff": a - b}
        for (u, g), (a, b) in sorted(seen.items())
    ]
    return pd.DataFrame(data, columns=["user_id", "twin_group", "police_a", "police_b", "diff"])


@settings(max_examples=150, deadline=None)
@given(pair_lists, st.integers(2, 12), st.integers(5, 40), st.integers(2, 12))
def test_the_verdict_agrees_with_the_flags(rows, min_pairs, min_cohort, min_trainees):
    pairs = frame(rows)
    audit = an.equity_audit(
        pairs, min_pairs=min_pairs, min_pairs_cohort=min_cohort, min_trainees_cohort=min_trainees
    )
    verdict = an.equity_verdict(audit.cohort, audit.per_trainee)
    flagged = bool(audit.cohort["flagged"]) or bool(audit.per_trainee["flagged"].any())
    assert (verdict.kind == "flagged") == flagged
    # No flag below the stated minimums.
    table = audit.per_trainee
    assert not (table["flagged"] & (table["pairs"] < min_pairs)).any()
    if audit.cohort["flagged"]:
        assert audit.cohort["pairs"] >= min_cohort and audit.cohort["trainees"] >= min_trainees
    # The all-clear is only given when something was judged.
    if verdict.kind == "clear":
        assert audit.cohort["judged"] or (table["pairs"] >= min_pairs).any()
    text = (verdict.headline + " " + verdict.detail).lower()
    assert "cluster" not in text and "sign test" not in text


def test_chance_words():
    assert an.chance_words(0.0001) == "very unlikely (p < 0.001)"
    assert an.chance_words(0.004) == "very unlikely (p 0.004)"
    assert an.chance_words(0.03) == "unlikely (p 0.03)"
    assert an.chance_words(0.5) == "quite possible (p 0.50)"
    assert an.chance_words(None) == "–"


def test_voice_hints_in_words():
    assert an.equity.voice_words("older_female_south_asian") == "older woman, South Asian accent"
    assert an.equity.voice_words("adult_male") == "adult man, no accent"
    assert an.equity.voice_words("en-gb") == "en-gb"
    out = an.twin_differences(
        call("Ann", "X", "older_female"), call("Ann", "X", "older_female_vietnamese")
    )
    assert out == ["Caller's voice: older woman, no accent / older woman, Vietnamese accent"]


def test_the_verdict_names_flagged_trainees():
    pairs = frame([(1, g, 0.0, 1.0) for g in range(12)] + [(2, g, 1.0, 1.0) for g in range(3)])
    audit = an.equity_audit(pairs)
    table = audit.per_trainee.assign(name=["Dana Doe", "Eli Roe"])
    verdict = an.equity_verdict(audit.cohort, table)
    assert verdict.kind == "flagged"
    assert "Dana Doe sent version b to police 100 points more often." in verdict.detail
    assert "The whole group is not judged yet (15 pairs from 2 trainees" in verdict.detail
