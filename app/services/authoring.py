"""Trainer authoring: the bank browser, the editor, import/export, the generator and the
agency protocol.

Every function is keyword-only with the acting user first; it checks the permission
(``author_scenarios``, ``item_analysis`` or ``edit_protocol``) and filters every query by
``actor.agency_id`` in the SQL, so a trainer of one agency can neither see nor change
another agency's scenarios (an id from elsewhere is simply "not found").

Scenarios are validated with the *agency's* protocol (its call types, questions and
hotline hours), since that is what its trainees are graded with. Saving goes through
:func:`app.services.bank.store_scenario`: a version that has attempts is never changed
(a new version is made); one without attempts is updated in place.

Trainer-written text is returned as plain strings; pages show it as text, never HTML.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from app.core import grading
from app.core import item_stats as stats_core
from app.core.generator import DEFAULT_MIX, MAX_COUNT, generate, load_templates
from app.core.generator.dump import dump_scenario
from app.core.protocol import (
    DISPATCH_MODELS,
    DISPOSITIONS,
    DISQUALIFIERS,
    Protocol,
    ProtocolError,
    default_protocol,
    load_protocol,
)
from app.core.safe_zip import DEFAULT_LIMITS, UnsafeUpload, UploadLimits, build_zip, export_name
from app.core.safe_zip import checked_texts as _checked_texts
from app.core.scenario import MODULE_SLUGS, Problem, parse_scenario
from app.core.scenario_diff import ScenarioDiff, diff_texts
from app.core.yaml_safe import YamlError, load_yaml
from app.errors import NotFound, UserError
from app.services import item_snapshot
from app.services.access import Actor, require
from app.services.bank import (
    ImportRejected,
    ImportSummary,
    content_hash,
    import_loaded,
    store_scenario,
)
from app.services.practice import (
    CONTEXT_SHOWN,
    PRIORITIES,
    caller_answer,
    protocol_for,
    scenario_clip,
)
from app.store.db import read_session, write_session
from app.store.models import Agency, Attempt, CalibrationKey, ScenarioVersion

STATUSES = ("draft", "published", "retired")
SOURCES = ("bank", "authored", "generated")
MAX_GENERATE = 200  # per run from the browser (the CLI allows more)
NEW_SCENARIO_ID = "new-scenario-0001"


# ------------------------------------------------------------------ helpers


def _agency(session: Session, actor: Actor) -> Agency:
    agency = session.get(Agency, actor.agency_id)
    if agency is None:  # pragma: no cover - a user always has an agency
        raise NotFound("Your agency no longer exists.")
    return agency


def agency_protocol(agency: Agency) -> Protocol:
    """The agency's protocol (cached per distinct overrides)."""
    return protocol_for(agency.protocol_overrides)


def _row(session: Session, actor: Actor, version_id: int) -> ScenarioVersion:
    """A scenario version of the actor's own agency (the agency is in the SQL)."""
    row = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.id == int(version_id))
        .where(ScenarioVersion.agency_id == actor.agency_id)
    ).first()
    if row is None:
        raise NotFound("There is no such scenario in your agency's bank.")
    return row


_MANY_IDS = 200  # above this, count over the whole agency (one index scan) instead


def _attempt_counts(session: Session, agency_id: int, ids: Sequence[int]) -> dict[int, int]:
    """Attempts (any status) per scenario version."""
    if not ids:
        return {}
    # Grouping by (status, version) lets SQLite read ix_attempt_an_scenario alone; by the
    # version only it picks the version index and visits every row (25x slower at 1M).
    query = select(Attempt.scenario_version_id, func.count()).where(Attempt.agency_id == agency_id)
    if len(ids) <= _MANY_IDS:
        query = query.where(col(Attempt.scenario_version_id).in_(list(ids)))
    rows = session.exec(query.group_by(Attempt.status, Attempt.scenario_version_id)).all()
    wanted = set(ids)
    counts: dict[int, int] = defaultdict(int)
    for version, n in rows:
        if version in wanted:
            counts[int(version)] += int(n)
    return dict(counts)


def _split(text: str | None) -> list[str]:
    return [p for p in (text or "").split(",") if p]


def _models_in(data: Mapping | None) -> list[str]:
    by_model = ((data or {}).get("expert") or {}).get("by_model") or {}
    return sorted(m for m, entry in by_model.items() if entry)


def _problem_dict(problem: Problem) -> dict:
    return {"line": problem.line, "message": problem.message, "severity": problem.severity}


def problem_line(problem: Mapping) -> str:
    """``line N: message`` (``warning:`` before a warning's message)."""
    where = f"line {problem['line']}" if problem.get("line") else "file"
    prefix = "warning: " if problem.get("severity") == "warning" else ""
    return f"{where}: {prefix}{problem['message']}"


# ------------------------------------------------------------------ item statistics
# Worked out from every graded attempt and kept per agency: app/services/item_snapshot.py.


def item_stats_map(*, actor: Actor) -> dict[int, stats_core.ItemStats]:
    """Item statistics of every version with graded attempts (for :func:`bank`)."""
    require(actor, "author_scenarios")
    return item_snapshot.current(actor.agency_id).stats


