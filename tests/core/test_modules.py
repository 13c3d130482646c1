"""Tests for the training-module loader and the knowledge-check scorer."""

from __future__ import annotations

import re
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.modules import (
    DEFAULT_ROOT,
    MAX_FILE_BYTES,
    MODULE_SLUGS,
    Module,
    ModuleFileError,
    Question,
    get_module,
    load_module,
    load_modules,
    quote_in_lesson,
    score_check,
)
from app.errors import NotFound, UserError

EXPECTED_SLUGS = list(MODULE_SLUGS)  # the one list of slugs (app.core.modules)

MODULES = load_modules()
QUESTIONS = [(m, q) for m in MODULES for q in m.questions]


def _qid(pair: tuple[Module, Question]) -> str:
    return f"{pair[0].slug}:{pair[1].id}"


# --- the shipped content --------------------------------------------------------------------


def test_the_eleven_slugs_exist_in_order():
    """MODULE_SLUGS, which scenarios and analytics use, names the module folders in order."""
    assert len(EXPECTED_SLUGS) == 11 and EXPECTED_SLUGS[0] == "community-responders"
    assert [m.slug for m in MODULES] == EXPECTED_SLUGS
    assert [m.order for m in MODULES] == list(range(1, 12))


@pytest.mark.parametrize("slug", EXPECTED_SLUGS)
def test_every_module_loads_by_slug(slug):
    module = get_module(slug)
    assert module.slug == slug
    assert module.title and module.summary
    assert 3 <= len(module.objectives) <= 5
    assert module.pass_mark == 80


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.slug)
def test_lesson_shape(module):
    text = module.lesson_markdown
    words = len(re.findall(r"[A-Za-z0-9][\w'’.%-]*", text))
    assert 600 <= words <= 1200, f"{module.slug}: {words} words"
    assert text.startswith("# ")
    assert re.search(r"^## Key points\s*$", text, re.MULTILINE)
    assert re.search(r"^## Sources\s*$", text, re.MULTILINE)
    assert re.search(r"^## Worked example", text, re.MULTILINE)
    # Sources come last, after the key points.
    assert text.index("## Key points") < text.index("## Sources")


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.slug)
def test_knowledge_check_shape(module):
    kinds = [q.kind for q in module.questions]
    assert len(kinds) >= 6
    assert kinds.count("scenario") >= 2
    assert set(kinds) <= {"multiple_choice", "scenario"}
    ids = [q.id for q in module.questions]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("pair", QUESTIONS, ids=_qid)
def test_question_is_well_formed_and_answerable_from_its_lesson(pair):
    module, q = pair
    assert 3 <= len(q.options) <= 5
    assert 0 <= q.correct < len(q.options)
    assert len({o.strip().lower() for o in q.options}) == len(q.options), "option texts repeat"
    assert q.explanation.strip()
    assert q.prompt.strip()
    assert len(q.lesson_quote.split()) >= 8
    # The quote must appear verbatim in THIS module's lesson (line wrapping aside).
    assert quote_in_lesson(q.lesson_quote, module.lesson_markdown)


def test_correct_answers_are_not_all_in_one_position():
    positions = {q.correct for _, q in QUESTIONS}
    assert len(positions) >= 3


def test_module_files_use_exactly_the_schema_keys():
    for slug in EXPECTED_SLUGS:
        raw = yaml.safe_load((DEFAULT_ROOT / slug / "module.yaml").read_text(encoding="utf-8"))
        assert set(raw) == {
            "slug",
            "title",
            "order",
            "minutes",
            "summary",
            "objectives",
            "knowledge_check",
        }
        assert set(raw["knowledge_check"]) == {"pass_mark", "questions"}


# --- scoring ---------------------------------------------------------------------------------


def _expected_score(right: int, total: int) -> int:
    exact = Fraction(100 * right, total)
    return int(exact + Fraction(1, 2))  # round half up


