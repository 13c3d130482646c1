"""Throughput figures from the other parts' own benchmark helpers, and call start to audio.

The helpers (``app.bench.core_rates``, ``app.bench.generator_rate``,
``app.bench.audio_rates``, and ``bench_p95_ms`` in ``app.core.question_match``) return
numbers; a helper that is not there yet is reported as missing, never replaced by a copy.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable


def helper(module: str, name: str) -> Callable | None:
    """The benchmark function ``module.name``, or None when it does not exist (yet)."""
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:
        return None
    except AttributeError:
        return None


def _run(figures: dict, missing: list[str], key: str, module: str, name: str, *args) -> None:
    fn = helper(module, name)
    if fn is None:
        missing.append(f"{module}.{name}")
        figures[key] = None
        return
    value = fn(*args)
    figures[key] = round(float(value), 4 if value < 1 else 1)


def core_figures(quick: bool, missing: list[str]) -> dict:
    """validate_files_per_s, grade_per_s, generate_per_s, question_match_p95_ms."""
    figures: dict = {}
    _run(figures, missing, "validate_files_per_s", "app.bench.core_rates", "validate_files_per_s",
         300 if quick else 1000)  # fmt: skip
    _run(figures, missing, "grade_per_s", "app.bench.core_rates", "grade_per_s",
         2000 if quick else 10000)  # fmt: skip
    _run(figures, missing, "generate_per_s", "app.bench.generator_rate", "generate_per_s",
         500 if quick else 2000)  # fmt: skip
    _run(figures, missing, "question_match_p95_ms", "app.core.question_match", "bench_p95_ms",
         300 if quick else 1000)  # fmt: skip
    return figures


def audio_figures(quick: bool, missing: list[str]) -> dict:
    """tts_realtime_factor (lower is faster) and tts_cached_serve_ms."""
    figures: dict = {}
    _run(figures, missing, "tts_realtime_factor", "app.bench.audio_rates", "realtime_factor",
         8 if quick else 20)  # fmt: skip
    _run(figures, missing, "tts_cached_serve_ms", "app.bench.audio_rates", "cached_serve_ms")
    return figures


def call_start_to_audio(*, trainee_id: int, scenario_ids: list[int]) -> dict:
    """Milliseconds from starting a call to the opening clip's bytes, uncached and cached.

    For each scenario: start a call and fetch the opening clip (the clip is not in the
    cache yet: it is rendered), then start it again (now it is cached).
    """
    from app import audio
    from app.services import practice
    from app.services.accounts import load_actor

    available, message = audio.speech_available()
    if not available:
        return {"available": False, "reason": message}
    actor = load_actor(trainee_id)
    if actor is None:
        raise RuntimeError(f"the bench trainee {trainee_id} is gone or disabled")
    audio.clip_for_text("Warming up the speech workers.", audio.DISPATCHER_VOICE)
    uncached: list[float] = []
    cached: list[float] = []
    sizes: list[int] = []
    for sv in scenario_ids:
        for bucket in (uncached, cached):
            started = time.perf_counter()
            attempt = practice.start_attempt(actor=actor, scenario_version_id=sv, mode="standard")
            data = practice.clip_bytes(actor=actor, attempt_id=attempt, item="opening")
            bucket.append((time.perf_counter() - started) * 1000.0)
            if data:
                sizes.append(len(data))
    return {
        "available": True,
        "uncached_ms": round(statistics.median(uncached), 1) if uncached else None,
        "cached_ms": round(statistics.median(cached), 1) if cached else None,
        "uncached_max_ms": round(max(uncached), 1) if uncached else None,
        "cached_max_ms": round(max(cached), 1) if cached else None,
        "samples": len(uncached),
        "clip_kb": round(statistics.median(sizes) / 1024, 1) if sizes else None,
    }


def uncached_bank_scenarios(agency_id: int, avoid_agency_id: int, count: int) -> list[int]:
    """Current bank scenarios of ``agency_id`` whose key the other agency does not have."""
    from sqlalchemy import text

    from app.store.db import read_session

    with read_session() as session:
        rows = session.execute(
            text(
                "SELECT id FROM scenarioversion WHERE agency_id = :a AND source = 'bank' "
                "AND is_current AND status = 'published' AND scenario_key NOT IN "
                "(SELECT scenario_key FROM scenarioversion WHERE agency_id = :b) ORDER BY id"
            ),
            {"a": agency_id, "b": avoid_agency_id},
        ).all()
    return [r[0] for r in rows[:count]]


def next_scenario_ms(*, trainee_id: int, repeats: int) -> list[float]:
    """Milliseconds ``practice.next_scenario`` takes to choose a call for this trainee."""
    from app.services import practice
    from app.services.accounts import load_actor

    actor = load_actor(trainee_id)
    if actor is None:
        raise RuntimeError(f"the bench trainee {trainee_id} is gone or disabled")
    practice.next_scenario(actor=actor, mode="standard")  # warm: imports, protocol
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        practice.next_scenario(actor=actor, mode="standard")
        out.append((time.perf_counter() - started) * 1000.0)
    return out
