"""Expert calibration: trainers key the same scenario blind, then see how far they agree.

Blind: :func:`calibration_task` shows a trainer the call exactly as a trainee gets it
and nothing of anyone's key, neither the other trainers' keys nor the stored expert
key, until that trainer has submitted their own (:func:`submit_key`). A key has four
parts: disqualifiers, final call type, priority and route. The author of the stored key
(``key_author``: whoever wrote the ``expert`` section; a trainer who only edits the
title or the call does not become it) may not key it: they see the panel's keys at
once, to resolve a contest.

The panel: agreement needs at least two independent keys (from trainers other than the
key's author); with one key the scenario "needs more keys", never "agreed". Where an
agency requires calibration, a draft is published only once such a panel agrees
(:func:`panel_block`).

A key belongs to the call text it was made for (a hash of the scenario's ``call``
section). When the call is edited, earlier keys become *stale*: they no longer count
towards agreement and their trainers are asked to key the edited call. If the stale
keys were contested, the scenario stays contested until the edited call has been keyed
again, so editing is not a way round the block. Changing only the ``expert`` section
keeps the keys (the stored key is compared again at once).

Agreement, contested and kappa are defined in :mod:`app.core.calibration`. A contested
scenario cannot be published (:func:`publish_block`, used by
:func:`app.services.authoring.set_status`). It is resolved when trainers revise their
keys after discussion (a trainer may change their key once it is revealed) or when the
author fixes the scenario and it is keyed again.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.core import calibration as core
from app.core import grading
from app.core.call_view import call_view
from app.core.protocol import DISPOSITIONS, Protocol, ProtocolError
from app.errors import AccessDenied, UserError
from app.services.access import Actor, require
from app.services.calibration_results import (
    AgreementSummary,
    CalibrationReport,
    CalibrationTask,
    DimensionSummary,
    PublicKey,
    QueueEntry,
    ReportScenario,
    ReportTrainer,
    StoredKey,
    TaskChoices,
)
from app.services.practice import scenario_clip
from app.services.scope import actor_agency, agency_protocol, agency_scenario
from app.store.db import read_session, write_session
from app.store.models import Agency, CalibrationKey, ScenarioVersion, User, row_id, utcnow


def call_hash(data: Mapping | None) -> str:
    """Identifies the call a trainer keyed (the scenario's ``call`` section)."""
    call = (data or {}).get("call") or {}
    return hashlib.sha256(json.dumps(call, sort_keys=True, default=str).encode()).hexdigest()


def stored_key(data: Mapping, protocol: Protocol, model: str) -> StoredKey:
    """The scenario's own key on the three calibration dimensions under ``model``."""
    key = grading.effective_key(data, model, protocol)
    return StoredKey(
        disqualifiers=sorted(key["disqualifiers"]),
        call_type=key["call_type"],
        priority=key.get("priority"),
        disposition=key["disposition"],
    )


def labels(protocol: Protocol) -> dict[str, dict[str, str]]:
    """{dimension: {code: label}} for the reasons, in the protocol's words."""
    return {
        "disqualifiers": {d.code: d.label for d in protocol.disqualifiers.values()},
        "call_type": {c.code: c.label for c in protocol.call_types.values()},
        "disposition": {d: protocol.disposition_label(d) for d in DISPOSITIONS},
    }


@dataclass(frozen=True)
class CalibrationState:
    """Where a scenario version stands in calibration."""

    current_keys: int
    stale_keys: int
    agreement: core.ScenarioAgreement | None
    contested: bool
    reasons: tuple[str, ...]

    @property
    def status(self) -> str:
        if self.contested:
            return "contested"
        if self.current_keys >= core.MIN_KEYS:
            return "agreed"
        if self.current_keys:
            return "needs more keys"
        if self.stale_keys:
            return "needs re-keying"
        return "not calibrated"


def _state(keys: Sequence[Mapping], row: ScenarioVersion, protocol: Protocol, model: str):
    now = call_hash(row.data)
    # Only independent keys count: not one by the author of the stored key (a trainer
    # who keyed the call and then rewrote its key is its author now).
    keys = [k for k in keys if row.key_author is None or k.get("_trainer") != row.key_author]
    current = [k for k in keys if k.get("call_hash") == now]
    stale = [k for k in keys if k.get("call_hash") != now]
    try:
        expert = stored_key(row.data or {}, protocol, model)
    except (grading.GradingError, ProtocolError):
        expert = None
    words = labels(protocol)
    if current:
        agreement = core.scenario_agreement(current, expert, labels=words)
        return CalibrationState(
            len(current), len(stale), agreement, agreement.contested, agreement.reasons
        )
    if stale:
        agreement = core.scenario_agreement(stale, expert, labels=words)
        if agreement.contested:
            reasons = tuple(f"before the call was edited: {r}" for r in agreement.reasons)
            reasons += ("the edited call needs keys from the trainers again",)
            return CalibrationState(0, len(stale), agreement, True, reasons)
        return CalibrationState(0, len(stale), agreement, False, ())
    return CalibrationState(0, 0, None, False, ())


def _keys_by_version(session: Session, agency_id: int, ids: Sequence[int]) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    if not ids:
        return out
    rows = session.exec(
        select(CalibrationKey)
        .where(CalibrationKey.agency_id == agency_id)
        .where(col(CalibrationKey.scenario_version_id).in_(list(ids)))
        .order_by(col(CalibrationKey.id))
    ).all()
    for row in rows:
        out[row.scenario_version_id].append(row)
    return out


def calibration_states(
    session: Session, agency: Agency, rows: Sequence[ScenarioVersion]
) -> dict[int, CalibrationState]:
    """The calibration state of each version in ``rows`` (one query for their keys)."""
    protocol = agency_protocol(agency)
    keys = _keys_by_version(session, row_id(agency), [row_id(r) for r in rows])
    return {
        row_id(r): _state(
            [{**(k.key or {}), "_trainer": k.trainer_id} for k in keys.get(row_id(r), [])],
            r,
            protocol,
            agency.dispatch_model,
        )
        for r in rows
    }


def publish_block(session: Session, agency: Agency, row: ScenarioVersion) -> str | None:
    """Why this version may not be published (None when it may)."""
    state = calibration_states(session, agency, [row])[row_id(row)]
    if not state.contested:
        return None
    return (
        f"'{row.scenario_key}' is contested in calibration and cannot be published until "
        f"that is resolved: {'; '.join(state.reasons)}."
    )


def panel_block(session: Session, agency: Agency, row: ScenarioVersion) -> str | None:
    """Why the calibration panel does not yet allow publishing ``row`` (None when it does):
    fewer than two independent keys of the call as it now reads."""
    state = calibration_states(session, agency, [row])[row_id(row)]
    if state.current_keys >= core.MIN_KEYS:
        return None
    return (
        "Your agency publishes a call only once its calibration panel agrees: "
        f"{state.current_keys} of the {core.MIN_KEYS} keys needed so far. Trainers other "
        "than the key's author key it on the Calibration page."
    )


def _author(row: ScenarioVersion, actor: Actor) -> bool:
    """Whether ``actor`` wrote the stored key of ``row``."""
    return row.key_author is not None and row.key_author == actor.user_id


def _queue_rows(session: Session, agency_id: int) -> list[ScenarioVersion]:
    """The versions to calibrate: each scenario's draft waiting for approval if it has
    one, else its current version; retired ones left out."""
    rows = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == agency_id)
        .where(
            or_(
                col(ScenarioVersion.is_current) == True,  # noqa: E712
                col(ScenarioVersion.status) == "draft",
            )
        )
        .where(ScenarioVersion.status != "retired")
        .order_by(ScenarioVersion.scenario_key, col(ScenarioVersion.version).desc())
    ).all()
    chosen: dict[str, ScenarioVersion] = {}
    for r in rows:
        if r.scenario_key not in chosen or (r.status == "draft" and not r.is_current):
            chosen[r.scenario_key] = r
    return list(chosen.values())


