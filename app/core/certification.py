"""Certification rules: tracks, eligibility, stratified exam plans, results and renewal.

Pure: no streamlit, no database. A *track* is one YAML file in ``content/certifications``
(see the README there); :func:`parse_track` validates it and reports every problem as
``FILE:LINE: message``. The service layer (``app.services.certification``) feeds these
functions plain facts read from the database.

- :func:`eligibility` — what a trainee still lacks before the exam.
- :func:`plan_exam` — a stratified list of calls the trainee has never seen.
- :func:`exam_result` — pass or fail, with the reasons, from the graded exam calls.
- :func:`renewal_check` — whether continuing practice renews a certificate.
- :func:`new_code` / :func:`normalize_code` — verification codes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from app.core.protocol import (
    CALL_TYPE_GROUPS,
    CHANNELS,
    DISPATCH_MODELS,
    DISPOSITIONS,
    DISQUALIFIERS,
)
from app.core.yaml_safe import YamlError, load_yaml
from app.errors import UserError

FORMAT = 1
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "content" / "certifications"
PARTS = ("questions", "disqualifiers", "call_type", "disposition", "time")
# Routes that exist only under one dispatch model.
MODEL_ROUTES = {
    "embedded_professional": "embedded_professional",
    "external_hotline": "external_hotline",
}
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L or U: read aloud safely
CODE_LENGTH = 12
CODE_GROUP = 4
PLAN_NODE_BUDGET = 200_000

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class TrackError(UserError):
    """A track file does not follow the format; ``problems`` holds every FILE:LINE line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


class ExamPlanShort(UserError):
    """The unseen calls cannot make up the exam. ``needs`` maps a requirement to how many
    more calls with it are missing (``"calls"`` for calls of any kind)."""

    def __init__(self, shortfalls: list[str], needs: dict[str, int]):
        self.shortfalls = shortfalls
        self.needs = needs
        super().__init__(
            "not enough unseen calls for the exam: " + "; ".join(shortfalls)
            if shortfalls
            else "not enough unseen calls for the exam"
        )


# ----------------------------------------------------------------------------- the track


@dataclass(frozen=True)
class PracticeRule:
    min_calls: int
    min_average: float
    average_of_last: int | None  # None: every practice call


@dataclass(frozen=True)
class Stratify:
    each_disqualifier: int = 0
    no_disqualifier: int = 0
    groups: Mapping[str, int] = field(default_factory=dict)
    channels: Mapping[str, int] = field(default_factory=dict)
    dispositions: Mapping[str, int] = field(default_factory=dict)

    def requirements(self) -> dict[str, int]:
        """Feature name -> minimum number of exam calls with it (zeros left out)."""
        need: dict[str, int] = {}
        if self.each_disqualifier:
            for code in DISQUALIFIERS:
                need[f"disqualifier:{code}"] = self.each_disqualifier
        if self.no_disqualifier:
            need["no_disqualifier"] = self.no_disqualifier
        for prefix, mapping in (
            ("group", self.groups),
            ("channel", self.channels),
            ("disposition", self.dispositions),
        ):
            for name, count in mapping.items():
                if count:
                    need[f"{prefix}:{name}"] = count
        return need


@dataclass(frozen=True)
class ExamRules:
    calls: int
    pass_mark: int
    max_critical: int
    min_passed_calls: int
    part_minimums: Mapping[str, float]
    retake_wait_hours: int
    stratify: Stratify


@dataclass(frozen=True)
class RenewalRule:
    window_days: int
    grace_days: int
    lookback_months: int
    min_calls: int
    min_average: float
    max_critical: int


@dataclass(frozen=True)
class Track:
    """One certification track, resolved for one dispatch model (``model``; None = base)."""

    id: str
    title: str
    summary: str
    validity_months: int
    modules: tuple[str, ...] | str  # "all" or module slugs
    knowledge_checks: bool
    practice: PracticeRule
    exam: ExamRules
    renewal: RenewalRule | None
    model: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    variants: Mapping[str, Track] = field(default_factory=dict, compare=False, repr=False)

    def for_model(self, model: str) -> Track:
        """The track as it applies under ``model`` (the model's section merged in)."""
        if model in self.variants:
            return self.variants[model]
        if self.model is None and model in DISPATCH_MODELS:
            return _with_model(self, model)
        return self

    def snapshot(self) -> dict:
        """The resolved rules as plain data (stored with an exam; see :func:`track_from_snapshot`)."""
        return {"model": self.model, "rules": _plain(self.raw)}


