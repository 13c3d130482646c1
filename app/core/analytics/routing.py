"""Errors and routing: missed and wrongly flagged disqualifiers, route pairs, over-routing."""

from __future__ import annotations

import pandas as pd

from app.core.analytics.common import DISQUALIFIERS, POLICE_ROUTES, ROUTE_ORDER, rate, split_codes


def _attempts_with(frame: pd.DataFrame, column: str, code: str) -> int:
    """The attempts (``n``) of the rows whose ``column`` (comma-separated codes) has ``code``."""
    if not len(frame):
        return 0
    return int(
        sum(
            n
            for codes, n in zip(frame[column], frame["n"], strict=True)
            if code in split_codes(codes)
        )
    )


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
        present = _attempts_with(presence, "disqualifiers", code)
        missed = _attempts_with(combos, "missed", code)
        over = _attempts_with(combos, "over", code)
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
