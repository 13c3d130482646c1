"""Micro-benchmarks of the core: validating scenario files and grading answers.

Pure functions returning rates (per second); nothing is printed. ``python -m app bench``
reports them.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from app.core.grading import DEFAULT_MODEL, expert_answer, grade
from app.core.protocol import load_protocol
from app.core.scenario import load_paths, parse_scenario

SAMPLE = """\
format: 1
id: bench-{n:06d}
version: 1
title: Man asleep in a store doorway
module: disqualifiers
difficulty: 2
tags: [unhoused, business]
call:
  channel: "911"
  time: "02:40"
  initial_call_type: WELFARE_CHECK
  location: Doorway of a shoe store on a commercial street
  caller: {{role: store owner, relation: stranger, voice: adult_male}}
  opening: >
    There's a guy asleep in my doorway and I can't open up. He wakes up
    and yells at people when they walk past.
  exchanges:
    - ask: weapons
      answer: I don't see anything, his hands are in his sleeping bag.
    - ask: threats
      answer: He yells but he hasn't threatened anyone.
    - ask: medical
      answer: He's breathing, he just rolled over.
    - id: how_long
      question: How long has he been there?
      answer: Since last night I think.
  context:
    responders_available: true
expert:
  disqualifiers: []
  call_type: UNHOUSED_PERSON
  priority: 3
  disposition: community_responder
  acceptable: []
  unsafe: [police]
  required_questions: [weapons, threats, medical]
  time_target_seconds: 90
  evidence: {{}}
  rationale: >
    A person resting in a doorway with no weapon, threat or medical need is a
    classic community responder call.
  by_model:
    external_hotline:
      disposition: external_hotline
      acceptable: [community_responder]
checks:
  - answer: {{questions: [weapons], disqualifiers: [], call_type: UNHOUSED_PERSON, disposition: police}}
    expect: {{passed: false}}
"""


def validate_files_per_s(n: int = 1000) -> float:
    """Scenario files validated per second by ``load_paths`` (n files in a temp folder)."""
    load_protocol()  # read the protocol once, outside the timing
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as folder:
        root = Path(folder)
        for index in range(n):
            (root / f"bench-{index:06d}.yaml").write_text(SAMPLE.format(n=index), encoding="utf-8")
        start = time.perf_counter()
        loaded, problems = load_paths([root])
        elapsed = time.perf_counter() - start
    if len(loaded) != n or any(p.is_error for p in problems):  # pragma: no cover - a bug
        raise RuntimeError("benchmark scenarios did not validate")
    return n / elapsed if elapsed > 0 else float("inf")


def grade_per_s(n: int = 10000) -> float:
    """Answers graded per second (a mix of the expert answer and a failing one)."""
    scenario, problems = parse_scenario(SAMPLE.format(n=0), "bench.yaml")
    if scenario is None:  # pragma: no cover - a bug
        raise RuntimeError(f"benchmark scenario is invalid: {problems[0]}")
    answers = [
        expert_answer(scenario),
        {
            "questions": ["weapons"],
            "disqualifiers": ["threat"],
            "call_type": "TRESPASS",
            "disposition": "police",
            "priority": 1,
            "seconds": 200,
        },
    ]
    protocol = load_protocol()
    start = time.perf_counter()
    for index in range(n):
        grade(scenario, answers[index % 2], DEFAULT_MODEL, protocol)
    elapsed = time.perf_counter() - start
    return n / elapsed if elapsed > 0 else float("inf")
