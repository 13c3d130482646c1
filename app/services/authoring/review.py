"""Content review: draft → approved → published.

Every change a trainer makes (an edit, an upload, a generated call) is stored as a
draft (:func:`app.services.bank.store_draft`). Trainees only ever get published
versions: the practice catalogue, exams and lessons read the *current, published*
version of a scenario, and a draft of a change to a live scenario is not current until
it is published.

Publishing needs, per agency:

- **a second trainer** (``agency.review_required``, on by default): nobody who saved
  the draft's text (``ScenarioVersion.editors``) may approve it;
- **the calibration panel** (``agency.calibration_required``, off by default): at
  least two trainers other than the key's author have keyed the call as it now reads,
  and their keys agree with each other and with the stored key
  (:func:`app.services.calibration.panel_block`);
- in every agency, no contest in calibration (:func:`app.services.calibration.publish_block`).

Approving publishes at once: the draft becomes the current, published version and the
version trainees had until then is kept unchanged (its attempts still point at it).
Every transition is appended to the audit log in the same transaction.
"""

from __future__ import annotations

from typing import TypedDict

from sqlmodel import Session, col, select

from app.errors import AccessDenied, UserError
from app.services import audit, calibration
from app.services.access import Actor, can, require
from app.services.scope import actor_agency, agency_scenario
from app.store.db import read_session, write_session
from app.store.models import Agency, ScenarioVersion, User, row_id, utcnow

SETTINGS_PERMISSION = "manage_users"  # an admin sets the agency's review rules


def _subject(row: ScenarioVersion) -> str:
    return f"scenario {row.scenario_key} version {row.version}"[:200]


def record(
    session: Session,
    *,
    event: str,
    row: ScenarioVersion,
    actor_id: int | None,
    **extra: object,
) -> None:
    """Append one content event about ``row`` to the audit log (inside ``session``)."""
    payload = {
        "version_id": row.id,
        "key": row.scenario_key,
        "version": row.version,
        "title": row.title,
        **extra,
    }
    audit.append(
        session,
        event=event,
        subject=_subject(row),
        payload=payload,
        agency_id=row.agency_id,
        actor_id=actor_id,
    )


def record_draft(session: Session, *, row: ScenarioVersion, actor_id: int, how: str) -> None:
    """Log a draft saved by ``how`` (``edit``, ``import`` or ``generated``)."""
    record(session, event="content_draft", row=row, actor_id=actor_id, how=how)


# ------------------------------------------------------------------ the agency's rules


class ReviewSettings(TypedDict):
    review_required: bool  # a second trainer approves each draft
    calibration_required: bool  # the calibration panel agrees before publishing


def review_settings(*, actor: Actor) -> ReviewSettings:
    """The agency's review rules: ``review_required`` and ``calibration_required``."""
    if not (can(actor, "author_scenarios") or can(actor, SETTINGS_PERMISSION)):
        require(actor, "author_scenarios")  # raises with the usual message
    with read_session() as session:
        agency = actor_agency(session, actor)
        return ReviewSettings(
            review_required=bool(agency.review_required),
            calibration_required=bool(agency.calibration_required),
        )


def set_review_settings(
    *, actor: Actor, review_required: bool, calibration_required: bool
) -> ReviewSettings:
    """Change the agency's review rules (an admin's decision, logged)."""
    require(actor, SETTINGS_PERMISSION)
    with write_session() as session:
        agency = actor_agency(session, actor)
        before = ReviewSettings(
            review_required=bool(agency.review_required),
            calibration_required=bool(agency.calibration_required),
        )
        after = ReviewSettings(
            review_required=bool(review_required),
            calibration_required=bool(calibration_required),
        )
        if before != after:
            agency.review_required = after["review_required"]
            agency.calibration_required = after["calibration_required"]
            session.add(agency)
            audit.append(
                session,
                event="review_settings",
                subject=f"agency {agency.slug}"[:200],
                payload={"from": before, "to": after},
                agency_id=row_id(agency),
                actor_id=actor.user_id,
            )
        return after


# ------------------------------------------------------------------ what stands in the way


def _editors(row: ScenarioVersion) -> set[int]:
    editors = {int(e) for e in (row.editors or [])}
    if row.created_by is not None:
        editors.add(row.created_by)
    return editors


def publish_blocks(
    session: Session, agency: Agency, row: ScenarioVersion, actor: Actor
) -> list[str]:
    """Why ``actor`` may not approve and publish ``row`` now (empty when they may)."""
    blocks: list[str] = []
    if agency.review_required and actor.user_id in _editors(row):
        blocks.append(
            "You changed this version, so another trainer must check and approve it "
            "(your agency's two-person rule)."
        )
    if agency.calibration_required:
        reason = calibration.panel_block(session, agency, row)
        if reason:
            blocks.append(reason)
    contest = calibration.publish_block(session, agency, row)
    if contest:
        blocks.append(contest)
    return blocks


