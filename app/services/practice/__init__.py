"""Practice calls: start, play, submit (exactly once) and review an attempt.

Every function is keyword-only with the acting user first. A trainee only ever sees
their own attempts and their own agency's scenarios; the filters are in the SQL.

What the browser may see before submission is built by :func:`attempt_view` and
holds nothing of the expert key (no rationale, evidence, required questions,
unsafe routes, expert disposition or checks). The key appears only in
:func:`review_attempt`, after the attempt is submitted.

The package keeps each job in its own module and re-exports every name, so callers
import from ``app.services.practice`` as before:

- :mod:`.common`: modes and limits, :class:`AttemptClosed`, loading the trainee's rows,
  folding the recorded events (questions asked, marks);
- :mod:`.call`: starting and resuming a call, the call on screen, asking, calling back,
  marking and guided hints; :mod:`.caller` what the caller says (answers, the language
  line, a dropped line) and :mod:`.clips` the call's audio, both re-exported by ``.call``;
- :mod:`.submit`: submitting exactly once, the review after it, the trainee's list;
- :mod:`.choosing`: the history and the catalogue the adaptive choice reads;
- :mod:`.progress`: the "My training" summary.

:func:`next_scenario` and the call generator it falls back on stay here, so a test can
replace ``practice._generate_calls``.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from app.core import adaptive
from app.core.call_view import CONTEXT_SHOWN, PRIORITIES, caller_answer, question_catalogue
from app.errors import NotFound, UserError
from app.services.access import Actor, require
from app.services.practice.call import (
    TYPED_MODES,
    UNCLEAR_REPLY,
    LineDead,
    ask_question,
    ask_typed,
    attempt_view,
    call_back,
    clip_bytes,
    current_attempt,
    guided_hints,
    keep_alive,
    record_event,
    scenario_clip,
    set_transcript_setting,
    start_attempt,
    transcript_setting,
)
from app.services.practice.choosing import CATALOGUE_SECONDS, _candidates, _history
from app.services.practice.common import (
    CERT_PRACTICE_TARGET,
    DEFAULT_TIME_LIMIT,
    HISTORY_LIMIT,
    MARK_KINDS,
    MODE_LABELS,
    MODES,
    PRACTICE_MODES,
    AttemptClosed,
    marks_from_events,
)
from app.services.practice.progress import my_progress
from app.services.practice.submit import my_attempts, review_attempt, submit_attempt
from app.services.scope import protocol_for
from app.store.db import read_session, write_session
from app.store.models import Agency, row_id

__all__ = [
    "CATALOGUE_SECONDS",
    "CERT_PRACTICE_TARGET",
    "CONTEXT_SHOWN",
    "DEFAULT_TIME_LIMIT",
    "HISTORY_LIMIT",
    "MARK_KINDS",
    "MODES",
    "MODE_LABELS",
    "PRACTICE_MODES",
    "PRIORITIES",
    "AttemptClosed",
    "LineDead",
    "ask_question",
    "attempt_view",
    "call_back",
    "caller_answer",
    "clip_bytes",
    "current_attempt",
    "guided_hints",
    "marks_from_events",
    "my_attempts",
    "my_progress",
    "next_scenario",
    "protocol_for",
    "question_catalogue",
    "record_event",
    "review_attempt",
    "scenario_clip",
    "start_attempt",
    "submit_attempt",
    "TYPED_MODES",
    "UNCLEAR_REPLY",
    "ask_typed",
    "keep_alive",
    "set_transcript_setting",
    "transcript_setting",
]

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ choosing the next call


def _generate_calls(actor: Actor, profile: adaptive.Profile, count: int = 3) -> list[int]:
    """New generated calls for the agency, leaning towards the trainee's weak call types.

    Stored through the bank with ``source="generated"``. Returns the new scenario
    version ids; [] when the generator is unavailable or fails.
    """
    try:
        from app.core.generator import generate
    except ImportError:
        return []
    with read_session() as session:
        agency = session.get(Agency, actor.agency_id)
    protocol = protocol_for(agency.protocol_overrides if agency else None)
    seed = random.SystemRandom().randrange(1, 2**31)
    weak = adaptive.weakest(profile)["call_types"][:3]
    mixes: list[dict | None] = [dict.fromkeys(weak, 1.0), None] if weak else [None]
    produced = None
    for mix in mixes:
        try:
            produced = generate(count=count, seed=seed, mix=mix, protocol=protocol)
            break
        except TypeError:  # an older generator without these arguments
            try:
                produced = generate(count=count, seed=seed)
                break
            except Exception as exc:  # someone else's code: practice goes on
                log.warning("call generator failed: %s", exc)
        except Exception as exc:  # e.g. no template for a weak call type
            log.warning("call generator failed (mix %s): %s", mix, exc)
    if not produced:
        return []
    from app.services.bank import store_scenario

    ids = []
    with write_session() as session:
        for item in produced:
            data, text = _generated_pair(item)
            if data is None:
                continue
            row, _ = store_scenario(
                session=session,
                agency_id=actor.agency_id,
                data=data,
                text=text,
                source="generated",
            )
            if row.status == "published" and row.is_current:
                ids.append(row_id(row))
    return ids


def _generated_pair(item: Any) -> tuple[dict | None, str]:
    """(data, yaml text) from whatever the generator yields for one call."""
    import yaml

    if isinstance(item, tuple) and len(item) == 2:
        first, second = item
        if isinstance(first, dict):
            return first, str(second)
        if isinstance(second, dict):
            return second, str(first)
    data = getattr(item, "data", None)
    if isinstance(data, dict):
        for attr in ("yaml_text", "text", "yaml"):
            if isinstance(getattr(item, attr, None), str):
                return data, getattr(item, attr)
        return data, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if isinstance(item, dict):
        return item, yaml.safe_dump(item, sort_keys=False, allow_unicode=True)
    return None, ""


def next_scenario(*, actor: Actor, mode: str, rng: random.Random | None = None) -> int:
    """The scenario version the trainee should take next (adaptive).

    Unseen calls first, weighted towards the call types and disqualifiers the trainee
    gets wrong; when every call has been seen, new generated calls; failing that, the
    least recently seen.
    """
    require(actor, "practice")
    if mode not in PRACTICE_MODES:
        raise UserError(f"Practice mode must be one of: {', '.join(PRACTICE_MODES)}.")
    with read_session() as session:
        candidates = _candidates(session, actor)
        profile = adaptive.build_profile(_history(session, actor))
    if not adaptive.unseen(candidates):
        fresh = set(_generate_calls(actor, profile))
        if fresh:
            with read_session() as session:
                candidates = [c for c in _candidates(session, actor) if c.id in fresh] or candidates
    choice = adaptive.choose(candidates, profile, rng)
    if choice is None:
        raise NotFound("There are no published calls in your agency's bank yet.")
    return choice.id
