"""Content review on SQLite and PostgreSQL: imports, edits and generated calls are drafts;
a second trainer approves; trainees only ever get published versions; every transition
is in the audit log."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from app.errors import AccessDenied, UserError
from app.services import authoring, practice
from app.services.bank import import_paths
from app.store.db import read_session
from app.store.models import Agency, AuditEntry, ScenarioVersion
from tests.services.test_authoring_support import (
    KNIFE,
    LAUNDROMAT,
    add_user,
    snapshot,
    store,
    text_of,
)

KNIFE_KEY = "disturbance-knife-0003"
LAUNDROMAT_KEY = "disturbance-laundromat-0004"


@pytest.fixture
def center(database, world):
    """Agency a with one published call (the knife) and a second trainer."""
    a = world.agencies["a"]
    return {
        "knife": store(a, text_of(KNIFE)),
        "reviewer": add_user(a, "trainer-a2", "trainer"),
    }


def offered(trainee, seeds: int = 25) -> set[int]:
    """Every call the adaptive choice offers the trainee over a number of seeds."""
    return {
        practice.next_scenario(actor=trainee, mode="standard", rng=random.Random(seed))
        for seed in range(seeds)
    }


def version_ids(key: str) -> dict[str, int]:
    with read_session() as session:
        rows = session.exec(
            select(ScenarioVersion)
            .where(ScenarioVersion.scenario_key == key)
            .order_by(col(ScenarioVersion.version))
        ).all()
    return {("live" if r.is_current else "draft"): r.id for r in rows}


def content_events() -> list[tuple[str, str]]:
    with read_session() as session:
        rows = session.exec(
            select(AuditEntry).where(col(AuditEntry.event).startswith("content_"))
        ).all()
    return [(r.event, r.payload["key"]) for r in sorted(rows, key=lambda r: r.id)]


def test_an_import_never_reaches_a_trainee_before_approval(center, world):
    trainer, reviewer, trainee = world["trainer-a"], center["reviewer"], world["trainee-a"]
    changed = text_of(KNIFE).replace("flicking a knife", "waving a knife")
    assert changed != text_of(KNIFE)
    authoring.import_uploads(
        actor=trainer,
        uploads=[
            ("laundromat.yaml", text_of(LAUNDROMAT).encode()),
            ("knife.yaml", changed.encode()),
        ],
    )
    new = version_ids(LAUNDROMAT_KEY)["live"]  # a new scenario: a current draft
    knife = version_ids(KNIFE_KEY)
    assert knife["live"] == center["knife"] and knife["draft"] != center["knife"]
    with read_session() as session:
        assert session.get(ScenarioVersion, new).status == "draft"
        assert session.get(ScenarioVersion, knife["draft"]).status == "draft"
        assert session.get(ScenarioVersion, center["knife"]).yaml_text == text_of(KNIFE)

    # The trainee is offered only the published knife call, and cannot open the drafts.
    assert offered(trainee) == {center["knife"]}
    for draft in (new, knife["draft"]):
        with pytest.raises(AccessDenied, match="not published"):
            practice.start_attempt(actor=trainee, scenario_version_id=draft, mode="standard")

    # The importer may not approve their own upload; nothing changes.
    before = snapshot()
    with pytest.raises(AccessDenied, match="another trainer"):
        authoring.approve(actor=trainer, version_id=new)
    with pytest.raises(AccessDenied, match="another trainer"):
        authoring.set_status(actor=trainer, version_id=knife["draft"], status="published")
    assert snapshot() == before
    assert offered(trainee) == {center["knife"]}

    # A second trainer approves: both go live, the old knife version is kept unchanged.
    authoring.approve(actor=reviewer, version_id=new)
    authoring.approve(actor=reviewer, version_id=knife["draft"])
    assert offered(trainee) == {new, knife["draft"]}
    with read_session() as session:
        old = session.get(ScenarioVersion, center["knife"])
        assert (old.is_current, old.yaml_text) == (False, text_of(KNIFE))
        live = session.get(ScenarioVersion, knife["draft"])
        assert (live.status, live.is_current, live.approved_by) == (
            "published",
            True,
            reviewer.user_id,
        )
    assert content_events() == [
        ("content_draft", LAUNDROMAT_KEY),
        ("content_draft", KNIFE_KEY),
        ("content_approved", LAUNDROMAT_KEY),
        ("content_published", LAUNDROMAT_KEY),
        ("content_approved", KNIFE_KEY),
        ("content_published", KNIFE_KEY),
    ]


def test_one_trainer_cannot_approve_their_own_change(center, world):
    trainer, reviewer = world["trainer-a"], center["reviewer"]
    edited = text_of(KNIFE).replace("flicking a knife", "waving a knife")
    draft = authoring.save_scenario(actor=trainer, text=edited, key=KNIFE_KEY)
    assert (draft["outcome"], draft["status"]) == ("new_draft", "draft")
    state = authoring.review_state(actor=trainer, version_id=draft["version_id"])
    assert state["can_approve"] is False and "another trainer" in state["blocks"][0]
    assert authoring.review_state(actor=reviewer, version_id=draft["version_id"])["can_approve"]

    # The reviewer edits the draft too: now neither of them may approve it alone.
    authoring.save_scenario(
        actor=reviewer, text=edited.replace("waving", "swinging"), key=KNIFE_KEY
    )
    before = snapshot()
    for actor in (trainer, reviewer):
        with pytest.raises(AccessDenied, match="another trainer"):
            authoring.approve(actor=actor, version_id=draft["version_id"])
    assert snapshot() == before
    third = add_user(world.agencies["a"], "trainer-a3", "trainer")
    queue = {q["version_id"]: q for q in authoring.review_queue(actor=third)}
    assert queue[draft["version_id"]]["can_approve"] is True
    assert queue[draft["version_id"]]["editors"] == sorted(["Trainer A", "Trainer A2"])
    assert authoring.approve(actor=third, version_id=draft["version_id"])["status"] == "published"
    # A trainer of another agency never sees it.
    assert authoring.review_queue(actor=world["trainer-b"]) == []


def test_the_two_person_rule_is_an_agency_setting_set_by_an_admin(center, world):
    trainer = world["trainer-a"]
    assert authoring.review_settings(actor=trainer) == {
        "review_required": True,
        "calibration_required": False,
    }
    for actor in (trainer, world["supervisor-a"], world["trainee-a"]):
        with pytest.raises(AccessDenied):
            authoring.set_review_settings(
                actor=actor, review_required=False, calibration_required=False
            )
    authoring.set_review_settings(
        actor=world["admin-a"], review_required=False, calibration_required=False
    )
    with read_session() as session:
        b = session.get(Agency, world.agencies["b"])
        assert b.review_required is True  # only the admin's own agency changed
    draft = authoring.save_scenario(
        actor=trainer, text=text_of(KNIFE).replace("flicking", "waving"), key=KNIFE_KEY
    )
    assert authoring.approve(actor=trainer, version_id=draft["version_id"])["status"] == (
        "published"
    )
    events = [e for e, _ in content_events()]
    assert events == ["content_draft", "content_published"]  # no approval by a second person
    with read_session() as session:
        logged = session.exec(select(AuditEntry).where(AuditEntry.event == "review_settings")).one()
    assert logged.payload["to"] == {"review_required": False, "calibration_required": False}


def test_rejecting_and_retiring_are_logged(center, world):
    trainer, reviewer = world["trainer-a"], center["reviewer"]
    draft = authoring.save_scenario(
        actor=trainer, text=text_of(KNIFE).replace("flicking", "waving"), key=KNIFE_KEY
    )
    assert authoring.reject_draft(actor=reviewer, version_id=draft["version_id"]) == "deleted"
    assert version_ids(KNIFE_KEY) == {"live": center["knife"]}
    authoring.set_status(actor=reviewer, version_id=center["knife"], status="retired")
    assert center["knife"] not in offered(world["trainee-a"], seeds=3)
    # A retired version that was published before may come back without a new review.
    authoring.set_status(actor=trainer, version_id=center["knife"], status="published")
    assert [e for e, _ in content_events()] == [
        "content_draft",
        "content_rejected",
        "content_retired",
        "content_published",
    ]
    with pytest.raises(UserError, match="Only a draft"):
        authoring.approve(actor=reviewer, version_id=center["knife"])


def test_the_bank_loaded_from_files_is_published(database, world):
    summary = import_paths([str(KNIFE), str(LAUNDROMAT)], agency_id=world.agencies["a"])
    assert summary.created == 2
    with read_session() as session:
        rows = session.exec(select(ScenarioVersion)).all()
    assert {(r.status, r.is_current) for r in rows} == {("published", True)}
    assert all(r.published_at is not None for r in rows)
    assert len(offered(world["trainee-a"])) == 2


def test_a_draft_never_replaces_what_an_open_call_is_graded_on(center, world):
    trainee, trainer = world["trainee-a"], world["trainer-a"]
    attempt = practice.start_attempt(
        actor=trainee, scenario_version_id=center["knife"], mode="standard"
    )
    authoring.save_scenario(
        actor=trainer, text=text_of(KNIFE).replace("flicking", "waving"), key=KNIFE_KEY
    )
    view = practice.attempt_view(actor=trainee, attempt_id=attempt)
    assert "waving" not in str(view)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    editors=st.lists(st.integers(0, 2), min_size=1, max_size=4),
    approver=st.integers(0, 2),
)
def test_whoever_changed_a_draft_never_approves_it(sqlite_db, world, editors, approver):
    """For any sequence of trainers saving a new scenario, approval succeeds exactly when
    the approver saved none of it."""
    import uuid

    a = world.agencies["a"]
    trainers = [world["trainer-a"]]
    for name in ("trainer-p", "trainer-q"):
        existing = _trainer(name)
        trainers.append(existing or add_user(a, name, "trainer"))
    key = f"prop-{uuid.uuid4().hex[:10]}"
    base = text_of(KNIFE).replace(KNIFE_KEY, key)
    saved = None
    for n, who in enumerate(editors):
        text = base.replace("flicking a knife", f"flicking a knife ({n})")
        saved = authoring.save_scenario(actor=trainers[who], text=text, key=key if saved else None)
    assert saved is not None
    if approver in editors:
        with pytest.raises(AccessDenied, match="another trainer"):
            authoring.approve(actor=trainers[approver], version_id=saved["version_id"])
    else:
        done = authoring.approve(actor=trainers[approver], version_id=saved["version_id"])
        assert done["status"] == "published"


def _trainer(username: str):
    from app.services.accounts import actor_for
    from app.store.models import User

    with read_session() as session:
        user = session.exec(select(User).where(User.username == username)).first()
        return actor_for(user) if user else None
