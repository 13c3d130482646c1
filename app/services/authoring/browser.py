"""The bank browser: the agency's current scenarios with filters, item statistics and
calibration state; publishing, retiring and rejecting drafts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from sqlalchemy import or_
from sqlalchemy.orm import defer
from sqlmodel import col, func, select

from app.core import item_stats as stats_core
from app.core.protocol import DISPOSITIONS, DISQUALIFIERS
from app.core.scenario import MODULE_SLUGS
from app.errors import UserError
from app.services import calibration, item_snapshot
from app.services.access import Actor, require
from app.services.authoring import review
from app.services.authoring.common import STATUSES, _attempt_counts, _models_in
from app.services.scope import actor_agency, agency_protocol, agency_scenario, split_codes
from app.store.db import read_session, write_session
from app.store.models import CalibrationKey, ScenarioVersion, row_id

# ------------------------------------------------------------------ the bank browser


class BankFilters(TypedDict):
    """The bank filters' choices; the maps are code -> label."""

    modules: list[str]
    call_types: dict[str, str]
    disqualifiers: dict[str, str]
    models: dict[str, str]  # dispatch models
    dispositions: dict[str, str]
    statuses: list[str]
    difficulties: list[int]


def bank_filters(*, actor: Actor) -> BankFilters:
    """Choices for the bank filters (the agency's protocol decides call types)."""
    require(actor, "author_scenarios")
    with read_session() as session:
        protocol = agency_protocol(actor_agency(session, actor))
        modules = session.exec(
            select(ScenarioVersion.module)
            .where(ScenarioVersion.agency_id == actor.agency_id)
            .where(ScenarioVersion.is_current == True)  # noqa: E712
            .distinct()
        ).all()
    return BankFilters(
        modules=sorted(set(MODULE_SLUGS) | set(modules)),
        call_types={c.code: c.label for c in protocol.call_types.values()},
        disqualifiers={d.code: d.label for d in protocol.disqualifiers.values()},
        models={m.code: m.label for m in protocol.models.values()},
        dispositions={d: protocol.disposition_label(d) for d in DISPOSITIONS},
        statuses=list(STATUSES),
        difficulties=[1, 2, 3, 4, 5],
    )


class BankRow(TypedDict):
    """One scenario version in the bank browser."""

    version_id: int
    key: str  # the scenario's id
    version: int
    title: str
    module: str
    call_type: str  # the expert's final code
    disqualifiers: list[str]  # codes
    difficulty: int
    status: str  # draft | published | retired
    pending: bool  # a draft of a change; the live version stays current until approved
    source: str  # bank | authored | generated
    models: list[str]  # dispatch models with an ``expert.by_model`` entry
    attempts_all: int  # attempts of any status
    attempts: int  # graded attempts behind the item statistics (0 without statistics)
    facility: float | None  # mean score, 0 to 1; None without statistics for it
    discrimination: float | None  # None without statistics, or too few trainees
    dubious: bool
    hints: list[str]  # what the statistics suggest checking, in words
    calibration: str  # CalibrationState.status, or "not calibrated"
    contested: bool


def bank(
    *,
    actor: Actor,
    module: str | None = None,
    call_type: str | None = None,
    disqualifier: str | None = None,
    model: str | None = None,
    difficulty: int | None = None,
    status: str | None = None,
    source: str | None = None,
    with_stats: bool = True,
    stats: Mapping[int, stats_core.ItemStats] | None = None,
) -> list[BankRow]:
    """The current version of every scenario of the agency that matches the filters,
    and every draft of a change waiting for approval (``pending``: True; the live
    version stays what trainees get until it is approved).

    ``disqualifier="none"`` finds scenarios without any; ``model`` finds scenarios whose
    ``expert.by_model`` has an entry for that dispatch model. Each row carries its item
    statistics (``stats`` from :func:`item_stats_map` when the caller keeps them, else
    worked out here) and its calibration state.
    """
    require(actor, "author_scenarios")
    query = (
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == actor.agency_id)
        .where(
            or_(
                col(ScenarioVersion.is_current) == True,  # noqa: E712
                col(ScenarioVersion.status) == "draft",
            )
        )
    )
    if module:
        query = query.where(ScenarioVersion.module == module)
    if call_type:
        query = query.where(ScenarioVersion.call_type == call_type)
    if disqualifier == "none":
        query = query.where(ScenarioVersion.disqualifiers == "")
    elif disqualifier:
        if disqualifier not in DISQUALIFIERS:
            raise UserError(f"Unknown disqualifier '{disqualifier}'.")
        query = query.where(col(ScenarioVersion.disqualifiers).contains(disqualifier))
    if difficulty:
        query = query.where(ScenarioVersion.difficulty == int(difficulty))
    if status:
        if status not in STATUSES:
            raise UserError(f"Unknown status '{status}'.")
        query = query.where(ScenarioVersion.status == status)
    if source:
        query = query.where(ScenarioVersion.source == source)
    with read_session() as session:
        agency = actor_agency(session, actor)
        # SQLModel types the attribute as the column's value; it is the mapped attribute.
        lazy_text = defer(ScenarioVersion.yaml_text)  # type: ignore[arg-type]
        rows = session.exec(
            query.options(lazy_text).order_by(
                ScenarioVersion.scenario_key, col(ScenarioVersion.version)
            )
        ).all()
        if model:
            rows = [r for r in rows if model in _models_in(r.data)]
        ids = [row_id(r) for r in rows]
        counts = _attempt_counts(session, actor.agency_id, ids)
        states = calibration.calibration_states(session, agency, rows)
    if not with_stats or not rows:
        stats = {}
    elif stats is None:
        stats = item_snapshot.current(actor.agency_id).stats
    out = []
    for r in rows:
        item = stats.get(row_id(r))
        state = states.get(row_id(r))
        out.append(
            BankRow(
                version_id=row_id(r),
                key=r.scenario_key,
                version=r.version,
                title=r.title,
                module=r.module,
                call_type=r.call_type,
                disqualifiers=split_codes(r.disqualifiers),
                difficulty=r.difficulty,
                status=r.status,
                pending=not r.is_current,
                source=r.source,
                models=_models_in(r.data),
                attempts_all=counts.get(row_id(r), 0),
                attempts=item.attempts if item else 0,
                facility=item.facility if item else None,
                discrimination=item.discrimination if item else None,
                dubious=bool(item and item.dubious),
                hints=item.hints if item else [],
                calibration=state.status if state else "not calibrated",
                contested=bool(state and state.contested),
            )
        )
    return out


