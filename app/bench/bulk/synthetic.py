"""Synthetic scenarios and graded attempts for the bulk data set (see ``app.bench.bulk``).

The codes below are the ones the stand-in grades and the simulated trainees use; the
rows are tuples in :data:`ATTEMPT_COLUMNS` order, ready for :mod:`app.bench.bulk.writer`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from app.core.protocol import DISQUALIFIERS, demands_of
from app.core.protocol import ELIGIBLE_CALL_TYPES as ELIGIBLE_TYPES
from app.core.protocol import POLICE_DISPOSITIONS as POLICE_ROUTES

VIOLENT_TYPES = ("ASSAULT", "DOMESTIC_VIOLENCE", "WEAPONS", "BURGLARY_IN_PROGRESS", "ROBBERY")
MEDICAL_TYPES = ("OVERDOSE", "CARDIAC_BREATHING", "TRAFFIC_INJURY")
# The stand-in grades follow grading rules 1 (a missed disqualifier is not critical), and
# each row says so: ``grade["rules"]`` and the ``rules`` column (app/core/regrade.py).
GRADE_RULES = 1
SPAN_DAYS = 180
TWIN_SHARE = 0.10  # share of scenarios that belong to a counterfactual twin pair
TWIN_ATTEMPT_SHARE = 0.06  # share of each trainee's attempts spent on twin pairs
SQLITE_DT = "%Y-%m-%d %H:%M:%S.%f"


@dataclass
class _Scenario:
    """The parts of a synthetic scenario key that grading and simulation need."""

    key: str
    call_type: str
    group: str
    disqualifiers: tuple[str, ...]
    disposition: str
    acceptable: tuple[str, ...]
    unsafe: tuple[str, ...]
    required: tuple[str, ...]
    target: int
    twin_group: str | None = None
    twin_variant: str | None = None


# --- scenarios ---------------------------------------------------------------------------


def _make_scenarios(rng: np.random.Generator, count: int, run: str) -> list[_Scenario]:
    scenarios: list[_Scenario] = []
    n_twin = int(count * TWIN_SHARE) // 2 * 2
    for i in range(count):
        key = f"bulk-{run}-{i:05d}"
        twin = i < n_twin
        roll = rng.random()
        if twin or roll < 0.55:  # eligible, nothing disqualifying: the twin pairs live here
            call_type = ELIGIBLE_TYPES[rng.integers(len(ELIGIBLE_TYPES))]
            dq: tuple[str, ...] = ()
        elif roll < 0.75:  # eligible type but a disqualifier comes out when screened
            call_type = ELIGIBLE_TYPES[rng.integers(len(ELIGIBLE_TYPES))]
            dq = (DISQUALIFIERS[rng.choice(4, p=[0.35, 0.25, 0.25, 0.15])],)
        elif roll < 0.9:
            call_type = VIOLENT_TYPES[rng.integers(len(VIOLENT_TYPES))]
            dq = ("weapon",) if rng.random() < 0.5 else ("threat",)
            if rng.random() < 0.15:
                dq = ("threat", "weapon")
        else:
            call_type = MEDICAL_TYPES[rng.integers(len(MEDICAL_TYPES))]
            dq = ("medical",)
        group = "eligible" if call_type in ELIGIBLE_TYPES else "not_eligible"
        acceptable: tuple[str, ...]
        if not dq:
            if call_type in ("MENTAL_HEALTH", "SUICIDAL_IDEATION") and rng.random() < 0.3:
                disposition, acceptable = "transfer_988", ("community_responder",)
            else:
                disposition, acceptable = "community_responder", ()
            unsafe: tuple[str, ...] = ()
        elif "police" in demands_of(dq):
            if rng.random() < 0.6:
                disposition, acceptable = "police", ("community_responder_with_police",)
            else:
                disposition, acceptable = "community_responder_with_police", ("police",)
            unsafe = ("community_responder",)
        else:
            disposition, acceptable = "ems", ("community_responder_with_ems",)
            unsafe = ("community_responder",)
        required: tuple[str, ...] = ("weapons", "threats", "medical")
        if "police_only" in dq:
            required += ("entry",)
        twin_group = f"tw-{run}-{i // 2:05d}" if twin else None
        variant = ("a", "b")[i % 2] if twin else None
        if twin and i % 2 == 1:  # a twin is the same call: copy the key of variant a
            a = scenarios[-1]
            call_type, dq, disposition = a.call_type, a.disqualifiers, a.disposition
            acceptable, unsafe, required = a.acceptable, a.unsafe, a.required
        target = int(rng.choice([60, 75, 90, 120]))
        scenarios.append(
            _Scenario(
                key,
                call_type,
                group,
                dq,
                disposition,
                acceptable,
                unsafe,
                required,
                target,
                twin_group,
                variant,
            )
        )
    return scenarios


def _scenario_data(s: _Scenario) -> dict:
    """A scenario dict in the contract's shape (enough to replay and show the key)."""
    tags = ["synthetic"]
    if s.twin_group:
        tags += [f"twin:{s.twin_group}", f"twin-variant:{s.twin_variant}"]
    exchanges = [{"ask": q, "answer": "Synthetic answer."} for q in s.required]
    return {
        "format": 1,
        "id": s.key,
        "version": 1,
        "title": f"Synthetic {s.call_type.replace('_', ' ').lower()} call",
        "module": "real-time-screening",
        "difficulty": 2,
        "tags": tags,
        "call": {
            "channel": "911",
            "time": "14:00",
            "initial_call_type": s.call_type,
            "location": "Synthetic location",
            "caller": {"role": "caller", "relation": "stranger"},
            "opening": "Synthetic opening line for load testing.",
            "exchanges": exchanges,
        },
        "expert": {
            "disqualifiers": list(s.disqualifiers),
            "call_type": s.call_type,
            "disposition": s.disposition,
            "acceptable": list(s.acceptable),
            "unsafe": list(s.unsafe),
            "required_questions": list(s.required),
            "time_target_seconds": s.target,
            "rationale": "Synthetic scenario for benchmarks.",
        },
    }


