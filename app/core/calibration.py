"""Expert calibration: how far trainers agree when they key the same call blind.

Each trainer keys a scenario on four *dimensions*: the set of disqualifiers, the final
call type, the priority (1 to 4) and the route (disposition). A disqualifier set is
compared as a whole (``medical+weapon``; ``none`` for the empty set). A key made before
priority was asked has no priority and is left out of that dimension only; a stored key
without a priority is not compared on it. Definitions:

- **Panel**: agreement needs at least :data:`MIN_KEYS` independent keys (trainers other
  than the author of the stored key). With fewer there is no percent agreement, and a
  scenario is never "agreed" (one key cannot agree with itself).
- **Percent agreement** of a scenario on a dimension — the share of its trainers who
  gave the most common answer (3 of 4 trainers chose ``police``: 0.75); None below
  :data:`MIN_KEYS` answers.
- **Majority** — the answer of more than half of the trainers (None on a tie).
- **Contested** — with at least one trainer key, any of: agreement below
  :data:`AGREEMENT_THRESHOLD` on a dimension (two keys or more); any difference at all
  in the disqualifier sets, between trainers or with the stored key; a majority of the
  trainers giving a call type or route other than the stored key's. A contested
  scenario may not be published until the keys (or the scenario) are fixed.
- **Trainer agreement** — for one trainer, over the scenarios they keyed: the share of
  (scenario, dimension) pairs where their answer equals the majority answer of the
  *other* trainers who keyed it (pairs where the others tie are left out).
- **Fleiss' kappa** per dimension across scenarios (Fleiss 1971), with a different
  number of raters per scenario allowed: P_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)),
  P-bar the mean of P_i, p_j = (sum_i n_ij) / (sum_i n_i), P_e = sum_j p_j^2,
  kappa = (P-bar - P_e) / (1 - P_e). Scenarios with fewer than two keys are left out;
  kappa is None when nothing is left or when every key gives the same answer (P_e = 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

_Trainer = TypeVar("_Trainer", bound=Hashable)

DIMENSIONS = ("disqualifiers", "call_type", "priority", "disposition")
DIMENSION_LABELS = {
    "disqualifiers": "Disqualifiers",
    "call_type": "Call type",
    "priority": "Priority",
    "disposition": "Route",
}
AGREEMENT_THRESHOLD = 0.7
MIN_KEYS = 2  # independent keys before a panel can agree
NO_DISQUALIFIER = "none"


def answer(key: Mapping, dimension: str) -> str:
    """A key's answer on one dimension, as a comparable text."""
    value = key.get(dimension)
    if dimension == "disqualifiers":
        codes = sorted({str(v) for v in (value or [])})
        return "+".join(codes) if codes else NO_DISQUALIFIER
    return str(value) if value is not None else ""


@dataclass(frozen=True)
class DimensionAgreement:
    dimension: str
    agreement: float | None  # share giving the most common answer (None below MIN_KEYS)
    most_common: str | None
    majority: str | None  # the answer of more than half, else None
    counts: Mapping[str, int]
    expert: str | None  # the stored key's answer, when known


@dataclass(frozen=True)
class ScenarioAgreement:
    raters: int
    dimensions: Mapping[str, DimensionAgreement]
    contested: bool
    reasons: tuple[str, ...]

    @property
    def status(self) -> str:
        if self.raters == 0:
            return "not calibrated"
        if self.contested:
            return "contested"
        return "agreed" if self.raters >= MIN_KEYS else "needs more keys"

    @property
    def lowest(self) -> float | None:
        values = [d.agreement for d in self.dimensions.values() if d.agreement is not None]
        return min(values) if values else None


def _dimension(keys: Sequence[Mapping], dim: str, expert: Mapping | None) -> DimensionAgreement:
    # A key without an answer on this dimension (priority, before it was asked) is left out.
    answers = [a for a in (answer(k, dim) for k in keys) if a != ""]
    counts = Counter(answers)
    n = len(answers)
    most_common = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counts else None
    top = counts[most_common] if most_common is not None else 0
    majority = most_common if most_common is not None and 2 * top > n else None
    stored = answer(expert, dim) if expert is not None else None
    return DimensionAgreement(
        dimension=dim,
        agreement=top / n if n >= MIN_KEYS else None,
        most_common=most_common,
        majority=majority,
        counts=dict(sorted(counts.items())),
        expert=stored or None,
    )


def say(dimension: str, value: str | None, labels: Mapping[str, Mapping[str, str]] | None) -> str:
    """An answer in words: each code by its label from ``labels[dimension]`` when given."""
    if value is None or value == "":
        return "not set"
    if dimension == "priority":
        return f"priority {value}"
    if dimension == "disqualifiers" and value == NO_DISQUALIFIER:
        return "no disqualifier"
    names = (labels or {}).get(dimension) or {}
    return " + ".join(names.get(part, part) for part in value.split("+"))


