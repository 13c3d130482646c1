"""Builders shared by the certification tests: a stratified bank, lessons, practice calls.

The bank is written here (not read from ``scenarios/``) so the tests say exactly which
calls exist: each call's disqualifiers, call type, channel and best route are known.
"""

from __future__ import annotations

import random

from sqlmodel import select

from app.core import grading
from app.core.scenario import parse_scenario
from app.core.scenario.kinds import call_kind
from app.services import lessons, practice
from app.services.access import Actor
from app.services.bank import store_scenario
from app.store.db import read_session, write_session
from app.store.models import ScenarioVersion

# (disqualifiers, call type, best route under call_center_led)
KINDS = {
    "weapon": (["weapon"], "WEAPONS", "police"),
    "threat": (["threat"], "DISTURBANCE", "police"),
    "medical": (["medical"], "OVERDOSE", "ems"),
    "police_only": (["police_only"], "BURGLARY_IN_PROGRESS", "police"),
    "conflict": ([], "NOISE_COMPLAINT", "community_responder"),
    "dispute": ([], "NEIGHBOR_DISPUTE", "community_responder"),
    "behavioral": ([], "MENTAL_HEALTH", "community_responder"),
    "welfare": ([], "WELFARE_CHECK", "community_responder"),
}
ANSWERS = {
    "weapons": "I can see a knife in his hand.",
    "threats": "He said he would hurt the next person who comes near.",
    "medical": "She is not waking up and her lips are blue.",
    "entry": "They want someone to force the door of the flat right now.",
}
CALM = {
    "weapons": "No, I don't see anything like that.",
    "threats": "Nobody has threatened anyone.",
    "medical": "Everyone seems fine physically.",
    "entry": "Nobody needs to get in anywhere.",
}
EVIDENCE = {"weapon": "weapons", "threat": "threats", "medical": "medical", "police_only": "entry"}


def scenario_text(ident: str, kind: str, channel: str = "911") -> str:
    disqualifiers, call_type, route = KINDS[kind]
    exchanges = []
    for question in ("weapons", "threats", "medical", "entry"):
        revealed = any(EVIDENCE[d] == question for d in disqualifiers)
        answer = ANSWERS[question] if revealed else CALM[question]
        exchanges.append(f"    - ask: {question}\n      answer: {answer}")
    evidence = ", ".join(f"{d}: {EVIDENCE[d]}" for d in disqualifiers)
    by_model = ""
    if not disqualifiers:
        by_model = (
            "  by_model:\n"
            "    external_hotline:\n"
            "      disposition: external_hotline\n"
            "      acceptable: [community_responder]\n"
        )
    return (
        "format: 1\n"
        f"id: {ident}\n"
        "version: 1\n"
        f"title: Test call {ident}\n"
        "module: disqualifiers\n"
        "difficulty: 2\n"
        "call:\n"
        f'  channel: "{channel}"\n'
        '  time: "14:00"\n'
        f"  initial_call_type: {call_type}\n"
        "  location: A side street by the market\n"
        "  caller:\n"
        "    role: shop keeper\n"
        "    relation: stranger\n"
        "  opening: There is a situation outside my shop and I need someone to come.\n"
        "  exchanges:\n" + "\n".join(exchanges) + "\n"
        "expert:\n"
        f"  disqualifiers: [{', '.join(disqualifiers)}]\n"
        f"  call_type: {call_type}\n"
        f"  disposition: {route}\n"
        "  required_questions: [weapons, threats, medical, entry]\n"
        f"  evidence: {{{evidence}}}\n"
        "  rationale: The caller's answers decide whether the call is safe for the team.\n"
        + by_model
    )


# A bank with enough of every kind for 20 practice calls and two full exams.
BANK_LAYOUT = (
    [("weapon", "911")] * 4
    + [("threat", "911")] * 4
    + [("medical", "911")] * 4
    + [("police_only", "911")] * 4
    + [("conflict", "911"), ("conflict", "non_emergency")] * 4
    + [("dispute", "911"), ("dispute", "non_emergency")] * 3
    + [("behavioral", "911"), ("behavioral", "non_emergency")] * 3
    + [("welfare", "911"), ("welfare", "non_emergency")] * 3
)


