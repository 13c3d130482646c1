"""Builders shared by the authoring, import, calibration and trainer page tests."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlmodel import select

from app.core.scenario import parse_scenario
from app.services.access import Actor
from app.services.accounts import actor_for
from app.services.bank import store_scenario
from app.store.db import read_session, write_session
from app.store.models import Attempt, CalibrationKey, ScenarioVersion, User, utcnow
from tests.factories import ROOT, password_hash

BANK = ROOT / "scenarios"
# Real bank files used throughout (the first has a weapon, the second is eligible).
KNIFE = BANK / "conflict-calls" / "disturbance-knife-0003.yaml"
LAUNDROMAT = BANK / "conflict-calls" / "disturbance-laundromat-0004.yaml"
BUS_STOP = BANK / "conflict-calls" / "disturbance-bus-stop-0001.yaml"


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def store(
    agency_id: int,
    text: str,
    *,
    status: str = "published",
    source: str = "bank",
    created_by: int | None = None,
) -> int:
    """Validate and store a scenario; returns the version id."""
    data, problems = parse_scenario(text, "test.yaml")
    assert data is not None, [str(p) for p in problems]
    with write_session() as session:
        row, _ = store_scenario(
            session=session,
            agency_id=agency_id,
            data=data,
            text=text,
            status=status,
            source=source,
            created_by=created_by,
        )
        return row.id


def add_attempt(
    actor: Actor,
    version_id: int,
    score: int,
    *,
    disposition: str = "community_responder",
    expert_disposition: str = "community_responder",
    call_type: str | None = None,
    mode: str = "standard",
) -> int:
    """A submitted attempt with the denormalised columns item analysis reads."""
    with write_session() as session:
        version = session.get(ScenarioVersion, version_id)
        attempt = Attempt(
            agency_id=actor.agency_id,
            user_id=actor.user_id,
            scenario_version_id=version_id,
            mode=mode,
            status="submitted",
            idempotency_key=uuid.uuid4().hex,
            submitted_at=utcnow(),
            score=score,
            passed=score >= 80,
            disposition=disposition,
            expert_disposition=expert_disposition,
            call_type=call_type or version.call_type,
        )
        session.add(attempt)
        session.flush()
        return attempt.id


def add_user(agency_id: int, username: str, role: str = "trainer") -> Actor:
    with write_session() as session:
        user = User(
            agency_id=agency_id,
            username=username,
            display_name=username.replace("-", " ").title(),
            role=role,
            password_hash=password_hash(),
        )
        session.add(user)
        session.flush()
        return actor_for(user)


def snapshot() -> tuple:
    """Everything authoring can write, to assert that a refused action wrote nothing."""
    with read_session() as session:
        versions = session.exec(
            select(
                ScenarioVersion.id,
                ScenarioVersion.agency_id,
                ScenarioVersion.scenario_key,
                ScenarioVersion.version,
                ScenarioVersion.content_hash,
                ScenarioVersion.status,
                ScenarioVersion.is_current,
            ).order_by(ScenarioVersion.id)
        ).all()
        keys = session.exec(select(CalibrationKey.id, CalibrationKey.key)).all()
    return tuple(map(tuple, versions)), tuple((i, repr(k)) for i, k in keys)


def test_support_files_are_valid():
    for path in (KNIFE, LAUNDROMAT, BUS_STOP):
        data, problems = parse_scenario(text_of(path), path.name)
        assert data is not None, problems
    assert parse_scenario(text_of(KNIFE), "k")[0]["expert"]["disqualifiers"]
    assert not parse_scenario(text_of(LAUNDROMAT), "l")[0]["expert"]["disqualifiers"]
