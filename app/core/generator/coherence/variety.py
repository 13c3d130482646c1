"""The ``variety`` rule over a whole batch: no description (clothing) or opening in more
calls than chance allows."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence

from app.core.bank_lint import Finding, LintItem
from app.core.generator.coherence.call import _line_no, caller_lines

_WEARING = re.compile(
    r"\b(?:wearing|has|had|in) ((?:an? |some |a pair of )?[a-z' -]+?)(?: on)?(?:[.,;]|$)", re.I
)
_GARMENT = re.compile(
    r"\b(?:hoodie|jacket|coat|shirt|t-shirt|shorts|jeans|pants|sweatpants|windbreaker|cap|hat"
    r"|dress|sweater|vest|uniform|scrubs|parka|fleece|overalls|tracksuit|skirt|boots|beanie"
    r"|cardigan|blazer|poncho|sweatshirt)\b",
    re.I,
)


def clothing_of(description: str) -> str | None:
    """The clothing named in a description answer ("a gray hoodie and jeans"), or None."""
    for match in _WEARING.finditer(description):
        phrase = match.group(1).strip().lower()
        if _GARMENT.search(phrase):
            return phrase
    return None


def variety_cap(count: int) -> int:
    """How many calls of a batch of ``count`` may share one description or opening."""
    return max(3, math.ceil(0.06 * count))


def rule_variety(items: Sequence[LintItem]) -> list[Finding]:
    """Descriptions and openings repeated in more calls of a batch than chance allows."""
    cap = variety_cap(len(items))
    found: list[Finding] = []
    for what, pick in (
        ("description", lambda data: _clothing(data)),
        ("opening", lambda data: caller_lines(data)[0].text or None),
    ):
        seen: dict[str, list[LintItem]] = defaultdict(list)
        for item in items:
            value = pick(item.data)
            if value:
                seen[value].append(item)
        for value, holders in seen.items():
            if len(holders) > cap:
                item = holders[cap]
                where = "description" if what == "description" else "opening"
                shown = value if len(value) <= 60 else value[:57] + "..."
                found.append(
                    Finding(
                        item.file,
                        _line_no(item.text, where),
                        f"variety: {what} '{shown}' in {len(holders)} of {len(items)} calls "
                        f"(at most {cap} in a batch this size)",
                    )
                )
    return found


def _clothing(data: Mapping) -> str | None:
    for line in caller_lines(data):
        if line.ask == "description":
            return clothing_of(line.text)
    return None
