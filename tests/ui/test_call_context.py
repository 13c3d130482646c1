"""The shared call widget (app.ui.call_context): the header's lines and the question groups."""

from __future__ import annotations

from app.ui.call_context import QUESTION_GROUPS, caller_facts, context_notes, question_groups


def test_context_notes_say_what_the_call_taker_can_see():
    assert context_notes({}) == []
    assert context_notes(
        {
            "responders_available": False,
            "police_available": True,
            "hotline_open": False,
            "notes": "Gate code 1234",
            "prior_calls": "Two calls this week",
        }
    ) == [
        "No community responder team is free",
        "Police units are free",
        "The community hotline is closed now",
        "Earlier calls: Two calls this week",
        "CAD note: Gate code 1234",
    ]


def test_caller_facts_name_the_caller_the_call_type_and_the_model():
    view = {
        "caller": {"role": "store owner", "relation": "stranger"},
        "initial_call_type": {"code": "WELFARE_CHECK", "label": "Welfare check"},
        "model_label": "Call-center led",
    }
    assert caller_facts(view) == [
        "Caller: store owner (does not know the person)",
        "Came in as: Welfare check",
        "Dispatch model: Call-center led",
    ]
    assert caller_facts({"caller": {}, "model_label": "X"}) == ["Dispatch model: X"]


def test_every_question_lands_in_exactly_one_group_situation_first():
    grouped = {qid for _, ids in QUESTION_GROUPS for qid in ids}
    questions = [{"id": qid, "text": qid} for qid in ["how_long", *sorted(grouped), "own_2"]]
    groups = question_groups(questions)
    assert [title for title, _ in groups] == ["The situation", *(t for t, _ in QUESTION_GROUPS)]
    assert [q["id"] for q in groups[0][1]] == ["how_long", "own_2"]
    placed = [q["id"] for _, items in groups for q in items]
    assert sorted(placed) == sorted(q["id"] for q in questions)
