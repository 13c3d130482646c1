"""Generate synthetic calls: ``generate(count, seed, mix=None, twins=False)``."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.core.generator.dump import dump_scenario
from app.core.generator.identity import draw_identity, pick_profiles
from app.core.generator.kinds import apply_kind, draw_kind
from app.core.generator.mix import (
    DEFAULT_MIX,
    check_mix,
    kind_shares,
    language_weights,
    load_mix,
    template_weights,
)
from app.core.generator.rules import CallSetting
from app.core.generator.templates import (
    TEMPLATE_DIR,
    Template,
    load_identities,
    load_templates,
)
from app.core.generator.writer import (
    GROUP_MODULE,
    Draft,
    checks_for,
    difficulty_for,
    draft_call,
    render,
)
from app.errors import UserError

MAX_COUNT = 100_000
MAX_SEED = 10**18  # keeps ids short (the format allows 100 characters)
_IDENTITY_SALT = 0x1D3A7F  # separates a call's identity stream from its structure stream


@dataclass(frozen=True)
class GeneratedScenario:
    """One generated scenario: its id, the scenario as a mapping, and the YAML text to write.

    ``data`` is what ``yaml_text`` loads back to (key order kept). ``facts`` holds the drawn
    facts and the identity profile, for tests and reports; it is not part of the file.
    """

    id: str
    data: dict
    yaml_text: str
    facts: dict = field(default_factory=dict, compare=False)  # the drawn facts (for tests)


def _seed_text(seed: int) -> str:
    return f"s{seed}" if seed >= 0 else f"m{-seed}"


def _setting(template: Template, final_call_type: str, notes: dict, protocol) -> CallSetting:
    call_type = protocol.call_types[final_call_type]
    return CallSetting(
        call_type=final_call_type,
        eligible=call_type.eligible,
        group=call_type.group,
        priority=template.priority,
        also_acceptable=template.also_acceptable,
        fallback=template.fallback,
        required_extra=template.required_extra,
        hotline=template.hotline,
        notes=notes,
        crisis=template.crisis,
        language=template.language,
    )


def _scenario(
    draft: Draft, sid: str, profile: dict, id_seed: int, protocol, tags_extra, kind=None, seed=0
):
    template = draft.template
    identity = draw_identity(profile, id_seed, draft.caller_gender, draft.subject_gender)
    setting = _setting(template, draft.final_call_type, draft.notes, protocol)
    call, expert = render(draft, identity, setting)
    group = protocol.call_types[template.call_type].group
    streets = (draft.values["street"], draft.values["cross"])
    laid = apply_kind(kind, seed, call, expert, title=draft.title, group=group, streets=streets)
    tags = ["generated", group, template.id]
    tags += [t for t in template.tags if t not in tags]
    if laid:
        tags.append(f"kind:{laid}")
    tags += tags_extra
    data = {
        "format": 1,
        "id": sid,
        "version": 1,
        "title": draft.title,
        "module": template.module or GROUP_MODULE.get(group, "real-time-screening"),
        "difficulty": difficulty_for(draft),
        "tags": tags,
        "call": call,
        "expert": expert,
        "checks": checks_for(expert),
    }
    facts = draft.facts.as_dict()
    facts["identity"] = identity.profile
    return GeneratedScenario(sid, data, dump_scenario(data), facts)


def generate(
    count: int,
    seed: int,
    mix: Mapping[str, float] | str | Path | None = None,
    twins: bool = False,
    *,
    protocol=None,
    template_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[GeneratedScenario]:
    """``count`` synthetic calls from ``seed`` (twice as many scenarios with ``twins``).

    The same arguments give the same scenarios, byte for byte. ``mix`` is a mapping
    ``{call_type_or_group: weight}`` or the path of a YAML file holding one (default:
    :data:`DEFAULT_MIX`). With ``twins`` every call comes as ``<id>-a`` and ``<id>-b``,
    which differ only in who the people are (names, neighbourhood, family words,
    accent hint) and share every fact and the key.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise UserError(f"count must be a whole number from 1 to {MAX_COUNT}")
    if isinstance(seed, bool) or not isinstance(seed, int) or abs(seed) >= MAX_SEED:
        raise UserError(f"seed must be a whole number with fewer than {len(str(MAX_SEED))} digits")
    if protocol is None:
        from app.core.protocol import load_protocol

        protocol = load_protocol()
    folder = template_dir or TEMPLATE_DIR
    templates = load_templates(folder)
    profiles = load_identities(folder).profiles
    if mix is None:
        mix = DEFAULT_MIX
    elif isinstance(mix, str | Path):
        mix = load_mix(mix)
    else:
        mix = check_mix(mix)
    groups = {code: ct.group for code, ct in protocol.call_types.items()}
    weights = language_weights(template_weights(mix, templates, groups), templates, mix)
    shares = kind_shares(mix)
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)

    hotline_model = protocol.dispatch_model == "external_hotline"
    spanish = next((p for p in profiles if p.get("accent") == "spanish"), None)
    master = random.Random(seed)
    out: list[GeneratedScenario] = []
    seed_text = _seed_text(seed)
    for index in range(count):
        template = master.choices(templates, cum_weights=cumulative)[0]
        call_seed = master.getrandbits(63)
        id_rng = random.Random(call_seed ^ _IDENTITY_SALT)
        id_seeds = [id_rng.getrandbits(63), id_rng.getrandbits(63)]
        chosen = pick_profiles(profiles, id_rng, twins)  # twin a's profile is the single one's
        if template.language == "es" and not twins and spanish:
            chosen = [spanish]  # a caller in Spanish has a name and family words to match
        base = f"gen-{template.id}-{seed_text}-{index + 1:04d}"
        draft = draft_call(template, call_seed)
        kind = draw_kind(call_seed, shares)
        if not hotline_model and draft.facts.hotline_open is not None:
            # No outside hotline in this agency: its hours are never a fact of the call.
            draft.facts = replace(draft.facts, hotline_open=None)
        if not twins:
            out.append(
                _scenario(draft, base, chosen[0], id_seeds[0], protocol, [], kind, call_seed)
            )
        else:
            for variant, profile, id_seed in zip("ab", chosen, id_seeds, strict=True):
                tags = [f"twin:{base}", f"twin-variant:{variant}"]
                sid = f"{base}-{variant}"
                out.append(_scenario(draft, sid, profile, id_seed, protocol, tags, kind, call_seed))
        if progress is not None:
            progress(index + 1, count)
    return out
