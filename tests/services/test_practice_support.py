"""Scenarios and helpers shared by the practice, UI and adaptive tests (plus a self-check)."""

from __future__ import annotations

from app.core.scenario import parse_scenario
from app.services.bank import store_scenario
from app.store.db import write_session
from tests.factories import SPEC_SAMPLE

SLEEPER_TEXT = SPEC_SAMPLE.read_text(encoding="utf-8")

# A call with a weapon revealed only when the trainee asks about weapons.
KNIFE_TEXT = """\
format: 1
id: porch-knife-0001
version: 1
title: Man on a porch with a knife in his waistband
module: disqualifiers
difficulty: 3
tags: [porch, twin:grp-knife, twin-variant:a]
call:
  channel: "911"
  time: "23:10"
  initial_call_type: SUSPICIOUS_PERSON
  location: Front porch of 48 Alder Lane
  caller:
    role: homeowner
    relation: stranger
    voice: adult_female
  opening: >
    There's a man I don't know sitting on my front porch talking to himself and
    he won't leave.
  exchanges:
    - ask: weapons
      answer: Oh, now that he turned I can see a kitchen knife stuck in his belt.
    - ask: threats
      answer: He hasn't said anything to me, he's just muttering.
    - ask: medical
      answer: He seems fine physically, he's sitting up.
    - id: how_long_porch
      question: How long has he been on the porch?
      answer: About twenty minutes now.
  context:
    responders_available: true
    prior_calls: Two calls about a man talking to himself on Alder Lane this week.
expert:
  disqualifiers: [weapon]
  call_type: SUSPICIOUS_PERSON
  priority: 2
  disposition: community_responder_with_police
  acceptable: [police]
  unsafe: [community_responder]
  required_questions: [weapons, threats, medical]
  time_target_seconds: 75
  evidence:
    weapon: weapons
  rationale: >
    Zebra-rationale-marker. The knife in his belt is a weapon within reach, so the
    team may not go alone.
"""

RATIONALE_MARKER = "Zebra-rationale-marker"


def store(agency_id: int, text: str, *, status: str = "published", key: str | None = None) -> int:
    """Validate and store a scenario for an agency; returns the version id."""
    if key is not None:
        text = text.replace(text.split("\n")[1], f"id: {key}", 1)
    data, problems = parse_scenario(text, "test.yaml")
    assert data is not None, [str(p) for p in problems]
    assert not [p for p in problems if p.severity == "error"], problems
    with write_session() as session:
        row, _ = store_scenario(
            session=session, agency_id=agency_id, data=data, text=text, status=status
        )
        return row.id


def test_support_scenarios_are_valid():
    for text in (SLEEPER_TEXT, KNIFE_TEXT):
        data, problems = parse_scenario(text, "test.yaml")
        assert data is not None
        assert not [p for p in problems if p.severity == "error"]
