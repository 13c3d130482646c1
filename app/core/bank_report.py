"""Coverage of a scenario bank: what it holds, and where it falls short of the minimums.

:func:`bank_report` is a pure function of already-loaded scenario dicts (the normalised
data from :func:`app.core.scenario.load_paths`, or any dict shaped like a scenario
file). It counts scenarios by final call type, disqualifier, dispatch model, difficulty
and channel, and lists the gaps against :class:`Minimums`.

How each count is decided (the rules trainers tag their scenarios by):

- call type, call-type group, disqualifiers and difficulty come from ``expert``; a
  scenario with no disqualifier counts under ``"none"``;
- dispatch model: every scenario counts under ``"all"``; it also counts under a model
  when its ``expert.by_model`` entry for that model names a best route
  (``disposition``) different from the default one ("the answer differs by model");
- crime but eligible: ``crime`` in ``tags`` and ``expert.disqualifiers`` empty;
- third-party caller: tag ``third-party``; caller who answers "I don't know" to a
  screening question: tag ``unsure-caller`` (tags compare case-insensitively);
- hotline closed at night: ``call.context.hotline_open`` is false and ``call.time`` is
  at night (from 20:00 to before 07:00);
- responders unavailable: ``call.context.responders_available`` is false;
- kinds of call (docs/scenario-format.md 3.9), each with its own minimum: a dropped or
  hung-up call (``call.connection``), a caller in another language, a child caller
  (``caller.age: child``), a caller who does not know where they are
  (``caller.knows_location: false``), a text (``call.medium: text``), a repeat caller
  (``call.prior_calls``), a caller who cannot speak freely; one scenario can count
  under several kinds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from app.core.protocol import (
    CHANNELS,
    DISPATCH_MODELS,
    DISQUALIFIERS,
    ELIGIBLE_CALL_TYPES,
    default_protocol,
)
from app.core.scenario.kinds import KIND_LABELS, call_kind

ALL_MODELS = "all"
NO_DISQUALIFIER = "none"
DIFFICULTIES = (1, 2, 3, 4, 5)
NIGHT_STARTS = 20 * 60  # minutes after midnight
NIGHT_ENDS = 7 * 60
TAG_CRIME = "crime"
TAG_THIRD_PARTY = "third-party"
TAG_UNSURE = "unsure-caller"

OTHER_GROUP = "other"


def default_groups() -> dict[str, str]:
    """The group of each call type in the default protocol (a code not in it is "other")."""
    return {code: t.group for code, t in default_protocol().call_types.items()}


@dataclass(frozen=True)
class Minimums:
    """What a complete bank must hold (the defaults are the project's bank minimums)."""

    total: int = 120
    per_eligible_call_type: int = 4
    per_disqualifier: int = 10
    crime_but_eligible: int = 15
    by_model_differing: int = 15
    per_channel: int = 1
    hotline_closed_night: int = 3
    responders_unavailable: int = 3
    third_party: int = 6
    unsure_caller: int = 5
    per_difficulty: int = 1
    per_call_kind: int = 8
    conflict_exceeds_behavioral_health: bool = True


@dataclass(frozen=True)
class Facts:
    """What the report needs to know about one scenario."""

    id: str
    call_type: str
    group: str
    disqualifiers: tuple[str, ...]
    difficulty: int | None
    channel: str
    models: tuple[str, ...]  # "all" plus every model whose best route differs
    crime_but_eligible: bool
    third_party: bool
    unsure_caller: bool
    hotline_closed_night: bool
    responders_unavailable: bool
    call_kinds: tuple[str, ...] = ()


def _mapping(value: object) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _minutes(value: object) -> int | None:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return None
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        return None
    h, m = int(hours), int(minutes)
    return h * 60 + m if h < 24 and m < 60 else None


def is_night(time_hhmm: object) -> bool:
    """True for a time from 20:00 up to (not including) 07:00; False when unknown."""
    minutes = _minutes(time_hhmm)
    return minutes is not None and (minutes >= NIGHT_STARTS or minutes < NIGHT_ENDS)


def differing_models(expert: Mapping) -> list[str]:
    """Dispatch models whose ``by_model`` entry changes the best route."""
    default = expert.get("disposition")
    out = []
    for model, override in _mapping(expert.get("by_model")).items():
        best = _mapping(override).get("disposition")
        if best is not None and best != default:
            out.append(str(model))
    return out


def scenario_facts(scenario: Mapping, groups: Mapping[str, str] | None = None) -> Facts:
    """The counted facts of one scenario dict (missing parts count as unknown/none)."""
    groups = default_groups() if groups is None else groups
    expert = _mapping(scenario.get("expert"))
    call = _mapping(scenario.get("call"))
    context = _mapping(call.get("context"))
    raw_tags = scenario.get("tags")
    tags = (
        {str(t).strip().lower() for t in raw_tags} if isinstance(raw_tags, list | tuple) else set()
    )
    disqualifiers = tuple(dict.fromkeys(str(d) for d in expert.get("disqualifiers") or ()))
    call_type = str(expert.get("call_type") or "UNKNOWN")
    difficulty = scenario.get("difficulty")
    channel = call.get("channel")
    return Facts(
        id=str(scenario.get("id") or "?"),
        call_type=call_type,
        group=groups.get(call_type, OTHER_GROUP),
        disqualifiers=disqualifiers,
        difficulty=difficulty if type(difficulty) is int else None,
        channel="911" if channel is None else str(channel),
        models=(ALL_MODELS, *differing_models(expert)),
        crime_but_eligible=TAG_CRIME in tags and not disqualifiers,
        third_party=TAG_THIRD_PARTY in tags,
        unsure_caller=TAG_UNSURE in tags,
        hotline_closed_night=context.get("hotline_open") is False and is_night(call.get("time")),
        responders_unavailable=context.get("responders_available") is False,
        call_kinds=call_kind(scenario).kinds(),
    )


def _ordered(counter: Counter, first: Iterable) -> dict:
    """``counter`` as a dict: the keys of ``first`` (zeros included), then the rest sorted."""
    first = list(first)
    rest = sorted((k for k in counter if k not in first), key=str)
    return {k: counter.get(k, 0) for k in [*first, *rest]}


def _gap(rule: str, what: str, have: int, need: int, message: str) -> dict:
    return {"rule": rule, "what": what, "have": have, "need": need, "message": message}


def find_gaps(counts: Mapping, special: Mapping, minimums: Minimums) -> list[dict]:
    """Every way the counted bank falls short of ``minimums`` (empty when complete)."""
    gaps = []
    total = counts["total"]
    if total < minimums.total:
        gaps.append(
            _gap(
                "total",
                "scenarios",
                total,
                minimums.total,
                f"{total} scenarios, need at least {minimums.total}",
            )
        )
    for code in ELIGIBLE_CALL_TYPES:
        have = counts["call_type"].get(code, 0)
        if have < minimums.per_eligible_call_type:
            gaps.append(
                _gap(
                    "eligible_call_type",
                    code,
                    have,
                    minimums.per_eligible_call_type,
                    f"call type {code}: {have} scenarios, "
                    f"need at least {minimums.per_eligible_call_type}",
                )
            )
    for code in DISQUALIFIERS:
        have = counts["disqualifier"].get(code, 0)
        if have < minimums.per_disqualifier:
            gaps.append(
                _gap(
                    "disqualifier",
                    code,
                    have,
                    minimums.per_disqualifier,
                    f"disqualifier {code}: {have} scenarios, "
                    f"need at least {minimums.per_disqualifier}",
                )
            )
    for name, label, need in (
        ("crime_but_eligible", "crime but eligible (tag crime, no disqualifier)",
         minimums.crime_but_eligible),
        ("by_model_differing", "answer differs by dispatch model", minimums.by_model_differing),
        ("hotline_closed_night", "hotline closed at night", minimums.hotline_closed_night),
        ("responders_unavailable", "responders unavailable", minimums.responders_unavailable),
        ("third_party", "third-party caller (tag third-party)", minimums.third_party),
        ("unsure_caller", "caller answers \"I don't know\" (tag unsure-caller)",
         minimums.unsure_caller),
    ):  # fmt: skip
        have = special[name]
        if have < need:
            gaps.append(_gap(name, name, have, need, f"{label}: {have}, need at least {need}"))
    for channel in CHANNELS:
        have = counts["channel"].get(channel, 0)
        if have < minimums.per_channel:
            gaps.append(
                _gap(
                    "channel",
                    channel,
                    have,
                    minimums.per_channel,
                    f"channel {channel}: {have} scenarios, need at least {minimums.per_channel}",
                )
            )
    for level in DIFFICULTIES:
        have = counts["difficulty"].get(level, 0)
        if have < minimums.per_difficulty:
            gaps.append(
                _gap(
                    "difficulty",
                    str(level),
                    have,
                    minimums.per_difficulty,
                    f"difficulty {level}: {have} scenarios, "
                    f"need at least {minimums.per_difficulty}",
                )
            )
    for kind, label in KIND_LABELS.items():
        have = counts.get("call_kind", {}).get(kind, 0)
        if have < minimums.per_call_kind:
            gaps.append(
                _gap(
                    "call_kind",
                    kind,
                    have,
                    minimums.per_call_kind,
                    f"{label}: {have} scenarios, need at least {minimums.per_call_kind}",
                )
            )
    if minimums.conflict_exceeds_behavioral_health:
        conflict = counts["group"].get("conflict", 0)
        behavioral = counts["group"].get("behavioral_health", 0)
        if conflict <= behavioral:
            gaps.append(
                _gap(
                    "conflict_vs_behavioral_health",
                    "conflict",
                    conflict,
                    behavioral + 1,
                    f"conflict calls ({conflict}) must outnumber behavioral-health calls "
                    f"({behavioral})",
                )
            )
    return gaps


def bank_report(
    scenarios: Iterable[Mapping],
    minimums: Minimums | None = None,
    groups: Mapping[str, str] | None = None,
) -> dict:
    """Counts and gaps for a bank of scenario dicts; JSON-ready.

    ``cells`` is the full cross-count: one row per (call type, disqualifier, dispatch
    model, difficulty, channel) that occurs, with how many scenarios fall in it. A
    scenario with two disqualifiers is in a cell for each; one that differs under a
    model is in that model's cells as well as in ``"all"``.
    """
    minimums = minimums or Minimums()
    groups = default_groups() if groups is None else groups
    facts = [scenario_facts(s, groups) for s in scenarios]
    call_type: Counter = Counter(f.call_type for f in facts)
    group: Counter = Counter(f.group for f in facts)
    disqualifier: Counter = Counter()
    for f in facts:
        disqualifier.update(f.disqualifiers or (NO_DISQUALIFIER,))
    model: Counter = Counter(m for f in facts for m in f.models)
    difficulty: Counter = Counter(f.difficulty for f in facts if f.difficulty is not None)
    channel: Counter = Counter(f.channel for f in facts)
    kind: Counter = Counter(k for f in facts for k in f.call_kinds)

    cells: Counter = Counter()
    by_call_type: dict[str, dict[str, Counter]] = {}
    group_of = {f.call_type: f.group for f in facts}
    for f in facts:
        row = by_call_type.setdefault(
            f.call_type,
            {"disqualifier": Counter(), "model": Counter(), "difficulty": Counter(),
             "channel": Counter()},
        )  # fmt: skip
        row["disqualifier"].update(f.disqualifiers or (NO_DISQUALIFIER,))
        row["model"].update(f.models)
        if f.difficulty is not None:
            row["difficulty"][f.difficulty] += 1
        row["channel"][f.channel] += 1
        for dq in f.disqualifiers or (NO_DISQUALIFIER,):
            for m in f.models:
                cells[(f.call_type, dq, m, f.difficulty, f.channel)] += 1

    counts = {
        "total": len(facts),
        "call_type": dict(sorted(call_type.items())),
        "group": dict(sorted(group.items())),
        "disqualifier": _ordered(disqualifier, (*DISQUALIFIERS, NO_DISQUALIFIER)),
        "model": _ordered(model, (ALL_MODELS, *DISPATCH_MODELS)),
        "difficulty": _ordered(difficulty, DIFFICULTIES),
        "channel": _ordered(channel, CHANNELS),
        "call_kind": _ordered(kind, KIND_LABELS),
    }
    special = {
        "crime_but_eligible": sum(f.crime_but_eligible for f in facts),
        "by_model_differing": sum(len(f.models) > 1 for f in facts),
        "hotline_closed_night": sum(f.hotline_closed_night for f in facts),
        "responders_unavailable": sum(f.responders_unavailable for f in facts),
        "third_party": sum(f.third_party for f in facts),
        "unsure_caller": sum(f.unsure_caller for f in facts),
    }
    return {
        "counts": counts,
        "special": special,
        "by_call_type": {
            code: {
                "total": call_type[code],
                "group": group_of[code],
                "disqualifier": _ordered(row["disqualifier"], (*DISQUALIFIERS, NO_DISQUALIFIER)),
                "model": _ordered(row["model"], (ALL_MODELS, *DISPATCH_MODELS)),
                "difficulty": _ordered(row["difficulty"], DIFFICULTIES),
                "channel": _ordered(row["channel"], CHANNELS),
            }
            for code, row in sorted(by_call_type.items())
        },
        "cells": [
            {
                "call_type": ct,
                "disqualifier": dq,
                "model": m,
                "difficulty": level,
                "channel": ch,
                "count": n,
            }
            for (ct, dq, m, level, ch), n in sorted(
                cells.items(), key=lambda item: tuple(str(part) for part in item[0])
            )
        ],
        "minimums": asdict(minimums),
        "gaps": find_gaps(counts, special, minimums),
    }
