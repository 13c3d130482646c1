"""The agency protocol: dispatch model, eligible call types, hotline hours, own questions,
and the agency's own wordings of each question for the typed-question matcher."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TypedDict, cast

from sqlmodel import select

from app.core.protocol import DISPATCH_MODELS, default_protocol, load_protocol
from app.core.protocol.loading import MAX_PHRASING_CHARS, MAX_PHRASINGS
from app.core.question_match import Match, match_question
from app.core.scenario import parse_scenario
from app.errors import UserError
from app.services.access import Actor, require
from app.services.scope import actor_agency, agency_protocol
from app.store.db import read_session, write_session
from app.store.models import Agency, ScenarioVersion

# ------------------------------------------------------------------ the agency protocol


class CallTypeSetting(TypedDict):
    code: str
    label: str
    group: str
    eligible: bool
    default_eligible: bool | None  # None: the agency's own call type


class ExtraQuestion(TypedDict):
    id: str
    text: str
    default_answer: str


class QuestionWordings(TypedDict):
    id: str
    text: str
    standard: list[str]  # the default protocol's wordings, always understood
    own: list[str]  # the agency's added wordings


class CallTypeOverride(TypedDict, total=False):
    label: str  # required for an agency's own call type
    eligible: bool  # for community responders
    group: str  # required for an agency's own call type


class QuestionOverride(TypedDict, total=False):
    text: str  # required for an agency's own question
    default_answer: str  # what the caller says when the call does not say
    phrasings: list[str]  # the agency's wordings, added to the standard ones


class ProtocolOverrides(TypedDict, total=False):
    """An agency's changes to the default protocol (``Agency.protocol_overrides``); every
    part is optional (content/protocols/README.md, checked by ``load_protocol``)."""

    format: int  # 1
    name: str
    dispatch_model: str
    hotline_hours: str  # "24/7" or "HH:MM-HH:MM"
    call_types: dict[str, CallTypeOverride]  # code -> changes, or a new call type
    questions: dict[str, QuestionOverride]  # id -> changes, or a new question
    labels: dict[str, dict[str, str]]  # section -> code -> the agency's label


class ProtocolSettings(TypedDict):
    """What the protocol page shows and edits."""

    agency: str
    dispatch_model: str
    models: dict[str, str]  # code -> label
    hotline_hours: str  # "24/7" or "HH:MM-HH:MM"
    call_types: list[CallTypeSetting]
    extra_questions: list[ExtraQuestion]
    wordings: list[QuestionWordings]
    overrides: ProtocolOverrides


def _hours_text(hours: tuple[int, int] | None) -> str:
    if hours is None:
        return "24/7"
    start, end = hours

    def hhmm(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return f"{hhmm(start)}-{hhmm(end)}"


def _protocol_settings(agency: Agency) -> ProtocolSettings:
    protocol = agency_protocol(agency)
    base = default_protocol()
    overrides = agency.protocol_overrides or {}
    extra = [
        ExtraQuestion(id=q.id, text=q.text, default_answer=q.default_answer)
        for q in protocol.questions.values()
        if q.id not in base.questions
    ]
    own_questions = dict(overrides.get("questions") or {})
    wordings = [
        QuestionWordings(
            id=q.id,
            text=q.text,
            standard=list(base.questions[q.id].phrasings) if q.id in base.questions else [],
            own=list((own_questions.get(q.id) or {}).get("phrasings") or []),
        )
        for q in protocol.questions.values()
    ]
    call_types = [
        CallTypeSetting(
            code=c.code,
            label=c.label,
            group=c.group,
            eligible=c.eligible,
            default_eligible=(
                base.call_types[c.code].eligible if c.code in base.call_types else None
            ),
        )
        for c in protocol.call_types.values()
    ]
    return ProtocolSettings(
        agency=agency.name,
        dispatch_model=agency.dispatch_model,
        models={m.code: m.label for m in protocol.models.values()},
        hotline_hours=_hours_text(protocol.hotline_hours),
        call_types=call_types,
        extra_questions=extra,
        wordings=wordings,
        # Stored JSON: load_protocol checked it before it was saved.
        overrides=cast(ProtocolOverrides, dict(overrides)),
    )


def protocol_settings(*, actor: Actor) -> ProtocolSettings:
    """The agency's dispatch model, eligible call types, hotline hours and own questions."""
    require(actor, "edit_protocol")
    with read_session() as session:
        return _protocol_settings(actor_agency(session, actor))


