"""Scenario files: safe loading, validation against the format, and normalisation.

The contract is ``docs/scenario-format.md`` (format 1). :func:`parse_scenario`
reports *every* problem of one file as a :class:`Problem` (``FILE:LINE: message``) and
returns the scenario only when there is no error (a rejected file is never partly
loaded). :func:`load_paths` reads files and folders and adds the cross-file check
(duplicate ids).

The returned scenario dict is normalised (JSON-ready): every known key is present,
absent optional values are ``None`` (scalars) or empty (lists, mappings), texts are
stripped, code lists lose repeats, ``call.caller`` is always a mapping with
``role``/``relation``/``voice``, ``call.channel`` defaults to ``"911"`` and each
``checks`` entry has a ``model`` (default ``call_center_led``).

Decisions where the format leaves room (documented in content/grading.md too):

- YAML 1.1 reads some plain words as other types; where the format expects text (a
  caller's answer ``No``, a channel ``911``, an id ``1234``) the text written is used.
  Numbers are never read from text: ``version: "2"`` is an error.
- ``time`` must be text ``HH:MM``; an unquoted ``12:40`` is a number in YAML 1.1 and is
  refused with a hint to quote it.
- An exchange is either ``ask: <protocol question id>`` (the protocol's words are used;
  ``question:`` is not allowed) or ``id: <own id>`` with ``question:``; an ``id`` may not
  reuse a protocol question id; an exchange id appears once.
- ``by_model.<model>`` may hold ``disposition``, ``acceptable``, ``unsafe`` and
  ``rationale``; each key given replaces the default one, the others are inherited.
- The best route under every dispatch model must exist under that model at the call's
  time (otherwise the expert answer itself could not score 100).
- Merge keys, duplicate keys and non-text keys are errors.

The package splits the work by job and re-exports every name, so callers import from
``app.core.scenario`` as before:

- :mod:`.common`: the format's keys and limits, :class:`Problem`, :class:`LoadedScenario`;
- :mod:`.readers`: the checker's reporting and generic readers (text, codes, lists);
- :mod:`.call`, :mod:`.expert`, :mod:`.rules`: one checker mixin per section (``call``;
  ``expert``; ``checks`` and the rules across keys);
- :mod:`.checker`: the whole checker and :func:`parse_scenario`;
- :mod:`.files`: :func:`scenario_files`, :func:`read_scenario_file`, :func:`load_paths`;
- :mod:`.kinds`: :func:`call_kind`, the kind-of-call keys (format 3.9) with their defaults.
"""

from __future__ import annotations

from app.core.modules import MODULE_SLUGS  # the one list; importable from here too
from app.core.scenario.checker import _Checker, parse_scenario
from app.core.scenario.common import (
    BY_MODEL_KEYS,
    CALL_KEYS,
    CALL_REQUIRED,
    CALLER_KEYS,
    CHECK_KEYS,
    ENGLISH,
    EXCHANGE_ID_RE,
    EXCHANGE_KEYS,
    EXPECT_KEYS,
    EXPERT_KEYS,
    EXPERT_REQUIRED,
    FORMAT,
    ID_RE,
    LANGUAGE_RE,
    MAX_ID_LENGTH,
    MAX_REQUIRED_QUESTIONS,
    SCENARIO_SUFFIXES,
    SKIPPED_FOLDERS,
    TOP_KEYS,
    TOP_REQUIRED,
    LoadedScenario,
    Problem,
    exchange_id,
)
from app.core.scenario.files import load_paths, read_scenario_file, scenario_files
from app.core.scenario.kinds import KIND_LABELS, CallKind, call_kind

__all__ = [
    "BY_MODEL_KEYS",
    "CALLER_KEYS",
    "CALL_KEYS",
    "CALL_REQUIRED",
    "CHECK_KEYS",
    "ENGLISH",
    "EXCHANGE_ID_RE",
    "EXCHANGE_KEYS",
    "EXPECT_KEYS",
    "EXPERT_KEYS",
    "EXPERT_REQUIRED",
    "FORMAT",
    "ID_RE",
    "LANGUAGE_RE",
    "MAX_ID_LENGTH",
    "MAX_REQUIRED_QUESTIONS",
    "MODULE_SLUGS",
    "SCENARIO_SUFFIXES",
    "SKIPPED_FOLDERS",
    "TOP_KEYS",
    "TOP_REQUIRED",
    "KIND_LABELS",
    "CallKind",
    "LoadedScenario",
    "Problem",
    "_Checker",
    "call_kind",
    "exchange_id",
    "load_paths",
    "parse_scenario",
    "read_scenario_file",
    "scenario_files",
]