def item_analysis_status(*, actor: Actor) -> item_snapshot.Snapshot:
    """When the item statistics were worked out and whether attempts came in since."""
    require(actor, "item_analysis")
    return item_snapshot.status(actor.agency_id)


def refresh_item_analysis(*, actor: Actor) -> item_snapshot.Snapshot:
    """Work the item statistics out again now (the page's "Work out again" button)."""
    require(actor, "item_analysis")
    return item_snapshot.refresh(actor.agency_id)


def item_analysis(*, actor: Actor, dubious_only: bool = False) -> list[dict]:
    """Item statistics for every current scenario version that has graded attempts.

    Definitions: :mod:`app.core.item_stats`. Guided-mode attempts are left out (hints
    were on screen).
    """
    require(actor, "item_analysis")
    stats = item_snapshot.current(actor.agency_id).stats
    columns = ("id", "scenario_key", "version", "is_current", "title", "module", "status",
               "call_type")  # fmt: skip
    with read_session() as session:
        # Plain columns, not ORM objects: thousands of versions on every page view.
        rows = (
            session.exec(
                select(*(getattr(ScenarioVersion, c) for c in columns)).where(
                    ScenarioVersion.agency_id == actor.agency_id
                )
            ).all()
            if stats
            else []
        )
    out = []
    for version_id, key, version, current, title, module, status, call_type in rows:
        item = stats.get(version_id)
        if item is None or (dubious_only and not item.dubious):
            continue
        out.append(
            {
                "version_id": version_id,
                "key": key,
                "version": version,
                "current": current,
                "title": title,
                "module": module,
                "status": status,
                "call_type": call_type,
                **item.as_dict(),
            }
        )
    out.sort(key=lambda r: (not r["dubious"], not r["flags"], r["key"], -r["version"]))
    return out


# ------------------------------------------------------------------ the bank browser


def bank_filters(*, actor: Actor) -> dict:
    """Choices for the bank filters (the agency's protocol decides call types)."""
    require(actor, "author_scenarios")
    with read_session() as session:
        protocol = agency_protocol(_agency(session, actor))
        modules = session.exec(
            select(ScenarioVersion.module)
            .where(ScenarioVersion.agency_id == actor.agency_id)
            .where(ScenarioVersion.is_current == True)  # noqa: E712
            .distinct()
        ).all()
    return {
        "modules": sorted(set(MODULE_SLUGS) | set(modules)),
        "call_types": {c.code: c.label for c in protocol.call_types.values()},
        "disqualifiers": {d.code: d.label for d in protocol.disqualifiers.values()},
        "models": {m.code: m.label for m in protocol.models.values()},
        "dispositions": {d: protocol.disposition_label(d) for d in DISPOSITIONS},
        "statuses": list(STATUSES),
        "difficulties": [1, 2, 3, 4, 5],
    }


def bank(
    *,
    actor: Actor,
    module: str | None = None,
    call_type: str | None = None,
    disqualifier: str | None = None,
    model: str | None = None,
    difficulty: int | None = None,
    status: str | None = None,
    source: str | None = None,
    with_stats: bool = True,
    stats: Mapping[int, stats_core.ItemStats] | None = None,
) -> list[dict]:
    """The current version of every scenario of the agency that matches the filters.

    ``disqualifier="none"`` finds scenarios without any; ``model`` finds scenarios whose
    ``expert.by_model`` has an entry for that dispatch model. Each row carries its item
    statistics (``stats`` from :func:`item_stats_map` when the caller keeps them, else
    worked out here) and its calibration state.
    """
    require(actor, "author_scenarios")
    from app.services import calibration

    query = (
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == actor.agency_id)
        .where(ScenarioVersion.is_current == True)  # noqa: E712
    )
    if module:
        query = query.where(ScenarioVersion.module == module)
    if call_type:
        query = query.where(ScenarioVersion.call_type == call_type)
    if disqualifier == "none":
        query = query.where(ScenarioVersion.disqualifiers == "")
    elif disqualifier:
        if disqualifier not in DISQUALIFIERS:
            raise UserError(f"Unknown disqualifier '{disqualifier}'.")
        query = query.where(col(ScenarioVersion.disqualifiers).contains(disqualifier))
    if difficulty:
        query = query.where(ScenarioVersion.difficulty == int(difficulty))
    if status:
        if status not in STATUSES:
            raise UserError(f"Unknown status '{status}'.")
        query = query.where(ScenarioVersion.status == status)
    if source:
        query = query.where(ScenarioVersion.source == source)
    with read_session() as session:
        agency = _agency(session, actor)
        rows = session.exec(
            query.options(defer(ScenarioVersion.yaml_text)).order_by(ScenarioVersion.scenario_key)
        ).all()
        if model:
            rows = [r for r in rows if model in _models_in(r.data)]
        ids = [r.id for r in rows]
        counts = _attempt_counts(session, actor.agency_id, ids)
        states = calibration.calibration_states(session, agency, rows)
    if not with_stats or not rows:
        stats = {}
    elif stats is None:
        stats = item_snapshot.current(actor.agency_id).stats
    out = []
    for r in rows:
        item = stats.get(r.id)
        state = states.get(r.id)
        out.append(
            {
                "version_id": r.id,
                "key": r.scenario_key,
                "version": r.version,
                "title": r.title,
                "module": r.module,
                "call_type": r.call_type,
                "disqualifiers": _split(r.disqualifiers),
                "difficulty": r.difficulty,
                "status": r.status,
                "source": r.source,
                "models": _models_in(r.data),
                "attempts_all": counts.get(r.id, 0),
                "attempts": item.attempts if item else 0,
                "facility": item.facility if item else None,
                "discrimination": item.discrimination if item else None,
                "dubious": bool(item and item.dubious),
                "hints": item.hints if item else [],
                "calibration": state.status if state else "not calibrated",
                "contested": bool(state and state.contested),
            }
        )
    return out


