"""A supervisor opens the dashboards in a real browser (charts drawn, screenshots saved).

Uses the shared ``live_server`` fixture. The demo history is seeded into the server's
database first (a no-op when ``python -m app demo`` already did it).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD, ROOT

pytestmark = pytest.mark.browser

SEED = (
    "from app.services.accounts import get_agency_by_slug\n"
    "from app.services.demo_activity import seed_demo_activity\n"
    "from app.store.db import read_session\n"
    "with read_session() as s:\n"
    "    agency = get_agency_by_slug(session=s, slug='riverside').id\n"
    "print(seed_demo_activity(agency))\n"
)


@pytest.fixture(scope="module")
def seeded(live_server):
    subprocess.run(
        [sys.executable, "-c", SEED], cwd=ROOT, env=live_server.env, check=True, timeout=300
    )
    return live_server


COUNT = (
    "from sqlalchemy import text\n"
    "from app.store.db import read_session\n"
    "with read_session() as s:\n"
    '    print(s.execute(text("SELECT COUNT(*) FROM \\"user\\" u JOIN agency a ON a.id = "\n'
    "        \"u.agency_id WHERE a.slug = 'riverside' AND u.role = 'trainee' \"\n"
    '        "AND u.is_active")).one()[0])\n'
)


def _active_trainees(server) -> int:
    """Active trainees of the demo agency, as the cohort page counts them."""
    out = subprocess.run(
        [sys.executable, "-c", COUNT],
        cwd=ROOT,
        env=server.env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def _login(server, page, username: str) -> None:
    page.goto(server.base_url)
    server.wait_idle(page)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=30_000)
    server.wait_idle(page)


def _open(server, page, link: str, charts: int) -> None:
    page.get_by_role("link", name=link).click()
    server.wait_idle(page)
    drawn = page.locator(
        "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
    )
    expect(drawn.nth(charts - 1)).to_be_visible(timeout=30_000)


def _shot(server, page, name: str) -> None:
    # Streamlit scrolls inside its own container: make the window tall enough for it all.
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 2000"
    )
    page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 40, 1000), 6000)})
    server.wait_idle(page)
    # Vega redraws for the new size on the next frames: wait for two, not for a time.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(ARTIFACTS / name), full_page=True, animations="disabled")
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_supervisor_dashboards(seeded, page):
    _login(seeded, page, "supervisor")
    _open(seeded, page, "Cohort", charts=2)
    # .first: while the page redraws, the old and the new heading can both be there
    expect(page.get_by_text("Towards certification").first).to_be_visible()
    expect(page.get_by_text("Who is stuck")).to_be_visible()
    trainees = page.locator("[data-testid='stMetric']").filter(has_text="Trainees")
    # Other browser tests on this server may add trainees of their own: count them now.
    expect(trainees).to_contain_text(str(_active_trainees(seeded)))
    _shot(seeded, page, "supervisor-dashboard.png")

    _open(seeded, page, "Error profile", charts=3)
    expect(page.get_by_text("Routes: the key vs the trainee")).to_be_visible()
    _shot(seeded, page, "supervisor-errors.png")

    _open(seeded, page, "Equity audit", charts=1)
    expect(page.get_by_text("Trainees flagged")).to_be_visible()
    _shot(seeded, page, "supervisor-equity.png")

    _open(seeded, page, "Trainee review", charts=2)
    expect(page.get_by_text("The expert key")).to_be_visible()
    _shot(seeded, page, "supervisor-trainee.png")


def test_a_folded_table_opens_and_downloads_as_csv(seeded, page):
    """The trainee list is folded (drawn only when opened); its CSV is written on click."""
    _login(seeded, page, "supervisor")
    _open(seeded, page, "Cohort", charts=2)
    folded = page.get_by_test_id("stExpander").filter(has_text="All trainees")
    expect(folded.get_by_role("button", name="Download CSV")).to_have_count(0)
    folded.get_by_text("All trainees").click()
    seeded.wait_idle(page)
    download_button = folded.get_by_role("button", name="Download CSV")
    expect(download_button).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        download_button.click()
    assert download.value.suggested_filename == "trainees.csv"
    text = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115 - small file
    rows = text.splitlines()
    assert rows[0].startswith('"Trainee","User name","Stage"')
    assert len(rows) - 1 == _active_trainees(seeded)
