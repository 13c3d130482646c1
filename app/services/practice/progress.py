"""The "My training" summary and the next step it suggests.

Part of :mod:`app.services.practice`; import from the package.
"""

from __future__ import annotations

from app.core import adaptive
from app.core.protocol import DISQUALIFIERS
from app.services.access import Actor, require
from app.services.practice.choosing import _history
from app.services.practice.common import CERT_PRACTICE_TARGET
from app.services.scope import protocol_for
from app.store.db import read_session
from app.store.models import Agency


def my_progress(*, actor: Actor) -> dict:
    """The "My training" summary: lessons, attempts, scores, disqualifier accuracy, next step."""
    require(actor, "practice")
    from app.services import lessons

    modules = lessons.list_modules(actor=actor)
    with read_session() as session:
        history = _history(session, actor)
        agency = session.get(Agency, actor.agency_id)
    protocol = protocol_for(agency.protocol_overrides if agency else None)
    profile = adaptive.build_profile(history)
    scores = [h["score"] for h in history if h["score"] is not None]
    accuracy = {}
    for code in DISQUALIFIERS:
        tries = profile.disqualifier_tries.get(code, 0)
        missed = profile.disqualifier_missed.get(code, 0)
        accuracy[code] = {
            "label": protocol.disqualifiers[code].label,
            "tries": tries,
            "caught": tries - missed,
            "rate": (tries - missed) / tries if tries else None,
        }
    passed_calls = sum(1 for h in history if h["passed"])
    read = sum(1 for m in modules if m["read"])
    checks = sum(1 for m in modules if m["check_passed"])
    module_share = checks / len(modules) if modules else 0.0
    practice_share = min(1.0, passed_calls / CERT_PRACTICE_TARGET)
    progress = {
        "modules_total": len(modules),
        "modules_read": read,
        "modules_passed": checks,
        "modules": modules,
        "attempts": len(history),
        "passed_calls": passed_calls,
        "average_score": round(sum(scores) / len(scores), 1) if scores else None,
        "unsafe": sum(1 for h in history if h["unsafe"]),
        "over_routed": sum(1 for h in history if h["over_routed"]),
        "disqualifier_accuracy": accuracy,
        "focus": adaptive.weakest(profile),
        "readiness": round((module_share + practice_share) / 2, 3),
        "practice_target": CERT_PRACTICE_TARGET,
    }
    progress["next_step"] = _next_step(progress)
    return progress


def _next_step(progress: dict) -> dict:
    for module in progress["modules"]:
        if not module["read"]:
            return {
                "kind": "lesson",
                "module": module["slug"],
                "text": f"Read the lesson “{module['title']}”.",
            }
        if not module["check_passed"]:
            return {
                "kind": "check",
                "module": module["slug"],
                "text": f"Pass the knowledge check of “{module['title']}”.",
            }
    weak = [
        code
        for code, acc in progress["disqualifier_accuracy"].items()
        if acc["rate"] is not None and acc["tries"] >= 3 and acc["rate"] < 0.8
    ]
    if weak:
        return {
            "kind": "practice",
            "module": None,
            "text": "Practise more calls: you often miss the disqualifier "
            + ", ".join(f"“{progress['disqualifier_accuracy'][w]['label'].lower()}”" for w in weak)
            + ". The next calls lean towards it.",
        }
    if progress["passed_calls"] < progress["practice_target"]:
        left = progress["practice_target"] - progress["passed_calls"]
        return {
            "kind": "practice",
            "module": None,
            "text": f"Pass {left} more practice call{'s' if left != 1 else ''} "
            "before the certification exam.",
        }
    return {"kind": "exam", "module": None, "text": "You are ready: take the certification exam."}