def _names(session: Session, agency_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(
        select(User.id, User.display_name)
        .where(User.agency_id == agency_id)
        .where(col(User.id).in_(sorted(ids)))
    ).all()
    return {int(i): n for i, n in rows if i is not None}


class ReviewState(TypedDict):
    version_id: int
    status: str
    pending: bool  # a draft of a change to a live scenario
    editors: list[str]  # names of everyone who saved its text
    approved_by: str | None  # a name; None until approved
    rules: ReviewSettings
    can_approve: bool
    blocks: list[str]  # why the actor may not approve it now


def review_state(*, actor: Actor, version_id: int) -> ReviewState:
    """Where a version stands in review, for the editor and the bank.

    Keys: ``status``, ``pending`` (a draft of a change to a live scenario), ``editors``
    (names), ``approved_by`` (a name or None), ``rules`` (the agency's settings),
    ``can_approve`` and ``blocks`` (why the actor may not approve it now).
    """
    require(actor, "author_scenarios")
    with read_session() as session:
        agency = actor_agency(session, actor)
        row = agency_scenario(session, actor, version_id)
        editors = _editors(row)
        names = _names(session, actor.agency_id, editors | {row.approved_by or 0})
        blocks = publish_blocks(session, agency, row, actor) if row.status == "draft" else []
        return ReviewState(
            version_id=row_id(row),
            status=row.status,
            pending=row.status == "draft" and not row.is_current,
            editors=sorted(names.get(e, "a trainer") for e in editors),
            approved_by=names.get(row.approved_by) if row.approved_by else None,
            rules=ReviewSettings(
                review_required=bool(agency.review_required),
                calibration_required=bool(agency.calibration_required),
            ),
            can_approve=row.status == "draft" and not blocks,
            blocks=blocks,
        )


# ------------------------------------------------------------------ approving and publishing


def publish(session: Session, agency: Agency, row: ScenarioVersion, actor: Actor) -> None:
    """Approve and publish ``row`` (a draft) for ``actor``, or raise why not."""
    blocks = publish_blocks(session, agency, row, actor)
    if blocks:
        if any("another trainer" in b for b in blocks):
            raise AccessDenied(blocks[0])
        raise UserError(" ".join(blocks))
    now = utcnow()
    if not row.is_current:
        live = session.exec(
            select(ScenarioVersion)
            .where(ScenarioVersion.agency_id == row.agency_id)
            .where(ScenarioVersion.scenario_key == row.scenario_key)
            .where(ScenarioVersion.is_current == True)  # noqa: E712
            .with_for_update()
        ).first()
        if live is not None:
            live.is_current = False
            session.add(live)
            session.flush()
        row.is_current = True
    row.status = "published"
    row.approved_by = actor.user_id
    row.approved_at = now
    row.published_at = now
    session.add(row)
    session.flush()
    if agency.review_required:
        record(session, event="content_approved", row=row, actor_id=actor.user_id)
    record(session, event="content_published", row=row, actor_id=actor.user_id)


class Approved(TypedDict):
    version_id: int
    key: str
    version: int
    status: str  # "published"


def approve(*, actor: Actor, version_id: int) -> Approved:
    """Approve a draft and publish it; returns ``{version_id, key, version, status}``.

    Refused (nothing changes) when the actor saved any of the draft's text and the
    agency has the two-person rule, when the calibration panel has not agreed where the
    agency requires it, or when the scenario is contested in calibration.
    """
    require(actor, "author_scenarios")
    with write_session() as session:
        agency = actor_agency(session, actor)
        row = agency_scenario(session, actor, version_id)
        if row.status != "draft":
            raise UserError("Only a draft waits for approval; this version is not one.")
        publish(session, agency, row, actor)
        return Approved(
            version_id=row_id(row),
            key=row.scenario_key,
            version=row.version,
            status=row.status,
        )


class QueuedDraft(TypedDict):
    version_id: int
    key: str
    version: int
    title: str
    source: str  # bank | authored | generated
    change: str  # "new scenario" or "change to a live scenario"
    editors: list[str]  # names
    can_approve: bool
    blocks: list[str]  # why the actor may not approve it now


def review_queue(*, actor: Actor) -> list[QueuedDraft]:
    """Drafts of the agency waiting for approval, oldest change first, with whether the
    actor may approve each one."""
    require(actor, "author_scenarios")
    with read_session() as session:
        agency = actor_agency(session, actor)
        rows = session.exec(
            select(ScenarioVersion)
            .where(ScenarioVersion.agency_id == actor.agency_id)
            .where(ScenarioVersion.status == "draft")
            .order_by(col(ScenarioVersion.created_at), col(ScenarioVersion.id))
        ).all()
        editor_ids: set[int] = set()
        for r in rows:
            editor_ids |= _editors(r)
        names = _names(session, actor.agency_id, editor_ids)
        out: list[QueuedDraft] = []
        for r in rows:
            blocks = publish_blocks(session, agency, r, actor)
            out.append(
                QueuedDraft(
                    version_id=row_id(r),
                    key=r.scenario_key,
                    version=r.version,
                    title=r.title,
                    source=r.source,
                    change="new scenario" if r.is_current else "change to a live scenario",
                    editors=sorted(names.get(e, "a trainer") for e in _editors(r)),
                    can_approve=not blocks,
                    blocks=blocks,
                )
            )
    return out
