"""Generated calls hang together: zero coherence findings on 1,000 calls per seed."""

from __future__ import annotations

import dataclasses
import functools

import pytest

from app.core.bank_lint import LintItem, lint_bank, lint_coherence, lint_policy
from app.core.generator import generate
from app.core.generator.coherence import check_batch, summary
from app.core.protocol import load_protocol
from app.core.scenario import parse_scenario

PROTOCOL = load_protocol()


@functools.cache
def batch(seed: int, model: str = "call_center_led") -> tuple[LintItem, ...]:
    agency = dataclasses.replace(PROTOCOL, dispatch_model=model)
    items = []
    for scenario in generate(1000, seed, protocol=agency):
        name = f"generated(seed {seed})/{scenario.id}.yaml"
        data, problems = parse_scenario(scenario.yaml_text, name)
        assert data is not None and not [p for p in problems if p.is_error], problems
        items.append(LintItem(data, name, scenario.yaml_text))
    return tuple(items)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_thousand_generated_calls_have_no_coherence_or_policy_finding(seed):
    items = batch(seed)
    found = check_batch(items, PROTOCOL.dispatch_model) + lint_policy(items, PROTOCOL)
    assert [str(f) for f in found] == [], summary(found)


def test_a_hotline_agency_gets_calls_that_hang_together_too():
    items = batch(1, "external_hotline")
    assert any("hotline_open" in i.data["call"]["context"] for i in items)
    assert [str(f) for f in check_batch(items, "external_hotline")] == []


def test_the_same_seed_gives_the_same_calls():
    first = [(s.id, s.yaml_text) for s in generate(200, 3)]
    again = [(s.id, s.yaml_text) for s in generate(200, 3)]
    assert first == again
    assert first != [(s.id, s.yaml_text) for s in generate(200, 4)]


def _broken(item: LintItem) -> LintItem:
    data = dict(item.data)
    call = dict(data["call"], time="01:06", opening="Good morning. " + data["call"]["opening"])
    data["call"] = call
    return LintItem(data, item.file, item.text)


def test_bank_lint_checks_the_coherence_of_generated_calls_only():
    items = list(batch(2)[:20])
    assert lint_coherence(items, PROTOCOL) == []
    broken = _broken(items[0])
    messages = [f.message for f in lint_bank([broken, *items[1:]], PROTOCOL)]
    assert (
        "time: opening: 'Good morning' is a morning greeting, but the call comes in at 01:06"
        in messages
    )
    # The same words in a hand-written scenario (no "generated" tag) are the author's call.
    hand = dict(broken.data, tags=["hand-written"])
    assert lint_coherence([LintItem(hand, "x.yaml")], PROTOCOL) == []


def test_descriptions_vary_across_a_batch():
    descriptions = [
        e["answer"]
        for item in batch(1)
        for e in item.data["call"]["exchanges"]
        if e.get("ask") == "description"
    ]
    assert len(descriptions) > 500
    assert len(set(descriptions)) > 0.8 * len(descriptions)


def test_a_caller_tied_to_some_places_calls_from_one_of_them():
    from app.core.generator.templates import load_templates
    from app.core.generator.writer import draft_call

    tied = [(t, c) for t in load_templates() for c in t.callers if c.places]
    assert len(tied) >= 5
    templates = {t.id: t for t, _ in tied}
    for template in templates.values():
        for seed in range(60):
            draft = draft_call(template, seed)
            if draft.caller.places:
                assert draft.place.kind in draft.caller.places, (template.id, draft.caller.role)


def test_a_caller_place_that_does_not_exist_names_file_line_and_key(tmp_path):
    import shutil

    from app.core.generator.templates import TEMPLATE_DIR, TemplateError, load_templates

    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, folder)
    path = folder / "needle-park.yaml"
    text = path.read_text(encoding="utf-8").replace("places: [alley]", "places: [beach]")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError, match=r"^needle-park.yaml:\d+: callers\[1\]\.places: "):
        load_templates(folder)
