"""The call-screening protocol: codes, labels, questions and which routes exist when.

The default protocol lives in ``content/protocols/default.yaml``; an agency may override
a few parts of it (see ``content/protocols/README.md``) through :func:`load_protocol`.
The codes named by the scenario format always exist and are constants here: this package
is their one home (:mod:`.codes`); the protocol object is in :mod:`.model`, and reading
the default file and an agency's overrides in :mod:`.loading`.
"""

from __future__ import annotations

from app.core.protocol.codes import (
    AMBIENCES,
    CALL_TYPE_GROUPS,
    CALL_TYPES,
    CHANNELS,
    CONTEXT_KEYS,
    DEMANDS,
    DISPATCH_MODELS,
    DISPOSITIONS,
    DISQUALIFIERS,
    ELIGIBLE_CALL_TYPES,
    NOT_ELIGIBLE_CALL_TYPES,
    POLICE_DISPOSITIONS,
    POLICE_LED_DISPOSITIONS,
    QUESTION_IDS,
    RELATIONS,
    ROUTES_MEETING,
    SCREENED_CHANNELS,
    demands_of,
    unmet_demands,
)
from app.core.protocol.loading import (
    DEFAULT_PROTOCOL_FILE,
    LABEL_SECTIONS,
    MAX_PHRASING_CHARS,
    MAX_PHRASINGS,
    OVERRIDE_KEYS,
    default_protocol,
    load_protocol,
)
from app.core.protocol.model import (
    ALWAYS_OPEN,
    NEUTRAL_ANSWER,
    CallType,
    DispatchModel,
    Disqualifier,
    Protocol,
    ProtocolError,
    Question,
    is_hhmm,
    parse_hhmm,
    parse_hours,
)

__all__ = [
    "ALWAYS_OPEN",
    "AMBIENCES",
    "CALL_TYPES",
    "CALL_TYPE_GROUPS",
    "CHANNELS",
    "CONTEXT_KEYS",
    "DEFAULT_PROTOCOL_FILE",
    "DEMANDS",
    "DISPATCH_MODELS",
    "DISPOSITIONS",
    "DISQUALIFIERS",
    "ELIGIBLE_CALL_TYPES",
    "LABEL_SECTIONS",
    "MAX_PHRASINGS",
    "MAX_PHRASING_CHARS",
    "NEUTRAL_ANSWER",
    "NOT_ELIGIBLE_CALL_TYPES",
    "OVERRIDE_KEYS",
    "POLICE_DISPOSITIONS",
    "POLICE_LED_DISPOSITIONS",
    "QUESTION_IDS",
    "RELATIONS",
    "ROUTES_MEETING",
    "SCREENED_CHANNELS",
    "CallType",
    "DispatchModel",
    "Disqualifier",
    "Protocol",
    "ProtocolError",
    "Question",
    "default_protocol",
    "demands_of",
    "is_hhmm",
    "load_protocol",
    "parse_hhmm",
    "parse_hours",
    "unmet_demands",
]
