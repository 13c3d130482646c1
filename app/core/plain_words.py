"""Plain words for counts and audit-log entries (pure).

Pages show "1 entry", "3 entries" and "20 of 20 practice calls", never "1 entries" or
"43 of 20"; the audit log shows "Role changed" and "Certificate 3", not ``role_changed``
and ``certificate:3``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Irregular plurals of the nouns pages count; others take an "s".
_PLURALS = {
    "entry": "entries",
    "problem": "problems",
    "check": "checks",
    "knowledge check": "knowledge checks",
    "person": "people",
}

EVENT_LABELS: dict[str, str] = {
    "exam_started": "Exam started",
    "exam_result": "Exam finished",
    "sign_off": "Exam signed off",
    "certificate_issued": "Certificate issued",
    "revoked": "Certificate revoked",
    "expired": "Certificate expired",
    "renewed": "Certificate renewed",
    "regrade": "Grades worked out again under new rules",
    "certificate_review": "Certificate to review under new rules",
    "content_draft": "Scenario saved as a draft",
    "content_approved": "Scenario draft approved",
    "content_published": "Scenario published",
    "content_rejected": "Scenario draft rejected",
    "content_retired": "Scenario taken out of use",
    "review_settings": "Content review rules changed",
    "user_created": "User added",
    "user_disabled": "User disabled",
    "user_enabled": "User enabled",
    "role_changed": "Role changed",
    "password_reset": "Password reset by an admin",
}

# Payload keys in words; a key not listed is shown with its underscores as spaces.
DETAIL_LABELS: dict[str, str] = {
    "user_id": "user no.",
    "logins_ended": "logins ended",
    "from": "from",
    "to": "to",
    "track": "track",
    "calls": "calls",
    "score": "score",
    "passed": "passed",
    "reason": "reason",
    "revoked_at": "revoked on",
    "expires_at": "runs out on",
}

_SUBJECT_KINDS = {"exam": "Exam", "certificate": "Certificate", "agency": "Agency"}


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``"1 entry"``, ``"2 entries"``, ``"0 entries"``."""
    word = noun if count == 1 else (many or _PLURALS.get(noun) or f"{noun}s")
    return f"{count} {word}"


def capped(done: int, target: int) -> int:
    """A count shown against its target never exceeds it (the rest is said apart)."""
    return max(0, min(int(done), int(target)))


def of_target(done: int, target: int, noun: str) -> str:
    """``"20 of 20 practice calls"`` however many were done beyond the target."""
    shown = capped(done, target)
    return f"{shown} of {plural(target, noun)}"


def event_label(event: str) -> str:
    """The event in words; an event this module does not know yet reads sensibly too."""
    return EVENT_LABELS.get(event) or event.replace("_", " ").strip().capitalize()


def subject_label(subject: str) -> str:
    """``certificate:3`` -> ``Certificate 3``; ``user sam`` stays as it is."""
    kind, sep, rest = subject.partition(":")
    if sep and kind in _SUBJECT_KINDS:
        return f"{_SUBJECT_KINDS[kind]} {rest}"
    return subject


def _value(value: Any, labels: Mapping[str, str]) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return labels.get(value, value)
    if isinstance(value, list | tuple):
        return ", ".join(_value(v, labels) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_value(v, labels)}" for k, v in value.items())
    return str(value)


def details_text(payload: Mapping[str, Any] | None, labels: Mapping[str, str] = {}) -> str:
    """An entry's details as ``"from: Trainee · to: Trainer"`` (``labels`` maps codes to
    words, such as role or protocol codes)."""
    if not payload:
        return ""
    parts = []
    for key in sorted(payload):
        name = DETAIL_LABELS.get(key) or key.replace("_", " ")
        parts.append(f"{name}: {_value(payload[key], labels)}")
    return " · ".join(parts)
