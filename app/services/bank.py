"""The scenario bank in the database: import (all or nothing) and versions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, func, select

from app.core.safe_text import strip_bidi, strip_bidi_deep
from app.core.scenario import load_paths, parse_scenario
from app.core.yaml_safe import YamlError, safe_load
from app.errors import UserError
from app.store.db import write_session
from app.store.models import Attempt, ScenarioVersion


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
    if current is None:
        row = ScenarioVersion(
            agency_id=agency_id,
            scenario_key=key,
            version=int(data.get("version") or 1),
            status=status,
            source=source,
            created_by=created_by,
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
            **fields,
        )
        session.add(row)
        session.flush()
        return row, "new_version"
    for name, value in fields.items():
        setattr(current, name, value)
    current.version = max(int(data.get("version") or 1), current.version)
    session.add(current)
    session.flush()
    return current, "updated"


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
    return import_loaded(parsed, agency_id=agency_id, created_by=created_by, source="authored")


def import_loaded(
    items: list[tuple[dict, str]],
    *,
    agency_id: int,
    progress: Callable[[int, int], None] | None = None,
    created_by: int | None = None,
    source: str = "bank",
) -> ImportSummary:
    summary = ImportSummary()
    outcome_field = {
        "created": "created",
        "new_version": "new_versions",
        "updated": "updated",
        "unchanged": "unchanged",
    }
    with write_session() as session:
        for index, (data, text) in enumerate(items, start=1):
            _, outcome = store_scenario(
                session=session,
                agency_id=agency_id,
                data=data,
                text=text,
                source=source,
                created_by=created_by,
            )
            field = outcome_field[outcome]
            setattr(summary, field, getattr(summary, field) + 1)
            if progress:
                progress(index, len(items))
    return summary
