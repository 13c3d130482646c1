"""The call-screening protocol: codes, labels, questions and which routes exist when.

The default protocol lives in ``content/protocols/default.yaml``; an agency may override
a few parts of it (see ``content/protocols/README.md``) through :func:`load_protocol`.
The codes named by the scenario format always exist and are constants here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.core.protocol_models import DISPATCH_MODELS
from app.core.yaml_safe import YamlError, load_yaml
from app.errors import UserError

DEFAULT_PROTOCOL_FILE = (
    Path(__file__).resolve().parents[2] / "content" / "protocols" / "default.yaml"
)

DISQUALIFIERS = ("weapon", "threat", "medical", "police_only")
DISPOSITIONS = (
    "community_responder",
    "community_responder_with_police",
    "community_responder_with_ems",
    "police",
    "ems",
    "police_with_ems",
    "embedded_professional",
    "external_hotline",
    "transfer_988",
    "phone_resolution",
)
# What each disqualifier demands, and which routes meet each demand (rules 2): a route
# that lacks a demand of the key's disqualifiers is unsafe, and a key may not list it.
DEMANDS: Mapping[str, str] = MappingProxyType(
    {"weapon": "police", "threat": "police", "medical": "ems", "police_only": "police"}
)
ROUTES_MEETING: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "police": frozenset({"police", "community_responder_with_police", "police_with_ems"}),
        "ems": frozenset({"ems", "community_responder_with_ems", "police_with_ems"}),
    }
)
# Routes involving police, and the police-led ones (police without a community team).
POLICE_DISPOSITIONS = ROUTES_MEETING["police"]
POLICE_LED_DISPOSITIONS = frozenset({"police", "police_with_ems"})
CHANNELS = ("911", "non_emergency", "hotline_direct", "988", "police_referral", "proactive")
RELATIONS = ("stranger", "neighbor", "family", "self", "professional")
AMBIENCES = ("none", "street", "tv", "indoor", "car", "crowd")
CONTEXT_KEYS: Mapping[str, type] = MappingProxyType(
    {
        "responders_available": bool,
        "hotline_open": bool,
        "police_available": bool,
        "ambience": str,
        "notes": str,
        "prior_calls": str,
    }
)
CALL_TYPE_GROUPS = (
    "conflict",
    "behavioral_health",
    "welfare",
    "violent",
    "medical_emergency",
    "fire",
    "other",
)
ELIGIBLE_CALL_TYPES = (
    "WELFARE_CHECK",
    "MENTAL_HEALTH",
    "SUICIDAL_IDEATION",
    "INTOXICATED_PERSON",
    "UNHOUSED_PERSON",
    "TRESPASS",
    "DISTURBANCE",
    "NEIGHBOR_DISPUTE",
    "NOISE_COMPLAINT",
    "SUSPICIOUS_PERSON",
    "PANHANDLING",
    "JUVENILE_PROBLEM",
    "NEEDLE_PICKUP",
    "LOW_ACUITY_MEDICAL",
    "LIFT_ASSIST",
)
NOT_ELIGIBLE_CALL_TYPES = (
    "ASSAULT",
    "DOMESTIC_VIOLENCE",
    "WEAPONS",
    "BURGLARY_IN_PROGRESS",
    "ROBBERY",
    "SHOTS_FIRED",
    "OVERDOSE",
    "CARDIAC_BREATHING",
    "TRAFFIC_INJURY",
    "FIRE",
    "MEDICAL_EMERGENCY",
)
CALL_TYPES = ELIGIBLE_CALL_TYPES + NOT_ELIGIBLE_CALL_TYPES
QUESTION_IDS = (
    "address",
    "callback",
    "what_happened",
    "weapons",
    "threats",
    "injuries",
    "medical",
    "entry",
    "evidence",
    "substances",
    "suicide",
    "relationship",
    "description",
    "location_inside",
    "interpreter",
)


def demands_of(disqualifiers: Iterable[str]) -> frozenset[str]:
    """The responders (``police``, ``ems``) that these disqualifiers demand."""
    return frozenset(DEMANDS[code] for code in disqualifiers if code in DEMANDS)


def unmet_demands(route: str, disqualifiers: Iterable[str]) -> list[str]:
    """The disqualifiers whose demand ``route`` does not meet, in the standard order."""
    wanted = set(disqualifiers)
    return [
        code
        for code in DISQUALIFIERS
        if code in wanted and route not in ROUTES_MEETING[DEMANDS[code]]
    ]


NEUTRAL_ANSWER = "I don't know, I can't tell from here."

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_WINDOW = re.compile(r"^\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$")
_CALL_TYPE_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")
ALWAYS_OPEN = ("24/7", "always")


class ProtocolError(UserError):
    """A protocol or an agency override is not usable; the message names the key."""


@dataclass(frozen=True)
class CallType:
    code: str
    label: str
    eligible: bool
    group: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    default_answer: str
    # Ways call takers ask it in their own words (for the typed-question matcher).
    phrasings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Disqualifier:
    code: str
    label: str
    description: str


@dataclass(frozen=True)
class DispatchModel:
    code: str
    label: str
    description: str
    dispositions: tuple[str, ...]  # every route that exists under this model


def parse_hhmm(value: str) -> int:
    """Minutes after midnight of an ``HH:MM`` text; raises ValueError otherwise."""
    match = _HHMM.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a time HH:MM")
    return int(match.group(1)) * 60 + int(match.group(2))


def is_hhmm(value: Any) -> bool:
    return isinstance(value, str) and bool(_HHMM.match(value))


def parse_hours(value: Any) -> tuple[int, int] | None:
    """``None`` for 24/7, else (start, end) minutes; raises ValueError on bad text."""
    if not isinstance(value, str):
        raise ValueError('hotline hours must be text like "24/7" or "08:00-22:00"')
    if value.strip().lower() in ALWAYS_OPEN:
        return None
    match = _WINDOW.match(value)
    if not match:
        raise ValueError(f'hotline hours {value!r} must be "24/7" or like "08:00-22:00"')
    start_text, end_text = match.groups()
    start = parse_hhmm(start_text)
    end = 24 * 60 if end_text == "24:00" else parse_hhmm(end_text)
    if start == end:
        raise ValueError(f'hotline hours {value!r} are empty; write "24/7" for always open')
    return start, end


@dataclass(frozen=True, eq=False)
class Protocol:
    """A jurisdiction's protocol. Mappings are read-only."""

    name: str
    dispatch_model: str
    hotline_hours: tuple[int, int] | None
    call_types: Mapping[str, CallType]
    questions: Mapping[str, Question]
    models: Mapping[str, DispatchModel]
    disqualifiers: Mapping[str, Disqualifier]
    disposition_labels: Mapping[str, str]
    groups: Mapping[str, str]

    def hotline_open(self, time_hhmm: str | None = None, context: Mapping | None = None) -> bool:
        """Whether the external hotline takes calls at that time in that call's context.

        ``context["hotline_open"]`` (a scenario's explicit fact) wins over the hours; with
        no time given the hours are not judged.
        """
        stated = (context or {}).get("hotline_open")
        if isinstance(stated, bool):
            return stated
        if self.hotline_hours is None or time_hhmm is None:
            return True
        try:
            minute = parse_hhmm(time_hhmm)
        except ValueError:
            raise ProtocolError(f"call time {time_hhmm!r} is not HH:MM") from None
        start, end = self.hotline_hours
        if start < end:
            return start <= minute < end
        return minute >= start or minute < end  # a window past midnight

    def available_dispositions(
        self, model: str, time_hhmm: str | None = None, context: Mapping | None = None
    ) -> list[str]:
        """Routes that exist under ``model`` for a call at ``time_hhmm`` with ``context``."""
        if model not in self.models:
            raise ProtocolError(
                f"unknown dispatch model {model!r} (one of: {', '.join(self.models)})"
            )
        routes = list(self.models[model].dispositions)
        if "external_hotline" in routes and not self.hotline_open(time_hhmm, context):
            routes.remove("external_hotline")
        return routes

    def call_type_label(self, code: str) -> str:
        call_type = self.call_types.get(code)
        return call_type.label if call_type else code

    def disposition_label(self, code: str) -> str:
        return self.disposition_labels.get(code, code)

    def question_text(self, question_id: str) -> str:
        question = self.questions.get(question_id)
        return question.text if question else question_id

    def eligible(self, code: str) -> bool:
        call_type = self.call_types.get(code)
        return bool(call_type and call_type.eligible)


