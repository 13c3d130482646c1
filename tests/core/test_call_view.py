"""The trainee's-eye view of a call (app.core.call_view): what it shows, and never the key."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.call_view import (
    CONTEXT_SHOWN,
    call_view,
    caller_answer,
    heard,
    is_scripted,
    question_catalogue,
)
from app.core.protocol import NEUTRAL_ANSWER, ProtocolError, load_protocol
from app.core.protocol.model import fallback_answer
from app.core.scenario import parse_scenario
from app.errors import NotFound
from tests.factories import SPEC_SAMPLE

PROTOCOL = load_protocol()
DATA, _ = parse_scenario(SPEC_SAMPLE.read_text(encoding="utf-8"), protocol=PROTOCOL)


def test_the_view_shows_the_call_as_the_caller_gives_it():
    view = call_view(DATA, PROTOCOL, "call_center_led")
    assert view["model"] == "call_center_led"
    assert view["channel"] == "911" and view["time"] == "02:40"
    assert view["caller"] == {"role": "store owner", "relation": "stranger"}
    assert view["opening"].startswith("There's a guy asleep in my doorway and I can't open up.")
    assert "\n" not in view["opening"]
    assert view["initial_call_type"]["code"] == "WELFARE_CHECK"
    assert view["initial_call_type"]["label"] == PROTOCOL.call_type_label("WELFARE_CHECK")
    assert view["context"] == {"responders_available": True}
    assert view["priorities"] == [1, 2, 3, 4]
    assert [d["code"] for d in view["disqualifiers"]] == list(PROTOCOL.disqualifiers)
    routes = PROTOCOL.available_dispositions("call_center_led", "02:40", DATA["call"]["context"])
    assert [d["code"] for d in view["dispositions"]] == routes
    assert "answers" not in view


def test_the_catalogue_is_the_protocols_questions_then_the_scripts_own():
    catalogue = question_catalogue(DATA, PROTOCOL)
    assert [q["id"] for q in catalogue] == [*PROTOCOL.questions, "how_long"]
    assert catalogue[-1] == {"id": "how_long", "text": "How long has he been there?", "own": True}
    assert call_view(DATA, PROTOCOL, "call_center_led")["questions"] == catalogue


def test_answers_are_scripted_or_a_fallback_that_fits_the_caller():
    assert caller_answer(DATA, "how_long", PROTOCOL) == "Since last night I think."
    unscripted = next(q for q in PROTOCOL.questions if q not in ("weapons", "threats", "medical"))
    assert caller_answer(DATA, unscripted, PROTOCOL) == fallback_answer(
        unscripted, DATA["call"], PROTOCOL.questions[unscripted].default_answer
    )
    # the store owner stands in his own doorway: never "I can't tell from here"
    assert caller_answer(DATA, "injuries", PROTOCOL) != NEUTRAL_ANSWER
    assert caller_answer(DATA, "location_inside", PROTOCOL) == "He's still where I said."
    assert caller_answer(DATA, "address", PROTOCOL) == (
        "Doorway of a shoe store on a commercial street."
    )
    assert is_scripted(DATA, "weapons") and not is_scripted(DATA, "injuries")
    assert heard(DATA, "weapons", PROTOCOL) == {
        "id": "weapons",
        "question": PROTOCOL.questions["weapons"].text,
        "answer": "I don't see anything, his hands are in his sleeping bag.",
    }
    with pytest.raises(NotFound):
        heard(DATA, "no-such-question", PROTOCOL)


def test_a_preview_carries_every_answer_in_catalogue_order():
    view = call_view(DATA, PROTOCOL, "call_center_led", answers=True)
    assert [a["id"] for a in view["answers"]] == [q["id"] for q in view["questions"]]
    assert view["answers"][-1]["answer"] == "Since last night I think."


def test_an_unusable_model_raises_unless_the_view_is_lenient():
    with pytest.raises(ProtocolError):
        call_view(DATA, PROTOCOL, "no-such-model")
    view = call_view(DATA, PROTOCOL, "no-such-model", strict=False)
    assert view["dispositions"] == [] and view["model_label"] == "no-such-model"


def test_only_the_shown_context_keys_reach_the_view():
    data = copy.deepcopy(DATA)
    data["call"]["context"] = {"ambience": "tv", "notes": "Gate code 1234", "hotline_open": False}
    context = call_view(data, PROTOCOL, "call_center_led")["context"]
    assert context == {"hotline_open": False, "notes": "Gate code 1234"}
    assert set(context) <= set(CONTEXT_SHOWN)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(expert=_json, checks=_json, answers=st.booleans())
def test_the_view_never_depends_on_the_key(expert, checks, answers):
    """Whatever the expert block and the checks hold, the view is the same: none of it shows."""
    keyed = {**DATA, "expert": expert, "checks": checks}
    view = call_view(keyed, PROTOCOL, "call_center_led", answers=answers)
    assert view == call_view(DATA, PROTOCOL, "call_center_led", answers=answers)
    assert "classic community responder call" not in json.dumps(view)
