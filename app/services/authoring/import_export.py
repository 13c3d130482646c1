"""Import uploaded scenario files and archives (all or nothing) and export the bank."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlmodel import Session, col, select

from app.core.safe_zip import DEFAULT_LIMITS, UnsafeUpload, UploadLimits, build_zip, export_name
from app.core.safe_zip import checked_texts as _checked_texts
from app.core.scenario import parse_scenario
from app.errors import UserError
from app.services.access import Actor, require
from app.services.authoring import review
from app.services.authoring.common import _protocol, problem_text
from app.services.bank import ImportRejected, ImportSummary, import_loaded
from app.store.db import read_session
from app.store.models import ScenarioVersion

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
        errors += [problem_text(p) for p in problems if p.is_error]
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
    # Uploads are drafts: they reach trainees only once another trainer approves them.
    return import_loaded(
        parsed,
        agency_id=actor.agency_id,
        created_by=actor.user_id,
        source="authored",
        status="draft",
        on_stored=_logger(actor),
    )


def _logger(actor: Actor) -> Callable[[Session, ScenarioVersion, str], None]:
    def log(session: Session, row: ScenarioVersion, outcome: str) -> None:
        if outcome != "unchanged":
            review.record_draft(session, row=row, actor_id=actor.user_id, how="import")

    return log


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
