"""A trainer types into the scenario editor in a real browser: the code editor has line
numbers, the error is marked at its line while they type (no blur, no Ctrl+Enter), the
message names the line in plain words, and the editor loads nothing from the internet.
Fixing the line clears the marker. Nothing is saved."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def _editor(page):
    """The code editor's frame (a Streamlit component draws in an iframe of its own)."""
    frame = page.frame_locator("iframe[title*='code_editor']").first
    frame.locator(".ace_editor").wait_for(timeout=30_000)
    return frame


def _rows(frame) -> list[str]:
    """The text of each line of the file (a long line wraps onto several screen rows)."""
    return [t.replace("\n", "") for t in frame.locator(".ace_line_group").all_inner_texts()]


def _go_to_line(page, frame, number: int) -> None:
    """Put the cursor at the end of line ``number``, by keyboard as a person would (a long
    line above it wraps onto several screen rows, each one a press of the down arrow)."""
    groups = frame.locator(".ace_line_group")
    screen_rows = sum(groups.nth(i).locator(".ace_line").count() for i in range(number - 1))
    frame.locator("textarea.ace_text-input").focus()
    page.keyboard.press("Control+Home")
    for _ in range(screen_rows):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("End")


def test_trainer_sees_a_yaml_error_marked_at_its_line_as_they_type(live_server, page):
    outside: list[str] = []
    local = urlparse(live_server.base_url).netloc

    def watch(request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != local:
            outside.append(request.url)

    page.on("request", watch)
    live_server.login(page, "trainer")
    page.get_by_role("link", name="Edit scenario").click()
    live_server.wait_idle(page)
    frame = _editor(page)
    # Line numbers in the gutter.
    expect(frame.locator(".ace_gutter-cell").first).to_have_text("1")
    lines = _rows(frame)
    index = next(i for i, line in enumerate(lines) if line.startswith("difficulty:"))
    old = lines[index].split(":", 1)[1].strip()

    _go_to_line(page, frame, index + 1)
    for _ in old:
        page.keyboard.press("Backspace")
    page.keyboard.type("9")
    # Checked while typing: the message, the gutter marker and the tinted line.
    message = f"Line {index + 1}: difficulty must be 1..5, not 9"
    expect(page.get_by_text(message)).to_be_visible(timeout=30_000)
    live_server.wait_idle(page)
    expect(page.get_by_text(re.compile(r"1 problem\(s\): fix them to save"))).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    marker = frame.locator(".ace_gutter-cell.ace_error")
    expect(marker).to_have_count(1, timeout=30_000)
    expect(marker).to_have_text(str(index + 1))
    expect(frame.locator(".cs-problem-line")).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trainer-editor.png"), full_page=False)

    # A syntax error is in plain words, at the line that needs the colon.
    _go_to_line(page, frame, index + 1)
    page.keyboard.press("Home")
    page.keyboard.press("Home")  # the very start of the line, past the indentation
    for _ in "difficulty: ":
        page.keyboard.press("Delete")
    page.keyboard.type("difficulty ")
    plain = page.get_by_text(re.compile(rf"^Line {index + 1}: The file cannot be read here"))
    expect(plain).to_be_visible(timeout=30_000)
    alerts = " ".join(page.locator("[data-testid='stAlert']").all_inner_texts())
    assert "simple key" not in alerts and "scanning" not in alerts, alerts
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trainer-editor-syntax.png"), full_page=False)

    # Fixed again: the marker goes, the scenario is valid.
    _go_to_line(page, frame, index + 1)
    page.keyboard.press("Home")
    page.keyboard.press("Home")
    page.keyboard.press("Shift+End")
    page.keyboard.type(f"difficulty: {old}")
    expect(page.get_by_text("The scenario is valid.")).to_be_visible(timeout=30_000)
    expect(frame.locator(".ace_gutter-cell.ace_error")).to_have_count(0, timeout=30_000)
    assert outside == [], f"requests left the machine: {outside}"
