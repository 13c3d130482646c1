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
            "that differ only in who the people are (2 x COUNT files). With --check the calls "
            "are also checked (OUT is then optional): each must validate, follow the keying "
            "policy and hang together (time words, the caller's role, one fact per thing, "
            "openings, red herrings, the dispatch model, variety); every finding is printed as "
            "FILE:LINE: message and the exit code is 1 when there is any."
        ),
    )
    p.add_argument("--count", required=True, metavar="N", help="number of calls (1..100000)")
    p.add_argument("--seed", required=True, metavar="S", help="whole number; same seed, same files")
    p.add_argument("--out", metavar="DIR", help="folder to write into (optional with --check)")
    p.add_argument(
        "--mix",
        metavar="FILE",
        help="YAML {call_type_or_group: weight}, plus shares such as 'language:es: 0.25' or "
        "'kind:dropped: 0.1' (default: built-in mix)",
    )
    p.add_argument("--twins", action="store_true", help="write counterfactual twin pairs")
    p.add_argument(
        "--check",
        action="store_true",
        help="check every call: validation, keying policy and coherence (exit 1 on a finding)",
    )
    p.add_argument(
        "--model",
        metavar="MODEL",
        help="the agency's dispatch model the calls are written for "
        "(call_center_led, embedded_professional, external_hotline; default: the protocol's)",
    )
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
    if args.out is None and not args.check:
        raise UsageError("--out is required (or use --check to check the calls without writing)")
    out = Path(args.out) if args.out is not None else None
    if out is not None and out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    if args.mix is not None and not Path(args.mix).is_file():
        raise UsageError(f"--mix {args.mix}: no such file")
    protocol = _protocol(args.model)

    bar = None
    if count >= PROGRESS_FROM:
        from app.cli.progress import ProgressBar

        bar = ProgressBar("generating")
    try:
        scenarios = generate(
            count, seed, mix=args.mix, twins=args.twins, protocol=protocol, progress=bar
        )
    finally:
        if bar is not None:
            bar.close()
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            for scenario in scenarios:
                (out / f"{scenario.id}.yaml").write_bytes(scenario.yaml_text.encode("utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot write to {out}: {exc.strerror}") from None
        print(f"wrote {len(scenarios)} scenarios to {out}", file=sys.stderr)
    if not args.check:
        return 0
    where = str(out) if out is not None else f"generated(seed {seed})"
    bar = None
    if count >= PROGRESS_FROM:
        from app.cli.progress import ProgressBar

        bar = ProgressBar("checking")
    try:
        problems = check_generated(scenarios, where, protocol, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    for line in problems:
        print(line)
    print(
        f"{len(scenarios)} generated call(s) checked: {len(problems)} finding(s)",
        file=sys.stderr,
    )
    return 1 if problems else 0


def _protocol(model: str | None):
    from dataclasses import replace

    from app.core.protocol import DISPATCH_MODELS, load_protocol

    protocol = load_protocol()
    if model is None:
        return protocol
    if model not in DISPATCH_MODELS:
        raise UsageError(f"--model must be one of {', '.join(DISPATCH_MODELS)}, not {model!r}")
    return replace(protocol, dispatch_model=model)


def check_generated(scenarios, where: str, protocol, progress=None) -> list[str]:
    """Every problem of a batch of generated calls as ``FILE:LINE: message``: the scenario
    format, the keying policy, then coherence (each call, then the batch's variety)."""
    from app.core.bank_lint import LintItem, lint_groups, lint_scenario
    from app.core.generator.coherence import check_call, rule_variety
    from app.core.scenario import parse_scenario

    problems: list[str] = []
    items = []
    for index, scenario in enumerate(scenarios):
        name = f"{where}/{scenario.id}.yaml"
        data, found = parse_scenario(scenario.yaml_text, name)
        problems += [str(p) for p in found if p.is_error]
        if data is not None:
            item = LintItem(data, name, scenario.yaml_text)
            items.append(item)
            problems += map(str, lint_scenario(item, protocol))
            problems += map(str, check_call(item, protocol.dispatch_model))
        if progress is not None:
            progress(index + 1, len(scenarios))
    problems += map(str, lint_groups(items))
    problems += map(str, rule_variety(items))
    return problems
