"""The call screen in a real browser: typed questions, keys only, the location to be found,
a decision panel that stays in view, and a clock that stands still while the trainee is away.

Uses the shared ``live_server`` fixture (a seeded ``streamlit run``) and Debian's chromium.
Each test has trainees of its own (made here), so no open call of another test is resumed.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import re
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.core.scenario.kinds import call_kind
from app.services.practice import clock
from app.services.practice.caller import _unclear, language_of
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

ON_SCENE = ("police_referral", "proactive")
QUESTION_BOX = ".st-key-cs-ask input[type=text]"
# Questions in a trainee's own words (lower case, no punctuation, as people type).
QUESTIONS = (
    "whats the address there",
    "does anyone have a weapon",
    "has he threatened anybody",
    "is anyone hurt",
    "is the person awake and breathing",
)


@pytest.fixture(scope="module")
def trainees(live_server):
    """Fresh trainee accounts in the demo agency (no open call to resume)."""
    names = ("cs-keys", "cs-where", "cs-clock", "cs-narrow")
    for name in names:
        live_server.create_user(name)
    return names


def _db(server, sql: str, **params):
    engine = sa.create_engine(server.env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def _open_call(server, username: str) -> tuple[int, dict, list]:
    """(attempt id, scenario, events) of the user's open call, from the server's database."""
    [(attempt_id, data, events)] = _db(
        server,
        "SELECT a.id, s.data, a.events FROM attempt a JOIN scenarioversion s"
        ' ON s.id = a.scenario_version_id JOIN "user" u ON u.id = a.user_id'
        " WHERE u.username = :u AND a.status = 'in_progress' ORDER BY a.id DESC LIMIT 1",
        u=username,
    )
    data = json.loads(data) if isinstance(data, str) else data
    events = json.loads(events) if isinstance(events, str) else events
    return attempt_id, data, events or []


def _start_by_keyboard(server, page, mode: str = "Standard") -> None:
    """Open "Take a call" and start a call, with the keyboard only."""
    page.goto(f"{server.base_url}/trainee_call")
    server.wait_idle(page)
    start = page.get_by_role("button", name="Start call")
    start.wait_for(timeout=30_000)
    choice = page.get_by_role("radio", name=re.compile(f"^{mode}"))
    choice.focus()
    page.keyboard.press("Space")
    expect(choice).to_be_checked()
    server.wait_idle(page)
    start.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    server.wait_idle(page)
    expect(page.locator(QUESTION_BOX)).to_be_focused(timeout=10_000)  # ready to ask
    server.ring_back_if_dead(page)
    expect(page.locator(QUESTION_BOX)).to_be_focused(timeout=10_000)


def _type_question(server, page, text: str) -> None:
    """Type a question and press Enter, then wait for the caller's answer."""
    before = _answers(page)
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => (window.csAnswers || 0) > {before}", timeout=30_000)
    server.wait_idle(page)
    expect(page.locator(QUESTION_BOX)).to_be_focused(timeout=10_000)  # focus came back
    expect(page.locator(QUESTION_BOX)).to_have_value("")


def _answers(page) -> int:
    return page.evaluate("() => window.csAnswers || 0")


def _press(server, page, keys: str) -> None:
    page.keyboard.press(keys)
    page.wait_for_timeout(150)  # the key's click reaches Streamlit, which reruns
    server.wait_idle(page)


def _decision_in_view(page) -> None:
    """The whole decision panel, Submit included, is inside the window."""
    height = page.viewport_size["height"]
    panel = page.locator(".st-key-cs-decision").bounding_box()
    submit = page.locator(".st-key-cs-submit button").bounding_box()
    assert panel is not None and submit is not None
    assert panel["y"] >= 0, panel
    assert submit["y"] + submit["height"] <= height, (submit, height)


def _scroll_main(page, to: str) -> None:
    page.evaluate(
        "(to) => { const m = document.querySelector('[data-testid=stMain]');"
        " m.scrollTo(0, to === 'bottom' ? m.scrollHeight : 0); }",
        to,
    )
    page.wait_for_timeout(100)


def _clock_seconds(page) -> int:
    text = page.locator("[role=timer] .cc-value").inner_text()
    minutes, seconds = text.lstrip("+").split(":")
    return int(minutes) * 60 + int(seconds)


