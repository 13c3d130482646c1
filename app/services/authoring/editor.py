"""The scenario editor: open a version, check a text live, save it (with versioning and
a guard against overwriting someone else's save), diff versions, start a new scenario."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.core import grading
from app.core.generator.dump import dump_scenario
from app.core.scenario import parse_scenario
from app.core.scenario_diff import ScenarioDiff, diff_texts
from app.core.yaml_words import problem_line as problem_line_in
from app.errors import NotFound, UserError
from app.services.access import Actor, require
from app.services.authoring import review
from app.services.authoring.common import (
    NEW_SCENARIO_ID,
    _attempt_counts,
    _problem_dict,
    _protocol,
    problem_line,
)
from app.services.bank import ImportRejected, content_hash, pending_draft, store_draft
from app.services.scope import actor_agency, agency_protocol, agency_scenario
from app.store.db import read_session, write_session
from app.store.models import ScenarioVersion, row_id

# ------------------------------------------------------------------ the editor


class ScenarioChoice(TypedDict):
    """A scenario in the editor's picker."""

    version_id: int
    key: str  # the scenario's id
    title: str
    status: str  # draft | published | retired
    version: int
    pending: bool  # a draft of a change beside the live version


def scenario_choices(*, actor: Actor) -> list[ScenarioChoice]:
    """Every scenario for the editor's picker: its draft waiting for approval when it has
    one (further edits go into that draft), else its current version."""
    require(actor, "author_scenarios")
    with read_session() as session:
        rows = session.exec(
            # sqlmodel's select() has typed overloads for at most four columns.
            select(  # type: ignore[call-overload]
                ScenarioVersion.id,
                ScenarioVersion.scenario_key,
                ScenarioVersion.title,
                ScenarioVersion.status,
                ScenarioVersion.version,
                ScenarioVersion.is_current,
            )
            .where(ScenarioVersion.agency_id == actor.agency_id)
            .where(
                or_(
                    col(ScenarioVersion.is_current) == True,  # noqa: E712
                    col(ScenarioVersion.status) == "draft",
                )
            )
            .order_by(ScenarioVersion.scenario_key, col(ScenarioVersion.version))
        ).all()
    chosen: dict[str, ScenarioChoice] = {}
    for i, k, t, s, v, current in rows:
        if k not in chosen or not current:
            chosen[k] = ScenarioChoice(
                version_id=i, key=k, title=t, status=s, version=v, pending=not current
            )
    return list(chosen.values())


class VersionRow(TypedDict):
    """One version of a scenario, newest first in :class:`LoadedScenario`."""

    version_id: int
    version: int
    status: str  # draft | published | retired
    current: bool  # the scenario's current version (a draft of a change is not)
    source: str  # bank | authored | generated
    attempts: int  # attempts of any status
    created_at: dt.datetime


def _version_rows(session: Session, actor: Actor, key: str) -> list[VersionRow]:
    rows = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == actor.agency_id)
        .where(ScenarioVersion.scenario_key == key)
        .order_by(col(ScenarioVersion.version).desc(), col(ScenarioVersion.id).desc())
    ).all()
    counts = _attempt_counts(session, actor.agency_id, [row_id(r) for r in rows])
    return [
        VersionRow(
            version_id=row_id(r),
            version=r.version,
            status=r.status,
            current=r.is_current,
            source=r.source,
            attempts=counts.get(row_id(r), 0),
            created_at=r.created_at,
        )
        for r in rows
    ]


class LoadedScenario(TypedDict):
    """One version opened in the editor."""

    version_id: int
    key: str  # the scenario's id
    version: int
    title: str
    status: str  # draft | published | retired
    source: str  # bank | authored | generated
    current: bool
    yaml_text: str  # exactly as stored
    data: dict  # the parsed scenario (every stored row has one)
    attempts: int  # attempts of any status at this version
    versions: list[VersionRow]  # every version of the scenario, newest first


def load_scenario(*, actor: Actor, version_id: int) -> LoadedScenario:
    """One version with its YAML text, status, attempt count and the list of versions."""
    require(actor, "author_scenarios")
    with read_session() as session:
        row = agency_scenario(session, actor, version_id)
        versions = _version_rows(session, actor, row.scenario_key)
    attempts = next(v["attempts"] for v in versions if v["version_id"] == row.id)
    return LoadedScenario(
        version_id=row_id(row),
        key=row.scenario_key,
        version=row.version,
        title=row.title,
        status=row.status,
        source=row.source,
        current=row.is_current,
        yaml_text=row.yaml_text,
        data=row.data or {},
        attempts=attempts,
        versions=versions,
    )


