"""While a trainee's exam is open, practice, lessons and feedback are closed to them.

The check is on the server, in the services every page goes through:

- practice: choosing the next call (``practice.choosing._candidates``) and every use of a
  practice attempt (``practice.common._load`` / ``_load_for_update``: the call screen,
  asking, marking, hints, audio, submitting, and the review with the expert key) are
  refused; only the open exam's own attempts are served;
- lessons: a lesson's text, marking it read and its knowledge check
  (``app.services.lessons``); the list of modules with the trainee's progress stays
  open, since "My training" and the exam page show it;
- an exam call's key: ``practice.review_attempt`` already holds an exam attempt's
  feedback back until that exam is finished.

After the exam, practice counts the exam's calls, and their twins and variants
(``twin:`` tags), as seen (``practice.choosing._candidates``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, bindparam, null
from sqlmodel import Session, col, select

from app.errors import AccessDenied
from app.services.access import Actor, can
from app.store.db import read_session
from app.store.models import Exam, ScenarioVersion

EXAM_IN_PROGRESS = "Your exam is in progress: finish it first."


class ExamInProgress(AccessDenied):
    """The trainee's exam is open: practice, lessons and feedback wait until it ends."""

    def __init__(self, message: str = EXAM_IN_PROGRESS):
        super().__init__(message)


# The actor's open exam, built once with the actor's ids left as parameters
# (exam_params): the call-screen services run it on every rerun, as a column of their own
# query, and building a query costs more than running this one.
_OPEN_EXAM = (
    select(Exam.id)
    .where(col(Exam.user_id) == bindparam("exam_user_id"))
    .where(col(Exam.agency_id) == bindparam("exam_agency_id"))
    .where(Exam.status == "in_progress")
    .order_by(col(Exam.id))
    .limit(1)
)
_OPEN_EXAM_COLUMN = _OPEN_EXAM.scalar_subquery().label("open_exam_id")
_NO_EXAM_COLUMN = null().label("open_exam_id")


def open_exam_id(session: Session, actor: Actor) -> int | None:
    """The actor's exam in progress, if any (None for roles that take no exam)."""
    if not takes_exams(actor):
        return None
    return session.exec(_OPEN_EXAM, params=exam_params(actor)).first()


def takes_exams(actor: Actor) -> bool:
    return can(actor, "exam")


def exam_column(takes: bool) -> ColumnElement:
    """The open exam column for an actor who can take exams (``takes``), else NULL."""
    return _OPEN_EXAM_COLUMN if takes else _NO_EXAM_COLUMN


def open_exam_column(actor: Actor) -> ColumnElement:
    """The actor's exam in progress as a column of another query (saves a round trip on
    every call-screen service); NULL for roles that take no exam. The query that holds
    it runs with :func:`exam_params` among its parameters."""
    return exam_column(takes_exams(actor))


def exam_params(actor: Actor) -> dict[str, int]:
    """The values :func:`open_exam_column` leaves as parameters."""
    return {"exam_user_id": actor.user_id, "exam_agency_id": actor.agency_id}


def refuse_unless_exam(open_id: int | None, allow_exam_id: int | None) -> None:
    """Raise :class:`ExamInProgress` when an exam is open and it is not ``allow_exam_id``."""
    if open_id is not None and open_id != allow_exam_id:
        raise ExamInProgress()


def refuse_during_exam(session: Session, actor: Actor, *, allow_exam_id: int | None = None) -> None:
    """Raise :class:`ExamInProgress` when the actor has an open exam (other than
    ``allow_exam_id``: the open exam may use its own calls)."""
    refuse_unless_exam(open_exam_id(session, actor), allow_exam_id)


def exam_lock_message(*, actor: Actor) -> str | None:
    """The message a page shows instead of practice, lessons or feedback; None when open."""
    with read_session() as session:
        return EXAM_IN_PROGRESS if open_exam_id(session, actor) is not None else None


def later(a: dt.datetime | None, b: dt.datetime) -> dt.datetime:
    """The later of two stored times (naive ones are UTC, as the database keeps them)."""

    def utc(value: dt.datetime) -> dt.datetime:
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    return b if a is None or utc(a) < utc(b) else a


def exam_seen_keys(
    session: Session, actor: Actor, *, refuse_open: bool = False
) -> dict[str, dt.datetime]:
    """Scenario keys the trainee met in a finished exam -> when that exam ended.

    Holds each planned call's key and the keys of every call in the agency that shares
    its twin group (its twin and variants), so practice counts all of them as seen.
    ``refuse_open``: raise :class:`ExamInProgress` instead when an exam is open (as
    :func:`refuse_during_exam`, from the same read).
    """
    statuses = ("completed", "in_progress") if refuse_open else ("completed",)
    exams = session.exec(
        select(Exam.status, Exam.plan, Exam.finished_at, Exam.started_at)
        .where(Exam.user_id == actor.user_id)
        .where(Exam.agency_id == actor.agency_id)
        .where(col(Exam.status).in_(statuses))
    ).all()
    if refuse_open and takes_exams(actor) and any(row[0] == "in_progress" for row in exams):
        raise ExamInProgress()
    when_by_version: dict[int, dt.datetime] = {}
    for status, plan, finished, started in exams:
        if status != "completed":
            continue
        ended = finished or started
        for vid in plan or []:
            if isinstance(vid, int):
                when_by_version[vid] = later(when_by_version.get(vid), ended)
    if not when_by_version:
        return {}
    planned = session.exec(
        select(ScenarioVersion.id, ScenarioVersion.scenario_key, ScenarioVersion.twin_group)
        .where(col(ScenarioVersion.id).in_(list(when_by_version)))
        .where(ScenarioVersion.agency_id == actor.agency_id)
    ).all()
    seen: dict[str, dt.datetime] = {}
    by_twin: dict[str, dt.datetime] = {}

    def note(target: dict[str, dt.datetime], name: str, when: dt.datetime) -> None:
        target[name] = later(target.get(name), when)

    for vid, key, twin in planned:
        if vid is None:  # a primary key: never, but the column is typed Optional
            continue
        note(seen, key, when_by_version[vid])
        if twin:
            note(by_twin, twin, when_by_version[vid])
    if by_twin:
        for key, twin in session.exec(
            select(ScenarioVersion.scenario_key, ScenarioVersion.twin_group)
            .where(ScenarioVersion.agency_id == actor.agency_id)
            .where(col(ScenarioVersion.twin_group).in_(list(by_twin)))
            .distinct()
        ).all():
            if twin is not None:  # the query asks for known twin groups only
                note(seen, key, by_twin[twin])
    return seen
