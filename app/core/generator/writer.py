"""From a template to a scenario: draw the facts, then write the call around them.

Two random streams per call keep counterfactual twins honest: the *structural* stream
(facts, caller, place, every phrasing choice) and the *identity* stream (names,
neighbourhood, family words, accent). A twin redraws only the identity.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.core.generator import speech
from app.core.generator.coherence import PLAYING_DOWN, site_fits
from app.core.generator.dress import outfit
from app.core.generator.facts import (
    HOTLINE_CLOSED_AT_NIGHT,
    RESPONDERS_UNAVAILABLE,
    Facts,
    draw_time,
    is_night,
    pick,
)
from app.core.generator.identity import Identity
from app.core.generator.rules import CallSetting, derive_key, disqualifiers_for, expert_answer
from app.core.generator.templates import ITEM_POOL, KIN_GENDER, Caller, Place, Template
from app.core.generator.templates.model import BILINGUAL

GROUP_MODULE = {
    "conflict": "conflict-calls",
    "behavioral_health": "transfers-and-handoffs",
    "welfare": "eligible-call-types",
    "violent": "disqualifiers",
    "medical_emergency": "disqualifiers",
    "fire": "disqualifiers",
    "other": "real-time-screening",
}
QUESTION_ORDER = (
    "address",
    "callback",
    "what_happened",
    "description",
    "relationship",
    "location_inside",
    "weapons",
    "threats",
    "suicide",
    "medical",
    "injuries",
    "entry",
    "evidence",
    "substances",
)
STREET_SUFFIXES = (
    "Street",
    "Street",
    "Avenue",
    "Avenue",
    "Road",
    "Drive",
    "Lane",
    "Boulevard",
    "Court",
    "Place",
    "Way",
    "Terrace",
)
AREA_CODES = ("312", "415", "503", "206", "303", "612", "919", "541", "720", "213", "404", "617")
PRONOUNS = {
    "male": {"he": "he", "him": "him", "his": "his", "himself": "himself"},
    "female": {"he": "she", "him": "her", "his": "her", "himself": "herself"},
}
HERRING_CHANCE = 0.6
# What a caller in another language says once the language line joins (and its English).
INTERPRETER_LINES = {
    "es": (
        "Sí, por favor, en español. Gracias. || Yes, please, in Spanish. Thank you.",
        "Ay, gracias. Hablo español, poquito inglés. || Oh, thank you. I speak Spanish, a "
        "little English.",
        "Sí, sí, español, por favor. || Yes, yes, Spanish, please.",
    )
}
_TEXT_SALT = 0x7E57_5A17  # separates the words' random stream from the facts' stream
PRIOR_CALLS_CHANCE = 0.3
_SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _tidy(text: str) -> str:
    """One line, single spaces, each sentence starting with a capital letter."""
    text = " ".join(text.split())
    return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)


@dataclass
class Draft:
    """Everything about one call except who the people are."""

    template: Template
    facts: Facts
    caller: Caller
    caller_gender: str
    subject_gender: str
    place: Place
    title: str
    opening: list[str]
    exchanges: list[tuple[str, str | None, str]]  # (question id, own question text, raw answer)
    values: dict[str, str]  # structural placeholder values (raw, may hold placeholders)
    notes: dict[str, str]  # identity-free words for the rationale
    prior_calls: str | None
    final_call_type: str


@functools.cache
def _street_names() -> tuple[list[str], list[float]]:
    """Faker's en_US surnames with their cumulative weights (street names are built from them)."""
    from faker.providers.person.en_US import Provider

    names = list(Provider.last_names)
    cumulative, total = [], 0.0
    for name in names:
        total += float(Provider.last_names[name])
        cumulative.append(total)
    return names, cumulative