class StatusChange(TypedDict):
    """A scenario version's status after :func:`set_status`."""

    version_id: int
    key: str
    status: str  # draft | published | retired


def set_status(*, actor: Actor, version_id: int, status: str) -> StatusChange:
    """Publish, retire or return to draft a version of a scenario.

    Publishing a draft is approving it (:func:`app.services.authoring.review.approve`:
    the two-person rule, the calibration panel where required, no contest). A retired
    version that was published before may be published again by any trainer, unless it
    is contested. Returning a published version to draft takes it away from trainees.
    Every change is logged.
    """
    require(actor, "author_scenarios")
    if status not in STATUSES:
        raise UserError(f"Unknown status '{status}'.")
    with write_session() as session:
        agency = actor_agency(session, actor)
        row = agency_scenario(session, actor, version_id)
        if status == row.status:
            return _status_change(row)
        if status == "published" and row.status == "draft":
            review.publish(session, agency, row, actor)
            return _status_change(row)
        if not row.is_current:
            raise UserError("Only the current version of a scenario can change status.")
        if status == "published":
            if row.published_at is None:
                raise UserError("This version was never approved; return it to draft first.")
            block = calibration.publish_block(session, agency, row)
            if block:
                raise UserError(block)
        if status == "draft":
            # Back to draft means back to review: a new approval is needed.
            row.approved_by = None
            row.approved_at = None
        row.status = status
        session.add(row)
        session.flush()
        event = {
            "published": "content_published",
            "retired": "content_retired",
            "draft": "content_draft",
        }[status]
        review.record(session, event=event, row=row, actor_id=actor.user_id, how="status")
        return _status_change(row)


def _status_change(row: ScenarioVersion) -> StatusChange:
    return StatusChange(version_id=row_id(row), key=row.scenario_key, status=row.status)


def reject_draft(*, actor: Actor, version_id: int) -> str:
    """Reject a draft: deleted when nobody has attempted or keyed it, else retired.

    Returns ``"deleted"`` or ``"retired"``. Deleting the current version makes the
    previous one (if any) current again.
    """
    require(actor, "author_scenarios")
    with write_session() as session:
        row = agency_scenario(session, actor, version_id)
        if row.status != "draft":
            raise UserError("Only a draft can be rejected; retire a published scenario instead.")
        used = _attempt_counts(session, actor.agency_id, [row_id(row)]).get(row_id(row), 0)
        keyed = session.exec(
            select(func.count())
            .select_from(CalibrationKey)
            .where(CalibrationKey.scenario_version_id == row.id)
            .where(CalibrationKey.agency_id == actor.agency_id)
        ).one()
        if used or keyed:
            row.status = "retired"
            session.add(row)
            review.record(
                session, event="content_rejected", row=row, actor_id=actor.user_id, kept=True
            )
            return "retired"
        was_current, key = row.is_current, row.scenario_key
        review.record(
            session, event="content_rejected", row=row, actor_id=actor.user_id, kept=False
        )
        session.delete(row)
        session.flush()
        if was_current:
            previous = session.exec(
                select(ScenarioVersion)
                .where(ScenarioVersion.agency_id == actor.agency_id)
                .where(ScenarioVersion.scenario_key == key)
                .order_by(col(ScenarioVersion.version).desc())
            ).first()
            if previous is not None:
                previous.is_current = True
                session.add(previous)
        return "deleted"
