"""Adaptive choice of the next practice call (pure: no streamlit, no database).

The service gathers the candidates (the agency's current, published scenarios) and
the trainee's history; this module decides. The rules:

1. Unseen scenarios come first. When some are unseen, only those are candidates.
2. Among the candidates, a scenario is weighted up for each weakness it exercises:
   its call type is one the trainee often gets wrong, or it carries a disqualifier
   the trainee often misses. Scenarios without disqualifiers are weighted up when
   the trainee over-disqualifies (marks disqualifiers that are not there), since
   those calls train the opposite mistake.
3. When everything has been seen (the bank is exhausted) the caller may generate
   new calls; failing that, the least recently seen scenarios are preferred.

The choice is random in proportion to the weights, with a caller-supplied random
generator so a seed gives the same choice.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# How strongly a weakness pulls a scenario up. A rate of 1.0 (always wrong) multiplies
# the weight by 1 + WEAKNESS_PULL.
WEAKNESS_PULL = 3.0
# Rates from fewer observations than this are shrunk towards zero (little evidence).
MIN_EVIDENCE = 3
# How many of the least recently seen scenarios compete when the bank is exhausted.
STALE_POOL = 5


@dataclass(frozen=True)
class Candidate:
    """A scenario the trainee could get next."""

    id: int
    key: str
    call_type: str
    disqualifiers: tuple[str, ...] = ()
    difficulty: int = 1
    last_seen: dt.datetime | None = None  # the trainee's latest attempt on this scenario
    times_seen: int = 0


@dataclass
class Profile:
    """The trainee's record: how often each call type / disqualifier went wrong."""

    call_type_tries: dict[str, int] = field(default_factory=dict)
    call_type_wrong: dict[str, int] = field(default_factory=dict)
    disqualifier_tries: dict[str, int] = field(default_factory=dict)
    disqualifier_missed: dict[str, int] = field(default_factory=dict)
    over_disqualified: int = 0
    attempts: int = 0

    def call_type_rate(self, code: str) -> float:
        return _rate(self.call_type_wrong.get(code, 0), self.call_type_tries.get(code, 0))

    def disqualifier_rate(self, code: str) -> float:
        return _rate(self.disqualifier_missed.get(code, 0), self.disqualifier_tries.get(code, 0))

    def over_rate(self) -> float:
        return _rate(self.over_disqualified, self.attempts)


def _rate(bad: int, tries: int) -> float:
    """Error rate, shrunk towards zero while there is little evidence."""
    if tries <= 0:
        return 0.0
    return min(1.0, bad / max(tries, MIN_EVIDENCE))


def build_profile(history: Iterable[dict]) -> Profile:
    """A profile from submitted attempts.

    Each item: ``call_type`` (the scenario's expert code), ``passed`` (bool),
    ``disqualifiers`` (the expert's codes), ``missed`` (codes the trainee missed) and
    ``over`` (codes the trainee marked that were not there).
    """
    profile = Profile()
    for item in history:
        profile.attempts += 1
        code = item.get("call_type") or ""
        profile.call_type_tries[code] = profile.call_type_tries.get(code, 0) + 1
        if not item.get("passed"):
            profile.call_type_wrong[code] = profile.call_type_wrong.get(code, 0) + 1
        missed = set(item.get("missed") or ())
        for dq in item.get("disqualifiers") or ():
            profile.disqualifier_tries[dq] = profile.disqualifier_tries.get(dq, 0) + 1
            if dq in missed:
                profile.disqualifier_missed[dq] = profile.disqualifier_missed.get(dq, 0) + 1
        if item.get("over"):
            profile.over_disqualified += 1
    return profile


def weight(candidate: Candidate, profile: Profile) -> float:
    """How much this scenario is wanted now (always > 0)."""
    w = 1.0 + WEAKNESS_PULL * profile.call_type_rate(candidate.call_type)
    for dq in candidate.disqualifiers:
        w *= 1.0 + WEAKNESS_PULL * profile.disqualifier_rate(dq)
    if not candidate.disqualifiers:
        w *= 1.0 + WEAKNESS_PULL * profile.over_rate()
    return w


def unseen(candidates: Sequence[Candidate]) -> list[Candidate]:
    return [c for c in candidates if c.times_seen == 0 and c.last_seen is None]


def choose(
    candidates: Sequence[Candidate], profile: Profile, rng: random.Random | None = None
) -> Candidate | None:
    """The next scenario, or None when there are no candidates.

    Unseen scenarios first; otherwise the least recently seen few, weighted by weakness.
    """
    if not candidates:
        return None
    rng = rng or random.Random()
    pool = unseen(candidates)
    if not pool:
        pool = least_recent(candidates, STALE_POOL)
    # Sorted so the same seed gives the same choice whatever order the database used.
    pool = sorted(pool, key=lambda c: c.id)
    weights = [weight(c, profile) for c in pool]
    return rng.choices(pool, weights=weights, k=1)[0]


def least_recent(candidates: Sequence[Candidate], n: int) -> list[Candidate]:
    """The ``n`` candidates seen longest ago (never-seen ones count as oldest)."""

    def age(c: Candidate) -> tuple[float, int, int]:
        seen = c.last_seen.timestamp() if c.last_seen is not None else float("-inf")
        return (seen, c.times_seen, c.id)

    return sorted(candidates, key=age)[:n]


def weakest(profile: Profile) -> dict:
    """The call types and disqualifiers to focus on: {"call_types": [...], "disqualifiers": [...]}.

    Ordered worst first; only those with a positive error rate.
    """
    call_types = sorted(
        (c for c in profile.call_type_tries if profile.call_type_rate(c) > 0),
        key=lambda c: (-profile.call_type_rate(c), c),
    )
    disqualifiers = sorted(
        (d for d in profile.disqualifier_tries if profile.disqualifier_rate(d) > 0),
        key=lambda d: (-profile.disqualifier_rate(d), d),
    )
    return {"call_types": call_types, "disqualifiers": disqualifiers}