def build_overrides(
    current: Mapping | None,
    *,
    dispatch_model: str,
    eligible: Iterable[str],
    hotline_hours: str,
    extra_questions: Sequence[Mapping],
) -> ProtocolOverrides:
    """New protocol overrides from the form, keeping every other part of ``current``.

    Eligibility is written only where it differs from the default protocol (an agency's
    own call types always carry it); extra questions replace the agency's earlier ones
    (rewordings of default questions are kept).
    """
    base = default_protocol()
    overrides: ProtocolOverrides = json.loads(json.dumps(dict(current or {})))  # a deep, plain copy
    if dispatch_model not in DISPATCH_MODELS:
        raise UserError(f"Unknown dispatch model '{dispatch_model}'.")
    overrides["dispatch_model"] = dispatch_model
    overrides["hotline_hours"] = str(hotline_hours or "").strip() or "24/7"
    wanted = set(eligible)
    call_types = dict(overrides.get("call_types") or {})
    own_codes = set(call_types) - set(base.call_types)
    unknown = wanted - set(base.call_types) - own_codes
    if unknown:
        raise UserError(f"Unknown call type(s): {', '.join(sorted(unknown))}.")
    for code in list(base.call_types) + sorted(own_codes):
        spec = (call_types.get(code) or CallTypeOverride()).copy()
        default = base.call_types[code].eligible if code in base.call_types else None
        if code in wanted and default is not True:
            spec["eligible"] = True
        elif code not in wanted and default is not False:
            spec["eligible"] = False
        else:
            spec.pop("eligible", None)
        if spec:
            call_types[code] = spec
        else:
            call_types.pop(code, None)
    if call_types:
        overrides["call_types"] = call_types
    else:
        overrides.pop("call_types", None)
    earlier = dict(overrides.get("questions") or {})
    questions = {qid: spec for qid, spec in earlier.items() if qid in base.questions}
    for item in extra_questions:
        qid = str(item.get("id") or "").strip()
        text = " ".join(str(item.get("text") or "").split())
        answer = " ".join(str(item.get("default_answer") or "").split())
        if not qid and not text:
            continue
        if not qid or not text:
            raise UserError("Each extra question needs an id and its wording.")
        if qid in base.questions:
            raise UserError(f"'{qid}' is a default question; choose another id.")
        if qid in questions:
            raise UserError(f"The question id '{qid}' is used twice.")
        # The agency's wordings of its own question stay with it when the form is saved.
        wordings = (earlier.get(qid) or {}).get("phrasings")
        question = QuestionOverride(text=text)
        if answer:
            question["default_answer"] = answer
        if wordings:
            question["phrasings"] = list(wordings)
        questions[qid] = question
    if questions:
        overrides["questions"] = questions
    else:
        overrides.pop("questions", None)
    return overrides


def save_protocol(
    *,
    actor: Actor,
    dispatch_model: str,
    eligible: Iterable[str],
    hotline_hours: str,
    extra_questions: Sequence[Mapping] = (),
) -> ProtocolSettings:
    """Validate the agency's protocol changes with ``load_protocol`` and save them."""
    require(actor, "edit_protocol")
    with write_session() as session:
        agency = actor_agency(session, actor)
        overrides = build_overrides(
            agency.protocol_overrides,
            dispatch_model=dispatch_model,
            eligible=eligible,
            hotline_hours=hotline_hours,
            extra_questions=extra_questions,
        )
        load_protocol(overrides)  # raises ProtocolError (a UserError) with one plain line
        agency.protocol_overrides = dict(overrides)  # the column is typed as a plain dict
        agency.dispatch_model = dispatch_model
        session.add(agency)
        session.flush()
        return _protocol_settings(agency)


def clean_wordings(lines: Iterable[str]) -> list[str]:
    """The agency's wordings from a text box: one per line, spaces tidied, no repeats."""
    out: list[str] = []
    seen: set[str] = set()
    for line in lines:
        text = " ".join(str(line).split())
        if not text or text.lower() in seen:
            continue
        if len(text) > MAX_PHRASING_CHARS:
            raise UserError(
                f"This wording is longer than {MAX_PHRASING_CHARS} characters: {text[:40]}..."
            )
        seen.add(text.lower())
        out.append(text)
    if len(out) > MAX_PHRASINGS:
        raise UserError(f"At most {MAX_PHRASINGS} wordings per question.")
    return out


def save_question_wordings(
    *, actor: Actor, question_id: str, wordings: Iterable[str]
) -> ProtocolSettings:
    """Replace the agency's own wordings of one question (the standard ones always count).

    The typed-question matcher compares what a trainee types with the question's text, the
    standard wordings and these; an empty list removes the agency's wordings.
    """
    require(actor, "edit_protocol")
    lines = clean_wordings(wordings)
    with write_session() as session:
        agency = actor_agency(session, actor)
        if question_id not in agency_protocol(agency).questions:
            raise UserError(f"There is no question '{question_id}' in your protocol.")
        overrides = json.loads(json.dumps(dict(agency.protocol_overrides or {})))
        questions = dict(overrides.get("questions") or {})
        spec = dict(questions.get(question_id) or {})
        if lines:
            spec["phrasings"] = lines
        else:
            spec.pop("phrasings", None)
        if spec:
            questions[question_id] = spec
        else:
            questions.pop(question_id, None)
        if questions:
            overrides["questions"] = questions
        else:
            overrides.pop("questions", None)
        load_protocol(overrides)  # raises ProtocolError (a UserError) with one plain line
        agency.protocol_overrides = overrides
        session.add(agency)
        session.flush()
        return _protocol_settings(agency)


def try_typed_question(*, actor: Actor, text: str) -> Match:
    """Which question of the agency's saved protocol a typed sentence asks (a trial run)."""
    require(actor, "edit_protocol")
    with read_session() as session:
        protocol = agency_protocol(actor_agency(session, actor))
    return match_question(text, protocol)


def protocol_impact(*, actor: Actor, limit: int = 50) -> list[str]:
    """Current scenarios that do not validate under the agency's saved protocol."""
    require(actor, "edit_protocol")
    with read_session() as session:
        protocol = agency_protocol(actor_agency(session, actor))
        rows = session.exec(
            select(ScenarioVersion.scenario_key, ScenarioVersion.yaml_text)
            .where(ScenarioVersion.agency_id == actor.agency_id)
            .where(ScenarioVersion.is_current == True)  # noqa: E712
            .where(ScenarioVersion.status != "retired")
        ).all()
    broken = []
    for key, text in rows:
        data, problems = parse_scenario(text, key, protocol)
        if data is None:
            first = next((p for p in problems if p.is_error), None)
            broken.append(f"{key}: {first.message if first else 'not valid'}")
            if len(broken) >= limit:
                break
    return broken