def test_all_correct_scores_100_and_passes():
    module = MODULES[0]
    result = score_check(module, {q.id: q.correct for q in module.questions})
    assert result.score == 100
    assert result.passed
    assert all(result.per_question.values())


def test_no_answers_scores_zero():
    module = MODULES[0]
    result = score_check(module, {})
    assert result.score == 0
    assert not result.passed
    assert set(result.per_question) == {q.id for q in module.questions}
    assert not any(result.per_question.values())


def test_bools_and_unknown_ids_are_not_answers():
    # True == 1 in Python; a bool must still not count as choosing option 1.
    qs = (Question("q1", "multiple_choice", "p", ("a", "b", "c"), 1, "e", "x"),)
    module = Module("m", "t", 1, 1, "s", ("o",), "x", qs)
    result = score_check(module, {"q1": True, "nope": 1})
    assert result.per_question == {"q1": False}
    assert score_check(module, {"q1": 1}).per_question == {"q1": True}


@st.composite
def module_and_answers(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    questions = []
    for i in range(n):
        n_options = draw(st.integers(min_value=3, max_value=5))
        questions.append(
            Question(
                id=f"q{i}",
                kind=draw(st.sampled_from(["multiple_choice", "scenario"])),
                prompt="p",
                options=tuple(f"option {j}" for j in range(n_options)),
                correct=draw(st.integers(min_value=0, max_value=n_options - 1)),
                explanation="e",
                lesson_quote="one two three four five six seven eight",
            )
        )
    module = Module(
        slug="m",
        title="t",
        order=1,
        minutes=1,
        summary="s",
        objectives=("o",),
        lesson_markdown="one two three four five six seven eight",
        questions=tuple(questions),
        pass_mark=draw(st.integers(min_value=0, max_value=100)),
    )
    answers = {
        q.id: draw(st.integers(min_value=-1, max_value=5)) for q in questions if draw(st.booleans())
    }
    return module, answers


@settings(max_examples=300, deadline=None)
@given(module_and_answers())
def test_score_is_rounded_share_correct_and_pass_follows_the_mark(data):
    module, answers = data
    result = score_check(module, answers)
    right = sum(1 for q in module.questions if answers.get(q.id) == q.correct)
    assert result.score == _expected_score(right, len(module.questions))
    assert 0 <= result.score <= 100
    assert result.passed == (result.score >= module.pass_mark)
    assert result.per_question == {q.id: answers.get(q.id) == q.correct for q in module.questions}


def test_half_scores_round_up():
    # 5 of 8 is 62.5 -> 63 (Python's round() would give 62).
    qs = tuple(
        Question(f"q{i}", "multiple_choice", "p", ("a", "b", "c"), 0, "e", "x") for i in range(8)
    )
    module = Module("m", "t", 1, 1, "s", ("o",), "x", qs, pass_mark=63)
    result = score_check(module, {f"q{i}": 0 for i in range(5)})
    assert result.score == 63
    assert result.passed


# --- malformed files --------------------------------------------------------------------------


@pytest.fixture
def module_copy(tmp_path: Path) -> Path:
    """A writable copy of one real module in a temporary root."""
    dest = tmp_path / "modules" / "disqualifiers"
    shutil.copytree(DEFAULT_ROOT / "disqualifiers", dest)
    return dest


def _edit(folder: Path, change) -> None:
    path = folder / "module.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_copy_loads_before_any_change(module_copy):
    assert load_module(module_copy).slug == "disqualifiers"
    assert [m.slug for m in load_modules(module_copy.parent)] == ["disqualifiers"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (lambda d: d.pop("summary"), "missing key 'summary'"),
        (lambda d: d.update(order="first"), "'order'"),
        (lambda d: d.update(order=True), "'order'"),
        (lambda d: d.update(slug="other-slug"), "does not match its folder"),
        (lambda d: d["knowledge_check"].update(pass_mark=101), "pass_mark"),
        (lambda d: d["knowledge_check"]["questions"][0].update(correct=7), "correct"),
        (lambda d: d["knowledge_check"]["questions"][0].update(kind="essay"), "kind"),
        (lambda d: d["knowledge_check"]["questions"][0].update(options=["a", "b"]), "options"),
        (lambda d: d["knowledge_check"]["questions"][0].update(options=["a", "a", "b"]), "repeat"),
        (lambda d: d["knowledge_check"]["questions"][0].update(explanation=""), "explanation"),
        (
            lambda d: d["knowledge_check"]["questions"][0].update(
                lesson_quote="this sentence is certainly not anywhere in the lesson text"
            ),
            "does not occur",
        ),
        (lambda d: d["knowledge_check"]["questions"][0].update(lesson_quote="too short"), "8"),
        (
            lambda d: d["knowledge_check"]["questions"][1].update(
                id=d["knowledge_check"]["questions"][0]["id"]
            ),
            "used twice",
        ),
        (lambda d: d["knowledge_check"]["questions"][0].pop("prompt"), "missing key 'prompt'"),
    ],
)
def test_malformed_module_names_the_file(module_copy, change, needle):
    _edit(module_copy, change)
    with pytest.raises(ModuleFileError) as info:
        load_module(module_copy)
    message = str(info.value)
    assert "module.yaml" in message
    assert needle in message
    assert "\n" not in message
    assert isinstance(info.value, UserError)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("slug: [unclosed\n", "invalid YAML"),
        ("- just\n- a list\n", "mapping"),
        ("a: &x [1]\n" + "".join(f"k{i}: *x\n" for i in range(60)), "too many aliases"),
        ("slug: !!python/object/apply:os.system ['true']\n", "is not allowed"),
        ("a: " + "[" * 50 + "]" * 50 + "\n", "nesting deeper than"),
        ("slug: a\nslug: b\n", "duplicate key 'slug'"),
    ],
)
def test_hostile_or_broken_yaml_is_refused(module_copy, text, needle):
    (module_copy / "module.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ModuleFileError) as info:
        load_module(module_copy)
    assert "module.yaml" in str(info.value)
    assert needle in str(info.value)


def test_a_schema_error_names_the_line(module_copy):
    text = (module_copy / "module.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("minutes:"))
    lines[number - 1] = "minutes: soon"
    (module_copy / "module.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ModuleFileError) as info:
        load_module(module_copy)
    assert str(info.value) == (
        f"{module_copy / 'module.yaml'}:{number}: 'minutes' must be a whole number from 1 to 240"
    )


def test_oversized_file_is_refused(module_copy):
    (module_copy / "module.yaml").write_text("#" * (MAX_FILE_BYTES + 1), encoding="utf-8")
    with pytest.raises(ModuleFileError, match="larger than"):
        load_module(module_copy)


def test_missing_lesson_names_the_lesson_file(module_copy):
    (module_copy / "lesson.md").unlink()
    with pytest.raises(ModuleFileError, match=r"lesson\.md: file is missing"):
        load_module(module_copy)


def test_non_utf8_file_is_refused(module_copy):
    (module_copy / "module.yaml").write_bytes(b"slug: \xff\xfe\n")
    with pytest.raises(ModuleFileError, match="UTF-8"):
        load_module(module_copy)


def test_duplicate_order_is_refused(module_copy):
    twin = module_copy.parent / "twin-module"
    shutil.copytree(module_copy, twin)
    _edit(twin, lambda d: d.update(slug="twin-module"))
    with pytest.raises(ModuleFileError, match="order 4"):
        load_modules(module_copy.parent)


def test_unknown_slug_is_not_found():
    with pytest.raises(NotFound):
        get_module("no-such-module")
    with pytest.raises(NotFound):
        get_module("../etc")


def test_missing_root_is_a_user_error(tmp_path):
    with pytest.raises(ModuleFileError, match="missing"):
        load_modules(tmp_path / "nowhere")
