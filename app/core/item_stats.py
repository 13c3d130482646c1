"""Item analysis of the scenario bank, after Moodle's quiz statistics (pure functions).

An *item* is one scenario version (the key trainees were graded against); a trainee's
score on it is the grade's ``score`` / 100. The service hands in one
:class:`Response` per group of attempts (trainee, item, chosen route, chosen call type)
and :func:`item_statistics` returns one :class:`ItemStats` per item.

Definitions (also shown on the item analysis page):

- **Facility index** — the mean score fraction over every attempt at the item
  (0 = nobody earned anything, 1 = everybody earned everything).
- **Discrimination index** — the Pearson correlation, across the trainees who tried
  the item and at least one other item, between the trainee's mean score on this item
  and the trainee's *rest-of-bank* score: their mean score over all attempts at other
  items (every version of this scenario's other items, never this one). This is
  Moodle's definition (item score against the rest of the test) adapted to practice,
  where trainees do not all take the same items; the correlation is used rather than a
  top-third minus bottom-third difference because it uses every trainee. It needs at
  least :data:`MIN_FOR_DISCRIMINATION` such trainees and some spread in both scores,
  else it is ``None``.
- **Dubious** — discrimination is negative, or below :data:`DUBIOUS_BELOW` with at least
  :data:`MIN_TRAINEES` trainees behind it.
- **Most common wrong answer** — the route (``disposition``) chosen most often by
  attempts that did not choose the key's best route, and likewise the final call type
  (ties go to the code first in alphabetical order).
- **Hints** — ``too_easy`` when facility > :data:`TOO_EASY`; ``too_hard`` when facility <
  :data:`TOO_HARD`; ``miskeyed`` when discrimination is negative, or when at least half
  of the strong trainees (the top third by rest-of-bank score, at least two of them)
  chose the most common wrong route or call type; ``low_discrimination`` when dubious
  for a low, non-negative discrimination.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

MIN_FOR_DISCRIMINATION = 3
MIN_TRAINEES = 5
DUBIOUS_BELOW = 0.15
TOO_EASY = 0.9
TOO_HARD = 0.2
STRONG_SHARE = 1 / 3

HINT_TEXT = {
    "too_easy": "Too easy: nearly every attempt earns full marks, so it teaches little.",
    "too_hard": "Too hard: most attempts earn few marks; check the call gives enough to go on.",
    "miskeyed": "Perhaps miskeyed: trainees who do well elsewhere do not do well here.",
    "low_discrimination": "Does not separate strong from weak trainees; consider rewriting.",
}


@dataclass(frozen=True)
class Response:
    """A group of ``count`` attempts by one trainee at one item with a mean ``score``.

    ``wrong_disposition`` / ``wrong_call_type``: the code chosen when it differs from the
    key (None when the choice was right or is unknown).
    """

    trainee: Hashable
    item: Hashable
    score: float
    count: int = 1
    wrong_disposition: str | None = None
    wrong_call_type: str | None = None


@dataclass(frozen=True)
class ItemStats:
    item: Hashable
    attempts: int
    trainees: int
    facility: float | None
    discrimination: float | None
    discrimination_n: int  # trainees behind the discrimination index
    dubious: bool
    wrong_disposition: tuple[str, int] | None  # (code, attempts)
    wrong_call_type: tuple[str, int] | None
    flags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def hints(self) -> list[str]:
        return [HINT_TEXT[f] for f in self.flags]

    def as_dict(self) -> dict:
        return {
            "attempts": self.attempts,
            "trainees": self.trainees,
            "facility": self.facility,
            "discrimination": self.discrimination,
            "discrimination_n": self.discrimination_n,
            "dubious": self.dubious,
            "wrong_disposition": self.wrong_disposition[0] if self.wrong_disposition else None,
            "wrong_disposition_count": self.wrong_disposition[1] if self.wrong_disposition else 0,
            "wrong_call_type": self.wrong_call_type[0] if self.wrong_call_type else None,
            "wrong_call_type_count": self.wrong_call_type[1] if self.wrong_call_type else 0,
            "flags": list(self.flags),
            "hints": self.hints,
        }


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """The Pearson correlation of two equal-length lists; None without spread in either."""
    n = len(xs)
    if n != len(ys) or n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _most_common(counter: Counter) -> tuple[str, int] | None:
    if not counter:
        return None
    code, n = min(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return code, n


def item_statistics(responses: Iterable[Response]) -> dict[Hashable, ItemStats]:
    """Statistics for every item that has at least one response."""
    rows = [r for r in responses if r.count > 0]
    # Per trainee: score sum and attempt count, overall and per item.
    total_sum: dict[Hashable, float] = defaultdict(float)
    total_n: dict[Hashable, int] = defaultdict(int)
    cell_sum: dict[tuple, float] = defaultdict(float)
    cell_n: dict[tuple, int] = defaultdict(int)
    by_item: dict[Hashable, list[Response]] = defaultdict(list)
    for r in rows:
        total_sum[r.trainee] += r.score * r.count
        total_n[r.trainee] += r.count
        cell_sum[(r.trainee, r.item)] += r.score * r.count
        cell_n[(r.trainee, r.item)] += r.count
        by_item[r.item].append(r)

    out: dict[Hashable, ItemStats] = {}
    for item, item_rows in by_item.items():
        attempts = sum(r.count for r in item_rows)
        facility = sum(r.score * r.count for r in item_rows) / attempts
        trainees = sorted({r.trainee for r in item_rows}, key=repr)
        xs, ys, rest_of = [], [], {}
        for t in trainees:
            rest_n = total_n[t] - cell_n[(t, item)]
            if rest_n <= 0:
                continue
            rest = (total_sum[t] - cell_sum[(t, item)]) / rest_n
            rest_of[t] = rest
            xs.append(cell_sum[(t, item)] / cell_n[(t, item)])
            ys.append(rest)
        n = len(xs)
        discrimination = pearson(xs, ys) if n >= MIN_FOR_DISCRIMINATION else None
        dubious = discrimination is not None and (
            discrimination < 0 or (n >= MIN_TRAINEES and discrimination < DUBIOUS_BELOW)
        )
        wrong_routes: Counter = Counter()
        wrong_types: Counter = Counter()
        chose_route: dict[str, set] = defaultdict(set)
        chose_type: dict[str, set] = defaultdict(set)
        for r in item_rows:
            if r.wrong_disposition:
                wrong_routes[r.wrong_disposition] += r.count
                chose_route[r.wrong_disposition].add(r.trainee)
            if r.wrong_call_type:
                wrong_types[r.wrong_call_type] += r.count
                chose_type[r.wrong_call_type].add(r.trainee)
        wrong_route = _most_common(wrong_routes)
        wrong_type = _most_common(wrong_types)

        flags: list[str] = []
        if facility > TOO_EASY:
            flags.append("too_easy")
        if facility < TOO_HARD:
            flags.append("too_hard")
        strong = sorted(rest_of, key=lambda t: (-rest_of[t], repr(t)))
        strong = strong[: math.ceil(len(strong) * STRONG_SHARE)]
        strong_wrong = False
        if len(strong) >= 2:
            for common, chosen in ((wrong_route, chose_route), (wrong_type, chose_type)):
                if common and 2 * len(chosen[common[0]] & set(strong)) >= len(strong):
                    strong_wrong = True
        if (discrimination is not None and discrimination < 0) or strong_wrong:
            flags.append("miskeyed")
        elif dubious:
            flags.append("low_discrimination")
        out[item] = ItemStats(
            item=item,
            attempts=attempts,
            trainees=len(trainees),
            facility=facility,
            discrimination=discrimination,
            discrimination_n=n,
            dubious=dubious,
            wrong_disposition=wrong_route,
            wrong_call_type=wrong_type,
            flags=tuple(flags),
        )
    return out
