"""Lessons service: modules with progress, mark read, knowledge check (both backends)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.core import modules as core_modules
from app.errors import AccessDenied, NotFound
from app.services import lessons
from app.store.db import read_session
from app.store.models import LessonProgress

LESSON = """# Test lesson

A call taker screens every call for the four disqualifiers before sending a team.
Trespass alone is not a reason to send police instead of the community team.
"""

MODULE_YAML = """\
slug: {slug}
title: {title}
order: {order}
minutes: 5
summary: A short module for tests.
objectives: [Know the four disqualifiers]
knowledge_check:
  pass_mark: 50
  questions:
    - id: q1
      kind: multiple_choice
      prompt: How many disqualifiers are there?
      options: ["Two", "Four", "Six"]
      correct: 1
      explanation: There are four.
      lesson_quote: A call taker screens every call for the four disqualifiers
    - id: q2
      kind: multiple_choice
      prompt: Is trespass alone a disqualifier?
      options: ["Yes", "No", "Only at night"]
      correct: 1
      explanation: A crime alone is not a disqualifier.
      lesson_quote: Trespass alone is not a reason to send police
"""


@pytest.fixture
def content(tmp_path, monkeypatch):
    root = tmp_path / "modules"
    for order, slug in enumerate(("alpha-module", "beta-module"), start=1):
        folder = root / slug
        folder.mkdir(parents=True)
        (folder / "module.yaml").write_text(
            MODULE_YAML.format(slug=slug, title=slug.title(), order=order), encoding="utf-8"
        )
        (folder / "lesson.md").write_text(LESSON, encoding="utf-8")
    broken = root / "broken-module"
    broken.mkdir()
    (broken / "lesson.md").write_text("no module.yaml here", encoding="utf-8")
    monkeypatch.setattr(core_modules, "DEFAULT_ROOT", root)
    lessons.clear_cache()
    yield root
    lessons.clear_cache()


def test_modules_listed_in_order_and_a_broken_one_left_out(content, database, world):
    listed = lessons.list_modules(actor=world["trainee-a"])
    assert [m["slug"] for m in listed] == ["alpha-module", "beta-module"]
    assert not any(m["read"] or m["check_passed"] for m in listed)


def test_lesson_has_no_answers(content, database, world):
    lesson = lessons.get_lesson(actor=world["trainee-a"], slug="alpha-module")
    assert lesson["markdown"].startswith("# Test lesson")
    assert lesson["questions"][0]["options"] == ["Two", "Four", "Six"]
    assert "correct" not in lesson["questions"][0]
    assert "explanation" not in lesson["questions"][0]
    with pytest.raises(NotFound):
        lessons.get_lesson(actor=world["trainee-a"], slug="../etc")


def test_read_and_check_progress_is_stored_best_score_kept(content, database, world):
    t = world["trainee-a"]
    lessons.mark_read(actor=t, slug="alpha-module")
    lessons.mark_read(actor=t, slug="alpha-module")  # idempotent
    result = lessons.submit_check(actor=t, slug="alpha-module", answers={"q1": 1, "q2": 1})
    assert result["score"] == 100 and result["passed"]
    worse = lessons.submit_check(actor=t, slug="alpha-module", answers={"q1": 0, "q2": True})
    assert worse["score"] == 0 and not worse["passed"]
    assert worse["best_score"] == 100 and worse["ever_passed"]
    assert worse["results"][0]["right_option"] == "Four"
    listed = {m["slug"]: m for m in lessons.list_modules(actor=t)}
    assert listed["alpha-module"]["read"] and listed["alpha-module"]["check_passed"]
    assert listed["alpha-module"]["check_score"] == 100
    assert not listed["beta-module"]["read"]
    with read_session() as session:
        rows = session.exec(select(LessonProgress).where(LessonProgress.user_id == t.user_id)).all()
    assert len(rows) == 1
    # Someone else's progress is their own.
    other = {m["slug"]: m for m in lessons.list_modules(actor=world["trainee-b"])}
    assert not other["alpha-module"]["read"]


def test_staff_may_read_lessons_but_admins_may_not(content, database, world):
    assert lessons.list_modules(actor=world["trainer-a"])
    lessons.mark_read(actor=world["supervisor-a"], slug="beta-module")
    with pytest.raises(AccessDenied):
        lessons.list_modules(actor=world["admin-a"])
    with pytest.raises(AccessDenied):
        lessons.submit_check(actor=world["admin-a"], slug="alpha-module", answers={})


def test_progress_feeds_the_next_step(content, database, world):
    from app.services import practice

    t = world["trainee-a"]
    step = practice.my_progress(actor=t)["next_step"]
    assert step == {
        "kind": "lesson",
        "module": "alpha-module",
        "text": "Read the lesson “Alpha-Module”.",
    }
    lessons.mark_read(actor=t, slug="alpha-module")
    assert practice.my_progress(actor=t)["next_step"]["kind"] == "check"
    for slug in ("alpha-module", "beta-module"):
        lessons.mark_read(actor=t, slug=slug)
        lessons.submit_check(actor=t, slug=slug, answers={"q1": 1, "q2": 1})
    progress = practice.my_progress(actor=t)
    assert progress["modules_passed"] == 2 and progress["readiness"] == 0.5
    assert progress["next_step"]["kind"] == "practice"
