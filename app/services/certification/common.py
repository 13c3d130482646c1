"""What the certification services share: the tracks (cached), their rules as plain data,
dates for the audit log and the verification address.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import TypedDict

from app.core import certification as core
from app.errors import NotFound
from app.services import lessons
from app.settings import get_settings
from app.store.models import Exam, row_id

VERIFY_PATH = "/verify"
CACHE_SECONDS = 300

_cache: dict[str, tuple[float, list[core.Track]]] = {}
_lock = threading.Lock()


# ------------------------------------------------------------------ tracks


def all_tracks() -> list[core.Track]:
    """Every certification track (content/certifications), cached for a few minutes."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get("tracks")
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    known = [m.slug for m in lessons.all_modules()]
    loaded = core.load_tracks(core.DEFAULT_ROOT, known_modules=known or None)
    with _lock:
        _cache["tracks"] = (now, loaded)
    return loaded


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def get_track(track_id: str, model: str | None = None) -> core.Track:
    for track in all_tracks():
        if track.id == track_id:
            return track.for_model(model) if model else track
    raise NotFound(f"There is no certification track '{track_id}'.")


def _track_title(track_id: str) -> str:
    try:
        return get_track(track_id).title
    except (NotFound, core.TrackError):
        return track_id


def _exam_track(exam: Exam) -> core.Track:
    """The rules the exam was started under (stored with it)."""
    snapshot = (exam.result or {}).get("track")
    if snapshot:
        return core.track_from_snapshot(snapshot)
    return get_track(exam.track)


class ExamHeader(TypedDict):
    """What every list of exams shows of one exam."""

    exam_id: int
    title: str  # the track's title
    status: str  # "in_progress" or "completed"
    started_at: dt.datetime
    finished_at: dt.datetime | None
    signed_off: bool


class ExamResultHeader(ExamHeader):
    score: int | None  # None until finished
    passed: bool | None  # None until finished


def exam_result_header(exam: Exam) -> ExamResultHeader:
    """What every list of exams shows of this exam."""
    return ExamResultHeader(
        exam_id=row_id(exam),
        title=_track_title(exam.track),
        status=exam.status,
        started_at=exam.started_at,
        finished_at=exam.finished_at,
        score=exam.score,
        passed=exam.passed,
        signed_off=exam.signed_off_at is not None,
    )


class RenewalRules(TypedDict):
    window_days: int  # renewal opens this many days before the expiry
    grace_days: int  # and stays open this many days after it
    lookback_months: int  # practice counted from this far back
    min_calls: int
    min_average: float


class TrackRules(TypedDict):
    """A track's rules as plain data for pages."""

    id: str
    title: str
    summary: str
    model: str | None  # the dispatch model the rules are resolved for; None: the base rules
    validity_months: int
    practice_calls: int  # practice calls needed before the exam
    practice_average: float  # their average score needed
    average_of_last: int | None  # the average is over the last N calls; None: every call
    exam_calls: int
    pass_mark: int
    max_critical: int
    min_passed_calls: int
    part_minimums: dict[str, float]  # grading part -> minimum average, 0..1
    stratify: dict[str, int]  # feature label -> at least this many exam calls with it
    renewal: RenewalRules | None  # None: no renewal through practice


def track_rules(track: core.Track) -> TrackRules:
    """The track's rules as plain data for pages."""
    return TrackRules(
        id=track.id,
        title=track.title,
        summary=track.summary,
        model=track.model,
        validity_months=track.validity_months,
        practice_calls=track.practice.min_calls,
        practice_average=track.practice.min_average,
        average_of_last=track.practice.average_of_last,
        exam_calls=track.exam.calls,
        pass_mark=track.exam.pass_mark,
        max_critical=track.exam.max_critical,
        min_passed_calls=track.exam.min_passed_calls,
        part_minimums=dict(track.exam.part_minimums),
        stratify={core.feature_label(k): v for k, v in track.exam.stratify.requirements().items()},
        renewal=None
        if track.renewal is None
        else RenewalRules(
            window_days=track.renewal.window_days,
            grace_days=track.renewal.grace_days,
            lookback_months=track.renewal.lookback_months,
            min_calls=track.renewal.min_calls,
            min_average=track.renewal.min_average,
        ),
    )


# ------------------------------------------------------------------ small helpers


def _iso(value: dt.datetime | None) -> str | None:
    return core.as_utc(value).isoformat() if value is not None else None


def verification_path(code: str) -> str:
    return f"{VERIFY_PATH}?code={code}"


def verification_url(code: str) -> str:
    """The public verification address (absolute when the PUBLIC_URL setting exists)."""
    base = str(getattr(get_settings(), "public_url", "") or "").rstrip("/")
    return f"{base}{verification_path(code)}"