def _with_model(track: Track, model: str) -> Track:
    return Track(**{**track.__dict__, "model": model, "variants": {}})


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def track_from_snapshot(snapshot: Mapping) -> Track:
    """Rebuild the exact rules an exam was started under."""
    rules = dict(snapshot.get("rules") or {})
    check = _Checker("exam snapshot", None)
    track = _build(rules, check, model=snapshot.get("model"))
    if check.problems:
        raise TrackError(check.problems)
    return track


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


# ----------------------------------------------------------------------------- eligibility


@dataclass(frozen=True)
class ProgressFacts:
    """What the service knows about a trainee, as plain values."""

    all_modules: tuple[str, ...]
    modules_read: frozenset[str] = frozenset()
    checks_passed: frozenset[str] = frozenset()
    practice_scores: tuple[int, ...] = ()  # submitted practice calls, newest first
    exam_in_progress: bool = False
    awaiting_sign_off: bool = False
    valid_certificate_until: dt.datetime | None = None
    last_failed_exam_at: dt.datetime | None = None
    now: dt.datetime | None = None


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    missing: tuple[str, ...]  # what the trainee still has to do, in plain words
    blocked: tuple[str, ...]  # why an exam cannot start now although the work is done
    modules_missing: tuple[str, ...]
    checks_missing: tuple[str, ...]
    practice_calls: int
    practice_needed: int
    practice_average: float | None
    average_needed: float
    progress: float  # 0..1


def required_modules(track: Track, all_modules: Sequence[str]) -> tuple[str, ...]:
    return tuple(all_modules) if track.modules == "all" else tuple(track.modules)


def practice_average(scores: Sequence[int], last: int | None) -> float | None:
    counted = list(scores[:last] if last else scores)
    return round(sum(counted) / len(counted), 1) if counted else None


def eligibility(track: Track, facts: ProgressFacts) -> Eligibility:
    """What is missing before this trainee may start the exam of ``track``."""
    modules = required_modules(track, facts.all_modules)
    unread = tuple(
        m for m in modules if m not in facts.modules_read and m not in facts.checks_passed
    )
    unchecked = (
        tuple(m for m in modules if m not in facts.checks_passed) if track.knowledge_checks else ()
    )
    rule = track.practice
    calls = len(facts.practice_scores)
    average = practice_average(facts.practice_scores, rule.average_of_last)
    missing: list[str] = []
    if unread:
        missing.append(f"Read {len(unread)} more lesson{'s' if len(unread) != 1 else ''}.")
    if unchecked:
        missing.append(
            f"Pass {len(unchecked)} more knowledge check{'s' if len(unchecked) != 1 else ''}."
        )
    if calls < rule.min_calls:
        left = rule.min_calls - calls
        missing.append(f"Submit {left} more practice call{'s' if left != 1 else ''}.")
    if rule.min_average and (average is None or average < rule.min_average):
        over = f"your last {rule.average_of_last}" if rule.average_of_last else "your"
        shown = "none yet" if average is None else f"{average:g}"
        missing.append(
            f"Raise the average score of {over} practice calls to {rule.min_average:g} "
            f"(now {shown})."
        )
    blocked: list[str] = []
    now = facts.now or dt.datetime.now(dt.UTC)
    if facts.exam_in_progress:
        blocked.append("You have an exam in progress: resume it.")
    if facts.awaiting_sign_off:
        blocked.append("Your passed exam is waiting for a supervisor's sign-off.")
    if facts.valid_certificate_until is not None:
        until = as_utc(facts.valid_certificate_until)
        blocked.append(
            f"You hold a valid certificate until {until:%d %b %Y}. Keep practising: a "
            "supervisor can renew it through continuing practice before it runs out."
        )
    if facts.last_failed_exam_at is not None and track.exam.retake_wait_hours:
        again = as_utc(facts.last_failed_exam_at) + dt.timedelta(hours=track.exam.retake_wait_hours)
        if as_utc(now) < again:
            blocked.append(f"You may retake the exam from {again:%d %b %Y %H:%M} UTC.")
    shares = []
    if modules:
        done = sum(
            1
            for m in modules
            if (m in facts.checks_passed if track.knowledge_checks else m in facts.modules_read)
        )
        shares.append(done / len(modules))
    shares.append(min(1.0, calls / rule.min_calls) if rule.min_calls else 1.0)
    if rule.min_average:
        shares.append(min(1.0, (average or 0) / rule.min_average))
    progress = round(sum(shares) / len(shares), 3)
    return Eligibility(
        eligible=not missing and not blocked,
        missing=tuple(missing),
        blocked=tuple(blocked),
        modules_missing=unread,
        checks_missing=unchecked,
        practice_calls=calls,
        practice_needed=rule.min_calls,
        practice_average=average,
        average_needed=rule.min_average,
        progress=progress,
    )


