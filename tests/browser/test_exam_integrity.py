"""Exam integrity in real Chromium: while a trainee's exam is open, practice, lessons and
feedback refuse, and no websocket frame of any page visited carries a key of an exam call.

Every frame the browser receives on every websocket, from login to the end, is kept. The
keys are then read from the server's database (``ScenarioVersion.data["expert"]`` of the
exam's planned calls and of their twins and variants) and searched for in the frames as
UTF-8 bytes: the rationale (whole, and in windows of words the caller never says), the
evidence, routes and the rest of the key as JSON, and the key's field names. After the
exam the same search must find the key on "My attempts", so the search is known to work.

Uses the shared ``live_server`` fixture; the trainee is made here and made eligible
through the services on the live server's database (``exam_support.exam_ready_trainee``:
lessons passed, 20 practice calls answered like the expert). Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from tests.browser.conftest import ARTIFACTS
from tests.browser.exam_support import Trainee, exam_ready_trainee, finish_exam

pytestmark = pytest.mark.browser

REFUSAL = "Your exam is in progress: finish it first."  # app.services.exam_lock
TRACK = "community-responder-screening"
QUESTION_BOX = ".st-key-cs-ask input[type=text]"
WINDOW = 6  # words in a window of the rationale searched for on its own
# Field names that only a serialised key holds.
KEY_FIELD_NAMES = (b"required_questions", b"time_target_seconds", b'"rationale"', b"'rationale'")
# Words only the feedback card draws (app/ui/grade_card.py).
FEEDBACK_WORDS = (b"The expert's answer", b"Also acceptable (partial credit)")


# ------------------------------------------------------------------ the trainee


@pytest.fixture(scope="module")
def examinee(live_server) -> Iterator[Trainee]:
    """A new trainee of the demo agency who may start the exam (``exam_ready_trainee``:
    every lesson and its check passed and 20 practice calls answered like the expert)."""
    with exam_ready_trainee(live_server, "exam", name="Quinn Examinee", seed=20) as trainee:
        yield trainee


def _open_exam(live_server, username: str) -> tuple[int, list[int]]:
    """(exam id, planned scenario version ids) of the user's exam in progress."""
    from app.store.db import read_session, use_database
    from app.store.models import Exam, User

    with use_database(live_server.env["DATABASE_URL"]), read_session() as session:
        user_id = session.exec(select(User.id).where(User.username == username)).one()
        exam = session.exec(
            select(Exam).where(Exam.user_id == user_id).where(Exam.status == "in_progress")
        ).one()
        return exam.id, [int(v) for v in exam.plan]


def _practice_calls_open(live_server, username: str) -> int:
    """Attempts outside any exam that are open (a practice call started)."""
    from app.store.db import read_session, use_database
    from app.store.models import Attempt, User

    with use_database(live_server.env["DATABASE_URL"]), read_session() as session:
        user_id = session.exec(select(User.id).where(User.username == username)).one()
        return len(
            session.exec(
                select(Attempt.id)
                .where(Attempt.user_id == user_id)
                .where(col(Attempt.exam_id).is_(None))
                .where(Attempt.status == "in_progress")
            ).all()
        )


# ------------------------------------------------------------------ the keys


