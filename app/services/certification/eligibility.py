"""The facts about a trainee that decide whether they may start an exam."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, func, select

from app.core import certification as core
from app.services import lessons, practice
from app.store.models import Attempt, Certificate, Exam, LessonProgress

PRACTICE_FACTS_LIMIT = 1000


# ------------------------------------------------------------------ eligibility


def _facts(session: Session, user_id: int, agency_id: int, track_id: str, now: dt.datetime):
    modules = tuple(m.slug for m in lessons.all_modules())
    rows = session.exec(
        select(LessonProgress.module, LessonProgress.lesson_read_at, LessonProgress.check_passed)
        .where(LessonProgress.user_id == user_id)
        .where(LessonProgress.agency_id == agency_id)
    ).all()
    scores = session.exec(
        select(Attempt.score)
        .where(Attempt.user_id == user_id)
        .where(Attempt.agency_id == agency_id)
        .where(Attempt.status == "submitted")
        .where(col(Attempt.exam_id).is_(None))
        .where(col(Attempt.mode).in_(practice.PRACTICE_MODES))
        .order_by(col(Attempt.submitted_at).desc(), col(Attempt.id).desc())
        .limit(PRACTICE_FACTS_LIMIT)
    ).all()
    in_progress = session.exec(
        select(Exam.id)
        .where(Exam.user_id == user_id)
        .where(Exam.agency_id == agency_id)
        .where(Exam.status == "in_progress")
    ).first()
    awaiting = session.exec(
        select(Exam.id)
        .where(Exam.user_id == user_id)
        .where(Exam.agency_id == agency_id)
        .where(Exam.track == track_id)
        .where(Exam.status == "completed")
        .where(Exam.passed == True)  # noqa: E712
        .where(col(Exam.signed_off_at).is_(None))
    ).first()
    valid_until = session.exec(
        select(func.max(Certificate.expires_at))
        .where(Certificate.user_id == user_id)
        .where(Certificate.agency_id == agency_id)
        .where(Certificate.track == track_id)
        .where(col(Certificate.revoked_at).is_(None))
        .where(Certificate.expires_at > now)
    ).first()
    last_failed = session.exec(
        select(func.max(Exam.finished_at))
        .where(Exam.user_id == user_id)
        .where(Exam.agency_id == agency_id)
        .where(Exam.track == track_id)
        .where(Exam.status == "completed")
        .where(Exam.passed == False)  # noqa: E712
    ).first()
    return core.ProgressFacts(
        all_modules=modules,
        modules_read=frozenset(m for m, read_at, _ in rows if read_at is not None),
        checks_passed=frozenset(m for m, _, passed in rows if passed),
        practice_scores=tuple(int(s or 0) for s in scores),
        exam_in_progress=in_progress is not None,
        awaiting_sign_off=awaiting is not None,
        valid_certificate_until=valid_until,
        last_failed_exam_at=last_failed,
        now=now,
    ), in_progress


def _eligibility_dict(result: core.Eligibility) -> dict:
    return {
        "eligible": result.eligible,
        "missing": list(result.missing),
        "blocked": list(result.blocked),
        "modules_missing": list(result.modules_missing),
        "checks_missing": list(result.checks_missing),
        "practice_calls": result.practice_calls,
        "practice_needed": result.practice_needed,
        "practice_average": result.practice_average,
        "average_needed": result.average_needed,
        "progress": result.progress,
    }
