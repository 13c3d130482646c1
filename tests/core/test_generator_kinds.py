"""Kinds of call laid over generated calls: dropped and hung-up lines, texts, repeat
callers, callers who do not know where they are; and the mix that sets their shares."""

from __future__ import annotations

import functools
from collections import Counter

import pytest

from app.core.bank_lint import LintItem
from app.core.generator import MixError, generate
from app.core.generator.coherence import check_call, may_be_lost
from app.core.generator.kinds import KINDS, TEXT_TARGET_SECONDS
from app.core.scenario import parse_scenario


@functools.cache
def calls(seed: int = 5, mix: tuple = ()) -> tuple:
    return tuple(generate(1000, seed, mix=dict(mix) if mix else None))


def kind_of(scenario) -> str | None:
    found = [t.split(":", 1)[1] for t in scenario.data["tags"] if t.startswith("kind:")]
    return found[0] if found else None


def test_every_kind_is_in_a_thousand_default_calls_and_each_validates():
    counts = Counter(kind_of(s) for s in calls())
    assert all(counts[kind] >= 5 for kind in KINDS), counts
    assert counts[None] > 800
    for scenario in calls():
        if kind_of(scenario):
            data, problems = parse_scenario(scenario.yaml_text, f"{scenario.id}.yaml")
            assert data is not None and not [p for p in problems if p.is_error], problems


def test_a_dropped_or_hung_up_call_stops_mid_sentence_and_goes_on_when_called_back():
    for scenario in calls():
        kind = kind_of(scenario)
        if kind not in ("dropped", "hang_up"):
            continue
        call = scenario.data["call"]
        assert call["connection"] == kind
        assert call["opening"].endswith("—")
        said = call["opening"].rstrip("—")
        assert said in call["when_called_back"]["answer"]


def test_a_text_has_the_slower_time_target_and_no_spoken_words():
    texts = [s for s in calls() if kind_of(s) == "text"]
    assert texts
    for scenario in texts:
        assert scenario.data["call"]["medium"] == "text"
        assert scenario.data["expert"]["time_target_seconds"] >= TEXT_TARGET_SECONDS
        assert "I'm calling" not in scenario.yaml_text


def test_a_lost_caller_is_a_stranger_with_an_area_and_landmarks_not_a_street():
    lost = [s for s in calls() if kind_of(s) == "lost"]
    assert lost
    for scenario in lost:
        call = scenario.data["call"]
        assert call["caller"]["knows_location"] is False and may_be_lost(call["caller"])
        assert call["ali"].startswith("Wireless caller, within about ")
        street = call["ali"].rsplit(" of ", 1)[1].split(" and ")[0]
        address = next(e["answer"] for e in call["exchanges"] if e.get("ask") == "address")
        assert street not in address


def test_a_repeat_caller_has_earlier_calls_newest_first():
    repeats = [s for s in calls() if kind_of(s) == "repeat"]
    assert repeats
    for scenario in repeats:
        call = scenario.data["call"]
        assert "prior_calls" not in call["context"]
        assert 1 <= len(call["prior_calls"]) <= 4
        assert not scenario.data["expert"]["disqualifiers"]


def test_the_mix_sets_the_shares_of_the_kinds():
    none = calls(5, (("conflict", 1.0), ("kind:none", 1.0)))
    assert not any(kind_of(s) for s in none)
    dropped = calls(5, (("conflict", 1.0), ("kind:dropped", 1.0)))
    assert Counter(kind_of(s) for s in dropped)["dropped"] > 900
    # The words of a call are the same with or without a kind laid over them.
    plain = {s.id: s for s in none}
    for scenario in dropped[:50]:
        assert scenario.data["call"]["exchanges"] == plain[scenario.id].data["call"]["exchanges"]


@pytest.mark.parametrize(
    ("mix", "message"),
    [
        ({"conflict": 1, "language:fr": 0.2}, "the languages are es"),
        ({"conflict": 1, "language:es": 1.5}, "a language's share is from 0 to 1"),
        ({"conflict": 1, "kind:shouting": 0.2}, "the kinds are dropped, hang_up, text"),
        ({"conflict": 1, "kind:text": 2}, "a kind's share is from 0 to 1"),
        ({"conflict": 1, "kind:text": 0.6, "kind:lost": 0.6}, "add up to more than 1"),
        ({"kind:text": 0.5}, "at least one positive weight"),
    ],
)
def test_a_bad_kind_or_language_share_is_a_plain_error(mix, message):
    with pytest.raises(MixError, match=message):
        generate(3, 1, mix=mix)