def version_diff(*, actor: Actor, old_version_id: int, new_version_id: int) -> ScenarioDiff:
    """The unified diff between two versions' YAML text (both of the actor's agency)."""
    require(actor, "author_scenarios")
    with read_session() as session:
        old = agency_scenario(session, actor, old_version_id)
        new = agency_scenario(session, actor, new_version_id)
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


def validate_text(*, actor: Actor, text: str, filename: str = "scenario.yaml") -> Validation:
    """Validate a scenario text against the agency's protocol: data and every problem."""
    require(actor, "author_scenarios")
    protocol, _ = _protocol(actor)
    data, problems = parse_scenario(text, filename, protocol)
    found = []
    for p in problems:
        item = _problem_dict(p)
        item["line"] = problem_line_in(text, p.line, p.message) if p.line else p.line
        found.append(item)
    return Validation(data, found)


class CheckGrade(TypedDict):
    """The part of a grade a check can state."""

    score: int  # 0 to 100
    passed: bool
    critical: list[str]  # codes of the critical errors
    errors: list[str]  # codes


class ScenarioCheck(TypedDict):
    """One of the scenario's ``checks``: its sample answer graded by the key."""

    check: int  # its place in the scenario's list, from 1
    model: str  # the dispatch model it is graded under
    answer: dict
    expect: dict
    ok: bool  # the grade is as the check states
    result: CheckGrade | None  # None: the answer could not be graded
    differences: list[str]  # how the grade differs, or why it could not be graded


def scenario_checks(*, actor: Actor, data: Mapping) -> list[ScenarioCheck]:
    """Each of the scenario's ``checks`` graded by the key: what it expects and gets."""
    require(actor, "author_scenarios")
    protocol, _ = _protocol(actor)
    out = []
    for index, check in enumerate(data.get("checks") or [], start=1):
        model = check.get("model") or grading.DEFAULT_MODEL
        answer = check.get("answer") or {}
        expect = check.get("expect") or {}
        shown: CheckGrade | None = None
        try:
            result = grading.grade(data, answer, model, protocol)
        except grading.GradingError as exc:
            differences = [str(exc)]
        else:
            differences = grading.check_matches(result, expect)
            shown = CheckGrade(
                score=result["score"],
                passed=result["passed"],
                critical=result["critical"],
                errors=result["errors"],
            )
        out.append(
            ScenarioCheck(
                check=index,
                model=model,
                answer=answer,
                expect=expect,
                ok=shown is not None and not differences,
                result=shown,
                differences=differences,
            )
        )
    return out


class EditConflict(UserError):
    """Someone saved the scenario after this editor opened it; nothing was stored."""


class SavedScenario(TypedDict):
    """What :func:`save_scenario` stored."""

    version_id: int
    key: str  # the scenario's id
    version: int
    status: str  # draft, or the live version's status when the text is unchanged
    outcome: str  # created | new_draft | updated | unchanged


def save_scenario(
    *,
    actor: Actor,
    text: str,
    key: str | None = None,
    filename: str = "scenario.yaml",
    based_on: str | None = None,
) -> SavedScenario:
    """Validate and store a scenario text; returns what was stored (:class:`SavedScenario`).

    ``key`` is the id of the scenario being edited (its id may not change); without it
    the text is a new scenario and its id must be new. Every save is a draft
    (:func:`app.services.bank.store_draft`): trainees keep the published version until
    another trainer approves the change. ``outcome``: ``created`` (a new scenario),
    ``new_draft`` (a draft of the next version beside the live one), ``updated`` (the
    draft changed in place) or ``unchanged``. The text is stored exactly as written.
    ``based_on``: the content hash of the text the editor started from; when the draft
    (or, without one, the current version) is no longer that text,
    :class:`EditConflict` is raised rather than overwriting someone else's save.
    """
    require(actor, "author_scenarios")
    with write_session() as session:
        agency = actor_agency(session, actor)
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
        row, outcome = store_draft(
            session=session,
            agency_id=actor.agency_id,
            data=data,
            text=text,
            source="authored",
            editor=actor.user_id,
        )
        if outcome != "unchanged":
            review.record_draft(session, row=row, actor_id=actor.user_id, how="edit")
        return SavedScenario(
            version_id=row_id(row),
            key=row.scenario_key,
            version=row.version,
            status=row.status,
            outcome=outcome,
        )


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
    pending = pending_draft(session, actor.agency_id, key)
    if pending is not None and current is not None and current.status != "draft":
        current = pending
    if current is None or current.content_hash in (based_on, content_hash(text)):
        return
    raise EditConflict(
        f"Someone saved this scenario (now version {current.version}) after you opened it, "
        "so your save would undo their change. Nothing was saved and your text is still "
        "here: copy what you need, open the scenario again to see theirs, and save again."
    )


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
