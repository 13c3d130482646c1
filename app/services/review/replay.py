"""An attempt's events judged against the key: the timeline, the checklist, the script."""

from __future__ import annotations

import functools

import pandas as pd

from app.core import analytics as an
from app.core.grading import duration_text


def _json(value):
    if isinstance(value, str):
        import json

        return json.loads(value)
    return value


def _effective_key(scenario: dict, model: str) -> dict:
    """The key under the attempt's dispatch model (core grading's, else the contract's rule)."""
    try:
        from app.core.grading import effective_key

        return dict(effective_key(scenario, model))
    except ImportError:  # pragma: no cover - the core helper's module not there yet
        expert = dict(scenario.get("expert") or {})
        override = (expert.pop("by_model", None) or {}).get(model) or {}
        expert.update(override)
        return expert


def _question_texts(scenario: dict) -> dict[str, str]:
    texts: dict[str, str] = {}
    try:
        from app.core.protocol import load_protocol

        texts = {q: item.text for q, item in load_protocol().questions.items()}
    except Exception:  # noqa: S110 - protocol module optional here; ids are shown instead
        pass
    for exchange in (scenario.get("call") or {}).get("exchanges") or []:
        if exchange.get("id") and exchange.get("question"):
            texts[exchange["id"]] = exchange["question"]
    return texts


@functools.cache
def _protocol_words() -> dict[str, str]:
    """Protocol codes in words (call types, routes, disqualifiers; questions apart)."""
    from app.core.protocol import load_protocol

    protocol = load_protocol()
    words = {code: item.label for code, item in protocol.call_types.items()}
    words.update(protocol.disposition_labels)
    words.update({code: item.label for code, item in protocol.disqualifiers.items()})
    return words


def _label(code: object) -> str:
    """A protocol code in the protocol's words; an unknown code with spaces for ``_``."""
    if code is None:
        return ""
    return _protocol_words().get(str(code)) or str(code).replace("_", " ")


def _question(question_id: object, texts: dict[str, str] | None = None) -> str:
    """A question id as the question's words (the call's own, else the protocol's)."""
    if question_id is None:
        return ""
    texts = texts if texts is not None else _question_texts({})
    return texts.get(str(question_id)) or str(question_id).replace("_", " ")


_HIDDEN = ("seen", "resume")  # the heartbeat; a resume is shown with its pause


def _quoted(text: object) -> str:
    """The trainee's words in quotes, on one line and cut short when long."""
    words = " ".join(str(text or "").split())
    return f"'{words[:117]}…'" if len(words) > 120 else f"'{words}'"


def _pause_lengths(events: list) -> list[tuple[dict, float]]:
    """Each ``pause`` event with the seconds until its ``resume`` (wall clock)."""
    out, start = [], None
    for event in events:
        if not isinstance(event, dict):
            continue
        if event.get("kind") == "pause" and start is None:
            start = event
        elif event.get("kind") == "resume" and start is not None:
            seconds = float(event.get("w") or 0) - float(start.get("w") or 0)
            out.append((start, round(max(0.0, seconds), 1)))
            start = None
    return out


# Most attempts have nothing typed and no pause: their empty tables are copies of these
# (a copy costs a twentieth of building one).
_NO_TYPED = pd.DataFrame(columns=["t", "typed", "matched", "score"])
_NO_PAUSES = pd.DataFrame(columns=["t", "seconds"])


def typed_questions(events: list) -> pd.DataFrame:
    """What the trainee typed, in order: second, the words, the question it matched
    (None when it asked nothing the caller could answer) and the matcher's score."""
    rows = [
        (
            float(e.get("t") or 0.0),
            " ".join(str(e.get("typed")).split()),
            e.get("value") if e.get("kind") == "ask" else None,
            e.get("score"),
        )
        for e in events
        if isinstance(e, dict) and e.get("typed") and e.get("kind") in ("ask", "unmatched")
    ]
    if not rows:
        return _NO_TYPED.copy()
    t, typed, matched, score = (list(column) for column in zip(*rows, strict=True))
    # "matched" is built as objects so a sentence not understood stays None, never NaN.
    return pd.DataFrame(
        {"t": t, "typed": typed, "matched": pd.Series(matched, dtype=object), "score": score}
    )


def pause_table(events: list) -> pd.DataFrame:
    """Each pause of the call: the call second it began at and how long it lasted."""
    rows = [
        {"t": float(start.get("t") or 0.0), "seconds": seconds}
        for start, seconds in _pause_lengths(events)
    ]
    return pd.DataFrame(rows, columns=["t", "seconds"]) if rows else _NO_PAUSES.copy()