def test_the_kind_rule_catches_a_lost_caller_naming_the_street_and_a_spoken_text():
    (scenario,) = [s for s in calls() if kind_of(s) == "lost"][:1]
    data = dict(scenario.data)
    call = dict(data["call"])
    street = call["ali"].rsplit(" of ", 1)[1].split(" and ")[0]
    call["opening"] = f"I'm on {street}. " + call["opening"]
    data["call"] = call
    messages = [f.message for f in check_call(LintItem(data, "x.yaml"), rules=["kind"])]
    assert messages == [f"kind: opening: a caller who does not know where they are names {street}"]
    text = dict(data, call=dict(scenario.data["call"], medium="text", opening="Hi, I'm calling."))
    messages = [f.message for f in check_call(LintItem(text, "x.yaml"), rules=["kind"])]
    assert "kind: opening: a text says 'I'm calling'" in messages


def test_the_mix_sets_the_share_of_callers_in_spanish():
    batch = calls(7, (("conflict", 3.0), ("welfare", 1.0), ("language:es", 0.25)))
    spanish = [s for s in batch if s.data["call"]["caller"].get("language") == "es"]
    assert 180 < len(spanish) < 320
    plain = calls(7, (("conflict", 3.0), ("welfare", 1.0)))
    assert sum(s.data["call"]["caller"].get("language") == "es" for s in plain) < 100


def test_a_spanish_call_speaks_spanish_until_the_interpreter_and_relays_english():
    batch = calls(7, (("conflict", 1.0), ("language:es", 0.5)))
    spanish = [s for s in batch if s.data["call"]["caller"].get("language") == "es"]
    assert spanish
    for scenario in spanish:
        call, expert = scenario.data["call"], scenario.data["expert"]
        assert "interpreter" in expert["required_questions"]
        assert any(e.get("ask") == "interpreter" for e in call["exchanges"])
        for exchange in call["exchanges"]:
            assert exchange["interpreted"] and exchange["answer"] != exchange["interpreted"]
        assert " || " not in scenario.yaml_text
        assert "connection" not in call and "medium" not in call  # no English kind laid over
        assert scenario.facts["identity"] == "latino"
        data, problems = parse_scenario(scenario.yaml_text, f"{scenario.id}.yaml")
        assert data is not None and not [p for p in problems if p.is_error], problems


def test_a_spanish_template_text_without_its_english_names_file_line_and_key(tmp_path):
    import shutil

    from app.core.generator.templates import TEMPLATE_DIR, TemplateError, load_templates

    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, folder)
    path = folder / "lift-assist-es.yaml"
    text = path.read_text(encoding="utf-8").replace(
        '"Por favor, ayúdenme. || Please help me."', '"Por favor, ayúdenme."'
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError, match=r"^lift-assist-es.yaml:\d+: opening\[4\]\[1\]: "):
        load_templates(folder)


def test_child_callers_and_callers_who_cannot_speak_freely():
    batch = calls(9, (("LIFT_ASSIST", 1.0), ("DOMESTIC_VIOLENCE", 1.0), ("kind:none", 1.0)))
    children = [s for s in batch if s.data["call"]["caller"].get("age") == "child"]
    guarded = [s for s in batch if s.data["call"]["caller"].get("can_speak_freely") is False]
    assert len(children) > 100 and len(guarded) > 100
    for scenario in guarded:
        assert scenario.data["expert"]["disqualifiers"]  # the threat is there, now
        for exchange in scenario.data["call"]["exchanges"]:
            assert len(exchange["answer"].split()) <= 15, exchange
    for scenario in children:
        assert "child-grandparent" in scenario.data["tags"]
        assert "I work here" not in scenario.yaml_text


def test_the_kind_rule_catches_a_long_guarded_answer_and_a_grown_up_child():
    (guarded,) = [
        s for s in calls(9, (("DOMESTIC_VIOLENCE", 1.0),)) if "guarded-domestic" in s.data["tags"]
    ][:1]
    data = dict(guarded.data)
    call = dict(data["call"])
    call["exchanges"] = [
        dict(
            e,
            answer="He came home drunk and started yelling and then he pushed me into the "
            "wall and now he is standing right here",
        )
        if e.get("ask") == "what_happened"
        else e
        for e in call["exchanges"]
    ]
    data["call"] = call
    messages = [f.message for f in check_call(LintItem(data, "x.yaml"), rules=["kind"])]
    assert messages == [
        "kind: what_happened: a caller who cannot speak freely says 22 words (at most 15)"
    ]
    child = dict(
        data, call=dict(call, caller={"role": "boy", "relation": "family", "age": "child"})
    )
    child["call"]["exchanges"] = [{"ask": "relationship", "answer": "She's my client."}]
    messages = [f.message for f in check_call(LintItem(child, "x.yaml"), rules=["kind"])]
    assert messages == ["kind: relationship: a child says 'my client'"]
