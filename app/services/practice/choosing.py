"""What the adaptive choice of the next call reads: the trainee's history and the catalogue.

Part of :mod:`app.services.practice`; import from the package.
"""

from __future__ import annotations

import time
from dataclasses import replace

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from app.core import adaptive
from app.services.access import Actor
from app.services.exam_lock import exam_seen_keys, later
from app.services.practice.common import HISTORY_LIMIT, _own_submitted
from app.services.scope import split_codes
from app.store.models import Attempt, ScenarioVersion


def _history(session: Session, actor: Actor) -> list[dict]:
    rows = session.exec(
        _own_submitted(
            actor,
            ScenarioVersion.call_type,
            ScenarioVersion.disqualifiers,
            Attempt.passed,
            Attempt.missed_disqualifiers,
            Attempt.over_disqualifiers,
            Attempt.score,
            Attempt.unsafe,
            Attempt.over_routed,
        ).limit(HISTORY_LIMIT)
    ).all()
    return [
        {
            "call_type": r[0],
            "disqualifiers": split_codes(r[1]),
            "passed": bool(r[2]),
            "missed": split_codes(r[3]),
            "over": split_codes(r[4]),
            "score": r[5],
            "unsafe": bool(r[6]),
            "over_routed": bool(r[7]),
        }
        for r in rows
    ]


# The agency's catalogue of published calls, kept per process: starting a call otherwise
# reads every current scenario (~70-180 ms at 10,000). A fingerprint of the current
# versions (how many, the newest id, which are published) is checked on every call, so
# a new, published, retired or replaced version is seen at once; what a fingerprint
# cannot see (a version's call type or difficulty edited in place) is picked up
# within CATALOGUE_SECONDS.
CATALOGUE_SECONDS = 60.0
_catalogues: dict[tuple[str, int], tuple[tuple, float, list[adaptive.Candidate]]] = {}


def _catalogue(session: Session, agency_id: int) -> list[adaptive.Candidate]:
    current = (
        select(
            func.count(),
            func.max(ScenarioVersion.id),
            func.sum(
                case((col(ScenarioVersion.status) == "published", ScenarioVersion.id), else_=0)
            ),
        )
        .where(ScenarioVersion.agency_id == agency_id)
        .where(ScenarioVersion.is_current == True)  # noqa: E712
    )
    fingerprint = tuple(session.exec(current).one())
    where = (str(session.get_bind().engine.url), agency_id)  # one process, two databases
    kept = _catalogues.get(where)
    now = time.monotonic()
    if kept and kept[0] == fingerprint and now - kept[1] < CATALOGUE_SECONDS:
        return kept[2]
    versions = session.exec(
        # sqlmodel's select() has typed overloads for at most four columns.
        select(  # type: ignore[call-overload]
            ScenarioVersion.id,
            ScenarioVersion.scenario_key,
            ScenarioVersion.call_type,
            ScenarioVersion.disqualifiers,
            ScenarioVersion.difficulty,
        )
        .where(ScenarioVersion.agency_id == agency_id)
        .where(ScenarioVersion.is_current == True)  # noqa: E712
        .where(ScenarioVersion.status == "published")
    ).all()
    catalogue = [
        adaptive.Candidate(
            id=vid,
            key=key,
            call_type=call_type,
            disqualifiers=tuple(split_codes(disqualifiers)),
            difficulty=difficulty or 1,
        )
        for vid, key, call_type, disqualifiers, difficulty in versions
    ]
    _catalogues[where] = (fingerprint, now, catalogue)
    return catalogue


def _candidates(session: Session, actor: Actor) -> list[adaptive.Candidate]:
    """The agency's published calls, each with when and how often the trainee met it.

    Refused while the trainee's exam is open (:class:`~app.services.exam_lock.ExamInProgress`),
    so no practice call is chosen then, let alone an exam call or its twin. Afterwards a
    finished exam's calls and their twins and variants count as seen (at the exam's
    end), so practice offers calls the trainee has not met first.
    """
    # Read first: an open exam refuses before anything else is read.
    exam_seen = exam_seen_keys(session, actor, refuse_open=True)
    catalogue = _catalogue(session, actor.agency_id)
    seen = session.exec(
        select(ScenarioVersion.scenario_key, func.max(Attempt.started_at), func.count())
        .join(ScenarioVersion, col(ScenarioVersion.id) == Attempt.scenario_version_id)
        .where(Attempt.user_id == actor.user_id)
        .where(Attempt.agency_id == actor.agency_id)
        .where(col(Attempt.status).in_(("submitted", "abandoned", "in_progress")))
        .group_by(ScenarioVersion.scenario_key)
    ).all()
    seen_by_key = {key: (last, int(count or 0)) for key, last, count in seen}
    for key, ended in exam_seen.items():
        last, count = seen_by_key.get(key, (None, 0))
        seen_by_key[key] = (later(last, ended), max(count, 1))
    return [
        replace(c, last_seen=seen_by_key[c.key][0], times_seen=seen_by_key[c.key][1])
        if c.key in seen_by_key
        else c
        for c in catalogue
    ]