# ----------------------------------------------------------------------------- building


def _need(mapping: Any, where: str) -> dict:
    if not isinstance(mapping, Mapping):
        raise ProtocolError(f"{where} must be a mapping")
    return dict(mapping)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(f"{where} must be non-empty text")
    return value.strip()


MAX_PHRASINGS = 200  # per question, default and agency ones together
MAX_PHRASING_CHARS = 200


def _phrasings(value: Any, where: str, before: tuple[str, ...] = ()) -> tuple[str, ...]:
    """``before`` followed by the new phrasings of ``value`` (a list of text), no repeats."""
    if not isinstance(value, list):
        raise ProtocolError(f"{where} must be a list of text")
    out = list(before)
    seen = {" ".join(p.lower().split()) for p in out}
    for number, item in enumerate(value, 1):
        text = _text(item, f"{where} item {number}")
        text = " ".join(text.split())
        if len(text) > MAX_PHRASING_CHARS:
            raise ProtocolError(
                f"{where} item {number} is longer than {MAX_PHRASING_CHARS} characters"
            )
        key = text.lower()
        if key not in seen:
            seen.add(key)
            out.append(text)
    if len(out) > MAX_PHRASINGS:
        raise ProtocolError(f"{where}: at most {MAX_PHRASINGS} phrasings per question")
    return tuple(out)


