"""Certification: eligibility, the exam, sign-off, certificates, renewal, expiry, verification.

Keyword-only functions with the acting user first (except the public
:func:`verify_certificate` and the system task :func:`record_expiries`). Every query
filters by the actor's agency, and by the actor's own user id for a trainee.

The exam lives in the database, so a dropped connection or a refresh never restarts it:
``Exam.plan`` is the ordered list of scenario version ids and the exam's attempts say
how far the trainee got. The current call is the first planned call without a
submitted attempt; its open attempt is resumed, or started when there is none.
Feedback is held back until the exam is finished (``practice.review_attempt`` refuses
exam attempts until then). Each certification event is appended to the hash-chained
audit log in the same transaction as the change it records.

Expiry: a certificate's status is computed from its dates whenever it is read, so
verification is right the moment it expires. The "expired" audit event is written by
:func:`record_expiries` — run ``python -m app audit expire`` daily (cron), and the
supervisor's certificates page also runs it for its agency when opened.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, func, select

from app.core import certification as core
from app.core import grading
from app.core import regrade as grading_rules
from app.core.certificate_pdf import CertificateInfo, render_certificate_pdf
from app.core.protocol import Protocol
from app.errors import AccessDenied, NotFound, UserError
from app.services import audit, lessons, practice
from app.services.access import Actor, can, require
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import (
    Agency,
    Attempt,
    AuditEntry,
    Certificate,
    Exam,
    LessonProgress,
    ScenarioVersion,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

VERIFY_PATH = "/verify"
CACHE_SECONDS = 300
GENERATION_ROUNDS = 3
MAX_REASON = 500
PRACTICE_FACTS_LIMIT = 1000

_cache: dict[str, tuple[float, list[core.Track]]] = {}
_lock = threading.Lock()


class NotEligible(UserError):
    """The trainee may not start the exam yet; the message says what is missing."""


class ExamUnavailable(UserError):
    """No exam can be assembled from the agency's calls (even with generated ones)."""


# ------------------------------------------------------------------ tracks


def all_tracks() -> list[core.Track]:
    """Every certification track (content/certifications), cached for a few minutes."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get("tracks")
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    known = [m.slug for m in lessons.all_modules()]
    loaded = core.load_tracks(core.DEFAULT_ROOT, known_modules=known or None)
    with _lock:
        _cache["tracks"] = (now, loaded)
    return loaded


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def get_track(track_id: str, model: str | None = None) -> core.Track:
    for track in all_tracks():
        if track.id == track_id:
            return track.for_model(model) if model else track
    raise NotFound(f"There is no certification track '{track_id}'.")


def _track_title(track_id: str) -> str:
    try:
        return get_track(track_id).title
    except (NotFound, core.TrackError):
        return track_id


def _exam_track(exam: Exam) -> core.Track:
    """The rules the exam was started under (stored with it)."""
    snapshot = (exam.result or {}).get("track")
    if snapshot:
        return core.track_from_snapshot(snapshot)
    return get_track(exam.track)


def track_rules(track: core.Track) -> dict:
    """The track's rules as plain data for pages."""
    return {
        "id": track.id,
        "title": track.title,
        "summary": track.summary,
        "model": track.model,
        "validity_months": track.validity_months,
        "practice_calls": track.practice.min_calls,
        "practice_average": track.practice.min_average,
        "average_of_last": track.practice.average_of_last,
        "exam_calls": track.exam.calls,
        "pass_mark": track.exam.pass_mark,
        "max_critical": track.exam.max_critical,
        "min_passed_calls": track.exam.min_passed_calls,
        "part_minimums": dict(track.exam.part_minimums),
        "stratify": {
            core.feature_label(k): v for k, v in track.exam.stratify.requirements().items()
        },
        "renewal": None
        if track.renewal is None
        else {
            "window_days": track.renewal.window_days,
            "grace_days": track.renewal.grace_days,
            "lookback_months": track.renewal.lookback_months,
            "min_calls": track.renewal.min_calls,
            "min_average": track.renewal.min_average,
        },
    }


# ------------------------------------------------------------------ small helpers


def _agency(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("Your agency no longer exists.")
    return agency


def _protocol(agency: Agency) -> Protocol:
    return practice.protocol_for(agency.protocol_overrides)


def _split(text: str | None) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def _iso(value: dt.datetime | None) -> str | None:
    return core.as_utc(value).isoformat() if value is not None else None


def verification_path(code: str) -> str:
    return f"{VERIFY_PATH}?code={code}"


def verification_url(code: str) -> str:
    """The public verification address (absolute when the PUBLIC_URL setting exists)."""
    base = str(getattr(get_settings(), "public_url", "") or "").rstrip("/")
    return f"{base}{verification_path(code)}"


# ------------------------------------------------------------------ eligibility


def _facts(session: Session, user_id: int, agency_id: int, track_id: str, now: dt.datetime):
    modules = tuple(m.slug for m in lessons.all_modules())
    rows = session.exec(
        select(LessonProgress.module, LessonProgress.lesson_read_at, LessonProgress.check_passed)
        .where(LessonProgress.user_id == user_id)
        .where(LessonProgress.agency_id == agency_id)
    ).all()
    scores = session.exec(
        select(Attempt.score)
        .where(Attempt.user_id == user_id)
        .where(Attempt.agency_id == agency_id)
        .where(Attempt.status == "submitted")
        .where(col(Attempt.exam_id).is_(None))
        .where(col(Attempt.mode).in_(practice.PRACTICE_MODES))
        .order_by(col(Attempt.submitted_at).desc(), col(Attempt.id).desc())
        .limit(PRACTICE_FACTS_LIMIT)
    ).all()
    in_progress = session.exec(
        select(Exam.id)
        .where(Exam.user_id == user_id)
        .where(Exam.agency_id == agency_id)
        .where(Exam.status == "in_progress")
    ).first()
    awaiting = session.exec(
        select(Exam.id)
        .where(Exam.user_id == user_id)
        .where(Exam.agency_id == agency_id)
        .where(Exam.track == track_id)
        .where(Exam.status == "completed")
        .where(Exam.passed == True)  # noqa: E712
        .where(col(Exam.signed_off_at).is_(None))
    ).first()
    valid_until = session.exec(
        select(func.max(Certificate.expires_at))
        .where(Certificate.user_id == user_id)
        .where(Certificate.agency_id == agency_id)
        .where(Certificate.track == track_id)
        .where(col(Certificate.revoked_at).is_(None))
        .where(Certificate.expires_at > now)
    ).first()
    last_failed = session.exec(
        select(func.max(Exam.finished_at))
        .where(Exam.user_id == user_id)
        .where(Exam.agency_id == agency_id)
        .where(Exam.track == track_id)
        .where(Exam.status == "completed")
        .where(Exam.passed == False)  # noqa: E712
    ).first()
    return core.ProgressFacts(
        all_modules=modules,
        modules_read=frozenset(m for m, read_at, _ in rows if read_at is not None),
        checks_passed=frozenset(m for m, _, passed in rows if passed),
        practice_scores=tuple(int(s or 0) for s in scores),
        exam_in_progress=in_progress is not None,
        awaiting_sign_off=awaiting is not None,
        valid_certificate_until=valid_until,
        last_failed_exam_at=last_failed,
        now=now,
    ), in_progress


def _eligibility_dict(result: core.Eligibility) -> dict:
    return {
        "eligible": result.eligible,
        "missing": list(result.missing),
        "blocked": list(result.blocked),
        "modules_missing": list(result.modules_missing),
        "checks_missing": list(result.checks_missing),
        "practice_calls": result.practice_calls,
        "practice_needed": result.practice_needed,
        "practice_average": result.practice_average,
        "average_needed": result.average_needed,
        "progress": result.progress,
    }


def exam_overview(*, actor: Actor, now: dt.datetime | None = None) -> dict:
    """The trainee's certification page: per track the rules, what is missing, the open
    exam, past exams; plus the trainee's certificates."""
    require(actor, "exam")
    now = now or utcnow()
    tracks = []
    with read_session() as session:
        agency = _agency(session, actor.agency_id)
        for base in all_tracks():
            track = base.for_model(agency.dispatch_model)
            facts, open_exam = _facts(session, actor.user_id, actor.agency_id, track.id, now)
            tracks.append(
                {
                    **track_rules(track),
                    "eligibility": _eligibility_dict(core.eligibility(track, facts)),
                    "open_exam_id": open_exam,
                }
            )
    return {
        "tracks": tracks,
        "open_exam_id": current_exam(actor=actor),
        "exams": my_exams(actor=actor),
        "certificates": my_certificates(actor=actor, now=now),
    }


def track_progress(*, actor: Actor) -> list[dict]:
    """Per track: progress towards the exam (0..1) and one line on what comes next
    (for the "My training" page)."""
    require(actor, "exam")
    overview = exam_overview(actor=actor)
    out = []
    for track in overview["tracks"]:
        elig = track["eligibility"]
        if elig["eligible"]:
            detail = "Ready: you may take the exam."
        else:
            detail = " ".join(elig["blocked"] or elig["missing"])
        out.append({"title": track["title"], "progress": elig["progress"], "detail": detail})
    return out


# ------------------------------------------------------------------ planning an exam


def _call_summaries(session: Session, agency: Agency, protocol: Protocol) -> list[core.CallSummary]:
    rows = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == agency.id)
        .where(ScenarioVersion.is_current == True)  # noqa: E712
        .where(ScenarioVersion.status == "published")
    ).all()
    return [s for s in (_summary(row.id, row.data or {}, protocol, agency) for row in rows) if s]


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
        .join(Attempt, Attempt.scenario_version_id == ScenarioVersion.id)
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
    keep: list[core.CallSummary] = (),
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
                        agency_id=agency.id,
                        data=data,
                        text=text,
                        source="generated",
                    )
                    real[pid] = row.id
        return [real.get(pid, pid) for pid in plan]
    raise ExamUnavailable(f"{short} Ask a trainer to add calls to the bank.")


# ------------------------------------------------------------------ the exam (trainee)


def _own_exam(session: Session, actor: Actor, exam_id: int, *, lock: bool = False) -> Exam:
    query = (
        select(Exam)
        .where(Exam.id == exam_id)
        .where(Exam.agency_id == actor.agency_id)
        .where(Exam.user_id == actor.user_id)
    )
    exam = session.exec(query.with_for_update() if lock else query).first()
    if exam is None:
        raise NotFound("There is no such exam of yours.")
    return exam


def current_exam(*, actor: Actor) -> int | None:
    """The trainee's exam in progress, if any (to resume it)."""
    require(actor, "exam")
    with read_session() as session:
        return session.exec(
            select(Exam.id)
            .where(Exam.user_id == actor.user_id)
            .where(Exam.agency_id == actor.agency_id)
            .where(Exam.status == "in_progress")
            .order_by(col(Exam.id))
        ).first()


def start_exam(
    *,
    actor: Actor,
    track_id: str,
    rng: random.Random | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Start the exam of a track (the trainee must be eligible); returns the exam id.

    An exam already in progress is returned instead: an exam is resumed, never restarted.
    """
    require(actor, "exam")
    rng = rng or random.Random(random.SystemRandom().getrandbits(64))
    open_exam = current_exam(actor=actor)
    if open_exam is not None:
        return open_exam
    now = now or utcnow()
    with read_session() as session:
        agency = _agency(session, actor.agency_id)
        track = get_track(track_id, agency.dispatch_model)
        facts, _ = _facts(session, actor.user_id, actor.agency_id, track.id, now)
        verdict = core.eligibility(track, facts)
        if not verdict.eligible:
            raise NotEligible(" ".join(verdict.blocked + verdict.missing))
        protocol = _protocol(agency)
        candidates = _call_summaries(session, agency, protocol)
        seen = _seen(session, actor)
    plan = _plan_with_generation(
        agency=agency, protocol=protocol, track=track, candidates=candidates, seen=seen, rng=rng
    )
    with write_session() as session:
        # Serialize two tabs starting at once: lock the trainee's row, look again.
        session.exec(select(User).where(User.id == actor.user_id).with_for_update()).first()
        again = session.exec(
            select(Exam.id)
            .where(Exam.user_id == actor.user_id)
            .where(Exam.agency_id == actor.agency_id)
            .where(Exam.status == "in_progress")
        ).first()
        if again is not None:
            return again
        exam = Exam(
            agency_id=actor.agency_id,
            user_id=actor.user_id,
            track=track.id,
            status="in_progress",
            plan=plan,
            started_at=utcnow(),
            result={"track": track.snapshot()},
        )
        session.add(exam)
        session.flush()
        audit.append(
            session,
            event="exam_started",
            subject=f"exam:{exam.id}",
            payload={"user_id": actor.user_id, "track": track.id, "calls": len(plan)},
            agency_id=actor.agency_id,
            actor_id=actor.user_id,
        )
        return exam.id


def _exam_attempts(session: Session, exam: Exam) -> list[Attempt]:
    return list(
        session.exec(
            select(Attempt)
            .where(Attempt.exam_id == exam.id)
            .where(Attempt.user_id == exam.user_id)
            .where(Attempt.agency_id == exam.agency_id)
            .order_by(col(Attempt.id))
        ).all()
    )


def _answered(plan: list[int], attempts: list[Attempt]) -> dict[int, Attempt]:
    """Planned version id -> its first submitted attempt."""
    done: dict[int, Attempt] = {}
    for attempt in attempts:
        if attempt.status == "submitted" and attempt.scenario_version_id in plan:
            done.setdefault(attempt.scenario_version_id, attempt)
    return done


def _replace_unplayable(actor: Actor, exam_id: int, position: int) -> None:
    """A planned call was withdrawn from the bank before the trainee reached it:
    re-plan the rest of the exam around the calls already answered."""
    with read_session() as session:
        exam = _own_exam(session, actor, exam_id)
        agency = _agency(session, actor.agency_id)
        protocol = _protocol(agency)
        track = _exam_track(exam)
        by_id = {
            row.id: row
            for row in session.exec(
                select(ScenarioVersion).where(col(ScenarioVersion.id).in_(exam.plan[:position]))
            ).all()
        }
        keep = [
            s
            for s in (
                _summary(i, by_id[i].data or {}, protocol, agency) for i in exam.plan[:position]
            )
            if s
        ]
        candidates = _call_summaries(session, agency, protocol)
        seen = _seen(session, actor) | {c.key for c in keep}
    plan = _plan_with_generation(
        agency=agency,
        protocol=protocol,
        track=track,
        candidates=candidates,
        seen=seen,
        rng=random.Random(random.SystemRandom().getrandbits(64)),
        keep=keep,
    )
    with write_session() as session:
        exam = _own_exam(session, actor, exam_id, lock=True)
        if exam.plan[:position] == plan[:position]:
            exam.plan = list(plan)
            session.add(exam)


def exam_state(*, actor: Actor, exam_id: int) -> dict:
    """Where the trainee is in the exam, opening the current call's attempt when needed.

    Keys: exam_id, track, title, status, total, answered, position (0-based, None when
    every call is answered), attempt_id (the call to show), started_at, finished_at,
    elapsed_seconds, outcome (once finished).
    """
    require(actor, "exam")
    for _ in range(4):
        with read_session() as session:
            exam = _own_exam(session, actor, exam_id)
            attempts = _exam_attempts(session, exam)
        plan = list(exam.plan or [])
        done = _answered(plan, attempts)
        position = next((i for i, vid in enumerate(plan) if vid not in done), None)
        attempt_id = None
        if exam.status == "in_progress" and position is None:
            finish_exam(actor=actor, exam_id=exam_id)
            continue  # read the finished exam again
        if exam.status == "in_progress" and position is not None:
            open_ids = [
                a.id
                for a in attempts
                if a.scenario_version_id == plan[position] and a.status == "in_progress"
            ]
            if open_ids:
                attempt_id = min(open_ids)
            else:
                try:
                    practice.start_attempt(
                        actor=actor,
                        scenario_version_id=plan[position],
                        mode="exam",
                        exam_id=exam_id,
                    )
                except (AccessDenied, NotFound):
                    _replace_unplayable(actor, exam_id, position)
                continue  # read again: two tabs converge on the oldest open attempt
        end = exam.finished_at or utcnow()
        return {
            "exam_id": exam.id,
            "track": exam.track,
            "title": _track_title(exam.track),
            "status": exam.status,
            "total": len(plan),
            "answered": len(done),
            "position": position,
            "attempt_id": attempt_id,
            "started_at": exam.started_at,
            "finished_at": exam.finished_at,
            "elapsed_seconds": round(
                (core.as_utc(end) - core.as_utc(exam.started_at)).total_seconds()
            ),
            "outcome": (exam.result or {}).get("outcome"),
        }
    raise UserError("The exam could not be opened; please reload the page.")


def finish_exam(*, actor: Actor, exam_id: int) -> dict:
    """Grade the exam once every call is answered; stores the result (idempotent)."""
    require(actor, "exam")
    with write_session() as session:
        exam = _own_exam(session, actor, exam_id, lock=True)
        if exam.status != "in_progress":
            return dict((exam.result or {}).get("outcome") or {})
        plan = list(exam.plan or [])
        done = _answered(plan, _exam_attempts(session, exam))
        left = [vid for vid in plan if vid not in done]
        if left:
            raise UserError(f"Answer the remaining {len(left)} call(s) first.")
        track = _exam_track(exam)
        graded = [core.GradedCall(vid, done[vid].grade or {}, done[vid].seconds) for vid in plan]
        outcome = core.exam_result(track, graded)
        now = utcnow()
        outcome["exam_seconds"] = round((now - core.as_utc(exam.started_at)).total_seconds())
        exam.status = "completed"
        exam.finished_at = now
        exam.score = outcome["score"]
        exam.passed = outcome["passed"]
        exam.result = {**(exam.result or {}), "outcome": outcome}
        session.add(exam)
        session.flush()
        audit.append(
            session,
            event="exam_result",
            subject=f"exam:{exam.id}",
            payload={
                "user_id": exam.user_id,
                "track": exam.track,
                "passed": outcome["passed"],
                "score": outcome["score"],
                "critical": outcome["critical"],
                "reasons": outcome["reasons"],
            },
            agency_id=exam.agency_id,
            actor_id=actor.user_id,
        )
    return outcome


def exam_report(*, actor: Actor, exam_id: int) -> dict:
    """A finished exam for its trainee: the outcome and each call's score and title."""
    require(actor, "exam")
    with read_session() as session:
        exam = _own_exam(session, actor, exam_id)
        if exam.status == "in_progress":
            raise AccessDenied("Results are shown when the exam is finished.")
        calls = _call_rows(session, exam)
        cert = session.exec(select(Certificate.id).where(Certificate.exam_id == exam.id)).first()
    return {
        "exam_id": exam.id,
        "track": exam.track,
        "title": _track_title(exam.track),
        "started_at": exam.started_at,
        "finished_at": exam.finished_at,
        "outcome": (exam.result or {}).get("outcome") or {},
        "signed_off": exam.signed_off_at is not None,
        "certificate_id": cert,
        "calls": calls,
        "rules_note": _exam_rules_note(calls),
    }


def _exam_rules_note(calls: list[dict]) -> str | None:
    """The label for an exam with calls graded under older rules (None: all current)."""
    older = sorted({c["rules"] for c in calls if c.get("rules_note")})
    if not older:
        return None
    return grading_rules.rules_label(older[0]) + ". The exam's result stands as it was given."


def _call_rows(session: Session, exam: Exam) -> list[dict]:
    plan = list(exam.plan or [])
    done = _answered(plan, _exam_attempts(session, exam))
    titles = dict(
        session.exec(
            select(ScenarioVersion.id, ScenarioVersion.title).where(
                col(ScenarioVersion.id).in_(plan or [-1])
            )
        ).all()
    )
    rows = []
    for number, vid in enumerate(plan, start=1):
        attempt = done.get(vid)
        grade = (attempt.grade or {}) if attempt else {}
        rows.append(
            {
                "number": number,
                "title": titles.get(vid, "?"),
                "attempt_id": attempt.id if attempt else None,
                "score": grade.get("score"),
                "passed": grade.get("passed"),
                "critical": list(grade.get("critical") or []),
                "seconds": attempt.seconds if attempt else None,
                "rules": attempt.rules if attempt else None,
                "rules_note": grading_rules.rules_note(attempt.rules) if attempt else None,
            }
        )
    return rows


def my_exams(*, actor: Actor) -> list[dict]:
    """The trainee's exams, newest first."""
    require(actor, "exam")
    with read_session() as session:
        rows = session.exec(
            select(Exam)
            .where(Exam.user_id == actor.user_id)
            .where(Exam.agency_id == actor.agency_id)
            .order_by(col(Exam.id).desc())
        ).all()
    return [
        {
            "exam_id": e.id,
            "track": e.track,
            "title": _track_title(e.track),
            "status": e.status,
            "started_at": e.started_at,
            "finished_at": e.finished_at,
            "score": e.score,
            "passed": e.passed,
            "signed_off": e.signed_off_at is not None,
        }
        for e in rows
    ]


# ------------------------------------------------------------------ certificates (shared)


def _cert_dict(cert: Certificate, holder: str, now: dt.datetime) -> dict:
    return {
        "certificate_id": cert.id,
        "user_id": cert.user_id,
        "holder": holder,
        "track": cert.track,
        "title": _track_title(cert.track),
        "code": cert.code,
        "issued_at": cert.issued_at,
        "expires_at": cert.expires_at,
        "revoked_at": cert.revoked_at,
        "revoked_reason": cert.revoked_reason,
        "status": core.certificate_status(cert.expires_at, cert.revoked_at, now),
        "verify_path": verification_path(cert.code),
    }


def my_certificates(*, actor: Actor, now: dt.datetime | None = None) -> list[dict]:
    """The trainee's own certificates with their status."""
    require(actor, "exam")
    now = now or utcnow()
    with read_session() as session:
        rows = session.exec(
            select(Certificate)
            .where(Certificate.user_id == actor.user_id)
            .where(Certificate.agency_id == actor.agency_id)
            .order_by(col(Certificate.issued_at).desc())
        ).all()
    name = actor.display_name or actor.username
    return [_cert_dict(c, name, now) for c in rows]


def certificate_pdf(*, actor: Actor, certificate_id: int) -> bytes:
    """The certificate as a PDF: its holder, or a supervisor/admin of the agency."""
    if not (can(actor, "exam") or can(actor, "revoke")):
        require(actor, "revoke")  # raises with the usual message
    with read_session() as session:
        query = (
            select(Certificate, User.display_name, Agency.name)
            .join(User, User.id == Certificate.user_id)
            .join(Agency, Agency.id == Certificate.agency_id)
            .where(Certificate.id == certificate_id)
            .where(Certificate.agency_id == actor.agency_id)
        )
        if actor.role == "trainee":
            query = query.where(Certificate.user_id == actor.user_id)
        row = session.exec(query).first()
    if row is None:
        raise NotFound("There is no such certificate.")
    cert, holder, agency_name = row
    return render_certificate_pdf(
        CertificateInfo(
            holder=holder,
            agency=agency_name,
            track=_track_title(cert.track),
            issued_at=cert.issued_at,
            expires_at=cert.expires_at,
            code=cert.code,
            verify_url=verification_url(cert.code),
            status=core.certificate_status(cert.expires_at, cert.revoked_at, utcnow()),
        )
    )


# ------------------------------------------------------------------ supervisor


def _agency_exam(session: Session, actor: Actor, exam_id: int, *, lock: bool = False) -> Exam:
    query = select(Exam).where(Exam.id == exam_id).where(Exam.agency_id == actor.agency_id)
    exam = session.exec(query.with_for_update() if lock else query).first()
    if exam is None:
        raise NotFound("There is no such exam in your agency.")
    return exam


def pending_sign_offs(*, actor: Actor) -> list[dict]:
    """Passed exams in the supervisor's agency that await sign-off, oldest first."""
    require(actor, "sign_off")
    with read_session() as session:
        rows = session.exec(
            select(Exam, User.display_name)
            .join(User, User.id == Exam.user_id)
            .where(Exam.agency_id == actor.agency_id)
            .where(Exam.status == "completed")
            .where(Exam.passed == True)  # noqa: E712
            .where(col(Exam.signed_off_at).is_(None))
            .order_by(col(Exam.finished_at))
        ).all()
    return [
        {
            "exam_id": e.id,
            "trainee": name,
            "track": e.track,
            "title": _track_title(e.track),
            "finished_at": e.finished_at,
            "score": e.score,
            "outcome": (e.result or {}).get("outcome") or {},
        }
        for e, name in rows
    ]


def agency_exams(*, actor: Actor, limit: int = 200) -> list[dict]:
    """Recent exams of the agency (any result), newest first."""
    require(actor, "sign_off")
    with read_session() as session:
        rows = session.exec(
            select(Exam, User.display_name)
            .join(User, User.id == Exam.user_id)
            .where(Exam.agency_id == actor.agency_id)
            .order_by(col(Exam.id).desc())
            .limit(limit)
        ).all()
    return [
        {
            "exam_id": e.id,
            "trainee": name,
            "title": _track_title(e.track),
            "status": e.status,
            "started_at": e.started_at,
            "finished_at": e.finished_at,
            "score": e.score,
            "passed": e.passed,
            "signed_off": e.signed_off_at is not None,
        }
        for e, name in rows
    ]


def _key_summary(key: Mapping) -> dict:
    return {
        "disqualifiers": list(key.get("disqualifiers") or []),
        "call_type": key.get("call_type"),
        "disposition": key.get("disposition"),
        "acceptable": list(key.get("acceptable") or []),
        "required_questions": list(key.get("required_questions") or []),
    }


def exam_review(*, actor: Actor, exam_id: int) -> dict:
    """A supervisor's view of an exam: each call's stored grade and, where the expert
    key has changed since (a newer scenario version), what the current key would give.
    The stored grades are never changed."""
    require(actor, "sign_off")
    with read_session() as session:
        exam = _agency_exam(session, actor, exam_id)
        agency = _agency(session, actor.agency_id)
        holder = session.get(User, exam.user_id)
        plan = list(exam.plan or [])
        done = _answered(plan, _exam_attempts(session, exam))
        versions = {
            v.id: v
            for v in session.exec(
                select(ScenarioVersion).where(col(ScenarioVersion.id).in_(plan or [-1]))
            ).all()
        }
        keys = {v.scenario_key for v in versions.values()}
        current = {
            v.scenario_key: v
            for v in session.exec(
                select(ScenarioVersion)
                .where(ScenarioVersion.agency_id == actor.agency_id)
                .where(col(ScenarioVersion.scenario_key).in_(keys or {""}))
                .where(ScenarioVersion.is_current == True)  # noqa: E712
            ).all()
        }
        cert = session.exec(select(Certificate.id).where(Certificate.exam_id == exam.id)).first()
    protocol = _protocol(agency)
    pass_mark = get_settings().pass_mark
    calls, regraded = [], []
    changed_any = False
    for number, vid in enumerate(plan, start=1):
        version = versions.get(vid)
        attempt = done.get(vid)
        old_grade = dict(attempt.grade or {}) if attempt else {}
        model = attempt.model if attempt else agency.dispatch_model
        data = (version.data or {}) if version else {}
        newer = current.get(version.scenario_key) if version else None
        changed = newer is not None and newer.id != vid
        new_grade, error = None, None
        if changed and attempt is not None and attempt.answer:
            try:
                new_grade = grading.grade(
                    newer.data or {}, attempt.answer, model, protocol, pass_mark=pass_mark
                )
            except UserError as exc:
                error = str(exc)
        changed_any = changed_any or changed
        calls.append(
            {
                "number": number,
                "title": version.title if version else "?",
                "version": version.version if version else None,
                "current_version": newer.version if newer else None,
                "key_changed": changed,
                "answer": dict(attempt.answer or {}) if attempt else {},
                "seconds": attempt.seconds if attempt else None,
                "grade": old_grade,
                "rules": attempt.rules if attempt else None,
                "rules_note": grading_rules.rules_note(attempt.rules, attempt.regrade)
                if attempt
                else None,
                "key": _key_summary(grading.effective_key(data, model, protocol)) if data else {},
                "new_grade": new_grade,
                "new_key": _key_summary(grading.effective_key(newer.data or {}, model, protocol))
                if changed
                else None,
                "regrade_error": error,
            }
        )
        regraded.append(
            core.GradedCall(vid, new_grade or old_grade, attempt.seconds if attempt else None)
        )
    outcome = (exam.result or {}).get("outcome") or {}
    outcome_now = None
    if changed_any and exam.status == "completed":
        outcome_now = core.exam_result(_exam_track(exam), [g for g in regraded if g.grade])
    return {
        "exam_id": exam.id,
        "trainee": holder.display_name if holder else "?",
        "title": _track_title(exam.track),
        "status": exam.status,
        "started_at": exam.started_at,
        "finished_at": exam.finished_at,
        "signed_off": exam.signed_off_at is not None,
        "certificate_id": cert,
        "outcome": outcome,
        "outcome_with_current_keys": outcome_now,
        "calls": calls,
        "rules_note": _exam_rules_note(calls),
        "outcome_under_new_rules": (exam.result or {}).get("regrade"),
    }


def _new_code(session: Session) -> str:
    for _ in range(10):
        code = core.new_code()
        if session.exec(select(Certificate.id).where(Certificate.code == code)).first() is None:
            return code
    raise UserError("Could not make a unique verification code; please try again.")


def sign_off(*, actor: Actor, exam_id: int) -> dict:
    """Sign off a passed exam: a certificate is issued. Returns the certificate."""
    require(actor, "sign_off")
    with write_session() as session:
        exam = _agency_exam(session, actor, exam_id, lock=True)
        if exam.user_id == actor.user_id:
            raise AccessDenied("Nobody may sign off their own exam.")
        if exam.status != "completed" or not exam.passed:
            raise UserError("Only a finished, passed exam can be signed off.")
        if exam.signed_off_at is not None:
            raise UserError("This exam has already been signed off.")
        track = _exam_track(exam)
        now = utcnow()
        exam.signed_off_by = actor.user_id
        exam.signed_off_at = now
        session.add(exam)
        cert = Certificate(
            agency_id=exam.agency_id,
            user_id=exam.user_id,
            exam_id=exam.id,
            track=exam.track,
            code=_new_code(session),
            issued_at=now,
            expires_at=core.add_months(now, track.validity_months),
        )
        session.add(cert)
        session.flush()
        audit.append(
            session,
            event="sign_off",
            subject=f"exam:{exam.id}",
            payload={"user_id": exam.user_id, "track": exam.track, "score": exam.score},
            agency_id=exam.agency_id,
            actor_id=actor.user_id,
        )
        audit.append(
            session,
            event="certificate_issued",
            subject=f"certificate:{cert.id}",
            payload={
                "user_id": cert.user_id,
                "exam_id": exam.id,
                "track": cert.track,
                "code": cert.code,
                "issued_at": _iso(cert.issued_at),
                "expires_at": _iso(cert.expires_at),
            },
            agency_id=cert.agency_id,
            actor_id=actor.user_id,
        )
        holder = session.get(User, cert.user_id)
        return _cert_dict(cert, holder.display_name if holder else "?", now)


def _agency_cert(session: Session, actor: Actor, certificate_id: int) -> Certificate:
    cert = session.exec(
        select(Certificate)
        .where(Certificate.id == certificate_id)
        .where(Certificate.agency_id == actor.agency_id)
        .with_for_update()
    ).first()
    if cert is None:
        raise NotFound("There is no such certificate in your agency.")
    return cert


def revoke(*, actor: Actor, certificate_id: int, reason: str) -> dict:
    """Revoke a certificate with a reason (kept with it and in the audit log)."""
    require(actor, "revoke")
    reason = " ".join(str(reason or "").split())
    if len(reason) < 5:
        raise UserError("Give the reason for the revocation (a few words at least).")
    if len(reason) > MAX_REASON:
        raise UserError(f"The reason is too long (at most {MAX_REASON} characters).")
    with write_session() as session:
        cert = _agency_cert(session, actor, certificate_id)
        if cert.revoked_at is not None:
            raise UserError("This certificate is already revoked.")
        now = utcnow()
        cert.revoked_at = now
        cert.revoked_reason = reason
        cert.revoked_by = actor.user_id
        session.add(cert)
        session.flush()
        audit.append(
            session,
            event="revoked",
            subject=f"certificate:{cert.id}",
            payload={"user_id": cert.user_id, "reason": reason, "revoked_at": _iso(now)},
            agency_id=cert.agency_id,
            actor_id=actor.user_id,
        )
        holder = session.get(User, cert.user_id)
        return _cert_dict(cert, holder.display_name if holder else "?", now)


def _practice_calls(
    session: Session, agency_id: int, user_ids: list[int], since: dt.datetime
) -> dict[int, list[core.PracticeCall]]:
    rows = session.exec(
        select(Attempt.user_id, Attempt.submitted_at, Attempt.score, Attempt.unsafe)
        .where(Attempt.agency_id == agency_id)
        .where(col(Attempt.user_id).in_(user_ids or [-1]))
        .where(Attempt.status == "submitted")
        .where(col(Attempt.exam_id).is_(None))
        .where(Attempt.submitted_at >= since)
    ).all()
    out: dict[int, list[core.PracticeCall]] = {}
    for user_id, at, score, unsafe in rows:
        out.setdefault(user_id, []).append(core.PracticeCall(at, int(score or 0), bool(unsafe)))
    return out


def _renewal(
    cert: Certificate, calls: list[core.PracticeCall], model: str, now: dt.datetime
) -> core.RenewalCheck:
    track = get_track(cert.track, model)
    return core.renewal_check(
        track,
        expires_at=cert.expires_at,
        revoked=cert.revoked_at is not None,
        calls=calls,
        now=now,
    )


def _lookback_start(now: dt.datetime) -> dt.datetime:
    longest = max((t.renewal.lookback_months for t in all_tracks() if t.renewal), default=6)
    return core.add_months(core.as_utc(now), -longest)


def list_certificates(
    *, actor: Actor, status: str | None = None, now: dt.datetime | None = None
) -> list[dict]:
    """The agency's certificates with status valid/expired/revoked and renewal state."""
    require(actor, "revoke")
    now = now or utcnow()
    with read_session() as session:
        agency = _agency(session, actor.agency_id)
        rows = session.exec(
            select(Certificate, User.display_name)
            .join(User, User.id == Certificate.user_id)
            .where(Certificate.agency_id == actor.agency_id)
            .order_by(col(Certificate.expires_at))
        ).all()
        calls = _practice_calls(
            session, actor.agency_id, sorted({c.user_id for c, _ in rows}), _lookback_start(now)
        )
    out = []
    for cert, name in rows:
        item = _cert_dict(cert, name, now)
        if status and item["status"] != status:
            continue
        try:
            check = _renewal(cert, calls.get(cert.user_id, []), agency.dispatch_model, now)
            item["renewal"] = {
                "eligible": check.eligible,
                "reasons": list(check.reasons),
                "opens_at": check.opens_at,
                "closes_at": check.closes_at,
                "calls": check.calls,
                "average": check.average,
                "new_expires_at": check.new_expires_at,
            }
        except NotFound:  # the track file was removed
            item["renewal"] = None
        out.append(item)
    return out


def renew(*, actor: Actor, certificate_id: int, now: dt.datetime | None = None) -> dict:
    """Extend a certificate by another validity period (recertification through
    continuing practice); the track's renewal rule must be met."""
    require(actor, "sign_off")
    now = now or utcnow()
    with write_session() as session:
        cert = _agency_cert(session, actor, certificate_id)
        agency = _agency(session, actor.agency_id)
        calls = _practice_calls(session, cert.agency_id, [cert.user_id], _lookback_start(now))
        check = _renewal(cert, calls.get(cert.user_id, []), agency.dispatch_model, now)
        if not check.eligible:
            raise UserError("Cannot renew: " + " ".join(check.reasons))
        old = cert.expires_at
        cert.expires_at = check.new_expires_at
        session.add(cert)
        session.flush()
        audit.append(
            session,
            event="renewed",
            subject=f"certificate:{cert.id}",
            payload={
                "user_id": cert.user_id,
                "old_expires_at": _iso(old),
                "new_expires_at": _iso(check.new_expires_at),
                "practice_calls": check.calls,
                "average": check.average,
            },
            agency_id=cert.agency_id,
            actor_id=actor.user_id,
        )
        holder = session.get(User, cert.user_id)
        return _cert_dict(cert, holder.display_name if holder else "?", now)


def record_expiries(*, actor: Actor | None = None, now: dt.datetime | None = None) -> int:
    """Append an "expired" audit event for each certificate past its expiry date that
    has none yet for that date. With an actor: their agency only; without: every agency
    (``python -m app audit expire``). Returns how many events were written."""
    if actor is not None:
        require(actor, "audit")
    now = now or utcnow()
    written = 0
    with write_session() as session:
        query = (
            select(Certificate)
            .where(col(Certificate.revoked_at).is_(None))
            .where(Certificate.expires_at <= now)
        )
        if actor is not None:
            query = query.where(Certificate.agency_id == actor.agency_id)
        due = session.exec(query.order_by(col(Certificate.id))).all()
        if not due:
            return 0
        subjects = [f"certificate:{c.id}" for c in due]
        recorded = {
            (subject, (payload or {}).get("expires_at"))
            for subject, payload in session.exec(
                select(AuditEntry.subject, AuditEntry.payload)
                .where(AuditEntry.event == "expired")
                .where(col(AuditEntry.subject).in_(subjects))
            ).all()
        }
        for cert in due:
            subject = f"certificate:{cert.id}"
            if (subject, _iso(cert.expires_at)) in recorded:
                continue
            audit.append(
                session,
                event="expired",
                subject=subject,
                payload={"user_id": cert.user_id, "expires_at": _iso(cert.expires_at)},
                agency_id=cert.agency_id,
                actor_id=None,
            )
            written += 1
    return written


# ------------------------------------------------------------------ public verification


def verify_certificate(code: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Public check of a verification code (no login).

    Unknown or malformed codes give ``{"found": False}`` and nothing else. A known code
    gives its status, holder, agency, track and dates, and no internal ids.
    """
    normalized = core.normalize_code(code)
    if normalized is None:
        return {"found": False}
    with read_session() as session:
        row = session.exec(
            select(Certificate, User.display_name, Agency.name)
            .join(User, User.id == Certificate.user_id)
            .join(Agency, Agency.id == Certificate.agency_id)
            .where(Certificate.code == normalized)
        ).first()
    if row is None:
        return {"found": False}
    cert, holder, agency_name = row
    now = now or utcnow()
    return {
        "found": True,
        "code": cert.code,
        "status": core.certificate_status(cert.expires_at, cert.revoked_at, now),
        "holder": holder,
        "agency": agency_name,
        "track": _track_title(cert.track),
        "issued_on": core.as_utc(cert.issued_at).date(),
        "expires_on": core.as_utc(cert.expires_at).date(),
        "revoked_on": core.as_utc(cert.revoked_at).date() if cert.revoked_at else None,
    }