def set_status(*, actor: Actor, version_id: int, status: str) -> dict:
    """Publish, retire or return to draft the current version of a scenario.

    Publishing refuses a scenario that is contested in calibration.
    """
    require(actor, "author_scenarios")
    if status not in STATUSES:
        raise UserError(f"Unknown status '{status}'.")
    from app.services import calibration

    with write_session() as session:
        row = _row(session, actor, version_id)
        if not row.is_current:
            raise UserError("Only the current version of a scenario can change status.")
        if status == "published":
            block = calibration.publish_block(session, _agency(session, actor), row)
            if block:
                raise UserError(block)
        row.status = status
        session.add(row)
        session.flush()
        return {"version_id": row.id, "key": row.scenario_key, "status": row.status}


def reject_draft(*, actor: Actor, version_id: int) -> str:
    """Reject a draft: deleted when nobody has attempted or keyed it, else retired.

    Returns ``"deleted"`` or ``"retired"``. Deleting the current version makes the
    previous one (if any) current again.
    """
    require(actor, "author_scenarios")
    with write_session() as session:
        row = _row(session, actor, version_id)
        if row.status != "draft":
            raise UserError("Only a draft can be rejected; retire a published scenario instead.")
        used = _attempt_counts(session, actor.agency_id, [row.id]).get(row.id, 0)
        keyed = session.exec(
            select(func.count())
            .select_from(CalibrationKey)
            .where(CalibrationKey.scenario_version_id == row.id)
            .where(CalibrationKey.agency_id == actor.agency_id)
        ).one()
        if used or keyed:
            row.status = "retired"
            session.add(row)
            return "retired"
        was_current, key = row.is_current, row.scenario_key
        session.delete(row)
        session.flush()
        if was_current:
            previous = session.exec(
                select(ScenarioVersion)
                .where(ScenarioVersion.agency_id == actor.agency_id)
                .where(ScenarioVersion.scenario_key == key)
                .order_by(col(ScenarioVersion.version).desc())
            ).first()
            if previous is not None:
                previous.is_current = True
                session.add(previous)
        return "deleted"


# ------------------------------------------------------------------ the editor


def scenario_choices(*, actor: Actor) -> list[dict]:
    """The current version of every scenario (for the editor's picker)."""
    require(actor, "author_scenarios")
    with read_session() as session:
        rows = session.exec(
            select(
                ScenarioVersion.id,
                ScenarioVersion.scenario_key,
                ScenarioVersion.title,
                ScenarioVersion.status,
                ScenarioVersion.version,
            )
            .where(ScenarioVersion.agency_id == actor.agency_id)
            .where(ScenarioVersion.is_current == True)  # noqa: E712
            .order_by(ScenarioVersion.scenario_key)
        ).all()
    return [
        {"version_id": i, "key": k, "title": t, "status": s, "version": v} for i, k, t, s, v in rows
    ]


def _version_rows(session: Session, actor: Actor, key: str) -> list[dict]:
    rows = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == actor.agency_id)
        .where(ScenarioVersion.scenario_key == key)
        .order_by(col(ScenarioVersion.version).desc(), col(ScenarioVersion.id).desc())
    ).all()
    counts = _attempt_counts(session, actor.agency_id, [r.id for r in rows])
    return [
        {
            "version_id": r.id,
            "version": r.version,
            "status": r.status,
            "current": r.is_current,
            "source": r.source,
            "attempts": counts.get(r.id, 0),
            "created_at": r.created_at,
        }
        for r in rows
    ]


def load_scenario(*, actor: Actor, version_id: int) -> dict:
    """One version with its YAML text, status, attempt count and the list of versions."""
    require(actor, "author_scenarios")
    with read_session() as session:
        row = _row(session, actor, version_id)
        versions = _version_rows(session, actor, row.scenario_key)
    attempts = next(v["attempts"] for v in versions if v["version_id"] == row.id)
    return {
        "version_id": row.id,
        "key": row.scenario_key,
        "version": row.version,
        "title": row.title,
        "status": row.status,
        "source": row.source,
        "current": row.is_current,
        "yaml_text": row.yaml_text,
        "data": row.data,
        "attempts": attempts,
        "versions": versions,
    }


def scenario_versions(*, actor: Actor, key: str) -> list[dict]:
    require(actor, "author_scenarios")
    with read_session() as session:
        versions = _version_rows(session, actor, key)
    if not versions:
        raise NotFound("There is no such scenario in your agency's bank.")
    return versions


def version_diff(*, actor: Actor, old_version_id: int, new_version_id: int) -> ScenarioDiff:
    """The unified diff between two versions' YAML text (both of the actor's agency)."""
    require(actor, "author_scenarios")
    with read_session() as session:
        old = _row(session, actor, old_version_id)
        new = _row(session, actor, new_version_id)
    return diff_texts(
        old.yaml_text,
        new.yaml_text,
        f"{old.scenario_key} version {old.version}",
        f"{new.scenario_key} version {new.version}",
    )


