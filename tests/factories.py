"""Test data builders (seeded, deterministic)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from app.core.passwords import hash_password
from app.services.access import Actor
from app.services.accounts import actor_for, create_agency
from app.store.db import write_session
from app.store.models import User

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent
SPEC_SAMPLE = ROOT / "tests" / "fixtures" / "spec_sample.yaml"


@dataclass
class World:
    agencies: dict[str, int] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]


@functools.cache
def password_hash() -> str:
    """PASSWORD hashed once per test process (argon2 is slow on purpose)."""
    return hash_password(PASSWORD)


def make_world() -> World:
    """Agencies 'a' (call_center_led) and 'b' (external_hotline), a user of each role in each."""
    world = World()
    with write_session() as session:
        for slug, model in (("a", "call_center_led"), ("b", "external_hotline")):
            agency = create_agency(
                session=session,
                slug=f"agency-{slug}",
                name=f"Agency {slug.upper()}",
                dispatch_model=model,
            )
            world.agencies[slug] = agency.id
            for role in ("trainee", "trainer", "supervisor", "admin"):
                user = User(
                    agency_id=agency.id,
                    username=f"{role}-{slug}",
                    display_name=f"{role.title()} {slug.upper()}",
                    role=role,
                    password_hash=password_hash(),
                )
                session.add(user)
                session.flush()
                world.actors[f"{role}-{slug}"] = actor_for(user)
    return world
