"""Item analysis of the scenario bank, after Moodle's quiz statistics (pure functions).

An *item* is one scenario version (the key trainees were graded against); a trainee's
score on it is the grade's ``score`` / 100. Attempts come in groups (trainee, item,
chosen route, chosen call type) — as :class:`Response` rows or as a table — and one
:class:`ItemStats` comes out per item. Totals are kept in whole points (grades are
whole numbers out of :data:`POINTS`), so equal scores compare equal exactly.

Definitions (also shown on the item analysis page):

- **Facility index** — the mean score fraction over every attempt at the item
  (0 = nobody earned anything, 1 = everybody earned everything).
- **Discrimination index** — the Pearson correlation, across the trainees who tried
  the item and at least one other item, between the trainee's mean score on this item
  and the trainee's *rest-of-bank* score: their mean score over all their attempts at
  other items (another version of the same scenario is another item). This is
  Moodle's definition (item score against the rest of the test) adapted to practice,
  where trainees do not all take the same items; the correlation is used rather than a
  top-third minus bottom-third difference because it uses every trainee. It needs at
  least :data:`MIN_FOR_DISCRIMINATION` such trainees and some spread in both scores,
  else it is ``None``.
- **Dubious** — discrimination below :data:`DUBIOUS_BELOW` (negative included).
- **Most common wrong answer** — the route (``disposition``) chosen most often by
  attempts that did not choose the key's best route, and likewise the final call type
  (ties go to the code first in alphabetical order).
- **Hints** — ``too_easy`` when facility > :data:`TOO_EASY`; ``too_hard`` when facility <
  :data:`TOO_HARD`; ``miskeyed`` when discrimination is negative, or when at least half
  of the strong trainees chose the most common wrong route or call type at least once;
  ``low_discrimination`` when dubious for a low, non-negative discrimination.
- **Strong trainees** — the top third (:data:`STRONG_SHARE`, rounded up) of the trainees
  with a rest-of-bank score, ranked on that score computed exactly from whole-point
  totals (rest points / rest attempts as a fraction, never a rounded float). Ties: every
  trainee whose rest score equals that of the last one inside the third comes in too,
  so the group can be larger than a third but never depends on row order.
- **Minimum evidence** — no hint and no *dubious* mark on an item with fewer than
  :data:`MIN_ATTEMPTS_FOR_ITEM_FLAG` (20) attempts or fewer than
  :data:`MIN_TRAINEES_FOR_ITEM_FLAG` (10) trainees; ``dubious``, ``miskeyed`` and
  ``low_discrimination`` also need those 10 trainees among the ones with a rest-of-bank
  score (the trainees behind the discrimination index and the strong third). Below that,
  one trainee's wrong answer would decide the hint. The figures themselves are still
  given.

Scale: the service groups attempts in SQL by (trainee, item, chosen route, chosen call
type) and :func:`aggregate_frame` turns that table into one :class:`ItemAggregate` of
sums and counts per item with pandas; :func:`finish` then works out the statistics.
:func:`aggregate` does the same from :class:`Response` rows (what the tests check by
hand).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

POINTS = 100  # a grade's score is a whole number from 0 to POINTS
MIN_FOR_DISCRIMINATION = 3
MIN_ATTEMPTS_FOR_ITEM_FLAG = 20
MIN_TRAINEES_FOR_ITEM_FLAG = 10
DUBIOUS_BELOW = 0.15
TOO_EASY = 0.9
TOO_HARD = 0.2
STRONG_SHARE = 1 / 3

HINT_TEXT = {
    "too_easy": "Too easy: nearly every attempt earns full marks, so it teaches little.",
    "too_hard": "Too hard: most attempts earn few marks; check the call gives enough to go on.",
    "miskeyed": "Perhaps miskeyed: trainees who do well elsewhere do worse here, or most of "
    "the strongest trainees chose the same answer the key calls wrong.",
    "low_discrimination": "Does not separate strong from weak trainees; consider rewriting.",
}


@dataclass(frozen=True)
class Response:
    """A group of ``count`` attempts by one trainee at one item with a mean ``score``.

    ``score`` is a fraction of full marks; ``score * count * POINTS`` must be whole
    points, as it is for real grades (1/3 three times is 100 points).
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
    if len(xs) != len(ys):
        return None
    return pearson_from_sums(
        len(xs),
        sum(xs),
        sum(ys),
        sum(x * x for x in xs),
        sum(y * y for y in ys),
        sum(x * y for x, y in zip(xs, ys, strict=True)),
    )


def pearson_from_sums(
    n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float
) -> float | None:
    """The Pearson correlation from the sums a database can add up in one pass.

    None with fewer than two pairs or without spread in either variable (values here
    lie in 0..1, so an absolute tolerance is safe).
    """
    if n < 2:
        return None
    cxx = sxx - sx * sx / n
    cyy = syy - sy * sy / n
    cxy = sxy - sx * sy / n
    if cxx <= 1e-9 or cyy <= 1e-9:
        return None
    return max(-1.0, min(1.0, cxy / math.sqrt(cxx * cyy)))


