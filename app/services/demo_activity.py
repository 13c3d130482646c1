"""Demo practice history so the supervisor dashboards have something to show.

:func:`seed_demo_activity` gives the demo agency a small cohort (its trainees plus a
few extra demo trainees) and a few hundred submitted practice attempts on real
scenarios from the database, each graded by :func:`app.core.grading.grade` on a
simulated answer with the usual mistakes: missed disqualifiers (more often early
on), an over-flag now and then, skipped questions, hesitancy (eligible calls sent
to police), a wrong call type, slow decisions. One trainee carries a deliberate
bias between counterfactual twins (variant b sent to police more often) so the
equity audit has something to find; one trainee stops practising; one keeps
missing weapons.

Idempotent: a second call for the same agency adds nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
from dataclasses import dataclass

from sqlmodel import col, select

from app.core import grading
from app.core.analytics import POLICE_ROUTES
from app.core.modules import MODULE_SLUGS
from app.core.protocol import DISQUALIFIERS, demands_of
from app.core.regrade import grade_rules
from app.errors import NotFound, UserError
from app.services.bank import store_scenario, twin_info
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import (
    Agency,
    Attempt,
    LessonProgress,
    ScenarioVersion,
    User,
    row_id,
    utcnow,
)

log = logging.getLogger(__name__)

KEY_PREFIX = "demo-activity"
RULES_2_DAYS_AGO = 21  # demo calls older than this were graded under rules 1
COHORT_NAMES = (
    "Avery Chen",
    "Blake Okafor",
    "Casey Novak",
    "Devon Park",
    "Emerson Diaz",
    "Finley Haddad",
    "Harper Quinn",
    "Jamie Ortiz",
)
TWIN_PAIRS = 24  # generated twin pairs stored for the demo
MODULES = MODULE_SLUGS


@dataclass
class _Trainee:
    user_id: int
    name: str
    attempts: int
    p_miss: float
    p_over: float
    p_hesitant: float
    p_skip: float
    speed: float  # median seconds
    learning: float  # 0: no improvement, 1: errors vanish by the end
    twin_bias: float = 0.0  # extra chance to send variant b to police
    weak_code: str | None = None  # a disqualifier this trainee keeps missing
    last_active_days: float = 0.5
    span_days: float = 50.0


def seed_demo_activity(
    agency_id: int, seed: int = 0, *, extra_trainees: int = 6, now: dt.datetime | None = None
) -> int:
    """Add demo practice attempts for the agency's trainees; returns how many were added.

    ``extra_trainees`` demo cohort members (unguessable passwords, never shown)
    join the agency's own trainees so the cohort charts have some spread.
    """
    rng = random.Random(seed)
    now = now or utcnow()
    settings = get_settings()
    with read_session() as session:
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise NotFound(f"no agency with id {agency_id}")
        done = session.exec(
            select(Attempt.id)
            .where(Attempt.agency_id == agency_id)
            .where(col(Attempt.idempotency_key).startswith(f"{KEY_PREFIX}-{agency_id}-"))
            .limit(1)
        ).first()
        model, overrides = agency.dispatch_model, agency.protocol_overrides
    if done is not None:
        return 0
    from app.services.scope import protocol_for

    protocol = protocol_for(overrides)
    _add_twins(agency_id, seed)
    cohort = _add_cohort(agency_id, rng, extra_trainees)
    with read_session() as session:
        trainees = session.exec(
            select(User.id, User.display_name)
            .where(User.agency_id == agency_id)
            .where(User.role == "trainee")
            .where(User.is_active == True)  # noqa: E712
            .order_by(col(User.id))
        ).all()
        versions = session.exec(
            select(ScenarioVersion)
            .where(ScenarioVersion.agency_id == agency_id)
            .where(ScenarioVersion.is_current == True)  # noqa: E712
            .where(ScenarioVersion.status == "published")
        ).all()
        scenarios = [(row_id(v), v.data) for v in versions if v.data]
    if not trainees or not scenarios:
        raise UserError("the demo agency needs trainees and published scenarios first")
    plain = [(i, d) for i, d in scenarios if twin_info(d)[0] is None]
    twins: dict[str, dict[str, tuple[int, dict]]] = {}
    for sid, data in scenarios:
        group, variant = twin_info(data)
        if group and variant in ("a", "b"):
            twins.setdefault(group, {})[variant] = (sid, data)
    pairs = sorted(g for g, v in twins.items() if len(v) == 2)
    profiles = _profiles(rng, trainees, cohort)
    rows: list[Attempt] = []
    serial = 0
    for trainee in profiles:
        pool = plain
        if trainee.weak_code:  # adaptive practice serves more of what a trainee misses
            weak = [s for s in plain if trainee.weak_code in _key_codes(s[1])]
            pool = plain + weak * 3 if weak else plain
        plan = [pool[rng.randrange(len(pool))] for _ in range(trainee.attempts)]
        n_pairs = len(pairs) if trainee.twin_bias else rng.randint(4, min(10, len(pairs) or 4))
        for group in rng.sample(pairs, min(n_pairs, len(pairs))):
            first, second = ("a", "b") if rng.random() < 0.5 else ("b", "a")
            plan.insert(rng.randrange(len(plan) + 1), twins[group][first])
            plan.insert(rng.randrange(len(plan) + 1), twins[group][second])
        rules_2_since = now - dt.timedelta(days=RULES_2_DAYS_AGO)
        offsets = sorted(
            (trainee.last_active_days + rng.random() * trainee.span_days for _ in plan),
            reverse=True,
        )
        for index, ((sid, data), days_ago) in enumerate(zip(plan, offsets, strict=True)):
            progress = index / max(len(plan) - 1, 1)
            submitted = now - dt.timedelta(days=days_ago, minutes=rng.randint(0, 600))
            attempt = _simulate(
                rng,
                trainee,
                progress,
                sid,
                data,
                model,
                protocol,
                submitted,
                pass_mark=settings.pass_mark,
                # The demo center moved to rules 2 three weeks ago: older calls keep the
                # grade rules 1 gave them, as a real center's history does (see regrade).
                rules=1 if submitted < rules_2_since else grading.RULES,
                agency_id=agency_id,
                idempotency_key=f"{KEY_PREFIX}-{agency_id}-{seed}-{serial:05d}",
            )
            if attempt is None:
                continue
            serial += 1
            rows.append(attempt)
    with write_session() as session:
        session.add_all(rows)
    return len(rows)


def _key_codes(data: dict) -> list[str]:
    return list((data.get("expert") or {}).get("disqualifiers") or [])


def _add_twins(agency_id: int, seed: int) -> None:
    """Store generated counterfactual twin pairs (the bank has none); skipped if it fails."""
    try:
        from app.core.generator import generate

        generated = generate(TWIN_PAIRS, 1000 + seed, twins=True)
    except (UserError, ImportError, OSError) as exc:
        log.warning("demo twins not generated: %s", exc)
        return
    with write_session() as session:
        for item in generated:
            store_scenario(
                session=session,
                agency_id=agency_id,
                data=item.data,
                text=item.yaml_text,
                source="generated",
            )


def _add_cohort(agency_id: int, rng: random.Random, count: int) -> list[int]:
    """Extra demo trainees with lesson progress; returns their user ids."""
    from app.core.passwords import hash_password

    if count <= 0:
        return []
    pw_hash = hash_password(secrets.token_urlsafe(24))  # nobody logs in as them
    ids = []
    with write_session() as session:
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise UserError(f"no agency with id {agency_id}")
        slug = agency.slug
        for index in range(count):
            name = COHORT_NAMES[index % len(COHORT_NAMES)]
            username = f"{slug}-cohort-{index + 1:02d}"
            user = session.exec(select(User).where(User.username == username)).first()
            if user is None:
                user = User(
                    agency_id=agency_id,
                    username=username,
                    display_name=name,
                    role="trainee",
                    password_hash=pw_hash,
                )
                session.add(user)
                session.flush()
                passed = len(MODULES) if index % 3 else rng.randint(3, len(MODULES) - 1)
                for module in MODULES[:passed]:
                    session.add(
                        LessonProgress(
                            agency_id=agency_id,
                            user_id=row_id(user),
                            module=module,
                            lesson_read_at=utcnow(),
                            check_score=rng.choice([80, 90, 100]),
                            check_passed=True,
                        )
                    )
            ids.append(row_id(user))
    return ids


def _profiles(rng: random.Random, trainees, cohort: list[int]) -> list[_Trainee]:
    """A mix of learners: most improve, one is biased on twins, one stalls, one is idle."""
    profiles = []
    cohort_ids = list(cohort)
    for position, (uid, name) in enumerate(trainees):
        profile = _Trainee(
            user_id=uid,
            name=name,
            attempts=rng.randint(18, 40),
            p_miss=rng.uniform(0.2, 0.45),
            p_over=rng.uniform(0.04, 0.12),
            p_hesitant=rng.uniform(0.08, 0.25),
            p_skip=rng.uniform(0.1, 0.3),
            speed=rng.uniform(40, 70),
            learning=rng.uniform(0.5, 0.9),
        )
        if uid in cohort_ids:
            role = cohort_ids.index(uid)
            if role == 1:  # the twin bias the equity audit should find
                profile.twin_bias, profile.p_hesitant = 0.8, 0.03
            elif role == 2:  # keeps missing weapons and does not improve
                profile.weak_code, profile.learning, profile.attempts = "weapon", 0.0, 36
                profile.p_skip, profile.p_miss = 0.3, 0.4
            elif role == 3:  # stopped practising three weeks ago
                profile.last_active_days, profile.span_days = 21.0, 30.0
            elif role == 4:  # hesitant: sends eligible calls to police
                profile.p_hesitant = 0.4
        elif position == 0:
            profile.learning = 0.9
        profiles.append(profile)
    return profiles


def _simulate(
    rng: random.Random,
    trainee: _Trainee,
    progress: float,
    scenario_id: int,
    data: dict,
    model: str,
    protocol,
    submitted: dt.datetime,
    *,
    pass_mark: int,
    rules: int,
    agency_id: int,
    idempotency_key: str,
) -> Attempt | None:
    """One graded attempt with a plausible answer and event timeline."""
    ease = 1.0 - trainee.learning * progress
    try:
        key = grading.effective_key(data, model, protocol)
        expert = grading.expert_answer(data, model, protocol)
    except grading.GradingError:
        return None
    call = data.get("call") or {}
    routes = protocol.available_dispositions(model, call.get("time"), call.get("context") or {})
    key_dq = list(key["disqualifiers"])
    marked = []
    for code in key_dq:
        p_miss = 0.8 if code == trainee.weak_code else trainee.p_miss * ease
        if rng.random() >= p_miss:
            marked.append(code)
    if rng.random() < trainee.p_over * ease:
        others = [d for d in DISQUALIFIERS if d not in key_dq]
        if others:
            marked.append(rng.choice(others))
    asked = [q for q in key["required_questions"] if rng.random() >= trainee.p_skip * ease]
    if rng.random() < 0.5:  # good call takers ask a little more than required
        extra = [q for q in ("address", "callback", "what_happened") if q not in asked]
        asked = [rng.choice(extra), *asked] if extra else asked
    disposition = expert["disposition"]
    missed = set(key_dq) - set(marked)
    over = set(marked) - set(key_dq)
    group, variant = twin_info(data)
    police_ok = bool({key["disposition"], *key["acceptable"]} & set(POLICE_ROUTES))
    if missed and not marked:
        disposition = "community_responder" if rng.random() < 0.7 else disposition
    elif "police" in demands_of(over):
        disposition = "police"
    elif not police_ok and not key_dq:
        hesitancy = trainee.p_hesitant * ease
        if variant == "b":
            hesitancy += trainee.twin_bias
        if rng.random() < hesitancy:
            disposition = "police" if rng.random() < 0.7 else "community_responder_with_police"
        elif key["acceptable"] and rng.random() < 0.15:
            disposition = rng.choice(key["acceptable"])
    if disposition not in routes:
        disposition = expert["disposition"]
    call_type = expert["call_type"]
    if rng.random() < 0.12 * ease:
        call_type = call.get("initial_call_type") or call_type
    seconds = round(
        max(12.0, rng.lognormvariate(0, 0.3) * trainee.speed * (1 - 0.25 * progress)), 1
    )
    answer = {
        "questions": asked,
        "disqualifiers": [d for d in DISQUALIFIERS if d in marked],
        "call_type": call_type,
        "disposition": disposition,
        "seconds": seconds,
    }
    if key.get("priority") is not None:
        # Priority slips are common early on: a level less urgent, or none given.
        slip = rng.random()
        if slip >= 0.15 * ease:
            answer["priority"] = key["priority"]
        elif slip >= 0.05 * ease:
            answer["priority"] = min(4, key["priority"] + 1)
    try:
        result = grading.grade(data, answer, model, protocol, pass_mark=pass_mark, rules=rules)
    except grading.GradingError:
        return None
    events = _events(rng, answer, seconds)
    return Attempt(
        agency_id=agency_id,
        idempotency_key=idempotency_key,
        user_id=trainee.user_id,
        scenario_version_id=scenario_id,
        mode=rng.choice(("standard", "standard", "guided", "timed")),
        model=model,
        status="submitted",
        started_at=submitted - dt.timedelta(seconds=seconds),
        submitted_at=submitted,
        events=events,
        answer=answer,
        grade=dict(result),
        rules=grade_rules(result),
        score=int(result["score"]),
        passed=bool(result["passed"]),
        unsafe="unsafe_dispatch" in (result.get("critical") or []),
        over_routed="over_routed" in (result.get("errors") or []),
        seconds=seconds,
        disposition=disposition,
        expert_disposition=key.get("disposition"),
        call_type=call_type,
        missed_disqualifiers=",".join(d for d in DISQUALIFIERS if d in missed),
        over_disqualifiers=",".join(d for d in DISQUALIFIERS if d in over),
        twin_group=group,
        twin_variant=variant,
    )


def _events(rng: random.Random, answer: dict, seconds: float) -> list[dict]:
    """The timeline the practice page would have recorded for this answer."""
    steps = len(answer["questions"]) + len(answer["disqualifiers"]) + 2
    times = sorted(round(rng.uniform(2, seconds * 0.9), 1) for _ in range(steps))
    events, i = [], 0
    for question in answer["questions"]:
        events.append({"t": times[i], "kind": "ask", "value": question})
        i += 1
    for code in answer["disqualifiers"]:
        events.append({"t": times[i], "kind": "disqualifier", "value": {"code": code, "on": True}})
        i += 1
    events.append({"t": times[i], "kind": "call_type", "value": answer["call_type"]})
    events.append({"t": seconds, "kind": "disposition", "value": answer["disposition"]})
    events.sort(key=lambda e: e["t"])
    return events
