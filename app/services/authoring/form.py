"""The editor's form: the fields a trainer may fill in without writing YAML."""

from __future__ import annotations

import difflib
import io
from collections.abc import Mapping
from typing import Any, TypedDict

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import ScalarString

from app.core.yaml_safe import YamlError, load_yaml
from app.core.yaml_words import plain_problem, problem_line
from app.errors import UserError

# ------------------------------------------------------------------ the editor's form

FORM_FIELDS = (
    "title",
    "module",
    "difficulty",
    "initial_call_type",
    "opening",
    "disqualifiers",
    "call_type",
    "priority",
    "disposition",
    "acceptable",
    "unsafe",
    "required_questions",
    "rationale",
)


def _raw_mapping(text: str) -> dict:
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        line = problem_line(text, exc.line, exc.message)
        raise UserError(f"Line {line}: {plain_problem(exc.message)}") from None
    if doc.issues or not isinstance(doc.value, dict):
        raise UserError("Fix the YAML first: the form needs a readable scenario.")
    return doc.value


class FormValues(TypedDict):
    """The form's fields as read from the text; "" or [] where the text has none."""

    title: str
    module: str
    difficulty: int | None  # None: missing or not a whole number
    initial_call_type: str
    opening: str  # spacing evened out
    disqualifiers: list[str]
    call_type: str
    priority: int | None  # None: missing or not a whole number
    disposition: str
    acceptable: list[str]
    unsafe: list[str]
    required_questions: list[str]
    rationale: str  # spacing evened out
    exchange_ids: list[str]  # the call's exchanges, for the required questions (not written)


def form_values(text: str) -> FormValues:
    """The form's fields read from a YAML text (raises UserError when unreadable)."""
    raw = _raw_mapping(text)

    def section(value: Any) -> dict:
        return value if isinstance(value, dict) else {}

    def listed(value: Any) -> list[str]:
        return [str(v) for v in value] if isinstance(value, list) else []

    call, expert = section(raw.get("call")), section(raw.get("expert"))
    exchanges = call.get("exchanges")
    exchanges = exchanges if isinstance(exchanges, list) else []
    return FormValues(
        title=str(raw.get("title") or ""),
        module=str(raw.get("module") or ""),
        difficulty=raw.get("difficulty") if isinstance(raw.get("difficulty"), int) else None,
        initial_call_type=str(call.get("initial_call_type") or ""),
        opening=" ".join(str(call.get("opening") or "").split()),
        disqualifiers=listed(expert.get("disqualifiers")),
        call_type=str(expert.get("call_type") or ""),
        priority=expert.get("priority") if isinstance(expert.get("priority"), int) else None,
        disposition=str(expert.get("disposition") or ""),
        acceptable=listed(expert.get("acceptable")),
        unsafe=listed(expert.get("unsafe")),
        required_questions=listed(expert.get("required_questions")),
        rationale=" ".join(str(expert.get("rationale") or "").split()),
        exchange_ids=[
            str(e.get("ask") or e.get("id"))
            for e in exchanges
            if isinstance(e, dict) and (e.get("ask") or e.get("id"))
        ],
    )


def apply_form(text: str, values: Mapping) -> str:
    """The YAML text with the form's fields applied, and nothing else changed.

    Only a field whose value differs from the text is written; every other line stays
    exactly as the trainer wrote it, comments, quoting and layout included (ruamel.yaml
    round trip, see :func:`_splice`), so a title edit changes the title's line alone.
    A changed text keeps its quoting or block style. Empty optional fields (priority,
    also acceptable, unsafe, difficulty) are taken out.
    """
    raw = _raw_mapping(text)  # the safe loader first: readable, no aliases or tags
    if not isinstance(raw.get("call", {}), dict) or not isinstance(raw.get("expert", {}), dict):
        raise UserError("Fix the YAML first: call and expert must be mappings.")
    yaml, doc = _round_trip(text)
    call = doc.get("call")
    if call is None:
        call = doc["call"] = CommentedMap()
    expert = doc.get("expert")
    if expert is None:
        expert = doc["expert"] = CommentedMap()
    places = [(doc, name) for name in ("title", "module", "difficulty")]
    places += [(call, name) for name in ("initial_call_type", "opening")]
    places += [
        (expert, name)
        for name in (
            "disqualifiers",
            "call_type",
            "priority",
            "disposition",
            "acceptable",
            "unsafe",
            "required_questions",
            "rationale",
        )
    ]
    changed = False
    for section, name in places:
        if name in values:
            changed |= _set(section, name, values[name], optional=name in _OPTIONAL)
    if not changed:
        return text
    return _splice(yaml, doc, text)


