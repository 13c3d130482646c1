"""Coherence of a call: does what the caller says hang together with itself and the facts?

The keying policy (:mod:`app.core.bank_lint`) checks the *key*. This package checks the
*words*, the faults a trainer notices when reading a generated call aloud:

- ``time``: greetings and time words fit the call's time ("Good morning" at 01:06 and
  "Not tonight" at 13:32 do not);
- ``role``: what the caller says about themselves fits their role and relation (a bus
  driver is not "staff here", a roommate does not call the person "my neighbor");
- ``one-fact``: one fact per thing across the whole call: one injury, one weapon object,
  one place, one relation (a blister does not become a cut);
- ``opener``: an opening does not play down an emergency the key contains ("it's not an
  emergency" over an unresponsive man);
- ``herring``: a red herring stays open until its own question is asked: nothing outside
  that answer settles it ("locked in the office" in the opening);
- ``grounded``: the rationale only leans on what the caller said (no "drinking or drug
  use" line when nobody mentioned either);
- ``kind``: a caller who does not know where they are names no street, a dropped call
  goes on when called back;
- ``model``: the text follows the agency's dispatch model (no hotline talk where the
  agency has no outside hotline);
- ``variety`` (a whole batch): no description or opening repeated across many calls.

Pure: it reads normalised scenario mappings (with the YAML text for line numbers when it
has it) and returns :class:`~app.core.bank_lint.Finding` objects ``FILE:LINE: message``,
each message naming the rule and the exchange. It never opens a file.

The package is split by rule; every public name of the old module is importable from here:

- :mod:`.call` — the caller's lines of a call, its hour, line numbers for findings;
- :mod:`.time_role` — the ``time`` and ``role`` rules;
- :mod:`.one_fact` — the ``one-fact`` rule (injuries, objects, places, sites, loot, ...);
- :mod:`.key` — the ``opener``, ``herring``, ``grounded`` and ``model`` rules;
- :mod:`.kind` — the ``kind`` rule and :func:`may_be_lost`;
- :mod:`.variety` — the ``variety`` rule over a batch and :func:`clothing_of`;
- :mod:`.running` — :data:`RULES`, :func:`check_call`, :func:`check_batch`, :func:`summary`.
"""

from __future__ import annotations

from app.core.generator.coherence.call import Line, caller_lines
from app.core.generator.coherence.key import (
    HOTLINE_WORDS,
    PLAYING_DOWN,
    SETTLES,
    SUBSTANCE_WORDS,
    rule_grounded,
    rule_herring,
    rule_model,
    rule_opener,
)
from app.core.generator.coherence.kind import (
    GROWN_UP,
    GUARDED_WORDS,
    SPOKEN,
    may_be_lost,
    rule_kind,
)
from app.core.generator.coherence.one_fact import (
    CLOTHES,
    DENIES_USE,
    DWELLING,
    HOME_ROOMS,
    INJURIES,
    INJURY_SOURCES,
    LOOT,
    OBJECT_SOURCES,
    OBJECTS,
    OUTSIDE,
    SITES,
    SPACES,
    USING_NOW,
    rule_one_fact,
    site_fits,
)
from app.core.generator.coherence.running import CALL_RULES, RULES, check_batch, check_call, summary
from app.core.generator.coherence.time_role import (
    ACROSS_THE_STREET,
    KIN_WORDS,
    ROLE_PLACES,
    TIME_WORDS,
    TITLES,
    WORKPLACE_ROLES,
    rule_role,
    rule_time,
)
from app.core.generator.coherence.variety import clothing_of, rule_variety, variety_cap

__all__ = [
    "ACROSS_THE_STREET",
    "CALL_RULES",
    "CLOTHES",
    "DENIES_USE",
    "DWELLING",
    "GROWN_UP",
    "GUARDED_WORDS",
    "HOME_ROOMS",
    "HOTLINE_WORDS",
    "INJURIES",
    "INJURY_SOURCES",
    "KIN_WORDS",
    "LOOT",
    "OBJECTS",
    "OBJECT_SOURCES",
    "OUTSIDE",
    "PLAYING_DOWN",
    "ROLE_PLACES",
    "RULES",
    "SETTLES",
    "SITES",
    "SPACES",
    "SPOKEN",
    "SUBSTANCE_WORDS",
    "TIME_WORDS",
    "TITLES",
    "USING_NOW",
    "WORKPLACE_ROLES",
    "Line",
    "caller_lines",
    "check_batch",
    "check_call",
    "clothing_of",
    "may_be_lost",
    "rule_grounded",
    "rule_herring",
    "rule_kind",
    "rule_model",
    "rule_one_fact",
    "rule_opener",
    "rule_role",
    "rule_time",
    "rule_variety",
    "site_fits",
    "summary",
    "variety_cap",
]
