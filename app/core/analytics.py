"""Supervisor analytics as pure functions over small tables (pandas, no database).

The service layer (``app.services.review``) aggregates a million attempts in SQL
and hands these functions the small results: one row per trainee, per day, per
route pair, per disqualifier combination, per twin pair. Every function here
can therefore be checked by hand on a few rows.

Definitions used throughout (also shown on the pages):

- *pass rate* — passed attempts / submitted attempts.
- *unsafe-dispatch rate* — attempts graded ``unsafe_dispatch`` / all attempts.
- *over-routing rate* — attempts that sent police (``police`` or
  ``community_responder_with_police``) although the key's routes involve no
  police / attempts whose expert route involves no police. This is the
  hesitancy the fact sheet names as a main obstacle.
- *time to decision* — the attempt's ``seconds``, compared with NFPA 1225
  (2022): call processing within 60 s for 90 % of calls. We report the share
  decided within 60 s and the 90th percentile by the nearest-rank method
  (the value at rank ceil(0.9 n) in ascending order).
- *equity audit* — see :func:`equity_audit`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from scipy.special import stdtrit

DISQUALIFIERS: tuple[str, ...] = ("weapon", "threat", "medical", "police_only")
POLICE_ROUTES: tuple[str, ...] = ("police", "community_responder_with_police")
ROUTE_ORDER: tuple[str, ...] = (
    "community_responder",
    "community_responder_with_police",
    "community_responder_with_ems",
    "police",
    "ems",
    "embedded_professional",
    "external_hotline",
    "transfer_988",
    "phone_resolution",
)
NFPA_SECONDS = 60.0
NFPA_SHARE = 0.90
MODULE_COUNT = 11  # the training modules every trainee completes
PRACTICE_TARGET = 20  # passed practice calls before the exam (as the trainee's home page counts)
STAGES: tuple[str, ...] = ("not started", "lessons", "practice", "exam passed", "certified")
STAGE_HELP = {
    "not started": "no lesson passed and no practice call yet",
    "lessons": "working through the lessons (not all knowledge checks passed)",
    "practice": "all lessons passed, certification exam not yet passed",
    "exam passed": "exam passed, no valid certificate yet (sign-off pending or expired)",
    "certified": "holds a valid certificate",
}


def split_codes(value: object) -> list[str]:
    """``"weapon,medical"`` -> ``["weapon", "medical"]``; empty/None -> ``[]``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [part for part in (p.strip() for p in str(value).split(",")) if part]