@dataclass(frozen=True)
class Validation:
    """The editor's live check of a YAML text."""

    data: dict | None
    problems: list[dict]

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p["severity"] == "error")

    @property
    def lines(self) -> list[str]:
        return [problem_line(p) for p in self.problems]


def _protocol(actor: Actor) -> tuple[Protocol, str]:
    with read_session() as session:
        agency = _agency(session, actor)
        return agency_protocol(agency), agency.dispatch_model


def validate_text(*, actor: Actor, text: str, filename: str = "scenario.yaml") -> Validation:
    """Validate a scenario text against the agency's protocol: data and every problem."""
    require(actor, "author_scenarios")
    protocol, _ = _protocol(actor)
    data, problems = parse_scenario(text, filename, protocol)
    return Validation(data, [_problem_dict(p) for p in problems])


def scenario_checks(*, actor: Actor, data: Mapping) -> list[dict]:
    """Each of the scenario's ``checks`` graded by the key: what it expects and gets."""
    require(actor, "author_scenarios")
    protocol, _ = _protocol(actor)
    out = []
    for index, check in enumerate(data.get("checks") or [], start=1):
        model = check.get("model") or grading.DEFAULT_MODEL
        entry = {
            "check": index,
            "model": model,
            "answer": check.get("answer") or {},
            "expect": check.get("expect") or {},
        }
        try:
            result = grading.grade(data, entry["answer"], model, protocol)
        except grading.GradingError as exc:
            out.append({**entry, "ok": False, "result": None, "differences": [str(exc)]})
            continue
        differences = grading.check_matches(result, entry["expect"])
        out.append(
            {
                **entry,
                "ok": not differences,
                "result": {
                    "score": result["score"],
                    "passed": result["passed"],
                    "critical": result["critical"],
                    "errors": result["errors"],
                },
                "differences": differences,
            }
        )
    return out


class EditConflict(UserError):
    """Someone saved the scenario after this editor opened it; nothing was stored."""


def save_scenario(
    *,
    actor: Actor,
    text: str,
    key: str | None = None,
    filename: str = "scenario.yaml",
    based_on: str | None = None,
) -> dict:
    """Validate and store a scenario text; returns ``{version_id, key, version, outcome}``.

    ``key`` is the id of the scenario being edited (its id may not change); without it
    the text is a new scenario, stored as a draft, and its id must be new. ``outcome``:
    ``created``, ``new_version`` (the old version has attempts), ``updated`` (in place)
    or ``unchanged``. ``based_on``: the content hash of the text the editor started
    from; when the current version is no longer that text, :class:`EditConflict` is
    raised rather than overwriting someone else's save.
    """
    require(actor, "author_scenarios")
    with write_session() as session:
        agency = _agency(session, actor)
        data, problems = parse_scenario(text, filename, agency_protocol(agency))
        errors = [p for p in problems if p.is_error]
        if data is None or errors:
            raise ImportRejected([problem_line(_problem_dict(p)) for p in errors])
        exists = session.exec(
            select(ScenarioVersion.id)
            .where(ScenarioVersion.agency_id == actor.agency_id)
            .where(ScenarioVersion.scenario_key == data["id"])
        ).first()
        if key is None and exists is not None:
            raise UserError(
                f"A scenario with id '{data['id']}' already exists; choose another id "
                "or open that scenario to edit it."
            )
        if key is not None:
            if data["id"] != key:
                raise UserError(
                    f"The id changed from '{key}' to '{data['id']}'. Keep the id when editing; "
                    "to make a copy, start a new scenario."
                )
            if exists is None:
                raise NotFound("There is no such scenario in your agency's bank.")
            if based_on is not None:
                _check_not_overtaken(session, actor, key, based_on, text)
            bumped = _bump_version(session, actor, data, text)
            if bumped is not None:
                data, _ = parse_scenario(bumped, filename, agency_protocol(agency))
                text = bumped
        row, outcome = store_scenario(
            session=session,
            agency_id=actor.agency_id,
            data=data,
            text=text,
            source="authored",
            status="draft" if key is None else "published",  # "published" keeps the status
            created_by=actor.user_id,
        )
        return {
            "version_id": row.id,
            "key": row.scenario_key,
            "version": row.version,
            "status": row.status,
            "outcome": outcome,
        }


def _check_not_overtaken(
    session: Session, actor: Actor, key: str, based_on: str, text: str
) -> None:
    # Locks the current version's row on PostgreSQL (SQLite's BEGIN IMMEDIATE already
    # lets one writer in at a time), so two saves cannot both pass the check.
    current = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == actor.agency_id)
        .where(ScenarioVersion.scenario_key == key)
        .where(ScenarioVersion.is_current == True)  # noqa: E712
        .with_for_update()
    ).first()
    if current is None or current.content_hash in (based_on, content_hash(text)):
        return
    raise EditConflict(
        f"Someone saved this scenario (now version {current.version}) after you opened it, "
        "so your save would undo their change. Nothing was saved and your text is still "
        "here: copy what you need, open the scenario again to see theirs, and save again."
    )


