"""``python -m app bank report|lint``: coverage of the scenario bank, and its keying policy.

``bank lint [PATH...] [--generated N --seed S]`` checks every scenario (default: the
repository's ``scenarios/``; with ``--generated``, also N generated calls) against the
machine-checkable rules of ``content/keying-policy.md`` (see :mod:`app.core.bank_lint`)
and prints ``FILE:LINE: message`` per finding; exit 1 on any finding or invalid file.

``bank report``:
Counts the valid scenarios under PATH (default: the repository's ``scenarios/``) by
final call type, disqualifier, dispatch model, difficulty and channel, and lists the
gaps against the bank minimums (see :mod:`app.core.bank_report`). Files with errors
are left out of the counts and named on standard error. Exit 0 when there is no gap,
1 when there is at least one, 2 for a path that does not exist.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from app.cli import UsageError

DEFAULT_BANK = Path(__file__).resolve().parents[2] / "scenarios"


def register(subparsers) -> None:
    parser = subparsers.add_parser("bank", help="Report on the scenario bank.")
    commands = parser.add_subparsers(dest="bank_command", metavar="ACTION", required=True)
    report = commands.add_parser(
        "report",
        help="count scenarios by call type, disqualifier, model, difficulty and channel; "
        "list gaps against the bank minimums (exit 1 when there are gaps)",
    )
    report.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="scenario files or folders (default: the scenarios/ folder)",
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.set_defaults(func=run_report)
    lint = commands.add_parser(
        "lint",
        help="check every key against the keying policy; FILE:LINE: message per finding "
        "(exit 1 on any)",
    )
    lint.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="scenario files or folders (default: the scenarios/ folder)",
    )
    lint.add_argument("--generated", metavar="N", help="also lint N generated calls (with --seed)")
    lint.add_argument("--seed", metavar="S", default="1", help="seed for --generated (default 1)")
    lint.set_defaults(func=run_lint)


def _whole(value: str, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UsageError(f"--{name} must be a whole number, not {value!r}") from None


def _shown(path: Path | str) -> str:
    """A path as people typed it: relative to the working folder when below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run_lint(args: argparse.Namespace) -> int:
    from app.core.bank_lint import LintItem, lint_bank
    from app.core.scenario import load_paths, parse_scenario

    paths = [Path(p) for p in args.paths] or [Path(os.path.relpath(DEFAULT_BANK))]
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
    count = None if args.generated is None else _whole(args.generated, "generated")
    seed = _whole(args.seed, "seed")
    loaded, problems = load_paths(paths)
    errors = [p for p in problems if p.is_error]
    items = [LintItem(item.data, _shown(item.path), item.text) for item in loaded]
    generated = 0
    if count is not None:
        from app.core.generator import MAX_COUNT, generate

        if not 1 <= count <= MAX_COUNT:
            raise UsageError(f"--generated must be from 1 to {MAX_COUNT}")
        for scenario in generate(count, seed):
            name = f"generated(seed {seed})/{scenario.id}.yaml"
            data, found = parse_scenario(scenario.yaml_text, name)
            errors += [p for p in found if p.is_error]
            if data is not None:
                items.append(LintItem(data, name, scenario.yaml_text))
                generated += 1
    findings = lint_bank(items)
    for line in [*map(str, errors), *map(str, findings)]:
        print(line)
    print(
        f"{len(items) - generated} scenario(s) and {generated} generated call(s) linted: "
        f"{len(findings)} finding(s), {len(errors)} invalid",
        file=sys.stderr,
    )
    return 1 if findings or errors else 0


