"""Eligibility: what a trainee still lacks before the exam of a track."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.certification.certificates import as_utc
from app.core.certification.track import Track

# ----------------------------------------------------------------------------- eligibility


@dataclass(frozen=True)
class ProgressFacts:
    """What the service knows about a trainee, as plain values."""

    all_modules: tuple[str, ...]
    modules_read: frozenset[str] = frozenset()
    checks_passed: frozenset[str] = frozenset()
    practice_scores: tuple[int, ...] = ()  # submitted practice calls, newest first
    exam_in_progress: bool = False
    awaiting_sign_off: bool = False
    valid_certificate_until: dt.datetime | None = None
    last_failed_exam_at: dt.datetime | None = None
    now: dt.datetime | None = None


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    missing: tuple[str, ...]  # what the trainee still has to do, in plain words
    blocked: tuple[str, ...]  # why an exam cannot start now although the work is done
    modules_missing: tuple[str, ...]
    checks_missing: tuple[str, ...]
    practice_calls: int
    practice_needed: int
    practice_average: float | None
    average_needed: float
    progress: float  # 0..1


def required_modules(track: Track, all_modules: Sequence[str]) -> tuple[str, ...]:
    return tuple(all_modules) if track.modules == "all" else tuple(track.modules)


def practice_average(scores: Sequence[int], last: int | None) -> float | None:
    counted = list(scores[:last] if last else scores)
    return round(sum(counted) / len(counted), 1) if counted else None


def eligibility(track: Track, facts: ProgressFacts) -> Eligibility:
    """What is missing before this trainee may start the exam of ``track``."""
    modules = required_modules(track, facts.all_modules)
    unread = tuple(
        m for m in modules if m not in facts.modules_read and m not in facts.checks_passed
    )
    unchecked = (
        tuple(m for m in modules if m not in facts.checks_passed) if track.knowledge_checks else ()
    )
    rule = track.practice
    calls = len(facts.practice_scores)
    average = practice_average(facts.practice_scores, rule.average_of_last)
    missing: list[str] = []
    if unread:
        missing.append(f"Read {len(unread)} more lesson{'s' if len(unread) != 1 else ''}.")
    if unchecked:
        missing.append(
            f"Pass {len(unchecked)} more knowledge check{'s' if len(unchecked) != 1 else ''}."
        )
    if calls < rule.min_calls:
        left = rule.min_calls - calls
        missing.append(f"Submit {left} more practice call{'s' if left != 1 else ''}.")
    if rule.min_average and (average is None or average < rule.min_average):
        over = f"your last {rule.average_of_last}" if rule.average_of_last else "your"
        shown = "none yet" if average is None else f"{average:g}"
        missing.append(
            f"Raise the average score of {over} practice calls to {rule.min_average:g} "
            f"(now {shown})."
        )
    blocked: list[str] = []
    now = facts.now or dt.datetime.now(dt.UTC)
    if facts.exam_in_progress:
        blocked.append("You have an exam in progress: resume it.")
    if facts.awaiting_sign_off:
        blocked.append("Your passed exam is waiting for a supervisor's sign-off.")
    if facts.valid_certificate_until is not None:
        until = as_utc(facts.valid_certificate_until)
        blocked.append(
            f"You hold a valid certificate until {until:%d %b %Y}. Keep practising: a "
            "supervisor can renew it through continuing practice before it runs out."
        )
    if facts.last_failed_exam_at is not None and track.exam.retake_wait_hours:
        again = as_utc(facts.last_failed_exam_at) + dt.timedelta(hours=track.exam.retake_wait_hours)
        if as_utc(now) < again:
            blocked.append(f"You may retake the exam from {again:%d %b %Y %H:%M} UTC.")
    shares = []
    if modules:
        done = sum(
            1
            for m in modules
            if (m in facts.checks_passed if track.knowledge_checks else m in facts.modules_read)
        )
        shares.append(done / len(modules))
    shares.append(min(1.0, calls / rule.min_calls) if rule.min_calls else 1.0)
    if rule.min_average:
        shares.append(min(1.0, (average or 0) / rule.min_average))
    progress = round(sum(shares) / len(shares), 3)
    return Eligibility(
        eligible=not missing and not blocked,
        missing=tuple(missing),
        blocked=tuple(blocked),
        modules_missing=unread,
        checks_missing=unchecked,
        practice_calls=calls,
        practice_needed=rule.min_calls,
        practice_average=average,
        average_needed=rule.min_average,
        progress=progress,
    )
