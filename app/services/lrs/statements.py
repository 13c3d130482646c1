"""xAPI 1.0.3 statements for the events the records system keeps (pure: no database).

Every statement's id is a UUID5 of the event it records (its *event key*, such as
``attempt:42:submitted``) and of the site, so the same event always gives the same id and
an LRS that already holds it keeps one copy. The shapes are set out in
``docs/integrations.md``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

XAPI_VERSION = "1.0.3"
# Fixed namespace for our statement ids (never change it: ids would change with it).
ID_NAMESPACE = uuid.UUID("6f1d7c52-4a0e-5b8e-9d3c-2b7e51c0a9f4")
DEFAULT_HOME = "https://callscreen-academy.invalid"
PLATFORM = "CallScreen Academy"

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS: dict[str, str] = {
    "completed": ADL + "completed",
    "passed": ADL + "passed",
    "failed": ADL + "failed",
    "earned": "http://id.tincanapi.com/verb/earned",
    "renewed": "https://callscreen-academy.invalid/xapi/verbs/renewed",
    "revoked": "https://callscreen-academy.invalid/xapi/verbs/revoked",
}
ACTIVITY_TYPES = {
    "call": "http://adlnet.gov/expapi/activities/simulation",
    "exam": "http://adlnet.gov/expapi/activities/assessment",
    "certificate": "https://w3id.org/xapi/cmi5/activitytype/course",
}
EXT = "https://callscreen-academy.invalid/xapi/extensions/"


def statement_id(home: str, event_key: str) -> str:
    """The stable id of the statement for one event at one site."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{home.rstrip('/')}|{event_key}"))


