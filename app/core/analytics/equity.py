"""The equity audit on counterfactual twins: does the route to police follow a detail
that must not matter?"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from scipy.special import stdtrit

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
        if self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0


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


PAIR_COLUMNS = ["user_id", "twin_group", "police_a", "police_b", "diff"]
COUNT_COLUMNS = ["user_id", "twin_group", "attempts_a", "police_a", "attempts_b", "police_b"]


def twin_pairs(cells: pd.DataFrame) -> pd.DataFrame:
    """Counterfactual twin pairs a trainee took both variants of.

    ``cells``: ``user_id``, ``twin_group``, ``twin_variant`` (``a``/``b``),
    ``attempts``, ``police`` (attempts routed to a route of
    :data:`~app.core.analytics.POLICE_ROUTES`). A variant taken more than once counts as the
    share of its attempts sent to police. Returns ``user_id``, ``twin_group``,
    ``police_a``, ``police_b``, ``diff`` (= police_a - police_b).
    """
    if cells is None or cells.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    cells = cells[cells["twin_variant"].isin(["a", "b"]) & (cells["attempts"] > 0)]
    grouped = cells.groupby(["user_id", "twin_group", "twin_variant"])[["attempts", "police"]].sum()
    wide = grouped.unstack("twin_variant", fill_value=0)
    counts = pd.DataFrame(index=wide.index)
    for variant in ("a", "b"):
        for what in ("attempts", "police"):
            counts[f"{what}_{variant}"] = wide[(what, variant)] if (what, variant) in wide else 0
    return pairs_from_counts(counts.reset_index())


def pairs_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`twin_pairs` from counts already summed per trainee and twin group (as one
    SQL query gives them): ``user_id``, ``twin_group``, ``attempts_a``, ``police_a``,
    ``attempts_b``, ``police_b`` (attempts of each variant, and of those the ones sent to
    police). A pair needs both variants taken."""
    if counts is None or counts.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    taken = counts[(counts["attempts_a"] > 0) & (counts["attempts_b"] > 0)]
    share = pd.DataFrame(
        {
            "user_id": taken["user_id"].to_numpy(),
            "twin_group": taken["twin_group"].to_numpy(),
            "police_a": (taken["police_a"] / taken["attempts_a"]).to_numpy(dtype=float),
            "police_b": (taken["police_b"] / taken["attempts_b"]).to_numpy(dtype=float),
        }
    )
    share["diff"] = share["police_a"] - share["police_b"]
    return share.sort_values(["user_id", "twin_group"]).reset_index(drop=True)


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


# --- plain words: what differs between twins, one verdict ------------------------------------

_WORD = re.compile(r"[\w'’-]+")
_SPOKEN = ("opening",)  # call texts compared word by word
MAX_CHANGES = 4  # word changes listed per pair; the rest are counted


def _call_texts(scenario: Mapping) -> list[str]:
    call = scenario.get("call") or {}
    texts = [str(call.get(key) or "") for key in _SPOKEN]
    for exchange in call.get("exchanges") or []:
        if isinstance(exchange, Mapping):
            texts.append(str(exchange.get("answer") or ""))
            texts.append(str(exchange.get("question") or ""))
    return texts


def _word_changes(a: str, b: str) -> list[tuple[str, str]]:
    """Runs of words that differ between two texts, as (in a, in b)."""
    if a == b:  # most lines of a twin pair are the same: skip the diff
        return []
    wa, wb = _WORD.findall(a), _WORD.findall(b)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=wa, b=wb, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append((" ".join(wa[i1:i2]), " ".join(wb[j1:j2])))
    return out


def twin_differences(a: Mapping, b: Mapping) -> list[str]:
    """What differs between the two versions of a twin pair, in plain words.

    Compares who the caller is (role, voice, language), where the call is, and the words
    of the opening line and the caller's answers. A pair whose versions differ in none of
    these gives ``["No difference found in the call's words"]``.
    """
    call_a, call_b = a.get("call") or {}, b.get("call") or {}
    caller_a, caller_b = call_a.get("caller") or {}, call_b.get("caller") or {}
    out: list[str] = []
    for label, va, vb in (
        ("Caller", caller_a.get("role"), caller_b.get("role")),
        ("Caller's voice", voice_words(caller_a.get("voice")), voice_words(caller_b.get("voice"))),
        ("Caller's language", caller_a.get("language"), caller_b.get("language")),
        ("Where", call_a.get("location"), call_b.get("location")),
        ("Phone display", call_a.get("ali"), call_b.get("ali")),
    ):
        if (va or "") != (vb or ""):
            out.append(f"{label}: {_shown(va)} / {_shown(vb)}")
    changes: list[tuple[str, str]] = []
    for ta, tb in zip(_call_texts(a), _call_texts(b), strict=False):
        for pair in _word_changes(ta, tb):
            if pair not in changes:
                changes.append(pair)
    for wa, wb in changes[:MAX_CHANGES]:
        out.append(f"“{_shown(wa)}” / “{_shown(wb)}”")
    if len(changes) > MAX_CHANGES:
        out.append(f"{len(changes) - MAX_CHANGES} more word changes of the same kind")
    return out or ["No difference found in the call's words"]


