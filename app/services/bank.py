"""The scenario bank in the database: import (all or nothing) and versions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from app.core.safe_text import strip_bidi, strip_bidi_deep
from app.core.scenario import load_paths, parse_scenario
from app.core.yaml_safe import YamlError, safe_load
from app.errors import UserError
from app.store.db import write_session
from app.store.models import Attempt, ScenarioVersion, utcnow


class ImportRejected(UserError):
    """Validation failed: nothing was stored. ``problems`` holds every FILE:LINE message."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")


@dataclass
class ImportSummary:
    created: int = 0
    new_versions: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} new, {self.new_versions} new versions, "
            f"{self.updated} updated in place, {self.unchanged} unchanged"
        )


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def twin_info(data: dict) -> tuple[str | None, str | None]:
    group = variant = None
    for tag in data.get("tags") or []:
        tag = str(tag)
        if tag.startswith("twin:"):
            group = tag.split(":", 1)[1]
        elif tag.startswith("twin-variant:"):
            variant = tag.split(":", 1)[1]
    return group, variant


def _row_fields(data: dict, text: str) -> dict:
    expert = data["expert"]
    return {
        "title": data["title"],
        "module": data["module"],
        "call_type": expert["call_type"],
        "disqualifiers": ",".join(sorted(expert.get("disqualifiers") or [])),
        "difficulty": int(data.get("difficulty") or 1),
        "channel": str(data["call"].get("channel") or "911"),
        "twin_group": twin_info(data)[0],
        "yaml_text": text,
        "data": data,
        "content_hash": content_hash(text),
    }


def _without_bidi(data: dict, text: str) -> tuple[dict, str]:
    """The scenario's data and YAML text with every bidirectional control removed.

    Removing them from the text must not change what the YAML says (a control glued to
    a ``#`` or a ``:`` would); if it would, the scenario is refused rather than stored
    with a text and data that disagree.
    """
    clean = strip_bidi(text)
    if clean != text:
        try:
            same = safe_load(clean) == strip_bidi_deep(safe_load(text))
        except YamlError:
            same = False
        if not same:
            raise UserError(
                f"Scenario '{strip_bidi(str(data.get('id')))}' has a text-direction control "
                "character next to YAML punctuation; remove it and try again."
            )
    return strip_bidi_deep(data), clean


def store_scenario(
    *,
    session: Session,
    agency_id: int,
    data: dict,
    text: str,
    source: str = "bank",
    status: str = "published",
    created_by: int | None = None,
) -> tuple[ScenarioVersion, str]:
    """Store one validated scenario; returns the row and what happened.

    Unchanged text: nothing. Changed and the current version has attempts: a new
    version row (its number is at least one above the last). Changed without
    attempts: updated in place, since nobody has been graded on it.

    Every scenario written to the database passes here (import, the editor, the
    generator), so this is where Unicode bidirectional controls are removed from its
    text and its parsed data (title, notes, caller lines): nothing stored can be drawn
    or exported in a misleading order.
    """
    data, text = _without_bidi(data, text)
    key = data["id"]
    current = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == agency_id)
        .where(ScenarioVersion.scenario_key == key)
        .where(ScenarioVersion.is_current == True)  # noqa: E712
    ).first()
    fields = _row_fields(data, text)
    if status == "draft" and created_by is not None:
        return store_draft(
            session=session,
            agency_id=agency_id,
            data=data,
            text=text,
            source=source,
            editor=created_by,
        )
    if current is None:
        row = ScenarioVersion(
            agency_id=agency_id,
            scenario_key=key,
            version=int(data.get("version") or 1),
            status=status,
            source=source,
            created_by=created_by,
            editors=[created_by] if created_by is not None else [],
            key_author=created_by,
            published_at=utcnow() if status == "published" else None,
            **fields,
        )
        session.add(row)
        session.flush()
        return row, "created"
    if current.content_hash == fields["content_hash"]:
        return current, "unchanged"
    used = session.exec(
        select(func.count()).select_from(Attempt).where(Attempt.scenario_version_id == current.id)
    ).one()
    if used:
        current.is_current = False
        session.add(current)
        session.flush()
        version = max(int(data.get("version") or 1), current.version + 1)
        row = ScenarioVersion(
            agency_id=agency_id,
            scenario_key=key,
            version=version,
            status=current.status if status == "published" else status,
            source=current.source,
            created_by=created_by,
            editors=[created_by] if created_by is not None else [],
            key_author=_key_author(current, data, created_by),
            published_at=utcnow() if status == "published" else None,
            **fields,
        )
        session.add(row)
        session.flush()
        return row, "new_version"
    current.key_author = _key_author(current, data, created_by)
    for name, value in fields.items():
        setattr(current, name, value)
    current.version = max(int(data.get("version") or 1), current.version)
    session.add(current)
    session.flush()
    return current, "updated"


def expert_hash(data: dict | None) -> str:
    """Identifies a scenario's expert key (its ``expert`` section)."""
    expert = (data or {}).get("expert") or {}
    return hashlib.sha256(json.dumps(expert, sort_keys=True, default=str).encode()).hexdigest()


def _key_author(previous: ScenarioVersion, data: dict, editor: int | None) -> int | None:
    """Who wrote the key of a changed version: whoever wrote the previous one while the
    ``expert`` section is unchanged (a title edit does not make the editor its author),
    else the person saving it."""
    if expert_hash(previous.data) == expert_hash(data):
        return previous.key_author
    return editor


def pending_draft(session: Session, agency_id: int, key: str) -> ScenarioVersion | None:
    """The draft of a change to a live scenario, waiting for approval (not yet current)."""
    return session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == agency_id)
        .where(ScenarioVersion.scenario_key == key)
        .where(ScenarioVersion.is_current == False)  # noqa: E712
        .where(ScenarioVersion.status == "draft")
        .order_by(col(ScenarioVersion.version).desc())
    ).first()


