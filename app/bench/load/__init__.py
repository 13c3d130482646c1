"""Load test: simulated trainees speaking Streamlit's own websocket protocol.

Each simulated trainee behaves like one browser tab on a real ``streamlit run``
server (loopback only):

* ``GET /`` (keeps any cookie the server or the load balancer sets, as a browser does);
* a websocket to ``/_stcore/stream`` with the ``streamlit`` subprotocol and a
  same-origin ``Origin`` header; Streamlit's XSRF token only gates its own
  ``st.login`` cookie on this socket, which the app does not use, so none is sent;
* ``BackMsg.rerun_script`` carrying ``ClientState`` (page hash, widget states),
  then ``ForwardMsg`` until ``script_finished`` — one interaction, timed from
  send to finish. Widget ids are read from the elements the server sends, like
  the web client does; values go back as the web client encodes them (text and
  choice widgets as strings, buttons as triggers, form fields with the submit);
* while a call is on screen, the clock fragment's ``auto_rerun`` is honoured:
  a fragment rerun every interval, timed separately ("tick");
* the caller's audio is fetched over HTTP from the link the page gives the player, a
  signed ``/api/clip`` link (timed as "media"); each rerun reports the page's address,
  as a browser does.

A trainee logs in once, opens *Take a call*, starts a call, asks questions with a
think time, marks, submits, reads the feedback and takes the next call, until the
level's time is up. Levels run one after another on the same logged-in sessions;
every number is per level. Everything is bounded: a fixed number of trainees, a
deadline per level and a timeout per interaction.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.bench.load.trainee import SimTrainee
from app.bench.load.wire import (
    ERROR_RATE_LIMIT,
    P95_LIMIT_MS,
    LoadConfig,
    LoadError,
    Sample,
    Widget,
    _cookies_from,
    _widget_from,
    http_get,
)
from app.bench.stats import summarize

__all__ = [
    "INTERACTIONS",
    "LevelResult",
    "LoadConfig",
    "LoadError",
    "Sample",
    "SimTrainee",
    "Widget",
    "_cookies_from",
    "_widget_from",
    "http_get",
    "run_load",
    "summarize_level",
]


@dataclass
class LevelResult:
    level: int
    active: int  # trainees still connected at the end
    interactions: dict
    by_kind: dict
    errors: int
    error_examples: list[str]
    throughput_per_s: float
    duration_s: float
    server_cpu_s: float | None = None
    client_cpu_s: float | None = None
    server_rss_mb: float | None = None  # memory of the server processes at the level's end

    @property
    def holds(self) -> bool:
        n = self.interactions["n"] or 0
        p95 = self.interactions["p95"]
        return (
            n > 0
            and p95 is not None
            and p95 <= P95_LIMIT_MS
            and self.errors <= ERROR_RATE_LIMIT * max(n, 1)
        )

    def as_dict(self) -> dict:
        return {
            "level": self.level,
            "active": self.active,
            "p50_ms": self.interactions["p50"],
            "p95_ms": self.interactions["p95"],
            "max_ms": self.interactions["max"],
            "interactions": self.interactions["n"],
            "errors": self.errors,
            "error_examples": self.error_examples,
            "throughput_per_s": round(self.throughput_per_s, 1),
            "seconds": round(self.duration_s, 1),
            "server_cpu_percent": None
            if self.server_cpu_s is None
            else round(100 * self.server_cpu_s / max(self.duration_s, 1e-9)),
            "client_cpu_percent": None
            if self.client_cpu_s is None
            else round(100 * self.client_cpu_s / max(self.duration_s, 1e-9)),
            "server_rss_mb": self.server_rss_mb,
            "by_kind": self.by_kind,
            "holds": self.holds,
        }


INTERACTIONS = ("open", "mode", "start", "ask", "mark", "submit")


def summarize_level(level: int, samples: list[Sample], active: int, seconds: float) -> LevelResult:
    mine = [s for s in samples if s.level == level]
    main = [s for s in mine if s.kind in INTERACTIONS]
    by_kind = {}
    for kind in sorted({s.kind for s in mine}):
        values = [s.ms for s in mine if s.kind == kind and s.ok]
        by_kind[kind] = {
            **summarize(values),
            "errors": sum(1 for s in mine if s.kind == kind and not s.ok),
        }
    failed = [s for s in mine if not s.ok]
    examples = sorted({f"{s.kind}: {s.error}" for s in failed})[:5]
    return LevelResult(
        level=level,
        active=active,
        interactions=summarize([s.ms for s in main if s.ok]),
        by_kind=by_kind,
        errors=len(failed),
        error_examples=examples,
        throughput_per_s=len(main) / seconds if seconds > 0 else 0.0,
        duration_s=seconds,
    )


async def run_load(
    cfg: LoadConfig,
    progress: Callable[[str], None] | None = None,
    server_cpu: Callable[[], float] | None = None,
    server_rss: Callable[[], float] | None = None,
) -> dict:
    """Log in max(levels) trainees, then run each level; returns the figures as a dict.

    ``server_cpu()`` (CPU seconds used so far by the server processes) lets each level
    report how busy the server was; the simulated clients' own CPU is reported too.
    """
    say = progress or (lambda _msg: None)
    levels = sorted(set(cfg.levels))
    need = max(levels)
    if len(cfg.accounts) < need:
        raise ValueError(f"the load test needs {need} trainee accounts, got {len(cfg.accounts)}")
    rng = random.Random(cfg.seed)
    trainees = [
        SimTrainee(cfg, user, password, random.Random(rng.random()))
        for user, password in cfg.accounts[:need]
    ]
    gate = asyncio.Semaphore(max(1, cfg.login_concurrency))

    async def login(t: SimTrainee) -> bool:
        async with gate:
            return await t.login()

    say(f"logging in {need} simulated trainees")
    started = time.perf_counter()
    ok = await asyncio.gather(*(login(t) for t in trainees))
    login_seconds = time.perf_counter() - started
    samples: list[Sample] = []
    results = []
    try:
        for level in levels:
            group = [t for t, good in zip(trainees, ok, strict=True) if good and t.alive][:level]
            say(f"load: {level} concurrent trainees for {cfg.duration_s:.0f} s")
            began = time.monotonic()
            cpu_before = server_cpu() if server_cpu else 0.0
            client_before = time.process_time()
            deadline = began + cfg.duration_s
            await asyncio.gather(*(t.run_level(level, deadline) for t in group))
            seconds = time.monotonic() - began
            server_s = (server_cpu() - cpu_before) if server_cpu else None
            client_s = time.process_time() - client_before
            for t in trainees:
                samples.extend(s for s in t.samples if s.level == level)
            result = summarize_level(level, samples, sum(1 for t in group if t.alive), seconds)
            if len(group) < level:
                result.error_examples.insert(0, f"only {len(group)} of {level} trainees logged in")
                result.errors += level - len(group)
            result.server_cpu_s = server_s
            result.client_cpu_s = client_s
            result.server_rss_mb = server_rss() if server_rss else None
            results.append(result)
            say(
                f"  {level:>4} trainees: p50 {result.interactions['p50']} ms, "
                f"p95 {result.interactions['p95']} ms, errors {result.errors}"
            )
            await asyncio.sleep(1.0)
    finally:
        await asyncio.gather(*(t.close() for t in trainees))
    logins = [s for t in trainees for s in t.samples if s.level == 0]
    login_ok = [s.ms for s in logins if s.kind == "login" and s.ok]
    holding = [r.level for r in results if r.holds]
    # The largest level that holds, provided every smaller level held too.
    best = 0
    for r in results:
        if not r.holds:
            break
        best = r.level
    return {
        "levels": [r.as_dict() for r in results],
        "max_sessions_p95_1s": best,
        "levels_holding": holding,
        "login": {
            **summarize(login_ok),
            "errors": sum(1 for s in logins if not s.ok),
            "error_examples": sorted({f"{s.kind}: {s.error}" for s in logins if not s.ok})[:5],
            "seconds_for_all": round(login_seconds, 1),
        },
        "config": {
            "levels": levels,
            "duration_s": cfg.duration_s,
            "think_s": list(cfg.think_s),
            "feedback_s": list(cfg.feedback_s),
            "timeout_s": cfg.timeout_s,
            "clock": cfg.clock,
            "fetch_media": cfg.fetch_media,
        },
    }
