"""Training modules: a lesson plus a knowledge check, read from ``content/modules/<slug>/``.

Each module folder holds ``module.yaml`` (metadata and questions) and ``lesson.md``
(the lesson text in Markdown). This loader is pure: it reads files and returns
frozen dataclasses; it never imports streamlit or touches the database.

A malformed module raises :class:`ModuleFileError` (a :class:`UserError`) whose one-line
message names the file and the key at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.core.yaml_safe import MAX_BYTES, YamlFile, read_text_file, read_yaml_file
from app.errors import NotFound, UserError

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "content" / "modules"
# The training modules in teaching order: the one list of their slugs (a scenario names
# one as its ``module``). ``content/modules/<slug>/`` holds each; a test checks they agree.
MODULE_SLUGS = (
    "community-responders",
    "dispatch-models",
    "eligible-call-types",
    "disqualifiers",
    "real-time-screening",
    "crime-is-not-a-disqualifier",
    "conflict-calls",
    "transfers-and-handoffs",
    "tandem-and-referrals",
    "hesitancy-and-over-policing",
    "call-taker-skills",
)
MODULE_FILE = "module.yaml"
LESSON_FILE = "lesson.md"

QUESTION_KINDS = ("multiple_choice", "scenario")
MAX_FILE_BYTES = MAX_BYTES  # per file (read through app.core.yaml_safe)
MIN_OPTIONS, MAX_OPTIONS = 3, 5
MIN_QUOTE_WORDS = 8
DEFAULT_PASS_MARK = 80

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOP_KEYS = {"slug", "title", "order", "minutes", "summary", "objectives", "knowledge_check"}
_CHECK_KEYS = {"pass_mark", "questions"}
_QUESTION_KEYS = {
    "id",
    "kind",
    "prompt",
    "options",
    "correct",
    "explanation",
    "lesson_quote",
}


class ModuleFileError(UserError):
    """A module file is missing, unreadable or does not follow the module schema."""


@dataclass(frozen=True)
class Question:
    """One knowledge-check question; ``correct`` indexes ``options``."""

    id: str
    kind: str
    prompt: str
    options: tuple[str, ...]
    correct: int
    explanation: str
    lesson_quote: str


@dataclass(frozen=True)
class Module:
    """A training module: metadata, the lesson's Markdown and its knowledge check."""

    slug: str
    title: str
    order: int
    minutes: int
    summary: str
    objectives: tuple[str, ...]
    lesson_markdown: str
    questions: tuple[Question, ...]
    pass_mark: int = DEFAULT_PASS_MARK


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a knowledge check: score 0..100, pass flag, and per-question results."""

    score: int
    passed: bool
    per_question: dict[str, bool]


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace to one space (Markdown line wraps carry no meaning)."""
    return " ".join(text.split())


def quote_in_lesson(quote: str, lesson_markdown: str) -> bool:
    """True when ``quote`` occurs verbatim in the lesson, ignoring line wrapping."""
    return normalize_space(quote) in normalize_space(lesson_markdown)


# --- reading files -----------------------------------------------------------------------


def _read_text(path: Path) -> str:
    return read_text_file(path, ModuleFileError)


def _load_yaml(path: Path) -> YamlFile:
    src = read_yaml_file(path, ModuleFileError)
    if not isinstance(src.value, dict):
        raise src.fail((), "expected a mapping of keys at the top level")
    return src


# --- validation ----------------------------------------------------------------------------


def _check_keys(data: dict, allowed: set[str], key: str, src: YamlFile) -> None:
    where = f"{key}: " if key else ""
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        at = f"{key}.{unknown[0]}" if key else unknown[0]
        raise src.fail(at, f"{where}unknown key '{unknown[0]}'")
    missing = sorted(k for k in allowed if k not in data)
    if missing:
        raise src.fail(key, f"{where}missing key '{missing[0]}'")


def _text(value: object, key: str, src: YamlFile) -> str:
    if not isinstance(value, str) or not value.strip():
        raise src.fail(key, f"'{key}' must be non-empty text")
    return value.strip()


def _int(value: object, key: str, src: YamlFile, low: int, high: int) -> int:
    # bool is an int subclass; `true` is never a valid number here.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise src.fail(key, f"'{key}' must be a whole number from {low} to {high}")
    return value


def _text_list(value: object, key: str, src: YamlFile) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise src.fail(key, f"'{key}' must be a non-empty list")
    return tuple(_text(item, f"{key}[{i}]", src) for i, item in enumerate(value))