def _iso(when: dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(seconds: float | None) -> str | None:
    if seconds is None or seconds < 0:
        return None
    return f"PT{round(float(seconds), 2)}S"


# Key order in the dicts below is the order in the JSON sent and stored: keep it.


class Account(TypedDict):
    homePage: str  # the trainee's agency at this site
    name: str  # user name


class Agent(TypedDict):
    """The trainee as an xAPI Agent."""

    objectType: str  # always "Agent"
    name: str
    account: Account


class Verb(TypedDict):
    id: str  # IRI
    display: dict[str, str]  # language tag -> word


class ActivityDefinition(TypedDict):
    type: str  # activity type IRI
    name: dict[str, str]  # language tag -> name


class Activity(TypedDict):
    objectType: str  # always "Activity"
    id: str  # IRI under this site
    definition: ActivityDefinition


class Score(TypedDict):
    scaled: float  # raw / 100
    raw: int  # 0-100
    min: int
    max: int


class Result(TypedDict):
    completion: bool
    success: NotRequired[bool]  # missing when there is no pass or fail to report
    score: NotRequired[Score]  # missing without a score
    duration: NotRequired[str]  # ISO 8601 such as "PT93.5S"; missing without a time
    extensions: dict[str, Any]  # free-form JSON keyed by extension IRI


class Context(TypedDict):
    platform: str
    extensions: dict[str, Any]  # free-form JSON keyed by extension IRI (agency always there)


class Statement(TypedDict):
    """One xAPI 1.0.3 statement."""

    id: str  # UUID5 of the event key and the site (see statement_id)
    actor: Agent
    verb: Verb
    object: Activity
    timestamp: str  # ISO 8601 UTC with milliseconds and "Z"
    version: str  # XAPI_VERSION
    result: Result
    context: Context


def actor(home: str, *, username: str, display_name: str, agency: str) -> Agent:
    """The trainee as an xAPI Agent identified by their account at this site."""
    return Agent(
        objectType="Agent",
        name=display_name or username,
        account=Account(homePage=f"{home.rstrip('/')}/agency/{agency}", name=username),
    )


def _verb(name: str) -> Verb:
    return Verb(id=VERBS[name], display={"en-US": name})


def _activity(iri: str, kind: str, name: str) -> Activity:
    return Activity(
        objectType="Activity",
        id=iri,
        definition=ActivityDefinition(
            type=ACTIVITY_TYPES[kind], name={"en-US": name or "untitled"}
        ),
    )


def _context(agency: str, extra: Mapping[str, Any] | None = None) -> Context:
    extensions = {EXT + "agency": agency, **{EXT + k: v for k, v in (extra or {}).items()}}
    return Context(platform=PLATFORM, extensions=extensions)


def _score(score: float | int | None) -> Score | None:
    if score is None:
        return None
    raw = max(0, min(100, int(score)))
    return Score(scaled=round(raw / 100, 4), raw=raw, min=0, max=100)


def _statement(
    sid: str,
    who: Agent,
    verb: str,
    obj: Activity,
    when: dt.datetime,
    result: Result,
    context: Context,
) -> Statement:
    return Statement(
        id=sid,
        actor=who,
        verb=_verb(verb),
        object=obj,
        timestamp=_iso(when),
        version=XAPI_VERSION,
        result=result,
        context=context,
    )


def attempt_statement(
    *,
    home: str,
    who: Agent,
    agency: str,
    attempt_id: int,
    mode: str,
    scenario_key: str,
    scenario_version: int,
    title: str,
    score: int | None,
    passed: bool | None,
    seconds: float | None,
    submitted_at: dt.datetime,
    marked: list[str],
    missed: list[str],
    extra: list[str],
    route: str | None,
    expert_route: str | None,
    rules: int,
) -> Statement:
    """``completed`` for one submitted call (practice or exam)."""
    result: Result = {
        "completion": True,
        "extensions": {
            EXT + "disqualifiers": {"marked": marked, "missed": missed, "extra": extra},
            EXT + "route": {"chosen": route, "expert": expert_route},
            EXT + "rules": rules,
            EXT + "scenario-version": scenario_version,
        },
    }
    if (score_part := _score(score)) is not None:
        result["score"] = score_part
    if passed is not None:
        result["success"] = bool(passed)
    if (duration := _duration(seconds)) is not None:
        result["duration"] = duration
    site = home.rstrip("/")
    return _statement(
        statement_id(home, f"attempt:{attempt_id}:submitted"),
        who,
        "completed",
        _activity(f"{site}/scenarios/{scenario_key}", "call", title),
        submitted_at,
        result,
        _context(agency, {"mode": mode, "attempt": attempt_id}),
    )


def exam_statement(
    *,
    home: str,
    who: Agent,
    agency: str,
    exam_id: int,
    track: str,
    track_title: str,
    score: int | None,
    passed: bool,
    seconds: float | None,
    finished_at: dt.datetime,
    calls: int,
    reasons: list[str],
) -> Statement:
    """``passed`` or ``failed`` for a finished certification exam."""
    result: Result = {
        "completion": True,
        "success": bool(passed),
        "extensions": {EXT + "calls": calls, EXT + "reasons": reasons},
    }
    if (score_part := _score(score)) is not None:
        result["score"] = score_part
    if (duration := _duration(seconds)) is not None:
        result["duration"] = duration
    site = home.rstrip("/")
    return _statement(
        statement_id(home, f"exam:{exam_id}:result"),
        who,
        "passed" if passed else "failed",
        _activity(f"{site}/exams/{track}", "exam", track_title),
        finished_at,
        result,
        _context(agency, {"exam": exam_id}),
    )


def certificate_event_key(certificate_id: int, change: str, expires_at: dt.datetime) -> str:
    """A renewal is a new event each time (keyed by the new expiry); issue and revoke once."""
    if change == "renewed":
        return f"certificate:{certificate_id}:renewed:{_iso(expires_at)}"
    return f"certificate:{certificate_id}:{change}"


def certificate_statement(
    *,
    home: str,
    who: Agent,
    agency: str,
    certificate_id: int,
    change: str,
    track: str,
    track_title: str,
    code: str,
    issued_at: dt.datetime,
    expires_at: dt.datetime,
    when: dt.datetime,
    verify_url: str,
    reason: str | None = None,
) -> Statement:
    """``earned`` (issued), ``renewed`` or ``revoked`` for a certificate."""
    verb = {"issued": "earned", "renewed": "renewed", "revoked": "revoked"}[change]
    site = home.rstrip("/")
    extensions: dict[str, Any] = {
        EXT + "certificate-code": code,
        EXT + "issued": _iso(issued_at),
        EXT + "expires": _iso(expires_at),
        EXT + "verify": verify_url,
    }
    if reason:
        extensions[EXT + "reason"] = reason
    result: Result = {"completion": True, "extensions": extensions}
    if change == "issued":
        result["success"] = True
    return _statement(
        statement_id(home, certificate_event_key(certificate_id, change, expires_at)),
        who,
        verb,
        _activity(f"{site}/certifications/{track}", "certificate", track_title),
        when,
        result,
        _context(agency, {"certificate": certificate_id}),
    )
