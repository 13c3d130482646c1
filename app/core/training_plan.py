"""What "My training" and the exam page tell a trainee (pure).

One source of truth for both pages: the certification track's requirements (from the
eligibility check) become a checklist with counts that never pass their target, one
average with its definition, and exactly one next step. The exam step only appears when
the track says the trainee may start the exam; no readiness percentage is shown, so a
trainee with no lesson done never reads "ready: 67 %".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.core.plain_words import capped, plural

# Next-step kinds and the page each one opens.
LESSON, CHECK, PRACTICE, EXAM, RESUME, WAIT = (
    "lesson",
    "check",
    "practice",
    "exam",
    "resume",
    "wait",
)


@dataclass(frozen=True)
class Requirement:
    key: str  # lessons | checks | calls | average
    label: str
    shown: float  # never above target
    target: float
    met: bool
    text: str


@dataclass(frozen=True)
class NextStep:
    kind: str
    text: str
    module: str | None = None  # the lesson to open, for lesson and check steps


@dataclass(frozen=True)
class TrainingPlan:
    requirements: tuple[Requirement, ...]
    next_step: NextStep
    average: float | None
    average_text: str  # the one average, with what it is the average of
    calls_in_all: int  # practice calls submitted, however many beyond the target

    @property
    def met(self) -> int:
        return sum(1 for r in self.requirements if r.met)

    @property
    def ready(self) -> bool:
        return self.next_step.kind == EXAM


def _avg_text(average: float | None, last: int | None, needed: float | None) -> str:
    over = f"your last {plural(last, 'practice call')}" if last else "all your practice calls"
    shown = "no score yet" if average is None else f"{average:g}"
    need = f" (needed: {needed:g})" if needed else ""
    return f"Average score of {over}: {shown}{need}"


def training_plan(
    modules: Sequence[Mapping],
    eligibility: Mapping | None,
    *,
    average_of_last: int | None = None,
    practice_target: int = 0,
    calls_in_all: int = 0,
    average_all: float | None = None,
    open_exam: bool = False,
) -> TrainingPlan:
    """The checklist and the one next step.

    ``modules``: lessons in order with ``slug``, ``title``, ``read``, ``check_passed``.
    ``eligibility``: the track's eligibility (``eligible``, ``missing``, ``blocked``,
    ``modules_missing``, ``checks_missing``, ``practice_calls``, ``practice_needed``,
    ``practice_average``, ``average_needed``), or None when no track is installed; the
    lessons and ``practice_target`` then stand in for it and no exam step is offered.
    """
    total = len(modules)
    if eligibility is not None:
        unread = set(eligibility.get("modules_missing") or [])
        unchecked = set(eligibility.get("checks_missing") or [])
        calls = int(eligibility.get("practice_calls") or 0)
        needed = int(eligibility.get("practice_needed") or 0)
        average = eligibility.get("practice_average")
        average_needed = float(eligibility.get("average_needed") or 0)
        last = average_of_last
    else:
        unread = {m["slug"] for m in modules if not m["read"] and not m["check_passed"]}
        unchecked = {m["slug"] for m in modules if not m["check_passed"]}
        calls, needed = calls_in_all, practice_target
        average, average_needed, last = average_all, 0.0, None
    read = total - len(unread)
    checked = total - len(unchecked)
    requirements = [
        Requirement(
            "lessons", "Lessons read", capped(read, total), total, read >= total,
            f"Lessons read: {capped(read, total)} of {total}",
        ),
        Requirement(
            "checks", "Knowledge checks passed", capped(checked, total), total,
            checked >= total, f"Knowledge checks passed: {capped(checked, total)} of {total}",
        ),
    ]  # fmt: skip
    if needed:
        requirements.append(
            Requirement(
                "calls",
                "Practice calls",
                capped(calls, needed),
                needed,
                calls >= needed,
                f"Practice calls: {capped(calls, needed)} of {needed}",
            )
        )
    if average_needed:
        got = 0.0 if average is None else float(average)
        requirements.append(
            Requirement(
                "average",
                "Average score",
                min(got, average_needed),
                average_needed,
                average is not None and got >= average_needed,
                _avg_text(average, last, average_needed),
            )
        )
    step = _next_step(modules, eligibility, unread, unchecked, requirements, open_exam)
    return TrainingPlan(
        requirements=tuple(requirements),
        next_step=step,
        average=average,
        average_text=_avg_text(average, last, average_needed or None),
        calls_in_all=max(calls_in_all, calls),
    )


def _next_step(
    modules: Sequence[Mapping],
    eligibility: Mapping | None,
    unread: set[str],
    unchecked: set[str],
    requirements: list[Requirement],
    open_exam: bool,
) -> NextStep:
    if open_exam:
        return NextStep(RESUME, "You have an exam in progress: go back to it.")
    if eligibility is not None and eligibility.get("eligible"):
        return NextStep(EXAM, "You are ready: take the certification exam.")
    for module in modules:
        if module["slug"] in unread:
            return NextStep(LESSON, f"Read the lesson “{module['title']}”.", module["slug"])
        if module["slug"] in unchecked:
            return NextStep(
                CHECK, f"Pass the knowledge check of “{module['title']}”.", module["slug"]
            )
    by_key = {r.key: r for r in requirements}
    calls = by_key.get("calls")
    if calls is not None and not calls.met:
        left = int(calls.target - calls.shown)
        return NextStep(PRACTICE, f"Submit {plural(left, 'more practice call')}.")
    average = by_key.get("average")
    if average is not None and not average.met:
        return NextStep(
            PRACTICE, f"Practise more calls to raise your average score to {average.target:g}."
        )
    blocked = list((eligibility or {}).get("blocked") or [])
    if blocked:
        return NextStep(WAIT, str(blocked[0]))
    if eligibility is None:
        return NextStep(PRACTICE, "Keep practising calls. The exam is not set up yet.")
    missing = list(eligibility.get("missing") or [])
    return NextStep(PRACTICE, str(missing[0]) if missing else "Keep practising calls.")
