"""A trainee takes a call in a real browser: audio, questions, submit, feedback.

Uses the shared ``live_server`` fixture (a seeded ``streamlit run``) and Debian's chromium.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD, VOICE_CALL

pytestmark = pytest.mark.browser

SAFETY_QUESTIONS = (
    "Does anyone there have a weapon",
    "Has anyone threatened",
    "Is anyone hurt or bleeding",
    "Is the person awake and breathing",
)


def _login(server, page, username: str) -> None:
    page.goto(server.base_url)
    server.wait_idle(page)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=30_000)
    server.wait_idle(page)


def _start_call(server, page, mode: str = "Standard") -> None:
    page.get_by_role("link", name="Take a call").click()
    page.get_by_role("button", name=re.compile("Start call|Submit call")).wait_for()
    server.wait_idle(page)
    start = page.get_by_role("button", name="Start call")
    if start.count():  # otherwise an open call was resumed
        choice = page.get_by_role("radio", name=re.compile(f"^{mode}"))
        choice.check(force=True)
        expect(choice).to_be_checked()
        server.wait_idle(page)
        start.click()
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    server.wait_idle(page)
    server.ring_back_if_dead(page)  # a dropped line shows no question until rung back


def _ask(server, page, prefix: str) -> None:
    box = page.locator(".st-key-cs-ask input[type=text]")
    if box.count():  # Standard, Timed and exam calls: the question is typed
        box.fill(prefix)
        box.press("Enter")
        expect(box).to_have_value("", timeout=30_000)  # asked: the box is empty again
        server.wait_idle(page)
        return
    button = page.get_by_role("button", name=re.compile("^" + re.escape(prefix)))
    if button.is_enabled():
        button.click()
        expect(button).to_be_disabled(timeout=30_000)  # asked: the card is ticked off
        server.wait_idle(page)


def _open_scenario(server, username: str) -> dict:
    """The scenario of the user's open call, read straight from the server's database."""
    engine = sa.create_engine(server.env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT s.data FROM attempt a JOIN scenarioversion s"
                    ' ON s.id = a.scenario_version_id JOIN "user" u ON u.id = a.user_id'
                    " WHERE u.username = :u AND a.status = 'in_progress'"
                    " ORDER BY a.id DESC LIMIT 1"
                ),
                {"u": username},
            ).one()
    finally:
        engine.dispose()
    data = row[0]
    if isinstance(data, str):
        import json

        data = json.loads(data)
    return data


def _submitted(server, username: str) -> int:
    engine = sa.create_engine(server.env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    'SELECT count(*) FROM attempt a JOIN "user" u ON u.id = a.user_id'
                    " WHERE u.username = :u AND a.status = 'submitted'"
                ),
                {"u": username},
            ).scalar_one()
    finally:
        engine.dispose()


def test_trainee_takes_a_call_and_sees_feedback(live_server, page):
    before = _submitted(live_server, "trainee2")
    _login(live_server, page, "trainee2")
    _start_call(live_server, page, "Guided")  # the question cards and the transcript
    for prefix in SAFETY_QUESTIONS:
        _ask(live_server, page, prefix)
    transcript = page.locator("[data-testid='stChatMessage']")
    assert transcript.count() >= 1 + 2 * len(SAFETY_QUESTIONS)

    select = page.locator("[data-testid='stSelectbox']").filter(has_text="Call type")
    select.click()
    page.keyboard.type("Welfare check")
    page.keyboard.press("Enter")
    expect(page.get_by_role("combobox", name="Call type")).to_have_value("Welfare check")
    live_server.wait_idle(page)
    route = page.get_by_role("radio", name="Community responders", exact=True)
    route.check(force=True)
    expect(route).to_be_checked()
    live_server.wait_idle(page)
    page.get_by_role("button", name="Submit call").dblclick()  # a double click submits once
    page.get_by_text("The expert's answer").wait_for(timeout=30_000)
    live_server.wait_idle(page)
    assert page.get_by_text("Score").count() >= 1
    assert page.get_by_role("button", name="Next call").count() == 1
    page.set_viewport_size({"width": 1400, "height": 2600})
    live_server.wait_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trainee-feedback.png"), full_page=True)

    assert _submitted(live_server, "trainee2") == before + 1  # the double click counted once


def test_page_never_holds_the_key_before_submission(live_server, page):
    _login(live_server, page, "lv-trainee")
    _start_call(live_server, page)
    scenario = _open_scenario(live_server, "lv-trainee")
    expert = scenario["expert"]
    rationale = " ".join(expert["rationale"].split())
    answers = [" ".join(str(x["answer"]).split()) for x in scenario["call"].get("exchanges") or []]

    html = page.content()
    assert rationale[:60] not in html
    for answer in answers:  # nothing the caller says before being asked
        assert answer[:50] not in html

    for prefix in SAFETY_QUESTIONS:
        _ask(live_server, page, prefix)
    html = page.content()
    assert rationale[:60] not in html
    assert "rationale" not in html.lower()
    assert "required_questions" not in html
    assert "time_target" not in html


def test_opening_audio_loads_with_a_duration(live_server, page, speech):
    live_server.open_call("trainee", VOICE_CALL)  # not a text-to-911 chat, which has no audio
    _login(live_server, page, "trainee")
    _start_call(live_server, page)
    assert _open_scenario(live_server, "trainee")["id"] == VOICE_CALL  # resumed, not replaced
    page.wait_for_selector("audio", timeout=30_000)
    page.wait_for_function(
        "() => { const a = document.querySelector('audio'); return a && a.readyState >= 1 }",
        timeout=30_000,
    )
    duration = page.evaluate("() => document.querySelector('audio').duration")
    assert duration > 0
    # The player plays a signed link to this server's clip route, not Streamlit's media.
    source = page.evaluate("() => document.querySelector('audio').currentSrc")
    assert source.startswith(live_server.base_url + "/api/clip?"), source
    answer = page.request.get(source)
    assert answer.status == 200 and answer.headers["content-type"] == "audio/wav"
    assert answer.body()[:4] == b"RIFF"
    # A trainee can skip back and forth in the clip (the route answers Range requests).
    page.evaluate(
        "(d) => new Promise((done) => { const a = document.querySelector('audio');"
        " a.addEventListener('seeked', done, {once: true}); a.currentTime = d / 2; })",
        duration,
    )
    assert page.evaluate("() => document.querySelector('audio').currentTime") > 0


def test_the_call_clock_counts_in_the_browser(live_server, page):
    """The clock moves on by itself: no server rerun every second for every open call."""
    _login(live_server, page, "trainee")
    _start_call(live_server, page)
    value = page.locator("[role=timer] .cc-value")
    expect(value).to_have_text(re.compile(r"^\d+:\d\d$"))
    first = value.inner_text()
    expect(value).not_to_have_text(first, timeout=5_000)
    live_server.wait_idle(page)
    assert page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").count()
