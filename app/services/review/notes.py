"""QA review notes on attempts."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from sqlmodel import Session

from app.core import analytics as an
from app.core.safe_text import strip_bidi
from app.errors import NotFound, UserError
from app.services.access import Actor, can, require
from app.services.review.sql import SUBMITTED, _run
from app.store.db import read_session, write_session
from app.store.models import ReviewNote, row_id

NOTE_MAX = 4000


# --- review notes -----------------------------------------------------------------------------


class ReviewNoteView(TypedDict):
    id: int
    text: str
    created_at: dt.datetime  # naive UTC
    author: str  # display name


def _notes(session: Session, actor: Actor, attempt_id: int) -> list[ReviewNoteView]:
    rows = _run(
        session,
        "SELECT n.id, n.text, n.created_at, u.display_name FROM reviewnote n "
        'JOIN "user" u ON u.id = n.author_id '
        "WHERE n.agency_id = :agency AND n.attempt_id = :aid ORDER BY n.created_at, n.id",
        agency=actor.agency_id,
        aid=attempt_id,
    )
    return [
        ReviewNoteView(id=i, text=t, created_at=an.naive_utc(c), author=a) for i, t, c, a in rows
    ]


def review_notes(*, actor: Actor, attempt_id: int) -> list[ReviewNoteView]:
    """QA notes on an attempt: supervisors for their agency, trainees for their own attempts."""
    if can(actor, "review_attempts"):
        owner_clause, extra = "", {}
    else:
        require(actor, "own_attempts")
        owner_clause, extra = "AND user_id = :uid", {"uid": actor.user_id}
    with read_session() as session:
        found = _run(
            session,
            "SELECT id FROM attempt WHERE id = :aid AND agency_id = :agency",
            owner_clause,
            aid=int(attempt_id),
            agency=actor.agency_id,
            **extra,
        )
        if not found:
            raise NotFound("No such attempt.")
        return _notes(session, actor, int(attempt_id))


def add_review_note(*, actor: Actor, attempt_id: int, text: str) -> ReviewNoteView:
    """Attach a QA review note to a submitted attempt of the actor's agency."""
    require(actor, "review_attempts")
    body = strip_bidi(text or "").strip()  # no direction controls to disguise a note
    if not body:
        raise UserError("Write the note first.")
    if len(body) > NOTE_MAX:
        raise UserError(f"A note may have at most {NOTE_MAX} characters.")
    with write_session() as session:
        found = _run(
            session,
            "SELECT id FROM attempt WHERE id = :aid AND agency_id = :agency AND status = :submitted",
            aid=int(attempt_id),
            agency=actor.agency_id,
            submitted=SUBMITTED,
        )
        if not found:
            raise NotFound("No such attempt in your agency.")
        note = ReviewNote(
            agency_id=actor.agency_id,
            attempt_id=int(attempt_id),
            author_id=actor.user_id,
            text=body,
        )
        session.add(note)
        session.flush()
        result = ReviewNoteView(
            id=row_id(note),
            text=note.text,
            created_at=note.created_at,
            author=actor.display_name or actor.username,
        )
    return result