_VERSION_LINE = re.compile(r"^version:[ \t]*\d+[ \t]*(?=#|$)", re.MULTILINE)


def _bump_version(session: Session, actor: Actor, data: dict, text: str) -> str | None:
    """The text with ``version:`` raised above the current version, when saving it makes a
    new version (the current one has attempts) and the author has not bumped it already.
    None when nothing needs to change."""
    current = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == actor.agency_id)
        .where(ScenarioVersion.scenario_key == data["id"])
        .where(ScenarioVersion.is_current == True)  # noqa: E712
    ).first()
    if current is None or current.content_hash == content_hash(text):
        return None
    if int(data.get("version") or 1) > current.version:
        return None
    if not _attempt_counts(session, actor.agency_id, [current.id]).get(current.id):
        return None
    bumped, n = _VERSION_LINE.subn(f"version: {current.version + 1}", text, count=1)
    return bumped if n else None


def new_scenario_text(*, actor: Actor) -> str:
    """A valid starting text for a new scenario (a draft until it is published)."""
    require(actor, "author_scenarios")
    data = {
        "format": 1,
        "id": NEW_SCENARIO_ID,
        "version": 1,
        "title": "A new call",
        "module": "real-time-screening",
        "difficulty": 2,
        "tags": [],
        "call": {
            "channel": "911",
            "time": "14:00",
            "initial_call_type": "WELFARE_CHECK",
            "location": "Bench outside the public library",
            "caller": {"role": "library staff", "relation": "professional"},
            "opening": "There's a man asleep on the bench out front and he won't wake up "
            "when I call to him.",
            "exchanges": [
                {"ask": "weapons", "answer": "No, nothing like that."},
                {"ask": "threats", "answer": "No, he's just lying there."},
                {"ask": "medical", "answer": "He's breathing, I can see his chest move."},
            ],
            "context": {"responders_available": True},
        },
        "expert": {
            "disqualifiers": [],
            "call_type": "WELFARE_CHECK",
            "priority": 3,
            "disposition": "community_responder",
            "acceptable": [],
            "unsafe": [],
            "required_questions": ["weapons", "threats", "medical"],
            "evidence": {},
            "rationale": "Write why this is the right route.",
        },
    }
    return dump_scenario(data)


# ------------------------------------------------------------------ the editor's form

FORM_FIELDS = (
    "title",
    "module",
    "difficulty",
    "initial_call_type",
    "opening",
    "disqualifiers",
    "call_type",
    "priority",
    "disposition",
    "acceptable",
    "unsafe",
    "required_questions",
    "rationale",
)


def _raw_mapping(text: str) -> dict:
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        raise UserError(f"line {exc.line}: {exc.message}") from None
    if doc.issues or not isinstance(doc.value, dict):
        raise UserError("Fix the YAML first: the form needs a readable scenario.")
    return doc.value


def form_values(text: str) -> dict:
    """The form's fields read from a YAML text (raises UserError when unreadable)."""
    raw = _raw_mapping(text)
    call = raw.get("call") if isinstance(raw.get("call"), dict) else {}
    expert = raw.get("expert") if isinstance(raw.get("expert"), dict) else {}

    def listed(value: Any) -> list[str]:
        return [str(v) for v in value] if isinstance(value, list) else []

    exchanges = call.get("exchanges") if isinstance(call.get("exchanges"), list) else []
    return {
        "title": str(raw.get("title") or ""),
        "module": str(raw.get("module") or ""),
        "difficulty": raw.get("difficulty") if isinstance(raw.get("difficulty"), int) else None,
        "initial_call_type": str(call.get("initial_call_type") or ""),
        "opening": " ".join(str(call.get("opening") or "").split()),
        "disqualifiers": listed(expert.get("disqualifiers")),
        "call_type": str(expert.get("call_type") or ""),
        "priority": expert.get("priority") if isinstance(expert.get("priority"), int) else None,
        "disposition": str(expert.get("disposition") or ""),
        "acceptable": listed(expert.get("acceptable")),
        "unsafe": listed(expert.get("unsafe")),
        "required_questions": listed(expert.get("required_questions")),
        "rationale": " ".join(str(expert.get("rationale") or "").split()),
        "exchange_ids": [
            str(e.get("ask") or e.get("id"))
            for e in exchanges
            if isinstance(e, dict) and (e.get("ask") or e.get("id"))
        ],
    }


def apply_form(text: str, values: Mapping) -> str:
    """The YAML text with the form's fields applied.

    The text is rewritten in the standard layout (the generator's writer): keys keep
    their order, comments are dropped. Empty optional fields are left out.
    """
    raw = _raw_mapping(text)
    call = raw.setdefault("call", {})
    expert = raw.setdefault("expert", {})
    if not isinstance(call, dict) or not isinstance(expert, dict):
        raise UserError("Fix the YAML first: call and expert must be mappings.")
    for name in ("title", "module", "difficulty"):
        if name in values:
            raw[name] = values[name]
    for name in ("initial_call_type", "opening"):
        if name in values:
            call[name] = values[name]
    for name in (
        "disqualifiers",
        "call_type",
        "disposition",
        "required_questions",
        "rationale",
    ):
        if name in values:
            expert[name] = list(values[name]) if isinstance(values[name], list) else values[name]
    for name in ("priority", "acceptable", "unsafe"):
        if name not in values:
            continue
        value = values[name]
        if value in (None, "", []):
            expert.pop(name, None)
        else:
            expert[name] = list(value) if isinstance(value, list) else value
    if values.get("difficulty") is None:
        raw.pop("difficulty", None)
    return dump_scenario(raw)