def _street(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"{speech.ordinal_words(rng.randint(2, 49)).title()} {rng.choice(STREET_SUFFIXES)}"
    names, cumulative = _street_names()
    base = rng.choices(names, cum_weights=cumulative)[0]
    return f"{base} {rng.choice(STREET_SUFFIXES)}"


def draw_facts(rng: random.Random, template: Template, caller: Caller) -> Facts:
    """The facts of one call, in proportion to the template's weights."""
    w = template.weights
    drawn = Facts(
        weapon=pick(rng, w["weapon"]),
        threat=pick(rng, w["threat"]),
        medical=pick(rng, w["medical"]),
        entry=pick(rng, w["entry"]),
        evidence=pick(rng, w["evidence"]) == "yes",
        crime=pick(rng, w["crime"]),
        substances=pick(rng, w["substances"]),
    )
    time = draw_time(rng, template.hours)
    channel = pick(rng, template.channels)
    responders_available = rng.random() >= RESPONDERS_UNAVAILABLE
    closed_draw = rng.random()
    facts = replace(
        drawn,
        threat_target=template.threat_target,
        third_party=caller.relation != "self",
        time=time,
        responders_available=responders_available,
        hotline_open=False if is_night(time) and closed_draw < HOTLINE_CLOSED_AT_NIGHT else None,
        channel=channel,
        entry_relevant=template.entry_relevant,
        evidence_relevant=template.evidence_relevant,
        violence=template.violence,
    )
    if template.ensure and not disqualifiers_for(facts):
        fact, value = template.ensure
        # The field is named by the template file (checked against FACT_VALUES when loaded).
        change: dict[str, Any] = {fact: value == "yes" if fact == "evidence" else value}
        facts = replace(facts, **change)
    return facts


def _answer_variants(template: Template, question: str, facts: Facts, caller: Caller, place: Place):
    if question in place.answers:
        return place.answers[question]
    if question in caller.answers:
        return caller.answers[question]
    relation = caller.relation
    answers = template.answers[question]
    if question == "relationship":
        return answers[relation]
    if isinstance(answers, Mapping):
        value = {
            "weapons": facts.weapon,
            "threats": facts.threat,
            "suicide": facts.threat,
            "medical": facts.medical,
            "injuries": facts.medical,
            "entry": facts.entry,
            "evidence": "yes" if facts.evidence else "no",
            "substances": facts.substances,
        }[question]
        variants = answers.get(value)
        if not variants:
            raise KeyError(f"{template.path.name}: no answer for {question}={value}")
        return variants
    return answers


def _questions(template: Template, facts: Facts, caller: Caller, place: Place) -> list[str]:
    relation = caller.relation
    wanted = {"address", "callback", "what_happened", "relationship", "weapons", "threats"}
    wanted |= {"medical", "substances"}
    if relation != "self":
        wanted.add("description")
    if any("location_inside" in own for own in (template.answers, caller.answers, place.answers)):
        wanted.add("location_inside")
    if template.threat_target == "self" or "suicide" in template.required_extra:
        wanted.add("suicide")
    if facts.medical != "none" or template.call_type in ("ASSAULT", "DOMESTIC_VIOLENCE"):
        wanted.add("injuries")
    if facts.entry_relevant or facts.entry != "not_needed":
        wanted.add("entry")
    if facts.evidence_relevant or facts.evidence:
        wanted.add("evidence")
    return [q for q in QUESTION_ORDER if q in wanted]


def _at(variants, u: float):
    """The variant at fraction ``u`` of the list (one draw, whatever the list's length)."""
    return variants[min(int(u * len(variants)), len(variants) - 1)]


def _joined(first: str, second: str) -> str:
    """Two texts said one after the other (each half of bilingual texts joined)."""
    if BILINGUAL in first and BILINGUAL in second:
        a, _, b = first.partition(BILINGUAL)
        c, _, d = second.partition(BILINGUAL)
        return f"{a} {c}{BILINGUAL}{b} {d}"
    return f"{first} {second}"


def _fitting(variants, u: float, disqualified: bool) -> str:
    """The variant at ``u``; on a call with a disqualifier, the next one that does not play
    the call down ("it's not an emergency") when that one does."""
    start = min(int(u * len(variants)), len(variants) - 1)
    if not disqualified:
        return variants[start]
    for step in range(len(variants)):
        variant = variants[(start + step) % len(variants)]
        if not PLAYING_DOWN.search(variant):
            return variant
    return variants[start]


def draft_call(template: Template, seed: int, facts: Facts | None = None) -> Draft:
    """Draw the facts and every phrasing choice of one call from ``seed``.

    The facts come from their own random stream and the words from another, and the
    words consume the same draws whatever the facts are. So for one seed, calls that
    differ in a screening fact (``facts=`` lets tests choose them) share the opening and
    every answer except the ones that reveal that fact.
    """
    rng = random.Random(seed ^ _TEXT_SALT)
    callers = template.callers
    caller = rng.choices(callers, weights=[c.weight for c in callers])[0]
    if facts is None:
        facts = draw_facts(random.Random(seed), template, caller)
    # A caller who only fits some places (a parent at the playground) calls from one of them.
    places = [p for p in template.places if not caller.places or p.kind in caller.places]
    place = _at(places, rng.random())

    caller_gender = (
        caller.gender if caller.gender != "any" else _at(("male", "female"), rng.random())
    )
    other_gender = _at(("male", "female"), rng.random())
    if caller.relation == "self":
        subject_gender = caller_gender
    elif template.subject_gender in ("male", "female"):
        subject_gender = template.subject_gender
    elif caller.kin in KIN_GENDER:
        subject_gender = KIN_GENDER[caller.kin]
    else:
        subject_gender = other_gender

    # Weapon item: what it is and where, from the list for its state (one draw whatever
    # the state, so the other words do not change with it).
    notes: dict[str, str] = {}
    values: dict[str, str] = {}
    # Only objects whose whereabouts the place has ("locked in the office" is no friend's flat).
    pool = template.items[ITEM_POOL.get(facts.weapon, "out_of_reach")]
    fitting = [i for i in pool if site_fits(str(i.get("where", "")), place.location)] or pool
    item = _at(fitting, rng.random())
    values["weapon_item"] = item["item"]
    values["weapon_where"] = item.get("where", "")
    menace = ""
    if facts.weapon in ITEM_POOL:
        notes["weapon"] = item["note"]
        if item.get("firearm"):
            facts = replace(facts, firearm=True)
        if facts.weapon == "in_hand" and item.get("menace"):
            menace = str(item["menace"])  # an everyday object, held threateningly
            notes["weapon_everyday"] = "yes"
    values["threat_when"] = _at(template.threat_when, rng.random())
    notes["threat_when"] = values["threat_when"]
    values["crime"] = _at(template.crimes, rng.random()) if template.crimes else "nothing"
    if facts.crime == "minor":
        notes["crime"] = values["crime"]
    values["age"] = _at(caller.ages or template.ages, rng.random())
    values["clothing"] = outfit(rng, template.clothing, parts=template.language == "en")
    values["ref"] = _at(caller.refs, rng.random())
    values["place"] = _at(place.here, rng.random())
    if template.language != "en":  # one more draw, only for a call in another language
        values["interpreter"] = _at(INTERPRETER_LINES[template.language], rng.random())

    number = rng.randint(100, 9899) if rng.random() < 0.85 else rng.randint(10, 99)
    street = _street(rng)
    cross = _street(rng)
    values["street"] = street
    values["cross"] = cross
    values["address"] = f"{speech.house_number_words(number)} {street}"
    values["address_digits"] = f"{number} {street}"
    area, line = _at(AREA_CODES, rng.random()), f"01{rng.randrange(100):02d}"
    values["phone"] = speech.phone_words(area, "555", line)
    values["address_es"] = f"{street}, número {speech.number_words_es(number)}"
    values["phone_es"] = speech.phone_words_es(area, "555", line)
    values["time"] = speech.time_words(facts.time)
    hour = int(facts.time[:2])
    values["now"] = (
        "tonight" if hour >= 17 or hour < 5 else ("this morning" if hour < 12 else "this afternoon")
    )

    opening: list[str] = []
    disqualified = bool(disqualifiers_for(facts))
    for group in template.opening:
        if group == "@crime":
            u = rng.random()
            if facts.crime == "minor" and template.crime_openings:
                opening.append(_at(template.crime_openings, u))
        elif group == "@herring":
            chance, u = rng.random(), rng.random()
            if template.herrings and chance < HERRING_CHANCE:
                opening.append(_at(template.herrings, u))
        else:
            opening.append(_fitting(group, rng.random(), disqualified))

    exchanges: list[tuple[str, str | None, str]] = []
    asked = set(_questions(template, facts, caller, place))
    medical_answer = ""
    for question in QUESTION_ORDER:
        u = rng.random()
        if question not in asked:
            continue
        variants = _answer_variants(template, question, facts, caller, place)
        if question == "medical":
            medical_answer = _at(variants, u)
            exchanges.append((question, None, medical_answer))
        elif question == "injuries":
            # Injuries tell the same story as the medical answer: the paired variant when the
            # two lists are written side by side (same length), else the medical answer itself.
            # A need the caller described is told again in the same words (one injury per
            # call); "none" and "unknown" have their own short answers.
            if facts.medical in ("low", "emergency") and medical_answer:
                exchanges.append((question, None, medical_answer))
            else:
                exchanges.append((question, None, _at(variants, u)))
        elif question == "weapons" and menace:
            exchanges.append((question, None, _joined(_at(variants, u), menace)))
        else:
            exchanges.append((question, None, _at(variants, u)))
    for extra in template.extra:
        exchanges.append((extra["id"], extra["question"], _at(extra["answer"], rng.random())))

    prior = None
    chance, u = rng.random(), rng.random()
    if template.prior_calls and chance < PRIOR_CALLS_CHANCE:
        prior = _at(template.prior_calls, u)

    final = final_call_type(template, disqualifiers_for(facts))
    return Draft(
        template=template,
        facts=facts,
        caller=caller,
        caller_gender=caller_gender,
        subject_gender=subject_gender,
        place=place,
        title=_at(template.titles, rng.random()),
        opening=opening,
        exchanges=exchanges,
        values=values,
        notes=notes,
        prior_calls=prior,
        final_call_type=final,
    )


def final_call_type(template: Template, disqualifiers: list[str]) -> str:
    """The correct final code: the template's clear or disqualified code, except that a
    medical emergency never keeps a code eligible for community responders (policy rule 8):
    it takes the template's medical code (a narrower one, or MEDICAL_EMERGENCY)."""
    if not disqualifiers:
        return template.final_clear
    if "medical" in disqualifiers and (
        disqualifiers == ["medical"] or template.disqualified_eligible
    ):
        return template.final_medical
    return template.final_disqualified


def _context(draft: Draft, identity: Identity) -> dict[str, str]:
    pron = PRONOUNS[draft.subject_gender]
    nouns = draft.template.nouns[draft.subject_gender]
    kin_word = draft.caller.kin
    kin_word = identity.kin.get(kin_word, kin_word)
    hour = int(draft.facts.time[:2])
    tonight = "tonight" if hour >= 17 or hour < 5 else "today"
    ctx = {
        "tonight": tonight,
        "Tonight": _cap(tonight),
        "Hello": greeting(hour),
        "he": pron["he"],
        "He": _cap(pron["he"]),
        "him": pron["him"],
        "Him": _cap(pron["him"]),
        "his": pron["his"],
        "His": _cap(pron["his"]),
        "himself": pron["himself"],
        "man": nouns["man"],
        "Man": _cap(nouns["man"]),
        "guy": nouns["guy"],
        "kin_word": kin_word,
        "kin": f"my {kin_word}",
        "name": identity.subject_first,
        "caller_first": identity.caller_first,
        "caller_name": f"{identity.caller_first} {identity.caller_last}",
        "neighborhood": identity.neighborhood,
    }
    values = draft.values
    for key in (
        "street",
        "cross",
        "address",
        "address_es",
        "address_digits",
        "phone",
        "phone_es",
        "time",
        "now",
        "threat_when",
        "crime",
    ):
        ctx[key] = values[key]
    # Values that may themselves hold placeholders ("{his} hunting knife") are filled in
    # two steps.
    for key in ("weapon_item", "weapon_where", "age", "clothing", "ref", "place"):
        ctx[key] = values[key].format_map(ctx)
    ctx["Ref"] = _cap(ctx["ref"])
    ctx["Age"] = _cap(ctx["age"])
    return ctx


def greeting(hour: int) -> str:
    """A greeting that fits the hour: "Good morning" before noon, "Hello" at night."""
    if 5 <= hour < 12:
        return "Good morning"
    if 12 <= hour < 17:
        return "Good afternoon"
    if 17 <= hour < 22:
        return "Good evening"
    return "Hello"


def voice_hint(age: str, gender: str, accent: str) -> str:
    """The caller's voice for speech: "adult_female", or with an accent "adult_female_spanish"."""
    base = f"{age}_{gender}"
    return f"{base}_{accent}" if accent else base


def _halves(ctx: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The context in the caller's language and in English (bilingual values split)."""
    own, english = {}, {}
    for key, value in ctx.items():
        first, found, second = value.partition(BILINGUAL)
        own[key], english[key] = (first, second) if found else (value, value)
    return own, english


def render(draft: Draft, identity: Identity, setting: CallSetting) -> tuple[dict, dict]:
    """The scenario's ``call`` mapping and its ``expert`` key for one identity."""
    ctx = _context(draft, identity)
    t = draft.template
    caller: dict = {
        "role": draft.caller.role,
        "relation": draft.caller.relation,
        "voice": voice_hint(draft.caller.age, draft.caller_gender, identity.accent),
    }
    if draft.caller.age in ("child", "teen"):
        caller["age"] = draft.caller.age  # a kind of call the bank report counts
    if not t.can_speak_freely:
        caller["can_speak_freely"] = False
    exchanges = []
    if t.language != "en":
        return _render_bilingual(draft, ctx, caller, setting)
    for question, own_text, raw in draft.exchanges:
        answer = _tidy(raw.format_map(ctx))
        if own_text is None:
            exchanges.append({"ask": question, "answer": answer})
        else:
            exchanges.append(
                {"id": question, "question": _tidy(own_text.format_map(ctx)), "answer": answer}
            )
    context: dict = {"responders_available": draft.facts.responders_available}
    if draft.facts.hotline_open is False:
        context["hotline_open"] = False
    context["ambience"] = draft.place.ambience
    if draft.prior_calls:
        context["prior_calls"] = _tidy(draft.prior_calls.format_map(ctx))
    call = {
        "channel": draft.facts.channel,
        "time": draft.facts.time,
        "initial_call_type": t.call_type,
        "location": _tidy(draft.place.location.format_map(ctx)),
        "caller": caller,
        "opening": _tidy(" ".join(part.format_map(ctx) for part in draft.opening)),
        "exchanges": exchanges,
        "context": context,
    }
    expert = derive_key(draft.facts, setting)
    return call, expert


def _render_bilingual(
    draft: Draft, ctx: dict[str, str], caller: dict, setting: CallSetting
) -> tuple[dict, dict]:
    """A call in the caller's language: the opening and each answer in that language, each
    answer's English (what the language line relays) as ``interpreted``; the trainee asks
    for the interpreter (scenario format, revision 2)."""
    own, english = _halves(ctx)

    def say(raw: str) -> tuple[str, str]:
        first, _, second = raw.partition(BILINGUAL)
        return _tidy(first.format_map(own)), _tidy(second.format_map(english))

    exchanges: list[dict] = []
    for question, own_text, raw in draft.exchanges:
        answer, interpreted = say(raw)
        entry: dict = {"ask": question} if own_text is None else {"id": question}
        if own_text is not None:
            entry["question"] = _tidy(own_text.format_map(english))
        entry["answer"] = answer
        entry["interpreted"] = interpreted
        exchanges.append(entry)
    answer, interpreted = say(draft.values["interpreter"])
    exchanges.append({"ask": "interpreter", "answer": answer, "interpreted": interpreted})
    parts = [say(part) for part in draft.opening]
    context: dict = {"responders_available": draft.facts.responders_available}
    if draft.facts.hotline_open is False:
        context["hotline_open"] = False
    context["ambience"] = draft.place.ambience
    call = {
        "channel": draft.facts.channel,
        "time": draft.facts.time,
        "initial_call_type": draft.template.call_type,
        "location": _tidy(draft.place.location.format_map(english)),
        "caller": dict(caller, language=draft.template.language),
        "opening": _tidy(" ".join(first for first, _ in parts)),
        "exchanges": exchanges,
        "context": context,
    }
    return call, derive_key(draft.facts, setting)


def difficulty_for(draft: Draft) -> int:
    facts = draft.facts
    level = draft.template.difficulty
    if facts.weapon in ("out_of_reach", "carried") or facts.threat == "past":
        level += 1  # a red herring the trainee must see through
    if "unknown" in (facts.weapon, facts.threat, facts.medical):
        level += 1  # the caller cannot say: ask again, and weigh the signs of violence
    if not facts.responders_available or facts.hotline_open is False:
        level += 1
    if facts.crime == "minor" and not disqualifiers_for(facts):
        level += 1  # tempting to over-police
    return max(1, min(5, level))


def checks_for(expert: dict) -> list[dict]:
    """The sample answer the key must grade as stated: the expert answer passes with 100.

    One entry only: every check is graded again whenever the file is validated.
    """
    return [{"answer": expert_answer(expert), "expect": {"passed": True, "score": 100}}]
