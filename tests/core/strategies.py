"""Hypothesis strategies for valid scenarios and for answers to them.

``scenarios()`` builds scenario dicts in the normalised form that
``app.core.scenario.parse_scenario`` returns (so ``yaml.safe_dump`` of one validates and
parses back to the same dict). ``answers(scenario)`` builds well-formed answers to a
scenario: sometimes close to the key, sometimes far from it.

Reuse them: ``from tests.core.strategies import scenarios, answers``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from app.core.grading import grade
from app.core.protocol import (
    CALL_TYPES,
    CHANNELS,
    DISPATCH_MODELS,
    DISPOSITIONS,
    DISQUALIFIERS,
    QUESTION_IDS,
    RELATIONS,
    load_protocol,
    unmet_demands,
)
from app.core.scenario import MODULE_SLUGS

_WORDS = st.sampled_from(
    ["he", "she", "is", "not", "sure", "yes", "no", "there", "a", "knife", "door", "ok", "it's"]
)
texts = st.lists(_WORDS, min_size=1, max_size=8).map(lambda words: " ".join(words).capitalize())
scenario_ids = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
custom_question_ids = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda q: q not in QUESTION_IDS
)
times = st.one_of(
    st.none(),
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
)


def _sets(items, min_size=0, max_size=None):
    if not items and not min_size:
        return st.just([])
    return st.lists(st.sampled_from(list(items)), unique=True, min_size=min_size, max_size=max_size)


@st.composite
def _routes(draw, model: str | None, disqualifiers: list[str], time, context):
    """(best, acceptable, unsafe) that satisfy the format's rules under ``model``
    (``None``: valid under every model)."""
    protocol = load_protocol()
    if model is None:
        pool = [
            d
            for d in DISPOSITIONS
            if all(d in protocol.available_dispositions(m, time, context) for m in DISPATCH_MODELS)
        ]
    else:
        pool = protocol.available_dispositions(model, time, context)
    # rules 2: every key route meets every demand of the key's disqualifiers
    pool = [d for d in pool if not unmet_demands(d, disqualifiers)]
    best = draw(st.sampled_from(pool))
    rest = [d for d in DISPOSITIONS if d != best]
    acceptable_pool = [d for d in rest if not unmet_demands(d, disqualifiers)]
    acceptable = draw(_sets(acceptable_pool, max_size=3))
    unsafe = draw(_sets([d for d in rest if d not in acceptable], max_size=3))
    return best, acceptable, unsafe


@st.composite
def scenarios(draw, with_by_model: bool | None = None, with_checks: bool = False) -> dict:
    """A valid, normalised scenario dict (default protocol); ``with_checks`` sometimes adds a
    ``checks`` entry (graded by construction)."""
    protocol = load_protocol()
    asked = draw(_sets(QUESTION_IDS, max_size=8))
    custom = draw(st.lists(custom_question_ids, unique=True, max_size=2))
    exchanges = [{"ask": q, "answer": draw(texts)} for q in asked]
    exchanges += [{"id": q, "question": draw(texts) + "?", "answer": draw(texts)} for q in custom]
    exchanges = draw(st.permutations(exchanges)) if exchanges else []
    ids = asked + custom
    time = draw(times)
    context = {}
    if draw(st.booleans()):
        context["hotline_open"] = draw(st.booleans())
    if draw(st.booleans()):
        context["responders_available"] = draw(st.booleans())
    disqualifiers = draw(_sets(DISQUALIFIERS))
    evidence = {}
    if ids:
        for code in disqualifiers:
            if draw(st.booleans()):
                evidence[code] = draw(st.sampled_from(ids))
    best, acceptable, unsafe = draw(_routes(None, disqualifiers, time, context))
    by_model = {}
    include = draw(st.booleans()) if with_by_model is None else with_by_model
    if include:
        for model in draw(_sets(DISPATCH_MODELS, min_size=1)):
            m_best, m_acceptable, m_unsafe = draw(_routes(model, disqualifiers, time, context))
            entry = {}
            for name, value, base in (
                ("disposition", m_best, best),
                ("acceptable", m_acceptable, acceptable),
                ("unsafe", m_unsafe, unsafe),
            ):
                if value != base or draw(st.booleans()):
                    entry[name] = value
            by_model[model] = entry
    expert = {
        "disqualifiers": disqualifiers,
        "call_type": draw(st.sampled_from(CALL_TYPES)),
        "priority": draw(st.one_of(st.none(), st.integers(1, 4))),
        "disposition": best,
        "acceptable": acceptable,
        "unsafe": unsafe,
        "required_questions": draw(_sets(ids, max_size=10)) if ids else [],
        "time_target_seconds": draw(st.one_of(st.none(), st.integers(10, 300))),
        "evidence": evidence,
        "rationale": draw(texts),
        "by_model": by_model,
    }
    if expert["disposition"] == "community_responder" and not disqualifiers:
        pass  # eligible or not, the key is valid (a warning at most)
    scenario = {
        "format": 1,
        "id": draw(scenario_ids),
        "version": draw(st.integers(1, 20)),
        "title": draw(texts),
        "module": draw(st.sampled_from(MODULE_SLUGS)),
        "difficulty": draw(st.one_of(st.none(), st.integers(1, 5))),
        "tags": draw(st.lists(st.sampled_from(["night", "business", "twin:g1"]), unique=True)),
        "call": {
            "channel": draw(st.sampled_from(CHANNELS)),
            "time": time,
            "initial_call_type": draw(st.sampled_from(sorted(protocol.call_types))),
            "ali": draw(st.one_of(st.none(), texts)),
            "location": draw(st.one_of(st.none(), texts)),
            "caller": {
                "role": draw(st.one_of(st.none(), texts)),
                "relation": draw(st.one_of(st.none(), st.sampled_from(RELATIONS))),
                "voice": draw(st.one_of(st.none(), st.sampled_from(["adult_male", "teen"]))),
                "language": "en",
            },
            "opening": draw(texts),
            "exchanges": exchanges,
            "context": context,
        },
        "expert": expert,
        "checks": [],
    }
    if with_checks and draw(st.booleans()):
        # a check the key grades as stated, by construction
        answer = draw(answers(scenario))
        model = draw(st.sampled_from(DISPATCH_MODELS))
        result = grade(scenario, answer, model)
        expect = {
            "score": result["score"],
            "passed": result["passed"],
            "critical": draw(st.sampled_from([bool(result["critical"]), result["critical"]])),
            "errors": sorted(set(result["errors"])),
        }
        keys = draw(st.lists(st.sampled_from(sorted(expect)), min_size=1, unique=True))
        scenario["checks"] = [
            {"answer": answer, "model": model, "expect": {k: expect[k] for k in sorted(keys)}}
        ]
    return scenario


def exchange_ids(scenario: dict) -> list[str]:
    return [e.get("ask") or e.get("id") for e in scenario["call"]["exchanges"]]


@st.composite
def answers(draw, scenario: dict) -> dict:
    """A well-formed answer to ``scenario``; keys are often close to the expert's."""
    expert = scenario["expert"]
    ids = exchange_ids(scenario)
    extra = draw(st.lists(st.sampled_from(list(QUESTION_IDS) + ["not_scripted"]), max_size=3))
    questions = draw(_sets(ids)) + extra if ids else extra
    if draw(st.booleans()):
        questions = list(dict.fromkeys(questions + expert["required_questions"]))
    disqualifiers = draw(st.one_of(st.just(list(expert["disqualifiers"])), _sets(DISQUALIFIERS)))
    call_type = draw(st.one_of(st.just(expert["call_type"]), st.sampled_from(CALL_TYPES)))
    answer = {
        "questions": draw(st.permutations(questions)) if questions else [],
        "disqualifiers": disqualifiers,
        "call_type": call_type,
        "disposition": draw(st.sampled_from(DISPOSITIONS)),
    }
    priority = draw(st.one_of(st.none(), st.integers(1, 4)))
    if priority is not None:
        answer["priority"] = priority
    target = expert["time_target_seconds"]
    near = (
        st.integers(max(0, target - 3), target + 3) | st.floats(target - 1, target + 1)
        if target
        else st.nothing()
    )
    seconds = draw(st.one_of(st.none(), st.integers(0, 600), st.floats(0, 600), near))
    if seconds is not None:
        answer["seconds"] = seconds
    return answer


@st.composite
def scenario_and_answer(draw, with_by_model: bool | None = None):
    scenario = draw(scenarios(with_by_model=with_by_model))
    return scenario, draw(answers(scenario)), draw(st.sampled_from(DISPATCH_MODELS))