def _only(mapping: Mapping, allowed: set[str], where: str) -> None:
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        raise ProtocolError(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )


def _build_default(raw: Any) -> Protocol:
    raw = _need(raw, "default protocol")
    _only(
        raw,
        {
            "format",
            "name",
            "dispatch_model",
            "hotline_hours",
            "dispatch_models",
            "common_dispositions",
            "dispositions",
            "disqualifiers",
            "call_type_groups",
            "call_types",
            "questions",
        },
        "default protocol",
    )
    common = raw["common_dispositions"]
    models = {}
    for code, spec in _need(raw["dispatch_models"], "dispatch_models").items():
        spec = _need(spec, f"dispatch_models.{code}")
        routes = tuple(d for d in DISPOSITIONS if d in common or d in spec["extra_dispositions"])
        models[code] = DispatchModel(
            code, _text(spec["label"], code), _text(spec["description"], code), routes
        )
    if tuple(models) != DISPATCH_MODELS:
        raise ProtocolError("default protocol: dispatch_models must be exactly the three models")
    dispositions = _need(raw["dispositions"], "dispositions")
    if set(dispositions) != set(DISPOSITIONS):
        raise ProtocolError("default protocol: dispositions must be exactly the spec's codes")
    involves_police = {c for c, spec in dispositions.items() if spec.get("involves_police")}
    if involves_police != POLICE_DISPOSITIONS:
        raise ProtocolError("default protocol: involves_police does not match the code")
    disqualifiers = {
        code: Disqualifier(code, _text(spec["label"], code), _text(spec["description"], code))
        for code, spec in _need(raw["disqualifiers"], "disqualifiers").items()
    }
    if tuple(disqualifiers) != DISQUALIFIERS:
        raise ProtocolError("default protocol: disqualifiers must be exactly the four codes")
    groups = {str(k): _text(v, k) for k, v in _need(raw["call_type_groups"], "groups").items()}
    if tuple(groups) != CALL_TYPE_GROUPS:
        raise ProtocolError("default protocol: call_type_groups do not match the code")
    call_types = {}
    for code, spec in _need(raw["call_types"], "call_types").items():
        call_types[code] = CallType(
            code, _text(spec["label"], code), bool(spec["eligible"]), spec["group"]
        )
    if set(call_types) != set(CALL_TYPES) or {
        c for c, t in call_types.items() if t.eligible
    } != set(ELIGIBLE_CALL_TYPES):
        raise ProtocolError("default protocol: call_types do not match the spec")
    questions = {}
    for qid, spec in _need(raw["questions"], "questions").items():
        spec = _need(spec, f"questions.{qid}")
        questions[qid] = Question(
            qid,
            _text(spec["text"], qid),
            _text(spec["default_answer"], qid),
            _phrasings(spec.get("phrasings", []), f"default protocol: questions.{qid}.phrasings"),
        )
    if tuple(questions) != QUESTION_IDS:
        raise ProtocolError("default protocol: questions do not match the spec")
    try:
        hours = parse_hours(raw.get("hotline_hours", "24/7"))
    except ValueError as exc:
        raise ProtocolError(f"default protocol: {exc}") from None
    return Protocol(
        name=_text(raw["name"], "name"),
        dispatch_model=raw["dispatch_model"],
        hotline_hours=hours,
        call_types=MappingProxyType(call_types),
        questions=MappingProxyType(questions),
        models=MappingProxyType(models),
        disqualifiers=MappingProxyType(disqualifiers),
        disposition_labels=MappingProxyType(
            {code: _text(dispositions[code]["label"], code) for code in DISPOSITIONS}
        ),
        groups=MappingProxyType(groups),
    )


