"""Reading a track file: every problem reported as ``FILE:LINE: message``.

The file is read through :func:`app.core.yaml_safe.load_yaml`, which keeps the line of
every key, so a problem names the line it is on (as :mod:`app.core.scenario` does).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from app.core.certification.track import (
    DEFAULT_ROOT,
    FORMAT,
    MODEL_ROUTES,
    PARTS,
    ExamRules,
    PracticeRule,
    RenewalRule,
    Stratify,
    Track,
    TrackError,
    _with_model,
)
from app.core.protocol import CALL_TYPE_GROUPS, CHANNELS, DISPATCH_MODELS, DISPOSITIONS
from app.core.yaml_safe import YamlError, load_yaml

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# ----------------------------------------------------------------------------- validation


class _Checker:
    """Collects problems as ``FILE:LINE: message``; lines come from the YAML document."""

    def __init__(self, filename: str, doc, line_prefixes: Sequence[tuple] = ((),)):
        self.filename = filename
        self.doc = doc
        self.prefixes = line_prefixes
        self.problems: list[str] = []

    def line(self, path: tuple) -> int:
        if self.doc is None:
            return 0
        for prefix in self.prefixes:
            full = tuple(prefix) + tuple(path)
            probe = full
            while len(probe) > len(prefix):
                if probe in self.doc.key_lines:
                    return self.doc.key_lines[probe]
                probe = probe[:-1]
        return self.doc.line(tuple(path))

    def add(self, path: tuple, message: str) -> None:
        where = ".".join(str(p) for p in path)
        text = f"{where}: {message}" if where else message
        self.problems.append(f"{self.filename}:{self.line(path)}: {text}")

    def keys(
        self, value: Any, path: tuple, allowed: Iterable[str], required: Iterable[str]
    ) -> dict:
        if not isinstance(value, Mapping):
            self.add(path, "must be a mapping of keys")
            return {}
        for key in value:
            if key not in allowed:
                self.add(path + (key,), f"unknown key (allowed: {', '.join(allowed)})")
        for key in required:
            if key not in value:
                self.add(path, f"missing key '{key}'")
        return dict(value)

    def integer(self, value: Any, path: tuple, low: int, high: int, default: int | None = None):
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(path, f"must be a whole number from {low} to {high}")
            return default if default is not None else low
        return value

    def number(self, value: Any, path: tuple, low: float, high: float) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            self.add(path, f"must be a number from {low:g} to {high:g}")
            return low
        return float(value)

    def text(self, value: Any, path: tuple) -> str:
        if not isinstance(value, str) or not value.strip():
            self.add(path, "must be non-empty text")
            return ""
        return " ".join(value.split())

    def counts(self, value: Any, path: tuple, allowed: Sequence[str], high: int) -> dict[str, int]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.add(path, "must map names to whole numbers")
            return {}
        out = {}
        for name, count in value.items():
            name = str(name)
            if name not in allowed:
                self.add(path + (name,), f"unknown name '{name}' (one of: {', '.join(allowed)})")
                continue
            if count is None:
                continue
            out[name] = self.integer(count, path + (name,), 0, high)
        return out


_TOP = (
    "format",
    "id",
    "title",
    "summary",
    "validity_months",
    "requirements",
    "exam",
    "renewal",
    "models",
)
_OVERRIDABLE = ("summary", "validity_months", "requirements", "exam", "renewal")
_REQ = ("modules", "knowledge_checks", "practice")
_PRACTICE = ("min_calls", "min_average", "average_of_last")
_EXAM = (
    "calls",
    "pass_mark",
    "max_critical",
    "min_passed_calls",
    "part_minimums",
    "retake_wait_hours",
    "stratify",
)
_STRATIFY = ("each_disqualifier", "no_disqualifier", "groups", "channels", "dispositions")
_RENEWAL = (
    "window_days",
    "grace_days",
    "lookback_months",
    "min_calls",
    "min_average",
    "max_critical",
)


def _build(raw: Mapping, check: _Checker, *, model: str | None) -> Track:
    """Validate the merged rules for one model; problems go to ``check``."""
    top = check.keys(
        raw,
        (),
        _TOP,
        ("format", "id", "title", "summary", "validity_months", "requirements", "exam"),
    )
    if top.get("format", FORMAT) != FORMAT:
        check.add(("format",), f"must be {FORMAT}")
    ident = top.get("id")
    if not isinstance(ident, str) or not _SLUG.match(ident):
        check.add(("id",), "must be a slug: lower-case letters, digits and dashes")
        ident = str(ident or "")
    title = check.text(top.get("title"), ("title",))
    summary = check.text(top.get("summary"), ("summary",))
    validity = check.integer(top.get("validity_months"), ("validity_months",), 1, 120, None)

    req = check.keys(top.get("requirements", {}), ("requirements",), _REQ, ("modules", "practice"))
    modules: tuple[str, ...] | str = "all"
    raw_modules = req.get("modules", "all")
    if raw_modules == "all":
        modules = "all"
    elif isinstance(raw_modules, list) and raw_modules:
        slugs = []
        for index, slug in enumerate(raw_modules):
            if not isinstance(slug, str) or not _SLUG.match(slug):
                check.add(("requirements", "modules", index), "must be a module slug")
            else:
                slugs.append(slug)
        modules = tuple(slugs)
    else:
        check.add(("requirements", "modules"), "must be 'all' or a non-empty list of module slugs")
    knowledge_checks = req.get("knowledge_checks", True)
    if not isinstance(knowledge_checks, bool):
        check.add(("requirements", "knowledge_checks"), "must be true or false")
        knowledge_checks = True
    prac = check.keys(
        req.get("practice", {}),
        ("requirements", "practice"),
        _PRACTICE,
        ("min_calls", "min_average"),
    )
    p_path = ("requirements", "practice")
    practice = PracticeRule(
        min_calls=check.integer(prac.get("min_calls"), p_path + ("min_calls",), 0, 1000, None),
        min_average=check.number(prac.get("min_average", 0), p_path + ("min_average",), 0, 100),
        average_of_last=None
        if prac.get("average_of_last") is None
        else check.integer(prac["average_of_last"], p_path + ("average_of_last",), 1, 1000),
    )

    ex = check.keys(top.get("exam", {}), ("exam",), _EXAM, ("calls", "pass_mark"))
    calls = check.integer(ex.get("calls"), ("exam", "calls"), 1, 50, None) or 1
    parts = {}
    raw_parts = ex.get("part_minimums") or {}
    if not isinstance(raw_parts, Mapping):
        check.add(("exam", "part_minimums"), "must map grading parts to numbers 0..1")
        raw_parts = {}
    for name, value in raw_parts.items():
        if name not in PARTS:
            check.add(("exam", "part_minimums", name), f"unknown part (one of: {', '.join(PARTS)})")
        elif value is not None:
            parts[name] = check.number(value, ("exam", "part_minimums", name), 0, 1)
    st = check.keys(ex.get("stratify") or {}, ("exam", "stratify"), _STRATIFY, ())
    s_path = ("exam", "stratify")
    dispositions = check.counts(
        st.get("dispositions"), s_path + ("dispositions",), DISPOSITIONS, calls
    )
    for code in dispositions:
        owner = MODEL_ROUTES.get(code)
        if owner is not None and owner != model:
            where = f"under {model}" if model else "in the base rules (call_center_led)"
            check.add(
                s_path + ("dispositions", code),
                f"route '{code}' does not exist {where}; set it in models.{owner}",
            )
    stratify = Stratify(
        each_disqualifier=check.integer(
            st.get("each_disqualifier", 0), s_path + ("each_disqualifier",), 0, calls
        ),
        no_disqualifier=check.integer(
            st.get("no_disqualifier", 0), s_path + ("no_disqualifier",), 0, calls
        ),
        groups=check.counts(st.get("groups"), s_path + ("groups",), CALL_TYPE_GROUPS, calls),
        channels=check.counts(st.get("channels"), s_path + ("channels",), CHANNELS, calls),
        dispositions=dispositions,
    )
    where = f" (under {model})" if model else ""
    if stratify.no_disqualifier + stratify.each_disqualifier > calls:
        check.add(
            s_path, f"each_disqualifier + no_disqualifier exceed the {calls} exam calls{where}"
        )
    for name in ("groups", "channels", "dispositions"):
        total = sum(getattr(stratify, name).values())
        if total > calls:
            check.add(s_path + (name,), f"ask for {total} calls but the exam has {calls}{where}")
    exam = ExamRules(
        calls=calls,
        pass_mark=check.integer(ex.get("pass_mark"), ("exam", "pass_mark"), 0, 100, None),
        max_critical=check.integer(ex.get("max_critical", 0), ("exam", "max_critical"), 0, calls),
        min_passed_calls=check.integer(
            ex.get("min_passed_calls", 0), ("exam", "min_passed_calls"), 0, calls
        ),
        part_minimums=parts,
        retake_wait_hours=check.integer(
            ex.get("retake_wait_hours", 0), ("exam", "retake_wait_hours"), 0, 8760
        ),
        stratify=stratify,
    )

    renewal = None
    if top.get("renewal") is not None:
        rn = check.keys(
            top["renewal"],
            ("renewal",),
            _RENEWAL,
            ("window_days", "lookback_months", "min_calls", "min_average"),
        )
        r = ("renewal",)
        renewal = RenewalRule(
            window_days=check.integer(rn.get("window_days"), r + ("window_days",), 0, 3650, None),
            grace_days=check.integer(rn.get("grace_days", 0), r + ("grace_days",), 0, 3650),
            lookback_months=check.integer(
                rn.get("lookback_months"), r + ("lookback_months",), 1, 60, None
            ),
            min_calls=check.integer(rn.get("min_calls"), r + ("min_calls",), 1, 1000, None),
            min_average=check.number(rn.get("min_average", 0), r + ("min_average",), 0, 100),
            max_critical=check.integer(rn.get("max_critical", 0), r + ("max_critical",), 0, 1000),
        )
    rules = {k: v for k, v in raw.items() if k != "models"}
    return Track(
        id=ident,
        title=title,
        summary=summary,
        validity_months=validity or 1,
        modules=modules,
        knowledge_checks=knowledge_checks,
        practice=practice,
        exam=exam,
        renewal=renewal,
        model=model,
        raw=rules,
    )


def merge(base: Mapping, override: Mapping) -> dict:
    """``base`` with ``override`` merged in: mappings key by key, ``None`` removes a key."""
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_track(
    text: str | bytes, filename: str = "<text>", known_modules: Iterable[str] | None = None
) -> Track:
    """Validate a track file; raises :class:`TrackError` listing every problem."""
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        raise TrackError([f"{filename}:{exc.line}: {exc.message}"]) from None
    problems = [f"{filename}:{i.line}: {i.message}" for i in doc.issues]
    if problems and any(i.fatal for i in doc.issues):
        raise TrackError(problems)
    raw = doc.value
    check = _Checker(filename, doc)
    if not isinstance(raw, Mapping):
        raise TrackError([f"{filename}:1: a track must be a mapping of keys"])
    base = _build(raw, check, model=None)
    stem = Path(filename).stem
    if filename != "<text>" and base.id and base.id != stem:
        check.add(("id",), f"'{base.id}' must match the file name '{stem}'")
    if known_modules is not None and isinstance(base.modules, tuple):
        known = set(known_modules)
        for index, slug in enumerate(base.modules):
            if slug not in known:
                check.add(("requirements", "modules", index), f"unknown module '{slug}'")
    variants: dict[str, Track] = {}
    models = raw.get("models") or {}
    if not isinstance(models, Mapping):
        check.add(("models",), "must map dispatch models to changes")
        models = {}
    base_rules = {k: v for k, v in raw.items() if k != "models"}
    for model, override in models.items():
        if model not in DISPATCH_MODELS:
            check.add(
                ("models", model), f"unknown dispatch model (one of: {', '.join(DISPATCH_MODELS)})"
            )
            continue
        if not isinstance(override, Mapping):
            check.add(("models", model), "must be a mapping of changes")
            continue
        for key in override:
            if key not in _OVERRIDABLE:
                check.add(
                    ("models", model, key),
                    f"cannot be changed per model (allowed: {', '.join(_OVERRIDABLE)})",
                )
        allowed = {k: v for k, v in override.items() if k in _OVERRIDABLE}
        sub = _Checker(filename, doc, line_prefixes=(("models", model), ()))
        variants[model] = _build(merge(base_rules, allowed), sub, model=model)
        check.problems += sub.problems
    problems += check.problems
    if problems:
        raise TrackError(list(dict.fromkeys(problems)))
    for model in DISPATCH_MODELS:
        if model not in variants:
            variants[model] = _with_model(base, model)
    return Track(**{**base.__dict__, "variants": variants})


def load_track(path: str | Path, known_modules: Iterable[str] | None = None) -> Track:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrackError([f"{path}:0: cannot read: {exc.strerror}"]) from None
    return parse_track(data, str(path), known_modules)


def load_tracks(
    root: str | Path = DEFAULT_ROOT, known_modules: Iterable[str] | None = None
) -> list[Track]:
    """Every track under ``root`` (``*.yaml``), sorted by id; all problems at once."""
    root = Path(root)
    tracks, problems = [], []
    known = None if known_modules is None else list(known_modules)
    for path in sorted(root.glob("*.yaml")):
        try:
            tracks.append(load_track(path, known))
        except TrackError as exc:
            problems += exc.problems
    if problems:
        raise TrackError(problems)
    return sorted(tracks, key=lambda t: t.id)


def track_from_snapshot(snapshot: Mapping) -> Track:
    """Rebuild the exact rules an exam was started under."""
    rules = dict(snapshot.get("rules") or {})
    check = _Checker("exam snapshot", None)
    track = _build(rules, check, model=snapshot.get("model"))
    if check.problems:
        raise TrackError(check.problems)
    return track
