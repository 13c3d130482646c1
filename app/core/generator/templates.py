"""Call templates: YAML files under ``scenarios/templates/`` that describe a situation.

A template is not a scenario. It has a top-level ``template: 1`` key, names the call
type it starts as, who may call, where, how likely each fact is, and phrasing variants
for the opening and for every answer (per fact value). Files whose name starts with
``_`` hold shared material: ``kind: phrasebook`` (fallback answers, weapon items...)
and ``kind: identities`` (identity cues for counterfactual twins).

Loading checks each template's shape and every ``{placeholder}`` so a typo fails at
load time with the file and key named, never halfway through a generation run.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.core.generator.facts import DAY_PARTS, DEFAULT_HOURS, DEFAULT_WEIGHTS, FACT_VALUES
from app.errors import UserError

TEMPLATE_DIR = Path(__file__).resolve().parents[3] / "scenarios" / "templates"

PLACEHOLDERS = frozenset(
    """he He him Him his His himself man Man guy kin kin_word name caller_first caller_name
    address address_digits street cross neighborhood place phone time now weapon_item
    weapon_where threat_when crime age Age clothing ref Ref""".split()
)
RELATIONS = ("stranger", "neighbor", "family", "self", "professional")
KIN_GENDER = {
    "son": "male",
    "brother": "male",
    "father": "male",
    "dad": "male",
    "grandfather": "male",
    "husband": "male",
    "uncle": "male",
    "nephew": "male",
    "daughter": "female",
    "sister": "female",
    "mother": "female",
    "mom": "female",
    "grandmother": "female",
    "wife": "female",
    "aunt": "female",
    "niece": "female",
}
# Which fact each screening question's answer reveals.
FACT_QUESTIONS = {
    "weapons": "weapon",
    "threats": "threat",
    "suicide": "threat",
    "medical": "medical",
    "injuries": "medical",
    "entry": "entry",
    "evidence": "evidence",
    "substances": "substances",
}
PLAIN_QUESTIONS = ("address", "callback", "what_happened", "description", "location_inside")
CHANNELS = ("911", "non_emergency", "hotline_direct", "988", "police_referral", "proactive")
AMBIENCES = ("none", "street", "tv", "indoor", "car", "crowd")
MARKERS = ("@crime", "@herring")
DEFAULT_REFS = {
    "stranger": ["a {guy}", "this {guy}", "some {guy}"],
    "neighbor": ["my neighbor", "the {guy} next door", "my neighbor {name}"],
    "family": ["{kin}", "{kin} {name}"],
    "professional": ["a {guy}", "this {guy}"],
    "self": ["I"],
}
TEMPLATE_KEYS = {
    "template",
    "id",
    "call_type",
    "final_call_type",
    "title",
    "module",
    "difficulty",
    "priority",
    "tags",
    "channels",
    "hours",
    "also_acceptable",
    "fallback",
    "ensure",
    "threat_target",
    "required_extra",
    "callers",
    "subject",
    "places",
    "facts",
    "items",
    "threat_when",
    "crimes",
    "opening",
    "herrings",
    "crime_openings",
    "answers",
    "extra",
    "situation",
    "prior_calls",
    "hotline",
    "crisis",
    "violence",
}
ITEM_STATES = ("in_hand", "in_reach", "out_of_reach", "carried")
# The item pool a weapon fact value draws from (``used`` draws from what can be in hand).
ITEM_POOL = {
    "in_hand": "in_hand",
    "used": "in_hand",
    "in_reach": "in_reach",
    "out_of_reach": "out_of_reach",
    "carried": "carried",
}


class TemplateError(UserError):
    """A call template (or the phrasebook) is not usable; the message names file and key."""


@dataclass(frozen=True)
class Caller:
    role: str
    relation: str
    gender: str  # male | female | any
    age: str  # adult | older | young
    kin: str  # family word for the person of concern ("son"), or ""
    refs: tuple[str, ...]
    weight: float
    ages: tuple[str, ...] = ()  # overrides the template's subject ages for this caller
    answers: dict = field(default_factory=dict)  # plain question -> variants, for this caller


@dataclass(frozen=True)
class Place:
    kind: str
    location: str
    here: tuple[str, ...]
    ambience: str
    answers: dict = field(default_factory=dict)  # plain question -> variants, for this place


@dataclass(frozen=True)
class Template:
    id: str
    path: Path
    call_type: str
    final_clear: str
    final_disqualified: str
    final_medical: str  # code when the call is (also) a medical emergency (never eligible)
    disqualified_eligible: bool  # final_disqualified is eligible for community responders
    titles: tuple[str, ...]
    module: str | None
    difficulty: int
    priority: int
    tags: tuple[str, ...]
    channels: dict[str, float]
    hours: dict[str, float]
    also_acceptable: tuple[str, ...]
    fallback: tuple[str, tuple[str, ...]] | None
    ensure: tuple[str, str] | None
    threat_target: str
    required_extra: tuple[str, ...]
    callers: tuple[Caller, ...]
    subject_gender: str
    nouns: dict[str, dict[str, str]]
    ages: tuple[str, ...]
    places: tuple[Place, ...]
    weights: dict[str, dict[str, float]]
    items: dict[str, tuple[dict, ...]]
    threat_when: tuple[str, ...]
    crimes: tuple[str, ...]
    opening: tuple[Any, ...]  # tuple of str markers or tuples of fragments
    herrings: tuple[str, ...]
    crime_openings: tuple[str, ...]
    answers: dict[str, Any]  # question -> tuple (plain) or {fact value: tuple}
    extra: tuple[dict, ...]
    entry_relevant: bool
    evidence_relevant: bool
    clothing: tuple[str, ...] = field(default=())
    prior_calls: tuple[str, ...] = field(default=())
    hotline: bool = True  # the outside hotline takes this kind of call
    crisis: bool = False  # the person at the centre is someone the team exists to help
    violence: bool = False  # the situation itself shows violence under way


@dataclass(frozen=True)
class Identities:
    profiles: tuple[dict, ...]


def _fail(path: Path, key: str, message: str) -> TemplateError:
    return TemplateError(f"{path.name}: {key}: {message}")


def _str_list(value: Any, path: Path, key: str, allow_empty: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or (not value and not allow_empty):
        raise _fail(path, key, "must be a non-empty list of text")
    out = []
    for item in value:
        if item is None:
            item = ""
        if not isinstance(item, str):
            raise _fail(path, key, f"{item!r} is not text")
        out.append(item)
    return tuple(out)


def _weights(value: Any, allowed: tuple[str, ...], path: Path, key: str) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise _fail(path, key, "must be a mapping of value -> weight")
    out = {}
    for name in allowed:  # keep a fixed order whatever the file's order
        if name in value:
            weight = value[name]
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
                raise _fail(path, f"{key}.{name}", "weight must be a number >= 0")
            out[name] = float(weight)
    unknown = [str(k) for k in value if str(k) not in allowed]
    if unknown:
        raise _fail(path, key, f"unknown value {unknown[0]!r} (one of: {', '.join(allowed)})")
    if sum(out.values()) <= 0:
        raise _fail(path, key, "needs at least one positive weight")
    return out


def _read(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateError(f"{path.name}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
        problem = getattr(exc, "problem", None) or "syntax error"
        raise TemplateError(f"{path.name}:{line}: not valid YAML ({problem})") from None
    if not isinstance(raw, dict) or raw.get("template") != 1:
        raise TemplateError(f"{path.name}: not a call template (needs `template: 1`)")
    return raw


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _check_placeholders(value: Any, path: Path, key: str) -> None:
    if isinstance(value, str):
        try:
            names = _fields(value)
        except ValueError as exc:
            raise _fail(path, key, f"bad braces in {value!r}: {exc}") from None
        unknown = sorted(n for n in names if n not in PLACEHOLDERS)
        if unknown:
            raise _fail(path, key, f"unknown placeholder {{{unknown[0]}}} in {value!r}")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_placeholders(v, path, f"{key}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_placeholders(v, path, f"{key}[{i}]")


def _fact_answers(raw: Any, fact: str, path: Path, key: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise _fail(path, key, f"must be a mapping of {fact} value -> variants")
    allowed = FACT_VALUES[fact]
    out = {}
    for value, variants in raw.items():
        value = {True: "yes", False: "no"}.get(value, value)  # YAML 1.1 reads yes/no as bools
        if value not in allowed:
            raise _fail(path, f"{key}.{value}", f"unknown {fact} value (one of: {allowed})")
        out[value] = _str_list(variants, path, f"{key}.{value}")
    return out


@functools.cache
def load_phrasebook(template_dir: Path = TEMPLATE_DIR) -> dict:
    """The shared phrasing (``_phrasebook.yaml``), checked."""
    path = template_dir / "_phrasebook.yaml"
    raw = _read(path)
    if raw.get("kind") != "phrasebook":
        raise _fail(path, "kind", "must be phrasebook")
    _check_placeholders(raw, path, "phrasebook")
    answers = raw.get("answers") or {}
    book: dict[str, Any] = {"answers": {}}
    for question, variants in answers.items():
        if question in ("threats_self",):
            book["answers"][question] = _fact_answers(variants, "threat", path, question)
        elif question in FACT_QUESTIONS:
            book["answers"][question] = _fact_answers(
                variants, FACT_QUESTIONS[question], path, question
            )
        elif question == "relationship":
            book["answers"][question] = {
                rel: _str_list(v, path, f"relationship.{rel}") for rel, v in variants.items()
            }
        else:
            book["answers"][question] = _str_list(variants, path, question)
    book["items"] = {state: _items(raw["items"].get(state), path, state) for state in ITEM_STATES}
    book["threat_when"] = _str_list(raw.get("threat_when"), path, "threat_when")
    book["ages"] = _str_list(raw.get("ages"), path, "ages")
    book["clothing"] = _str_list(raw.get("clothing"), path, "clothing")
    return book


@functools.cache
def load_identities(template_dir: Path = TEMPLATE_DIR) -> Identities:
    """The identity profiles (``_identities.yaml``) used for names and twins."""
    path = template_dir / "_identities.yaml"
    raw = _read(path)
    profiles = []
    seen = set()
    for i, profile in enumerate(raw.get("profiles") or []):
        key = f"profiles[{i}]"
        if not isinstance(profile, Mapping) or not profile.get("id"):
            raise _fail(path, key, "needs an id")
        if profile["id"] in seen:
            raise _fail(path, key, f"duplicate id {profile['id']!r}")
        seen.add(profile["id"])
        entry = {
            "id": str(profile["id"]),
            "weight": float(profile.get("weight", 1)),
            "accent": str(profile.get("accent") or ""),
            "neighborhoods": _str_list(profile.get("neighborhoods"), path, f"{key}.neighborhoods"),
            "kin": {str(k): str(v) for k, v in (profile.get("kin") or {}).items()},
            "faker": profile.get("names") == "faker",
        }
        if not entry["faker"]:
            for names in ("first_male", "first_female", "last"):
                entry[names] = _str_list(profile.get(names), path, f"{key}.{names}")
        profiles.append(entry)
    if len(profiles) < 2:
        raise _fail(path, "profiles", "needs at least two profiles (twins differ in identity)")
    return Identities(tuple(profiles))


def _items(entries: Any, path: Path, state: str) -> tuple[dict, ...]:
    """Objects for one weapon state, each with ``item`` and ``note`` (and ``where`` unless
    in hand). ``menace`` (in hand only) marks an everyday object: the sentence showing it is
    held threateningly, added to the caller's answer (keying policy rule 7)."""
    key = f"items.{state}"
    if not isinstance(entries, list) or not entries:
        raise _fail(path, key, "in_hand|in_reach|out_of_reach|carried: list of items")
    for entry in entries:
        if not isinstance(entry, Mapping) or "item" not in entry or "note" not in entry:
            raise _fail(path, key, "each item needs `item` and `note`")
        if state != "in_hand" and "where" not in entry:
            raise _fail(path, key, "each item needs `where`")
        if "menace" in entry and state != "in_hand":
            raise _fail(path, key, "`menace` is only for items in hand")
    return tuple(dict(e) for e in entries)