def _norm(text: object) -> str:
    return " ".join(str(text or "").split())


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _strings(getattr(value, item.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _bare(data: bytes) -> bytes:
    """Without backslashes: Markdown escapes (``plain``) and JSON escapes drop out."""
    return data.replace(b"\\", b"")


def _json_forms(value: object) -> list[str]:
    return [
        json.dumps(value, ensure_ascii=ascii_only, separators=seps, sort_keys=sort)
        for ascii_only in (False, True)
        for seps in ((", ", ": "), (",", ":"))
        for sort in (False, True)
    ]


@dataclass
class Key:
    """What must not reach the browser of one call's key, as byte strings."""

    scenario_key: str
    rationale: bytes
    needles: set[bytes] = field(default_factory=set)


def _key_of(scenario_key: str, data: dict, protocol_words: str = "") -> Key:
    expert = data["expert"]
    # Words the trainee may hear in the call itself (a rationale can quote the caller),
    # or read on every call: the protocol's labels and descriptions (a rationale can
    # quote the definition of a disqualifier).
    call_words = _strings({k: v for k, v in data.items() if k != "expert"})
    public = _norm(" | ".join(call_words)) + " | " + protocol_words
    rationale = _norm(expert.get("rationale"))
    key = Key(scenario_key, _bare(rationale.encode()))
    key.needles.add(key.rationale)
    words = rationale.split()
    for start in range(max(0, len(words) - WINDOW) + 1):
        window = " ".join(words[start : start + WINDOW])
        if len(window) >= 25 and window.isascii() and window not in public:
            key.needles.add(_bare(window.encode()))
    for form in _json_forms(expert):
        key.needles.add(_bare(form.encode()))
    for name in ("evidence", "disposition", "acceptable", "unsafe", "by_model"):
        if name not in expert:
            continue
        for form in _json_forms(expert[name]):
            key.needles.add(_bare(f'"{name}": {form}'.encode()))
            key.needles.add(_bare(f'"{name}":{form}'.encode()))
        key.needles.add(_bare(f"'{name}': {expert[name]!r}".encode()))
    if data.get("checks"):
        for form in _json_forms(data["checks"]):
            key.needles.add(_bare(form.encode()))
    return key


def _exam_keys(live_server, plan: list[int]) -> list[Key]:
    """The keys of the exam's calls and of every call sharing a twin group with one."""
    from app.services.scope import agency_of, agency_protocol
    from app.store.db import read_session, use_database
    from app.store.models import ScenarioVersion

    with use_database(live_server.env["DATABASE_URL"]), read_session() as session:
        planned = session.exec(
            select(ScenarioVersion).where(col(ScenarioVersion.id).in_(plan))
        ).all()
        assert len(planned) == len(set(plan))
        protocol = agency_protocol(agency_of(session, planned[0].agency_id))
        protocol_words = _norm(" | ".join(_strings(protocol)))
        twins = {row.twin_group for row in planned if row.twin_group}
        rows = {row.id: row for row in planned}
        if twins:
            for row in session.exec(
                select(ScenarioVersion)
                .where(ScenarioVersion.agency_id == planned[0].agency_id)
                .where(col(ScenarioVersion.twin_group).in_(twins))
            ).all():
                rows.setdefault(row.id, row)
        # Planned calls first, in the order of the exam.
        ordered = [rows.pop(v) for v in plan] + list(rows.values())
        return [_key_of(row.scenario_key, dict(row.data), protocol_words) for row in ordered]


# ------------------------------------------------------------------ the frames


@dataclass
class Wire:
    """Every websocket frame the page receives, labelled with the page it arrived on."""

    page_name: str = "login"
    frames: list[tuple[str, bytes]] = field(default_factory=list)

    def listen(self, page) -> None:
        def keep(ws) -> None:
            ws.on("framereceived", self._keep)

        page.on("websocket", keep)

    def _keep(self, payload) -> None:
        data = payload if isinstance(payload, bytes) else payload.encode()
        self.frames.append((self.page_name, data))

    def mark(self) -> int:
        return len(self.frames)

    def found(self, needles, since: int = 0) -> list[tuple[str, bytes]]:
        """(page, needle) for each needle found in a frame received since ``since``."""
        hits = []
        for name, data in self.frames[since:]:
            bare = _bare(data)
            hits.extend((name, n) for n in needles if n in bare)
        return hits


def _visit(live_server, page, wire: Wire, link: str, heading: str | None = None) -> None:
    """Open a page from the menu, as a person would, and wait for its title."""
    wire.page_name = link
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=heading or link).first).to_be_visible(timeout=30_000)
    live_server.wait_idle(page)


def _open_by_address(live_server, page, wire: Wire, path: str) -> None:
    """Open a page by its address (a bookmark, a refresh): a new websocket session."""
    wire.page_name = f"/{path}"
    page.goto(f"{live_server.base_url}/{path}")
    live_server.wait_idle(page)
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=30_000)
    live_server.wait_idle(page)


def _refused(page) -> None:
    expect(page.get_by_text(REFUSAL, exact=True)).to_be_visible(timeout=30_000)


def _shown_text(page) -> bytes:
    return _bare(_norm(page.inner_text("[data-testid='stMain']")).encode())