# ------------------------------------------------------------------ preview (no key)


def build_preview(data: Mapping, protocol: Protocol, model: str) -> dict:
    """What a trainee's call screen shows for this scenario, and nothing of the key.

    Keys follow :func:`app.services.practice.attempt_view`; ``answers`` lists what the
    caller says to each question of the catalogue ``[{id, question, answer}]`` (the page
    reveals them one by one, as the trainee asks).
    """
    call = data.get("call") or {}
    caller = call.get("caller") or {}
    context = call.get("context") or {}
    catalogue = [{"id": q.id, "text": q.text, "own": False} for q in protocol.questions.values()]
    for exchange in call.get("exchanges") or []:
        qid = exchange.get("id")
        if qid and not exchange.get("ask") and qid not in protocol.questions:
            catalogue.append({"id": qid, "text": str(exchange.get("question") or qid), "own": True})
    answers = []
    for question in catalogue:
        try:
            said = caller_answer(data, question["id"], protocol)
        except NotFound:  # pragma: no cover - every catalogue id has an answer
            said = ""
        answers.append({"id": question["id"], "question": question["text"], "answer": said})
    try:
        routes = protocol.available_dispositions(model, call.get("time"), context)
    except ProtocolError:
        routes = []
    return {
        "id": data.get("id"),
        "title": data.get("title"),
        "model": model,
        "model_label": protocol.models[model].label if model in protocol.models else model,
        "channel": str(call.get("channel") or "911"),
        "time": call.get("time"),
        "location": call.get("location"),
        "caller": {"role": caller.get("role"), "relation": caller.get("relation")},
        "opening": " ".join(str(call.get("opening") or "").split()),
        "initial_call_type": {
            "code": call.get("initial_call_type"),
            "label": protocol.call_type_label(str(call.get("initial_call_type") or "")),
        },
        "context": {k: context[k] for k in CONTEXT_SHOWN if k in context},
        "questions": catalogue,
        "answers": answers,
        "call_types": [{"code": c.code, "label": c.label} for c in protocol.call_types.values()],
        "dispositions": [{"code": d, "label": protocol.disposition_label(d)} for d in routes],
        "disqualifiers": [
            {"code": d.code, "label": d.label, "description": d.description}
            for d in protocol.disqualifiers.values()
        ],
        "priorities": list(PRIORITIES),
    }


def preview(*, actor: Actor, data: Mapping) -> dict:
    """The trainee's view of a (validated) scenario under the agency's dispatch model."""
    require(actor, "author_scenarios")
    protocol, model = _protocol(actor)
    return build_preview(data, protocol, model)


def preview_clip(*, actor: Actor, data: Mapping, item: str) -> bytes | None:
    require(actor, "author_scenarios")
    protocol, _ = _protocol(actor)
    return scenario_clip(data, item, protocol)


def key_summary(*, actor: Actor, data: Mapping) -> dict:
    """The key under the agency's dispatch model, with labels (for reviewing drafts)."""
    require(actor, "author_scenarios")
    protocol, model = _protocol(actor)
    key = grading.effective_key(data, model, protocol)
    return {
        "model": model,
        "disqualifiers": [protocol.disqualifiers[d].label for d in key["disqualifiers"]],
        "call_type": protocol.call_type_label(key["call_type"]),
        "priority": key["priority"],
        "disposition": protocol.disposition_label(key["disposition"]),
        "acceptable": [protocol.disposition_label(d) for d in key["acceptable"]],
        "unsafe": [protocol.disposition_label(d) for d in key["unsafe"]],
        "required_questions": [
            next(
                (
                    q["text"]
                    for q in build_preview(data, protocol, model)["questions"]
                    if q["id"] == qid
                ),
                qid,
            )
            for qid in key["required_questions"]
        ],
        "time_target_seconds": key["time_target_seconds"],
        "rationale": " ".join(str(key["rationale"] or "").split()),
    }


# ------------------------------------------------------------------ import and export


def import_uploads(
    *, actor: Actor, uploads: Sequence[tuple[str, bytes]], limits: UploadLimits = DEFAULT_LIMITS
) -> ImportSummary:
    """Import uploaded ``.yaml``/``.yml`` files and ``.zip`` archives, all or nothing.

    The bytes are checked by :mod:`app.core.safe_zip` (sizes, counts, paths, links,
    nesting, types, UTF-8), then every scenario is validated against the agency's
    protocol (ids must be unique), then all are stored in one transaction. Any problem
    raises :class:`ImportRejected` listing every one, and nothing is written.
    """
    require(actor, "author_scenarios")
    try:
        texts = _checked_texts(uploads, limits)
    except UnsafeUpload as exc:
        raise ImportRejected(exc.problems) from None
    protocol, _ = _protocol(actor)
    parsed: list[tuple[dict, str]] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    for name, text in texts:
        data, problems = parse_scenario(text, name, protocol)
        errors += [str(p) for p in problems if p.is_error]
        if data is None:
            continue
        if data["id"] in seen:
            errors.append(f"{name}: duplicate id '{data['id']}' (also in {seen[data['id']]})")
            continue
        seen[data["id"]] = name
        parsed.append((data, text))
    if errors:
        raise ImportRejected(errors)
    if not parsed:
        raise ImportRejected(["no scenario files found in the upload"])
    return import_loaded(
        parsed, agency_id=actor.agency_id, created_by=actor.user_id, source="authored"
    )


