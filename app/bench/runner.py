"""``python -m app bench``: build the data set, measure everything, report.

The run, in order (each part can be left out with ``parts``):

1. a fresh database with the demo, the big synthetic data set and a load-test agency;
2. ``core``: validate, grade and generate throughput (the core's own helpers);
3. ``audio``: speech synthesis speed, cached clip serving, call start to audio;
4. ``screens``: the call screen through AppTest next to the framework floor;
5. ``dashboards``: each supervisor view on the big data set;
6. ``load``: simulated trainees against a real ``streamlit run`` server;
7. ``replicas``: the same load through nginx in front of N replicas.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from app.bench import dataset, load, machine, micro, screens, servers, tuning
from app.bench.stats import percentile, summarize

PARTS = ("core", "audio", "screens", "dashboards", "load", "replicas")
LEVELS = (10, 25, 50, 100)

# Targets reported next to the figures (never asserted in tests).
TARGETS = (
    ("call_screen_p95_ms", "<=", 50.0, "call screen p95 (ms), clips cached"),
    ("call_screen_vs_floor_p95", "<=", 10.0, "call screen p95 / framework floor p95"),
    ("dashboard_p95_ms", "<=", 1000.0, "slowest dashboard view p95 (ms)"),
    ("generate_per_s", ">=", 500.0, "scenarios generated and validated per second"),
    ("question_match_p95_ms", "<=", 5.0, "typed question matched to a question, p95 (ms)"),
    ("tts_realtime_factor", "<=", 0.05, "speech synthesis time per second of audio"),
    ("load_max_sessions_p95_1s", ">=", 50.0, "concurrent trainees with p95 <= 1 s, one server"),
    (
        "replicas_max_sessions_p95_1s",
        ">=",
        None,  # about twice the single-server figure; filled in at report time
        "the same through nginx and the replicas",
    ),
)


@dataclass
class BenchOptions:
    quick: bool = False
    database: str | None = None
    replicas: int = 0
    levels: tuple[int, ...] = LEVELS
    duration_s: float | None = None
    sizes: dataset.Sizes | None = None
    calls: int | None = None
    dashboard_repeats: int | None = None
    load_scenarios: int | None = None
    parts: frozenset[str] = frozenset(PARTS)
    keep: bool = False
    seed: int = 0
    think_s: tuple[float, float] = (2.0, 6.0)
    workdir: Path | None = None
    streamlit_options: dict[str, str] = field(default_factory=dict)  # --set key=value
    clock: bool = True  # simulated browsers rerun the call clock fragment, as browsers do

    def resolved(self) -> ResolvedOptions:
        """Fill the sizes and durations that depend on --quick."""
        q = self.quick
        return ResolvedOptions(
            quick=q,
            database=self.database,
            replicas=self.replicas,
            levels=tuple(sorted(set(self.levels))),
            duration_s=self.duration_s or (20.0 if q else 60.0),
            sizes=self.sizes or (dataset.Sizes.quick() if q else dataset.Sizes.full()),
            calls=self.calls or (6 if q else 15),
            dashboard_repeats=self.dashboard_repeats or (2 if q else 3),
            load_scenarios=self.load_scenarios or (20 if q else 60),
            parts=self.parts if self.replicas else self.parts - {"replicas"},
            keep=self.keep,
            seed=self.seed,
            think_s=self.think_s,
            workdir=self.workdir,
            streamlit_options=dict(self.streamlit_options),
            clock=self.clock,
        )


@dataclass
class ResolvedOptions(BenchOptions):
    """The options with every size and duration filled in (:meth:`BenchOptions.resolved`)."""

    duration_s: float = 60.0
    sizes: dataset.Sizes = field(default_factory=dataset.Sizes.full)
    calls: int = 15
    dashboard_repeats: int = 3
    load_scenarios: int = 60


Say = Callable[[str], None]
BarFactory = Callable[[str], Callable[[int, int], None]]


def _ms(samples: list[float], q: float) -> float | None:
    value = percentile(samples, q)
    return None if value is None else round(value, 1)


def _screen_figures(real: screens.Samples, floor: screens.Samples) -> tuple[dict, dict]:
    warm = screens.flatten(real, tts=False)
    floor_all = screens.flatten(floor)
    figures = {
        "call_screen_p50_ms": _ms(warm, 50),
        "call_screen_p95_ms": _ms(warm, 95),
        "call_screen_with_tts_p95_ms": _ms(screens.flatten(real), 95),
        "call_screen_tts_steps": len(screens.flatten(real, tts=True)),
        "framework_floor_p50_ms": _ms(floor_all, 50),
        "framework_floor_p95_ms": _ms(floor_all, 95),
    }
    if figures["call_screen_p95_ms"] and figures["framework_floor_p95_ms"]:
        figures["call_screen_vs_floor_p95"] = round(
            figures["call_screen_p95_ms"] / figures["framework_floor_p95_ms"], 2
        )
    # The same without other tenants' share of the machine (see screens.CPU).
    warm_cpu = screens.flatten(real, tts=False, cpu=True)
    floor_cpu = screens.flatten(floor, cpu=True)
    figures["call_screen_cpu_p50_ms"] = _ms(warm_cpu, 50)
    figures["framework_floor_cpu_p50_ms"] = _ms(floor_cpu, 50)
    if figures["call_screen_cpu_p50_ms"] and figures["framework_floor_cpu_p50_ms"]:
        figures["call_screen_vs_floor_cpu_p50"] = round(
            figures["call_screen_cpu_p50_ms"] / figures["framework_floor_cpu_p50_ms"], 2
        )
    starts = screens.flatten(real, steps=("start",))
    figures["call_start_p50_ms"] = _ms(starts, 50)
    figures["call_start_p95_ms"] = _ms(starts, 95)
    figures["call_start_cpu_p50_ms"] = _ms(screens.flatten(real, steps=("start",), cpu=True), 50)
    details = {
        "call_screen_steps": {k: summarize(v) for k, v in sorted(real.items())},
        "framework_floor_steps": {k: summarize(v) for k, v in sorted(floor.items())},
    }
    return figures, details


def _dashboard_figures(world: dataset.BenchWorld, repeats: int) -> tuple[dict, dict]:
    from app.bench.dashboards import dashboard_timings
    from app.services import authoring, item_snapshot
    from app.services.accounts import actor_for
    from app.store.db import read_session
    from app.store.models import User

    views: dict[str, list[float]] = {}
    views_cpu: dict[str, list[float]] = {}
    # One pass first, thrown away (as on the call screen and the pages): a view's first
    # call in a process imports what it needs, which a server does once, not per view.
    dashboard_timings(world.agency_id)
    for _ in range(repeats):
        cpu: dict[str, float] = {}
        for name, seconds in dashboard_timings(world.agency_id, cpu=cpu).items():
            views.setdefault(name, []).append(seconds * 1000.0)
            views_cpu.setdefault(name, []).append(cpu[name] * 1000.0)
    # Item analysis reads stored statistics; working them out is a background job, timed
    # on its own (app/services/item_snapshot.py).
    started = time.perf_counter()
    item_snapshot.refresh(world.agency_id)
    refresh_s = round(time.perf_counter() - started, 2)
    with read_session() as session:
        user = session.get(User, world.supervisor_id)
        if user is None:
            raise RuntimeError("the bench data set has lost its supervisor")
        supervisor = actor_for(user)
    for _ in range(repeats):
        started = time.perf_counter()
        authoring.item_analysis(actor=supervisor)
        views.setdefault("item_analysis", []).append((time.perf_counter() - started) * 1000.0)
    pages, skipped = screens.dashboard_page_timings(user_id=world.supervisor_id, repeats=repeats)
    per_view = {name: _ms(v, 95) for name, v in sorted(views.items())}
    per_page = {name: _ms(v, 95) for name, v in sorted(pages.items()) if screens.CPU not in name}
    cpu_pages = {k.removeprefix(screens.CPU): v for k, v in pages.items() if screens.CPU in k}
    worst = [v for v in list(per_view.values()) + list(per_page.values()) if v is not None]
    figures = {
        "dashboard_p95_ms": max(worst) if worst else None,
        "dashboard_views_p95_ms": per_view,
        "dashboard_pages_p95_ms": per_page,
        "item_analysis_refresh_s": refresh_s,
        "dashboard_views_cpu_p50_ms": {n: _ms(v, 50) for n, v in sorted(views_cpu.items())},
        "dashboard_pages_cpu_p50_ms": {n: _ms(v, 50) for n, v in sorted(cpu_pages.items())},
    }
    details = {"dashboard_pages_skipped": skipped}
    return figures, details


def _load_figures(result: dict, prefix: str) -> dict:
    figures = {f"{prefix}_max_sessions_p95_1s": result["max_sessions_p95_1s"]}
    for level in result["levels"]:
        n = level["level"]
        figures[f"{prefix}_p50_ms_{n}"] = level["p50_ms"]
        figures[f"{prefix}_p95_ms_{n}"] = level["p95_ms"]
        figures[f"{prefix}_errors_{n}"] = level["errors"]
    return figures


def _run_load_on(
    url: str, world: dataset.BenchWorld, opts: ResolvedOptions, say: Say, pid: int
) -> dict:
    cfg = load.LoadConfig(
        base_url=url,
        accounts=world.load_accounts,
        levels=opts.levels,
        duration_s=opts.duration_s,
        think_s=opts.think_s,
        login_concurrency=max(1, os.cpu_count() or 1),
        clock=opts.clock,
        seed=opts.seed,
    )
    coroutine = load.run_load(
        cfg,
        say,
        server_cpu=lambda: servers.tree_cpu_seconds(pid),
        server_rss=lambda: servers.tree_rss_mb(pid),
    )
    # A thread of its own, so a caller that already runs an event loop (a test process
    # that drove a browser before) does not make asyncio.run() refuse.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def settle_heap() -> None:
    """Collect what the last part left behind, then set the survivors aside (``gc.freeze``).

    Building the data set leaves millions of objects in this process. Without this, a full
    collection of all of them (~80 ms here) lands inside whichever timing happens to
    trigger it, and a figure measures the bench's own heap instead of the code it times.
    """
    gc.collect()
    gc.freeze()


def run_bench(opts: BenchOptions, say: Say = print, bar: BarFactory | None = None) -> dict:
    """Run the benchmark and return {"machine", "figures", "details", "targets", "config"}."""
    opts = opts.resolved()
    started = time.perf_counter()
    option_env = tuning.apply(opts.streamlit_options)
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    share_before = machine.cpu_share()
    figures: dict = {}
    details: dict = {"seconds": {}}
    missing: list[str] = []

    def part(name: str) -> bool:
        return name in opts.parts

    mark = [time.perf_counter()]

    def timed_part(name: str) -> None:
        details["seconds"][name] = round(time.perf_counter() - mark[0], 1)
        settle_heap()
        mark[0] = time.perf_counter()

    need_accounts = max(opts.levels) if (part("load") or part("replicas")) else 0
    say(
        f"building the data set: {opts.sizes.scenarios:,} scenarios, "
        f"{opts.sizes.trainees:,} trainees, {opts.sizes.attempts:,} attempts"
    )
    with dataset.bench_world(
        database=opts.database,
        sizes=opts.sizes,
        load_accounts=need_accounts,
        load_scenarios=opts.load_scenarios if need_accounts else 0,
        seed=opts.seed,
        keep=opts.keep,
        workdir=opts.workdir,
        progress=bar,
    ) as world:
        info = machine.machine_info(world.url)
        details["dataset_seconds"] = dict(world.seconds)
        figures["dataset_build_s"] = world.seconds.get("bulk")
        settle_heap()
        mark[0] = time.perf_counter()
        if part("core"):
            say("core: validating, grading, generating")
            figures.update(micro.core_figures(opts.quick, missing))
            timed_part("core")
        if part("audio"):
            say("audio: speech synthesis and call start to audio")
            figures.update(micro.audio_figures(opts.quick, missing))
            chosen = micro.uncached_bank_scenarios(
                world.agency_id, world.load_agency_id, 3 if opts.quick else 6
            )
            audio = micro.call_start_to_audio(trainee_id=world.demo_trainee_id, scenario_ids=chosen)
            details["call_start_to_audio"] = audio
            figures["call_start_to_audio_ms"] = {
                "uncached": audio.get("uncached_ms"),
                "cached": audio.get("cached_ms"),
            }
            figures["call_start_to_audio_uncached_ms"] = audio.get("uncached_ms")
            figures["call_start_to_audio_cached_ms"] = audio.get("cached_ms")
            timed_part("audio")
        if part("screens"):
            say(f"call screen: {opts.calls} calls through AppTest, and the framework floor")
            real, floor = screens.call_screen_timings(
                user_id=world.bulk_trainee_ids[0],
                calls=opts.calls,
                seed=opts.seed,
                audio_dir=world.audio_dir,
            )
            more, extra = _screen_figures(real, floor)
            figures.update(more)
            details.update(extra)
            picks = micro.next_scenario_ms(trainee_id=world.bulk_trainee_ids[0], repeats=20)
            figures["next_scenario_p95_ms"] = _ms(picks, 95)
            details["next_scenario_ms"] = summarize(picks)
            timed_part("screens")
        if part("dashboards"):
            say("dashboards: every supervisor view on the big data set")
            more, extra = _dashboard_figures(world, opts.dashboard_repeats)
            figures.update(more)
            details.update(extra)
            timed_part("dashboards")
        env = servers.server_env(
            database_url=world.url,
            data_dir=world.data_dir,
            audio_dir=world.audio_dir,
            cookie_secret=world.cookie_secret,
        )
        env.update(option_env)
        logs = world.workdir / "logs"
        if part("load"):
            say("load: one Streamlit server on a loopback port")
            process, url = servers.start_server(env, logs / "single")
            try:
                result = _run_load_on(url, world, opts, say, process.proc.pid)
            finally:
                process.stop()
            details["load"] = result
            figures.update(_load_figures(result, "load"))
            figures["login_p50_ms"] = result["login"]["p50"]
            timed_part("load")
        if part("replicas"):
            say(f"replicas: {opts.replicas} Streamlit replicas behind nginx")
            replicas, ports = servers.start_replicas(env, logs / "replicas", opts.replicas)
            try:
                proxy, url = servers.start_nginx(ports, world.workdir / "nginx")
                try:
                    result = _run_load_on(url, world, opts, say, replicas.proc.pid)
                finally:
                    proxy.stop()
            finally:
                replicas.stop()
            result["replicas"] = opts.replicas
            details["replicas"] = result
            figures.update(_load_figures(result, "replicas"))
            timed_part("replicas")
    info["loadavg_before"] = [round(x, 2) for x in load_before] if load_before else None
    info["cpu_share_before"] = share_before
    info["cpu_share_after"] = machine.cpu_share()
    info["loadavg_after"] = (
        [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    )
    details["missing_helpers"] = missing
    details["seconds"]["total"] = round(time.perf_counter() - started, 1)
    return {
        "machine": info,
        "figures": figures,
        "targets": evaluate_targets(figures, max(opts.levels)),
        "details": details,
        "config": {
            "quick": opts.quick,
            "sizes": vars(opts.sizes),
            "levels": list(opts.levels),
            "duration_s": opts.duration_s,
            "think_s": list(opts.think_s),
            "calls": opts.calls,
            "dashboard_repeats": opts.dashboard_repeats,
            "load_scenarios": opts.load_scenarios,
            "replicas": opts.replicas,
            "parts": sorted(opts.parts),
            "streamlit_options": opts.streamlit_options,
            "clock": opts.clock,
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    }


def evaluate_targets(figures: dict, top_level: int | None = None) -> list[dict]:
    """Each target with the measured value and whether it was met (None: not measured).

    The replicas should hold about twice what one server holds; when one server
    already holds the largest level tested, that cannot be judged (test higher levels).
    """
    out = []
    for key, op, limit, label in TARGETS:
        value = figures.get(key)
        if key == "replicas_max_sessions_p95_1s":
            single = figures.get("load_max_sessions_p95_1s")
            limit = None if not single else round(1.8 * single)
            if single and top_level and single >= top_level:
                limit = None
        met = None
        if value is not None and limit is not None:
            met = value <= limit if op == "<=" else value >= limit
        out.append(
            {"figure": key, "label": label, "target": f"{op} {limit}", "value": value, "met": met}
        )
    return out


def format_report(result: dict) -> str:
    """The figures as a plain table, targets alongside, and the machine."""
    m = result["machine"]
    lines = [
        f"machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gb')} GB, "
        f"{m.get('os')}, Python {m.get('python')}, Streamlit {m.get('streamlit')}, "
        f"{m.get('database')}",
        f"load average before/after: {m.get('loadavg_before')} / {m.get('loadavg_after')}; "
        f"share of a core a busy loop got before/after: {m.get('cpu_share_before')} / "
        f"{m.get('cpu_share_after')} (1.0 = nothing else running)",
        "",
    ]
    rows = []
    targets = {t["figure"]: t for t in result["targets"]}
    for key, value in result["figures"].items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        target = targets.get(key)
        verdict = ""
        if target is not None and target["met"] is not None:
            verdict = f"{target['target']}  {'met' if target['met'] else 'MISSED'}"
        rows.append((key, "—" if value is None else str(value), verdict))
    width = max((len(r[0]) for r in rows), default=10)
    vwidth = min(max((len(r[1]) for r in rows), default=10), 60)
    for key, value, verdict in rows:
        lines.append(f"  {key:<{width}}  {value:<{vwidth}}  {verdict}".rstrip())
    for name in ("load", "replicas"):
        detail = result["details"].get(name)
        if not detail:
            continue
        lines.append("")
        lines.append(
            f"{name}: level  p50 ms  p95 ms  errors  interactions/s  server CPU %  "
            "client CPU %  server MB"
        )
        for level in detail["levels"]:
            lines.append(
                f"  {level['level']:>10}  {level['p50_ms']!s:>6}  {level['p95_ms']!s:>6}  "
                f"{level['errors']:>6}  {level['throughput_per_s']:>14}  "
                f"{level['server_cpu_percent']!s:>12}  {level['client_cpu_percent']!s:>12}  "
                f"{level.get('server_rss_mb')!s:>9}"
            )
    missing = result["details"].get("missing_helpers")
    if missing:
        lines += ["", "missing helpers: " + ", ".join(missing)]
    return "\n".join(lines)
