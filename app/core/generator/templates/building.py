"""Building a :class:`Template` from its file, with every check made at load time."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.core.generator.facts import DAY_PARTS, DEFAULT_HOURS, DEFAULT_WEIGHTS, FACT_VALUES
from app.core.generator.templates.model import (
    AMBIENCES,
    BILINGUAL,
    CALLER_AGES,
    CHANNELS,
    DEFAULT_REFS,
    FACT_QUESTIONS,
    ITEM_POOL,
    ITEM_STATES,
    LANGUAGES,
    MARKERS,
    PLAIN_QUESTIONS,
    RELATIONS,
    TEMPLATE_DIR,
    TEMPLATE_KEYS,
    Caller,
    Place,
    Template,
    TemplateError,
)
from app.core.generator.templates.parts import (
    _check_placeholders,
    _fact_answers,
    _fail,
    _items,
    _plain_answers,
    _read,
    _str_list,
    _weights,
    load_phrasebook,
)
from app.core.protocol import load_protocol
from app.core.yaml_safe import YamlFile


def _callers(raw: Any, src: YamlFile) -> tuple[Caller, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(src, "callers", "must be a non-empty list")
    callers = []
    for i, item in enumerate(raw):
        key = f"callers[{i}]"
        if not isinstance(item, Mapping) or not item.get("role"):
            raise _fail(src, key, "needs a role")
        relation = item.get("relation", "stranger")
        if relation not in RELATIONS:
            raise _fail(src, f"{key}.relation", f"one of {', '.join(RELATIONS)}")
        kin = str(item.get("kin") or "")
        if relation == "family" and not kin:
            raise _fail(src, f"{key}.kin", "a family caller names the family word (kin)")
        gender = item.get("gender", "any")
        age = item.get("age", "adult")
        if gender not in ("male", "female", "any") or age not in CALLER_AGES:
            raise _fail(src, key, f"gender is male|female|any, age is {'|'.join(CALLER_AGES)}")
        refs = _str_list(item.get("ref", DEFAULT_REFS[relation]), src, f"{key}.ref")
        ages = _str_list(item.get("ages", []), src, f"{key}.ages", allow_empty=True)
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
                answers=_plain_answers(item.get("answers"), src, f"{key}.answers"),
                places=_str_list(item.get("places", []), src, f"{key}.places", True),
            )
        )
    return tuple(callers)


def _places(raw: Any, src: YamlFile) -> tuple[Place, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(src, "places", "must be a non-empty list")
    places = []
    for i, item in enumerate(raw):
        key = f"places[{i}]"
        if not isinstance(item, Mapping) or not item.get("kind") or not item.get("location"):
            raise _fail(src, key, "needs a kind and a location")
        ambience = item.get("ambience", "none")
        if ambience not in AMBIENCES:
            raise _fail(src, f"{key}.ambience", f"one of {', '.join(AMBIENCES)}")
        location = str(item["location"])
        for abbreviation in (" St.", " Ave.", " Apt.", " Rd.", " Blvd."):
            if abbreviation in location:
                raise _fail(src, f"{key}.location", "spell words out for speech (no St., Apt.)")
        places.append(
            Place(
                kind=str(item["kind"]),
                location=location,
                here=_str_list(item.get("here", [item["kind"]]), src, f"{key}.here"),
                ambience=ambience,
                answers=_plain_answers(item.get("answers"), src, f"{key}.answers"),
            )
        )
    return tuple(places)


def _opening(raw: Any, src: YamlFile) -> tuple[Any, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(src, "opening", "must be a list of fragment groups")
    groups: list[Any] = []
    for i, group in enumerate(raw):
        if isinstance(group, str) and group in MARKERS:
            groups.append(group)
        else:
            groups.append(_str_list(group, src, f"opening[{i}]"))
    return tuple(groups)


# Keys whose texts a template in another language writes in both languages.
BILINGUAL_KEYS = (
    "callers",
    "subject",
    "places",
    "items",
    "threat_when",
    "crimes",
    "opening",
    "herrings",
    "crime_openings",
    "answers",
    "extra",
)
# Keys inside those that stay in English (codes, the screen's words, the rationale's).
_ENGLISH_KEYS = {"role", "relation", "gender", "age", "kin", "kind", "location", "ambience"}
_ENGLISH_KEYS |= {"note", "question", "id", "nouns", "weight", "firearm", "places"}


def _check_bilingual(value: Any, src: YamlFile, key: str) -> None:
    """Every text is "<caller's words> || <English>", with one separator."""
    if isinstance(value, str):
        if value not in MARKERS and value.count(BILINGUAL) != 1:
            raise _fail(
                src, key, f"write the caller's words, then ' || ', then the English: {value!r}"
            )
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if str(k) not in _ENGLISH_KEYS:
                _check_bilingual(v, src, f"{key}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_bilingual(v, src, f"{key}[{i}]")


def _answers(raw: Any, src: YamlFile, book: dict, threat_target: str) -> dict[str, Any]:
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise _fail(src, "answers", "must be a mapping of question -> variants")
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
                merged.update(_fact_answers(own, fact, src, f"answers.{question}"))
            answers[question] = merged
        elif question == "relationship":
            merged = dict(book["answers"].get("relationship", {}))
            if isinstance(own, Mapping):
                merged.update(
                    {r: _str_list(v, src, f"answers.relationship.{r}") for r, v in own.items()}
                )
            elif own is not None:
                merged = {r: _str_list(own, src, "answers.relationship") for r in RELATIONS}
            answers[question] = merged
        elif own is not None:
            answers[question] = _str_list(own, src, f"answers.{question}")
        elif question in book["answers"]:
            answers[question] = book["answers"][question]
    unknown = [q for q in raw if q not in answers and q not in FACT_QUESTIONS]
    if unknown:
        raise _fail(src, f"answers.{unknown[0]}", "not a screening question (use `extra`)")
    if "what_happened" not in answers:
        raise _fail(src, "answers.what_happened", "is required")
    return answers


def _template(path: Path, src: YamlFile, book: dict, call_types: Mapping[str, Any]) -> Template:
    raw = src.value
    unknown = sorted(str(k) for k in raw if k not in TEMPLATE_KEYS)
    if unknown:
        raise _fail(src, unknown[0], "unknown key")
    _check_placeholders({k: v for k, v in raw.items() if k not in ("id",)}, src)
    language = raw.get("language", "en")
    if language not in LANGUAGES:
        raise _fail(src, "language", f"one of {', '.join(LANGUAGES)}")
    if language != "en":
        # The shared phrasebook is English: a template in another language writes every
        # answer and object itself, each text in both languages.
        book = dict(book, answers={}, items={}, ages=[], threat_when=[], clothing=[])
        for key in BILINGUAL_KEYS:
            if key in raw:
                _check_bilingual(raw[key], src, key)
    tid = raw.get("id")
    if (
        not isinstance(tid, str)
        or not tid
        or not all(c.islower() or c.isdigit() or c == "-" for c in tid)
    ):
        raise _fail(src, "id", "must be lower-case letters, digits and -")
    call_type = raw.get("call_type")
    if call_type not in call_types:
        raise _fail(src, "call_type", f"unknown call type {call_type!r}")
    final = raw.get("final_call_type", call_type)
    if isinstance(final, Mapping):
        unknown = sorted(str(k) for k in final if k not in ("clear", "disqualified", "medical"))
        if unknown:
            raise _fail(src, f"final_call_type.{unknown[0]}", "clear, disqualified or medical")
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
            raise _fail(src, "final_call_type", f"unknown call type {code!r}")
    if call_types[medical].eligible:
        raise _fail(src, "final_call_type.medical", f"{medical} is eligible; use a medical code")
    threat_target = raw.get("threat_target", "others")
    if threat_target not in ("others", "self"):
        raise _fail(src, "threat_target", "others or self")
    weights = {name: dict(w) for name, w in DEFAULT_WEIGHTS.items()}
    facts_raw = raw.get("facts") or {}
    for name, value in facts_raw.items():
        if name not in FACT_VALUES:
            raise _fail(src, f"facts.{name}", f"unknown fact (one of: {', '.join(FACT_VALUES)})")
        weights[name] = _weights(value, FACT_VALUES[name], src, f"facts.{name}")
    ensure = None
    if raw.get("ensure"):
        fact, _, value = str(raw["ensure"]).partition("=")
        if fact not in FACT_VALUES or value not in FACT_VALUES[fact]:
            raise _fail(src, "ensure", "must be fact=value, e.g. threat=current")
        ensure = (fact, value)
    fallback = None
    if raw.get("fallback"):
        fb = raw["fallback"]
        fallback = (str(fb["disposition"]), tuple(fb.get("acceptable") or ()))
    items = dict(book["items"])
    for state, entries in (raw.get("items") or {}).items():
        if state not in ITEM_STATES:
            raise _fail(src, f"items.{state}", "in_hand|in_reach|out_of_reach|carried")
        items[state] = _items(entries, src, state)
    missing = [state for state in ITEM_STATES if state not in items]
    if missing:
        raise _fail(src, "items", f"a template in {language} lists its own {missing[0]} items")
    subject = raw.get("subject") or {}
    nouns = {"male": {"man": "man", "guy": "guy"}, "female": {"man": "woman", "guy": "woman"}}
    for gender, words in (subject.get("nouns") or {}).items():
        nouns[gender] = {"man": str(words["man"]), "guy": str(words["guy"])}
    crimes = _str_list(raw.get("crimes", []), src, "crimes", allow_empty=True)
    if weights["crime"].get("minor") and not crimes:
        raise _fail(src, "crimes", "a template with minor crimes lists what they are")
    extra = []
    for i, item in enumerate(raw.get("extra") or []):
        if not isinstance(item, Mapping) or not {"id", "question", "answer"} <= set(item):
            raise _fail(src, f"extra[{i}]", "needs id, question and answer")
        extra.append(
            {
                "id": str(item["id"]),
                "question": str(item["question"]),
                "answer": _str_list(item["answer"], src, f"extra[{i}].answer"),
            }
        )
    difficulty = int(raw.get("difficulty", 2))
    priority = int(raw.get("priority", 3))
    if not 1 <= difficulty <= 5 or not 1 <= priority <= 4:
        raise _fail(src, "difficulty", "difficulty is 1..5 and priority 1..4")
    hours = _weights(raw.get("hours", DEFAULT_HOURS), tuple(DAY_PARTS), src, "hours")
    channels = _weights(raw.get("channels", {"911": 1}), CHANNELS, src, "channels")
    callers = _callers(raw.get("callers"), src)
    answers = _answers(raw.get("answers"), src, book, threat_target)
    if any(c.relation == "self" for c in callers):
        own = raw.get("answers") or {}
        for question in ("weapons", "threats", "medical", "what_happened"):
            if question not in own:
                raise _fail(src, f"answers.{question}", "a self-caller template writes its own")
    default_crisis = call_types[call_type].group in ("behavioral_health", "welfare")
    for flag in ("crisis", "violence", "hotline", "can_speak_freely"):
        if not isinstance(raw.get(flag, True), bool):
            raise _fail(src, flag, "must be true or false")
    template = Template(
        id=tid,
        path=path,
        call_type=call_type,
        final_clear=clear,
        final_disqualified=disq,
        titles=_str_list(raw.get("title"), src, "title"),
        module=raw.get("module"),
        difficulty=difficulty,
        priority=priority,
        tags=_str_list(raw.get("tags", []), src, "tags", allow_empty=True),
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
        ages=_str_list(subject.get("ages", book["ages"]), src, "subject.ages"),
        places=_places(raw.get("places"), src),
        weights=weights,
        items=items,
        threat_when=_str_list(raw.get("threat_when", book["threat_when"]), src, "threat_when"),
        crimes=crimes,
        opening=_opening(raw.get("opening"), src),
        herrings=_str_list(raw.get("herrings", []), src, "herrings", allow_empty=True),
        crime_openings=_str_list(raw.get("crime_openings", []), src, "crime_openings", True),
        answers=answers,
        extra=tuple(extra),
        entry_relevant="entry" in facts_raw,
        evidence_relevant="evidence" in facts_raw or bool(weights["crime"].get("minor")),
        clothing=_str_list(subject.get("clothing", book["clothing"]), src, "subject.clothing"),
        prior_calls=_str_list(raw.get("prior_calls", []), src, "prior_calls", allow_empty=True),
        hotline=bool(raw.get("hotline", True)),
        crisis=bool(raw.get("crisis", default_crisis)),
        violence=bool(raw.get("violence", False)),
        language=language,
        can_speak_freely=bool(raw.get("can_speak_freely", True)),
        final_medical=medical,
        disqualified_eligible=call_types[disq].eligible,
    )
    kinds = {place.kind for place in template.places}
    for i, caller in enumerate(template.callers):
        unknown = [kind for kind in caller.places if kind not in kinds]
        if unknown:
            raise _fail(src, f"callers[{i}].places", f"no place of kind {unknown[0]!r}")
    _check_answers(template, src)
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


def _check_answers(template: Template, src: YamlFile) -> None:
    """Every fact value a call may draw has an answer for every question that reveals it,
    so a missing variant fails when the templates load, never halfway through a run."""
    for question in FACT_QUESTIONS:
        answers = template.answers.get(question) or {}
        for value in _asked_values(template, question):
            if not answers.get(value):
                fact = FACT_QUESTIONS[question]
                raise _fail(src, f"answers.{question}", f"no answer for {fact}={value}")
    for state, pool in ITEM_POOL.items():
        if template.weights["weapon"].get(state) and not template.items[pool]:
            raise _fail(src, f"items.{pool}", "needs at least one item")


@functools.cache
def load_templates(template_dir: Path = TEMPLATE_DIR) -> tuple[Template, ...]:
    """Every call template in ``template_dir`` (files not starting with ``_``), sorted by id."""
    call_types = load_protocol().call_types
    book = load_phrasebook(template_dir)
    if not template_dir.is_dir():
        raise TemplateError(f"no template folder at {template_dir}")
    templates = []
    seen: dict[str, Path] = {}
    for path in sorted(template_dir.glob("*.y*ml")):
        if path.name.startswith("_"):
            continue
        src = _read(path)
        template = _template(path, src, book, call_types)
        if template.id in seen:
            raise src.fail("id", f"id {template.id!r} also in {seen[template.id].name}")
        seen[template.id] = path
        templates.append(template)
    if not templates:
        raise TemplateError(f"no call templates in {template_dir}")
    return tuple(sorted(templates, key=lambda t: t.id))