_AGES = {
    "child": "child",
    "young": "young",
    "adult": "adult",
    "older": "older",
    "elderly": "elderly",
}
_PEOPLE = {"female": "woman", "male": "man"}


def voice_words(hint: object) -> str:
    """A speech voice hint in words: ``older_female_south_asian`` -> ``older woman, South
    Asian accent``; ``adult_male`` -> ``adult man, no accent``; anything else as written."""
    parts = str(hint or "").strip().lower().split("_")
    if len(parts) < 2 or parts[0] not in _AGES or parts[1] not in _PEOPLE:
        return str(hint or "")
    who = f"{_AGES[parts[0]]} {_PEOPLE[parts[1]]}"
    accent = " ".join(p.capitalize() for p in parts[2:])
    return f"{who}, {accent} accent" if accent else f"{who}, no accent"


def _shown(value: object) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        return "(none)"
    return text if len(text) <= 60 else text[:59] + "…"


@dataclass(frozen=True)
class Verdict:
    kind: str  # "flagged" | "clear" | "too_little"
    headline: str
    detail: str


def equity_verdict(cohort: Mapping, per_trainee: pd.DataFrame) -> Verdict:
    """The one verdict the page shows; it always agrees with the flags.

    ``flagged`` when the cohort or any trainee is flagged; ``too_little`` when nothing is
    flagged and the cohort is below its minimums (no trainee with enough pairs either);
    ``clear`` only when nothing is flagged and there was enough to judge.
    """
    flagged = int(per_trainee["flagged"].sum()) if len(per_trainee) else 0
    tested = int((per_trainee["pairs"] >= cohort["min_pairs"]).sum()) if len(per_trainee) else 0
    people = "trainee" if flagged == 1 else "trainees"
    if cohort.get("flagged") or flagged:
        parts = []
        if cohort.get("flagged"):
            parts.append(
                f"Across all trainees, version a went to police {_points(cohort['mean_diff'])} "
                "compared with version b, more than chance explains."
            )
        if flagged:
            parts.append(_flagged_people(per_trainee, flagged, people))
        if not cohort.get("judged"):
            parts.append(_cohort_not_judged(cohort))
        return Verdict(
            "flagged",
            "Police routing differs between twin versions. Listen to the calls behind the flags.",
            " ".join(parts),
        )
    if not cohort.get("judged") and tested == 0:
        return Verdict(
            "too_little",
            "Not enough twin calls yet to judge.",
            f"A trainee can be flagged once they have taken {cohort['min_pairs']} twin pairs; "
            f"the whole group once there are {cohort['min_pairs_cohort']} pairs from "
            f"{cohort['min_trainees_cohort']} trainees. So far: {cohort['pairs']} pairs from "
            f"{cohort['trainees']} trainees.",
        )
    judged = []
    waiting = "" if cohort.get("judged") else " " + _cohort_not_judged(cohort)
    if cohort.get("judged"):
        judged.append(
            f"the whole group ({cohort['pairs']} pairs from {cohort['trainees']} trainees)"
        )
    if tested:
        judged.append(f"{tested} trainee{'s' if tested != 1 else ''} with enough pairs")
    return Verdict(
        "clear",
        "No difference in police routing between twin versions.",
        "Checked: " + " and ".join(judged) + ". Neither version went to police more often "
        "than chance explains." + waiting,
    )


def _flagged_people(per_trainee: pd.DataFrame, flagged: int, people: str) -> str:
    rows = per_trainee[per_trainee["flagged"].astype(bool)]
    if "name" not in rows.columns:
        return f"{flagged} {people} sent one version to police clearly more often than the other."
    named = [
        f"{name} sent version {'a' if diff > 0 else 'b'} to police {abs(diff) * 100:.0f} points "
        "more often"
        for name, diff in zip(rows["name"], rows["mean_diff"], strict=True)
    ][:3]
    more = f" and {flagged - 3} more" if flagged > 3 else ""
    return "; ".join(named) + more + "."


def _cohort_not_judged(cohort: Mapping) -> str:
    return (
        f"The whole group is not judged yet ({cohort['pairs']} pairs from "
        f"{cohort['trainees']} trainees; it needs {cohort['min_pairs_cohort']} pairs from "
        f"{cohort['min_trainees_cohort']})."
    )


def _points(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{abs(value) * 100:.0f} points {'more' if value >= 0 else 'less'} often"


def chance_words(p: float | None) -> str:
    """How likely chance alone is to give a trainee's pattern, in words."""
    if p is None or pd.isna(p):
        return "–"
    if p < 0.001:
        return "very unlikely (p < 0.001)"
    if p < 0.01:
        return f"very unlikely (p {p:.3f})"
    if p < 0.05:
        return f"unlikely (p {p:.2f})"
    return f"quite possible (p {p:.2f})"