@dataclass(frozen=True)
class ItemAggregate:
    """Everything :func:`finish` needs about one item, as sums and counts.

    The service fills it from SQL over any number of attempts; :func:`aggregate` fills
    it from :class:`Response` rows (the reference the tests check by hand).
    ``pairs`` and the ``s*`` sums are over trainees with a rest-of-bank score
    (x = item score, y = rest score). ``strong`` counts the top third of those trainees
    by exact rest score (everyone tied with the last one included); ``strong_routes`` /
    ``strong_types`` count how many of them chose each wrong code at least once.
    """

    item: Hashable
    attempts: int
    score_sum: float  # sum of score fractions over attempts
    trainees: int
    pairs: int = 0
    sx: float = 0.0
    sy: float = 0.0
    sxx: float = 0.0
    syy: float = 0.0
    sxy: float = 0.0
    wrong_routes: Mapping[str, int] = field(default_factory=dict)
    wrong_types: Mapping[str, int] = field(default_factory=dict)
    strong: int = 0
    strong_routes: Mapping[str, int] = field(default_factory=dict)
    strong_types: Mapping[str, int] = field(default_factory=dict)


def strong_count(pairs: int) -> int:
    """How many trainees make the top third (at least one when there are any)."""
    return math.ceil(pairs * STRONG_SHARE)


def _most_common(counts: Mapping[str, int]) -> tuple[str, int] | None:
    counts = {k: v for k, v in counts.items() if v > 0}
    if not counts:
        return None
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def enough_for_flags(attempts: int, trainees: int) -> bool:
    """Whether an item has the evidence a hint needs (see *Minimum evidence* above)."""
    return attempts >= MIN_ATTEMPTS_FOR_ITEM_FLAG and trainees >= MIN_TRAINEES_FOR_ITEM_FLAG


def finish(agg: ItemAggregate) -> ItemStats:
    """The statistics of one item from its aggregate (definitions: module docstring)."""
    facility = agg.score_sum / agg.attempts if agg.attempts else None
    n = agg.pairs
    discrimination = (
        pearson_from_sums(n, agg.sx, agg.sy, agg.sxx, agg.syy, agg.sxy)
        if n >= MIN_FOR_DISCRIMINATION
        else None
    )
    enough = enough_for_flags(agg.attempts, agg.trainees)
    enough_pairs = enough and n >= MIN_TRAINEES_FOR_ITEM_FLAG
    dubious = enough_pairs and discrimination is not None and discrimination < DUBIOUS_BELOW
    wrong_route = _most_common(agg.wrong_routes)
    wrong_type = _most_common(agg.wrong_types)
    strong_wrong = (
        enough_pairs
        and agg.strong >= 2
        and any(
            common and 2 * chosen.get(common[0], 0) >= agg.strong
            for common, chosen in (
                (wrong_route, agg.strong_routes),
                (wrong_type, agg.strong_types),
            )
        )
    )
    flags: list[str] = []
    if enough and facility is not None and facility > TOO_EASY:
        flags.append("too_easy")
    if enough and facility is not None and facility < TOO_HARD:
        flags.append("too_hard")
    if (dubious and discrimination is not None and discrimination < 0) or strong_wrong:
        flags.append("miskeyed")
    elif dubious:
        flags.append("low_discrimination")
    return ItemStats(
        item=agg.item,
        attempts=agg.attempts,
        trainees=agg.trainees,
        facility=facility,
        discrimination=discrimination,
        discrimination_n=n,
        dubious=dubious,
        wrong_disposition=wrong_route,
        wrong_call_type=wrong_type,
        flags=tuple(flags),
    )


FRAME_COLUMNS = ("trainee", "item", "n", "points", "wrong_route", "wrong_type")


