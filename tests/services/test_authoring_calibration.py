"""Calibration service on SQLite and PostgreSQL: blind keying, agreement, the publish
block for contested scenarios, stale keys after an edit, the report and access."""

from __future__ import annotations

import pytest

from app.errors import AccessDenied, NotFound, UserError
from app.services import authoring, calibration
from tests.services.test_authoring_support import (
    LAUNDROMAT,
    add_user,
    snapshot,
    store,
    text_of,
)

PRIORITY = 3  # the laundromat call's stored priority

AGREE = {
    "disqualifiers": [],
    "call_type": "DISTURBANCE",
    "priority": PRIORITY,
    "disposition": "community_responder",
}
POLICE = {**AGREE, "disposition": "police"}
WEAPON = {**AGREE, "disqualifiers": ["weapon"], "disposition": "community_responder_with_police"}
KEY_WORDS = {"expert", "rationale", "required_questions", "unsafe", "acceptable", "checks"}


def all_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(all_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(all_keys(v) for v in value))
    return set()


@pytest.fixture
def panel(database, world):
    """A draft written by trainer-a, and three more trainers in agency a."""
    a = world.agencies["a"]
    draft = store(
        a,
        text_of(LAUNDROMAT),
        status="draft",
        source="authored",
        created_by=world["trainer-a"].user_id,
    )
    trainers = [add_user(a, f"trainer-{n}") for n in ("x", "y", "z")]
    return {"draft": draft, "trainers": trainers}


def key(actor, version_id, answer):
    return calibration.submit_key(actor=actor, version_id=version_id, **answer)


def test_keying_is_blind_until_the_trainer_submits(panel, world):
    x, y, _ = panel["trainers"]
    key(x, panel["draft"], AGREE)
    task = calibration.calibration_task(actor=y, version_id=panel["draft"])
    assert task["revealed"] is False and task["keys_so_far"] == 1
    assert not {"others", "expert", "agreement"} & set(task)
    assert not all_keys(task) & KEY_WORDS
    assert task["mine"] is None
    revealed = key(y, panel["draft"], POLICE)
    assert revealed["revealed"] is True
    assert {o["trainer"] for o in revealed["others"]} == {x.display_name, y.display_name}
    assert revealed["expert"] == AGREE  # the stored key, priority included
    assert revealed["mine"]["disposition"] == "police"


def test_the_author_may_not_key_their_own_scenario(panel, world):
    before = snapshot()
    with pytest.raises(AccessDenied, match="You wrote this scenario's key"):
        key(world["trainer-a"], panel["draft"], AGREE)
    assert snapshot() == before
    queue = calibration.calibration_queue(actor=world["trainer-a"])
    assert next(q for q in queue if q["version_id"] == panel["draft"])["author"] is True
    # The author sees the panel's keys at once (to resolve a contest), never keys.
    key(panel["trainers"][0], panel["draft"], POLICE)
    task = calibration.calibration_task(actor=world["trainer-a"], version_id=panel["draft"])
    assert task["revealed"] is True and task["mine"] is None
    assert [o["disposition"] for o in task["others"]] == ["police"]


def test_keys_must_use_known_codes_and_available_routes(panel):
    x = panel["trainers"][0]
    for bad, message in (
        ({**AGREE, "disqualifiers": ["knife"]}, "Unknown disqualifier"),
        ({**AGREE, "call_type": "PARKING"}, "call type"),
        ({**AGREE, "disposition": "external_hotline"}, "route"),  # not under call_center_led
        ({**AGREE, "priority": None}, "priority"),
        ({**AGREE, "priority": 7}, "priority"),
    ):
        with pytest.raises(UserError, match=message):
            key(x, panel["draft"], bad)


def test_agreement_lets_the_draft_be_published(panel, world):
    for trainer in panel["trainers"]:
        key(trainer, panel["draft"], AGREE)
    state = calibration.calibration_task(actor=panel["trainers"][0], version_id=panel["draft"])
    assert state["agreement"]["status"] == "agreed"
    assert state["agreement"]["dimensions"]["disposition"]["agreement"] == 1.0
    published = authoring.set_status(
        actor=panel["trainers"][0], version_id=panel["draft"], status="published"
    )
    assert published["status"] == "published"