def replay_timeline(events: list, key: dict, questions: dict[str, str]) -> pd.DataFrame:
    """The trainee's events in time order, each judged against the key.

    Event kinds as the practice service records them: ``ask`` (value: question id;
    with ``typed``, the words the trainee typed), ``unmatched`` (a typed sentence that
    asked nothing the caller could answer), ``disqualifier`` (value: ``{"code", "on"}``,
    a toggle), ``call_type``, ``priority``, ``disposition``, ``callback`` (a dropped call
    rung back), and ``pause``/``resume``
    (the call screen was closed; one row per pause, its value the seconds it lasted).
    The heartbeat (``seen``) is left out; any other kind is shown as it is.
    """
    key_dq = set(key.get("disqualifiers") or [])
    required = set(key.get("required_questions") or [])
    evidence = {v: k for k, v in (key.get("evidence") or {}).items()}
    best = key.get("disposition")
    acceptable = set(key.get("acceptable") or [])
    unsafe = set(key.get("unsafe") or [])
    rows = []
    items = [e for e in events if isinstance(e, dict) and e.get("kind") not in _HIDDEN]
    lasted = {id(p): s for p, s in _pause_lengths(events)}
    ordered = sorted(items, key=lambda e: float(e.get("t") or 0))
    for event in ordered:
        kind = str(event.get("kind", ""))
        value = event.get("value")
        shown = "" if value is None else str(value)
        label, verdict, judgement = _label(value), "", "neutral"
        if kind == "pause":
            seconds = lasted.get(id(event), 0.0)
            shown = f"{seconds:g}"
            label = (
                f"paused {duration_text(seconds)}: the call screen was closed or the line dropped"
            )
            verdict = "not counted as call time"
        elif kind == "callback":
            label = "called the caller back after the line went dead"
            shown, verdict, judgement = "", "needed before any question", "good"
        elif kind == "unmatched":
            label = f"typed: {_quoted(event.get('typed'))} → not understood"
            verdict = "counts as nothing"
        elif kind == "ask":
            label = questions.get(str(value), _label(value))
            if event.get("typed"):
                label = f"typed: {_quoted(event.get('typed'))} → {_question(value, questions)}"
            verdict = "required" if value in required else "extra"
            judgement = "good" if value in required else "neutral"
            if value in evidence:
                verdict += f"; reveals {_label(evidence[value])}"
        elif kind == "disqualifier":
            code = value.get("code") if isinstance(value, dict) else value
            on = bool(value.get("on", True)) if isinstance(value, dict) else True
            shown = f"{code} {'on' if on else 'off'}"
            label = f"{'flagged' if on else 'unflagged'} {_label(code)}"
            right = (code in key_dq) == on
            judgement = "good" if right else "bad"
            if on:
                verdict = "in the key" if code in key_dq else "not in the key"
            else:
                verdict = "removed a key disqualifier" if code in key_dq else "undid an over-flag"
        elif kind == "call_type":
            expected = key.get("call_type")
            verdict = "correct" if value == expected else f"key: {_label(expected)}"
            judgement = "good" if value == expected else "bad"
        elif kind == "priority":
            expected = key.get("priority")
            if expected is not None:
                verdict = "correct" if value == expected else f"key: {expected}"
                judgement = "good" if value == expected else "bad"
        elif kind == "disposition":
            if value == best:
                verdict, judgement = "best route", "good"
            elif value in unsafe or (value == "community_responder" and key_dq):
                verdict, judgement = "UNSAFE", "bad"
            elif value in acceptable:
                verdict = "acceptable"
            else:
                verdict, judgement = f"key: {_label(best)}", "bad"
        rows.append(
            {
                "t": float(event.get("t") or 0.0),
                "kind": kind,
                "value": shown,
                "label": label,
                "verdict": verdict,
                "judgement": judgement,
            }
        )
    return pd.DataFrame(rows, columns=["t", "kind", "value", "label", "verdict", "judgement"])


def key_checklist(key: dict, answer: dict, timeline: pd.DataFrame) -> pd.DataFrame:
    """Each item of the key next to what the trainee did (and when)."""
    asked_at: dict[str, float] = {}
    for row in timeline.itertuples():
        if row.kind == "ask" and row.value not in asked_at:
            asked_at[row.value] = row.t
    asked = set(answer.get("questions") or []) | set(asked_at)
    marked = set(answer.get("disqualifiers") or [])
    rows = []
    for q in key.get("required_questions") or []:
        when = asked_at.get(q)
        rows.append(
            {
                "item": f"ask: {_question(q)}",
                "expected": "asked",
                "trainee": (f"asked at {duration_text(when)}" if when is not None else "asked")
                if q in asked
                else "not asked",
                "ok": q in asked,
            }
        )
    for code in an.DISQUALIFIERS:
        expected = code in (key.get("disqualifiers") or [])
        rows.append(
            {
                "item": f"disqualifier: {_label(code)}",
                "expected": "present" if expected else "absent",
                "trainee": "flagged" if code in marked else "not flagged",
                "ok": expected == (code in marked),
            }
        )
    rows.append(
        {
            "item": "call type",
            "expected": _label(key.get("call_type")),
            "trainee": _label(answer.get("call_type")),
            "ok": answer.get("call_type") == key.get("call_type"),
        }
    )
    chosen = answer.get("disposition")
    ok_routes = {key.get("disposition"), *(key.get("acceptable") or [])}
    rows.append(
        {
            "item": "route",
            "expected": _label(key.get("disposition"))
            + (
                f" (also acceptable: {', '.join(_label(r) for r in key.get('acceptable') or [])})"
                if key.get("acceptable")
                else ""
            ),
            "trainee": _label(chosen),
            "ok": chosen in ok_routes,
        }
    )
    target = key.get("time_target_seconds")
    seconds = answer.get("seconds")
    if target is not None or seconds is not None:
        rows.append(
            {
                "item": "time",
                "expected": f"within {duration_text(target)}" if target else "-",
                "trainee": duration_text(seconds) if seconds is not None else "-",
                "ok": seconds is None or target is None or float(seconds) <= float(target),
            }
        )
    return pd.DataFrame(rows, columns=["item", "expected", "trainee", "ok"])


def _exchanges(scenario: dict, timeline: pd.DataFrame) -> pd.DataFrame:
    asked_at: dict[str, float] = {}
    for row in timeline.itertuples():
        if row.kind == "ask" and row.value not in asked_at:
            asked_at[row.value] = row.t
    rows = []
    for exchange in (scenario.get("call") or {}).get("exchanges") or []:
        qid = exchange.get("ask") or exchange.get("id")
        rows.append(
            {
                "question": exchange.get("question") or _question(qid),
                "caller_answer": exchange.get("answer", ""),
                "asked_at": asked_at.get(qid),
            }
        )
    return pd.DataFrame(rows, columns=["question", "caller_answer", "asked_at"])