# ----------------------------------------------------------------------------- exam plans


@dataclass(frozen=True)
class CallSummary:
    """What planning needs to know about one scenario version."""

    id: int
    key: str  # scenario id: versions of one scenario share it
    disqualifiers: frozenset[str]
    group: str
    channel: str
    disposition: str  # the expert's best route under the agency's dispatch model
    call_type: str = ""
    twin_group: str | None = None

    @property
    def family(self) -> str:
        """Calls of one family are the same call (twin variants differ only in names)."""
        return f"twin:{self.twin_group}" if self.twin_group else f"key:{self.key}"

    def features(self) -> frozenset[str]:
        found = {f"disqualifier:{d}" for d in self.disqualifiers}
        if not self.disqualifiers:
            found.add("no_disqualifier")
        found.add(f"group:{self.group}")
        found.add(f"channel:{self.channel}")
        found.add(f"disposition:{self.disposition}")
        return frozenset(found)


def feature_label(name: str) -> str:
    """Plain words for a requirement name."""
    kind, _, value = name.partition(":")
    if name == "no_disqualifier":
        return "no disqualifier"
    if name == "calls":
        return "any kind"
    return {
        "disqualifier": f"the disqualifier '{value}'",
        "group": f"a {value.replace('_', ' ')} call type",
        "channel": f"the channel '{value}'",
        "disposition": f"the best route '{value}'",
    }.get(kind, name)


def _exclusive_bound(deficits: Mapping[str, int]) -> int:
    """A lower bound on the calls needed to cover ``deficits``.

    A call has exactly one group, one channel and one best route, and either no
    disqualifier or at least one; deficits within one of those families add up.
    """
    sums = {"group": 0, "channel": 0, "disposition": 0}
    most_dq = 0
    for name, value in deficits.items():
        if value <= 0:
            continue
        kind = name.split(":", 1)[0]
        if kind in sums:
            sums[kind] += value
        elif kind == "disqualifier":
            most_dq = max(most_dq, value)
    return max(*sums.values(), deficits.get("no_disqualifier", 0) + most_dq)


