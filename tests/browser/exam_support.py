"""An exam-ready trainee on the live server, shared by the browser tests of the exam.

The trainee is made with the helpers of the service tests
(``tests/services/test_certification_support.py`` and ``test_certification.py``): every
lesson and its check passed (``pass_all_lessons``), 20 practice calls answered like the
expert (``practise``) and, when a test wants it, the exam answered like the expert
(``take_exam``). All of it runs on the live server's database, with the demo agency's own
bank, so the browser sees the same calls.

The account is made by the CLI's ``create-user`` (``LiveServer.create_user``), not by an
admin in the app, so it logs in with the demo password and is not asked to change it.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, actor_of

if TYPE_CHECKING:
    from app.services.access import Actor
    from app.services.certification.exam import ExamState

PRACTICE_CALLS = 20  # what the track asks for before the exam
EXAM_CALLS_AT_MOST = 100  # more answered calls than this means the exam never ends


@dataclass(frozen=True)
class Trainee:
    username: str
    actor: Actor
    model: str  # the agency's dispatch model: the expert answers under it

    @property
    def user_id(self) -> int:
        return self.actor.user_id


def live_actor(server: LiveServer, username: str) -> Actor:
    """The account ``username`` of the live server, as the services see it."""
    return actor_of(server.env["DATABASE_URL"], username)


@contextmanager
def exam_ready_trainee(
    server: LiveServer, prefix: str, *, name: str, seed: int
) -> Iterator[Trainee]:
    """A new trainee of the demo agency, named ``name``, who may start the exam: every
    lesson and its check passed and 20 practice calls answered like the expert (chosen by
    the app, one after the other, with ``random.Random(seed)``). The account is disabled
    afterwards, so the cohort the supervisor tests count is as it was."""
    from app.services import accounts, certification, practice
    from app.store.db import read_session, use_database
    from app.store.models import Agency
    from tests.services.test_certification_support import pass_all_lessons, practise

    url = server.env["DATABASE_URL"]
    username = server.create_user(f"{prefix}-{secrets.token_hex(4)}", name=name)
    actor = live_actor(server, username)
    try:
        with use_database(url):
            with read_session() as session:
                agency = session.get(Agency, actor.agency_id)
                assert agency is not None
                trainee = Trainee(username, actor, agency.dispatch_model)
            pass_all_lessons(actor)
            rng = random.Random(seed)
            for _ in range(PRACTICE_CALLS):
                # One call at a time: the app chooses the next knowing the ones before.
                version_id = practice.next_scenario(actor=actor, mode="standard", rng=rng)
                practise(actor, [version_id], model=trainee.model)
            eligibility = certification.exam_overview(actor=actor)["tracks"][0]["eligibility"]
            assert eligibility["eligible"], eligibility
        yield trainee
    finally:
        admin = live_actor(server, "admin")
        with use_database(url):
            accounts.set_active(actor=admin, user_id=actor.user_id, active=False)


def finish_exam(server: LiveServer, trainee: Trainee, exam_id: int) -> ExamState:
    """Answer the exam's remaining calls like the expert, through the services; the state
    of the finished exam."""
    from app.store.db import use_database
    from tests.services.test_certification import take_exam

    with use_database(server.env["DATABASE_URL"]):
        state = take_exam(
            trainee.actor, exam_id, model=trainee.model, stop_after=EXAM_CALLS_AT_MOST
        )
    assert state["status"] != "in_progress", "the exam did not end"
    return state
