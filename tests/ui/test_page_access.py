"""Roles x pages: every page checks the role on the server, not just the menu."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.ui.navigation import PAGES, pages_for
from tests.factories import ROOT

ROLES = ("trainee", "trainer", "supervisor", "admin")
CELLS = [(spec.file, role, role in spec.roles) for spec in PAGES for role in ROLES]


def run_page(file: str, user_id: int | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "app_pages" / file), default_timeout=60)
    if user_id is not None:
        at.session_state["user_id"] = user_id
    return at.run()


@pytest.mark.parametrize(("file", "role", "allowed"), CELLS, ids=[f"{f}-{r}" for f, r, _ in CELLS])
def test_page_access_matrix(sqlite_db, world, file, role, allowed):
    at = run_page(file, world[f"{role}-a"].user_id)
    assert not at.exception, at.exception
    denied = any("may not" in e.value or "log in" in e.value.lower() for e in at.error)
    assert denied is (not allowed)


@pytest.mark.parametrize("file", sorted({spec.file for spec in PAGES}))
def test_logged_out_visitor_is_refused(sqlite_db, file):
    at = run_page(file, None)
    assert not at.exception
    assert any("log in" in e.value.lower() for e in at.error)


def test_menu_matches_roles():
    assert {p.file for p in pages_for("trainee")} >= {"trainee_call.py", "trainee_home.py"}
    assert not any(p.file.startswith("supervisor_") for p in pages_for("trainee"))
    assert pages_for(None) == []
