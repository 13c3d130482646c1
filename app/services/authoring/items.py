"""Item statistics for trainers: facility, discrimination and the dubious items."""

from __future__ import annotations

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


def item_analysis(*, actor: Actor, dubious_only: bool = False) -> list[dict]:
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
    out = []
    for version_id, key, version, current, title, module, status, call_type in rows:
        item = stats.get(version_id)
        if item is None or (dubious_only and not item.dubious):
            continue
        out.append(
            {
                "version_id": version_id,
                "key": key,
                "version": version,
                "current": current,
                "title": title,
                "module": module,
                "status": status,
                "call_type": call_type,
                **item.as_dict(),
            }
        )
    out.sort(key=lambda r: (not r["dubious"], not r["flags"], r["key"], -r["version"]))
    return out
