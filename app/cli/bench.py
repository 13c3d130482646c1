"""``python -m app bench``: benchmarks and capacity figures (see README "Capacity")."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path

from app.cli import UsageError

PART_HELP = "core, audio, screens, dashboards, load, replicas"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench",
        help="benchmarks and capacity figures on a fresh synthetic data set",
        description=(
            "Build a synthetic data set in a fresh database (10,000 scenarios, 5,000 trainees, "
            "1,000,000 attempts; --quick a tenth), then measure the call screen, the "
            "dashboards, throughput of the core and of speech, and a load test of simulated "
            "trainees against a real Streamlit server on a loopback port. Prints a table and "
            "writes the figures as JSON."
        ),
    )
    p.add_argument("--quick", action="store_true", help="a tenth of the data, shorter load levels")
    p.add_argument(
        "--json", metavar="FILE", help="where to write the JSON (default DATA_DIR/bench/)"
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help=(
            "database to fill (default: a temporary SQLite file). A PostgreSQL server URL "
            "ending in '/' (postgresql+psycopg://postgres@127.0.0.1:5432/) gets a fresh "
            "database that is dropped afterwards; a named database must be empty"
        ),
    )
    p.add_argument(
        "--replicas",
        type=int,
        default=0,
        metavar="N",
        help="also run the load test through nginx in front of N replicas (deploy/)",
    )
    p.add_argument(
        "--levels",
        default="10,25,50,100",
        help="concurrent trainees per load level (default 10,25,50,100)",
    )
    p.add_argument("--duration", type=float, metavar="S", help="seconds per load level")
    p.add_argument("--only", metavar="PARTS", help=f"run only these parts: {PART_HELP}")
    p.add_argument("--skip", metavar="PARTS", help=f"leave these parts out: {PART_HELP}")
    p.add_argument(
        "--size",
        metavar="S,T,A",
        help="scenarios,trainees,attempts of the synthetic data set (overrides --quick)",
    )
    p.add_argument("--calls", type=int, help="calls taken through AppTest on each page")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Streamlit config option for this run only, e.g. runner.postScriptGC=false",
    )
    p.add_argument(
        "--no-clock",
        action="store_true",
        help="simulated trainees ignore fragments the server asks to rerun on a timer "
        "(the call clock was one before it moved into the browser)",
    )
    p.add_argument("--keep", action="store_true", help="keep the database and work folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--against",
        metavar="DIR",
        help="compare with another checkout of this project (say, main before a change): "
        "both benches run at once and take turns step by step, so a busy machine slows "
        "both alike (core, audio, screens and dashboards; not the load test)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        metavar="N",
        help="with --against: paired runs, each checkout going first in turn (default 3)",
    )
    p.set_defaults(func=run)


def _parts(text: str | None, option: str) -> set[str]:
    from app.bench.runner import PARTS

    if not text:
        return set()
    parts = {p.strip() for p in text.split(",") if p.strip()}
    unknown = parts - set(PARTS)
    if unknown:
        raise UsageError(f"{option}: unknown part(s) {', '.join(sorted(unknown))}; use {PART_HELP}")
    return parts


def _positive_ints(text: str, option: str, count: int | None = None) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"{option} must be comma-separated whole numbers") from None
    if not values or any(v < 1 for v in values) or (count and len(values) != count):
        what = f"{count} " if count else ""
        raise UsageError(f"{option} must be {what}comma-separated numbers of at least 1")
    return values


def options_from(args):
    from app.bench import dataset, tuning
    from app.bench.runner import PARTS, BenchOptions

    if args.replicas < 0 or args.replicas == 1:
        raise UsageError("--replicas must be 2 or more (or 0 for none)")
    if args.duration is not None and args.duration <= 0:
        raise UsageError("--duration must be more than 0 seconds")
    if args.calls is not None and args.calls < 1:
        raise UsageError("--calls must be at least 1")
    only, skip = _parts(args.only, "--only"), _parts(args.skip, "--skip")
    parts = (only or set(PARTS)) - skip
    if "replicas" in (only or set()) and not args.replicas:
        raise UsageError("--only replicas needs --replicas N")
    sizes = None
    if args.size:
        sizes = dataset.Sizes(*_positive_ints(args.size, "--size", 3))
    return BenchOptions(
        quick=args.quick,
        database=args.database,
        replicas=args.replicas,
        levels=tuple(_positive_ints(args.levels, "--levels")),
        duration_s=args.duration,
        sizes=sizes,
        calls=args.calls,
        parts=frozenset(parts),
        keep=args.keep,
        seed=args.seed,
        streamlit_options=tuning.parse(args.set),
        clock=not args.no_clock,
    )


def _bar_factory():
    from app.cli.progress import ProgressBar

    def make(label: str):
        bar = ProgressBar(f"  {label}")

        def update(done: int, total: int) -> None:
            bar(done, total)
            if done >= total:
                bar.close()

        return update

    return make


def _absolute_sqlite(url: str | None) -> str | None:
    """A relative SQLite path made absolute (the bench works from the project folder)."""
    prefix = "sqlite:///"
    if url and url.startswith(prefix) and not url.startswith(prefix + "/"):
        return prefix + str(Path(url[len(prefix) :]).resolve())
    return url


def _require_bench_extra() -> None:
    """The load test speaks websocket: without the ``bench`` extra, say so in one line."""
    try:
        import websockets  # noqa: F401
    except ImportError:
        raise UsageError(
            "the bench needs the websockets package: pip install -e '.[bench]'"
        ) from None


def run(args) -> int:
    from app.settings import PROJECT_ROOT, get_settings

    if args.against:
        return _run_against(args)
    _require_bench_extra()
    args.database = _absolute_sqlite(args.database)
    target = Path(args.json).resolve() if args.json else None
    if target is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = get_settings().data_dir.resolve() / "bench" / f"bench-{stamp}.json"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    # Read .streamlit/config.toml from where the servers read it, as `serve` does.
    here = os.getcwd()
    os.chdir(PROJECT_ROOT)
    # SIGTERM (a timeout, a service manager) unwinds like Ctrl-C, so every server,
    # replica and nginx the bench started is stopped and its database dropped.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _run(options_from(args), target)
    finally:
        signal.signal(signal.SIGTERM, previous)
        os.chdir(here)


def _terminated(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _say(message: str) -> None:
    """Progress goes to stderr; the table (stdout) stays clean for a pipe."""
    print(message, file=sys.stderr, flush=True)


def _run(options, target: Path) -> int:
    from streamlit.logger import set_log_level

    from app.bench.runner import format_report, run_bench

    # AppTest runs pages here without a server; Streamlit warns about that on every run.
    set_log_level("error")

    result = run_bench(options, say=_say, bar=_bar_factory())
    print(format_report(result))
    target.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nfigures written to {target}")
    return 0


def _bench_args(args) -> list[str]:
    """The options of this command for each side of a paired run (parts already checked)."""
    from app.bench.paired import PAIRED_PARTS

    only = _parts(args.only, "--only") or set(PAIRED_PARTS)
    parts = sorted((only - _parts(args.skip, "--skip")) & set(PAIRED_PARTS))
    if not parts:
        raise UsageError(f"--against compares only these parts: {', '.join(PAIRED_PARTS)}")
    out = ["--only", ",".join(parts), "--seed", str(args.seed)]
    out += ["--quick"] if args.quick else []
    out += ["--size", args.size] if args.size else []
    out += ["--calls", str(args.calls)] if args.calls else []
    out += ["--database", args.database] if args.database else []
    for option in args.set:
        out += ["--set", option]
    return out


def _run_against(args) -> int:
    from app.bench.paired import PairedRunError, format_comparison, run_paired
    from app.settings import PROJECT_ROOT, get_settings

    other = Path(args.against).expanduser().resolve()
    if not (other / "app" / "__main__.py").is_file():
        raise UsageError(f"--against: {other} is not a checkout of this project (no app/)")
    if args.rounds < 1:
        raise UsageError("--rounds must be at least 1")
    if args.replicas:
        raise UsageError("--against leaves the load test and the replicas out")
    options_from(args)  # the same checks as a plain run
    bench_args = _bench_args(args)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = (
        Path(args.json).resolve()
        if args.json
        else get_settings().data_dir.resolve() / "bench" / f"paired-{stamp}.json"
    )
    work = target.with_suffix("")  # each round's figures and logs, beside the JSON
    try:
        work.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write {work}: {exc.strerror}") from None

    _say(f"before: {other}\nafter:  {PROJECT_ROOT}\nbench {' '.join(bench_args)}")
    try:
        rows, result = run_paired(
            before=other,
            after=PROJECT_ROOT,
            bench_args=bench_args,
            rounds=args.rounds,
            out_dir=work,
            say=_say,
        )
    except PairedRunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_comparison(rows, "before", "after"))
    target.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nfigures written to {target} (each round's in {work})")
    return 0
