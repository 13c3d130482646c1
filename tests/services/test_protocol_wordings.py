"""An agency's own wordings of its screening questions (SQLite and PostgreSQL): saved to the
protocol, used by the typed-question matcher, kept when the rest of the protocol is saved,
and only by the agency's own trainers and admins."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import AccessDenied, UserError
from app.services import authoring

# A local way of asking, far from every standard wording of any question.
LOCAL = "is the fella packing any heat"


def wordings_of(actor, question_id: str) -> list[str]:
    settings_now = authoring.protocol_settings(actor=actor)
    return next(w["own"] for w in settings_now["wordings"] if w["id"] == question_id)


def test_a_center_wording_is_understood_after_it_is_saved(database, world):
    trainer = world["trainer-a"]
    assert authoring.try_typed_question(actor=trainer, text=LOCAL).question != "weapons"

    authoring.save_question_wordings(actor=trainer, question_id="weapons", wordings=[LOCAL])

    assert wordings_of(trainer, "weapons") == [LOCAL]
    assert authoring.try_typed_question(actor=trainer, text=LOCAL).question == "weapons"
    # The other agency's matcher is not changed by it.
    other = world["trainer-b"]
    assert authoring.try_typed_question(actor=other, text=LOCAL).question != "weapons"


def test_wordings_survive_saving_the_rest_of_the_protocol(database, world):
    admin = world["admin-a"]
    authoring.save_protocol(
        actor=admin,
        dispatch_model="call_center_led",
        eligible=[],
        hotline_hours="24/7",
        extra_questions=[{"id": "pets", "text": "Are there any animals in the home?"}],
    )
    authoring.save_question_wordings(
        actor=admin, question_id="pets", wordings=["any dogs there", "got pets"]
    )
    authoring.save_question_wordings(actor=admin, question_id="weapons", wordings=[LOCAL])
    settings_now = authoring.protocol_settings(actor=admin)
    authoring.save_protocol(
        actor=admin,
        dispatch_model="embedded_professional",
        eligible=[c["code"] for c in settings_now["call_types"] if c["eligible"]],
        hotline_hours="24/7",
        extra_questions=settings_now["extra_questions"],
    )
    assert wordings_of(admin, "pets") == ["any dogs there", "got pets"]
    assert wordings_of(admin, "weapons") == [LOCAL]
    assert authoring.try_typed_question(actor=admin, text="got pets").question == "pets"


def test_emptying_the_box_removes_the_wordings(database, world):
    trainer = world["trainer-a"]
    authoring.save_question_wordings(actor=trainer, question_id="weapons", wordings=[LOCAL])
    authoring.save_question_wordings(actor=trainer, question_id="weapons", wordings=["", "  "])
    assert wordings_of(trainer, "weapons") == []
    assert "questions" not in (authoring.protocol_settings(actor=trainer)["overrides"] or {})


def test_bad_wordings_are_refused_and_nothing_is_saved(database, world):
    trainer = world["trainer-a"]
    with pytest.raises(UserError, match="no question"):
        authoring.save_question_wordings(actor=trainer, question_id="nope", wordings=["x"])
    with pytest.raises(UserError, match="longer than"):
        authoring.save_question_wordings(actor=trainer, question_id="weapons", wordings=["a" * 201])
    assert wordings_of(trainer, "weapons") == []


def test_only_protocol_editors_may_change_or_try_wordings(database, world):
    for role in ("trainee-a", "supervisor-a"):
        with pytest.raises(AccessDenied):
            authoring.save_question_wordings(
                actor=world[role], question_id="weapons", wordings=[LOCAL]
            )
        with pytest.raises(AccessDenied):
            authoring.try_typed_question(actor=world[role], text=LOCAL)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=30))
def test_cleaned_wordings_are_tidy_and_unique(lines):
    cleaned = authoring.protocol_edit.clean_wordings(lines)
    assert all(text == " ".join(text.split()) and text for text in cleaned)
    assert len({text.lower() for text in cleaned}) == len(cleaned)
    # Nothing typed is lost except blanks and repeats.
    typed = {" ".join(line.split()).lower() for line in lines} - {""}
    assert {text.lower() for text in cleaned} == typed