def export_bank(*, actor: Actor, version_ids: Iterable[int] | None = None) -> bytes:
    """A zip of the current scenarios (or of the versions named), as ``<module>/<id>.yaml``."""
    require(actor, "author_scenarios")
    query = select(ScenarioVersion.module, ScenarioVersion.scenario_key, ScenarioVersion.yaml_text)
    query = query.where(ScenarioVersion.agency_id == actor.agency_id)
    if version_ids is None:
        query = query.where(ScenarioVersion.is_current == True)  # noqa: E712
    else:
        ids = [int(v) for v in version_ids]
        if not ids:
            raise UserError("Nothing to export: no scenario matches.")
        query = query.where(col(ScenarioVersion.id).in_(ids))
    with read_session() as session:
        rows = session.exec(query.order_by(ScenarioVersion.scenario_key)).all()
    if not rows:
        raise UserError("Nothing to export: no scenario matches.")
    return build_zip((export_name(module, key), text) for module, key, text in rows)


# ------------------------------------------------------------------ the generator


def generator_options(*, actor: Actor) -> dict:
    """Call types the templates can draw, the groups and the default mix."""
    require(actor, "author_scenarios")
    protocol, _ = _protocol(actor)
    templates = load_templates()
    call_types: dict[str, dict] = {}
    for t in templates:
        entry = call_types.setdefault(
            t.call_type,
            {
                "code": t.call_type,
                "label": protocol.call_type_label(t.call_type),
                "group": protocol.call_types[t.call_type].group,
                "templates": [],
            },
        )
        entry["templates"].append(t.id)
    groups = sorted({c["group"] for c in call_types.values()})
    return {
        "call_types": sorted(call_types.values(), key=lambda c: c["code"]),
        "groups": groups,
        "group_labels": {g: protocol.groups.get(g, g) for g in groups},
        "default_mix": {g: w for g, w in DEFAULT_MIX.items() if g in groups},
        "max_count": MAX_GENERATE,
    }


def generate_drafts(
    *,
    actor: Actor,
    count: int,
    seed: int,
    mix: Mapping[str, float] | None = None,
    twins: bool = False,
    progress: Callable[[float, str], None] | None = None,
) -> dict:
    """Generate calls and store them as drafts (source ``generated``), all in one go.

    Each call is validated against the agency's protocol; one that is not valid there
    (say, a hotline route at an hour the agency's hotline is closed) is skipped and
    reported. ``progress(fraction, text)`` is called while generating and storing.
    """
    require(actor, "author_scenarios")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_GENERATE:
        raise UserError(f"Generate from 1 to {MAX_GENERATE} calls at a time.")
    if count > MAX_COUNT:  # pragma: no cover - MAX_GENERATE is far below
        raise UserError("Too many calls.")
    protocol, _ = _protocol(actor)

    def on_generated(done: int, total: int) -> None:
        if progress:
            progress(0.5 * done / total, f"Writing call {done} of {total}")

    scenarios = generate(
        count=count, seed=int(seed), mix=mix or None, twins=twins, progress=on_generated
    )
    valid: list[tuple[dict, str]] = []
    skipped: list[str] = []
    for index, item in enumerate(scenarios, start=1):
        data, problems = parse_scenario(item.yaml_text, f"{item.id}.yaml", protocol)
        if data is None:
            first = next((p for p in problems if p.is_error), None)
            skipped.append(f"{item.id}: {first.message if first else 'not valid'}")
        else:
            valid.append((data, item.yaml_text))
        if progress:
            progress(0.5 + 0.25 * index / len(scenarios), f"Checking call {index}")
    outcomes: dict[str, int] = {"created": 0, "new_version": 0, "updated": 0, "unchanged": 0}
    ids: list[int] = []
    with write_session() as session:
        for index, (data, text) in enumerate(valid, start=1):
            row, outcome = store_scenario(
                session=session,
                agency_id=actor.agency_id,
                data=data,
                text=text,
                source="generated",
                status="draft",
                created_by=actor.user_id,
            )
            outcomes[outcome] += 1
            ids.append(row.id)
            if progress:
                progress(0.75 + 0.25 * index / max(len(valid), 1), f"Storing call {index}")
    return {**outcomes, "version_ids": ids, "skipped": skipped}


def generated_drafts(*, actor: Actor) -> list[dict]:
    """Current generated scenarios still in draft, for review."""
    rows = bank(actor=actor, status="draft", source="generated", with_stats=False)
    return rows


# ------------------------------------------------------------------ the agency protocol


