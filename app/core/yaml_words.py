"""YAML syntax errors in plain words for trainers.

The YAML reader reports what its parser saw ("mapping values are not allowed in this
context", "while scanning a simple key, could not find expected ':'"). A trainer needs
to know what to change on the line. :func:`plain_problem` turns a reader message into
that; any other message (about the scenario itself) is returned unchanged.
"""

from __future__ import annotations

import re

PREFIX = "invalid YAML: "

# (what the reader says, in lower case) -> what to do, first match wins.
_RULES: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed",
        "a colon followed by a space is not allowed here. If the text itself has a colon, "
        'put the whole text in double quotes ("..."); otherwise check that this line is '
        "indented like the lines around it",
    ),
    (
        "could not find expected ':'",
        "this line needs a colon and a space after the field name (name: value), or it "
        "is the continuation of the line above and needs more indentation",
    ),
    (
        "found character '\\t'",
        "this line has a tab character: indent with spaces only",
    ),
    (
        "cannot start any token",
        "this line starts a value with a character that is not allowed there (a tab, or "
        "@ or ` at the start of a text): indent with spaces, and put such a text in "
        'double quotes ("...")',
    ),
    (
        "found undefined alias",
        'a text starting with * must be put in double quotes ("*...")',
    ),
    (
        "while scanning a quoted scalar",
        "a quotation mark is opened here and never closed: add the closing quote",
    ),
    (
        "did not find expected ',' or ']'",
        "a list in [square brackets] is not finished: separate the items with commas and "
        "close it with ]",
    ),
    (
        "did not find expected ',' or '}'",
        "a group in {curly brackets} is not finished: separate the items with commas and "
        "close it with }",
    ),
    (
        "while parsing a flow",
        "a list in [brackets] or a group in {braces} is not finished: an item is missing "
        "after a comma, or the closing bracket is missing",
    ),
    (
        "did not find expected key",
        "this line is not indented like the lines above it: line it up with the other "
        "fields at the same level (use spaces, two per level)",
    ),
    (
        "expected <block end>",
        "this line is not indented like the lines above it: line it up with the other "
        "fields at the same level (use spaces, two per level)",
    ),
    (
        "did not find expected '-' indicator",
        "this list item is not lined up with the items above it: start each item with a "
        "dash at the same indentation",
    ),
    (
        "expected a comment or a line break",
        "something follows a finished value on this line: put the whole text in double "
        'quotes ("..."), or move the rest to its own line',
    ),
    (
        "found unexpected end of stream",
        "the file ends in the middle of a value: a quote or a bracket is not closed",
    ),
    (
        "found unknown escape character",
        "a backslash inside double quotes starts a special character: write \\\\ for a "
        "backslash, or use single quotes",
    ),
    (
        "is not allowed",
        "this line has a character that is not allowed in a scenario file; delete it",
    ),
)

_RAW = re.compile(r"^invalid YAML:?\s*", re.IGNORECASE)


def plain_problem(message: str) -> str:
    """A reader message in plain words; any other message unchanged."""
    if not _RAW.match(message):
        return message
    raw = _RAW.sub("", message).lower()
    for said, meaning in _RULES:
        if said in raw:
            return f"The file cannot be read here: {meaning}."
    return (
        "The file cannot be read here: check this line's indentation (spaces, lined up "
        "with the lines above), its colon after the field name, and its quotes and brackets."
    )


def problem_line(text: str, line: int, message: str) -> int:
    """The line a trainer should look at for a reader message.

    For a missing colon the reader points at the line *after* the one without it (it
    only notices there); this steps back to the nearest line above that has text and no
    colon. Any other message keeps its line.
    """
    if not _RAW.match(message) or "could not find expected ':'" not in message:
        return line
    lines = text.splitlines()
    for number in range(min(line, len(lines)), 0, -1):
        here = lines[number - 1].strip()
        if here and not here.startswith("#") and ":" not in here:
            return number
        if here and number < line:
            break
    return line
