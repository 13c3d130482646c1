"""A trainer edits a scenario's YAML in a real browser and sees the validation error at
the right line; then fixes it and sees the scenario valid again. Nothing is saved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_trainer_sees_a_yaml_error_at_its_line(live_server, page):
    live_server.login(page, "trainer")
    page.get_by_role("link", name="Edit scenario").click()
    box = page.get_by_role("textbox", name="Scenario YAML")
    box.wait_for(timeout=30_000)
    live_server.wait_idle(page)
    original = box.input_value()
    lines = original.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("difficulty:"))
    lines[index] = "difficulty: 9"
    broken = "\n".join(lines) + "\n"

    box.fill(broken)
    box.press("Control+Enter")  # commit the text area, as leaving it does
    live_server.wait_idle(page)
    message = f"line {index + 1}: difficulty must be 1..5, not 9"
    expect(page.get_by_text(message)).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"1 problem\(s\): fix them to save"))).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    box.evaluate("el => { el.scrollTop = 0; }")  # show the line with the error
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trainer-editor.png"), full_page=False)

    box.fill(original)
    box.press("Control+Enter")
    live_server.wait_idle(page)
    expect(page.get_by_text("The scenario is valid.")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(message)).to_have_count(0)
