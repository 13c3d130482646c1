"""What the accessibility browser tests check on every page: axe-core against the WCAG 2.2
AA rules, requests that leave the machine, and errors in the browser console.

axe-core itself ships inside the ``axe-playwright-python`` wheel (no download at test
time). Only *serious* and *critical* findings count; each one is a (rule, element) pair.
A pair in :data:`PINNED` is a known exception in Streamlit's own markup that the app
cannot change; anything else fails the test, so a new violation is never hidden by an old
one. The same list is described in README.md ("Accessibility").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.conftest import require_or_skip

# WCAG 2.0, 2.1 and 2.2, levels A and AA: the rule sets axe-core tags them with.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
COUNTED = ("serious", "critical")

# Known exceptions: (axe rule id, CSS selector axe reports for the element) -> why it is
# Streamlit's and cannot be fixed from the app. Keep this list short and exact.
PINNED: dict[tuple[str, str], str] = {}

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # pragma: no cover - the test extra installs it
        require_or_skip(False, "axe-playwright-python is not installed (pip install -e '.[test]')")
        raise
    return Axe()


@dataclass(frozen=True)
class Finding:
    rule: str
    impact: str
    target: str
    html: str
    help: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}) at {self.target}: {self.help}\n    {self.html[:160]}"


def audit(page, *, pinned: dict[tuple[str, str], str] | None = None) -> list[Finding]:
    """Serious and critical WCAG 2.2 AA findings on the page, less the pinned ones."""
    pinned = PINNED if pinned is None else pinned
    results = _axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in COUNTED:
            continue
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            if (violation["id"], target) in pinned:
                continue
            found.append(
                Finding(
                    rule=violation["id"],
                    impact=node.get("impact") or violation["impact"],
                    target=target,
                    html=node.get("html", ""),
                    help=violation["help"],
                )
            )
    return found


@dataclass
class Guard:
    """Every request to another host and every console error, from the moment it is
    attached to a page."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page) -> Guard:
        page.on("request", self._request)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        return self

    def _request(self, request) -> None:
        url = request.url
        if url.startswith(("data:", "blob:", "about:")):
            return
        if urlsplit(url).hostname not in LOCAL_HOSTS:
            self.outside.append(url)

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def problems(self) -> list[str]:
        return [f"request to another host: {u}" for u in self.outside] + [
            f"console error: {e}" for e in self.errors
        ]
