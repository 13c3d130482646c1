"""The words of the actor's agency protocol for its codes, so pages never show raw codes.

A page that shows disqualifier, call type, route or question codes asks for these once
(cached by agency) and maps the codes through them.
"""

from __future__ import annotations

from app.errors import AccessDenied
from app.services.access import PERMISSIONS, Actor, can
from app.services.scope import actor_agency, agency_protocol
from app.store.db import read_session

MODE_LABELS = {
    "guided": "Guided",
    "standard": "Standard",
    "timed": "Timed",
    "exam": "Exam",
    "practice": "Practice",
}


def protocol_words(*, actor: Actor) -> dict[str, dict[str, str]]:
    """``{"disqualifiers": {code: label}, "call_types": ..., "routes": ..., "questions":
    ..., "groups": ..., "models": ..., "modes": ...}`` for any logged-in user's agency."""
    if actor is None or not any(can(actor, permission) for permission in PERMISSIONS):
        raise AccessDenied("Please log in first.")
    with read_session() as session:
        protocol = agency_protocol(actor_agency(session, actor))
    return {
        "disqualifiers": {code: d.label for code, d in protocol.disqualifiers.items()},
        "call_types": {code: c.label for code, c in protocol.call_types.items()},
        "routes": dict(protocol.disposition_labels),
        "questions": {qid: q.text for qid, q in protocol.questions.items()},
        "groups": dict(protocol.groups),
        "models": {code: m.label for code, m in protocol.models.items()},
        "modes": dict(MODE_LABELS),
    }


def words_for(codes: object, labels: dict[str, str], *, sep: str = ", ") -> str:
    """``"weapon,threat"`` or ``["weapon"]`` as ``"Weapon, Threat of violence"``."""
    if codes is None or (isinstance(codes, float) and codes != codes):  # None or NaN
        return ""
    items = codes.split(",") if isinstance(codes, str) else list(codes)  # type: ignore[call-overload]
    return sep.join(
        labels.get(str(c).strip(), str(c).strip().replace("_", " "))
        for c in items
        if str(c).strip()
    )
