"""Item statistics for trainers: facility, discrimination and the dubious items."""

from __future__ import annotations

from typing import TypedDict

from sqlmodel import select

from app.core import item_stats as stats_core
from app.services import item_snapshot
from app.services.access import Actor, require
from app.store.db import read_session
from app.store.models import ScenarioVersion

# ------------------------------------------------------------------ item statistics
# Worked out from every graded attempt and kept per agency: app/services/item_snapshot.py.


def item_stats_map(*, actor: Actor) -> dict[int, stats_core.ItemStats]:
    """Item statistics of every version with graded attempts (for :func:`bank`)."""
    require(actor, "author_scenarios")
    return item_snapshot.current(actor.agency_id).stats


def item_analysis_status(*, actor: Actor) -> item_snapshot.Snapshot:
    """When the item statistics were worked out and whether attempts came in since."""
    require(actor, "item_analysis")
    return item_snapshot.status(actor.agency_id)


def refresh_item_analysis(*, actor: Actor) -> item_snapshot.Snapshot:
    """Work the item statistics out again now (the page's "Work out again" button)."""
    require(actor, "item_analysis")
    return item_snapshot.refresh(actor.agency_id)


class ItemAnalysisRow(TypedDict):
    """One scenario version with its item statistics (the item analysis table)."""

    version_id: int
    key: str
    version: int
    current: bool
    title: str
    module: str
    status: str
    call_type: str
    # From ItemStats.as_dict (app/core/item_stats.py):
    attempts: int
    trainees: int
    facility: float | None  # mean score, 0 to 1
    discrimination: float | None  # None with too few trainees
    discrimination_n: int  # trainees behind the discrimination index
    dubious: bool
    wrong_disposition: str | None  # the most common wrong route's code
    wrong_disposition_count: int  # attempts that chose it (0 when none)
    wrong_call_type: str | None
    wrong_call_type_count: int
    flags: list[str]
    hints: list[str]  # one plain sentence per flag


def item_analysis(*, actor: Actor, dubious_only: bool = False) -> list[ItemAnalysisRow]:
    """Item statistics for every current scenario version that has graded attempts.

    Definitions: :mod:`app.core.item_stats`. Guided-mode attempts are left out (hints
    were on screen).
    """
    require(actor, "item_analysis")
    stats = item_snapshot.current(actor.agency_id).stats
    columns = ("id", "scenario_key", "version", "is_current", "title", "module", "status",
               "call_type")  # fmt: skip
    with read_session() as session:
        # Plain columns, not ORM objects: thousands of versions on every page view.
        rows = (
            session.exec(
                select(*(getattr(ScenarioVersion, c) for c in columns)).where(
                    ScenarioVersion.agency_id == actor.agency_id
                )
            ).all()
            if stats
            else []
        )
    out: list[ItemAnalysisRow] = []
    for version_id, key, version, current, title, module, status, call_type in rows:
        item = stats.get(version_id)
        if item is None or (dubious_only and not item.dubious):
            continue
        figures = item.as_dict()
        out.append(
            ItemAnalysisRow(
                version_id=version_id,
                key=key,
                version=version,
                current=current,
                title=title,
                module=module,
                status=status,
                call_type=call_type,
                attempts=figures["attempts"],
                trainees=figures["trainees"],
                facility=figures["facility"],
                discrimination=figures["discrimination"],
                discrimination_n=figures["discrimination_n"],
                dubious=figures["dubious"],
                wrong_disposition=figures["wrong_disposition"],
                wrong_disposition_count=figures["wrong_disposition_count"],
                wrong_call_type=figures["wrong_call_type"],
                wrong_call_type_count=figures["wrong_call_type_count"],
                flags=figures["flags"],
                hints=figures["hints"],
            )
        )
    out.sort(key=lambda r: (not r["dubious"], not r["flags"], r["key"], -r["version"]))
    return out
