"""Lessons: the training modules with each user's progress (read, knowledge check).

Module content comes from ``content/modules`` through :mod:`app.core.modules` and is
cached in the process (it only changes with a deployment). Progress is one
``LessonProgress`` row per user and module.

While a trainee's exam is open, a lesson's text, marking it read and its knowledge check
are refused (:class:`app.services.exam_lock.ExamInProgress`); the list of modules with
the trainee's progress stays readable for "My training" and the exam page.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping
from typing import TypedDict

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.core import modules as core_modules
from app.errors import NotFound, UserError
from app.services.access import Actor, require
from app.services.exam_lock import refuse_during_exam
from app.store.db import read_session, write_session
from app.store.models import LessonProgress, utcnow

log = logging.getLogger(__name__)
CACHE_SECONDS = 300
_cache: dict[str, tuple[float, list[core_modules.Module]]] = {}
_lock = threading.Lock()


def all_modules() -> list[core_modules.Module]:
    """Every module in order (cached for a few minutes)."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get("modules")
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    loaded = _load_all()
    with _lock:
        _cache["modules"] = (now, loaded)
    return loaded


def _load_all() -> list[core_modules.Module]:
    """Every readable module; a broken one is logged and left out, not fatal for the rest."""
    root = core_modules.DEFAULT_ROOT
    if not root.is_dir():
        log.error("module folder %s is missing", root)
        return []
    loaded = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            loaded.append(core_modules.load_module(folder))
        except core_modules.ModuleFileError as exc:
            log.error("module left out: %s", exc)
    return sorted(loaded, key=lambda m: (m.order, m.slug))


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _module(slug: str) -> core_modules.Module:
    for module in all_modules():
        if module.slug == slug:
            return module
    raise NotFound(f"There is no lesson '{slug}'.")


def _closed_during_exam(actor: Actor) -> None:
    with read_session() as session:
        refuse_during_exam(session, actor)


def _progress_rows(actor: Actor) -> dict[str, LessonProgress]:
    with read_session() as session:
        rows = session.exec(
            select(LessonProgress)
            .where(LessonProgress.user_id == actor.user_id)
            .where(LessonProgress.agency_id == actor.agency_id)
        ).all()
    return {row.module: row for row in rows}


class Progress(TypedDict):
    """The actor's progress in one module (all empty before the first visit)."""

    read: bool
    read_at: dt.datetime | None  # the first time it was marked read
    check_score: int | None  # best knowledge-check score, 0-100; None: never taken
    check_passed: bool  # passed at least once


def _progress_dict(row: LessonProgress | None) -> Progress:
    return Progress(
        read=bool(row and row.lesson_read_at),
        read_at=row.lesson_read_at if row else None,
        check_score=row.check_score if row else None,
        check_passed=bool(row and row.check_passed),
    )


class ModuleSummary(Progress):
    """One module in the list, with the actor's progress."""

    slug: str
    title: str
    order: int
    minutes: int  # reading time
    summary: str
    questions: int  # how many knowledge-check questions
    pass_mark: int  # percent


def list_modules(*, actor: Actor) -> list[ModuleSummary]:
    """Every module in order with the actor's progress."""
    require(actor, "lessons")
    progress = _progress_rows(actor)
    summaries: list[ModuleSummary] = [
        {
            "slug": m.slug,
            "title": m.title,
            "order": m.order,
            "minutes": m.minutes,
            "summary": m.summary,
            "questions": len(m.questions),
            "pass_mark": m.pass_mark,
            **_progress_dict(progress.get(m.slug)),
        }
        for m in all_modules()
    ]
    return summaries


class CheckQuestion(TypedDict):
    """A knowledge-check question as shown to the trainee (the right answer left out)."""

    id: str
    kind: str
    prompt: str
    options: list[str]


class Lesson(Progress):
    """One lesson to read, with its knowledge check and the actor's progress."""

    slug: str
    title: str
    minutes: int  # reading time
    summary: str
    objectives: list[str]
    markdown: str  # the lesson text
    pass_mark: int  # percent
    questions: list[CheckQuestion]


def get_lesson(*, actor: Actor, slug: str) -> Lesson:
    """One lesson: its Markdown and its knowledge check (without the answers)."""
    require(actor, "lessons")
    _closed_during_exam(actor)
    module = _module(slug)
    row = _progress_rows(actor).get(slug)
    lesson: Lesson = {
        "slug": module.slug,
        "title": module.title,
        "minutes": module.minutes,
        "summary": module.summary,
        "objectives": list(module.objectives),
        "markdown": module.lesson_markdown,
        "pass_mark": module.pass_mark,
        "questions": [
            CheckQuestion(id=q.id, kind=q.kind, prompt=q.prompt, options=list(q.options))
            for q in module.questions
        ],
        **_progress_dict(row),
    }
    return lesson


def _upsert(actor: Actor, slug: str, change) -> LessonProgress:
    """Apply ``change(row)`` to the actor's progress row, creating it when missing.

    Two first writes at once (two tabs) may both try to insert; the loser retries
    and updates the winner's row.
    """
    for attempt in range(2):
        try:
            with write_session() as session:
                row = session.exec(
                    select(LessonProgress)
                    .where(LessonProgress.user_id == actor.user_id)
                    .where(LessonProgress.module == slug)
                    .with_for_update()
                ).first()
                if row is None:
                    row = LessonProgress(
                        agency_id=actor.agency_id, user_id=actor.user_id, module=slug
                    )
                change(row)
                row.updated_at = utcnow()
                session.add(row)
                session.flush()
                return row
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def mark_read(*, actor: Actor, slug: str) -> Progress:
    """Record that the actor has read the lesson (the first time counts)."""
    require(actor, "lessons")
    _closed_during_exam(actor)
    _module(slug)

    def change(row: LessonProgress) -> None:
        row.lesson_read_at = row.lesson_read_at or utcnow()

    return _progress_dict(_upsert(actor, slug, change))


class QuestionResult(TypedDict):
    """How one question of a knowledge check went."""

    id: str
    prompt: str
    correct: bool
    chosen: int | None  # index of the option chosen; None: not answered (or not an int)
    right_option: str  # the text of the right option
    explanation: str


class CheckOutcome(TypedDict):
    """A scored knowledge check."""

    score: int  # this try, 0-100
    passed: bool  # this try
    best_score: int | None  # best of all tries (stored); set once a check is scored
    ever_passed: bool
    pass_mark: int  # percent
    results: list[QuestionResult]


def submit_check(*, actor: Actor, slug: str, answers: Mapping[str, object]) -> CheckOutcome:
    """Score the knowledge check and store the best result, with how each question went."""
    require(actor, "lessons")
    _closed_during_exam(actor)
    module = _module(slug)
    if not isinstance(answers, Mapping):
        raise UserError("The answers are not readable.")
    clean = {
        str(k): v for k, v in answers.items() if isinstance(v, int) and not isinstance(v, bool)
    }
    result = core_modules.score_check(module, clean)

    def change(row: LessonProgress) -> None:
        if row.check_score is None or result.score > row.check_score:
            row.check_score = result.score
        row.check_passed = bool(row.check_passed or result.passed)

    row = _upsert(actor, slug, change)
    return CheckOutcome(
        score=result.score,
        passed=result.passed,
        best_score=row.check_score,
        ever_passed=row.check_passed,
        pass_mark=module.pass_mark,
        results=[
            QuestionResult(
                id=q.id,
                prompt=q.prompt,
                correct=result.per_question[q.id],
                chosen=clean.get(q.id),
                right_option=q.options[q.correct],
                explanation=q.explanation,
            )
            for q in module.questions
        ],
    )