def _parse_question(raw: object, index: int, lesson: str, src: YamlFile) -> Question:
    where = f"knowledge_check.questions[{index}]"
    if not isinstance(raw, dict):
        raise src.fail(where, f"{where} must be a mapping")
    _check_keys(raw, _QUESTION_KEYS, where, src)
    qid = _text(raw["id"], f"{where}.id", src)
    kind = _text(raw["kind"], f"{where}.kind", src)
    if kind not in QUESTION_KINDS:
        raise src.fail(
            f"{where}.kind",
            f"{where}.kind must be one of {', '.join(QUESTION_KINDS)}, not '{kind}'",
        )
    options = _text_list(raw["options"], f"{where}.options", src)
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise src.fail(
            f"{where}.options",
            f"{where}.options must have {MIN_OPTIONS} to {MAX_OPTIONS} entries",
        )
    if len(set(options)) != len(options):
        raise src.fail(f"{where}.options", f"{where}.options repeat the same text")
    correct = _int(raw["correct"], f"{where}.correct", src, 0, len(options) - 1)
    quote = _text(raw["lesson_quote"], f"{where}.lesson_quote", src)
    if len(quote.split()) < MIN_QUOTE_WORDS:
        raise src.fail(
            f"{where}.lesson_quote",
            f"{where}.lesson_quote must be at least {MIN_QUOTE_WORDS} words",
        )
    if not quote_in_lesson(quote, lesson):
        raise src.fail(
            f"{where}.lesson_quote", f"{where}.lesson_quote does not occur in {LESSON_FILE}"
        )
    return Question(
        id=qid,
        kind=kind,
        prompt=_text(raw["prompt"], f"{where}.prompt", src),
        options=options,
        correct=correct,
        explanation=_text(raw["explanation"], f"{where}.explanation", src),
        lesson_quote=quote,
    )


def load_module(folder: Path) -> Module:
    """Read and validate one module folder (``module.yaml`` + ``lesson.md``)."""
    folder = Path(folder)
    src = _load_yaml(folder / MODULE_FILE)
    data = src.value
    _check_keys(data, _TOP_KEYS, "", src)

    slug = _text(data["slug"], "slug", src)
    if not _SLUG_RE.match(slug):
        raise src.fail("slug", "'slug' must be lower-case words joined by '-'")
    if slug != folder.name:
        raise src.fail("slug", f"slug '{slug}' does not match its folder '{folder.name}'")

    lesson_path = folder / LESSON_FILE
    lesson = _read_text(lesson_path)
    if not lesson.strip():
        raise ModuleFileError(f"{lesson_path}: the lesson is empty")

    check = data["knowledge_check"]
    if not isinstance(check, dict):
        raise src.fail("knowledge_check", "'knowledge_check' must be a mapping")
    _check_keys(check, _CHECK_KEYS, "knowledge_check", src)
    pass_mark = _int(check["pass_mark"], "knowledge_check.pass_mark", src, 0, 100)
    raw_questions = check["questions"]
    if not isinstance(raw_questions, list) or not raw_questions:
        raise src.fail(
            "knowledge_check.questions", "'knowledge_check.questions' must be a non-empty list"
        )
    questions = tuple(_parse_question(raw, i, lesson, src) for i, raw in enumerate(raw_questions))
    seen: set[str] = set()
    for index, question in enumerate(questions):
        if question.id in seen:
            raise src.fail(
                f"knowledge_check.questions[{index}].id",
                f"question id '{question.id}' is used twice",
            )
        seen.add(question.id)

    return Module(
        slug=slug,
        title=_text(data["title"], "title", src),
        order=_int(data["order"], "order", src, 1, 999),
        minutes=_int(data["minutes"], "minutes", src, 1, 240),
        summary=_text(data["summary"], "summary", src),
        objectives=_text_list(data["objectives"], "objectives", src),
        lesson_markdown=lesson,
        questions=questions,
        pass_mark=pass_mark,
    )


def load_modules(root: Path | str | None = None) -> list[Module]:
    """Every module under ``root`` (default ``content/modules``), sorted by ``order``."""
    base = Path(root) if root is not None else DEFAULT_ROOT
    if not base.is_dir():
        raise ModuleFileError(f"{base}: module folder is missing")
    folders = [f for f in sorted(base.iterdir()) if f.is_dir() and not f.name.startswith(".")]
    modules = [load_module(folder) for folder in folders]
    seen: dict[int, str] = {}
    for module in modules:
        if module.order in seen:
            raise ModuleFileError(
                f"{base / module.slug / MODULE_FILE}: order {module.order} "
                f"is also used by '{seen[module.order]}'"
            )
        seen[module.order] = module.slug
    return sorted(modules, key=lambda m: m.order)


def get_module(slug: str, root: Path | str | None = None) -> Module:
    """The module with this slug; :class:`NotFound` when there is none."""
    base = Path(root) if root is not None else DEFAULT_ROOT
    if not isinstance(slug, str) or not _SLUG_RE.match(slug):
        raise NotFound(f"no module named '{slug}'")
    folder = base / slug
    if not folder.is_dir():
        raise NotFound(f"no module named '{slug}'")
    return load_module(folder)


def score_check(module: Module, answers: dict[str, int]) -> CheckResult:
    """Grade a knowledge check. Unanswered or unknown answers count as wrong.

    ``score`` is ``100 * correct / total`` rounded half up; ``passed`` iff score >= pass mark.
    """
    per_question = {
        q.id: (
            not isinstance(answers.get(q.id), bool)
            and isinstance(answers.get(q.id), int)
            and answers[q.id] == q.correct
        )
        for q in module.questions
    }
    total = len(module.questions)
    right = sum(per_question.values())
    # Integer arithmetic: round half up without float error (e.g. 5/8 -> 63).
    score = (200 * right + total) // (2 * total) if total else 0
    return CheckResult(score=score, passed=score >= module.pass_mark, per_question=per_question)