def _plain_answers(raw: Any, path: Path, key: str) -> dict[str, tuple[str, ...]]:
    """Answers a caller or a place gives in its own way (fact-free questions only)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(path, key, "must be a mapping of question -> variants")
    out = {}
    for question, variants in raw.items():
        if question not in PLAIN_QUESTIONS and question != "relationship":
            allowed = ", ".join((*PLAIN_QUESTIONS, "relationship"))
            raise _fail(path, f"{key}.{question}", f"only {allowed} here")
        out[question] = _str_list(variants, path, f"{key}.{question}")
    return out


def _callers(raw: Any, path: Path) -> tuple[Caller, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(path, "callers", "must be a non-empty list")
    callers = []
    for i, item in enumerate(raw):
        key = f"callers[{i}]"
        if not isinstance(item, Mapping) or not item.get("role"):
            raise _fail(path, key, "needs a role")
        relation = item.get("relation", "stranger")
        if relation not in RELATIONS:
            raise _fail(path, f"{key}.relation", f"one of {', '.join(RELATIONS)}")
        kin = str(item.get("kin") or "")
        if relation == "family" and not kin:
            raise _fail(path, f"{key}.kin", "a family caller names the family word (kin)")
        gender = item.get("gender", "any")
        age = item.get("age", "adult")
        if gender not in ("male", "female", "any") or age not in ("adult", "older", "young"):
            raise _fail(path, key, "gender is male|female|any, age is adult|older|young")
        refs = _str_list(item.get("ref", DEFAULT_REFS[relation]), path, f"{key}.ref")
        ages = _str_list(item.get("ages", []), path, f"{key}.ages", allow_empty=True)
        callers.append(
            Caller(
                role=str(item["role"]),
                relation=relation,
                gender=gender,
                age=age,
                kin=kin,
                refs=refs,
                weight=float(item.get("weight", 1)),
                ages=ages,
                answers=_plain_answers(item.get("answers"), path, f"{key}.answers"),
            )
        )
    return tuple(callers)


def _places(raw: Any, path: Path) -> tuple[Place, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(path, "places", "must be a non-empty list")
    places = []
    for i, item in enumerate(raw):
        key = f"places[{i}]"
        if not isinstance(item, Mapping) or not item.get("kind") or not item.get("location"):
            raise _fail(path, key, "needs a kind and a location")
        ambience = item.get("ambience", "none")
        if ambience not in AMBIENCES:
            raise _fail(path, f"{key}.ambience", f"one of {', '.join(AMBIENCES)}")
        location = str(item["location"])
        for abbreviation in (" St.", " Ave.", " Apt.", " Rd.", " Blvd."):
            if abbreviation in location:
                raise _fail(path, f"{key}.location", "spell words out for speech (no St., Apt.)")
        places.append(
            Place(
                kind=str(item["kind"]),
                location=location,
                here=_str_list(item.get("here", [item["kind"]]), path, f"{key}.here"),
                ambience=ambience,
                answers=_plain_answers(item.get("answers"), path, f"{key}.answers"),
            )
        )
    return tuple(places)


def _opening(raw: Any, path: Path) -> tuple[Any, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(path, "opening", "must be a list of fragment groups")
    groups: list[Any] = []
    for i, group in enumerate(raw):
        if isinstance(group, str) and group in MARKERS:
            groups.append(group)
        else:
            groups.append(_str_list(group, path, f"opening[{i}]"))
    return tuple(groups)


def _answers(raw: Any, path: Path, book: dict, threat_target: str) -> dict[str, Any]:
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise _fail(path, "answers", "must be a mapping of question -> variants")
    answers: dict[str, Any] = {}
    for question in list(FACT_QUESTIONS) + list(PLAIN_QUESTIONS) + ["relationship"]:
        own = raw.get(question)
        if question in FACT_QUESTIONS:
            fact = FACT_QUESTIONS[question]
            fallback_key = question
            if question in ("threats", "suicide") and threat_target == "self":
                fallback_key = "threats_self"
            merged = dict(book["answers"].get(fallback_key, {}))
            if own is not None:
                merged.update(_fact_answers(own, fact, path, f"answers.{question}"))
            answers[question] = merged
        elif question == "relationship":
            merged = dict(book["answers"]["relationship"])
            if isinstance(own, Mapping):
                merged.update(
                    {r: _str_list(v, path, f"answers.relationship.{r}") for r, v in own.items()}
                )
            elif own is not None:
                merged = {r: _str_list(own, path, "answers.relationship") for r in RELATIONS}
            answers[question] = merged
        elif own is not None:
            answers[question] = _str_list(own, path, f"answers.{question}")
        elif question in book["answers"]:
            answers[question] = book["answers"][question]
    unknown = [q for q in raw if q not in answers and q not in FACT_QUESTIONS]
    if unknown:
        raise _fail(path, f"answers.{unknown[0]}", "not a screening question (use `extra`)")
    if "what_happened" not in answers:
        raise _fail(path, "answers.what_happened", "is required")
    return answers


def _template(path: Path, raw: dict, book: dict, call_types: Mapping[str, Any]) -> Template:
    unknown = sorted(str(k) for k in raw if k not in TEMPLATE_KEYS)
    if unknown:
        raise _fail(path, unknown[0], "unknown key")
    _check_placeholders({k: v for k, v in raw.items() if k not in ("id",)}, path, "template")
    tid = raw.get("id")
    if (
        not isinstance(tid, str)
        or not tid
        or not all(c.islower() or c.isdigit() or c == "-" for c in tid)
    ):
        raise _fail(path, "id", "must be lower-case letters, digits and -")
    call_type = raw.get("call_type")
    if call_type not in call_types:
        raise _fail(path, "call_type", f"unknown call type {call_type!r}")
    final = raw.get("final_call_type", call_type)
    if isinstance(final, Mapping):
        unknown = sorted(str(k) for k in final if k not in ("clear", "disqualified", "medical"))
        if unknown:
            raise _fail(path, f"final_call_type.{unknown[0]}", "clear, disqualified or medical")
        clear, disq = final.get("clear", call_type), final.get("disqualified", call_type)
        medical = final.get("medical")
    else:
        clear = disq = final
        medical = None
    if medical is None:  # policy rule 8: a narrower medical code, else MEDICAL_EMERGENCY
        own = call_types.get(call_type)
        medical = call_type if own and own.group == "medical_emergency" else "MEDICAL_EMERGENCY"
    for code in (clear, disq, medical):
        if code not in call_types:
            raise _fail(path, "final_call_type", f"unknown call type {code!r}")
    if call_types[medical].eligible:
        raise _fail(path, "final_call_type.medical", f"{medical} is eligible; use a medical code")
    threat_target = raw.get("threat_target", "others")
    if threat_target not in ("others", "self"):
        raise _fail(path, "threat_target", "others or self")
    weights = {name: dict(w) for name, w in DEFAULT_WEIGHTS.items()}
    facts_raw = raw.get("facts") or {}
    for name, value in facts_raw.items():
        if name not in FACT_VALUES:
            raise _fail(path, f"facts.{name}", f"unknown fact (one of: {', '.join(FACT_VALUES)})")
        if name == "evidence":
            value = {{True: "yes", False: "no"}.get(k, k): v for k, v in value.items()}
        weights[name] = _weights(value, FACT_VALUES[name], path, f"facts.{name}")
    ensure = None
    if raw.get("ensure"):
        fact, _, value = str(raw["ensure"]).partition("=")
        if fact not in FACT_VALUES or value not in FACT_VALUES[fact]:
            raise _fail(path, "ensure", "must be fact=value, e.g. threat=current")
        ensure = (fact, value)
    fallback = None
    if raw.get("fallback"):
        fb = raw["fallback"]
        fallback = (str(fb["disposition"]), tuple(fb.get("acceptable") or ()))
    items = dict(book["items"])
    for state, entries in (raw.get("items") or {}).items():
        if state not in items:
            raise _fail(path, f"items.{state}", "in_hand|in_reach|out_of_reach|carried")
        items[state] = _items(entries, path, state)
    subject = raw.get("subject") or {}
    nouns = {"male": {"man": "man", "guy": "guy"}, "female": {"man": "woman", "guy": "woman"}}
    for gender, words in (subject.get("nouns") or {}).items():
        nouns[gender] = {"man": str(words["man"]), "guy": str(words["guy"])}
    crimes = _str_list(raw.get("crimes", []), path, "crimes", allow_empty=True)
    if weights["crime"].get("minor") and not crimes:
        raise _fail(path, "crimes", "a template with minor crimes lists what they are")
    extra = []
    for i, item in enumerate(raw.get("extra") or []):
        if not isinstance(item, Mapping) or not {"id", "question", "answer"} <= set(item):
            raise _fail(path, f"extra[{i}]", "needs id, question and answer")
        extra.append(
            {
                "id": str(item["id"]),
                "question": str(item["question"]),
                "answer": _str_list(item["answer"], path, f"extra[{i}].answer"),
            }
        )
    difficulty = int(raw.get("difficulty", 2))
    priority = int(raw.get("priority", 3))
    if not 1 <= difficulty <= 5 or not 1 <= priority <= 4:
        raise _fail(path, "difficulty", "difficulty is 1..5 and priority 1..4")
    hours = _weights(raw.get("hours", DEFAULT_HOURS), tuple(DAY_PARTS), path, "hours")
    channels = _weights(raw.get("channels", {"911": 1}), CHANNELS, path, "channels")
    callers = _callers(raw.get("callers"), path)
    answers = _answers(raw.get("answers"), path, book, threat_target)
    if any(c.relation == "self" for c in callers):
        own = raw.get("answers") or {}
        for question in ("weapons", "threats", "medical", "what_happened"):
            if question not in own:
                raise _fail(path, f"answers.{question}", "a self-caller template writes its own")
    default_crisis = call_types[call_type].group in ("behavioral_health", "welfare")
    for flag in ("crisis", "violence", "hotline"):
        if not isinstance(raw.get(flag, True), bool):
            raise _fail(path, flag, "must be true or false")
    template = Template(
        id=tid,
        path=path,
        call_type=call_type,
        final_clear=clear,
        final_disqualified=disq,
        titles=_str_list(raw.get("title"), path, "title"),
        module=raw.get("module"),
        difficulty=difficulty,
        priority=priority,
        tags=_str_list(raw.get("tags", []), path, "tags", allow_empty=True),
        channels=channels,
        hours=hours,
        also_acceptable=tuple(raw.get("also_acceptable") or ()),
        fallback=fallback,
        ensure=ensure,
        threat_target=threat_target,
        required_extra=tuple(raw.get("required_extra") or ()),
        callers=callers,
        subject_gender=str(subject.get("gender", "any")),
        nouns=nouns,
        ages=_str_list(subject.get("ages", book["ages"]), path, "subject.ages"),
        places=_places(raw.get("places"), path),
        weights=weights,
        items=items,
        threat_when=_str_list(raw.get("threat_when", book["threat_when"]), path, "threat_when"),
        crimes=crimes,
        opening=_opening(raw.get("opening"), path),
        herrings=_str_list(raw.get("herrings", []), path, "herrings", allow_empty=True),
        crime_openings=_str_list(raw.get("crime_openings", []), path, "crime_openings", True),
        answers=answers,
        extra=tuple(extra),
        entry_relevant="entry" in facts_raw,
        evidence_relevant="evidence" in facts_raw or bool(weights["crime"].get("minor")),
        clothing=_str_list(subject.get("clothing", book["clothing"]), path, "subject.clothing"),
        prior_calls=_str_list(raw.get("prior_calls", []), path, "prior_calls", allow_empty=True),
        hotline=bool(raw.get("hotline", True)),
        crisis=bool(raw.get("crisis", default_crisis)),
        violence=bool(raw.get("violence", False)),
        final_medical=medical,
        disqualified_eligible=call_types[disq].eligible,
    )
    _check_answers(template, path)
    return template


def _asked_values(template: Template, question: str) -> list[str]:
    """The fact values a call from ``template`` may need an answer to ``question`` for."""
    fact = FACT_QUESTIONS[question]
    if fact == "evidence":
        values = [v for v in ("no", "yes") if template.weights["evidence"].get(v)]
    else:
        values = [v for v, w in template.weights[fact].items() if w > 0]
    if template.ensure and template.ensure[0] == fact and template.ensure[1] not in values:
        values.append(template.ensure[1])
    if question == "suicide":
        asked = template.threat_target == "self" or "suicide" in template.required_extra
        return values if asked else []
    if question == "injuries":
        if template.call_type in ("ASSAULT", "DOMESTIC_VIOLENCE"):
            return values
        return [v for v in values if v != "none"]
    if question == "entry":
        return values if template.entry_relevant else []
    if question == "evidence":
        return values if template.evidence_relevant else []
    return values


def _check_answers(template: Template, path: Path) -> None:
    """Every fact value a call may draw has an answer for every question that reveals it,
    so a missing variant fails when the templates load, never halfway through a run."""
    for question in FACT_QUESTIONS:
        answers = template.answers.get(question) or {}
        for value in _asked_values(template, question):
            if not answers.get(value):
                fact = FACT_QUESTIONS[question]
                raise _fail(path, f"answers.{question}", f"no answer for {fact}={value}")
    for state, pool in ITEM_POOL.items():
        if template.weights["weapon"].get(state) and not template.items[pool]:
            raise _fail(path, f"items.{pool}", "needs at least one item")


@functools.cache
def load_templates(template_dir: Path = TEMPLATE_DIR) -> tuple[Template, ...]:
    """Every call template in ``template_dir`` (files not starting with ``_``), sorted by id."""
    from app.core.protocol import load_protocol

    call_types = load_protocol().call_types
    book = load_phrasebook(template_dir)
    if not template_dir.is_dir():
        raise TemplateError(f"no template folder at {template_dir}")
    templates = []
    seen: dict[str, Path] = {}
    for path in sorted(template_dir.glob("*.y*ml")):
        if path.name.startswith("_"):
            continue
        template = _template(path, _read(path), book, call_types)
        if template.id in seen:
            raise TemplateError(f"{path.name}: id {template.id!r} also in {seen[template.id].name}")
        seen[template.id] = path
        templates.append(template)
    if not templates:
        raise TemplateError(f"no call templates in {template_dir}")
    return tuple(sorted(templates, key=lambda t: t.id))