def _hours_text(hours: tuple[int, int] | None) -> str:
    if hours is None:
        return "24/7"
    start, end = hours

    def hhmm(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return f"{hhmm(start)}-{hhmm(end)}"


def _protocol_settings(agency: Agency) -> dict:
    protocol = agency_protocol(agency)
    base = default_protocol()
    overrides = agency.protocol_overrides or {}
    extra = [
        {"id": q.id, "text": q.text, "default_answer": q.default_answer}
        for q in protocol.questions.values()
        if q.id not in base.questions
    ]
    return {
        "agency": agency.name,
        "dispatch_model": agency.dispatch_model,
        "models": {m.code: m.label for m in protocol.models.values()},
        "hotline_hours": _hours_text(protocol.hotline_hours),
        "call_types": [
            {
                "code": c.code,
                "label": c.label,
                "group": c.group,
                "eligible": c.eligible,
                "default_eligible": base.call_types[c.code].eligible
                if c.code in base.call_types
                else None,
            }
            for c in protocol.call_types.values()
        ],
        "extra_questions": extra,
        "overrides": overrides,
    }


def protocol_settings(*, actor: Actor) -> dict:
    """The agency's dispatch model, eligible call types, hotline hours and own questions."""
    require(actor, "edit_protocol")
    with read_session() as session:
        return _protocol_settings(_agency(session, actor))


def build_overrides(
    current: Mapping | None,
    *,
    dispatch_model: str,
    eligible: Iterable[str],
    hotline_hours: str,
    extra_questions: Sequence[Mapping],
) -> dict:
    """New protocol overrides from the form, keeping every other part of ``current``.

    Eligibility is written only where it differs from the default protocol (an agency's
    own call types always carry it); extra questions replace the agency's earlier ones
    (rewordings of default questions are kept).
    """
    base = default_protocol()
    overrides = json.loads(json.dumps(dict(current or {})))  # a deep, plain copy
    if dispatch_model not in DISPATCH_MODELS:
        raise UserError(f"Unknown dispatch model '{dispatch_model}'.")
    overrides["dispatch_model"] = dispatch_model
    overrides["hotline_hours"] = str(hotline_hours or "").strip() or "24/7"
    wanted = set(eligible)
    call_types = dict(overrides.get("call_types") or {})
    own_codes = set(call_types) - set(base.call_types)
    unknown = wanted - set(base.call_types) - own_codes
    if unknown:
        raise UserError(f"Unknown call type(s): {', '.join(sorted(unknown))}.")
    for code in list(base.call_types) + sorted(own_codes):
        spec = dict(call_types.get(code) or {})
        default = base.call_types[code].eligible if code in base.call_types else None
        if code in wanted and default is not True:
            spec["eligible"] = True
        elif code not in wanted and default is not False:
            spec["eligible"] = False
        else:
            spec.pop("eligible", None)
        if spec:
            call_types[code] = spec
        else:
            call_types.pop(code, None)
    if call_types:
        overrides["call_types"] = call_types
    else:
        overrides.pop("call_types", None)
    questions = {
        qid: spec
        for qid, spec in dict(overrides.get("questions") or {}).items()
        if qid in base.questions
    }
    for item in extra_questions:
        qid = str(item.get("id") or "").strip()
        text = " ".join(str(item.get("text") or "").split())
        answer = " ".join(str(item.get("default_answer") or "").split())
        if not qid and not text:
            continue
        if not qid or not text:
            raise UserError("Each extra question needs an id and its wording.")
        if qid in base.questions:
            raise UserError(f"'{qid}' is a default question; choose another id.")
        if qid in questions:
            raise UserError(f"The question id '{qid}' is used twice.")
        questions[qid] = {"text": text, **({"default_answer": answer} if answer else {})}
    if questions:
        overrides["questions"] = questions
    else:
        overrides.pop("questions", None)
    return overrides


def save_protocol(
    *,
    actor: Actor,
    dispatch_model: str,
    eligible: Iterable[str],
    hotline_hours: str,
    extra_questions: Sequence[Mapping] = (),
) -> dict:
    """Validate the agency's protocol changes with ``load_protocol`` and save them."""
    require(actor, "edit_protocol")
    with write_session() as session:
        agency = _agency(session, actor)
        overrides = build_overrides(
            agency.protocol_overrides,
            dispatch_model=dispatch_model,
            eligible=eligible,
            hotline_hours=hotline_hours,
            extra_questions=extra_questions,
        )
        load_protocol(overrides)  # raises ProtocolError (a UserError) with one plain line
        agency.protocol_overrides = overrides
        agency.dispatch_model = dispatch_model
        session.add(agency)
        session.flush()
        return _protocol_settings(agency)


def protocol_impact(*, actor: Actor, limit: int = 50) -> list[str]:
    """Current scenarios that do not validate under the agency's saved protocol."""
    require(actor, "edit_protocol")
    with read_session() as session:
        protocol = agency_protocol(_agency(session, actor))
        rows = session.exec(
            select(ScenarioVersion.scenario_key, ScenarioVersion.yaml_text)
            .where(ScenarioVersion.agency_id == actor.agency_id)
            .where(ScenarioVersion.is_current == True)  # noqa: E712
            .where(ScenarioVersion.status != "retired")
        ).all()
    broken = []
    for key, text in rows:
        data, problems = parse_scenario(text, key, protocol)
        if data is None:
            first = next((p for p in problems if p.is_error), None)
            broken.append(f"{key}: {first.message if first else 'not valid'}")
            if len(broken) >= limit:
                break
    return broken
