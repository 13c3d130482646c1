"""Scripted answers and fallbacks (issue 17): callers answer as the person they are.

- every hand-written scenario scripts every catalogue question of the default protocol;
- a fallback fits the caller's stance, uses the person's pronoun and never states a fact;
- ``bank lint`` flags a fallback on a question the caller plainly can answer.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.answer_coverage import answerable, lint_all, lint_answers
from app.core.bank_lint import LintItem, lint_bank
from app.core.call_view import caller_answer, is_scripted
from app.core.protocol import NEUTRAL_ANSWER, load_protocol
from app.core.protocol.model import (
    AWAY,
    NEARBY,
    RELAYING,
    SELF,
    STANCES,
    WITH,
    caller_stance,
    fallback_answer,
    person_pronoun,
)
from app.core.scenario import load_paths, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = load_protocol()

# The issue's counter-example: a mother about the son she lives with, with no scripted
# answer about a weapon, his condition or where he is.
MOTHER = textwrap.dedent(
    """\
    format: 1
    id: coverage-mother-0001
    version: 1
    title: Son not himself
    module: call-taker-skills
    call:
      channel: "911"
      initial_call_type: MENTAL_HEALTH
      location: 12 Elm Road, the green house
      caller:
        role: mother
        relation: family
      opening: My son's been up all night talking to people who aren't there.
      exchanges:
        - ask: address
          answer: 12 Elm Road, the green house.
        - ask: callback
          answer: This is my cell.
        - ask: threats
          answer: No, he hasn't said anything like that.
    expert:
      disqualifiers: []
      call_type: MENTAL_HEALTH
      priority: 3
      disposition: community_responder
      required_questions: [address, callback, threats]
      rationale: A man in distress at home with no weapon, threat or medical need.
    """
)
# A jogger who ran past: a fallback on "is anyone hurt" is what such a caller would say.
JOGGER = (
    MOTHER.replace("coverage-mother-0001", "coverage-jogger-0001")
    .replace("role: mother", "role: jogger")
    .replace("relation: family", "relation: stranger")
    .replace("My son's been up", "A man has been up")
)


def _item(text: str, name: str = "coverage.yaml") -> LintItem:
    data, problems = parse_scenario(text, name, protocol=PROTOCOL)
    assert data is not None and not [p for p in problems if p.is_error], problems
    return LintItem(data, name, text)


def _flagged(item: LintItem) -> set[str]:
    return {re.search(r"answer '(\w+)'", f.message).group(1) for f in lint_answers(item)}


@pytest.fixture(scope="module")
def bank():
    loaded, problems = load_paths([ROOT / "scenarios"])
    assert not [p for p in problems if p.is_error]
    return [item for item in loaded if "generated" not in (item.data.get("tags") or [])]


# ----------------------------------------------------------------------------- the bank


def test_every_hand_written_scenario_answers_every_catalogue_question(bank):
    assert len(bank) >= 124
    missing = {
        item.data["id"]: [q for q in PROTOCOL.questions if not is_scripted(item.data, q)]
        for item in bank
    }
    assert {k: v for k, v in missing.items() if v} == {}


def test_the_bank_has_no_answer_coverage_findings(bank):
    items = [LintItem(item.data, str(item.path), item.text) for item in bank]
    assert [str(f) for f in lint_all(items, PROTOCOL)] == []


def test_the_issues_callers_no_longer_fall_back(bank):
    """Mother and son, a clerk in his store, a bus driver beside the man, a wife beside
    her husband: each answers in words of their own, never the neutral line."""
    by_id = {item.data["id"]: item.data for item in bank}
    for scenario_id in (
        "mh-voices-son-0001",
        "intox-store-beer-0001",
        "lift-assist-bus-step-0001",
        "lift-assist-bathroom-0001",
    ):
        for question in PROTOCOL.questions:
            said = caller_answer(by_id[scenario_id], question, PROTOCOL)
            assert said != NEUTRAL_ANSWER and "can't tell from here" not in said, (
                scenario_id,
                question,
            )
    said = caller_answer(by_id["mh-voices-son-0001"], "location_inside", PROTOCOL)
    assert not re.search(r"\bthey\b", said)


# ----------------------------------------------------------------------------- the rule


def test_a_mother_with_no_scripted_answers_about_her_son_is_flagged_at_file_and_line():
    item = _item(MOTHER, "scenarios/x/coverage-mother-0001.yaml")
    findings = lint_answers(item)
    assert {"what_happened", "relationship", "weapons", "medical", "location_inside"} <= {
        re.search(r"answer '(\w+)'", f.message).group(1) for f in findings
    }
    exchanges_line = MOTHER.splitlines().index("  exchanges:") + 1
    first = findings[0]
    assert str(first).startswith(f"scenarios/x/coverage-mother-0001.yaml:{exchanges_line}: ")
    assert "mother" in first.message and "falls back to" in first.message
    # scripted and truly unknowable questions are not flagged
    assert not {"address", "callback", "threats", "evidence", "interpreter"} & _flagged(item)


def test_scripting_the_answer_clears_the_finding():
    text = MOTHER.replace(
        "    - ask: threats\n",
        "    - ask: weapons\n      answer: No, there's nothing like that in the house.\n"
        "    - ask: threats\n",
    )
    assert "weapons" in _flagged(_item(MOTHER))
    assert "weapons" not in _flagged(_item(text))


def test_a_passer_by_is_not_asked_to_know_what_only_someone_there_knows():
    flagged = _flagged(_item(JOGGER))
    assert {"what_happened", "relationship"} <= flagged
    assert not {"weapons", "medical", "injuries", "substances"} & flagged


def test_generated_calls_are_left_to_the_generator():
    text = MOTHER.replace(
        "module: call-taker-skills", "module: call-taker-skills\ntags: [generated]"
    )
    assert lint_answers(_item(text)) == []


def test_the_rule_runs_in_bank_lint():
    messages = [f.message for f in lint_bank([_item(MOTHER)])]
    assert any("can answer 'weapons'" in m for m in messages)


def test_bank_lint_command_reports_it_and_fails(tmp_path):
    path = tmp_path / "coverage-mother-0001.yaml"
    path.write_text(MOTHER, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "app", "bank", "lint", str(path)],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert re.search(r"coverage-mother-0001\.yaml:\d+: .*can answer 'medical'", done.stdout)
    assert "Traceback" not in done.stderr


# ----------------------------------------------------------------------------- stances


@pytest.mark.parametrize(
    ("caller", "extra", "stance"),
    [
        ({"role": "the person in crisis", "relation": "self"}, {}, SELF),
        ({"role": "mother", "relation": "family"}, {}, WITH),
        ({"role": "store clerk", "relation": "stranger"}, {}, WITH),
        ({"role": "bus driver", "relation": "professional"}, {}, WITH),
        ({"role": "jogger", "relation": "stranger"}, {}, NEARBY),
        ({"role": "car owner", "relation": "stranger"}, {}, NEARBY),
        ({"role": "sister", "relation": "family"}, {"opening": "I'm across town."}, AWAY),
        ({"role": "988 crisis counsellor", "relation": "professional"}, {}, RELAYING),
        ({"role": "officer", "relation": "professional"}, {"channel": "proactive"}, WITH),
    ],
)
def test_where_the_caller_stands(caller, extra, stance):
    assert caller_stance({"caller": caller, "opening": "Hello.", **extra}) == stance


def test_the_person_is_he_she_or_they_as_the_opening_says():
    assert person_pronoun({"opening": "My son is shouting."}) == "he"
    assert person_pronoun({"opening": "My wife fell, he said."}) == "she"
    assert person_pronoun({"opening": "Someone is on the stairs."}) == "they"


def test_an_agencys_own_default_answer_is_kept():
    call = {"caller": {"role": "mother", "relation": "family"}, "opening": "My son."}
    assert fallback_answer("weapons", call, "Ask the supervisor.") == "Ask the supervisor."


def test_the_address_fallback_gives_the_place_without_the_authors_notes():
    call = {"location": "2216 Brookside Lane (the caller is across town); note", "opening": ""}
    assert fallback_answer("address", call, NEUTRAL_ANSWER) == "2216 Brookside Lane."


# ----------------------------------------------------------------------------- properties

FACT_QUESTIONS = (
    "weapons",
    "threats",
    "injuries",
    "medical",
    "entry",
    "evidence",
    "substances",
    "suicide",
)
HEDGE = re.compile(
    r"not sure|don't know|can't|couldn't|haven't|wouldn't|rather not|nothing i|i'd have to|"
    r"can ask|i'd rather|don't know what to say|i'm not with",
    re.IGNORECASE,
)
PEOPLE = {
    "he": ["son", "husband", "man", "brother", "dad"],
    "she": ["daughter", "wife", "woman", "sister", "mom"],
}
calls = st.fixed_dictionaries(
    {
        "channel": st.sampled_from(["911", "non_emergency", "988", "proactive", "hotline_direct"]),
        "caller": st.fixed_dictionaries(
            {
                "role": st.sampled_from(
                    ["mother", "store clerk", "jogger", "the person", "counsellor", "neighbour"]
                ),
                "relation": st.sampled_from(
                    ["self", "family", "stranger", "neighbor", "professional"]
                ),
            }
        ),
        "opening": st.sampled_from(["he", "she", "they"]).flatmap(
            lambda p: st.sampled_from(PEOPLE.get(p, ["person", "someone"])).map(
                lambda word: f"Hello, my {word} is in trouble."
            )
        ),
    }
)


@given(call=calls, question=st.sampled_from(list(PROTOCOL.questions)))
def test_a_fallback_is_in_character_and_never_the_broken_line(call, question):
    said = fallback_answer(question, call, PROTOCOL.questions[question].default_answer)
    assert said and "\n" not in said
    stance = caller_stance(call)
    if stance in (SELF, WITH):
        assert "can't tell from here" not in said and "see them well from here" not in said
    if question == "what_happened":
        assert said != "I told you everything I know."


@given(call=calls, question=st.sampled_from(FACT_QUESTIONS))
def test_a_fallback_never_states_a_fact_the_key_could_turn_on(call, question):
    """Whatever the key says, a fallback neither confirms nor rules anything out."""
    said = fallback_answer(question, call, PROTOCOL.questions[question].default_answer)
    assert HEDGE.search(said), said


@given(call=calls, question=st.sampled_from(list(PROTOCOL.questions)))
def test_a_fallback_uses_the_persons_pronoun(call, question):
    said = fallback_answer(question, call, PROTOCOL.questions[question].default_answer)
    pronoun = person_pronoun(call)
    others = {
        "he": r"\b(she|her|they|them|their|they're)\b",
        "she": r"\b(he|him|his|they|them|their|they're)\b",
    }
    if pronoun in others:
        assert not re.search(others[pronoun], said, re.IGNORECASE), (pronoun, said)


@given(call=calls)
def test_every_stance_has_a_fallback_for_every_catalogue_question(call):
    assert caller_stance(call) in STANCES
    for question in PROTOCOL.questions:
        assert fallback_answer(question, call, PROTOCOL.questions[question].default_answer)
    assert set(answerable(call)) <= set(PROTOCOL.questions)


def test_away_callers_never_claim_to_see():
    call = {"caller": {"role": "sister", "relation": "family"}, "opening": "I'm across town."}
    assert caller_stance(call) == AWAY
    for question in ("injuries", "medical", "description", "location_inside"):
        said = fallback_answer(question, call, NEUTRAL_ANSWER)
        assert re.search(r"not there|can't|not with|don't know", said), said
