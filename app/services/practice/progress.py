"""The "My training" summary and the next step it suggests.

Part of :mod:`app.services.practice`; import from the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict

from app.core import adaptive
from app.core.protocol import DISQUALIFIERS
from app.services.access import Actor, require
from app.services.practice.choosing import _history
from app.services.practice.common import CERT_PRACTICE_TARGET
from app.services.scope import protocol_for
from app.store.db import read_session
from app.store.models import Agency

if TYPE_CHECKING:  # only the type: my_progress loads lessons when it runs
    from app.services.lessons import ModuleSummary


class DisqualifierAccuracy(TypedDict):
    label: str
    tries: int  # the trainee's graded calls that had it
    caught: int  # of those, the calls where it was marked
    rate: float | None  # caught / tries; None: no tries yet


class Focus(TypedDict):
    """What the next calls lean towards, worst first (app.core.adaptive.weakest)."""

    call_types: list[str]
    disqualifiers: list[str]


class NextStep(TypedDict):
    kind: str  # "lesson", "check", "practice" or "exam"
    module: str | None  # the lesson's slug; None: not a lesson step
    text: str


class Progress(TypedDict):
    """The "My training" summary."""

    modules_total: int
    modules_read: int
    modules_passed: int  # knowledge checks passed
    modules: list[ModuleSummary]
    attempts: int
    passed_calls: int
    average_score: float | None  # None: no scored attempt yet
    unsafe: int  # attempts with an unsafe dispatch
    over_routed: int
    disqualifier_accuracy: dict[str, DisqualifierAccuracy]  # by disqualifier code
    focus: Focus
    readiness: float  # 0..1
    practice_target: int  # passed practice calls wanted before the exam
    next_step: NextStep


def my_progress(*, actor: Actor) -> Progress:
    """The "My training" summary: lessons, attempts, scores, disqualifier accuracy, next step."""
    require(actor, "practice")
    from app.services import lessons

    modules = lessons.list_modules(actor=actor)
    with read_session() as session:
        history = _history(session, actor)
        agency = session.get(Agency, actor.agency_id)
    protocol = protocol_for(agency.protocol_overrides if agency else None)
    profile = adaptive.build_profile(history)
    scores = [h["score"] for h in history if h["score"] is not None]
    accuracy: dict[str, DisqualifierAccuracy] = {}
    for code in DISQUALIFIERS:
        tries = profile.disqualifier_tries.get(code, 0)
        missed = profile.disqualifier_missed.get(code, 0)
        accuracy[code] = DisqualifierAccuracy(
            label=protocol.disqualifiers[code].label,
            tries=tries,
            caught=tries - missed,
            rate=(tries - missed) / tries if tries else None,
        )
    passed_calls = sum(1 for h in history if h["passed"])
    read = sum(1 for m in modules if m["read"])
    checks = sum(1 for m in modules if m["check_passed"])
    module_share = checks / len(modules) if modules else 0.0
    practice_share = min(1.0, passed_calls / CERT_PRACTICE_TARGET)
    weakest = adaptive.weakest(profile)
    return Progress(
        modules_total=len(modules),
        modules_read=read,
        modules_passed=checks,
        modules=modules,
        attempts=len(history),
        passed_calls=passed_calls,
        average_score=round(sum(scores) / len(scores), 1) if scores else None,
        unsafe=sum(1 for h in history if h["unsafe"]),
        over_routed=sum(1 for h in history if h["over_routed"]),
        disqualifier_accuracy=accuracy,
        focus=Focus(call_types=weakest["call_types"], disqualifiers=weakest["disqualifiers"]),
        readiness=round((module_share + practice_share) / 2, 3),
        practice_target=CERT_PRACTICE_TARGET,
        next_step=_next_step(modules, accuracy, passed_calls, CERT_PRACTICE_TARGET),
    )


def _next_step(
    modules: Sequence[ModuleSummary],
    accuracy: dict[str, DisqualifierAccuracy],
    passed_calls: int,
    practice_target: int,
) -> NextStep:
    for module in modules:
        if not module["read"]:
            return NextStep(
                kind="lesson",
                module=module["slug"],
                text=f"Read the lesson “{module['title']}”.",
            )
        if not module["check_passed"]:
            return NextStep(
                kind="check",
                module=module["slug"],
                text=f"Pass the knowledge check of “{module['title']}”.",
            )
    weak = [
        code
        for code, acc in accuracy.items()
        if acc["rate"] is not None and acc["tries"] >= 3 and acc["rate"] < 0.8
    ]
    if weak:
        return NextStep(
            kind="practice",
            module=None,
            text="Practise more calls: you often miss the disqualifier "
            + ", ".join(f"“{accuracy[w]['label'].lower()}”" for w in weak)
            + ". The next calls lean towards it.",
        )
    if passed_calls < practice_target:
        left = practice_target - passed_calls
        return NextStep(
            kind="practice",
            module=None,
            text=f"Pass {left} more practice call{'s' if left != 1 else ''} "
            "before the certification exam.",
        )
    return NextStep(kind="exam", module=None, text="You are ready: take the certification exam.")
