"""``python -m app records export --agency SLUG [--out FILE]``: training records as CSV.

One row per trainee and certificate, in the format of ``docs/records-export.md``; the
same file the supervisor downloads from the Cohort page. Without ``--out`` the CSV goes
to standard output.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.cli import UsageError


def register(subparsers) -> None:
    parser = subparsers.add_parser("records", help="export training records (CSV)")
    commands = parser.add_subparsers(dest="records_command", metavar="ACTION", required=True)
    export = commands.add_parser("export", help="one agency's training records as CSV")
    export.add_argument("--agency", required=True, metavar="SLUG", help="the agency")
    export.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    export.set_defaults(func=run_export)


def run_export(args) -> int:
    from app.services.records_export import agency_csv

    data = agency_csv(args.agency.strip())
    if not args.out:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UsageError(f"--out: the folder {out.parent} does not exist")
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)  # never a half-written file
    rows = data.count(b"\r\n") - 1
    print(f"wrote {rows} row(s) to {out}")
    return 0
