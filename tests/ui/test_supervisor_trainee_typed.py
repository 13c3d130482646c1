"""The supervisor's replay page shows what a trainee typed and when the call was paused."""

from __future__ import annotations

from app.services import practice
from app.services.review.replay import _question
from tests.services.test_practice_replay import take_typed_call
from tests.ui.test_supervisor_trainee import run


def test_the_replay_page_shows_typed_questions_and_pauses(sqlite_db, world, monkeypatch):
    attempt_id = take_typed_call(world, monkeypatch)
    trainee = world["trainee-a"]
    at = run(
        world["supervisor-a"].user_id,
        **{"review.trainee_id": trainee.user_id, "review.attempt_id": attempt_id},
    )
    assert not at.exception, at.exception
    typed = next(d.value for d in at.dataframe if "Typed" in d.value.columns)
    assert typed["Typed"].tolist() == ["is he armed", "hold on", "did he threaten you"]
    assert typed["Heard as"].tolist() == [
        "weapons",
        "not understood (counts as nothing)",
        "threats",
    ]
    steps = next(d.value for d in at.dataframe if "Step" in d.value.columns)
    assert f"typed: 'is he armed' → {_question('weapons')}" in steps["What"].tolist()
    assert "Paused" in steps["Step"].tolist()
    captions = " ".join(c.value for c in at.caption)
    assert "Paused 1 time, 10 min 00 s in all" in captions
    assert practice.my_attempts(actor=trainee)[0]["seconds"] == 20.0