# ------------------------------------------------------------------ a trainer's queue


def calibration_queue(*, actor: Actor) -> list[QueueEntry]:
    """Scenarios to key (drafts first, retired left out), with where each stands."""
    require(actor, "calibrate")
    with read_session() as session:
        agency = actor_agency(session, actor)
        rows = _queue_rows(session, actor.agency_id)
        keys = _keys_by_version(session, row_id(agency), [row_id(r) for r in rows])
        states = calibration_states(session, agency, rows)
    out: list[QueueEntry] = []
    for r in rows:
        mine = next(
            (k.key or {} for k in keys.get(row_id(r), []) if k.trainer_id == actor.user_id), None
        )
        out.append(
            QueueEntry(
                version_id=row_id(r),
                key=r.scenario_key,
                title=r.title,
                status=r.status,
                keys=states[row_id(r)].current_keys,
                keyed_by_me=bool(mine and mine.get("call_hash") == call_hash(r.data)),
                mine_stale=bool(mine and mine.get("call_hash") != call_hash(r.data)),
                author=_author(r, actor),
                calibration=states[row_id(r)].status,
            )
        )
    out.sort(key=lambda x: (x["status"] != "draft", x["keyed_by_me"], x["key"]))
    return out


def _names(session: Session, agency_id: int, ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = session.exec(
        select(User.id, User.display_name)
        .where(User.agency_id == agency_id)
        .where(col(User.id).in_(ids))
    ).all()
    return {i: n for i, n in rows if i is not None}


def _agreement_dict(state: CalibrationState) -> AgreementSummary:
    agreement = state.agreement
    return AgreementSummary(
        status=state.status,
        contested=state.contested,
        reasons=list(state.reasons),
        current_keys=state.current_keys,
        stale_keys=state.stale_keys,
        dimensions={
            dim: DimensionSummary(
                agreement=d.agreement,
                most_common=d.most_common,
                majority=d.majority,
                counts=dict(d.counts),
                expert=d.expert,
            )
            for dim, d in (agreement.dimensions.items() if agreement else [])
        },
    )


def calibration_task(*, actor: Actor, version_id: int) -> CalibrationTask:
    """One scenario to key: the call (no key), the choices, and, only once the trainer
    has keyed this call (or to its author), every trainer's key, the stored key and the
    agreement."""
    require(actor, "calibrate")
    with read_session() as session:
        agency = actor_agency(session, actor)
        row = agency_scenario(session, actor, version_id)
        protocol = agency_protocol(agency)
        model = agency.dispatch_model
        keys = _keys_by_version(session, row_id(agency), [row_id(row)]).get(row_id(row), [])
        names = _names(session, row_id(agency), [k.trainer_id for k in keys])
        state = calibration_states(session, agency, [row])[row_id(row)]
    data = row.data or {}
    now = call_hash(data)
    mine = next((k for k in keys if k.trainer_id == actor.user_id), None)
    keyed = bool(mine and (mine.key or {}).get("call_hash") == now)
    author = _author(row, actor)
    # The author wrote the stored key and may not key: they see the panel's keys at once,
    # so they can resolve a contest.
    revealed = keyed or author
    view = _trainee_view(data, protocol, model)
    task = CalibrationTask(
        version_id=row_id(row),
        key=row.scenario_key,
        title=row.title,
        status=row.status,
        author=author,
        preview=view,
        choices=TaskChoices(
            disqualifiers=view["disqualifiers"],
            call_types=view["call_types"],
            dispositions=view["dispositions"],
            priorities=[1, 2, 3, 4],
        ),
        mine=_public_key(mine.key) if mine is not None and keyed else None,
        mine_stale=bool(mine and not keyed),
        revealed=revealed,
        keys_so_far=state.current_keys,
    )
    if revealed:
        task["others"] = [
            {
                "trainer": names.get(k.trainer_id, "a trainer"),
                "yours": k.trainer_id == actor.user_id,
                **_public_key(k.key),
                "stale": (k.key or {}).get("call_hash") != now,
            }
            for k in keys
        ]
        try:
            task["expert"] = stored_key(data, protocol, model)
        except (grading.GradingError, ProtocolError):
            task["expert"] = None
        task["agreement"] = _agreement_dict(state)
    return task


def task_clip(*, actor: Actor, version_id: int, item: str) -> bytes | None:
    """The caller's voice for the opening or one answer of a scenario being keyed."""
    require(actor, "calibrate")
    with read_session() as session:
        agency = actor_agency(session, actor)
        row = agency_scenario(session, actor, version_id)
        protocol = agency_protocol(agency)
    return scenario_clip(row.data or {}, item, protocol)


def _trainee_view(data: Mapping, protocol: Protocol, model: str) -> dict:
    """The call as a trainee sees it, every caller answer included, and nothing of the key
    (the same view as the authoring preview, :func:`app.services.authoring.build_preview`)."""
    view = call_view(data, protocol, model, answers=True, strict=False)
    return {"id": data.get("id"), "title": data.get("title"), **view}


def _public_key(key: Mapping | None) -> PublicKey:
    key = key or {}
    return PublicKey(
        disqualifiers=list(key.get("disqualifiers") or []),
        call_type=key.get("call_type"),
        priority=key.get("priority"),
        disposition=key.get("disposition"),
        revisions=int(key.get("revisions") or 0),
    )


def submit_key(
    *,
    actor: Actor,
    version_id: int,
    disqualifiers: Iterable[str],
    call_type: str | None,
    disposition: str | None,
    priority: int | None = None,
) -> CalibrationTask:
    """Store (or, once revealed, revise) the trainer's key; returns the revealed task.

    A key is complete: disqualifiers (none is an answer), call type, priority 1 to 4
    and a route that exists for the call."""
    require(actor, "calibrate")
    with write_session() as session:
        agency = actor_agency(session, actor)
        row = agency_scenario(session, actor, version_id)
        if _author(row, actor):
            raise AccessDenied(
                "You wrote this scenario's key, so you know it; ask other trainers to key it."
            )
        if row.status == "retired" or (not row.is_current and row.status != "draft"):
            raise UserError("Only current scenarios and drafts waiting for approval are keyed.")
        protocol = agency_protocol(agency)
        data = row.data or {}
        view = _trainee_view(data, protocol, agency.dispatch_model)
        chosen = sorted(set(disqualifiers or []))
        unknown = [d for d in chosen if d not in protocol.disqualifiers]
        if unknown:
            raise UserError(f"Unknown disqualifier(s): {', '.join(unknown)}.")
        if not call_type or call_type not in protocol.call_types:
            raise UserError("Choose the final call type.")
        if priority not in (1, 2, 3, 4):
            raise UserError("Choose the priority (1 to 4).")
        routes = [d["code"] for d in view["dispositions"]]
        if not disposition or disposition not in routes:
            raise UserError("Choose a route that exists for this call.")
        existing = session.exec(
            select(CalibrationKey)
            .where(CalibrationKey.scenario_version_id == row.id)
            .where(CalibrationKey.trainer_id == actor.user_id)
            .where(CalibrationKey.agency_id == actor.agency_id)
        ).first()
        now = call_hash(data)
        key: dict[str, Any] = {
            "disqualifiers": chosen,
            "call_type": call_type,
            "priority": int(priority),
            "disposition": disposition,
            "model": agency.dispatch_model,
            "call_hash": now,
            "updated_at": utcnow().isoformat(),
        }
        if existing is None:
            key["revisions"] = 0
            session.add(
                CalibrationKey(
                    agency_id=actor.agency_id,
                    scenario_version_id=row_id(row),
                    trainer_id=actor.user_id,
                    key=key,
                )
            )
        else:
            old = existing.key or {}
            # Changing a key after seeing the others is a revision; keying an edited
            # call again starts blind, so it is not counted as one.
            same_call = old.get("call_hash") == now
            key["revisions"] = int(old.get("revisions") or 0) + (1 if same_call else 0)
            existing.key = key
            session.add(existing)
        session.flush()
    return calibration_task(actor=actor, version_id=version_id)


# ------------------------------------------------------------------ the report


def calibration_report(*, actor: Actor) -> CalibrationReport:
    """Agreement per scenario, per trainer, and Fleiss' kappa per dimension.

    Only keys of the current call text count (stale keys are left out). A scenario the
    actor has not keyed (and did not write) shows only its number of keys: its agreement
    and reasons would give away the other keys and the stored key.
    """
    require(actor, "calibrate")
    with read_session() as session:
        agency = actor_agency(session, actor)
        keyed = select(CalibrationKey.scenario_version_id).where(
            CalibrationKey.agency_id == actor.agency_id
        )
        wanted = {row_id(r) for r in _queue_rows(session, actor.agency_id)}
        rows = [
            r
            for r in session.exec(
                select(ScenarioVersion)
                .where(ScenarioVersion.agency_id == actor.agency_id)
                .where(col(ScenarioVersion.id).in_(keyed))
                .order_by(ScenarioVersion.scenario_key)
            ).all()
            if row_id(r) in wanted
        ]
        keys = _keys_by_version(session, row_id(agency), [row_id(r) for r in rows])
        states = calibration_states(session, agency, rows)
        trainer_ids = [k.trainer_id for group in keys.values() for k in group]
        names = _names(session, row_id(agency), trainer_ids)
    scenarios: list[ReportScenario] = []
    by_scenario: dict[int, dict[int, dict]] = {}
    for r in rows:
        now = call_hash(r.data)
        current = {
            k.trainer_id: k.key
            for k in keys.get(row_id(r), [])
            if (k.key or {}).get("call_hash") == now and not (k.trainer_id == r.key_author)
        }
        by_scenario[row_id(r)] = current
        state = states[row_id(r)]
        # Still blind: a trainer who has not keyed this call sees only how many have.
        revealed = actor.user_id in current or _author(r, actor)
        dims = state.agreement.dimensions if state.agreement and revealed else {}
        shares = {dim: d.agreement for dim, d in dims.items()}
        scenarios.append(
            ReportScenario(
                version_id=row_id(r),
                key=r.scenario_key,
                title=r.title,
                status=r.status,
                keys=state.current_keys,
                stale_keys=state.stale_keys,
                revealed=revealed,
                disqualifiers_agreement=shares.get("disqualifiers"),
                call_type_agreement=shares.get("call_type"),
                priority_agreement=shares.get("priority"),
                disposition_agreement=shares.get("disposition"),
                calibration=state.status if revealed else "key it to see",
                contested=state.contested if revealed else None,
                reasons=list(state.reasons) if revealed else [],
            )
        )
    trainers: list[ReportTrainer] = []
    for trainer, result in core.trainer_agreement(by_scenario).items():
        rates = {dim: (a / n if n else None) for dim, (a, n) in result.by_dimension.items()}
        trainers.append(
            ReportTrainer(
                trainer_id=trainer,
                trainer=names.get(trainer, "a trainer"),
                scenarios=result.scenarios,
                compared=result.compared,
                agreement=result.rate,
                disqualifiers_agreement=rates.get("disqualifiers"),
                call_type_agreement=rates.get("call_type"),
                priority_agreement=rates.get("priority"),
                disposition_agreement=rates.get("disposition"),
            )
        )
    trainers.sort(key=lambda t: (t["agreement"] is None, -(t["agreement"] or 0), t["trainer"]))
    kappa = core.kappa_by_dimension({sid: list(k.values()) for sid, k in by_scenario.items()})
    return CalibrationReport(
        scenarios=scenarios,
        trainers=trainers,
        kappa=kappa,
        scenarios_with_two_or_more=sum(1 for k in by_scenario.values() if len(k) >= 2),
    )
