"""Grading rules over time: which rules a stored grade was made under, how that is
labelled, and what regrading under the current rules changes (pure).

A grade records its rules (``"rules": 2`` since grading rules 2); a grade stored
without the key was made under rules 1. A stored grade keeps its score: regrading
puts the new grade beside it (``Attempt.regrade``) and never rewrites it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core import grading

FIRST_RULES = 1

# What changed after each rules version, in a few plain words (for the label).
CHANGED_AFTER: Mapping[int, str] = {
    1: (
        "before a missed disqualifier, an under-triaged priority-1 call and a route "
        "without what a disqualifier demands became critical errors"
    ),
}

PASSED_TO_FAILED = "passed → not passed"
FAILED_TO_PASSED = "not passed → passed"


def current_rules() -> int:
    """The rules :func:`app.core.grading.grade` grades under now."""
    return _as_rules(getattr(grading, "RULES", FIRST_RULES))


def _as_rules(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < FIRST_RULES:
        return FIRST_RULES
    return value


def grade_rules(grade: Mapping | None) -> int:
    """The rules a grade was made under (1 for a grade without the key)."""
    return _as_rules((grade or {}).get("rules", FIRST_RULES))


def rules_label(rules: int) -> str:
    """'Graded under rules 1 (before ...)'."""
    what = CHANGED_AFTER.get(rules)
    return f"Graded under rules {rules}" + (f" ({what})" if what else "")


def rules_note(
    rules: int, regrade: Mapping | None = None, *, current: int | None = None
) -> str | None:
    """The label for a stored grade made under older rules, or None when it is current.

    With a stored regrade (``Attempt.regrade``), also what the newer rules give.
    """
    current = current_rules() if current is None else current
    if rules >= current:
        return None
    text = rules_label(rules) + ". Its score stands as it was given."
    if regrade and regrade.get("score") is not None:
        verdict = "passes" if regrade.get("passed") else "does not pass"
        text += (
            f" Under rules {regrade.get('rules', current)} it scores "
            f"{regrade['score']} and {verdict}."
        )
    return text


def change(old_passed: Any, new_passed: Any) -> str | None:
    """How the outcome moves: PASSED_TO_FAILED, FAILED_TO_PASSED or None (no change)."""
    old, new = bool(old_passed), bool(new_passed)
    if old and not new:
        return PASSED_TO_FAILED
    if new and not old:
        return FAILED_TO_PASSED
    return None


def stored_regrade(grade: Mapping, *, at: str, by: int | None) -> dict:
    """What ``Attempt.regrade`` holds for a new grade."""
    return {
        "rules": grade_rules(grade),
        "score": int(grade.get("score") or 0),
        "passed": bool(grade.get("passed")),
        "grade": dict(grade),
        "at": at,
        "by": by,
    }


@dataclass
class Tally:
    """Outcome changes of one kind of thing (attempts or exams) in one agency."""

    checked: int = 0
    to_failed: int = 0
    to_passed: int = 0

    def add(self, old_passed: Any, new_passed: Any) -> str | None:
        self.checked += 1
        moved = change(old_passed, new_passed)
        if moved == PASSED_TO_FAILED:
            self.to_failed += 1
        elif moved == FAILED_TO_PASSED:
            self.to_passed += 1
        return moved

    @property
    def changed(self) -> int:
        return self.to_failed + self.to_passed


@dataclass
class AgencyRegrade:
    """What regrading one agency's older-rules attempts under the current rules gives."""

    slug: str
    name: str
    rules: int  # the current rules
    attempts: Tally = field(default_factory=Tally)
    exams: Tally = field(default_factory=Tally)
    not_gradable: int = 0  # attempts the current rules cannot grade (e.g. a removed model)
    certificates: list[dict] = field(default_factory=list)  # code, holder, exam_id, ...
    stored: dict[str, int] = field(default_factory=dict)  # filled in by --apply

    def as_dict(self) -> dict:
        return {
            "agency": self.slug,
            "name": self.name,
            "rules": self.rules,
            "attempts": vars(self.attempts) | {"changed": self.attempts.changed},
            "exams": vars(self.exams) | {"changed": self.exams.changed},
            "not_gradable": self.not_gradable,
            "certificates": list(self.certificates),
            "stored": dict(self.stored),
        }


def table(reports: Iterable[AgencyRegrade]) -> list[str]:
    """A plain-text table: per agency, how many older-rules attempts, exams and
    certificates change outcome under the current rules."""
    header = (
        "agency",
        "attempts",
        "changed",
        "pass>fail",
        "fail>pass",
        "exams",
        "changed",
        "pass>fail",
        "fail>pass",
        "certificates",
    )
    rows = [header]
    for r in reports:
        rows.append(
            (
                r.slug,
                str(r.attempts.checked),
                str(r.attempts.changed),
                str(r.attempts.to_failed),
                str(r.attempts.to_passed),
                str(r.exams.checked),
                str(r.exams.changed),
                str(r.exams.to_failed),
                str(r.exams.to_passed),
                str(len(r.certificates)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines
