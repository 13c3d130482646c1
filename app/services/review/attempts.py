"""One trainee and their attempts; one attempt replayed beside the key."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlmodel import Session

from app.core import analytics as an
from app.core import regrade as grading_rules
from app.errors import NotFound
from app.services.access import Actor, require
from app.services.review.notes import ReviewNoteView, _notes
from app.services.review.replay import (
    _effective_key,
    _exchanges,
    _json,
    _question_texts,
    key_checklist,
    pause_table,
    replay_timeline,
    typed_questions,
)
from app.services.review.sql import SUBMITTED, _case, _run
from app.services.review.traceability import _attempt_rows
from app.store.db import read_session

# --- one trainee, one attempt -----------------------------------------------------------------


@dataclass
class TraineeDetail:
    trainee: dict  # user_id, name, username, is_active
    attempts: pd.DataFrame  # BEHIND_COLUMNS + notes
    summary: dict


def trainee_detail(*, actor: Actor, trainee_id: int, limit: int = 500) -> TraineeDetail:
    """One trainee of the actor's agency and their latest submitted attempts."""
    require(actor, "review_attempts")
    with read_session() as session:
        found = _run(
            session,
            'SELECT id, display_name, username, is_active FROM "user" '
            "WHERE id = :uid AND agency_id = :agency AND role = 'trainee'",
            uid=int(trainee_id),
            agency=actor.agency_id,
        )
        if not found:
            raise NotFound("No such trainee in your agency.")
        uid, name, username, active = found[0]
        ids = [
            r[0]
            for r in _run(
                session,
                "SELECT id FROM attempt WHERE user_id = :uid AND agency_id = :agency "
                "AND status = :submitted ORDER BY submitted_at DESC, id DESC LIMIT :n",
                uid=uid,
                agency=actor.agency_id,
                submitted=SUBMITTED,
                n=int(limit),
            )
        ]
        attempts = _attempt_rows(session, actor, ids)
        totals = _run(
            session,
            "SELECT COUNT(*),",
            _case("passed"),
            ", AVG(score),",
            _case("unsafe"),
            ",",
            _case("over_routed"),
            "FROM attempt WHERE user_id = :uid AND agency_id = :agency AND status = :submitted",
            uid=uid,
            agency=actor.agency_id,
            submitted=SUBMITTED,
        )[0]
        notes = _note_counts(session, actor, ids)
    attempts["notes"] = [notes.get(i, 0) for i in attempts["attempt_id"]]
    count, passes, avg, unsafe, over = totals
    summary = {
        "attempts": int(count or 0),
        "passes": int(passes or 0),
        "pass_rate": an.rate(passes or 0, count or 0),
        "avg_score": None if avg is None else float(avg),
        "unsafe": int(unsafe or 0),
        "over_routed": int(over or 0),
        "shown": len(attempts),
    }
    trainee = {"user_id": uid, "name": name, "username": username, "is_active": bool(active)}
    return TraineeDetail(trainee, attempts, summary)


def _note_counts(session: Session, actor: Actor, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = _run(
        session,
        "SELECT attempt_id, COUNT(*) FROM reviewnote WHERE agency_id = :agency "
        "AND attempt_id IN :ids GROUP BY attempt_id",
        agency=actor.agency_id,
        ids=[int(i) for i in ids],
    )
    return {a: int(n) for a, n in rows}


@dataclass
class Replay:
    attempt: dict  # id, trainee, user_id, scenario, scenario_key, version, mode, model, ...
    timeline: pd.DataFrame  # t, kind, value, label, verdict, judgement (good|bad|neutral)
    key: dict  # disqualifiers, call_type, disposition, acceptable, unsafe, required_questions, ...
    checklist: pd.DataFrame  # item, expected, trainee, ok
    grade: dict
    answer: dict
    exchanges: pd.DataFrame  # question, caller_answer, asked_at
    notes: list[ReviewNoteView] = field(default_factory=list)
    typed: pd.DataFrame = field(default_factory=lambda: typed_questions([]))  # t, typed, ...
    pauses: pd.DataFrame = field(default_factory=lambda: pause_table([]))  # t, seconds


def attempt_replay(*, actor: Actor, attempt_id: int) -> Replay:
    """An attempt's timeline (questions, marks, decisions and their times) beside the key."""
    require(actor, "review_attempts")
    with read_session() as session:
        rows = _run(
            session,
            "SELECT a.id, a.user_id, u.display_name, a.scenario_version_id, a.mode, a.model, "
            "a.status, a.started_at, a.submitted_at, a.events, a.answer, a.grade, a.score, "
            "a.passed, a.seconds, a.twin_group, a.twin_variant, s.title, s.scenario_key, "
            "s.version, s.data, a.rules, a.regrade "
            'FROM attempt a JOIN "user" u ON u.id = a.user_id '
            "JOIN scenarioversion s ON s.id = a.scenario_version_id "
            "WHERE a.id = :aid AND a.agency_id = :agency",
            aid=int(attempt_id),
            agency=actor.agency_id,
        )
        if not rows:
            raise NotFound("No such attempt in your agency.")
        notes = _notes(session, actor, int(attempt_id))
    (aid, uid, name, _sv, mode, model, status, started, submitted, events, answer, grade,
     score, passed, seconds, twin_group, twin_variant, title, skey, version, data, rules,
     regrade) = rows[0]  # fmt: skip
    events, answer, grade, data, regrade = (
        _json(v) for v in (events, answer, grade, data, regrade)
    )
    key = _effective_key(data or {}, model or "call_center_led")
    questions = _question_texts(data or {})
    timeline = replay_timeline(events or [], key, questions)
    exchanges = _exchanges(data or {}, timeline)
    checklist = key_checklist(key, answer or {}, timeline)
    attempt = {
        "id": aid,
        "user_id": uid,
        "trainee": name,
        "scenario": title,
        "scenario_key": skey,
        "version": version,
        "mode": mode,
        "model": model,
        "status": status,
        "started_at": an.naive_utc(started),
        "submitted_at": an.naive_utc(submitted),
        "score": score,
        "passed": None if passed is None else bool(passed),
        "seconds": seconds,
        "twin_group": twin_group,
        "twin_variant": twin_variant,
        "opening": ((data or {}).get("call") or {}).get("opening", ""),
        "rules": rules,
        "rules_note": grading_rules.rules_note(rules, regrade) if status == "submitted" else None,
    }
    return Replay(
        attempt,
        timeline,
        key,
        checklist,
        grade or {},
        answer or {},
        exchanges,
        notes,
        typed=typed_questions(events or []),
        pauses=pause_table(events or []),
    )
