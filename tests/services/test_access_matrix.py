"""Roles x actions on the server: every forbidden cell is denied by the service itself,
including when a user guesses another user's or another agency's ids."""

from __future__ import annotations

import pytest

from app.errors import AccessDenied, NotFound, UserError
from app.services import (
    accounts,
    audit,
    authoring,
    bank,
    calibration,
    certification,
    lessons,
    practice,
    review,
)
from app.services.access import PERMISSIONS
from tests.factories import SPEC_SAMPLE

ROLES = ("trainee", "trainer", "supervisor", "admin")

# (name, call(actor, ids), roles allowed)
ACTIONS = [
    (
        "practice.next_scenario",
        lambda a, i: practice.next_scenario(actor=a, mode="standard"),
        {"trainee"},
    ),
    ("practice.my_attempts", lambda a, i: practice.my_attempts(actor=a), {"trainee"}),
    ("practice.my_progress", lambda a, i: practice.my_progress(actor=a), {"trainee"}),
    (
        "lessons.list_modules",
        lambda a, i: lessons.list_modules(actor=a),
        {"trainee", "trainer", "supervisor"},
    ),
    ("certification.exam_overview", lambda a, i: certification.exam_overview(actor=a), {"trainee"}),
    (
        "certification.pending_sign_offs",
        lambda a, i: certification.pending_sign_offs(actor=a),
        {"supervisor"},
    ),
    (
        "certification.list_certificates",
        lambda a, i: certification.list_certificates(actor=a),
        PERMISSIONS["revoke"],
    ),
    ("authoring.bank", lambda a, i: authoring.bank(actor=a, with_stats=False), {"trainer"}),
    (
        "authoring.load_scenario",
        lambda a, i: authoring.load_scenario(actor=a, version_id=i["version_a"]),
        {"trainer"},
    ),
    (
        "authoring.item_analysis",
        lambda a, i: authoring.item_analysis(actor=a),
        PERMISSIONS["item_analysis"],
    ),
    (
        "authoring.protocol_settings",
        lambda a, i: authoring.protocol_settings(actor=a),
        PERMISSIONS["edit_protocol"],
    ),
    (
        "calibration.calibration_queue",
        lambda a, i: calibration.calibration_queue(actor=a),
        {"trainer"},
    ),
    ("review.cohort_overview", lambda a, i: review.cohort_overview(actor=a), {"supervisor"}),
    ("review.error_profile", lambda a, i: review.error_profile(actor=a), {"supervisor"}),
    ("review.equity_audit", lambda a, i: review.equity_audit(actor=a), {"supervisor"}),
    (
        "review.twin_differences",
        lambda a, i: review.twin_differences(actor=a, pairs=[]),
        {"supervisor"},
    ),
    (
        "review.trainee_detail",
        lambda a, i: review.trainee_detail(actor=a, trainee_id=i["trainee_a"]),
        {"supervisor"},
    ),
    ("accounts.list_users", lambda a, i: accounts.list_users(actor=a), {"admin"}),
    ("audit.check_log", lambda a, i: audit.check_log(actor=a), PERMISSIONS["audit"]),
]

# Agency b's users (in the allowed role) reaching for agency a's things by id.
CROSS_AGENCY = [
    ("trainee", lambda a, i: practice.attempt_view(actor=a, attempt_id=i["attempt_a"])),
    (
        "trainee",
        lambda a, i: practice.ask_question(
            actor=a, attempt_id=i["attempt_a"], question_id="weapons"
        ),
    ),
    (
        "trainee",
        lambda a, i: practice.start_attempt(
            actor=a, scenario_version_id=i["version_a"], mode="standard"
        ),
    ),
    ("trainer", lambda a, i: authoring.load_scenario(actor=a, version_id=i["version_a"])),
    (
        "trainer",
        lambda a, i: authoring.set_status(actor=a, version_id=i["version_a"], status="retired"),
    ),
    ("supervisor", lambda a, i: review.trainee_detail(actor=a, trainee_id=i["trainee_a"])),
    ("supervisor", lambda a, i: review.attempt_replay(actor=a, attempt_id=i["attempt_a"])),
    (
        "supervisor",
        lambda a, i: review.add_review_note(actor=a, attempt_id=i["attempt_a"], text="x"),
    ),
    ("admin", lambda a, i: accounts.set_active(actor=a, user_id=i["trainee_a"], active=False)),
]


@pytest.fixture
def ids(database, world):
    summary = bank.import_paths([str(SPEC_SAMPLE)], agency_id=world.agencies["a"])
    assert summary.created == 1
    version_a = authoring.bank(actor=world["trainer-a"], with_stats=False)[0]["version_id"]
    attempt_a = practice.start_attempt(
        actor=world["trainee-a"], scenario_version_id=version_a, mode="standard"
    )
    second = accounts.admin_create_user(
        actor=world["admin-a"],
        username="trainee-a2",
        display_name="Second trainee",
        role="trainee",
        password="another sound passphrase",
    )
    # The second trainee sets their own password at first login, as they must, so that
    # their refusals below come from the agency and user checks, not from the forced change.
    accounts.change_password(
        actor=accounts.load_actor(second),
        current="another sound passphrase",
        new="the second trainee's own passphrase",
    )
    assert not accounts.load_actor(second).must_change_password
    return {
        "version_a": version_a,
        "attempt_a": attempt_a,
        "trainee_a": world["trainee-a"].user_id,
        "trainee_a2": accounts.load_actor(second),
    }


@pytest.mark.parametrize("role", ROLES)
def test_roles_by_actions(ids, world, role):
    actor = world[f"{role}-a"]
    for name, call, allowed in ACTIONS:
        if role in allowed:
            try:
                call(actor, ids)
            except AccessDenied as exc:  # pragma: no cover - the failure message
                pytest.fail(f"{role} was denied {name}: {exc}")
            except (NotFound, UserError):
                pass  # allowed through the check; the data may simply not be there
        else:
            with pytest.raises(AccessDenied):
                call(actor, ids)


def test_other_agency_ids_are_refused(ids, world):
    for role, call in CROSS_AGENCY:
        with pytest.raises((AccessDenied, NotFound)):
            call(world[f"{role}-b"], ids)


def test_a_trainee_cannot_open_another_trainees_attempt(ids):
    other = ids["trainee_a2"]
    for call in (
        lambda: practice.attempt_view(actor=other, attempt_id=ids["attempt_a"]),
        lambda: practice.ask_question(
            actor=other, attempt_id=ids["attempt_a"], question_id="weapons"
        ),
        lambda: practice.review_attempt(actor=other, attempt_id=ids["attempt_a"]),
    ):
        with pytest.raises((AccessDenied, NotFound)):
            call()