def _shortfall(
    requirements: Mapping[str, int], pool: Sequence[CallSummary], slots: int
) -> ExamPlanShort:
    needs: dict[str, int] = {}
    lines: list[str] = []
    for name, count in requirements.items():
        have = sum(1 for c in pool if name in c.features())
        if have < count:
            needs[name] = count - have
            lines.append(f"{count - have} more with {feature_label(name)}")
    if len(pool) < slots:
        needs["calls"] = slots - len(pool)
        lines.append(f"{slots - len(pool)} more calls of any kind")
    if not lines:
        needs["calls"] = max(1, slots // 2)
        lines.append("the unseen calls cannot meet every minimum at once")
    return ExamPlanShort(lines, needs)


def plan_exam(
    track: Track,
    candidates: Iterable[CallSummary],
    seen: Iterable[str],
    rng: random.Random,
    *,
    keep: Sequence[CallSummary] = (),
) -> list[int]:
    """A stratified exam: ``track.exam.calls`` scenario version ids, never seen before.

    ``seen`` holds the scenario keys and twin groups the trainee has met (any attempt).
    ``keep`` are calls already in the exam (they count towards the minimums and stay
    first, in order). At most one call per scenario or twin group. The search is
    exact: when some choice of unseen calls meets every minimum, one is found (the
    minimums are few, so calls are grouped by what they count towards). Raises
    :class:`ExamPlanShort` with what is missing otherwise.
    """
    seen = set(seen)
    total = track.exam.calls
    requirements = track.exam.stratify.requirements()
    kept_families = {c.family for c in keep}
    slots = total - len(keep)
    if slots < 0:
        raise ValueError("more calls kept than the exam holds")
    deficits = dict(requirements)
    for call in keep:
        for name in call.features():
            if name in deficits:
                deficits[name] -= 1
    # One call per family, chosen at random among the family's versions/twins.
    families: dict[str, list[CallSummary]] = {}
    for call in candidates:
        if call.key in seen or (call.twin_group and call.twin_group in seen):
            continue
        if call.family in kept_families:
            continue
        families.setdefault(call.family, []).append(call)
    pool = []
    for name in sorted(families):
        members = sorted(families[name], key=lambda c: c.id)
        pool.append(members[rng.randrange(len(members))])
    rng.shuffle(pool)
    # Calls grouped by the requirements they count towards.
    relevant = set(requirements)
    by_signature: dict[frozenset[str], list[CallSummary]] = {}
    for call in pool:
        by_signature.setdefault(call.features() & relevant, []).append(call)
    signatures = list(by_signature)
    rng.shuffle(signatures)
    avail = [len(by_signature[s]) for s in signatures]

    failed: set[tuple[int, ...]] = set()
    nodes = 0

    def search(used: list[int], left: dict[str, int], free: int) -> list[int] | None:
        nonlocal nodes
        nodes += 1
        if nodes > PLAN_NODE_BUDGET:
            return None
        unmet = {name: value for name, value in left.items() if value > 0}
        if not unmet:
            spare = sum(a - u for a, u in zip(avail, used, strict=True))
            return used if spare >= free else None
        if free <= 0 or _exclusive_bound(unmet) > free:
            return None
        state = tuple(used)
        if state in failed:
            return None
        # The unmet requirement with the fewest signatures able to help.
        helpers: dict[str, list[int]] = {}
        for name in unmet:
            helpers[name] = [
                i for i, sig in enumerate(signatures) if name in sig and used[i] < avail[i]
            ]
        target = min(unmet, key=lambda n: (len(helpers[n]), n))
        options = sorted(
            helpers[target], key=lambda i: -sum(1 for n in unmet if n in signatures[i])
        )
        for i in options:
            used[i] += 1
            for name in signatures[i]:
                if name in left:
                    left[name] -= 1
            found = search(used, left, free - 1)
            if found is not None:
                return found
            used[i] -= 1
            for name in signatures[i]:
                if name in left:
                    left[name] += 1
        failed.add(state)
        return None

    counts = search([0] * len(signatures), dict(deficits), slots)
    if counts is None:
        raise _shortfall({k: v for k, v in deficits.items() if v > 0}, pool, slots)
    chosen: list[CallSummary] = []
    rest: list[CallSummary] = []
    for i, sig in enumerate(signatures):
        chosen += by_signature[sig][: counts[i]]
        rest += by_signature[sig][counts[i] :]
    rng.shuffle(rest)
    chosen += rest[: slots - len(chosen)]
    rng.shuffle(chosen)
    return [c.id for c in keep] + [c.id for c in chosen]


def plan_meets(track: Track, calls: Sequence[CallSummary]) -> list[str]:
    """Which minimums a list of exam calls misses (empty when it meets them all)."""
    problems = []
    for name, count in track.exam.stratify.requirements().items():
        have = sum(1 for c in calls if name in c.features())
        if have < count:
            problems.append(f"{have} of {count} calls with {feature_label(name)}")
    if len(calls) != track.exam.calls:
        problems.append(f"{len(calls)} calls instead of {track.exam.calls}")
    return problems


# ----------------------------------------------------------------------------- exam result


@dataclass(frozen=True)
class GradedCall:
    scenario_version_id: int
    grade: Mapping[str, Any]
    seconds: float | None = None


def _round_half_up(value: Fraction | float) -> int:
    return math.floor(Fraction(value) + Fraction(1, 2))


def exam_result(track: Track, graded: Sequence[GradedCall]) -> dict:
    """Pass or fail with the reasons, from the graded exam calls (JSON-ready).

    A call that was not answered counts as a score of 0 and as not passed.
    """
    rules = track.exam
    planned = max(rules.calls, len(graded))
    scores = [int(g.grade.get("score") or 0) for g in graded]
    critical = [c for g in graded for c in (g.grade.get("critical") or [])]
    passed_calls = sum(1 for g in graded if g.grade.get("passed") and not g.grade.get("critical"))
    score = _round_half_up(Fraction(sum(scores), planned)) if planned else 0
    parts: dict[str, float] = {}
    for name in PARTS:
        values = [Fraction(str((g.grade.get("parts") or {}).get(name, 0))) for g in graded]
        parts[name] = round(float(sum(values, Fraction(0)) / planned), 3) if planned else 0.0
    reasons: list[str] = []
    if len(graded) < rules.calls:
        missing = rules.calls - len(graded)
        reasons.append(f"{missing} of the {rules.calls} calls were not answered.")
    if score < rules.pass_mark:
        reasons.append(f"The average score {score} is below the pass mark {rules.pass_mark}.")
    if len(critical) > rules.max_critical:
        allowed = "none is" if rules.max_critical == 0 else f"at most {rules.max_critical} are"
        reasons.append(
            f"{len(critical)} critical error{'s' if len(critical) != 1 else ''} "
            f"(unsafe dispatch); {allowed} allowed."
        )
    if passed_calls < rules.min_passed_calls:
        reasons.append(
            f"{passed_calls} of {planned} calls passed on their own; "
            f"{rules.min_passed_calls} are needed."
        )
    for name, minimum in rules.part_minimums.items():
        if parts.get(name, 0.0) + 1e-9 < minimum:
            reasons.append(
                f"The {name.replace('_', ' ')} part averaged {parts[name]:.2f}; "
                f"at least {minimum:.2f} is needed."
            )
    seconds = [g.seconds for g in graded if g.seconds is not None]
    return {
        "passed": not reasons,
        "score": score,
        "pass_mark": rules.pass_mark,
        "calls_planned": planned,
        "calls_answered": len(graded),
        "calls_passed": passed_calls,
        "critical": len(critical),
        "parts": parts,
        "reasons": reasons,
        "total_seconds": round(sum(seconds), 1) if seconds else None,
        "per_call": [
            {
                "scenario_version_id": g.scenario_version_id,
                "score": int(g.grade.get("score") or 0),
                "passed": bool(g.grade.get("passed")),
                "critical": list(g.grade.get("critical") or []),
                "seconds": g.seconds,
            }
            for g in graded
        ],
    }


# ----------------------------------------------------------------------------- certificates


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def certificate_status(
    expires_at: dt.datetime, revoked_at: dt.datetime | None, now: dt.datetime
) -> str:
    """``revoked``, ``expired`` or ``valid`` (a revocation wins over an expiry)."""
    if revoked_at is not None:
        return "revoked"
    return "expired" if as_utc(now) >= as_utc(expires_at) else "valid"


@dataclass(frozen=True)
class PracticeCall:
    submitted_at: dt.datetime
    score: int
    critical: bool = False


@dataclass(frozen=True)
class RenewalCheck:
    eligible: bool
    reasons: tuple[str, ...]  # why not (empty when eligible)
    opens_at: dt.datetime
    closes_at: dt.datetime
    calls: int
    average: float | None
    new_expires_at: dt.datetime


def renewal_check(
    track: Track,
    *,
    expires_at: dt.datetime,
    revoked: bool,
    calls: Sequence[PracticeCall],
    now: dt.datetime,
) -> RenewalCheck:
    """Whether continuing practice renews a certificate now, and to when."""
    now, expires_at = as_utc(now), as_utc(expires_at)
    rule = track.renewal
    reasons: list[str] = []
    if rule is None:
        opens = closes = expires_at
        reasons.append("This track has no renewal through practice; retake the exam.")
        counted: list[PracticeCall] = []
    else:
        opens = expires_at - dt.timedelta(days=rule.window_days)
        closes = expires_at + dt.timedelta(days=rule.grace_days)
        since = add_months(now, -rule.lookback_months)
        counted = [c for c in calls if as_utc(c.submitted_at) >= since]
    average = round(sum(c.score for c in counted) / len(counted), 1) if counted else None
    if revoked:
        reasons.append("A revoked certificate cannot be renewed.")
    if rule is not None:
        if now < opens:
            reasons.append(f"Renewal opens on {opens:%d %b %Y}.")
        elif now > closes:
            reasons.append("The renewal period has passed; the exam must be taken again.")
        if len(counted) < rule.min_calls:
            reasons.append(
                f"{len(counted)} practice calls in the last {rule.lookback_months} months; "
                f"{rule.min_calls} are needed."
            )
        if average is not None and average < rule.min_average:
            reasons.append(f"Their average score is {average:g}; {rule.min_average:g} is needed.")
        unsafe = sum(1 for c in counted if c.critical)
        if unsafe > rule.max_critical:
            reasons.append(f"{unsafe} of them had a critical error (unsafe dispatch).")
    start = expires_at if now < expires_at else now
    return RenewalCheck(
        eligible=not reasons,
        reasons=tuple(reasons),
        opens_at=opens,
        closes_at=closes,
        calls=len(counted),
        average=average,
        new_expires_at=add_months(start, track.validity_months),
    )


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """A random verification code such as ``7KQM-3WXT-HN9C`` (about 59 bits)."""
    chars = "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(chars[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalize_code(text: str) -> str | None:
    """The stored form of a typed code (case, spaces and dashes ignored), or None."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    chars = re.sub(r"[\s\-_.]", "", text).upper()
    if len(chars) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in chars):
        return None
    return "-".join(chars[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))