def run_report(args: argparse.Namespace) -> int:
    from app.core.bank_report import bank_report
    from app.core.scenario import load_paths

    paths = [Path(p) for p in args.paths] or [DEFAULT_BANK]
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
    loaded, problems = load_paths(paths)
    errors = [str(p) for p in problems if p.is_error]
    report = bank_report(item.data for item in loaded)
    if errors:
        bad = len({p.file for p in problems if p.is_error})
        for line in errors:
            print(line, file=sys.stderr)
        print(
            f"{bad} file(s) with errors left out of the report "
            f"(see: python -m app validate {' '.join(map(str, paths))})",
            file=sys.stderr,
        )
    if args.json:
        report["files_with_errors"] = sorted({p.file for p in problems if p.is_error})
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(render_text(report, paths))
    return 1 if report["gaps"] else 0


# ----------------------------------------------------------------------------- text


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    """Left-aligned first column, right-aligned numbers; zeros shown as '.'."""
    cells = [[str(h) for h in headers]] + [
        [str(row[0])] + [("." if v == 0 else str(v)) for v in row[1:]] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


_SPECIAL_LABELS = (
    ("crime_but_eligible", "crime but eligible (tag crime, no disqualifier)"),
    ("by_model_differing", "best route differs by dispatch model"),
    ("hotline_closed_night", "hotline closed, night call"),
    ("responders_unavailable", "responders unavailable"),
    ("third_party", "third-party caller (tag third-party)"),
    ("unsure_caller", 'caller says "I don\'t know" (tag unsure-caller)'),
)
_SHORT = {
    "police_only": "police-only",
    "call_center_led": "ccl",
    "embedded_professional": "emb",
    "external_hotline": "hotline",
    "non_emergency": "non-em",
    "hotline_direct": "direct",
    "police_referral": "referral",
}


def render_text(report: dict, paths: list[Path]) -> str:
    """The report as plain-text tables for a terminal."""
    from app.core.bank_report import ALL_MODELS, DIFFICULTIES
    from app.core.scenario.kinds import KIND_LABELS

    counts, special, minimums = report["counts"], report["special"], report["minimums"]
    dq_keys = list(counts["disqualifier"])
    model_keys = [m for m in counts["model"] if m != ALL_MODELS]
    out = [f"Scenario bank: {counts['total']} scenario(s) in {', '.join(map(str, paths))}", ""]

    headers = (
        ["call type (group)", "total"]
        + [_SHORT.get(d, d) for d in dq_keys]
        + [f"d{level}" for level in DIFFICULTIES]
        + [_SHORT.get(m, m) for m in model_keys]
    )
    rows = [
        [f"{code} ({row['group']})", row["total"]]
        + [row["disqualifier"].get(d, 0) for d in dq_keys]
        + [row["difficulty"].get(level, 0) for level in DIFFICULTIES]
        + [row["model"].get(m, 0) for m in model_keys]
        for code, row in report["by_call_type"].items()
    ]
    rows.append(
        ["all", counts["total"]]
        + [counts["disqualifier"].get(d, 0) for d in dq_keys]
        + [counts["difficulty"].get(level, 0) for level in DIFFICULTIES]
        + [counts["model"].get(m, 0) for m in model_keys]
    )
    out += [
        "By final call type: disqualifiers, difficulty (d1-d5), and the dispatch models "
        "whose best route differs",
        *_table(headers, rows),
        "",
        "By channel",
        *_table(["channel", "scenarios"], [[c, n] for c, n in counts["channel"].items()]),
        "",
        "By call-type group",
        *_table(["group", "scenarios"], [[g, n] for g, n in counts["group"].items()]),
        "",
        "Special cases",
        *_table(
            ["case", "have", "need"],
            [[label, special[key], minimums[key]] for key, label in _SPECIAL_LABELS],
        ),
        "",
        "Kinds of call",
        *_table(
            ["kind", "have", "need"],
            [
                [label, counts.get("call_kind", {}).get(kind, 0), minimums["per_call_kind"]]
                for kind, label in KIND_LABELS.items()
            ],
        ),
        "",
    ]
    gaps = report["gaps"]
    if gaps:
        out.append(f"Gaps ({len(gaps)}):")
        out += [f"  - {gap['message']}" for gap in gaps]
    else:
        out.append("No gaps: the bank meets every minimum.")
    return "\n".join(out)
