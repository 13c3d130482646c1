"""Authoring service on SQLite and PostgreSQL: the bank, the editor and versions, status,
the generator, the protocol, export, and who may do what."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlmodel import select

from app.core.protocol import ProtocolError
from app.errors import AccessDenied, NotFound, UserError
from app.services import authoring
from app.services.bank import ImportRejected, content_hash
from app.store.db import read_session
from app.store.models import Agency, ScenarioVersion
from tests.services.test_authoring_support import (
    BUS_STOP,
    KNIFE,
    LAUNDROMAT,
    add_attempt,
    snapshot,
    store,
    text_of,
)


@pytest.fixture
def bank(database, world):
    a, b = world.agencies["a"], world.agencies["b"]
    return {
        "knife": store(a, text_of(KNIFE)),
        "laundromat": store(a, text_of(LAUNDROMAT)),
        "bus": store(a, text_of(BUS_STOP), status="draft"),
        "knife_b": store(b, text_of(KNIFE)),
    }


def all_keys(value) -> set[str]:
    """Every mapping key anywhere in a nested structure."""
    if isinstance(value, dict):
        return set(value) | set().union(*(all_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(all_keys(v) for v in value))
    return set()


def keys(rows) -> set[str]:
    return {r["key"] for r in rows}


# ------------------------------------------------------------------ the bank browser


def test_bank_lists_only_the_agencys_current_scenarios_with_filters(bank, world):
    trainer = world["trainer-a"]
    rows = authoring.bank(actor=trainer)
    assert keys(rows) == {
        "disturbance-knife-0003",
        "disturbance-laundromat-0004",
        "disturbance-bus-stop-0001",
    }
    assert all(r["version_id"] != bank["knife_b"] for r in rows)
    assert keys(authoring.bank(actor=trainer, disqualifier="weapon")) == {"disturbance-knife-0003"}
    assert "disturbance-knife-0003" not in keys(authoring.bank(actor=trainer, disqualifier="none"))
    assert keys(authoring.bank(actor=trainer, status="draft")) == {"disturbance-bus-stop-0001"}
    assert keys(authoring.bank(actor=trainer, module="conflict-calls")) == keys(rows)
    assert authoring.bank(actor=trainer, module="dispatch-models") == []
    assert keys(authoring.bank(actor=trainer, call_type="DISTURBANCE")) >= {
        "disturbance-laundromat-0004"
    }
    difficulty = next(r["difficulty"] for r in rows if r["key"] == "disturbance-laundromat-0004")
    assert "disturbance-laundromat-0004" in keys(
        authoring.bank(actor=trainer, difficulty=difficulty)
    )


def test_bank_filters_by_dispatch_model_entry(bank, world):
    trainer = world["trainer-a"]
    with_models = {r["key"]: r["models"] for r in authoring.bank(actor=trainer)}
    for model in ("external_hotline", "embedded_professional"):
        expected = {k for k, models in with_models.items() if model in models}
        assert keys(authoring.bank(actor=trainer, model=model)) == expected
    assert any(with_models.values()), "the fixture should hold a scenario with by_model"


def test_bank_rows_carry_item_statistics(bank, world):
    trainee = world["trainee-a"]
    for score in (100, 50):
        add_attempt(trainee, bank["laundromat"], score)
    add_attempt(trainee, bank["laundromat"], 0, mode="guided")  # hints on: left out
    row = next(r for r in authoring.bank(actor=world["trainer-a"]) if r["key"].endswith("0004"))
    assert row["attempts"] == 2 and row["attempts_all"] == 3
    assert row["facility"] == pytest.approx(0.75)
    assert row["discrimination"] is None and row["dubious"] is False


def test_publish_and_retire(bank, world):
    trainer = world["trainer-a"]
    assert authoring.set_status(actor=trainer, version_id=bank["bus"], status="published")[
        "status"
    ] == ("published")
    authoring.set_status(actor=trainer, version_id=bank["bus"], status="retired")
    assert keys(authoring.bank(actor=trainer, status="retired")) == {"disturbance-bus-stop-0001"}
    with pytest.raises(UserError):
        authoring.set_status(actor=trainer, version_id=bank["bus"], status="archived")


# ------------------------------------------------------------------ the editor and versions


def test_live_validation_points_at_the_line(bank, world):
    text = text_of(LAUNDROMAT).replace("difficulty: 1", "difficulty: 9")
    result = authoring.validate_text(actor=world["trainer-a"], text=text)
    assert result.data is None and result.errors == 1
    line = text.splitlines().index("difficulty: 9") + 1
    assert len(result.lines) == 1 and result.lines[0].startswith(f"line {line}: ")
    assert "difficulty" in result.lines[0]
    good = authoring.validate_text(actor=world["trainer-a"], text=text_of(LAUNDROMAT))
    assert good.errors == 0 and good.data["id"] == "disturbance-laundromat-0004"


def test_checks_are_run_and_reported(bank, world):
    data = authoring.validate_text(actor=world["trainer-a"], text=text_of(LAUNDROMAT)).data
    results = authoring.scenario_checks(actor=world["trainer-a"], data=data)
    assert [r["ok"] for r in results] == [True, True]
    assert results[0]["result"]["passed"] is True and results[1]["result"]["passed"] is False
    data["checks"][0]["expect"] = {"passed": False}
    broken = authoring.scenario_checks(actor=world["trainer-a"], data=data)
    assert broken[0]["ok"] is False and "passed: false" in broken[0]["differences"][0]


def test_an_edit_of_a_published_scenario_is_a_draft_beside_it(bank, world):
    trainer = world["trainer-a"]
    live = text_of(LAUNDROMAT)
    text = live.replace("argument over a dryer", "argument over a washer")
    saved = authoring.save_scenario(actor=trainer, text=text, key="disturbance-laundromat-0004")
    assert (saved["outcome"], saved["status"]) == ("new_draft", "draft")
    assert saved["version_id"] != bank["laundromat"]
    # Trainees keep the published version, unchanged, until the draft is approved.
    published = authoring.load_scenario(actor=trainer, version_id=bank["laundromat"])
    assert (published["yaml_text"], published["status"], published["current"]) == (
        live,
        "published",
        True,
    )
    draft = authoring.load_scenario(actor=trainer, version_id=saved["version_id"])
    assert (draft["yaml_text"], draft["current"]) == (text, False)
    # The editor opens the draft; saving again changes the same draft.
    choice = next(c for c in authoring.scenario_choices(actor=trainer) if c["key"].endswith("04"))
    assert (choice["version_id"], choice["pending"]) == (saved["version_id"], True)
    again = authoring.save_scenario(
        actor=trainer, text=text.replace("washer", "washing machine"), key=saved["key"]
    )
    assert (again["outcome"], again["version_id"]) == ("updated", saved["version_id"])
    same = authoring.save_scenario(
        actor=trainer, text=text.replace("washer", "washing machine"), key=saved["key"]
    )
    assert same["outcome"] == "unchanged"


def test_a_title_edit_changes_one_line_and_is_published_on_approval(bank, world):
    from tests.services.test_authoring_support import add_user

    trainer = world["trainer-a"]
    reviewer = add_user(world.agencies["a"], "trainer-a2", "trainer")
    add_attempt(world["trainee-a"], bank["laundromat"], 100)
    old_text = text_of(LAUNDROMAT)
    values = authoring.form_values(old_text)
    text = authoring.apply_form(old_text, {**values, "title": "Argument over a washer"})
    saved = authoring.save_scenario(actor=trainer, text=text, key="disturbance-laundromat-0004")
    assert saved["outcome"] == "new_draft"
    with read_session() as session:
        stored = session.get(ScenarioVersion, saved["version_id"]).yaml_text
    assert stored == text
    diff = authoring.version_diff(
        actor=trainer, old_version_id=bank["laundromat"], new_version_id=saved["version_id"]
    )
    # Exactly one line of the stored file changed: the title.
    assert (diff.added, diff.removed) == (1, 1), diff.text
    assert "-title: Team on patrol stops at an argument over a dryer" in diff.text
    assert "+title: Argument over a washer" in diff.text
    # The bank shows the live version and the draft of the change beside it.
    rows = [r for r in authoring.bank(actor=trainer) if r["key"].endswith("0004")]
    assert [(r["status"], r["pending"]) for r in rows] == [
        ("published", False),
        ("draft", True),
    ]
    authoring.approve(actor=reviewer, version_id=saved["version_id"])
    rows = [r for r in authoring.bank(actor=trainer) if r["key"].endswith("0004")]
    assert [(r["version_id"], r["status"], r["pending"]) for r in rows] == [
        (saved["version_id"], "published", False)
    ]
    old = authoring.load_scenario(actor=trainer, version_id=bank["laundromat"])
    assert (old["yaml_text"], old["current"], old["attempts"]) == (old_text, False, 1)


def test_save_refuses_errors_id_changes_and_id_collisions(bank, world):
    trainer = world["trainer-a"]
    before = snapshot()
    with pytest.raises(ImportRejected) as refused:
        authoring.save_scenario(
            actor=trainer,
            text=re.sub(r"\n  priority: \d", "\n  priority: 7", text_of(LAUNDROMAT), count=1),
            key="disturbance-laundromat-0004",
        )
    assert refused.value.problems[0].startswith("line ")
    renamed = text_of(LAUNDROMAT).replace("id: disturbance-laundromat-0004", "id: renamed-0001")
    with pytest.raises(UserError, match="id changed"):
        authoring.save_scenario(actor=trainer, text=renamed, key="disturbance-laundromat-0004")
    with pytest.raises(UserError, match="already exists"):
        authoring.save_scenario(actor=trainer, text=text_of(LAUNDROMAT))
    assert snapshot() == before


def test_a_new_scenario_is_a_draft_authored_by_the_trainer(bank, world):
    trainer = world["trainer-a"]
    text = authoring.new_scenario_text(actor=trainer)
    assert authoring.validate_text(actor=trainer, text=text).errors == 0
    saved = authoring.save_scenario(actor=trainer, text=text)
    assert (saved["outcome"], saved["status"]) == ("created", "draft")
    with read_session() as session:
        row = session.get(ScenarioVersion, saved["version_id"])
        assert (row.source, row.created_by, row.agency_id) == (
            "authored",
            trainer.user_id,
            trainer.agency_id,
        )


def test_form_round_trip_rewrites_only_the_fields(bank, world):
    text = text_of(LAUNDROMAT)
    values = authoring.form_values(text)
    assert values["title"] == "Team on patrol stops at an argument over a dryer"
    assert values["required_questions"] == ["weapons", "threats", "injuries"]
    assert "address" in values["exchange_ids"]
    new = authoring.apply_form(
        text, {**values, "title": "Dryer row: <b>loud</b>", "difficulty": 2, "priority": None}
    )
    result = authoring.validate_text(actor=world["trainer-a"], text=new)
    assert result.errors == 0, result.lines
    assert result.data["title"] == "Dryer row: <b>loud</b>"
    assert result.data["difficulty"] == 2 and result.data["expert"]["priority"] is None
    assert (
        result.data["call"]
        == authoring.validate_text(actor=world["trainer-a"], text=text).data["call"]
    )
    with pytest.raises(UserError):
        authoring.form_values("title: [unclosed")


def test_preview_never_carries_the_key(bank, world):
    data = authoring.load_scenario(actor=world["trainer-a"], version_id=bank["knife"])["data"]
    view = authoring.preview(actor=world["trainer-a"], data=data)
    assert not all_keys(view) & {
        "expert",
        "rationale",
        "required_questions",
        "unsafe",
        "acceptable",
        "evidence",
        "checks",
    }
    rationale = " ".join(data["expert"]["rationale"].split())
    assert rationale[:60] not in repr(view)
    assert view["opening"].startswith(" ".join(data["call"]["opening"].split())[:20])
    assert "weapons" in {a["id"] for a in view["answers"]}


def test_key_summary_uses_the_agency_model(bank, world):
    data = authoring.load_scenario(actor=world["trainer-a"], version_id=bank["knife"])["data"]
    summary = authoring.key_summary(actor=world["trainer-a"], data=data)
    assert summary["model"] == "call_center_led"
    assert summary["disqualifiers"]


# ------------------------------------------------------------------ generator


def test_generate_drafts_then_publish_and_reject(bank, world):
    trainer = world["trainer-a"]
    seen = []
    result = authoring.generate_drafts(
        actor=trainer,
        count=4,
        seed=11,
        mix={"conflict": 1},
        progress=lambda f, text: seen.append(f),
    )
    assert result["created"] + len(result["skipped"]) == 4
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    drafts = authoring.generated_drafts(actor=trainer)
    assert len(drafts) == result["created"] and all(d["source"] == "generated" for d in drafts)
    first, second = drafts[0]["version_id"], drafts[1]["version_id"]
    with pytest.raises(AccessDenied, match="another trainer"):
        authoring.set_status(actor=trainer, version_id=first, status="published")
    from tests.services.test_authoring_support import add_user

    reviewer = add_user(world.agencies["a"], "trainer-a2", "trainer")
    authoring.set_status(actor=reviewer, version_id=first, status="published")
    add_attempt(world["trainee-a"], second, 40)
    assert authoring.reject_draft(actor=trainer, version_id=second) == "retired"
    third = drafts[2]["version_id"]
    assert authoring.reject_draft(actor=trainer, version_id=third) == "deleted"
    with pytest.raises(NotFound):
        authoring.load_scenario(actor=trainer, version_id=third)
    with pytest.raises(UserError, match="Only a draft"):
        authoring.reject_draft(actor=trainer, version_id=first)
    # The same seed again: the same calls, nothing new.
    again = authoring.generate_drafts(actor=trainer, count=4, seed=11, mix={"conflict": 1})
    assert again["created"] == 1  # only the deleted one comes back
    with pytest.raises(UserError):
        authoring.generate_drafts(actor=trainer, count=0, seed=1)


# ------------------------------------------------------------------ the agency protocol


def test_protocol_settings_are_validated_and_saved(bank, world):
    trainer = world["trainer-a"]
    settings = authoring.protocol_settings(actor=trainer)
    eligible = [c["code"] for c in settings["call_types"] if c["eligible"]]
    assert "NOISE_COMPLAINT" in eligible and settings["hotline_hours"] == "24/7"
    saved = authoring.save_protocol(
        actor=trainer,
        dispatch_model="external_hotline",
        eligible=[c for c in eligible if c != "NOISE_COMPLAINT"] + ["FIRE"],
        hotline_hours="08:00-22:00",
        extra_questions=[
            {"id": "pets", "text": "Are there any animals?", "default_answer": "Not sure."}
        ],
    )
    assert saved["dispatch_model"] == "external_hotline"
    assert saved["hotline_hours"] == "08:00-22:00"
    assert saved["extra_questions"] == [
        {"id": "pets", "text": "Are there any animals?", "default_answer": "Not sure."}
    ]
    with read_session() as session:
        agency = session.get(Agency, world.agencies["a"])
        assert agency.dispatch_model == "external_hotline"
        assert agency.protocol_overrides["call_types"] == {
            "NOISE_COMPLAINT": {"eligible": False},
            "FIRE": {"eligible": True},
        }
        untouched = session.get(Agency, world.agencies["b"])
        assert untouched.protocol_overrides is None
    # The agency's protocol now applies to validation: its own question can be asked.
    asks_pets = text_of(LAUNDROMAT).replace(
        "    - ask: address\n", "    - ask: pets\n      answer: A cat.\n    - ask: address\n"
    )
    assert authoring.validate_text(actor=trainer, text=asks_pets).errors == 0
    assert authoring.validate_text(actor=world["trainer-b"], text=asks_pets).errors == 1


def test_protocol_refuses_bad_values_and_writes_nothing(bank, world):
    trainer = world["trainer-a"]
    before = authoring.protocol_settings(actor=trainer)
    with pytest.raises(ProtocolError):
        authoring.save_protocol(
            actor=trainer, dispatch_model="call_center_led", eligible=[], hotline_hours="8 to 10"
        )
    for questions, message in (
        ([{"id": "weapons", "text": "x"}], "default question"),
        ([{"id": "pets", "text": ""}], "needs an id"),
        ([{"id": "Pets!", "text": "Any pets?"}], "question id"),
    ):
        with pytest.raises(UserError, match=message):
            authoring.save_protocol(
                actor=trainer,
                dispatch_model="call_center_led",
                eligible=[],
                hotline_hours="24/7",
                extra_questions=questions,
            )
    with pytest.raises(UserError):
        authoring.save_protocol(
            actor=trainer, dispatch_model="drones", eligible=[], hotline_hours="24/7"
        )
    assert authoring.protocol_settings(actor=trainer) == before


def test_admin_may_edit_the_protocol_but_not_scenarios(bank, world):
    admin = world["admin-a"]
    assert authoring.protocol_settings(actor=admin)["dispatch_model"] == "call_center_led"
    with pytest.raises(AccessDenied):
        authoring.bank(actor=admin)


# ------------------------------------------------------------------ export


def test_export_zip_of_the_bank_or_a_selection(bank, world):
    trainer = world["trainer-a"]
    data = authoring.export_bank(actor=trainer)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == [
        "conflict-calls/disturbance-bus-stop-0001.yaml",
        "conflict-calls/disturbance-knife-0003.yaml",
        "conflict-calls/disturbance-laundromat-0004.yaml",
    ]
    only = authoring.export_bank(actor=trainer, version_ids=[bank["knife"], bank["knife_b"]])
    archive = zipfile.ZipFile(io.BytesIO(only))
    assert archive.namelist() == ["conflict-calls/disturbance-knife-0003.yaml"]  # not b's
    assert archive.read(archive.namelist()[0]).decode() == text_of(KNIFE)
    with pytest.raises(UserError):
        authoring.export_bank(actor=trainer, version_ids=[bank["knife_b"]])


# ------------------------------------------------------------------ who may do what


SERVICE_CALLS = {
    "bank": lambda actor, ids: authoring.bank(actor=actor),
    "load": lambda actor, ids: authoring.load_scenario(actor=actor, version_id=ids["knife"]),
    "validate": lambda actor, ids: authoring.validate_text(actor=actor, text="id: x"),
    "save": lambda actor, ids: authoring.save_scenario(
        actor=actor, text=text_of(KNIFE), key="disturbance-knife-0003"
    ),
    "status": lambda actor, ids: authoring.set_status(
        actor=actor, version_id=ids["knife"], status="retired"
    ),
    "reject": lambda actor, ids: authoring.reject_draft(actor=actor, version_id=ids["bus"]),
    "export": lambda actor, ids: authoring.export_bank(actor=actor),
    "import": lambda actor, ids: authoring.import_uploads(
        actor=actor, uploads=[("k.yaml", text_of(KNIFE).encode())]
    ),
    "generate": lambda actor, ids: authoring.generate_drafts(actor=actor, count=1, seed=1),
    "protocol": lambda actor, ids: authoring.save_protocol(
        actor=actor, dispatch_model="call_center_led", eligible=[], hotline_hours="24/7"
    ),
}


@pytest.mark.parametrize("role", ["trainee", "supervisor"])
@pytest.mark.parametrize("call", sorted(SERVICE_CALLS))
def test_trainees_and_supervisors_may_not_author(bank, world, role, call):
    before = snapshot()
    with pytest.raises(AccessDenied):
        SERVICE_CALLS[call](world[f"{role}-a"], bank)
    assert snapshot() == before


def test_a_trainer_of_agency_b_cannot_touch_agency_as_scenarios(bank, world):
    other = world["trainer-b"]
    before = snapshot()
    for call in (
        lambda: authoring.load_scenario(actor=other, version_id=bank["knife"]),
        lambda: authoring.set_status(actor=other, version_id=bank["bus"], status="published"),
        lambda: authoring.reject_draft(actor=other, version_id=bank["bus"]),
        lambda: authoring.version_diff(
            actor=other, old_version_id=bank["knife"], new_version_id=bank["knife_b"]
        ),
    ):
        with pytest.raises(NotFound):
            call()
    assert snapshot() == before
    # Saving the same id under b only ever touches b's own copy.
    text = text_of(KNIFE).replace("flicking a knife", "waving a knife")
    authoring.save_scenario(actor=other, text=text, key="disturbance-knife-0003")
    with read_session() as session:
        a_row = session.get(ScenarioVersion, bank["knife"])
        assert a_row.yaml_text == text_of(KNIFE)
        b_rows = session.exec(
            select(ScenarioVersion).where(ScenarioVersion.agency_id == world.agencies["b"])
        ).all()
    assert sorted(r.yaml_text for r in b_rows) == sorted([text_of(KNIFE), text])
    assert keys(authoring.bank(actor=other)) == {"disturbance-knife-0003"}


def test_a_save_never_undoes_a_save_made_after_the_editor_opened(bank, world):
    from tests.services.test_authoring_support import add_user

    first, second = world["trainer-a"], add_user(world.agencies["a"], "trainer-a2", "trainer")
    key = "disturbance-laundromat-0004"
    opened = authoring.load_scenario(actor=first, version_id=bank["laundromat"])["yaml_text"]
    base = content_hash(opened)  # both editors opened the same text
    washer = opened.replace("argument over a dryer", "argument over a washer")
    phone = opened.replace("argument over a dryer", "argument over a phone charger")
    assert washer != opened and phone != opened

    draft = authoring.save_scenario(actor=first, text=washer, key=key, based_on=base)
    with pytest.raises(authoring.EditConflict, match="after you opened it"):
        authoring.save_scenario(actor=second, text=phone, key=key, based_on=base)
    stored = authoring.load_scenario(actor=first, version_id=draft["version_id"])["yaml_text"]
    assert stored == washer  # the first save stands

    same = authoring.save_scenario(actor=second, text=washer, key=key, based_on=base)
    assert same["outcome"] == "unchanged"  # saving what is already there is no conflict
    fresh = authoring.save_scenario(
        actor=second, text=stored.replace("washer", "phone"), key=key, based_on=content_hash(stored)
    )
    assert fresh["outcome"] == "updated"
