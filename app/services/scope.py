"""What every service needs about the actor's agency: the row, its protocol, its scenarios.

One home for the small helpers services used to define for themselves (``_agency``,
``_protocol``, ``_split``, ``_row``): each reads inside the caller's session and keeps the
agency in the SQL, so a service cannot reach another agency's data by accident.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

from sqlmodel import Session, select

from app.core.protocol import Protocol, load_protocol
from app.errors import NotFound
from app.services.access import Actor
from app.store.models import Agency, ScenarioVersion


@functools.lru_cache(maxsize=64)
def _protocol_from_json(overrides_json: str) -> Protocol:
    overrides = json.loads(overrides_json)
    return load_protocol(overrides or None)


def protocol_for(overrides: Mapping | None) -> Protocol:
    """A protocol with an agency's overrides, built once per distinct set of overrides."""
    return _protocol_from_json(json.dumps(overrides or {}, sort_keys=True, default=str))


def agency_of(session: Session, agency_id: int) -> Agency:
    """The agency row; :class:`NotFound` when it no longer exists."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("Your agency no longer exists.")
    return agency


def actor_agency(session: Session, actor: Actor) -> Agency:
    """The actor's own agency row."""
    return agency_of(session, actor.agency_id)


def agency_protocol(agency: Agency) -> Protocol:
    """The agency's protocol (cached per distinct overrides)."""
    return protocol_for(agency.protocol_overrides)


def agency_scenario(session: Session, actor: Actor, version_id: int) -> ScenarioVersion:
    """A scenario version of the actor's own agency (the agency is in the SQL)."""
    row = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.id == int(version_id))
        .where(ScenarioVersion.agency_id == actor.agency_id)
    ).first()
    if row is None:
        raise NotFound("There is no such scenario in your agency's bank.")
    return row


def split_codes(text: str | None) -> list[str]:
    """Codes stored comma-separated in one column ("weapon,threat") as a list."""
    return [part for part in (text or "").split(",") if part]
