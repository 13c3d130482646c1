"""Who may do what. Every service call passes through :func:`require`.

Pages also call it before drawing anything; hiding a menu entry is never the check.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import AccessDenied

# permission -> roles that hold it (within their own agency).
PERMISSIONS: dict[str, frozenset[str]] = {
    "practice": frozenset({"trainee"}),
    "lessons": frozenset({"trainee", "trainer", "supervisor"}),
    "exam": frozenset({"trainee"}),
    "own_attempts": frozenset({"trainee"}),
    "author_scenarios": frozenset({"trainer"}),
    "calibrate": frozenset({"trainer"}),
    "item_analysis": frozenset({"trainer", "supervisor"}),
    "edit_protocol": frozenset({"trainer", "admin"}),
    "review_attempts": frozenset({"supervisor"}),
    "analytics": frozenset({"supervisor"}),
    "sign_off": frozenset({"supervisor"}),
    "revoke": frozenset({"supervisor", "admin"}),
    "manage_users": frozenset({"admin"}),
    "audit": frozenset({"supervisor", "admin"}),
    "regrade": frozenset({"admin"}),  # store grades under new rules beside the old ones
}


@dataclass(frozen=True)
class Actor:
    """The logged-in user as services see it (ids only, never an ORM object)."""

    user_id: int
    agency_id: int
    role: str
    username: str = ""
    display_name: str = ""
    # An admin set the password (a new user's first one, or a reset): nothing is allowed
    # until the user sets one of their own.
    must_change_password: bool = False


class PasswordChangeRequired(AccessDenied):
    """The actor logged in with a one-time password and must set their own first."""


def can(actor: Actor | None, permission: str) -> bool:
    if actor is None or actor.must_change_password:
        return False
    return actor.role in PERMISSIONS[permission]


def require(actor: Actor | None, permission: str, *, agency_id: int | None = None) -> Actor:
    """Return the actor if it holds ``permission`` (in ``agency_id`` when given), else raise."""
    if actor is None:
        raise AccessDenied("Please log in first.")
    if permission not in PERMISSIONS:
        raise KeyError(permission)
    if actor.must_change_password:
        raise PasswordChangeRequired(
            "Your password was set by an administrator. Choose a password of your own first."
        )
    if actor.role not in PERMISSIONS[permission]:
        raise AccessDenied(f"Your role ({actor.role}) may not do this.")
    if agency_id is not None and agency_id != actor.agency_id:
        raise AccessDenied("That belongs to another agency.")
    return actor


def require_same_agency(actor: Actor, agency_id: int) -> None:
    if agency_id != actor.agency_id:
        raise AccessDenied("That belongs to another agency.")