def test_a_contested_draft_cannot_be_published_until_resolved(panel, world):
    x, y, z = panel["trainers"]
    key(x, panel["draft"], AGREE)
    key(y, panel["draft"], AGREE)
    key(z, panel["draft"], WEAPON)  # any disqualifier disagreement contests
    before = snapshot()
    with pytest.raises(UserError, match="contested in calibration") as refused:
        authoring.set_status(
            actor=panel["trainers"][0], version_id=panel["draft"], status="published"
        )
    assert "disqualifiers" in str(refused.value)
    assert snapshot() == before
    row = next(
        r for r in authoring.bank(actor=world["trainer-a"]) if r["version_id"] == panel["draft"]
    )
    assert row["contested"] is True and row["calibration"] == "contested"
    # After discussion z revises the key (allowed once revealed): resolved.
    revised = key(z, panel["draft"], AGREE)
    assert revised["mine"]["revisions"] == 1
    assert revised["agreement"]["contested"] is False
    authoring.set_status(actor=x, version_id=panel["draft"], status="published")


def test_a_majority_against_the_stored_key_is_contested(panel, world):
    for trainer in panel["trainers"]:
        key(trainer, panel["draft"], POLICE)
    task = calibration.calibration_task(actor=panel["trainers"][0], version_id=panel["draft"])
    assert task["agreement"]["contested"] is True
    assert any("stored key" in r for r in task["agreement"]["reasons"])


def test_editing_the_call_makes_keys_stale_and_keeps_the_block(panel, world):
    x, y, z = panel["trainers"]
    key(x, panel["draft"], AGREE)
    key(y, panel["draft"], POLICE)
    edited = text_of(LAUNDROMAT).replace("It's verbal,", "It's verbal and very,")
    authoring.save_scenario(
        actor=world["trainer-a"], text=edited, key="disturbance-laundromat-0004"
    )
    task = calibration.calibration_task(actor=x, version_id=panel["draft"])
    assert task["revealed"] is False and task["mine_stale"] is True  # blind again
    with pytest.raises(UserError, match="needs keys from the trainers again"):
        authoring.set_status(
            actor=panel["trainers"][0], version_id=panel["draft"], status="published"
        )
    key(x, panel["draft"], AGREE)
    key(y, panel["draft"], AGREE)
    again = calibration.calibration_task(actor=x, version_id=panel["draft"])
    assert again["agreement"]["current_keys"] == 2 and again["agreement"]["contested"] is False
    assert again["mine"]["revisions"] == 0  # keying an edited call is not a revision
    authoring.set_status(actor=x, version_id=panel["draft"], status="published")


def test_editing_only_the_key_keeps_the_keys(panel, world):
    x, y, _ = panel["trainers"]
    key(x, panel["draft"], POLICE)
    key(y, panel["draft"], POLICE)
    assert calibration.calibration_task(actor=x, version_id=panel["draft"])["agreement"][
        "contested"
    ]
    # The author accepts the panel's route: the keys still count and now agree.
    fixed = (
        text_of(LAUNDROMAT)
        .replace("  disposition: community_responder\n", "  disposition: police\n", 1)
        .split("checks:")[0]
    )
    authoring.save_scenario(actor=world["trainer-a"], text=fixed, key="disturbance-laundromat-0004")
    task = calibration.calibration_task(actor=x, version_id=panel["draft"])
    assert task["revealed"] is True and task["agreement"]["contested"] is False


def test_report_has_agreement_per_scenario_per_trainer_and_kappa(panel, world):
    x, y, z = panel["trainers"]
    second = store(
        world.agencies["a"], text_of(LAUNDROMAT).replace("-0004", "-0099"), status="draft"
    )
    key(x, panel["draft"], AGREE)
    key(y, panel["draft"], AGREE)
    key(z, panel["draft"], POLICE)
    key(x, second, WEAPON)
    key(y, second, WEAPON)
    report = calibration.calibration_report(actor=x)
    rows = {r["version_id"]: r for r in report["scenarios"]}
    assert rows[panel["draft"]]["disposition_agreement"] == pytest.approx(2 / 3)
    assert rows[panel["draft"]]["contested"] is True
    assert rows[second]["disqualifiers_agreement"] == 1.0
    # Still blind in the report: z has not keyed the second scenario.
    hidden = {r["version_id"]: r for r in calibration.calibration_report(actor=z)["scenarios"]}
    assert hidden[second]["revealed"] is False and hidden[second]["reasons"] == []
    assert hidden[second]["disqualifiers_agreement"] is None
    assert hidden[panel["draft"]]["revealed"] is True
    trainers = {t["trainer_id"]: t for t in report["trainers"]}
    # z: on the first scenario the others (x, y) agree on every dimension; z differs on
    # the route only: 3 of 4 (disqualifiers, call type, priority, route).
    assert trainers[z.user_id]["agreement"] == pytest.approx(3 / 4)
    # Kappa on the route: subjects {cr: 2, police: 1} and {cr_with_police: 2}.
    # P1 = (4 + 1 - 3) / 6 = 1/3, P2 = 1, P-bar = 2/3; p = (2/5, 1/5, 2/5), P_e = 9/25;
    # kappa = (2/3 - 9/25) / (16/25) = 23/48.
    assert report["kappa"]["disposition"] == pytest.approx(23 / 48)
    assert report["scenarios_with_two_or_more"] == 2


