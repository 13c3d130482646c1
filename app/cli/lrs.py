"""``python -m app lrs status|push|replay --since DATE``: the learning-record outbox.

- ``status``: how many statements wait, were sent or were rejected (with the LRS's reason
  for each rejected one), then whether the LRS answers. Exit 2 with one ``error:`` line
  when LRS_URL is wrong or the LRS cannot be reached.
- ``push``: send what is due now (the server's background sender does the same every
  LRS_SEND_SECONDS). ``--all`` also sends statements waiting for their next retry.
- ``replay --since DATE``: queue again every statement recorded since DATE (YYYY-MM-DD or
  an ISO time; UTC), rejected ones included, and send them. Ids do not change, so the LRS
  keeps one copy of each.
"""

from __future__ import annotations

import datetime as dt
import sys

from app.cli import UsageError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lrs", help="learning records (xAPI): status, push, replay to the LRS"
    )
    commands = parser.add_subparsers(dest="lrs_command", metavar="ACTION", required=True)
    status = commands.add_parser("status", help="what waits, what was sent or rejected, and why")
    status.set_defaults(func=run_status)
    push = commands.add_parser("push", help="send the statements that are due")
    push.add_argument(
        "--all", action="store_true", help="also send those waiting for their next retry"
    )
    push.set_defaults(func=run_push)
    replay = commands.add_parser("replay", help="send again everything recorded since a date")
    replay.add_argument("--since", required=True, metavar="DATE", help="YYYY-MM-DD (UTC)")
    replay.set_defaults(func=run_replay)


def parse_since(value: str) -> dt.datetime:
    text = value.strip()
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since must be a date like 2026-12-01, got {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def run_status(args) -> int:
    from app.services import lrs

    ok, line = lrs.configuration_line()
    data = lrs.outbox_status()
    print(f"waiting {data['pending']}  sent {data['sent']}  rejected {data['rejected']}")
    if data["pending"]:
        print(f"oldest waiting statement recorded {_when(data['oldest_pending'])}")
    if data["last_problem"]:
        print(f"last problem: {data['last_problem']}")
    for row in data["rejected_rows"]:
        print(f"rejected {row['statement_id']} ({row['event']}): {row['reason']}")
    if not ok:
        raise UsageError(line)
    try:
        cfg = lrs.lrs_config()
    except lrs.LrsNotConfigured:
        print(line)
        return 0
    versions = lrs.check_lrs(cfg)
    print(f"LRS {cfg.url} answers: {versions}")
    return 0


def _push(*, everything: bool) -> int:
    from app.services import lrs
    from app.store.models import utcnow

    lrs.check_lrs()
    now = utcnow() + dt.timedelta(days=3650) if everything else None
    total = lrs.PushReport()
    while True:
        report = lrs.push(now=now)
        total.sent += report.sent
        total.rejected += report.rejected
        total.retry += report.retry
        total.details += report.details
        if report.sent + report.rejected and not report.problem:
            print(f"... {total.sent} sent, {total.rejected} rejected so far", file=sys.stderr)
        if report.problem or report.sent + report.rejected == 0:
            total.problem = report.problem
            break
    print(f"sent {total.sent}  rejected {total.rejected}")
    for detail in total.details:
        print(f"rejected {detail}")
    if total.problem:
        raise UsageError(f"stopped: {total.problem} (the rest will be tried again)")
    return 0


def run_push(args) -> int:
    return _push(everything=args.all)


def run_replay(args) -> int:
    from app.services import lrs

    since = parse_since(args.since)
    lrs.lrs_config()
    queued = lrs.replay(since=since)
    print(f"{queued} statement(s) recorded since {_when(since)} queued again")
    return _push(everything=False)