@functools.cache
def default_protocol() -> Protocol:
    """The default protocol (read once from ``content/protocols/default.yaml``)."""
    try:
        raw = load_yaml(DEFAULT_PROTOCOL_FILE.read_bytes()).value
    except (OSError, YamlError) as exc:
        raise ProtocolError(f"cannot read {DEFAULT_PROTOCOL_FILE}: {exc}") from None
    return _build_default(raw)


OVERRIDE_KEYS = {
    "format",
    "name",
    "dispatch_model",
    "hotline_hours",
    "call_types",
    "questions",
    "labels",
}
LABEL_SECTIONS = {"dispositions", "disqualifiers", "dispatch_models", "call_type_groups"}


def _read_overrides(overrides: Mapping | str | Path) -> dict:
    if isinstance(overrides, Mapping):
        return dict(overrides)
    path = Path(overrides)
    try:
        doc = load_yaml(path.read_bytes())
    except OSError as exc:
        raise ProtocolError(f"cannot read protocol file {path}: {exc.strerror}") from None
    except YamlError as exc:
        raise ProtocolError(f"{path}:{exc.line}: {exc.message}") from None
    if doc.issues:
        raise ProtocolError(f"{path}:{doc.issues[0].line}: {doc.issues[0].message}")
    if not isinstance(doc.value, Mapping):
        raise ProtocolError(f"{path}: a protocol file must be a mapping of keys")
    return dict(doc.value)