def naive_utc(value: object) -> dt.datetime | None:
    """A timestamp as naive UTC (the database keeps naive UTC); None/NaT stay None."""
    if isinstance(value, dt.datetime) and not isinstance(value, pd.Timestamp):
        if value.tzinfo is None:
            return value
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def rate(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return float(numerator) / float(denominator)


# --- cohort --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StuckRules:
    """When a trainee counts as stuck. Each rule gives its own reason."""

    min_attempts: int = 10  # "many attempts"
    recent_days: int = 30  # the window "recent" refers to
    min_recent: int = 5  # recent attempts needed to judge improvement
    low_pass_rate: float = 0.5  # recent pass rate below this ...
    min_gain: float = 0.10  # ... and not this much above the earlier pass rate
    repeat_misses: int = 3  # the same disqualifier missed this often recently
    inactive_days: int = 14


def weekly_trend(daily: pd.DataFrame) -> pd.DataFrame:
    """Weekly pass rates with a straight trend line.

    ``daily`` has columns ``day`` (date or ISO string), ``attempts``, ``passes``.
    Weeks start on Monday. The trend is the ordinary least-squares line of the
    weekly pass rate on the week number (weeks without attempts are left out of
    the fit, not counted as zero). Returns columns ``week``, ``attempts``,
    ``passes``, ``pass_rate``, ``trend``.
    """
    columns = ["week", "attempts", "passes", "pass_rate", "trend"]
    if daily is None or daily.empty:
        return pd.DataFrame(columns=columns)
    days = pd.to_datetime(daily["day"]).dt.normalize()
    frame = pd.DataFrame(
        {
            "week": days - pd.to_timedelta(days.dt.day_of_week, unit="D"),
            "attempts": daily["attempts"].astype(int),
            "passes": daily["passes"].astype(int),
        }
    )
    weekly = frame.groupby("week", as_index=False)[["attempts", "passes"]].sum()
    weekly = weekly[weekly["attempts"] > 0].sort_values("week").reset_index(drop=True)
    weekly["pass_rate"] = weekly["passes"] / weekly["attempts"]
    x = ((weekly["week"] - weekly["week"].iloc[0]).dt.days // 7).astype(float)
    slope, intercept = linear_fit(x.tolist(), weekly["pass_rate"].tolist())
    weekly["trend"] = intercept + slope * x
    weekly["week"] = weekly["week"].dt.date
    return weekly[columns]


def linear_fit(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line; a flat line through the mean if x is constant."""
    n = len(x)
    if n == 0:
        return 0.0, 0.0
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((xi - mx) ** 2 for xi in x)
    if sxx == 0:
        return 0.0, my
    slope = sum((xi - mx) * (yi - my) for xi, yi in zip(x, y, strict=True)) / sxx
    return slope, my - slope * mx


def stage_of(
    *,
    modules_passed: int,
    exam_passed: bool,
    certified: bool,
    attempts: int,
    modules_total: int = MODULE_COUNT,
) -> str:
    """Where a trainee is on the way to certification (one of :data:`STAGES`)."""
    if certified:
        return "certified"
    if exam_passed:
        return "exam passed"
    if modules_passed >= modules_total:
        return "practice"
    if modules_passed > 0 or attempts > 0:
        return "lessons"
    return "not started"


def stuck_reasons(row: dict, *, now: dt.datetime, rules: StuckRules = StuckRules()) -> list[str]:
    """Why this trainee looks stuck (empty when they do not).

    ``row`` holds ``attempts``, ``passes``, ``recent_attempts``, ``recent_passes``,
    ``last_at`` (datetime or None), ``missed_<code>`` (recent misses per
    disqualifier) and ``stage``. Certified trainees are never stuck.
    """
    if row.get("stage") == "certified":
        return []
    now = naive_utc(now)
    reasons: list[str] = []
    attempts = int(row.get("attempts") or 0)
    last_at = naive_utc(row.get("last_at"))
    if last_at is not None:
        idle = (now - last_at).days
        if idle >= rules.inactive_days:
            reasons.append(f"inactive for {idle} days")
    recent = int(row.get("recent_attempts") or 0)
    recent_passes = int(row.get("recent_passes") or 0)
    if attempts >= rules.min_attempts and recent >= rules.min_recent:
        recent_rate = recent_passes / recent
        earlier = attempts - recent
        earlier_rate = (int(row.get("passes") or 0) - recent_passes) / earlier if earlier else None
        gain = None if earlier_rate is None else recent_rate - earlier_rate
        if recent_rate < rules.low_pass_rate and (gain is None or gain < rules.min_gain):
            detail = f"passed {recent_passes} of {recent} in the last {rules.recent_days} days"
            if earlier_rate is not None:
                detail += f" ({recent_rate:.0%} now vs {earlier_rate:.0%} before)"
            reasons.append(f"not improving: {detail}")
    for code in DISQUALIFIERS:
        misses = int(row.get(f"missed_{code}") or 0)
        if misses >= rules.repeat_misses:
            reasons.append(f"missed '{code}' {misses} times in the last {rules.recent_days} days")
    return reasons


TRAINEE_STATS = [
    "attempts",
    "passes",
    "score_sum",
    "unsafe",
    "over_routed",
    "recent_attempts",
    "recent_passes",
    *[f"missed_{c}" for c in DISQUALIFIERS],
]


def trainee_table(
    trainees: pd.DataFrame,
    stats: pd.DataFrame,
    *,
    lessons: pd.DataFrame | None = None,
    milestones: pd.DataFrame | None = None,
    now: dt.datetime,
    rules: StuckRules = StuckRules(),
    modules_total: int = MODULE_COUNT,
    practice_target: int = PRACTICE_TARGET,
) -> pd.DataFrame:
    """One row per trainee: activity, pass rate, stage, readiness and why they may be stuck.

    ``readiness`` (0..1) is the mean of the share of lessons passed and the share of
    the practice target reached (passed calls / ``practice_target``, at most 1);
    a certified trainee is at 1.

    ``trainees``: ``user_id``, ``name``. ``stats`` (trainees without attempts may be
    absent): ``user_id``, ``last_at`` and the :data:`TRAINEE_STATS` counts.
    ``lessons``: ``user_id``, ``modules_passed``. ``milestones``: ``user_id``,
    ``exam_passed``, ``certified`` (booleans).
    """
    now = naive_utc(now)
    table = trainees[["user_id", "name"]].copy()
    table = table.merge(stats, on="user_id", how="left")
    for column in TRAINEE_STATS:
        if column not in table:
            table[column] = 0
        table[column] = table[column].fillna(0).astype(int)
    if "last_at" not in table:
        table["last_at"] = pd.NaT
    # Naive UTC whatever the driver returned (text on SQLite, aware values on PostgreSQL).
    table["last_at"] = pd.to_datetime(table["last_at"], utc=True, format="mixed").dt.tz_localize(
        None
    )
    if lessons is not None and not lessons.empty:
        table = table.merge(lessons[["user_id", "modules_passed"]], on="user_id", how="left")
    else:
        table["modules_passed"] = 0
    table["modules_passed"] = table["modules_passed"].fillna(0).astype(int)
    if milestones is not None and not milestones.empty:
        table = table.merge(
            milestones[["user_id", "exam_passed", "certified"]], on="user_id", how="left"
        )
    else:
        table["exam_passed"] = False
        table["certified"] = False
    table["exam_passed"] = table["exam_passed"].astype("boolean").fillna(False).astype(bool)
    table["certified"] = table["certified"].astype("boolean").fillna(False).astype(bool)
    table["pass_rate"] = [
        rate(p, a) for p, a in zip(table["passes"], table["attempts"], strict=True)
    ]
    table["avg_score"] = [
        rate(s, a) for s, a in zip(table["score_sum"], table["attempts"], strict=True)
    ]
    table["stage"] = [
        stage_of(
            modules_passed=m, exam_passed=e, certified=c, attempts=a, modules_total=modules_total
        )
        for m, e, c, a in zip(
            table["modules_passed"],
            table["exam_passed"],
            table["certified"],
            table["attempts"],
            strict=True,
        )
    ]
    lesson_share = (table["modules_passed"] / max(modules_total, 1)).clip(upper=1.0)
    practice_share = (table["passes"] / max(practice_target, 1)).clip(upper=1.0)
    table["readiness"] = ((lesson_share + practice_share) / 2).where(~table["certified"], 1.0)
    reasons = [stuck_reasons(r, now=now, rules=rules) for r in table.to_dict("records")]
    table["stuck"] = [bool(r) for r in reasons]
    table["reasons"] = ["; ".join(r) for r in reasons]
    last = table["last_at"]
    table["days_inactive"] = [None if pd.isna(t) else (now - t.to_pydatetime()).days for t in last]
    return table.sort_values(["stuck", "name"], ascending=[False, True]).reset_index(drop=True)


def cohort_summary(table: pd.DataFrame, *, now: dt.datetime, active_days: int = 14) -> dict:
    """Headline numbers for the cohort from :func:`trainee_table`'s output."""
    attempts = int(table["attempts"].sum()) if len(table) else 0
    passes = int(table["passes"].sum()) if len(table) else 0
    cutoff = naive_utc(now) - dt.timedelta(days=active_days)
    active = int((table["last_at"] >= cutoff).sum()) if len(table) else 0
    stages = {s: int((table["stage"] == s).sum()) for s in STAGES} if len(table) else {}
    return {
        "trainees": int(len(table)),
        "active": active,
        "attempts": attempts,
        "passes": passes,
        "pass_rate": rate(passes, attempts),
        "stuck": int(table["stuck"].sum()) if len(table) else 0,
        "certified": stages.get("certified", 0),
        "stages": stages,
    }


# --- errors and routing --------------------------------------------------------------------


def error_profile(combos: pd.DataFrame, presence: pd.DataFrame) -> pd.DataFrame:
    """Per disqualifier: how often it was missed and how often it was flagged wrongly.

    ``combos``: ``missed``, ``over`` (comma-separated codes), ``n`` attempts with
    that combination. ``presence``: ``disqualifiers`` (the key's codes,
    comma-separated), ``n`` attempts. Returns ``disqualifier``, ``present``
    (attempts whose key has it), ``absent``, ``missed``, ``over_flagged``,
    ``missed_rate`` (missed / present) and ``over_rate`` (over_flagged / absent).
    """
    total = int(presence["n"].sum()) if len(presence) else 0
    rows = []
    for code in DISQUALIFIERS:
        present = (
            int(
                sum(
                    n
                    for d, n in zip(presence["disqualifiers"], presence["n"], strict=True)
                    if code in split_codes(d)
                )
            )
            if len(presence)
            else 0
        )
        missed = (
            int(
                sum(
                    n
                    for m, n in zip(combos["missed"], combos["n"], strict=True)
                    if code in split_codes(m)
                )
            )
            if len(combos)
            else 0
        )
        over = (
            int(
                sum(
                    n
                    for o, n in zip(combos["over"], combos["n"], strict=True)
                    if code in split_codes(o)
                )
            )
            if len(combos)
            else 0
        )
        absent = total - present
        rows.append(
            {
                "disqualifier": code,
                "present": present,
                "absent": absent,
                "missed": missed,
                "over_flagged": over,
                "missed_rate": rate(missed, present),
                "over_rate": rate(over, absent),
            }
        )
    return pd.DataFrame(rows)


def _route_sort_key(route: str) -> tuple[int, str]:
    return (ROUTE_ORDER.index(route), route) if route in ROUTE_ORDER else (len(ROUTE_ORDER), route)


def confusion_matrix(cells: pd.DataFrame) -> pd.DataFrame:
    """Expert route x chosen route, long form with every combination of the routes seen.

    ``cells``: ``expert``, ``chosen``, ``n``. Returns ``expert``, ``chosen``, ``n``,
    ``row_share`` (n / attempts whose expert route is that row) and ``agrees``.
    """
    columns = ["expert", "chosen", "n", "row_share", "agrees"]
    if cells is None or cells.empty:
        return pd.DataFrame(columns=columns)
    cells = cells.assign(
        expert=cells["expert"].fillna("(none)"), chosen=cells["chosen"].fillna("(none)")
    )
    cells = cells.groupby(["expert", "chosen"], as_index=False)["n"].sum()
    routes = sorted(set(cells["expert"]) | set(cells["chosen"]), key=_route_sort_key)
    grid = pd.MultiIndex.from_product([routes, routes], names=["expert", "chosen"])
    full = cells.set_index(["expert", "chosen"]).reindex(grid, fill_value=0).reset_index()
    row_totals = full.groupby("expert")["n"].transform("sum")
    full["n"] = full["n"].astype(int)
    full["row_share"] = [rate(n, t) for n, t in zip(full["n"], row_totals, strict=True)]
    full["agrees"] = full["expert"] == full["chosen"]
    return full[columns]


def routing_rates(cells: pd.DataFrame) -> dict:
    """Unsafe-dispatch and over-routing rates from route cells.

    ``cells``: ``expert``, ``chosen``, ``n``, ``unsafe`` and ``over_routed`` (counts
    within the cell).
    """
    if cells is None or cells.empty:
        return {
            "attempts": 0,
            "unsafe": 0,
            "unsafe_rate": None,
            "over_routed": 0,
            "over_routing_base": 0,
            "over_routing_rate": None,
            "police_sent_when_not_needed": 0,
        }
    attempts = int(cells["n"].sum())
    unsafe = int(cells["unsafe"].sum())
    over = int(cells["over_routed"].sum())
    base = int(cells.loc[~cells["expert"].isin(POLICE_ROUTES), "n"].sum())
    return {
        "attempts": attempts,
        "unsafe": unsafe,
        "unsafe_rate": rate(unsafe, attempts),
        "over_routed": over,
        "over_routing_base": base,
        "over_routing_rate": rate(over, base),
        "police_sent_when_not_needed": int(
            cells.loc[
                ~cells["expert"].isin(POLICE_ROUTES) & cells["chosen"].isin(POLICE_ROUTES), "n"
            ].sum()
        ),
    }


# --- time to decision ----------------------------------------------------------------------


def nearest_rank(n: int, q: float) -> int:
    """1-based rank of the q-quantile by the nearest-rank method: ceil(q * n), at least 1."""
    if n <= 0:
        raise ValueError("no values")
    return max(1, math.ceil(q * n - 1e-9))


def timing_summary(
    seconds: Iterable[float], *, limit: float = NFPA_SECONDS, share: float = NFPA_SHARE
) -> dict:
    """Share of decisions within ``limit`` seconds and the ``share`` percentile (raw values)."""
    values = sorted(float(s) for s in seconds if s is not None and not pd.isna(s))
    if not values:
        return timing_from_aggregates(n=0, within=0, percentile=None, limit=limit, share=share)
    within = sum(1 for v in values if v <= limit)
    percentile = values[nearest_rank(len(values), share) - 1]
    return timing_from_aggregates(
        n=len(values), within=within, percentile=percentile, limit=limit, share=share
    )


def timing_from_aggregates(
    *,
    n: int,
    within: int,
    percentile: float | None,
    limit: float = NFPA_SECONDS,
    share: float = NFPA_SHARE,
) -> dict:
    """The timing verdict from counts computed elsewhere (e.g. in SQL)."""
    share_within = rate(within, n)
    return {
        "n": int(n),
        "within": int(within),
        "share_within": share_within,
        "p90": percentile,
        "limit": limit,
        "target_share": share,
        "meets_target": share_within is not None and share_within >= share,
    }


def timing_histogram(seconds: Iterable[float], *, width: float = 5.0) -> pd.DataFrame:
    """Counts of decisions per ``width``-second bin (``start``, ``n``)."""
    counts: dict[float, int] = {}
    for s in seconds:
        if s is None or pd.isna(s):
            continue
        start = math.floor(float(s) / width) * width
        counts[start] = counts.get(start, 0) + 1
    return pd.DataFrame(sorted(counts.items()), columns=["start", "n"])


# --- equity audit on counterfactual twins --------------------------------------------------

# No flag on too little evidence: a trainee needs this many twin pairs before they can be
# flagged, and the cohort this many pairs from this many different trainees (the cohort
# interval treats trainees as clusters, so few trainees mean few independent units).
MIN_PAIRS_FOR_EQUITY_FLAG = 10
MIN_PAIRS_FOR_COHORT_FLAG = 30
MIN_TRAINEES_FOR_EQUITY_FLAG = 10


def t_critical95(df: float) -> float:
    """The two-sided 95 % critical value of Student's t: the 0.975 quantile, exact for any
    number of degrees of freedom (infinite below one)."""
    if not df >= 1:  # also NaN
        return math.inf
    # stdtrit is the inverse t distribution that scipy.stats.t.ppf calls, without the
    # import time of scipy.stats.
    return float(stdtrit(df, 0.975))


def sign_test_p(positive: int, negative: int) -> float:
    """Exact two-sided sign test (McNemar's exact test on the discordant pairs).

    Twice the smaller binomial tail with p = 1/2, at most 1 — what
    ``scipy.stats.binomtest(positive, positive + negative).pvalue`` gives, worked out
    here in whole numbers and divided once.
    """
    n = positive + negative
    if n == 0:
        return 1.0
    k = min(positive, negative)
    term, tail = 1, 1  # C(n, 0)
    for i in range(k):
        term = term * (n - i) // (i + 1)  # C(n, i + 1), exact
        tail += term
    return min(1.0, 2 * tail / 2**n)


@dataclass(frozen=True)
class PairedCI:
    n: int
    mean: float | None
    low: float | None
    high: float | None
    se: float | None

    @property
    def excludes_zero(self) -> bool:
        return self.low is not None and (self.low > 0 or self.high < 0)


def paired_ci(diffs: Sequence[float], clusters: Sequence[object] | None = None) -> PairedCI:
    """Mean of paired differences with a 95 % confidence interval.

    Without ``clusters``: the t interval mean ± t(n-1) · sd / sqrt(n). With
    ``clusters`` (the trainee of each pair): the cluster-robust standard error
    sqrt(G/(G-1) · Σ_g (Σ_{i in g} (d_i - mean))²) / n and t(G-1), because pairs
    from the same trainee are not independent. When every trainee contributes one
    pair (G = n) the two are the same interval: n/(n-1) · Σ(d_i - mean)² / n² = sd² / n.
    t(df) is always the exact 0.975 quantile of Student's t (:func:`t_critical95`),
    never the normal 1.96, whatever df.
    """
    n = len(diffs)
    if n == 0:
        return PairedCI(0, None, None, None, None)
    mean = sum(diffs) / n
    if clusters is None:
        if n < 2:
            return PairedCI(n, mean, None, None, None)
        var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
        se = math.sqrt(var / n)
        t = t_critical95(n - 1)
    else:
        sums: dict[object, float] = {}
        for d, g in zip(diffs, clusters, strict=True):
            sums[g] = sums.get(g, 0.0) + (d - mean)
        groups = len(sums)
        if groups < 2:
            return PairedCI(n, mean, None, None, None)
        se = math.sqrt(groups / (groups - 1) * sum(s * s for s in sums.values())) / n
        t = t_critical95(groups - 1)
    return PairedCI(n, mean, mean - t * se, mean + t * se, se)


def twin_pairs(cells: pd.DataFrame) -> pd.DataFrame:
    """Counterfactual twin pairs a trainee took both variants of.

    ``cells``: ``user_id``, ``twin_group``, ``twin_variant`` (``a``/``b``),
    ``attempts``, ``police`` (attempts routed to police or
    community_responder_with_police). A variant taken more than once counts as the
    share of its attempts sent to police. Returns ``user_id``, ``twin_group``,
    ``police_a``, ``police_b``, ``diff`` (= police_a - police_b).
    """
    columns = ["user_id", "twin_group", "police_a", "police_b", "diff"]
    if cells is None or cells.empty:
        return pd.DataFrame(columns=columns)
    cells = cells[cells["twin_variant"].isin(["a", "b"]) & (cells["attempts"] > 0)]
    grouped = cells.groupby(["user_id", "twin_group", "twin_variant"])[["attempts", "police"]].sum()
    share = (grouped["police"] / grouped["attempts"]).unstack("twin_variant")
    for variant in ("a", "b"):
        if variant not in share:
            share[variant] = float("nan")
    share = share.dropna(subset=["a", "b"]).reset_index()
    share = share.rename(columns={"a": "police_a", "b": "police_b"})
    share["diff"] = share["police_a"] - share["police_b"]
    return share[columns].sort_values(["user_id", "twin_group"]).reset_index(drop=True)


@dataclass
class EquityAudit:
    per_trainee: pd.DataFrame
    cohort: dict = field(default_factory=dict)


def equity_audit(
    pairs: pd.DataFrame,
    *,
    min_pairs: int = MIN_PAIRS_FOR_EQUITY_FLAG,
    min_pairs_cohort: int = MIN_PAIRS_FOR_COHORT_FLAG,
    min_trainees_cohort: int = MIN_TRAINEES_FOR_EQUITY_FLAG,
    alpha: float = 0.05,
) -> EquityAudit:
    """Does routing to police differ between the two variants of the same call?

    Twin scenarios are the same call with one detail changed that must not
    change the route (for example who the caller or the person described is).
    For each pair (one trainee, both variants of one twin group)
    ``diff = police_a - police_b`` (+1: only variant a went to police).

    Intervals are cut to [-1, 1], the range a difference of shares can take.

    Per trainee: mean diff with a t interval over their pairs, the exact sign
    test (McNemar's exact test: discordant pairs a-only vs b-only), and a flag
    when the trainee has at least ``min_pairs`` pairs (default
    :data:`MIN_PAIRS_FOR_EQUITY_FLAG` = 10), the 95 % interval excludes 0 and the
    sign test agrees (p < alpha) — the second test keeps a trainee whose few pairs
    all differ the same way (zero spread, so a zero-width interval) from being
    flagged on too little evidence.

    Cohort: mean over all pairs with a cluster-robust interval (trainees as
    clusters); flagged when it has at least ``min_pairs_cohort`` pairs (default
    :data:`MIN_PAIRS_FOR_COHORT_FLAG` = 30) from at least ``min_trainees_cohort``
    trainees (default :data:`MIN_TRAINEES_FOR_EQUITY_FLAG` = 10) and the interval
    excludes 0. ``cohort["judged"]`` says whether those minimums are met; below them
    the interval is still given but no flag can be raised. Every t value is the exact
    Student quantile (:func:`t_critical95`).
    """
    columns = [
        "user_id",
        "pairs",
        "mean_diff",
        "low",
        "high",
        "a_only",
        "b_only",
        "p_value",
        "flagged",
    ]
    if pairs is not None and not pairs.empty:
        diffs = pairs[["user_id", "diff"]].astype({"diff": float})
        diffs["a_only"] = (diffs["diff"] > 0).astype(int)
        diffs["b_only"] = (diffs["diff"] < 0).astype(int)
        grouped = diffs.groupby("user_id", sort=True)
        per_trainee = pd.DataFrame(
            {
                "pairs": grouped["diff"].size(),
                "mean_diff": grouped["diff"].mean(),
                "sd": grouped["diff"].std(ddof=1),
                "a_only": grouped["a_only"].sum(),
                "b_only": grouped["b_only"].sum(),
            }
        ).reset_index()
        # The same t interval as paired_ci, computed for every trainee at once.
        df = per_trainee["pairs"].astype(float) - 1
        t = pd.Series(stdtrit(df.where(df >= 1), 0.975), index=per_trainee.index)
        half = t * per_trainee["sd"] / per_trainee["pairs"].pow(0.5)
        # A difference of shares lies in [-1, 1]; the interval is cut to that range.
        per_trainee["low"] = (per_trainee["mean_diff"] - half).clip(lower=-1.0)
        per_trainee["high"] = (per_trainee["mean_diff"] + half).clip(upper=1.0)
        p_of: dict[tuple[int, int], float] = {}
        per_trainee["p_value"] = [
            p_of.setdefault((a, b), sign_test_p(a, b))
            for a, b in zip(per_trainee["a_only"], per_trainee["b_only"], strict=True)
        ]
        excludes = (per_trainee["low"] > 0) | (per_trainee["high"] < 0)
        per_trainee["flagged"] = (
            (per_trainee["pairs"] >= min_pairs) & excludes & (per_trainee["p_value"] < alpha)
        )
        per_trainee = per_trainee[columns]
    else:
        per_trainee = pd.DataFrame(columns=columns)
    if pairs is None or pairs.empty:
        cohort_ci = PairedCI(0, None, None, None, None)
        trainees = 0
    else:
        cohort_ci = paired_ci(pairs["diff"].astype(float).tolist(), pairs["user_id"].tolist())
        trainees = int(pairs["user_id"].nunique())
    judged = cohort_ci.n >= min_pairs_cohort and trainees >= min_trainees_cohort
    cohort = {
        "pairs": cohort_ci.n,
        "trainees": trainees,
        "mean_diff": cohort_ci.mean,
        "low": None if cohort_ci.low is None else max(-1.0, cohort_ci.low),
        "high": None if cohort_ci.high is None else min(1.0, cohort_ci.high),
        "judged": bool(judged),
        "flagged": bool(judged and cohort_ci.excludes_zero),
        "min_pairs": min_pairs,
        "min_pairs_cohort": min_pairs_cohort,
        "min_trainees_cohort": min_trainees_cohort,
        "trainees_flagged": int(per_trainee["flagged"].sum()) if len(per_trainee) else 0,
        "trainees_tested": int((per_trainee["pairs"] >= min_pairs).sum())
        if len(per_trainee)
        else 0,
    }
    return EquityAudit(per_trainee=per_trainee, cohort=cohort)