def test_a_whole_call_by_keyboard_only(live_server, trainees, page):
    """Typed questions and the call screen's keys, without the mouse, at 1280x720."""
    page.set_viewport_size({"width": 1280, "height": 720})
    live_server.login(page, "cs-keys")
    _start_by_keyboard(live_server, page)
    _decision_in_view(page)
    expect(page.get_by_text("Alt+Q", exact=False).first).to_be_visible()  # keys on screen
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "call-screen-before-question.png"))

    for text in QUESTIONS:
        _type_question(live_server, page, text)
        _decision_in_view(page)
    _type_question(live_server, page, "hold on one second")  # asks nothing
    _press(live_server, page, "Alt+KeyL")  # the transcript, to read it back
    transcript = page.locator(".st-key-cs-transcript")
    expect(transcript).to_contain_text("whats the address there")
    # The call is chosen at random: a caller in another language says it in theirs, and
    # a text-to-911 caller writes it (nothing plays).
    scenario = _open_call(live_server, "cs-keys")[1]
    expect(transcript).to_contain_text(_unclear(language_of(scenario)))
    if call_kind(scenario).is_text:
        expect(page.locator("audio")).to_have_count(0)
    else:
        expect(page.get_by_text("Now playing: the answer to “hold on one second”")).to_be_visible()
    page.keyboard.press("Alt+KeyQ")
    expect(page.locator(QUESTION_BOX)).to_be_focused()
    _scroll_main(page, "bottom")  # the transcript in view; the decision panel stays
    _decision_in_view(page)
    page.screenshot(path=str(ARTIFACTS / "call-screen-after-question.png"))
    _scroll_main(page, "top")

    attempt_id, scenario, events = _open_call(live_server, "cs-keys")
    typed = [(e["kind"], e.get("typed")) for e in events if e.get("typed")]
    assert typed[-1] == ("unmatched", "hold on one second")
    assert [t for _, t in typed[:-1]] == list(QUESTIONS)
    asked = [e["value"] for e in events if e["kind"] == "ask"]
    assert {"address", "weapons", "threats", "injuries", "medical"} <= set(asked)

    # Disqualifiers, priority, call type and route, each from its key.
    _press(live_server, page, "Alt+KeyW")
    expect(page.locator(".st-key-cs-dq-weapon input")).to_be_checked()
    _press(live_server, page, "Alt+KeyW")  # a toggle: off again
    expect(page.locator(".st-key-cs-dq-weapon input")).not_to_be_checked()
    _press(live_server, page, "Alt+KeyM")
    expect(page.locator(".st-key-cs-dq-medical input")).to_be_checked()
    _press(live_server, page, "Alt+Digit3")
    page.keyboard.press("Alt+KeyC")
    page.keyboard.type("Welfare check")
    page.keyboard.press("Enter")
    live_server.wait_idle(page)
    expect(page.get_by_role("combobox", name="Call type")).to_have_value("Welfare check")
    _press(live_server, page, "Alt+KeyR")  # the first route, then the arrow keys
    _press(live_server, page, "ArrowDown")
    routes = page.locator(".st-key-cs-route input[type=radio]")
    expect(routes.nth(1)).to_be_checked()
    _decision_in_view(page)
    _scroll_main(page, "bottom")
    _decision_in_view(page)  # still in view with the page scrolled down
    _scroll_main(page, "top")

    marks = [e for e in _open_call(live_server, "cs-keys")[2] if e["kind"] != "seen"]
    assert [e["value"] for e in marks if e["kind"] == "priority"] == [3]
    assert [e["kind"] for e in marks][-7:] == [
        "disqualifier",
        "disqualifier",
        "disqualifier",
        "priority",
        "call_type",
        "disposition",
        "disposition",
    ]

    # Submit with confirmation: once asks, Esc goes back, twice submits.
    page.keyboard.press("Alt+KeyS")
    expect(page.locator("#cs-confirm")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#cs-confirm")).to_have_count(0)
    live_server.wait_idle(page)
    assert _db(live_server, "SELECT status FROM attempt WHERE id = :a", a=attempt_id) == [
        ("in_progress",)
    ]
    page.keyboard.press("Alt+KeyS")
    page.keyboard.press("Alt+KeyS")
    page.get_by_role("button", name="Next call").wait_for(timeout=30_000)
    live_server.wait_idle(page)
    [(status, seconds)] = _db(
        live_server, "SELECT status, seconds FROM attempt WHERE id = :a", a=attempt_id
    )
    assert status == "submitted" and seconds > 0
    page.set_viewport_size({"width": 1280, "height": 2400})
    live_server.wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "call-screen-feedback.png"), full_page=True)

    # The next call, from the bottom of the feedback, opens at the top, ready to ask.
    page.set_viewport_size({"width": 1280, "height": 720})
    _scroll_main(page, "bottom")
    assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") > 0
    page.get_by_role("button", name="Next call").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    live_server.wait_idle(page)
    expect(page.locator(QUESTION_BOX)).to_be_focused(timeout=10_000)
    assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") == 0
    assert _open_call(live_server, "cs-keys")[0] != attempt_id


