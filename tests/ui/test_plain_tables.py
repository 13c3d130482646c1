"""Supervisor tables show protocol labels and plain headings, never raw codes."""

from __future__ import annotations

import pandas as pd

from app.ui.plain_tables import attempt_table, stuck_reasons

WORDS = {
    "routes": {"community_responder": "Community responders", "police": "Police"},
    "disqualifiers": {"weapon": "Weapon", "medical": "Medical emergency"},
    "modes": {"standard": "Standard"},
}


def test_stuck_reasons_in_words_with_plurals():
    for said in ("1 time", "1 times"):  # "1 times": reasons worded before the fix
        text = f"inactive for 20 days; missed 'weapon' {said} in the last 30 days"
        assert stuck_reasons(text, WORDS) == (
            "inactive for 20 days; missed “Weapon” 1 time in the last 30 days"
        )
    assert stuck_reasons("missed 'medical' 3 times", WORDS) == "missed “Medical emergency” 3 times"
    assert stuck_reasons(None, WORDS) == ""


def test_attempt_rows_use_labels_and_headings():
    rows = pd.DataFrame(
        {
            "attempt_id": [7],
            "mode": ["standard"],
            "passed": [False],
            "disposition": ["police"],
            "expert_disposition": ["community_responder"],
            "missed_disqualifiers": ["weapon,medical"],
            "over_disqualifiers": [""],
            "user_id": [3],
        }
    )
    shown = attempt_table(rows, WORDS)
    assert list(shown.columns) == [
        "Attempt",
        "Mode",
        "Passed",
        "Route chosen",
        "Route in the key",
        "Missed",
        "Flagged wrongly",
    ]
    assert shown.iloc[0].tolist() == [
        7,
        "Standard",
        "no",
        "Police",
        "Community responders",
        "Weapon, Medical emergency",
        "",
    ]
