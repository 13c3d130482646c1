"""How fast the generator makes scenarios that validate.

:func:`generate_per_s` generates ``n`` scenarios *and* validates each one with
:func:`app.core.scenario.parse_scenario`, and returns scenarios per second of wall
time. Validation (composing the YAML with line numbers, checking, grading the check)
costs several times more than generation. By default everything runs in this process;
``workers=N`` splits the work over N forked processes (pool start-up included in the
time). Forking is only safe from a single-threaded program such as the CLI, which is
why it is not the default.
"""

from __future__ import annotations

import multiprocessing
import os
import time

from app.core.generator.engine import generate


class BenchError(RuntimeError):
    """A generated scenario did not validate (a bug, never expected)."""


def _work(job: tuple[int, int]) -> int:
    from app.core.scenario import parse_scenario

    count, seed = job
    valid = 0
    for scenario in generate(count, seed):
        data, problems = parse_scenario(scenario.yaml_text, f"{scenario.id}.yaml")
        if data is None or any(getattr(p, "is_error", True) for p in problems):
            raise BenchError(f"{scenario.id} did not validate: {problems[0]}")
        valid += 1
    return valid


def _warm_up() -> None:
    # Read templates, phrasebook and protocol once (forked workers inherit them).
    from app.core.scenario import parse_scenario

    for scenario in generate(2, 0):
        parse_scenario(scenario.yaml_text, "warm-up.yaml")


def generate_per_s(n: int = 2000, workers: int = 1) -> float:
    """Scenarios generated and validated per second (``n`` of them, in ``workers`` processes)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    workers = max(1, min(workers, n, os.cpu_count() or 1))
    if "fork" not in multiprocessing.get_all_start_methods():
        workers = 1
    _warm_up()
    jobs = [(n // workers + (1 if i < n % workers else 0), 1000 + i) for i in range(workers)]
    start = time.perf_counter()
    if workers == 1:
        done = _work(jobs[0])
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = sum(pool.map(_work, jobs))
    elapsed = time.perf_counter() - start
    if done != n:  # pragma: no cover - a bug
        raise BenchError(f"validated {done} of {n} scenarios")
    return n / elapsed if elapsed > 0 else float("inf")
