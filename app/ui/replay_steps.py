"""The names of a replay's steps, as the supervisor pages show them (one list for all)."""

STEP_LABELS = {
    "callback": "Call back",
    "ask": "Question",
    "unmatched": "Not understood",
    "disqualifier": "Disqualifier",
    "call_type": "Call type",
    "priority": "Priority",
    "disposition": "Route",
    "pause": "Paused",
}
