"""The editor's form keeps the file as written (property tests over the real bank and any
title), and YAML syntax errors are said in plain words."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.yaml_safe import load_yaml
from app.core.yaml_words import plain_problem, problem_line
from app.services.authoring.form import apply_form, form_values
from tests.factories import ROOT

BANK = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml") if "templates" not in p.parts)


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


# Titles as trainers type them: any printable text on one line, colons, quotes and
# markup included (YAML must quote some of them).
titles = (
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Cf", "Co", "Cn")),
        min_size=1,
        max_size=80,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(BANK), title=titles)
def test_a_title_edit_changes_exactly_the_title_line(path: Path, title: str):
    text = path.read_text(encoding="utf-8")
    values = form_values(text)
    new = apply_form(text, {**values, "title": title})
    if title == values["title"]:
        assert new == text
        return
    diff = changed_lines(text, new)
    assert len(diff) == 2 and diff[0].startswith("-title:") and diff[1].startswith("+title:")
    assert load_yaml(new).value["title"] == title  # and it reads back as typed


@pytest.mark.parametrize("path", BANK[::10], ids=lambda p: p.stem)
def test_applying_the_form_unchanged_keeps_every_byte(path: Path):
    text = path.read_text(encoding="utf-8")
    assert apply_form(text, form_values(text)) == text


def test_comments_and_layout_of_a_hand_written_file_survive():
    text = (
        "# written by hand\n"
        'title:   "Old title"   # keep this note\n'
        "expert:\n"
        "    call_type: X   # the call type\n"
        "    required_questions: [a, b]\n"
        "    priority: 2\n"
        "call:\n"
        "    opening: >\n"
        "        hi there\n"
        "        friend\n"
    )
    new = apply_form(text, {"title": "New title", "priority": 3, "required_questions": ["a"]})
    assert new.splitlines()[0] == "# written by hand"
    assert "    call_type: X   # the call type" in new.splitlines()
    assert "    opening: >" in new and "        friend" in new
    assert len(changed_lines(text, new)) == 6  # title, questions, priority: 3 lines each way


RAW_WORDS = ("scanning", "simple key", "mapping values", "block end", "token", "flow node")


@given(st.text(max_size=200))
def test_messages_that_are_not_syntax_errors_are_kept(message: str):
    if not message.lower().startswith("invalid yaml"):
        assert plain_problem(message) == message


@pytest.mark.parametrize(
    "broken",
    [
        "title: a: b\n",
        "title: x\nmodule y\nid: 3\n",
        "tags: [a, b\n",
        'title: "open\n',
        "a:\n  b: 1\n c: 2\n",
        "title: *x\n",
        "a: {b: 1\n",
        "a:\n\t- b\n",
        "a: 'x' y\n",
    ],
)
def test_syntax_errors_are_in_plain_words_at_a_line(broken: str):
    from app.core.yaml_safe import YamlError

    with pytest.raises(YamlError) as caught:
        load_yaml(broken)
    said = plain_problem(caught.value.message)
    assert said.startswith("The file cannot be read here")
    assert not any(word in said.lower() for word in RAW_WORDS)
    line = problem_line(broken, caught.value.line, caught.value.message)
    assert 1 <= line <= broken.count("\n") + 1


def test_a_missing_colon_points_at_its_own_line():
    from app.core.yaml_safe import YamlError

    text = "title: x\nmodule y\nid: 3\n"
    with pytest.raises(YamlError) as caught:
        load_yaml(text)
    assert problem_line(text, caught.value.line, caught.value.message) == 2
