"""Role-based navigation: which pages each role gets in the menu.

The menu only helps people find their pages; each page checks access itself.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import streamlit as st

from app.services.access import Actor


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    section: str
    roles: frozenset[str]


def _p(file: str, title: str, icon: str, section: str, *roles: str) -> PageSpec:
    return PageSpec(file, title, icon, section, frozenset(roles))


PAGES: list[PageSpec] = [
    _p("trainee_home.py", "My training", ":material/school:", "Training", "trainee"),
    _p("trainee_call.py", "Take a call", ":material/call:", "Training", "trainee"),
    _p(
        "lessons.py",
        "Lessons",
        ":material/menu_book:",
        "Training",
        "trainee",
        "trainer",
        "supervisor",
    ),
    _p("trainee_exam.py", "Certification exam", ":material/verified:", "Training", "trainee"),
    _p("trainee_history.py", "My attempts", ":material/history:", "Training", "trainee"),
    _p("trainer_bank.py", "Scenario bank", ":material/library_books:", "Authoring", "trainer"),
    _p("trainer_editor.py", "Edit scenario", ":material/edit_note:", "Authoring", "trainer"),
    _p("trainer_import.py", "Import / export", ":material/upload_file:", "Authoring", "trainer"),
    _p("trainer_generator.py", "Generate calls", ":material/auto_awesome:", "Authoring", "trainer"),
    _p("trainer_calibration.py", "Calibration", ":material/balance:", "Quality", "trainer"),
    _p(
        "trainer_items.py",
        "Item analysis",
        ":material/query_stats:",
        "Quality",
        "trainer",
        "supervisor",
    ),
    _p("trainer_protocol.py", "Agency protocol", ":material/rule:", "Quality", "trainer", "admin"),
    _p("supervisor_dashboard.py", "Cohort", ":material/groups:", "Supervision", "supervisor"),
    _p("supervisor_errors.py", "Error profile", ":material/warning:", "Supervision", "supervisor"),
    _p(
        "supervisor_equity.py",
        "Equity audit",
        ":material/diversity_3:",
        "Supervision",
        "supervisor",
    ),
    _p(
        "supervisor_trainee.py",
        "Trainee review",
        ":material/person_search:",
        "Supervision",
        "supervisor",
    ),
    _p(
        "supervisor_certs.py",
        "Certifications",
        ":material/workspace_premium:",
        "Supervision",
        "supervisor",
        "admin",
    ),
    _p("admin_users.py", "Users", ":material/manage_accounts:", "Administration", "admin"),
    _p(
        "account.py",
        "Account",
        ":material/account_circle:",
        "Account",
        "trainee",
        "trainer",
        "supervisor",
        "admin",
    ),
]


# The page each role lands on after logging in (its home page).
HOME = {
    "trainee": "trainee_home.py",
    "trainer": "trainer_bank.py",
    "supervisor": "supervisor_dashboard.py",
    "admin": "admin_users.py",
}


def pages_for(role: str | None) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]


def home_page(role: str | None) -> PageSpec | None:
    """The role's home page (the first of its pages for a role without one)."""
    mine = pages_for(role)
    wanted = HOME.get(role or "")
    return next((p for p in mine if p.file == wanted), mine[0] if mine else None)


# Pages built once per process. Building an st.Page looks its file up on disk (resolve,
# is_file): ~30 pages on every rerun of every page was a sixth of a rerun's own work.
_BUILT: dict[tuple, st.Page] = {}


def _page(path: str, **options) -> st.Page:
    """``st.Page(path, **options)``; a copy of the one built before (st.navigation marks
    the page it runs, so every run gets pages of its own)."""
    key = (path, tuple(sorted(options.items())))
    built = _BUILT.get(key)
    if built is None:
        built = _BUILT[key] = st.Page(path, **options)
    return copy.copy(built)


def build_navigation(actor: Actor | None):
    """The st.navigation object for this actor (login and verification when logged out)."""
    if actor is None:
        # A link to a page (say, /trainee_call from a bookmark) shows the login form, not
        # "page not found"; after logging in the same address opens that page.
        deep_links = [
            _page(
                "app_pages/login.py",
                title="Log in",
                url_path=spec.file.removesuffix(".py"),
                visibility="hidden",
            )
            for spec in PAGES
        ]
        return st.navigation(
            [
                _page("app_pages/login.py", title="Log in", icon=":material/login:", default=True),
                _page(
                    "app_pages/verify.py",
                    title="Verify a certificate",
                    icon=":material/verified_user:",
                ),
                *deep_links,
            ]
        )
    if actor.must_change_password:
        # A one-time password from an admin: only the form to set a new one (every page
        # and service refuses this actor anyway; see app/ui/session.py).
        return st.navigation(
            [_page("app_pages/account.py", title="Set a new password", icon=":material/key:")]
        )
    sections: dict[str, list] = {}
    home = home_page(actor.role)
    for spec in pages_for(actor.role):
        page = _page(
            f"app_pages/{spec.file}", title=spec.title, icon=spec.icon, default=spec == home
        )
        sections.setdefault(spec.section, []).append(page)
    sections.setdefault("Account", []).append(
        _page("app_pages/verify.py", title="Verify a certificate", icon=":material/verified_user:")
    )
    # Another role's page opened by its address runs and refuses with a plain message
    # (every page checks access on the server) instead of "page not found".
    others = [
        _page(f"app_pages/{spec.file}", title=spec.title, visibility="hidden")
        for spec in PAGES
        if actor.role not in spec.roles
    ]
    sections.setdefault("Account", []).extend(others)
    return st.navigation(sections)
