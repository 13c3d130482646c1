"""Bidirectional controls are removed where text enters: scenario import and save, new users.

A U+202E (RIGHT-TO-LEFT OVERRIDE) in a title makes the rest of it draw backwards, so
"Noise {RLO}gpj.exe" reads "Noise exe.jpg". None may reach the database.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.core.safe_text import has_bidi
from app.errors import UserError
from app.services import accounts, authoring
from app.services.bank import import_paths
from app.store.db import read_session
from app.store.models import ScenarioVersion, User
from tests.factories import PASSWORD, SPEC_SAMPLE

RLO = "\u202e"


def hostile(text: str, key: str) -> str:
    """The spec sample with a new id and U+202E in its title and in a context note."""
    text = text.replace("id: doorway-sleeper-0001", f"id: {key}")
    text = text.replace(
        "title: Man asleep in a store doorway", f"title: Man asleep {RLO}gpj.exe doorway"
    )
    return text.replace(
        "    responders_available: true\n",
        f"    responders_available: true\n    notes: Caller {RLO}sounds calm\n",
    )


def stored(key: str) -> ScenarioVersion:
    with read_session() as session:
        return session.exec(
            select(ScenarioVersion)
            .where(ScenarioVersion.scenario_key == key)
            .where(ScenarioVersion.is_current == True)  # noqa: E712
        ).one()


def test_a_title_with_rlo_is_imported_stored_and_listed_without_it(database, world, tmp_path):
    source = hostile(SPEC_SAMPLE.read_text(encoding="utf-8"), "bidi-import-0001")
    assert source.count(RLO) == 2
    path = tmp_path / "bidi.yaml"
    path.write_text(source, encoding="utf-8")

    summary = import_paths([str(path)], agency_id=world.agencies["a"])
    assert summary.created == 1

    row = stored("bidi-import-0001")
    assert row.title == "Man asleep gpj.exe doorway"
    assert row.data["title"] == "Man asleep gpj.exe doorway"
    assert row.data["call"]["context"]["notes"] == "Caller sounds calm"
    assert not has_bidi(row.yaml_text) and "title: Man asleep gpj.exe doorway" in row.yaml_text
    listed = {r["key"]: r for r in authoring.bank(actor=world["trainer-a"], with_stats=False)}
    assert listed["bidi-import-0001"]["title"] == "Man asleep gpj.exe doorway"

    # The same file again is the same scenario: nothing changes.
    assert import_paths([str(path)], agency_id=world.agencies["a"]).unchanged == 1


def test_the_editor_save_stores_no_bidi_control(database, world):
    text = hostile(SPEC_SAMPLE.read_text(encoding="utf-8"), "bidi-editor-0001")
    saved = authoring.save_scenario(actor=world["trainer-a"], text=text)
    row = stored(saved["key"])
    assert not has_bidi(row.yaml_text) and not has_bidi(repr(row.data))
    assert row.title == "Man asleep gpj.exe doorway"


def test_a_control_glued_to_yaml_punctuation_is_refused_not_misread(database, world, tmp_path):
    # "\u200e#" is text; with the mark removed, " #" would start a comment and cut the
    # title short, so the stored text and data would disagree.
    text = SPEC_SAMPLE.read_text(encoding="utf-8").replace(
        "title: Man asleep in a store doorway", "title: Man asleep \u200e# in a doorway"
    )
    path = tmp_path / "glued.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match="text-direction control"):
        import_paths([str(path)], agency_id=world.agencies["a"])
    with read_session() as session:
        assert session.exec(select(ScenarioVersion)).first() is None  # nothing stored


def test_a_new_user_name_is_stored_without_bidi_controls(database, world):
    user_id = accounts.admin_create_user(
        actor=world["admin-a"],
        username="rlo-user",
        display_name=f"  Ann {RLO}eeyoJ\u2066 ",
        role="trainee",
        password=PASSWORD,
    )
    with read_session() as session:
        assert session.get(User, user_id).display_name == "Ann eeyoJ"
    names = {u["username"]: u["name"] for u in accounts.list_users(actor=world["admin-a"])}
    assert names["rlo-user"] == "Ann eeyoJ"
