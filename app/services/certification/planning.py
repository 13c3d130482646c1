"""Planning an exam: summaries of the bank's calls, the calls a trainee has met, and
generated calls when the bank runs short.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence

from sqlmodel import Session, col, select

from app.core import certification as core
from app.core import grading
from app.core.protocol import Protocol
from app.errors import UserError
from app.services.access import Actor
from app.store.db import write_session
from app.store.models import Agency, Attempt, ScenarioVersion, row_id

log = logging.getLogger(__name__)

GENERATION_ROUNDS = 3


class ExamUnavailable(UserError):
    """No exam can be assembled from the agency's calls (even with generated ones)."""


# ------------------------------------------------------------------ planning an exam


def _call_summaries(session: Session, agency: Agency, protocol: Protocol) -> list[core.CallSummary]:
    rows = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == agency.id)
        .where(ScenarioVersion.is_current == True)  # noqa: E712
        .where(ScenarioVersion.status == "published")
    ).all()
    summaries = (_summary(row_id(row), row.data or {}, protocol, agency) for row in rows)
    return [s for s in summaries if s]


def _summary(
    ident: int, data: Mapping, protocol: Protocol, agency: Agency
) -> core.CallSummary | None:
    try:
        key = grading.effective_key(data, agency.dispatch_model, protocol)
    except UserError:
        return None
    call_type = str(key.get("call_type") or "")
    group = protocol.call_types[call_type].group if call_type in protocol.call_types else "other"
    from app.services.bank import twin_info

    return core.CallSummary(
        id=ident,
        key=str(data.get("id")),
        disqualifiers=frozenset(key.get("disqualifiers") or []),
        group=group,
        channel=str((data.get("call") or {}).get("channel") or "911"),
        disposition=str(key.get("disposition")),
        call_type=call_type,
        twin_group=twin_info(dict(data))[0],
    )


def _seen(session: Session, actor: Actor) -> set[str]:
    """Scenario keys and twin groups of every call the trainee has met (any attempt)."""
    rows = session.exec(
        select(ScenarioVersion.scenario_key, ScenarioVersion.twin_group)
        .join(Attempt, col(Attempt.scenario_version_id) == ScenarioVersion.id)
        .where(Attempt.user_id == actor.user_id)
        .where(Attempt.agency_id == actor.agency_id)
        .distinct()
    ).all()
    seen: set[str] = set()
    for key, twin in rows:
        seen.add(key)
        if twin:
            seen.add(twin)
    return seen


def _generation_mix(needs: Mapping[str, int], protocol: Protocol) -> dict[str, float] | None:
    """A generator mix leaning towards the call-type groups the exam lacks."""
    try:
        from app.core.generator import load_templates
        from app.core.generator.templates import TEMPLATE_DIR

        call_types = {t.call_type for t in load_templates(TEMPLATE_DIR)}
    except Exception:  # the generator is optional here: fall back to its default mix
        return None
    wanted = {name.split(":", 1)[1] for name in needs if name.startswith("group:")}
    mix = {}
    for code in sorted(call_types):
        if code not in protocol.call_types:
            continue
        mix[code] = 5.0 if protocol.call_types[code].group in wanted else 1.0
    return mix or None


def _generate(
    agency: Agency, protocol: Protocol, needs: Mapping[str, int], rng: random.Random, taken: set
) -> list[tuple[core.CallSummary, dict, str]]:
    """Fresh generated calls (not stored yet) with temporary negative ids."""
    from app.core.scenario import parse_scenario

    try:
        from app.core import generator
    except ImportError:
        return []
    count = min(200, max(20, 4 * sum(needs.values())))
    produced = None
    for mix in (_generation_mix(needs, protocol), None):
        try:
            produced = generator.generate(
                count=count, seed=rng.getrandbits(31), mix=mix, protocol=protocol
            )
            break
        except Exception as exc:  # someone else's code: the exam must degrade, not crash
            log.warning("call generator failed for an exam: %s", exc)
    out = []
    for item in produced or []:
        text = getattr(item, "yaml_text", None)
        if not text:
            continue
        data, problems = parse_scenario(text, f"{getattr(item, 'id', 'generated')}.yaml", protocol)
        if data is None or any(p.severity == "error" for p in problems) or data["id"] in taken:
            continue
        taken.add(data["id"])
        summary = _summary(-(len(taken) + 1), data, protocol, agency)
        if summary is not None:
            out.append((summary, data, text))
    return out


def _plan_with_generation(
    *,
    agency: Agency,
    protocol: Protocol,
    track: core.Track,
    candidates: list[core.CallSummary],
    seen: set[str],
    rng: random.Random,
    keep: Sequence[core.CallSummary] = (),
) -> list[int]:
    """A stratified plan; generated calls fill in (and are stored) when the bank runs short."""
    try:
        return core.plan_exam(track, candidates, seen, rng, keep=keep)
    except core.ExamPlanShort as exc:
        short = exc
    taken = {c.key for c in candidates} | set(seen)
    fresh: dict[int, tuple[dict, str]] = {}
    pool = list(candidates)
    for _ in range(GENERATION_ROUNDS):
        made = _generate(agency, protocol, short.needs, rng, taken)
        if not made:
            break
        for summary, data, text in made:
            fresh[summary.id] = (data, text)
            pool.append(summary)
        try:
            plan = core.plan_exam(track, pool, seen, rng, keep=keep)
        except core.ExamPlanShort as exc:
            short = exc
            continue
        from app.services.bank import store_scenario

        real: dict[int, int] = {}
        with write_session() as session:
            for pid in plan:
                if pid in fresh:
                    data, text = fresh[pid]
                    row, _ = store_scenario(
                        session=session,
                        agency_id=row_id(agency),
                        data=data,
                        text=text,
                        source="generated",
                    )
                    real[pid] = row_id(row)
        return [real.get(pid, pid) for pid in plan]
    raise ExamUnavailable(f"{short} Ask a trainer to add calls to the bank.")
