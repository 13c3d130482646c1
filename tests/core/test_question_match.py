"""The typed-question matcher: quality on the project's own typed-question set, and its rules.

tests/fixtures/typed_questions.yaml holds questions as trainees type them, written
apart from the protocol's phrasings (a test below checks that none of them is one).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.protocol import QUESTION_IDS, ProtocolError, load_protocol
from app.core.question_match import (
    MAX_CHARS,
    NOT_QUESTIONS,
    Match,
    QuestionTextError,
    bench_p95_ms,
    index_for,
    match_question,
    normalise,
    scenario_questions,
)
from app.core.scenario import parse_scenario
from app.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
TYPED = yaml.safe_load((ROOT / "tests" / "fixtures" / "typed_questions.yaml").read_text("utf-8"))
SAMPLE = ROOT / "tests" / "fixtures" / "spec_sample.yaml"
OWN = tuple(TYPED["scenario"]["questions"].items())


def labelled() -> list[tuple[str, str]]:
    return [(qid, str(text)) for qid, texts in TYPED["questions"].items() for text in texts]


def non_questions() -> list[str]:
    return [str(text) for text in TYPED["non_questions"]]


def share_right(pairs, scenario=()) -> tuple[float, list]:
    protocol = load_protocol()
    wrong = []
    for expected, text in pairs:
        got = match_question(text, protocol, scenario).question
        if got != expected:
            wrong.append((text, expected, got))
    return 1 - len(wrong) / len(pairs), wrong


# ----------------------------------------------------------------------------- the set


def test_the_typed_set_is_large_enough_and_covers_every_question():
    pairs = labelled()
    assert len(pairs) >= 300
    assert set(TYPED["questions"]) == set(QUESTION_IDS)
    assert all(len(texts) >= 15 for texts in TYPED["questions"].values())
    assert len(non_questions()) >= 80


def test_the_typed_set_is_kept_apart_from_what_the_matcher_knows():
    known = {normalise(q.text) for q in load_protocol().questions.values()}
    known |= {normalise(p) for q in load_protocol().questions.values() for p in q.phrasings}
    known |= {normalise(p) for p in NOT_QUESTIONS}
    typed = [text for _, text in labelled()] + non_questions()
    overlap = sorted({text for text in typed if normalise(text) in known})
    assert overlap == []


def test_every_default_question_has_10_to_25_phrasings():
    for question in load_protocol().questions.values():
        assert 10 <= len(question.phrasings) <= 25, question.id
        assert len(set(question.phrasings)) == len(question.phrasings)


# ----------------------------------------------------------------------------- quality


def test_at_least_95_percent_of_typed_questions_match_the_right_question():
    share, wrong = share_right(labelled())
    print(f"\ntyped questions matched right: {share:.1%} of {len(labelled())}")
    for text, expected, got in wrong:
        print(f"  {text!r}: expected {expected}, got {got}")
    assert share >= 0.95


def test_at_least_90_percent_of_non_questions_are_left_unmatched():
    protocol = load_protocol()
    matched = [(t, match_question(t, protocol).question) for t in non_questions()]
    wrong = [(t, q) for t, q in matched if q is not None]
    share = 1 - len(wrong) / len(matched)
    print(f"\nnon-questions left unmatched: {share:.1%} of {len(matched)}")
    for text, got in wrong:
        print(f"  {text!r}: got {got}")
    assert share >= 0.90


def test_a_scenarios_own_questions_match_and_the_catalogue_still_does():
    own_pairs = [
        (qid, str(text)) for qid, texts in TYPED["scenario"]["typed"].items() for text in texts
    ]
    share, wrong = share_right(own_pairs, OWN)
    assert share == 1.0, wrong
    share, wrong = share_right(labelled(), OWN)  # the own questions take nothing away
    assert share >= 0.95, wrong


def test_own_questions_only_count_when_given():
    text = "how long has he been sitting there"
    assert match_question(text, load_protocol(), OWN).question == "how_long"
    assert match_question(text, load_protocol()).question != "how_long"


def test_the_scenario_files_own_questions_are_found():
    scenario, problems = parse_scenario(SAMPLE.read_text("utf-8"), str(SAMPLE))
    assert scenario is not None, problems
    own = scenario_questions(scenario)
    assert own == [("how_long", "How long has he been there?")]
    assert match_question("how long's he been in the doorway", None, own).question == "how_long"
    assert scenario_questions(None) == [] and scenario_questions({"call": {}}) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IS HE ARMED???", "weapons"),
        ("does he hav a wepon", "weapons"),
        ("Sir, what is your address?", "address"),
        ("can i have ur phone #", "callback"),
        ("is the gentleman breathing", "medical"),
        ("ok", None),
        ("uh huh", None),
        ("?", None),
        ("1234 5678", None),
        ("🙂", None),
    ],
)
def test_examples(text, expected):
    assert match_question(text).question == expected


# ----------------------------------------------------------------------------- rules


@pytest.mark.parametrize("text", ["", " ", "\n\t  ", "x" * (MAX_CHARS + 1), "a" * 10_000])
def test_empty_or_too_long_text_is_a_clear_one_line_error(text):
    with pytest.raises(QuestionTextError) as caught:
        match_question(text)
    assert isinstance(caught.value, UserError)
    message = str(caught.value)
    assert "\n" not in message and ("empty" in message or f"at most {MAX_CHARS}" in message)


def test_text_of_exactly_the_limit_is_matched():
    text = ("is anyone hurt " * 40)[:MAX_CHARS]
    assert len(text) == MAX_CHARS
    assert match_question(text).question == "injuries"


def test_the_index_is_built_once_per_protocol():
    protocol = load_protocol()
    assert index_for(protocol) is index_for(protocol)
    overrides = {"questions": {"weapons": {"phrasings": ["is he packing"]}}}
    first, second = load_protocol(overrides), load_protocol(overrides)
    assert first is not second and index_for(first) is index_for(second)
    assert index_for(first) is not index_for(protocol)


# ----------------------------------------------------------------------------- agencies


def test_an_agencys_phrasings_make_a_new_wording_match():
    wording = "is he packing"
    assert match_question(wording, load_protocol()).question != "weapons"
    agency = load_protocol({"questions": {"weapons": {"phrasings": [wording.upper() + "?"]}}})
    default = load_protocol().questions["weapons"].phrasings
    # added to the default ones, which stay
    assert agency.questions["weapons"].phrasings == (*default, "IS HE PACKING?")
    assert match_question(wording, agency).question == "weapons"
    assert match_question("is anyone hurt", agency).question == "injuries"


def test_an_agencys_new_question_matches_by_its_phrasings():
    agency = load_protocol(
        {"questions": {"pets": {"text": "Are there animals?", "phrasings": ["any dogs or cats"]}}}
    )
    assert match_question("are there any dogs in there", agency).question == "pets"
    assert "pets" not in load_protocol().questions


@pytest.mark.parametrize(
    ("phrasings", "message"),
    [
        ("any dogs", "phrasings must be a list of text"),
        ([""], "phrasings item 1 must be non-empty text"),
        (["ok", 3], "phrasings item 2 must be non-empty text"),
        (["x" * 201], "item 1 is longer than 200 characters"),
        ([f"dog {i}" for i in range(200)], "at most 200 phrasings"),
    ],
)
def test_bad_phrasings_are_one_line_protocol_errors(phrasings, message):
    with pytest.raises(ProtocolError) as caught:
        load_protocol({"questions": {"weapons": {"phrasings": phrasings}}})
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert "questions.weapons.phrasings" in str(caught.value)


def test_repeated_phrasings_are_kept_once():
    extra = ["Any  weapons", "is he packing", "IS HE PACKING"]
    agency = load_protocol({"questions": {"weapons": {"phrasings": extra}}})
    default = load_protocol().questions["weapons"].phrasings
    assert "any weapons" in default
    assert agency.questions["weapons"].phrasings == (*default, "is he packing")


# ----------------------------------------------------------------------------- properties

ANY_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=MAX_CHARS
).filter(lambda t: t.strip())
OWN_QUESTIONS = st.lists(
    st.tuples(st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), st.text(max_size=80)),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT, own=OWN_QUESTIONS)
def test_any_text_gets_an_answer_and_a_score_between_0_and_1(text, own):
    result = match_question(text, load_protocol(), own)
    assert isinstance(result, Match)
    assert 0.0 <= result.score <= 1.0
    assert result.question is None or result.question in set(QUESTION_IDS) | {q for q, _ in own}


@settings(max_examples=100, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["is", "he", "armed", "ok", "the", "where", "?", "knife", "hold", "on"]),
        min_size=1,
        max_size=30,
    )
)
def test_word_salad_never_crashes(words):
    result = match_question(" ".join(words))
    assert 0.0 <= result.score <= 1.0


def test_the_bench_figure_is_a_time_in_milliseconds():
    value = bench_p95_ms(40)
    print(f"\nquestion_match_p95_ms: {value:.3f}")
    assert value > 0
