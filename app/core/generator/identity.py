"""Who the people in a call are: names, neighbourhood, family words, accent hint.

These are the only things a counterfactual twin changes. They are drawn from their own
random stream so that the facts and every line of the call stay the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from faker import Faker

_FAKER: Faker | None = None


def faker() -> Faker:
    """One shared en_US Faker, reseeded per call (creating one costs far more than seeding)."""
    global _FAKER
    if _FAKER is None:
        _FAKER = Faker("en_US")
    return _FAKER


@dataclass(frozen=True)
class Identity:
    profile: str
    caller_first: str
    caller_last: str
    subject_first: str
    neighborhood: str
    kin: dict
    accent: str


def _first(profile: dict, gender: str, fake: Faker, rng: random.Random) -> str:
    if profile["faker"]:
        return fake.first_name_male() if gender == "male" else fake.first_name_female()
    return rng.choice(profile["first_male" if gender == "male" else "first_female"])


def _last(profile: dict, fake: Faker, rng: random.Random) -> str:
    if profile["faker"]:
        return fake.last_name()
    return rng.choice(profile["last"])


def draw_identity(profile: dict, seed: int, caller_gender: str, subject_gender: str) -> Identity:
    """Names and cues for one call from ``profile``, reproducible from ``seed``."""
    rng = random.Random(seed)
    fake = faker()
    fake.seed_instance(seed)
    caller_first = _first(profile, caller_gender, fake, rng)
    caller_last = _last(profile, fake, rng)
    subject_first = _first(profile, subject_gender, fake, rng)
    for _ in range(5):  # a caller rarely shares a first name with the person they call about
        if subject_first != caller_first:
            break
        subject_first = _first(profile, subject_gender, fake, rng)
    return Identity(
        profile=profile["id"],
        caller_first=caller_first,
        caller_last=caller_last,
        subject_first=subject_first,
        neighborhood=rng.choice(profile["neighborhoods"]),
        kin=profile["kin"],
        accent=profile["accent"],
    )


def pick_profiles(profiles: tuple[dict, ...], rng: random.Random, twins: bool) -> list[dict]:
    """One profile for a call, or two different ones for a pair of twins."""
    weights = [p["weight"] for p in profiles]
    first = rng.choices(profiles, weights=weights)[0]
    if not twins:
        return [first]
    others = [p for p in profiles if p["id"] != first["id"]]
    second = rng.choices(others, weights=[p["weight"] for p in others])[0]
    return [first, second]