@pytest.mark.parametrize("role", ["trainee", "supervisor", "admin"])
def test_only_trainers_calibrate(panel, world, role):
    actor = world[f"{role}-a"]
    before = snapshot()
    for call in (
        lambda: calibration.calibration_queue(actor=actor),
        lambda: calibration.calibration_task(actor=actor, version_id=panel["draft"]),
        lambda: key(actor, panel["draft"], AGREE),
        lambda: calibration.calibration_report(actor=actor),
        lambda: calibration.task_clip(actor=actor, version_id=panel["draft"], item="opening"),
    ):
        with pytest.raises(AccessDenied):
            call()
    assert snapshot() == before


def test_another_agency_cannot_see_or_key(panel, world):
    other = world["trainer-b"]
    before = snapshot()
    with pytest.raises(NotFound):
        calibration.calibration_task(actor=other, version_id=panel["draft"])
    with pytest.raises(NotFound):
        key(other, panel["draft"], AGREE)
    assert calibration.calibration_queue(actor=other) == []
    assert snapshot() == before


def test_one_key_is_not_an_agreement_and_the_panel_needs_two(panel, world):
    from app.services.authoring import review

    x, y, _ = panel["trainers"]
    review.set_review_settings(
        actor=world["admin-a"], review_required=True, calibration_required=True
    )
    task = key(x, panel["draft"], AGREE)
    assert task["agreement"]["status"] == "needs more keys"
    assert task["agreement"]["dimensions"]["disposition"]["agreement"] is None  # not 100 %
    row = next(r for r in authoring.bank(actor=x) if r["version_id"] == panel["draft"])
    assert row["calibration"] == "needs more keys"
    before = snapshot()
    with pytest.raises(UserError, match="1 of the 2 keys"):
        authoring.approve(actor=x, version_id=panel["draft"])
    assert snapshot() == before
    key(y, panel["draft"], AGREE)
    assert authoring.approve(actor=x, version_id=panel["draft"])["status"] == "published"


def test_a_priority_disagreement_is_contested(panel, world):
    x, y, _ = panel["trainers"]
    key(x, panel["draft"], {**AGREE, "priority": 1})
    task = key(y, panel["draft"], {**AGREE, "priority": 1})
    assert task["agreement"]["contested"] is True
    assert any(
        "priority 1" in r and f"priority {PRIORITY}" in r for r in task["agreement"]["reasons"]
    )


def test_authorship_means_writing_the_key(panel, world):
    x, y, z = panel["trainers"]
    # x edits only the title of trainer-a's draft: x did not write the key, may still key.
    draft = authoring.load_scenario(actor=x, version_id=panel["draft"])["yaml_text"]
    values = authoring.form_values(draft)
    retitled = authoring.apply_form(draft, {**values, "title": "A retitled call"})
    authoring.save_scenario(actor=x, text=retitled, key="disturbance-laundromat-0004")
    queue = {q["version_id"]: q for q in calibration.calibration_queue(actor=x)}
    assert queue[panel["draft"]]["author"] is False
    key(x, panel["draft"], AGREE)
    key(y, panel["draft"], AGREE)
    assert calibration.calibration_task(actor=z, version_id=panel["draft"])["keys_so_far"] == 2
    # z rewrites the key's route: z is now its author, may not key, and their earlier
    # key would not count (z has none); x and y's keys now disagree with the stored key.
    rekeyed = retitled.replace("  disposition: community_responder\n", "  disposition: police\n", 1)
    rekeyed = rekeyed.split("checks:")[0]
    authoring.save_scenario(actor=z, text=rekeyed, key="disturbance-laundromat-0004")
    with pytest.raises(AccessDenied, match="key"):
        key(z, panel["draft"], AGREE)
    assert calibration.calibration_queue(actor=z)[0]["author"] is True
    task = calibration.calibration_task(actor=x, version_id=panel["draft"])
    assert task["agreement"]["contested"] is True
