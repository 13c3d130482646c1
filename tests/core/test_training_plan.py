"""My training's checklist and next step (issue 18), for every state a trainee can be in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.core import training_plan as tp
from app.core.plain_words import capped, details_text, event_label, of_target, plural, subject_label


@st.composite
def states(draw):
    """Lessons with progress and the track's eligibility worked out as the track does."""
    count = draw(st.integers(0, 12))
    modules = []
    for i in range(count):
        passed = draw(st.booleans())
        read = passed or draw(st.booleans())
        modules.append(
            {"slug": f"m{i}", "title": f"Lesson {i}", "read": read, "check_passed": passed}
        )
    calls = draw(st.integers(0, 200))
    needed = draw(st.integers(0, 40))
    average = None if calls == 0 else draw(st.floats(0, 100, allow_nan=False))
    average_needed = draw(st.sampled_from([0, 60, 80, 100]))
    blocked = draw(st.lists(st.sampled_from(["Wait for sign-off.", "Retake later."]), max_size=1))
    unread = [m["slug"] for m in modules if not m["read"] and not m["check_passed"]]
    unchecked = [m["slug"] for m in modules if not m["check_passed"]]
    missing = []
    if unread:
        missing.append("Read more lessons.")
    if unchecked:
        missing.append("Pass more checks.")
    if calls < needed:
        missing.append("Submit more calls.")
    if average_needed and (average is None or average < average_needed):
        missing.append("Raise the average.")
    eligibility = {
        "eligible": not missing and not blocked,
        "missing": missing,
        "blocked": blocked,
        "modules_missing": unread,
        "checks_missing": unchecked,
        "practice_calls": calls,
        "practice_needed": needed,
        "practice_average": average,
        "average_needed": average_needed,
    }
    no_track = draw(st.booleans()) and draw(st.booleans())  # a quarter without a track
    return modules, None if no_track else eligibility, calls, draw(st.booleans())


@given(states())
def test_no_shown_count_exceeds_its_target(state):
    modules, eligibility, calls, _ = state
    plan = tp.training_plan(modules, eligibility, practice_target=20, calls_in_all=calls)
    for req in plan.requirements:
        assert 0 <= req.shown <= req.target
        # The words say the same: "x of y" with x never above y.
        if " of " in req.text and req.key != "average":
            done, target = req.text.rsplit(": ", 1)[1].split(" of ")
            assert int(done) <= int(target)


@given(states())
def test_exactly_one_next_step_and_the_exam_only_when_the_track_allows_it(state):
    modules, eligibility, calls, open_exam = state
    plan = tp.training_plan(
        modules, eligibility, practice_target=20, calls_in_all=calls, open_exam=open_exam
    )
    step = plan.next_step
    assert step.kind in {tp.LESSON, tp.CHECK, tp.PRACTICE, tp.EXAM, tp.RESUME, tp.WAIT}
    if open_exam:
        assert step.kind == tp.RESUME
        return
    may_start = eligibility is not None and eligibility["eligible"]
    assert (step.kind == tp.EXAM) == may_start
    if may_start:
        # Never "read the lesson" once every lesson is done, never the exam with one missing.
        assert all(m["read"] and m["check_passed"] for m in modules)
        assert all(req.met for req in plan.requirements)
    unfinished = [m for m in modules if not m["check_passed"]]
    if unfinished and not may_start:
        # The first lesson not finished: read it if unread, else pass its check.
        first = unfinished[0]
        assert step.module == first["slug"]
        assert step.kind == (tp.CHECK if first["read"] else tp.LESSON)


@given(states())
def test_no_lesson_done_means_not_ready(state):
    modules, eligibility, calls, _ = state
    plan = tp.training_plan(modules, eligibility, practice_target=20, calls_in_all=calls)
    if modules and not any(m["read"] or m["check_passed"] for m in modules):
        assert not plan.ready
        lessons = next(r for r in plan.requirements if r.key == "lessons")
        assert lessons.shown == 0 and not lessons.met
        assert plan.met < len(plan.requirements)


def test_all_lessons_and_practice_done_gives_the_exam_step():
    modules = [{"slug": "a", "title": "A", "read": True, "check_passed": True}]
    eligibility = {
        "eligible": True,
        "missing": [],
        "blocked": [],
        "modules_missing": [],
        "checks_missing": [],
        "practice_calls": 43,
        "practice_needed": 20,
        "practice_average": 91.5,
        "average_needed": 80,
    }
    plan = tp.training_plan(modules, eligibility, average_of_last=20, calls_in_all=43)
    assert plan.next_step.kind == tp.EXAM
    assert [r.text for r in plan.requirements] == [
        "Lessons read: 1 of 1",
        "Knowledge checks passed: 1 of 1",
        "Practice calls: 20 of 20",
        "Average score of your last 20 practice calls: 91.5 (needed: 80)",
    ]
    assert plan.calls_in_all == 43
    assert plan.average_text == "Average score of your last 20 practice calls: 91.5 (needed: 80)"


@given(st.integers(0, 10_000))
def test_plurals(count):
    text = plural(count, "entry")
    assert text == ("1 entry" if count == 1 else f"{count} entries")
    assert plural(count, "call").endswith("call" if count == 1 else "calls")


@given(st.integers(-5, 500), st.integers(0, 100))
def test_of_target_never_passes_its_target(done, target):
    assert capped(done, target) <= target
    shown = int(of_target(done, target, "call").split(" of ")[0])
    assert 0 <= shown <= target


def test_audit_words():
    assert event_label("role_changed") == "Role changed"
    assert event_label("some_new_event") == "Some new event"  # a later event still reads
    assert subject_label("certificate:3") == "Certificate 3"
    assert subject_label("user sam") == "user sam"
    assert (
        details_text(
            {"from": "trainee", "to": "trainer"}, {"trainee": "Trainee", "trainer": "Trainer"}
        )
        == "from: Trainee · to: Trainer"
    )
    assert details_text({"logins_ended": 2}) == "logins ended: 2"
    assert details_text(None) == ""