_OPTIONAL = frozenset({"difficulty", "priority", "acceptable", "unsafe"})
_WORDS = frozenset({"opening", "rationale"})  # compared with their spacing evened out


def _round_trip(text: str) -> tuple[YAML, Any]:
    """A ruamel.yaml round-trip loader set to the text's own indentation, and the document."""
    best: tuple[float, YAML, Any] | None = None
    lines = text.splitlines(keepends=True)
    for mapping, sequence, offset in ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (2, 2, 2)):
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096  # never fold a long line the trainer kept on one line
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        try:
            doc = yaml.load(text)
        except YAMLError as exc:
            raise UserError(f"Fix the YAML first: {exc.__class__.__name__}.") from None
        written = _dump(yaml, doc)
        if written == text:
            return yaml, doc
        score = difflib.SequenceMatcher(
            None, written.splitlines(keepends=True), lines, autojunk=False
        ).ratio()
        if best is None or score > best[0]:
            best = (score, yaml, doc)
    assert best is not None
    return best[1], best[2]


def _dump(yaml: YAML, doc: Any) -> str:
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _same(name: str, old: Any, new: Any) -> bool:
    if name in _WORDS:
        return " ".join(str(old or "").split()) == " ".join(str(new or "").split())
    if isinstance(old, list) or isinstance(new, list):
        return [str(v) for v in old or []] == [str(v) for v in new or []]
    return old == new


def _set(section: Any, name: str, value: Any, *, optional: bool) -> bool:
    """Write one field into the round-trip document; True when it changed."""
    old = section.get(name)
    if name in section and _same(name, old, value):
        return False  # e.g. ``acceptable: []`` left empty stays as written
    if optional and value in (None, "", []):
        if name in section:
            del section[name]
            return True
        return False
    if isinstance(value, list | tuple):
        if isinstance(old, CommentedSeq):
            flow = old.fa.flow_style() or not old  # ``[]`` stays a flow list
            old.clear()  # keeps the list's comments
            old.extend(str(v) for v in value)
            if flow:
                old.fa.set_flow_style()
        else:
            section[name] = CommentedSeq(str(v) for v in value)
        return True
    if isinstance(value, str) and isinstance(old, ScalarString):
        if str(old).endswith("\n") and not value.endswith("\n"):
            value += "\n"  # a block keeps its final line break (no "-" added)
        value = type(old)(value)  # the same quoting or block style as before
    section[name] = value
    return True


def _splice(yaml: YAML, doc: Any, text: str) -> str:
    """The edited document as text, changing only the lines that differ.

    When ruamel.yaml writes the untouched document back exactly (the usual case), its
    output is the answer. Otherwise the lines that changed between the untouched and the
    edited dump are put into the trainer's own text where they line up with it; if they
    do not line up, the edited dump is returned as it is.
    """
    edited = _dump(yaml, doc)
    baseline_yaml, baseline_doc = _round_trip(text)
    baseline = _dump(baseline_yaml, baseline_doc)
    if baseline == text:
        return edited
    original = text.splitlines(keepends=True)
    before = baseline.splitlines(keepends=True)
    after = edited.splitlines(keepends=True)
    # baseline line -> original line: the same line, or one ruamel.yaml writes a little
    # differently (a comment's spacing) in a stretch of as many lines.
    same: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, before, original, autojunk=False
    ).get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                same[i1 + k] = j1 + k
    out = list(original)
    shift = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, before, after, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:  # an insertion after baseline line i1 - 1
            anchor = same.get(i1 - 1) if i1 > 0 else -1
            if anchor is None:
                return edited
            start = end = anchor + 1
        else:
            if any(i not in same for i in range(i1, i2)):
                return edited
            start, end = same[i1], same[i2 - 1] + 1
            if end - start != i2 - i1:
                return edited
        out[start + shift : end + shift] = after[j1:j2]
        shift += (j2 - j1) - (end - start)
    return "".join(out)