def _apply_overrides(base: Protocol, raw: dict) -> Protocol:
    where = "protocol override"
    _only(raw, OVERRIDE_KEYS, where)
    if "format" in raw and raw["format"] != 1:
        raise ProtocolError(f"{where}: format must be 1")
    name = _text(raw["name"], f"{where}: name") if "name" in raw else base.name
    model = raw.get("dispatch_model", base.dispatch_model)
    if model not in DISPATCH_MODELS:
        raise ProtocolError(
            f"{where}: dispatch_model {model!r} is not one of {', '.join(DISPATCH_MODELS)}"
        )
    hours = base.hotline_hours
    if "hotline_hours" in raw:
        try:
            hours = parse_hours(raw["hotline_hours"])
        except ValueError as exc:
            raise ProtocolError(f"{where}: {exc}") from None

    call_types = dict(base.call_types)
    for code, spec in _need(raw.get("call_types", {}), f"{where}: call_types").items():
        at = f"{where}: call_types.{code}"
        if not isinstance(code, str) or not _CALL_TYPE_CODE.match(code):
            raise ProtocolError(f"{at}: a call type code is UPPER_CASE letters, digits and _")
        spec = _need(spec, at)
        _only(spec, {"label", "eligible", "group"}, at)
        old = call_types.get(code)
        if old is None and ("label" not in spec or "group" not in spec):
            raise ProtocolError(f"{at}: a new call type needs a label and a group")
        label = _text(spec["label"], f"{at}.label") if "label" in spec else old.label
        eligible = spec.get("eligible", old.eligible if old else False)
        if not isinstance(eligible, bool):
            raise ProtocolError(f"{at}.eligible must be true or false")
        group = spec.get("group", old.group if old else None)
        if group not in CALL_TYPE_GROUPS:
            raise ProtocolError(f"{at}.group must be one of {', '.join(CALL_TYPE_GROUPS)}")
        call_types[code] = CallType(code, label, eligible, group)

    questions = dict(base.questions)
    for qid, spec in _need(raw.get("questions", {}), f"{where}: questions").items():
        at = f"{where}: questions.{qid}"
        if not isinstance(qid, str) or not _QUESTION_ID.match(qid):
            raise ProtocolError(f"{at}: a question id is lower_case letters, digits and _")
        spec = _need(spec, at)
        _only(spec, {"text", "default_answer", "phrasings"}, at)
        old = questions.get(qid)
        if old is None and "text" not in spec:
            raise ProtocolError(f"{at}: a new question needs its text")
        text = _text(spec["text"], f"{at}.text") if "text" in spec else old.text
        default = (
            _text(spec["default_answer"], f"{at}.default_answer")
            if "default_answer" in spec
            else (old.default_answer if old else NEUTRAL_ANSWER)
        )
        phrasings = old.phrasings if old else ()
        if "phrasings" in spec:
            phrasings = _phrasings(spec["phrasings"], f"{at}.phrasings", phrasings)
        questions[qid] = Question(qid, text, default, phrasings)

    labels = _need(raw.get("labels", {}), f"{where}: labels")
    _only(labels, LABEL_SECTIONS, f"{where}: labels")
    disposition_labels = dict(base.disposition_labels)
    disqualifiers = dict(base.disqualifiers)
    models = dict(base.models)
    groups = dict(base.groups)
    for section, known in (
        ("dispositions", disposition_labels),
        ("disqualifiers", disqualifiers),
        ("dispatch_models", models),
        ("call_type_groups", groups),
    ):
        for code, label in _need(labels.get(section, {}), f"{where}: labels.{section}").items():
            at = f"{where}: labels.{section}.{code}"
            if code not in known:
                raise ProtocolError(f"{at}: unknown code {code!r}")
            label = _text(label, at)
            if section == "dispositions" or section == "call_type_groups":
                known[code] = label
            elif section == "disqualifiers":
                old = disqualifiers[code]
                disqualifiers[code] = Disqualifier(code, label, old.description)
            else:
                old = models[code]
                models[code] = DispatchModel(code, label, old.description, old.dispositions)
    return Protocol(
        name=name,
        dispatch_model=model,
        hotline_hours=hours,
        call_types=MappingProxyType(call_types),
        questions=MappingProxyType(questions),
        models=MappingProxyType(models),
        disqualifiers=MappingProxyType(disqualifiers),
        disposition_labels=MappingProxyType(disposition_labels),
        groups=MappingProxyType(groups),
    )


def load_protocol(overrides: Mapping | str | Path | None = None) -> Protocol:
    """The default protocol, with an agency's overrides applied when given.

    ``overrides`` is a mapping or the path of a YAML file (see content/protocols/README.md).
    Raises :class:`ProtocolError` (a UserError) with one plain line when they are not usable.
    """
    base = default_protocol()
    if overrides is None:
        return base
    return _apply_overrides(base, _read_overrides(overrides))