def exact_order(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """A number per row that sorts exactly as the fraction ``numerator / denominator``.

    Both are whole numbers (denominators above zero). Equal fractions get equal
    numbers and a larger fraction a larger one. Usually that is the quotient itself: one
    correctly rounded division of exact whole numbers never reverses an order and gives
    equal fractions the same float. Only if two different fractions round to the same
    float (denominators in the millions) are the rows ranked on exact fractions instead.
    """
    value = numerator.astype("int64") / denominator.astype("int64")
    num = numerator.to_numpy(dtype="int64")
    den = denominator.to_numpy(dtype="int64")
    common = np.gcd(num, den)
    lowest = pd.DataFrame({"num": num // common, "den": den // common, "value": value.to_numpy()})
    distinct = lowest.drop_duplicates(["num", "den"])
    if not distinct["value"].duplicated().any():
        return value
    fractions = [
        Fraction(int(a), int(b)) for a, b in zip(num // common, den // common, strict=True)
    ]
    place = {f: i for i, f in enumerate(sorted(set(fractions)))}
    return pd.Series([place[f] for f in fractions], index=numerator.index, dtype="float64")


def aggregate_frame(frame: pd.DataFrame) -> dict[Hashable, ItemAggregate]:
    """The aggregate of every item from a table of attempt groups.

    Columns (:data:`FRAME_COLUMNS`): ``trainee``, ``item``, ``n`` (attempts in the
    group), ``points`` (their summed scores in whole points out of :data:`POINTS`),
    ``wrong_route`` / ``wrong_type`` (the wrong code chosen, or None). Totals stay whole
    numbers until one division per score, and the strong third is ranked on exact
    fractions (:func:`exact_order`). Vectorised with pandas: a million groups take about
    a second.
    """
    frame = frame.loc[frame["n"] > 0, list(FRAME_COLUMNS)]
    if frame.empty:
        return {}
    frame = frame.astype({"n": "int64", "points": "int64"})
    cell = frame.groupby(["trainee", "item"], sort=False)[["n", "points"]].sum().reset_index()
    tot = cell.groupby("trainee", sort=False)[["n", "points"]].sum()
    cell = cell.merge(tot, left_on="trainee", right_index=True, suffixes=("", "_all"))
    items = cell.groupby("item", sort=False).agg(
        attempts=("n", "sum"), points=("points", "sum"), trainees=("trainee", "size")
    )
    pair = cell.loc[cell["n_all"] > cell["n"]].copy()
    pair["rest_points"] = pair["points_all"] - pair["points"]
    pair["rest_n"] = pair["n_all"] - pair["n"]
    pair["x"] = pair["points"] / (POINTS * pair["n"])
    pair["y"] = pair["rest_points"] / (POINTS * pair["rest_n"])
    pair["xx"], pair["yy"], pair["xy"] = pair["x"] ** 2, pair["y"] ** 2, pair["x"] * pair["y"]
    sums = pair.groupby("item", sort=False).agg(
        pairs=("x", "size"),
        sx=("x", "sum"),
        sy=("y", "sum"),
        sxx=("xx", "sum"),
        syy=("yy", "sum"),
        sxy=("xy", "sum"),
    )
    # Strong: the top third by exact rest score; rank "min" keeps everyone tied together.
    pair["rest_rank"] = exact_order(pair["rest_points"], pair["rest_n"])
    place = pair.groupby("item", sort=False)["rest_rank"].rank(method="min", ascending=False)
    size = pair.groupby("item", sort=False)["rest_rank"].transform("size")
    strong = pair.loc[3 * (place - 1) < size, ["trainee", "item"]]
    strong_count = strong.groupby("item", sort=False).size()
    strong_keys = set(zip(strong["trainee"], strong["item"], strict=True))

    def counted(column: str) -> tuple[dict, dict]:
        wrong = frame.loc[frame[column].notna(), ["trainee", "item", column, "n"]]
        attempts: dict = defaultdict(dict)
        for (item, code), n in wrong.groupby(["item", column], sort=False)["n"].sum().items():
            attempts[item][code] = int(n)
        mask = [(t, i) in strong_keys for t, i in zip(wrong["trainee"], wrong["item"], strict=True)]
        chosen: dict = defaultdict(dict)
        by_strong = wrong.loc[mask].groupby(["item", column], sort=False)["trainee"].nunique()
        for (item, code), n in by_strong.items():
            chosen[item][code] = int(n)
        return attempts, chosen

    wrong_routes, strong_routes = counted("wrong_route")
    wrong_types, strong_types = counted("wrong_type")
    sums_of = sums.to_dict("index")
    out: dict[Hashable, ItemAggregate] = {}
    for item, row in items.to_dict("index").items():
        found = sums_of.get(item, {})
        out[item] = ItemAggregate(
            item=item,
            attempts=int(row["attempts"]),
            score_sum=int(row["points"]) / POINTS,
            trainees=int(row["trainees"]),
            pairs=int(found.get("pairs", 0)),
            sx=float(found.get("sx", 0.0)),
            sy=float(found.get("sy", 0.0)),
            sxx=float(found.get("sxx", 0.0)),
            syy=float(found.get("syy", 0.0)),
            sxy=float(found.get("sxy", 0.0)),
            wrong_routes=wrong_routes.get(item, {}),
            wrong_types=wrong_types.get(item, {}),
            strong=int(strong_count.get(item, 0)),
            strong_routes=strong_routes.get(item, {}),
            strong_types=strong_types.get(item, {}),
        )
    return out


def aggregate(responses: Iterable[Response]) -> dict[Hashable, ItemAggregate]:
    """The aggregate of every item from :class:`Response` rows."""
    frame = pd.DataFrame(
        [
            (r.trainee, r.item, r.count, _points(r), r.wrong_disposition, r.wrong_call_type)
            for r in responses
        ],
        columns=list(FRAME_COLUMNS),
    )
    return aggregate_frame(frame)


def _points(r: Response) -> int:
    """The whole points a response's attempts earned together (exact)."""
    total = Fraction(r.score).limit_denominator(1_000_000) * r.count * POINTS
    if total.denominator != 1:
        raise ValueError(f"score {r.score} x {r.count} attempts is not a whole number of points")
    return int(total)


def item_statistics(responses: Iterable[Response]) -> dict[Hashable, ItemStats]:
    """Statistics for every item that has at least one response."""
    return {item: finish(agg) for item, agg in aggregate(responses).items()}
