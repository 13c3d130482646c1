"""The dashboards read from the rollups: errors per disqualifier, expert route x chosen
route, time to decision, and the equity audit on counterfactual twins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from sqlmodel import col, select

from app.core import analytics as an
from app.services.access import Actor, require
from app.services.review.sql import (
    HIST_CAP,
    HIST_WIDTH,
    _as_datetime,
    _case,
    _frame,
    _from,
    _params,
    _police_in,
    _rollup_params,
    _rollup_where,
    _run,
    _since_day,
    _where,
)
from app.store.db import read_session
from app.store.models import ScenarioVersion

# --- errors and routing ---------------------------------------------------------------------


def error_profile(*, actor: Actor, since: dt.date | dt.datetime | None = None) -> pd.DataFrame:
    """Per disqualifier: missed vs wrongly flagged (counts and rates), see an.error_profile."""
    require(actor, "analytics")
    day = _since_day(since)
    with read_session() as session:
        combos = _run(
            session,
            "SELECT missed_disqualifiers, over_disqualifiers, SUM(attempts) FROM dayerrorrollup",
            "WHERE",
            _rollup_where(day),
            "AND (missed_disqualifiers <> '' OR over_disqualifiers <> '')",
            "GROUP BY missed_disqualifiers, over_disqualifiers HAVING SUM(attempts) > 0",
            **_rollup_params(actor, day),
        )
        presence = _run(
            session,
            "SELECT key_disqualifiers, SUM(attempts) FROM dayerrorrollup WHERE",
            _rollup_where(day),
            "GROUP BY key_disqualifiers HAVING SUM(attempts) > 0",
            **_rollup_params(actor, day),
        )
    return an.error_profile(
        _frame([(m, o, int(n)) for m, o, n in combos], ["missed", "over", "n"]),
        _frame([(d, int(n)) for d, n in presence], ["disqualifiers", "n"]),
    )


@dataclass
class RoutingView:
    matrix: pd.DataFrame  # expert, chosen, n, row_share, agrees
    rates: dict  # see an.routing_rates
    cells: pd.DataFrame  # expert, chosen, n, unsafe, over_routed


def confusion_matrix(*, actor: Actor, since: dt.date | dt.datetime | None = None) -> RoutingView:
    """Expert route x chosen route, with unsafe-dispatch and over-routing rates."""
    require(actor, "analytics")
    day = _since_day(since)
    with read_session() as session:
        rows = _run(
            session,
            "SELECT expert_disposition, disposition, SUM(attempts), SUM(unsafe),",
            "SUM(over_routed) FROM dayrouterollup WHERE",
            _rollup_where(day),
            "GROUP BY expert_disposition, disposition HAVING SUM(attempts) > 0",
            **_rollup_params(actor, day),
        )
    # The rollup keeps '' for a route the attempt left empty.
    cells = _frame(
        [(e or None, c or None, *(int(v) for v in rest)) for e, c, *rest in rows],
        ["expert", "chosen", "n", "unsafe", "over_routed"],
    )
    for column in ("n", "unsafe", "over_routed"):
        cells[column] = cells[column].astype(int)
    return RoutingView(an.confusion_matrix(cells), an.routing_rates(cells), cells)


@dataclass
class TimingView:
    summary: dict  # see an.timing_from_aggregates
    histogram: pd.DataFrame  # start, n (the last bin holds everything >= HIST_CAP)
    width: float = HIST_WIDTH
    cap: float = HIST_CAP


def timing(*, actor: Actor, since: dt.date | dt.datetime | None = None) -> TimingView:
    """Time to decision against NFPA 1225: share within 60 s and the 90th percentile."""
    require(actor, "analytics")
    day = _since_day(since)
    params = _params(actor, _as_datetime(since))
    limit = an.NFPA_SECONDS
    edges = _bin_edges()
    with read_session() as session:
        per_bin = _run(
            session,
            "SELECT bin, SUM(attempts) FROM daysecondsrollup WHERE",
            _rollup_where(day),
            "GROUP BY bin",
            **_rollup_params(actor, day),
        )
        counts = {int(b): int(n or 0) for b, n in per_bin}
        bins = [(lo, hi, counts.get(i, 0)) for i, (lo, hi) in enumerate(edges)]
        n = sum(c for _, _, c in bins)
        # The share within 60 s and the exact 90th percentile follow from the bins plus
        # two short reads of the seconds index.
        source = ("FROM", _from(session, "ix_attempt_an_seconds"))
        where = ("WHERE", _where(params.get("since")), "AND seconds IS NOT NULL")
        at_limit = _run(
            session,
            "SELECT COUNT(*)",
            *source,
            *where,
            "AND seconds = :limit",
            **params,
            limit=limit,
        )[0][0]
        within = sum(c for _, hi, c in bins if hi <= limit) + int(at_limit or 0)
        p90 = None
        if n:
            rank, before = an.nearest_rank(n, an.NFPA_SHARE), 0
            for lo, hi, count in bins:
                if before + count >= rank:
                    p90 = _run(
                        session,
                        "SELECT seconds",
                        *source,
                        *where,
                        "AND seconds >= :lo AND seconds < :hi",
                        "ORDER BY seconds LIMIT 1 OFFSET :offset",
                        **params,
                        lo=lo,
                        hi=hi,
                        offset=rank - before - 1,
                    )[0][0]
                    break
                before += count
    histogram = pd.DataFrame(
        {"start": [max(lo, 0.0) for lo, _, c in bins if c], "n": [c for _, _, c in bins if c]}
    )
    summary = an.timing_from_aggregates(
        n=n, within=within, percentile=None if p90 is None else float(p90)
    )
    return TimingView(summary, histogram)


def _bin_edges() -> list[tuple[float, float]]:
    """[lo, hi) histogram bins of HIST_WIDTH seconds; the last one is open-ended from HIST_CAP."""
    # The 60 s mark falls on a bin edge; the bins are the rollup's (rollups.seconds_bin).
    assert an.NFPA_SECONDS % HIST_WIDTH == 0
    edges = [k * HIST_WIDTH for k in range(int(HIST_CAP / HIST_WIDTH) + 1)]
    bins = list(zip(edges, edges[1:], strict=False))
    bins[0] = (-1e12, bins[0][1])  # never expected, but nothing may fall outside the bins
    return [*bins, (HIST_CAP, 1e12)]


# --- equity -----------------------------------------------------------------------------------


@dataclass
class EquityView:
    per_trainee: pd.DataFrame  # an.equity_audit columns + name
    cohort: dict
    pairs: pd.DataFrame  # user_id, twin_group, police_a, police_b, diff
    # twin_group, title, version_a, version_b (ids), trainees, police_a, police_b (mean
    # shares); what differs between the versions, in words: twin_differences()
    twins: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdict: an.Verdict | None = None


def _twin_versions(rows: list) -> dict[str, tuple[int, int]]:
    """Twin group -> (version a, version b): the newest scenario version of each variant the
    agency's trainees took (-1: none). ``rows`` are the audit query's, a row per trainee
    and group ending in the newest version of a and of b that trainee took."""
    newest: dict[str, tuple[int, int]] = {}
    for row in rows:
        group, a, b = row[1], row[-2], row[-1]
        old_a, old_b = newest.get(group, (-1, -1))
        newest[group] = (
            max(old_a, -1 if a is None else int(a)),
            max(old_b, -1 if b is None else int(b)),
        )
    return newest


# (content hash of version a, of version b) -> what differs, in words. A version's content
# never changes under its hash, so entries never go stale; the size is capped.
_DIFFERENCES: dict[tuple[str, str], str] = {}
_MAX_DIFFERENCES = 5000
NOT_FOUND = "The versions are not found."


def _twin_table(
    session, actor: Actor, versions: dict[str, tuple[int, int]], pairs: pd.DataFrame
) -> pd.DataFrame:
    """One row per twin pair taken by a trainee: its title, its two versions and how each
    went. What differs between them, in words, is :func:`twin_differences`."""
    columns = ["twin_group", "title", "version_a", "version_b", "trainees", "police_a", "police_b"]
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    ids = sorted({v for pair in versions.values() for v in pair if v >= 0})
    titles: dict[int, str] = {}
    for chunk in range(0, len(ids), 500):
        rows = session.exec(
            select(ScenarioVersion.id, ScenarioVersion.title)
            .where(ScenarioVersion.agency_id == actor.agency_id)
            .where(col(ScenarioVersion.id).in_(ids[chunk : chunk + 500]))
        ).all()
        titles.update({int(i): t for i, t in rows})
    # Summed in plain Python: a few thousand pairs into a few dozen groups, where a pandas
    # group-by costs more in setting up than in adding. A pair is one trainee's, so the
    # pairs of a group count its trainees.
    sums: dict[str, list[float]] = {}
    for group, police_a, police_b in zip(
        pairs["twin_group"].tolist(),
        pairs["police_a"].tolist(),
        pairs["police_b"].tolist(),
        strict=True,
    ):
        total = sums.setdefault(group, [0, 0.0, 0.0])
        total[0] += 1
        total[1] += police_a
        total[2] += police_b
    out = []
    for group, (trainees, sum_a, sum_b) in sums.items():
        a_id, b_id = versions.get(group, (-1, -1))
        title = titles.get(a_id) or titles.get(b_id) or str(group)
        out.append((group, title, a_id, b_id, int(trainees), sum_a / trainees, sum_b / trainees))
    # The pairs whose variants went to police most differently first, then the most taken.
    out.sort(key=lambda r: (-abs(r[5] - r[6]), -r[4], r[0]))
    return pd.DataFrame(out, columns=columns)


def twin_differences(*, actor: Actor, pairs: Iterable[tuple[str, int, int]]) -> dict[str, str]:
    """What differs between the two versions of each twin pair, in plain words:
    ``pairs`` are (twin group, version a id, version b id), as in ``EquityView.twins``;
    returns twin group -> words (:data:`NOT_FOUND` for versions not in the actor's agency).

    Worked out once per pair of contents and kept (a version's content never changes under
    its hash); only the versions not seen before are loaded.
    """
    require(actor, "analytics")
    wanted = {str(g): (int(a), int(b)) for g, a, b in pairs}
    ids = sorted({v for pair in wanted.values() for v in pair})
    hashes: dict[int, str] = {}
    with read_session() as session:
        for chunk in range(0, len(ids), 500):
            rows = session.exec(
                select(ScenarioVersion.id, ScenarioVersion.content_hash)
                .where(ScenarioVersion.agency_id == actor.agency_id)
                .where(col(ScenarioVersion.id).in_(ids[chunk : chunk + 500]))
            ).all()
            hashes.update({i: h for i, h in rows if i is not None})
        keys = {
            g: (hashes[a], hashes[b]) for g, (a, b) in wanted.items() if a in hashes and b in hashes
        }
        missing = sorted(
            {v for g, key in keys.items() if key not in _DIFFERENCES for v in wanted[g]}
        )
        loaded = (
            dict(
                session.exec(
                    select(ScenarioVersion.id, ScenarioVersion.data).where(
                        col(ScenarioVersion.id).in_(missing)
                    )
                ).all()
            )
            if missing
            else {}
        )
    if len(_DIFFERENCES) > _MAX_DIFFERENCES:
        _DIFFERENCES.clear()
    for g, key in keys.items():
        a, b = (loaded.get(v) for v in wanted[g])
        if key not in _DIFFERENCES and isinstance(a, dict) and isinstance(b, dict):
            _DIFFERENCES[key] = "; ".join(an.twin_differences(a, b))
    return {g: _DIFFERENCES.get(keys[g], NOT_FOUND) if g in keys else NOT_FOUND for g in wanted}


def equity_audit(
    *,
    actor: Actor,
    since: dt.date | dt.datetime | None = None,
    min_pairs: int = 10,
    min_pairs_cohort: int = 30,
) -> EquityView:
    """Police routing on counterfactual twins: variant a minus variant b, per trainee and cohort."""
    require(actor, "analytics")
    since = _as_datetime(since)
    with read_session() as session:
        # One row per trainee and twin group: how often each variant was taken and sent to
        # police, and the newest version of each the trainee took.
        rows = _run(
            session,
            "SELECT user_id, twin_group,",
            _case("twin_variant = 'a'") + ",",
            _case(f"twin_variant = 'a' AND {_police_in()}") + ",",
            _case("twin_variant = 'b'") + ",",
            _case(f"twin_variant = 'b' AND {_police_in()}") + ",",
            "MAX(CASE WHEN twin_variant = 'a' THEN scenario_version_id END),",
            "MAX(CASE WHEN twin_variant = 'b' THEN scenario_version_id END)",
            "FROM",
            _from(session, "ix_attempt_an_twin"),
            "WHERE agency_id = :agency AND twin_group IS NOT NULL AND status = :submitted",
            "AND submitted_at >= :since" if since is not None else "",
            "GROUP BY user_id, twin_group",
            **_params(actor, since),
        )
        names = _run(
            session,
            'SELECT id, display_name FROM "user" WHERE agency_id = :agency',
            agency=actor.agency_id,
        )
        pairs = an.pairs_from_counts(_frame([r[:6] for r in rows], an.COUNT_COLUMNS))
        twins = _twin_table(session, actor, _twin_versions(rows), pairs)
    audit = an.equity_audit(pairs, min_pairs=min_pairs, min_pairs_cohort=min_pairs_cohort)
    name_of = dict(names)
    per_trainee = audit.per_trainee.copy()
    per_trainee.insert(1, "name", [name_of.get(u, str(u)) for u in per_trainee["user_id"]])
    per_trainee = per_trainee.sort_values(
        ["flagged", "pairs"], ascending=[False, False]
    ).reset_index(drop=True)
    verdict = an.equity_verdict(audit.cohort, per_trainee)
    return EquityView(per_trainee, audit.cohort, pairs, twins, verdict)
