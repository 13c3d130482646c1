"""Trainee review page (AppTest): pick a trainee, replay a call beside the key, add a note."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.services import review
from app.services.review.replay import _question
from tests.factories import ROOT
from tests.services.test_review import seed_review_data

PAGE = str(ROOT / "app" / "app_pages" / "supervisor_trainee.py")


def run(user_id: int, **state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = user_id
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def test_replay_side_by_side(sqlite_db, world):
    seeded = seed_review_data(world)
    at = run(
        world["supervisor-a"].user_id,
        **{"review.trainee_id": seeded.users["T1"], "review.attempt_id": seeded.attempts[2]},
    )
    assert not at.exception, at.exception
    calls = at.dataframe[0].value
    assert calls["Attempt"].tolist() == list(reversed(seeded.attempts[:5]))
    timeline = at.dataframe[1].value
    assert timeline["Against the key"].tolist()[-1] == "UNSAFE"
    key = at.dataframe[2].value.set_index("Item")
    assert key.loc["route", ""] == "✗"
    assert key.loc[f"ask: {_question('weapons')}", "Trainee"] == "asked at 5 s"
    assert len(at.get("vega_lite_chart")) == 2  # scores over time, the call's timeline


def test_add_note_is_shown_as_plain_text(sqlite_db, world):
    seeded = seed_review_data(world)
    state = {"review.trainee_id": seeded.users["T1"], "review.attempt_id": seeded.attempts[2]}
    at = run(world["supervisor-a"].user_id, **state)
    note = "<script>alert(1)</script> **Ask about weapons first.**"
    at.text_area[0].input(note)
    at.button[-1].click().run()
    assert not at.exception, at.exception
    assert note in [t.value for t in at.text]
    assert not any(note in m.value for m in at.markdown)
    stored = review.review_notes(actor=world["supervisor-a"], attempt_id=seeded.attempts[2])
    assert [n["text"] for n in stored] == [note]


def test_empty_note_is_refused(sqlite_db, world):
    seeded = seed_review_data(world)
    at = run(world["supervisor-a"].user_id, **{"review.trainee_id": seeded.users["T1"]})
    at.text_area[0].input("   ")
    at.button[-1].click().run()
    assert any("Write the note first" in e.value for e in at.error)


def test_other_agency_trainee_id_is_ignored(sqlite_db, world):
    seeded = seed_review_data(world)
    at = run(
        world["supervisor-b"].user_id,
        **{"review.trainee_id": seeded.users["T1"], "review.attempt_id": seeded.attempts[0]},
    )
    assert not at.exception
    assert at.selectbox(key="review.trainee_id").value == world["trainee-b"].user_id
    shown = at.dataframe[0].value["Attempt"].tolist()
    assert set(shown) == set(seeded.other_attempts)


def test_trainee_without_calls(sqlite_db, world):
    at = run(world["supervisor-a"].user_id)
    assert not at.exception
    assert any("not submitted a call" in i.value for i in at.info)
