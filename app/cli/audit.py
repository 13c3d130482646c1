"""``python -m app audit verify|expire``: check the audit log's hash chain; record expiries.

- ``verify`` exits 0 and prints ``audit log ok (N entries)`` (and the head to keep
  elsewhere), or exits 1 listing every problem. ``--head ID:HASH`` checks that an entry
  remembered from an earlier run is still there unchanged (catches a log cut short).
- ``expire`` appends an "expired" event for each certificate past its expiry date that
  has none yet (run it daily, e.g. from cron); prints how many were written.
"""

from __future__ import annotations

import re

from app.cli import UsageError

_HEAD = re.compile(r"^(\d+):([0-9a-f]{64})$")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "audit", help="verify the audit log; record certificate expiries"
    )
    commands = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = commands.add_parser("verify", help="check the hash chain of the audit log")
    verify.add_argument(
        "--head",
        action="append",
        default=[],
        metavar="ID:HASH",
        help="an entry printed by an earlier verify that must still be there (repeatable)",
    )
    verify.set_defaults(func=run_verify)
    expire = commands.add_parser("expire", help="log an 'expired' event for expired certificates")
    expire.set_defaults(func=run_expire)


def _anchors(values: list[str]) -> list[tuple[int, str]]:
    anchors = []
    for value in values:
        match = _HEAD.match(value.strip().lower())
        if not match:
            raise UsageError(f"--head must look like ID:HASH (64 hex digits), got {value!r}")
        anchors.append((int(match.group(1)), match.group(2)))
    return anchors


def run_verify(args) -> int:
    from app.services.audit import verify_log

    report = verify_log(anchors=_anchors(args.head))
    if report.ok:
        print(f"audit log ok ({report.entries} entries)")
        if report.head:
            print(f"head {report.head[0]}:{report.head[1]}")
        return 0
    print(f"audit log has {len(report.problems)} problem(s) in {report.entries} entries:")
    for problem in report.problems:
        print(f"  {problem}")
    return 1


def run_expire(args) -> int:
    from app.services.certification import record_expiries

    written = record_expiries()
    print(f"{written} expiry event(s) recorded")
    return 0
