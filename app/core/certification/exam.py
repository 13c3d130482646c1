"""The exam: a stratified plan of calls the trainee has never seen, and its result."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.core.certification.track import PARTS, Track
from app.core.grading import CRITICAL_NAMES
from app.errors import UserError

PLAN_NODE_BUDGET = 200_000


class ExamPlanShort(UserError):
    """The unseen calls cannot make up the exam. ``needs`` maps a requirement to how many
    more calls with it are missing (``"calls"`` for calls of any kind)."""

    def __init__(self, shortfalls: list[str], needs: dict[str, int]):
        self.shortfalls = shortfalls
        self.needs = needs
        super().__init__(
            "not enough unseen calls for the exam: " + "; ".join(shortfalls)
            if shortfalls
            else "not enough unseen calls for the exam"
        )


# ----------------------------------------------------------------------------- exam plans


@dataclass(frozen=True)
class CallSummary:
    """What planning needs to know about one scenario version."""

    id: int
    key: str  # scenario id: versions of one scenario share it
    disqualifiers: frozenset[str]
    group: str
    channel: str
    disposition: str  # the expert's best route under the agency's dispatch model
    call_type: str = ""
    twin_group: str | None = None

    @property
    def family(self) -> str:
        """Calls of one family are the same call (twin variants differ only in names)."""
        return f"twin:{self.twin_group}" if self.twin_group else f"key:{self.key}"

    def features(self) -> frozenset[str]:
        found = {f"disqualifier:{d}" for d in self.disqualifiers}
        if not self.disqualifiers:
            found.add("no_disqualifier")
        found.add(f"group:{self.group}")
        found.add(f"channel:{self.channel}")
        found.add(f"disposition:{self.disposition}")
        return frozenset(found)


def feature_label(name: str) -> str:
    """Plain words for a requirement name."""
    kind, _, value = name.partition(":")
    if name == "no_disqualifier":
        return "no disqualifier"
    if name == "calls":
        return "any kind"
    return {
        "disqualifier": f"the disqualifier '{value}'",
        "group": f"a {value.replace('_', ' ')} call type",
        "channel": f"the channel '{value}'",
        "disposition": f"the best route '{value}'",
    }.get(kind, name)


def _exclusive_bound(deficits: Mapping[str, int]) -> int:
    """A lower bound on the calls needed to cover ``deficits``.

    A call has exactly one group, one channel and one best route, and either no
    disqualifier or at least one; deficits within one of those families add up.
    """
    sums = {"group": 0, "channel": 0, "disposition": 0}
    most_dq = 0
    for name, value in deficits.items():
        if value <= 0:
            continue
        kind = name.split(":", 1)[0]
        if kind in sums:
            sums[kind] += value
        elif kind == "disqualifier":
            most_dq = max(most_dq, value)
    return max(*sums.values(), deficits.get("no_disqualifier", 0) + most_dq)


def _shortfall(
    requirements: Mapping[str, int], pool: Sequence[CallSummary], slots: int
) -> ExamPlanShort:
    needs: dict[str, int] = {}
    lines: list[str] = []
    for name, count in requirements.items():
        have = sum(1 for c in pool if name in c.features())
        if have < count:
            needs[name] = count - have
            lines.append(f"{count - have} more with {feature_label(name)}")
    if len(pool) < slots:
        needs["calls"] = slots - len(pool)
        lines.append(f"{slots - len(pool)} more calls of any kind")
    if not lines:
        needs["calls"] = max(1, slots // 2)
        lines.append("the unseen calls cannot meet every minimum at once")
    return ExamPlanShort(lines, needs)


def plan_exam(
    track: Track,
    candidates: Iterable[CallSummary],
    seen: Iterable[str],
    rng: random.Random,
    *,
    keep: Sequence[CallSummary] = (),
) -> list[int]:
    """A stratified exam: ``track.exam.calls`` scenario version ids, never seen before.

    ``seen`` holds the scenario keys and twin groups the trainee has met (any attempt).
    ``keep`` are calls already in the exam (they count towards the minimums and stay
    first, in order). At most one call per scenario or twin group. The search is
    exact: when some choice of unseen calls meets every minimum, one is found (the
    minimums are few, so calls are grouped by what they count towards). Raises
    :class:`ExamPlanShort` with what is missing otherwise.
    """
    seen = set(seen)
    total = track.exam.calls
    requirements = track.exam.stratify.requirements()
    kept_families = {c.family for c in keep}
    slots = total - len(keep)
    if slots < 0:
        raise ValueError("more calls kept than the exam holds")
    deficits = dict(requirements)
    for call in keep:
        for name in call.features():
            if name in deficits:
                deficits[name] -= 1
    # One call per family, chosen at random among the family's versions/twins.
    families: dict[str, list[CallSummary]] = {}
    for call in candidates:
        if call.key in seen or (call.twin_group and call.twin_group in seen):
            continue
        if call.family in kept_families:
            continue
        families.setdefault(call.family, []).append(call)
    pool = []
    for name in sorted(families):
        members = sorted(families[name], key=lambda c: c.id)
        pool.append(members[rng.randrange(len(members))])
    rng.shuffle(pool)
    # Calls grouped by the requirements they count towards.
    relevant = set(requirements)
    by_signature: dict[frozenset[str], list[CallSummary]] = {}
    for call in pool:
        by_signature.setdefault(call.features() & relevant, []).append(call)
    signatures = list(by_signature)
    rng.shuffle(signatures)
    avail = [len(by_signature[s]) for s in signatures]

    failed: set[tuple[int, ...]] = set()
    nodes = 0

    def search(used: list[int], left: dict[str, int], free: int) -> list[int] | None:
        nonlocal nodes
        nodes += 1
        if nodes > PLAN_NODE_BUDGET:
            return None
        unmet = {name: value for name, value in left.items() if value > 0}
        if not unmet:
            spare = sum(a - u for a, u in zip(avail, used, strict=True))
            return used if spare >= free else None
        if free <= 0 or _exclusive_bound(unmet) > free:
            return None
        state = tuple(used)
        if state in failed:
            return None
        # The unmet requirement with the fewest signatures able to help.
        helpers: dict[str, list[int]] = {}
        for name in unmet:
            helpers[name] = [
                i for i, sig in enumerate(signatures) if name in sig and used[i] < avail[i]
            ]
        target = min(unmet, key=lambda n: (len(helpers[n]), n))
        options = sorted(
            helpers[target], key=lambda i: -sum(1 for n in unmet if n in signatures[i])
        )
        for i in options:
            used[i] += 1
            for name in signatures[i]:
                if name in left:
                    left[name] -= 1
            found = search(used, left, free - 1)
            if found is not None:
                return found
            used[i] -= 1
            for name in signatures[i]:
                if name in left:
                    left[name] += 1
        failed.add(state)
        return None

    counts = search([0] * len(signatures), dict(deficits), slots)
    if counts is None:
        raise _shortfall({k: v for k, v in deficits.items() if v > 0}, pool, slots)
    chosen: list[CallSummary] = []
    rest: list[CallSummary] = []
    for i, sig in enumerate(signatures):
        chosen += by_signature[sig][: counts[i]]
        rest += by_signature[sig][counts[i] :]
    rng.shuffle(rest)
    chosen += rest[: slots - len(chosen)]
    rng.shuffle(chosen)
    return [c.id for c in keep] + [c.id for c in chosen]


def plan_meets(track: Track, calls: Sequence[CallSummary]) -> list[str]:
    """Which minimums a list of exam calls misses (empty when it meets them all)."""
    problems = []
    for name, count in track.exam.stratify.requirements().items():
        have = sum(1 for c in calls if name in c.features())
        if have < count:
            problems.append(f"{have} of {count} calls with {feature_label(name)}")
    if len(calls) != track.exam.calls:
        problems.append(f"{len(calls)} calls instead of {track.exam.calls}")
    return problems


# ----------------------------------------------------------------------------- exam result


@dataclass(frozen=True)
class GradedCall:
    scenario_version_id: int
    grade: Mapping[str, Any]
    seconds: float | None = None


def _round_half_up(value: Fraction | float) -> int:
    return math.floor(Fraction(value) + Fraction(1, 2))


def _critical_kinds(critical: Sequence[str]) -> str:
    """Which critical errors, in words: "unsafe route on 2 calls, missed disqualifier on 1 call"."""
    counts: dict[str, int] = {}
    for code in critical:
        counts[code] = counts.get(code, 0) + 1
    return ", ".join(
        f"{CRITICAL_NAMES.get(code, code.replace('_', ' '))} on {n} call{'s' if n != 1 else ''}"
        for code, n in counts.items()
    )


def exam_result(track: Track, graded: Sequence[GradedCall]) -> dict:
    """Pass or fail with the reasons, from the graded exam calls (JSON-ready).

    A call that was not answered counts as a score of 0 and as not passed.
    """
    rules = track.exam
    planned = max(rules.calls, len(graded))
    scores = [int(g.grade.get("score") or 0) for g in graded]
    critical = [c for g in graded for c in (g.grade.get("critical") or [])]
    passed_calls = sum(1 for g in graded if g.grade.get("passed") and not g.grade.get("critical"))
    score = _round_half_up(Fraction(sum(scores), planned)) if planned else 0
    parts: dict[str, float] = {}
    for name in PARTS:
        values = [Fraction(str((g.grade.get("parts") or {}).get(name, 0))) for g in graded]
        parts[name] = round(float(sum(values, Fraction(0)) / planned), 3) if planned else 0.0
    reasons: list[str] = []
    if len(graded) < rules.calls:
        missing = rules.calls - len(graded)
        reasons.append(f"{missing} of the {rules.calls} calls were not answered.")
    if score < rules.pass_mark:
        reasons.append(f"The average score {score} is below the pass mark {rules.pass_mark}.")
    if len(critical) > rules.max_critical:
        allowed = "none is" if rules.max_critical == 0 else f"at most {rules.max_critical} are"
        reasons.append(
            f"{len(critical)} critical error{'s' if len(critical) != 1 else ''} "
            f"({_critical_kinds(critical)}); {allowed} allowed."
        )
    if passed_calls < rules.min_passed_calls:
        reasons.append(
            f"{passed_calls} of {planned} calls passed on their own; "
            f"{rules.min_passed_calls} are needed."
        )
    for name, minimum in rules.part_minimums.items():
        if parts.get(name, 0.0) + 1e-9 < minimum:
            reasons.append(
                f"The {name.replace('_', ' ')} part averaged {parts[name]:.2f}; "
                f"at least {minimum:.2f} is needed."
            )
    seconds = [g.seconds for g in graded if g.seconds is not None]
    return {
        "passed": not reasons,
        "score": score,
        "pass_mark": rules.pass_mark,
        "calls_planned": planned,
        "calls_answered": len(graded),
        "calls_passed": passed_calls,
        "critical": len(critical),
        "parts": parts,
        "reasons": reasons,
        "total_seconds": round(sum(seconds), 1) if seconds else None,
        "per_call": [
            {
                "scenario_version_id": g.scenario_version_id,
                "score": int(g.grade.get("score") or 0),
                "passed": bool(g.grade.get("passed")),
                "critical": list(g.grade.get("critical") or []),
                "seconds": g.seconds,
            }
            for g in graded
        ],
    }