def store_draft(
    *,
    session: Session,
    agency_id: int,
    data: dict,
    text: str,
    source: str,
    editor: int,
) -> tuple[ScenarioVersion, str]:
    """Store a trainer's change (an edit, an import, a generated call) as a draft.

    Trainees only ever get published versions, so a change never touches one:

    - a new scenario is a draft that is current (nothing is live yet): ``created``;
    - a scenario that is still a draft is changed in place: ``updated``;
    - a change to a live (published or retired) scenario becomes a draft of the next
      version beside it, ``new_draft``, or changes that draft when there is one already,
      ``updated``; the live version stays as trainees know it until the draft is
      approved and published (:mod:`app.services.authoring.review`).

    Every change drops an earlier approval, and adds ``editor`` to the version's
    editors (none of whom may approve it). Returns ``unchanged`` when the text is
    already there.
    """
    data, text = _without_bidi(data, text)
    key = data["id"]
    fields = _row_fields(data, text)
    current = session.exec(
        select(ScenarioVersion)
        .where(ScenarioVersion.agency_id == agency_id)
        .where(ScenarioVersion.scenario_key == key)
        .where(ScenarioVersion.is_current == True)  # noqa: E712
    ).first()
    if current is None:
        row = ScenarioVersion(
            agency_id=agency_id,
            scenario_key=key,
            version=int(data.get("version") or 1),
            status="draft",
            source=source,
            created_by=editor,
            editors=[editor],
            key_author=editor,
            **fields,
        )
        session.add(row)
        session.flush()
        return row, "created"
    target = current if current.status == "draft" else pending_draft(session, agency_id, key)
    if target is None:
        if current.content_hash == fields["content_hash"]:
            return current, "unchanged"
        last = session.exec(
            select(func.max(ScenarioVersion.version))
            .where(ScenarioVersion.agency_id == agency_id)
            .where(ScenarioVersion.scenario_key == key)
        ).one()
        row = ScenarioVersion(
            agency_id=agency_id,
            scenario_key=key,
            version=max(int(data.get("version") or 1), int(last or current.version) + 1),
            is_current=False,
            status="draft",
            source=current.source if source == "bank" else source,
            created_by=editor,
            editors=[editor],
            key_author=_key_author(current, data, editor),
            **fields,
        )
        session.add(row)
        session.flush()
        return row, "new_draft"
    if target.content_hash == fields["content_hash"]:
        return target, "unchanged"
    target.key_author = _key_author(target, data, editor)
    for name, value in fields.items():
        setattr(target, name, value)
    target.version = max(int(data.get("version") or 1), target.version)
    target.editors = sorted({*(target.editors or []), editor})
    target.approved_by = None
    target.approved_at = None
    session.add(target)
    session.flush()
    return target, "updated"


def import_paths(
    paths: list[str],
    *,
    agency_id: int,
    progress: Callable[[int, int], None] | None = None,
    created_by: int | None = None,
) -> ImportSummary:
    """Validate every file, then store all of them in one transaction, or none."""
    loaded, problems = load_paths(paths)
    errors = [str(p) for p in problems if getattr(p, "severity", "error") == "error"]
    if errors:
        raise ImportRejected(errors)
    if not loaded:
        raise UserError("no scenario files found")
    return import_loaded(
        [(s.data, s.text) for s in loaded],
        agency_id=agency_id,
        progress=progress,
        created_by=created_by,
    )


def import_texts(
    files: list[tuple[str, str]], *, agency_id: int, created_by: int | None = None
) -> ImportSummary:
    """Validate (name, text) pairs, then store all of them in one transaction, or none."""
    parsed: list[tuple[dict, str]] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    for name, text in files:
        data, problems = parse_scenario(text, name)
        errors += [str(p) for p in problems if p.severity == "error"]
        if data is not None:
            if data["id"] in seen:
                errors.append(f"{name}:1: duplicate id '{data['id']}' (also in {seen[data['id']]})")
            seen[data["id"]] = name
            parsed.append((data, text))
    if errors:
        raise ImportRejected(errors)
    return import_loaded(
        parsed, agency_id=agency_id, created_by=created_by, source="authored", status="draft"
    )


def import_loaded(
    items: list[tuple[dict, str]],
    *,
    agency_id: int,
    progress: Callable[[int, int], None] | None = None,
    created_by: int | None = None,
    source: str = "bank",
    status: str = "published",
    on_stored: Callable[[Session, ScenarioVersion, str], None] | None = None,
) -> ImportSummary:
    """Store validated scenarios in one transaction. ``status="draft"`` (a trainer's
    upload) stores each as a draft waiting for approval (:func:`store_draft`); the bank
    loaded by the command line and the demo is published as it is. ``on_stored(session,
    row, outcome)`` runs in the same transaction after each one (the audit log)."""
    summary = ImportSummary()
    outcome_field = {
        "created": "created",
        "new_version": "new_versions",
        "new_draft": "new_versions",
        "updated": "updated",
        "unchanged": "unchanged",
    }
    with write_session() as session:
        for index, (data, text) in enumerate(items, start=1):
            row, outcome = store_scenario(
                session=session,
                agency_id=agency_id,
                data=data,
                text=text,
                source=source,
                status=status,
                created_by=created_by,
            )
            if on_stored is not None:
                on_stored(session, row, outcome)
            field = outcome_field[outcome]
            setattr(summary, field, getattr(summary, field) + 1)
            if progress:
                progress(index, len(items))
    return summary