# ------------------------------------------------------------------ the test


def test_during_an_exam_pages_refuse_and_no_frame_carries_a_key(live_server, examinee, page):
    wire = Wire()
    wire.listen(page)
    live_server.login(page, examinee.username)
    shown: list[tuple[str, bytes]] = []

    # The exam is started in the browser and its first call opened.
    _visit(live_server, page, wire, "Certification exam", "Certification")
    wire.page_name = "exam call"
    page.get_by_role("button", name="Start the exam", exact=True).click()
    page.get_by_role("button", name="Yes, start the exam").click()  # the confirmation
    page.get_by_text("Exam call 1 of").wait_for(timeout=60_000)
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    live_server.wait_idle(page)
    live_server.ring_back_if_dead(page)
    answers = page.evaluate("() => window.csAnswers || 0")
    page.locator(QUESTION_BOX).fill("is anyone hurt")
    page.locator(QUESTION_BOX).press("Enter")
    page.wait_for_function(f"() => (window.csAnswers || 0) > {answers}", timeout=30_000)
    live_server.wait_idle(page)
    exam_id, plan = _open_exam(live_server, examinee.username)
    shown.append(("exam call", _shown_text(page)))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "exam-integrity-call.png"))

    # Practice, lessons and feedback refuse, from the menu and by their addresses.
    for link in ("Take a call", "Lessons", "My attempts"):
        _visit(live_server, page, wire, link)
        _refused(page)
        shown.append((link, _shown_text(page)))
    page.screenshot(path=str(ARTIFACTS / "exam-integrity-refused.png"))
    expect(page.get_by_role("button", name="Start call")).to_have_count(0)
    for link in ("My training", "Account", "Verify a certificate"):
        _visit(live_server, page, wire, link)
        shown.append((link, _shown_text(page)))
    for path in ("trainee_call", "lessons", "trainee_history"):
        _open_by_address(live_server, page, wire, path)
        _refused(page)
        shown.append((f"/{path}", _shown_text(page)))
    expect(page.get_by_role("button", name="Start call")).to_have_count(0)
    # Back to the exam: the same call, still open.
    _visit(live_server, page, wire, "Certification exam", "Community responder")
    page.get_by_text("Exam call 1 of").wait_for(timeout=30_000)
    shown.append(("exam call again", _shown_text(page)))
    assert _practice_calls_open(live_server, examinee.username) == 0
    assert _open_exam(live_server, examinee.username) == (exam_id, plan)

    keys = _exam_keys(live_server, plan)
    assert len(keys) >= len(plan) >= 1
    assert {p for p, _ in wire.frames} >= {
        "exam call",
        "Take a call",
        "Lessons",
        "My attempts",
        "/trainee_call",
        "/lessons",
        "/trainee_history",
    }, "no frames captured on some page"
    leaks = [
        (where, key.scenario_key, needle[:80])
        for key in keys
        for where, needle in wire.found(key.needles)
    ]
    assert not leaks, f"{len(leaks)} pieces of exam keys in the frames: {leaks[:10]}"
    generic = wire.found(KEY_FIELD_NAMES + FEEDBACK_WORDS)
    assert not generic, generic[:10]
    drawn = [
        (where, key.scenario_key, needle[:80])
        for where, text in shown
        for key in keys
        for needle in key.needles
        if needle in text
    ]
    assert not drawn, drawn[:10]

    # After the exam the key is on "My attempts": the same search finds it there.
    _visit(live_server, page, wire, "My training")  # away from the call screen
    finish_exam(live_server, examinee, exam_id)
    _visit(live_server, page, wire, "Certification exam", "Community responder")
    expect(page.get_by_role("heading", name="result")).to_be_visible(timeout=30_000)
    after = wire.mark()
    _visit(live_server, page, wire, "My attempts")
    expect(page.get_by_text(REFUSAL)).to_have_count(0)
    expect(page.get_by_text("The expert's answer")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "exam-integrity-after.png"))
    # The whole rationale, as the feedback draws it (Markdown-escaped), is found.
    seen = [key.scenario_key for key in keys[: len(plan)] if wire.found([key.rationale], after)]
    assert seen, "the search did not find the key that the feedback shows after the exam"