def scenario_agreement(
    keys: Sequence[Mapping],
    expert: Mapping | None = None,
    threshold: float = AGREEMENT_THRESHOLD,
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> ScenarioAgreement:
    """Agreement of the trainers' ``keys`` on one scenario (and with the stored ``expert``).

    ``labels`` ({dimension: {code: label}}) puts the reasons in the protocol's words.
    """
    dims = {dim: _dimension(keys, dim, expert) for dim in DIMENSIONS}
    reasons: list[str] = []
    raters = len(keys)
    if raters:
        for dim, result in dims.items():
            label = DIMENSION_LABELS[dim].lower()
            n = sum(result.counts.values())
            if not n:
                continue
            if (
                n >= 2
                and result.agreement is not None
                and result.most_common is not None
                and result.agreement < threshold
            ):
                reasons.append(
                    f"{label}: {result.counts[result.most_common]} of {n} trainers agree "
                    f"({result.agreement:.0%}, below {threshold:.0%})"
                )
            if dim == "disqualifiers":
                below = n >= 2 and result.agreement is not None and result.agreement < threshold
                if len(result.counts) > 1 and not below:
                    reasons.append(f"{label}: the trainers do not all mark the same ones")
                if result.expert is not None and set(result.counts) != {result.expert}:
                    differ = n - result.counts.get(result.expert, 0)
                    reasons.append(
                        f"{label}: {differ} of {n} trainers differ from the stored key "
                        f"({say(dim, result.expert, labels)})"
                    )
            elif (
                result.expert is not None
                and result.majority is not None
                and result.majority != result.expert
            ):
                reasons.append(
                    f"{label}: most trainers chose {say(dim, result.majority, labels)}; "
                    f"the stored key says {say(dim, result.expert, labels)}"
                )
    return ScenarioAgreement(
        raters=raters, dimensions=dims, contested=bool(reasons), reasons=tuple(reasons)
    )


def fleiss_kappa(subjects: Sequence[Mapping[str, int]]) -> float | None:
    """Fleiss' kappa of a table: one mapping {category: raters} per subject."""
    rows = [{c: int(v) for c, v in s.items() if v} for s in subjects]
    rows = [r for r in rows if sum(r.values()) >= 2]
    if not rows:
        return None
    total = sum(sum(r.values()) for r in rows)
    p_i = []
    category_totals: Counter = Counter()
    for r in rows:
        n_i = sum(r.values())
        p_i.append((sum(v * v for v in r.values()) - n_i) / (n_i * (n_i - 1)))
        category_totals.update(r)
    p_bar = sum(p_i) / len(p_i)
    p_e = sum((v / total) ** 2 for v in category_totals.values())
    if p_e >= 1 - 1e-12:
        return None
    return (p_bar - p_e) / (1 - p_e)


def kappa_by_dimension(
    keys_by_scenario: Mapping[Hashable, Sequence[Mapping]],
) -> dict[str, float | None]:
    """Fleiss' kappa of each dimension across scenarios."""
    return {
        dim: fleiss_kappa(
            [Counter(answer(k, dim) for k in keys) for keys in keys_by_scenario.values()]
        )
        for dim in DIMENSIONS
    }


@dataclass(frozen=True)
class TrainerAgreement:
    trainer: Hashable
    scenarios: int  # scenarios keyed alongside at least one other trainer
    compared: int  # (scenario, dimension) pairs with a majority among the others
    agreed: int
    by_dimension: Mapping[str, tuple[int, int]]  # dimension -> (agreed, compared)

    @property
    def rate(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def trainer_agreement(
    keys_by_scenario: Mapping[Any, Mapping[_Trainer, Mapping]],
) -> dict[_Trainer, TrainerAgreement]:
    """How often each trainer agrees with the majority of the other trainers."""
    tallies: dict[_Trainer, dict] = {}
    for keys in keys_by_scenario.values():
        if len(keys) < 2:
            continue
        for trainer, key in keys.items():
            tally = tallies.setdefault(
                trainer, {"scenarios": 0, "dims": {d: [0, 0] for d in DIMENSIONS}}
            )
            tally["scenarios"] += 1
            others = [k for t, k in keys.items() if t != trainer]
            for dim in DIMENSIONS:
                majority = _dimension(others, dim, None).majority
                if majority is None:
                    continue
                tally["dims"][dim][1] += 1
                tally["dims"][dim][0] += int(answer(key, dim) == majority)
    out = {}
    for trainer, tally in tallies.items():
        dims = {d: (v[0], v[1]) for d, v in tally["dims"].items()}
        out[trainer] = TrainerAgreement(
            trainer=trainer,
            scenarios=tally["scenarios"],
            compared=sum(v[1] for v in dims.values()),
            agreed=sum(v[0] for v in dims.values()),
            by_dimension=dims,
        )
    return out