# --- trainees and attempts ---------------------------------------------------------------


def _attempt_counts(rng: np.random.Generator, trainees: int, attempts: int) -> np.ndarray:
    weights = rng.lognormal(0.0, 0.7, trainees)
    counts = np.floor(weights / weights.sum() * attempts).astype(np.int64)
    short = attempts - int(counts.sum())
    if short > 0:
        np.add.at(counts, rng.choice(trainees, short, replace=True), 1)
    # Fix any rounding overshoot by trimming the largest.
    while counts.sum() > attempts:
        counts[counts.argmax()] -= 1
    return counts


def _fmt_dt(value: dt.datetime, sqlite: bool):
    """UTC as SQLAlchemy writes it: text on SQLite, an aware value for timestamptz."""
    return value.strftime(SQLITE_DT) if sqlite else value.replace(tzinfo=dt.UTC)


def _json_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(f'"{x}"' for x in items) + "]"


class _AttemptMaker:
    """Builds attempt rows (tuples in ATTEMPT_COLUMNS order) from vectorised random draws."""

    def __init__(self, *, rng, scenarios, counts, now, agency_id, model, run, user_ids, sv_ids):
        self.rng, self.scenarios, self.now = rng, scenarios, now
        self.agency_id, self.model, self.run = agency_id, model, run
        self.user_ids, self.sv_ids = user_ids, sv_ids
        n_trainees = len(counts)
        self.counts = counts
        # Per-trainee traits.
        self.p_miss = rng.uniform(0.05, 0.4, n_trainees)
        self.p_over = rng.uniform(0.01, 0.12, n_trainees)
        self.p_hes = rng.beta(1.5, 10.0, n_trainees)  # hesitancy: eligible -> police
        self.p_ask = rng.uniform(0.75, 0.98, n_trainees)
        self.p_type = rng.uniform(0.75, 0.97, n_trainees)
        self.speed = rng.normal(np.log(45), 0.25, n_trainees)
        stuck = rng.random(n_trainees) < 0.05
        self.learn = np.where(stuck, 0.0, rng.uniform(0.3, 0.8, n_trainees))
        self.bias = np.where(rng.random(n_trainees) < 0.03, rng.uniform(0.25, 0.5), 0.0)
        inactive = rng.random(n_trainees) < 0.12
        self.start_days = rng.uniform(20, SPAN_DAYS, n_trainees)
        end = np.where(inactive, rng.uniform(15, 60, n_trainees), rng.uniform(0, 7, n_trainees))
        self.end_days = np.minimum(end, self.start_days - 1)
        self.twin_idx = [i for i, s in enumerate(scenarios) if s.twin_variant == "a"]
        self.plain_idx = np.array(
            [i for i, s in enumerate(scenarios) if s.twin_group is None], dtype=np.int64
        )
        self.pairs = 0

    def trainee_plan(self, u: int) -> tuple[np.ndarray, np.ndarray]:
        """Scenario indexes and submit times (days before now, descending) for trainee u."""
        rng, n = self.rng, int(self.counts[u])
        chosen = self.plain_idx[rng.integers(len(self.plain_idx), size=n)]
        n_pairs = min(int(n * TWIN_ATTEMPT_SHARE / 2), len(self.twin_idx), n // 2)
        if n_pairs:
            slots = rng.choice(n, 2 * n_pairs, replace=False)
            groups = rng.choice(len(self.twin_idx), n_pairs, replace=False)
            first = np.array([self.twin_idx[g] for g in groups], dtype=np.int64)
            flip = rng.random(n_pairs) < 0.5  # which variant comes first
            chosen[slots[:n_pairs]] = first + flip
            chosen[slots[n_pairs:]] = first + ~flip
            self.pairs += n_pairs
        days = np.sort(rng.uniform(self.end_days[u], self.start_days[u], n))[::-1]
        return chosen, days

    def rows(self, u: int, start_serial: int, sqlite: bool) -> list[tuple]:
        rng, scenarios = self.rng, self.scenarios
        chosen, days = self.trainee_plan(u)
        n = len(chosen)
        frac = np.arange(n) / max(n - 1, 1)
        ease = 1.0 - self.learn[u] * frac  # error rates fall as the trainee practises
        r = rng.random((n, 16))
        secs = np.exp(rng.normal(self.speed[u] - 0.25 * self.learn[u] * frac, 0.35))
        secs = np.clip(np.round(secs, 1), 8.0, 600.0)
        out: list[tuple] = []
        for k in range(n):
            s = scenarios[int(chosen[k])]
            e = ease[k]
            rk = r[k]
            key_dq = s.disqualifiers
            missed = tuple(d for j, d in enumerate(key_dq) if rk[j] < self.p_miss[u] * e)
            over: tuple[str, ...] = ()
            if rk[4] < self.p_over[u] * e:
                options = [d for d in DISQUALIFIERS if d not in key_dq]
                over = (options[int(rk[5] * len(options))],)
            marked = sorted((set(key_dq) - set(missed)) | set(over))
            police_bias = self.bias[u] if s.twin_variant == "b" else 0.0
            if "police" in demands_of(marked):
                disposition = s.disposition if s.disposition in POLICE_ROUTES else "police"
            elif "medical" in marked:
                disposition = "ems" if rk[6] < 0.7 else "community_responder_with_ems"
            elif rk[6] < self.p_hes[u] * e + police_bias:
                disposition = "police" if rk[7] < 0.7 else "community_responder_with_police"
            elif s.disposition == "transfer_988" and rk[7] < 0.6:
                disposition = "transfer_988"
            else:
                disposition = "community_responder"
            call_type = (
                s.call_type
                if rk[8] < self.p_type[u] + (1 - self.p_type[u]) * (1 - e)
                else (ELIGIBLE_TYPES[int(rk[9] * len(ELIGIBLE_TYPES))])
            )
            asked = [q for j, q in enumerate(s.required) if rk[10 + j] < self.p_ask[u]]
            sec = float(secs[k])
            unsafe = disposition in s.unsafe or (disposition == "community_responder" and key_dq)
            best_or_ok = (s.disposition, *s.acceptable)
            over_routed = disposition in POLICE_ROUTES and not (set(best_or_ok) & POLICE_ROUTES)
            q_part = len(set(asked) & set(s.required)) / len(s.required)
            dq_part = max(0.0, 1.0 - 0.5 * (len(missed) + len(over)))
            route_part = (
                1.0 if disposition == s.disposition else 0.5 if disposition in s.acceptable else 0
            )
            type_part = 1.0 if call_type == s.call_type else 0.0
            time_part = 1.0 if sec <= s.target else 0.5
            score = round(
                15 * q_part + 35 * dq_part + 30 * route_part + 10 * type_part + 10 * time_part
            )
            if over_routed:
                score = max(0, score - 10)
            passed = score >= 80 and not unsafe
            errors = [f"missed_disqualifier:{d}" for d in missed]
            errors += [f"over_disqualified:{d}" for d in over]
            errors += [f"missed_question:{q}" for q in s.required if q not in asked]
            if over_routed:
                errors.append("over_routed")
            if type_part == 0:
                errors.append("wrong_call_type")
            if time_part < 1:
                errors.append("slow")
            critical = '["unsafe_dispatch"]' if unsafe else "[]"
            grade = (
                f'{{"scenario": "{s.key}", "version": 1, "model": "{self.model}", '
                f'"rules": {GRADE_RULES}, '
                f'"score": {score}, "passed": {"true" if passed else "false"}, '
                f'"critical": {critical}, "errors": {_json_list(errors)}, '
                f'"parts": {{"questions": {q_part:.3f}, "disqualifiers": {dq_part:.3f}, '
                f'"call_type": {type_part:.1f}, "disposition": {route_part:.1f}, '
                f'"time": {time_part:.1f}}}}}'
            )
            answer = (
                f'{{"questions": {_json_list(asked)}, "disqualifiers": {_json_list(marked)}, '
                f'"call_type": "{call_type}", "disposition": "{disposition}", "seconds": {sec}}}'
            )
            step = sec / (len(asked) + len(marked) + 3)
            events, t = [], 0.0
            for q in asked:
                t += step
                events.append(f'{{"t": {t:.1f}, "kind": "ask", "value": "{q}"}}')
            for d in marked:
                t += step
                events.append(
                    f'{{"t": {t:.1f}, "kind": "disqualifier", "value": {{"code": "{d}", "on": true}}}}'
                )
            events.append(f'{{"t": {t + step:.1f}, "kind": "call_type", "value": "{call_type}"}}')
            events.append(f'{{"t": {sec:.1f}, "kind": "disposition", "value": "{disposition}"}}')
            submitted = self.now - dt.timedelta(days=float(days[k]))
            started = submitted - dt.timedelta(seconds=sec)
            serial = start_serial + k
            out.append(
                (
                    self.agency_id,
                    self.user_ids[u],
                    self.sv_ids[int(chosen[k])],
                    None,
                    "standard",
                    self.model,
                    "submitted",
                    f"bulk-{self.run}-{serial:08d}",
                    _fmt_dt(started, sqlite),
                    _fmt_dt(submitted, sqlite),
                    "[" + ", ".join(events) + "]",
                    answer,
                    grade,
                    score,
                    passed,
                    bool(unsafe),
                    over_routed,
                    sec,
                    disposition,
                    s.disposition,
                    call_type,
                    ",".join(missed),
                    ",".join(over),
                    s.twin_group,
                    s.twin_variant,
                    GRADE_RULES,
                )
            )
        return out


ATTEMPT_COLUMNS = (
    "agency_id",
    "user_id",
    "scenario_version_id",
    "exam_id",
    "mode",
    "model",
    "status",
    "idempotency_key",
    "started_at",
    "submitted_at",
    "events",
    "answer",
    "grade",
    "score",
    "passed",
    "unsafe",
    "over_routed",
    "seconds",
    "disposition",
    "expert_disposition",
    "call_type",
    "missed_disqualifiers",
    "over_disqualifiers",
    "twin_group",
    "twin_variant",
    "rules",
)
