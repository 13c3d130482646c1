"""What changed between two versions of a scenario: a unified diff of the YAML text.

The diff is plain text (``difflib.unified_diff``), shown on the page as code, never as
HTML. Lines are compared as written, so a change of wording, of the key or of a comment
all show up; line endings are normalised first so a file saved on Windows does not
look different on every line.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT_LINES = 3


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").splitlines()


@dataclass(frozen=True)
class ScenarioDiff:
    """A unified diff and how many lines it adds and removes."""

    text: str
    added: int
    removed: int

    @property
    def unchanged(self) -> bool:
        return not self.added and not self.removed


def diff_texts(
    old: str,
    new: str,
    old_label: str = "before",
    new_label: str = "after",
    context: int = CONTEXT_LINES,
) -> ScenarioDiff:
    """The unified diff from ``old`` to ``new`` (empty text when they are the same)."""
    lines = list(
        difflib.unified_diff(
            _lines(old), _lines(new), fromfile=old_label, tofile=new_label, n=context, lineterm=""
        )
    )
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return ScenarioDiff("\n".join(lines), added, removed)