def test_the_location_appears_only_after_asking_for_the_address(live_server, trainees, page):
    """Before ``address`` is asked neither the page nor the websocket holds the location
    (nor the key, nor an answer not asked for); after it, the header shows it."""
    frames: list[bytes] = []

    def keep(ws):
        ws.on(
            "framereceived",
            lambda payload: frames.append(
                payload if isinstance(payload, bytes) else payload.encode()
            ),
        )

    page.on("websocket", keep)
    page.set_viewport_size({"width": 1400, "height": 900})
    live_server.login(page, "cs-where")
    for _ in range(5):  # a call from the scene shows its location at once: take another
        _start_by_keyboard(live_server, page)
        _, scenario, _ = _open_call(live_server, "cs-where")
        call = scenario["call"]
        if call.get("location") and call.get("channel", "911") not in ON_SCENE:
            break
        page.keyboard.press("Alt+KeyC")
        page.keyboard.type("Welfare check")
        page.keyboard.press("Enter")
        _press(live_server, page, "Alt+KeyR")
        page.keyboard.press("Alt+KeyS")
        page.keyboard.press("Alt+KeyS")
        page.get_by_role("button", name="Next call").wait_for(timeout=30_000)
    else:
        raise AssertionError("five calls in a row had no location to find: the bank changed?")
    _decision_in_view(page)
    location = " ".join(call["location"].split())
    expert = scenario["expert"]
    rationale = " ".join(expert["rationale"].split())
    unasked = [
        " ".join(str(x["answer"]).split())
        for x in call.get("exchanges") or []
        if x.get("ask") not in ("address",)
    ]
    header = page.locator(".st-key-cs-header")
    expect(header).not_to_contain_text(location)
    if call.get("ali"):
        expect(header).to_contain_text(" ".join(call["ali"].split())[:30])
    wire = b"".join(frames)
    for secret in (location, rationale[:60], *(a[:50] for a in unasked)):
        assert secret.encode() not in wire, secret
        assert secret not in page.content(), secret
    assert b"required_questions" not in wire and b"time_target" not in wire

    _type_question(live_server, page, "where are you right now")
    expect(header).to_contain_text(location[:40])
    wire = b"".join(frames)
    assert rationale[:60].encode() not in wire  # the key still stays on the server


def test_the_decision_panel_on_a_phone_comes_before_the_transcript(live_server, trainees, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    live_server.login(page, "cs-narrow")
    _start_by_keyboard(live_server, page)
    page.set_viewport_size({"width": 390, "height": 844})
    live_server.wait_idle(page)
    ask = page.locator(".st-key-cs-ask").bounding_box()
    decision = page.locator(".st-key-cs-decision").bounding_box()
    listen = page.locator(".st-key-cs-listen").bounding_box()
    assert ask["y"] < decision["y"] < listen["y"]  # question box, decision, then the caller
    assert decision["y"] < 844  # its top is on the first screen
    page.screenshot(path=str(ARTIFACTS / "call-screen-390.png"))
    # Submit is on the screen without scrolling, and stays there at the bottom of the page,
    # where the last of the transcript is not hidden behind it.
    submit = page.locator(".st-key-cs-submit button")
    for where in ("top", "bottom"):
        _scroll_main(page, where)
        box = submit.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 844, (where, box)
        assert box["width"] > 300  # the whole width: easy to reach with a thumb
    last = page.locator(".st-key-cs-listen").bounding_box()
    bar = page.locator(".st-key-cs-submit").bounding_box()
    assert last["y"] + last["height"] <= bar["y"] + 1, (last, bar)
    page.screenshot(path=str(ARTIFACTS / "call-screen-390-bottom.png"))
    expect(submit).to_be_enabled()
    submit.click(trial=True)  # nothing covers it: a tap would reach it


def test_the_clock_stands_still_while_the_trainee_is_on_another_page(live_server, trainees, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    live_server.login(page, "cs-clock")
    _start_by_keyboard(live_server, page)
    away = clock.PAUSE_AFTER + clock.HEARTBEAT_SECONDS + 5
    # Staying on the call screen without a word is call time: the heartbeat keeps it.
    before = _clock_seconds(page)
    page.wait_for_timeout(away * 1000)
    page.reload()  # the server's time, not the browser's count
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    live_server.wait_idle(page)
    stayed = _clock_seconds(page) - before
    assert stayed >= away - 2, stayed
    assert not [e for e in _open_call(live_server, "cs-clock")[2] if e["kind"] == "pause"]

    before = _clock_seconds(page)
    page.get_by_role("link", name="My training").click()
    live_server.wait_idle(page)
    expect(page.locator(".st-key-cs-decision")).to_have_count(0)
    started = time.monotonic()
    page.wait_for_timeout(away * 1000)  # on another page, really this long
    page.get_by_role("link", name="Take a call").click()
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    live_server.wait_idle(page)
    gone = time.monotonic() - started
    after = _clock_seconds(page)
    assert after - before < gone - clock.PAUSE_AFTER + clock.HEARTBEAT_SECONDS, (
        before,
        after,
        gone,
    )
    _, _, events = _open_call(live_server, "cs-clock")
    pauses = [e for e in events if e["kind"] in ("pause", "resume")]
    assert [e["kind"] for e in pauses] == ["pause", "resume"]
    assert pauses[1]["w"] - pauses[0]["w"] >= clock.PAUSE_AFTER
    assert pauses[0]["t"] == pauses[1]["t"]  # the call clock did not move meanwhile
