"""The kind-of-call keys of the scenario format (docs/scenario-format.md 3.9): each
rejection at its exact line, the defaults, and the rules that hold for every input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.scenario import call_kind, load_paths, parse_scenario

ROOT = Path(__file__).resolve().parents[2]

# A valid call; the kind-of-call keys go in at the marked lines. Line numbers matter.
BASE = """\
format: 1
id: kinds-0001
version: 1
title: A call of some kind
module: call-taker-skills
call:
  channel: "911"
  time: "14:00"
  initial_call_type: WELFARE_CHECK
  ali: Wireless caller, approx. 300 m around Elm St
  caller:
    role: neighbour
    relation: neighbor
  opening: My neighbour hasn't come out all day.
  exchanges:
    - ask: address
      answer: Twelve Elm Street.
    - ask: medical
      answer: I saw her wave from the window.
expert:
  disqualifiers: []
  call_type: WELFARE_CHECK
  priority: 3
  disposition: community_responder
  required_questions: [address, medical]
  time_target_seconds: 120
  rationale: A neighbour who waved from the window, no sign of danger.
"""
CALL_LINE = 9  # keys added after this line sit under call:
CALLER_LINE = 13  # keys added after this line sit under call.caller:


def add(after: int, text: str, base: str = BASE) -> str:
    lines = base.splitlines()
    return "\n".join(lines[:after] + text.splitlines() + lines[after:]) + "\n"


def problems(text: str) -> list[str]:
    data, found = parse_scenario(text, "k.yaml")
    return [str(p) for p in found if p.is_error]


def test_the_base_is_valid_and_an_ordinary_call():
    data, found = parse_scenario(BASE, "k.yaml")
    assert data is not None and found == []
    kind = call_kind(data)
    assert (kind.medium, kind.connection, kind.language, kind.age) == ("voice", None, "en", "adult")
    assert kind.can_speak_freely and kind.knows_location and kind.kinds() == ()
    assert "medium" not in data["call"] and "age" not in data["call"]["caller"]


def test_every_key_is_read_and_counted():
    text = add(
        CALLER_LINE,
        "    age: child\n    gender: female\n    can_speak_freely: false\n"
        "    knows_location: false",
    )
    text = add(
        CALL_LINE,
        "  medium: text\n  connection: hang_up\n  when_called_back:\n"
        "    who: the same girl\n    answer: Sorry.\n  prior_calls:\n"
        "    - when: yesterday\n      what: The same neighbour\n      outcome: Team visited",
        text,
    ).replace("time_target_seconds: 120", "time_target_seconds: 240")
    data, found = parse_scenario(text, "k.yaml")
    assert data is not None, found
    kind = call_kind(data)
    assert (
        kind.is_text
        and kind.needs_callback
        and kind.when_called_back
        == {
            "who": "the same girl",
            "answer": "Sorry.",
        }
    )
    assert kind.prior_calls == (
        {"when": "yesterday", "what": "The same neighbour", "outcome": "Team visited"},
    )
    assert set(kind.kinds()) == {
        "dropped_or_hang_up",
        "child_caller",
        "location_unknown",
        "text",
        "repeat_caller",
        "cannot_speak_freely",
    }


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (add(CALL_LINE, "  medium: fax"), 10, "unknown medium 'fax'"),
        (add(CALL_LINE, "  connection: lost"), 10, "unknown connection 'lost'"),
        (add(CALL_LINE, "  connection: dropped"), 10, "needs call.when_called_back"),
        (
            add(CALL_LINE, "  when_called_back:\n    answer: Hello?"),
            10,
            "add call.connection",
        ),
        (
            add(CALL_LINE, "  connection: dropped\n  when_called_back:\n    who: a man"),
            11,
            "missing required key 'call.when_called_back.answer'",
        ),
        (
            add(
                CALL_LINE, "  connection: dropped\n  when_called_back:\n    answer: Hi\n    mood: x"
            ),
            13,
            "unknown key 'mood' in call.when_called_back",
        ),
        (add(CALL_LINE, "  prior_calls: []"), 10, "at least one earlier call"),
        (add(CALL_LINE, "  prior_calls:\n    - what: Noise"), 11, "'call.prior_calls[0].when'"),
        (add(CALL_LINE, "  prior_calls: yesterday"), 10, "call.prior_calls must be a list"),
        (add(CALLER_LINE, "    age: 40"), 14, "unknown age band '40'"),
        (add(CALLER_LINE, "    gender: robot"), 14, "unknown gender 'robot'"),
        (add(CALLER_LINE, "    can_speak_freely: maybe"), 14, "must be true or false"),
        (
            add(CALLER_LINE, "    knows_location: false").replace(
                "  ali: Wireless caller, approx. 300 m around Elm St\n", ""
            ),
            13,
            "give call.ali",
        ),
        (
            add(CALLER_LINE, "    can_speak_freely: false").replace(
                "I saw her wave from the window.",
                "I saw her wave from the window this morning and then the curtains closed "
                "again for good.",
            ),
            20,
            "15 words or fewer (it has 17)",
        ),
        (add(CALL_LINE, "  medium: text"), 27, "at least 180 seconds, not 120"),
        (
            add(
                CALL_LINE,
                "  prior_calls:\n    - when: today\n      what: Noise",
            ).replace("  opening:", "  context:\n    prior_calls: Noise today\n  opening:"),
            18,
            "earlier calls are written twice",
        ),
    ],
)
def test_rejection_at_the_exact_line(text, line, fragment):
    found = problems(text)
    assert any(p.startswith(f"k.yaml:{line}: ") and fragment in p for p in found), found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.integers(1, 40))
def test_a_guarded_caller_answers_in_few_words_whatever_the_length(words):
    """With can_speak_freely: false an answer is refused exactly when it has more than 15
    words; the same answer from a caller who can talk is always fine."""
    answer = " ".join(["yes"] * words)
    text = BASE.replace("I saw her wave from the window.", answer)
    guarded = add(CALLER_LINE, "    can_speak_freely: false", text)
    refused = [p for p in problems(guarded) if "cannot speak freely" in p]
    assert bool(refused) == (words > 15)
    assert problems(text) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.integers(1, 3600), text_call=st.booleans())
def test_only_a_text_call_needs_a_slow_time_target(target, text_call):
    text = BASE.replace("time_target_seconds: 120", f"time_target_seconds: {target}")
    if text_call:
        text = add(CALL_LINE, "  medium: text", text)
    refused = [p for p in problems(text) if "text-to-911" in p]
    assert bool(refused) == (text_call and target < 180)


def test_the_bank_holds_every_kind_of_call_at_its_minimum():
    loaded, found = load_paths([ROOT / "scenarios"])
    assert not [p for p in found if p.is_error]
    counts: dict[str, int] = {}
    for item in loaded:
        for kind in call_kind(item.data).kinds():
            counts[kind] = counts.get(kind, 0) + 1
    from app.core.scenario import KIND_LABELS

    assert {kind: counts.get(kind, 0) >= 8 for kind in KIND_LABELS} == dict.fromkeys(
        KIND_LABELS, True
    ), counts


def test_stored_data_without_the_keys_reads_as_an_ordinary_call():
    kind = call_kind({"call": {"caller": {"role": "x"}}})
    assert kind.kinds() == () and kind.medium == "voice" and not kind.needs_callback
    assert call_kind(None).kinds() == ()
