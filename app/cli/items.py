"""``python -m app items refresh``: work out the item statistics of the bank again.

Pages do this in the background when attempts came in (app/services/item_snapshot.py);
run it from cron after a big import, or to see how long it takes. Without ``--agency``
every agency is refreshed.
"""

from __future__ import annotations

from app.cli import UsageError


def register(subparsers) -> None:
    parser = subparsers.add_parser("items", help="item statistics of the scenario bank")
    commands = parser.add_subparsers(dest="items_command", metavar="ACTION", required=True)
    refresh = commands.add_parser(
        "refresh", help="work the item statistics out again and keep them"
    )
    which = refresh.add_mutually_exclusive_group()
    which.add_argument("--agency", metavar="SLUG", help="only this agency")
    which.add_argument("--agency-id", type=int, metavar="ID", help="only the agency with this id")
    refresh.set_defaults(func=run_refresh)


def run_refresh(args) -> int:
    from sqlmodel import col, select

    from app.services import item_snapshot
    from app.store.db import read_session
    from app.store.models import Agency, row_id

    with read_session() as session:
        query = select(Agency).order_by(col(Agency.id))
        if args.agency is not None:
            query = query.where(Agency.slug == args.agency)
        if args.agency_id is not None:
            query = query.where(Agency.id == args.agency_id)
        agencies = session.exec(query).all()
    if not agencies and (args.agency is not None or args.agency_id is not None):
        raise UsageError(
            f"no agency '{args.agency if args.agency is not None else args.agency_id}'"
        )
    for agency in agencies:
        result = item_snapshot.refresh(row_id(agency))
        print(
            f"{agency.slug}: {len(result.stats):,} item(s) from {result.attempts:,} attempt(s) "
            f"in {result.seconds:.1f} s"
        )
    return 0
