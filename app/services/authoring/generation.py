"""The generator from the browser: generated calls stored as drafts for review."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypedDict

from app.core.generator import DEFAULT_MIX, MAX_COUNT, generate, load_templates
from app.core.scenario import parse_scenario
from app.errors import UserError
from app.services.access import Actor, require
from app.services.authoring import review
from app.services.authoring.browser import BankRow, bank
from app.services.authoring.common import MAX_GENERATE, _protocol
from app.services.bank import store_scenario
from app.store.db import write_session
from app.store.models import row_id

# ------------------------------------------------------------------ the generator


class GeneratorCallType(TypedDict):
    code: str
    label: str
    group: str  # call-type group code
    templates: list[str]  # ids of the templates that write this call type


class GeneratorOptions(TypedDict):
    """What the generator page offers."""

    call_types: list[GeneratorCallType]  # sorted by code
    groups: list[str]  # group codes the templates cover, sorted
    group_labels: dict[str, str]  # group code -> label
    default_mix: dict[str, float]  # group code -> weight
    max_count: int  # calls per run


def generator_options(*, actor: Actor) -> GeneratorOptions:
    """Call types the templates can draw, the groups and the default mix."""
    require(actor, "author_scenarios")
    protocol, _ = _protocol(actor)
    templates = load_templates()
    call_types: dict[str, GeneratorCallType] = {}
    for t in templates:
        entry = call_types.setdefault(
            t.call_type,
            GeneratorCallType(
                code=t.call_type,
                label=protocol.call_type_label(t.call_type),
                group=protocol.call_types[t.call_type].group,
                templates=[],
            ),
        )
        entry["templates"].append(t.id)
    groups = sorted({c["group"] for c in call_types.values()})
    return GeneratorOptions(
        call_types=sorted(call_types.values(), key=lambda c: c["code"]),
        groups=groups,
        group_labels={g: protocol.groups.get(g, g) for g in groups},
        default_mix={g: w for g, w in DEFAULT_MIX.items() if g in groups},
        max_count=MAX_GENERATE,
    )


class GeneratedCalls(TypedDict):
    """What :func:`generate_drafts` stored: how many calls had each outcome, and ids."""

    created: int
    new_version: int  # 0 here: a change to a live scenario is a new_draft
    updated: int
    unchanged: int
    new_draft: int  # drafts of the next version beside a live one
    version_ids: list[int]  # every stored call's version, in order
    skipped: list[str]  # "id: problem" for each call not valid under the agency's protocol


def generate_drafts(
    *,
    actor: Actor,
    count: int,
    seed: int,
    mix: Mapping[str, float] | None = None,
    twins: bool = False,
    progress: Callable[[float, str], object] | None = None,
) -> GeneratedCalls:
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
    outcomes: dict[str, int] = {
        "created": 0,
        "new_version": 0,
        "updated": 0,
        "unchanged": 0,
        "new_draft": 0,
    }
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
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if outcome != "unchanged":
                review.record_draft(session, row=row, actor_id=actor.user_id, how="generated")
            ids.append(row_id(row))
            if progress:
                progress(0.75 + 0.25 * index / max(len(valid), 1), f"Storing call {index}")
    return GeneratedCalls(
        created=outcomes["created"],
        new_version=outcomes["new_version"],
        updated=outcomes["updated"],
        unchanged=outcomes["unchanged"],
        new_draft=outcomes["new_draft"],
        version_ids=ids,
        skipped=skipped,
    )


def generated_drafts(*, actor: Actor) -> list[BankRow]:
    """Current generated scenarios still in draft, for review."""
    rows = bank(actor=actor, status="draft", source="generated", with_stats=False)
    return rows
