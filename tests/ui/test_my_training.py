"""My training, the exam page and the lessons page tell one story (issue 18).

- After every lesson and enough practice: an exam button, never "Next: read the lesson".
- Counts never pass their target ("20 of 20", not "23 of 20").
- No lesson done: no exam step and no readiness percentage.
- One average, with what it is the average of.
- A knowledge check shows what the trainee chose and leads on to the next lesson.
- Starting the exam asks first.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.services import certification, lessons
from tests.factories import ROOT
from tests.services.test_certification_support import (
    build_bank,
    pass_all_lessons,
    practice_ids,
    practise,
)
from tests.services.test_practice_lessons import content  # noqa: F401  (fixture)

PAGES = ROOT / "app" / "app_pages"


def _run(page: str, actor) -> AppTest:
    at = AppTest.from_file(str(PAGES / page), default_timeout=60)
    at.session_state["user_id"] = actor.user_id
    return at.run()


def _texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [p.proto.text for p in at.get("progress")]
    parts += [str(m.proto.help) for m in at.metric]
    return "\n".join(parts).replace("\\", "")


def _buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def test_ready_trainee_gets_the_exam_button_and_capped_counts(sqlite_db, world):
    trainee = world["trainee-a"]
    ids = build_bank(world.agencies["a"])
    pass_all_lessons(trainee)
    practise(trainee, practice_ids(ids, 23))  # three beyond the target of 20

    at = _run("trainee_home.py", trainee)

    assert not at.exception, at.exception
    text = _texts(at)
    assert "You are ready: take the certification exam." in text
    assert "Read the lesson" not in text
    assert _buttons(at).count("Go to the exam") == 1
    assert not {"Open the lesson", "Take a call"} & set(_buttons(at))  # one next step
    assert "Practice calls: 20 of 20" in text and "23 of 20" not in text
    assert "23 practice calls in all" in text
    modules = len(lessons.list_modules(actor=trainee))
    assert f"Lessons read: {modules} of {modules}" in text
    # One average, and it says what it is the average of.
    assert "Average score of your last 20 practice calls:" in text
    assert len({m.value for m in at.metric if m.label == "Average score"}) == 1
    assert "Ready for the exam:" not in text and " %" not in "".join(
        p.proto.text for p in at.get("progress")
    )


def test_practice_without_lessons_is_not_ready(sqlite_db, world):
    trainee = world["trainee-a"]
    ids = build_bank(world.agencies["a"])
    practise(trainee, practice_ids(ids, 20))

    at = _run("trainee_home.py", trainee)

    assert not at.exception, at.exception
    text = _texts(at)
    first = lessons.list_modules(actor=trainee)[0]
    assert f"Read the lesson “{first['title']}”." in text
    assert "Open the lesson" in _buttons(at) and "Go to the exam" not in _buttons(at)
    assert "Lessons read: 0 of" in text and "Practice calls: 20 of 20" in text
    assert "Ready for the exam" not in text and "%" not in "".join(
        p.proto.text for p in at.get("progress")
    )

    exam = _run("trainee_exam.py", trainee)
    exam_text = _texts(exam)
    assert "Ready for the exam" not in exam_text
    assert "Lessons read: 0 of" in exam_text
    start = next(b for b in exam.button if b.label == "Start the exam")
    assert start.disabled


def test_starting_the_exam_asks_first(sqlite_db, world):
    trainee = world["trainee-a"]
    ids = build_bank(world.agencies["a"])
    pass_all_lessons(trainee)
    practise(trainee, practice_ids(ids, 20))
    at = _run("trainee_exam.py", trainee)

    next(b for b in at.button if b.label == "Start the exam").click().run()

    assert certification.current_exam(actor=trainee) is None
    assert "Start the exam now?" in _texts(at)
    next(b for b in at.button if b.label == "Not yet").click().run()
    assert certification.current_exam(actor=trainee) is None
    assert "Start the exam now?" not in _texts(at)

    next(b for b in at.button if b.label == "Start the exam").click().run()
    next(b for b in at.button if b.label == "Yes, start the exam").click().run()
    assert not at.exception, at.exception
    assert certification.current_exam(actor=trainee) is not None


def test_a_knowledge_check_shows_the_choice_and_leads_on(content, sqlite_db, world):  # noqa: F811
    trainee = world["trainee-a"]
    at = _run("lessons.py", trainee)
    at.radio(key="check.alpha-module.q1").set_value(1)
    at.radio(key="check.alpha-module.q2").set_value(0)
    next(b for b in at.button if b.label == "Check my answers").click().run()
    assert not at.exception, at.exception
    text = _texts(at)
    questions = lessons.get_lesson(actor=trainee, slug="alpha-module")["questions"]
    chosen = [questions[0]["options"][1], questions[1]["options"][0]]
    for option in chosen:
        assert f"Your answer: {option}" in text
    follow = next(b for b in at.button if b.label.startswith("Next lesson"))
    assert follow.label == "Next lesson: Beta-Module"

    follow.click().run()

    assert at.title[0].value == "Beta-Module"
    assert "Your answer:" not in _texts(at)  # the old result is not carried over
