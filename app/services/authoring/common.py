"""What the authoring modules share: statuses and limits, attempt counts per version,
problems as dicts and lines, and the actor's protocol."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlmodel import Session, col, func, select

from app.core.protocol import Protocol
from app.core.scenario import Problem
from app.core.yaml_words import plain_problem
from app.services.access import Actor
from app.services.scope import actor_agency, agency_protocol
from app.store.db import read_session
from app.store.models import Attempt

STATUSES = ("draft", "published", "retired")
MAX_GENERATE = 200  # per run from the browser (the CLI allows more)
NEW_SCENARIO_ID = "new-scenario-0001"


# ------------------------------------------------------------------ helpers


_MANY_IDS = 200  # above this, count over the whole agency (one index scan) instead


def _attempt_counts(session: Session, agency_id: int, ids: Sequence[int]) -> dict[int, int]:
    """Attempts (any status) per scenario version."""
    if not ids:
        return {}
    # Grouping by (status, version) lets SQLite read ix_attempt_an_scenario alone; by the
    # version only it picks the version index and visits every row (25x slower at 1M).
    query = select(Attempt.scenario_version_id, func.count()).where(Attempt.agency_id == agency_id)
    if len(ids) <= _MANY_IDS:
        query = query.where(col(Attempt.scenario_version_id).in_(list(ids)))
    grouping = (col(Attempt.status), col(Attempt.scenario_version_id))
    rows = session.exec(query.group_by(*grouping)).all()
    wanted = set(ids)
    counts: dict[int, int] = defaultdict(int)
    for version, n in rows:
        if version in wanted:
            counts[int(version)] += int(n)
    return dict(counts)


def _models_in(data: Mapping | None) -> list[str]:
    by_model = ((data or {}).get("expert") or {}).get("by_model") or {}
    return sorted(m for m, entry in by_model.items() if entry)


def _problem_dict(problem: Problem) -> dict:
    """A problem for a trainer: a YAML syntax error in plain words, with its line."""
    return {
        "line": problem.line,
        "message": plain_problem(problem.message),
        "severity": problem.severity,
    }


def problem_text(problem: Problem) -> str:
    """``FILE:LINE: message`` with a YAML syntax error in plain words."""
    where = f"{problem.file}:{problem.line}" if problem.line else str(problem.file)
    prefix = "warning: " if problem.severity == "warning" else ""
    return f"{where}: {prefix}{plain_problem(problem.message)}"


def problem_line(problem: Mapping) -> str:
    """``line N: message`` (``warning:`` before a warning's message)."""
    where = f"line {problem['line']}" if problem.get("line") else "file"
    prefix = "warning: " if problem.get("severity") == "warning" else ""
    return f"{where}: {prefix}{problem['message']}"


def _protocol(actor: Actor) -> tuple[Protocol, str]:
    with read_session() as session:
        agency = actor_agency(session, actor)
        return agency_protocol(agency), agency.dispatch_model