def build_bank(agency_id: int, layout=BANK_LAYOUT, prefix: str = "cert") -> dict[str, int]:
    """Store the bank for an agency; returns scenario key -> version id."""
    ids = {}
    with write_session() as session:
        for number, (kind, channel) in enumerate(layout, start=1):
            ident = f"{prefix}-{kind.replace('_', '-')}-{number:03d}"
            text = scenario_text(ident, kind, channel)
            data, problems = parse_scenario(text, f"{ident}.yaml")
            assert data is not None and not [p for p in problems if p.severity == "error"], problems
            row, _ = store_scenario(session=session, agency_id=agency_id, data=data, text=text)
            ids[ident] = row.id
    return ids


def pass_all_lessons(actor: Actor) -> None:
    for module in lessons.all_modules():
        lessons.mark_read(actor=actor, slug=module.slug)
        answers = {q.id: q.correct for q in module.questions}
        result = lessons.submit_check(actor=actor, slug=module.slug, answers=answers)
        assert result["passed"], module.slug


def scenario_data(version_id: int) -> dict:
    with read_session() as session:
        return dict(session.get(ScenarioVersion, version_id).data)


def answer_call(actor: Actor, attempt_id: int, *, version_id: int, model: str, wrong=None) -> dict:
    """Answer an open call like the expert would (or with ``wrong`` changes)."""
    data = scenario_data(version_id)
    expert = grading.expert_answer(data, model)
    if call_kind(data).needs_callback:  # a dropped line: call back before asking
        practice.call_back(actor=actor, attempt_id=attempt_id)
    for question in expert["questions"]:
        practice.ask_question(actor=actor, attempt_id=attempt_id, question_id=question)
    answer = {k: expert[k] for k in ("disqualifiers", "call_type", "disposition")}
    if "priority" in expert:
        answer["priority"] = expert["priority"]
    answer.update(wrong or {})
    view = practice.attempt_view(actor=actor, attempt_id=attempt_id)
    return practice.submit_attempt(
        actor=actor, attempt_id=attempt_id, answer=answer, idempotency_key=view["idempotency_key"]
    )


def practise(actor: Actor, version_ids: list[int], model: str = "call_center_led", wrong=None):
    """Take these calls in standard practice mode, answered like the expert."""
    grades = []
    for vid in version_ids:
        attempt = practice.start_attempt(actor=actor, scenario_version_id=vid, mode="standard")
        grades.append(answer_call(actor, attempt, version_id=vid, model=model, wrong=wrong))
    return grades


def practice_ids(ids: dict[str, int], count: int = 20, seed: int = 1) -> list[int]:
    """A random selection of the bank for practice (the rest stays unseen)."""
    rng = random.Random(seed)
    keys = sorted(ids)
    # Keep at least two of every disqualifier kind unseen, so an exam can be planned.
    spare = [k for k in keys if "-weapon-" not in k and "-threat-" not in k]
    return [ids[k] for k in rng.sample(spare, count)]


def version_ids(agency_id: int) -> list[int]:
    with read_session() as session:
        return list(
            session.exec(
                select(ScenarioVersion.id).where(ScenarioVersion.agency_id == agency_id)
            ).all()
        )


def test_bank_scenarios_validate_and_grade_100():
    for kind in KINDS:
        data, problems = parse_scenario(
            scenario_text(f"check-{kind.replace('_', '-')}", kind), "x.yaml"
        )
        assert data is not None, problems
        assert not [p for p in problems if p.severity == "error"]
        for model in ("call_center_led", "external_hotline"):
            answer = grading.expert_answer(data, model)
            assert grading.grade(data, answer, model)["score"] == 100
