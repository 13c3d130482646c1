"""``python -m app generate``: write synthetic scenarios that validate."""

from __future__ import annotations

import sys
from pathlib import Path

from app.cli import UsageError

PROGRESS_FROM = 200  # show a progress bar on stderr from this many calls up


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "generate",
        help="write synthetic call scenarios (same seed, same files)",
        description=(
            "Write COUNT synthetic call scenarios to OUT/<id>.yaml. The same seed writes the "
            "same files byte for byte. With --twins every call comes as a pair <id>-a / <id>-b "
            "that differ only in who the people are (2 x COUNT files)."
        ),
    )
    p.add_argument("--count", required=True, metavar="N", help="number of calls (1..100000)")
    p.add_argument("--seed", required=True, metavar="S", help="whole number; same seed, same files")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    p.add_argument(
        "--mix", metavar="FILE", help="YAML {call_type_or_group: weight} (default: built-in mix)"
    )
    p.add_argument("--twins", action="store_true", help="write counterfactual twin pairs")
    p.set_defaults(func=run)


def _whole(value: str, name: str) -> int:
    try:
        return int(value, 10)
    except (TypeError, ValueError):
        raise UsageError(f"--{name} must be a whole number, not {value!r}") from None


def run(args) -> int:
    from app.core.generator import MAX_COUNT, generate

    count = _whole(args.count, "count")
    seed = _whole(args.seed, "seed")
    if not 1 <= count <= MAX_COUNT:
        raise UsageError(f"--count must be from 1 to {MAX_COUNT}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    if args.mix is not None and not Path(args.mix).is_file():
        raise UsageError(f"--mix {args.mix}: no such file")

    bar = None
    if count >= PROGRESS_FROM:
        from app.cli.progress import ProgressBar

        bar = ProgressBar("generating")
    try:
        scenarios = generate(count, seed, mix=args.mix, twins=args.twins, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    try:
        out.mkdir(parents=True, exist_ok=True)
        for scenario in scenarios:
            (out / f"{scenario.id}.yaml").write_bytes(scenario.yaml_text.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write to {out}: {exc.strerror}") from None
    print(f"wrote {len(scenarios)} scenarios to {out}", file=sys.stderr)
    return 0
