"""Create the next numbered Alembic revision from the models (developers only).

    flock /tmp/callscreen-migration.lock .venv/bin/python -m app.store.new_migration "add x"

Autogenerates against a throwaway SQLite database migrated to head, so it never
touches real data. Review the file it writes: renames come out as drop + add.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from app.store.migrate import alembic_config, upgrade_to_head

VERSIONS = Path(__file__).with_name("migrations") / "versions"


def main(message: str) -> None:
    numbers = [int(p.name[:4]) for p in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py")]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/scratch.db"
        upgrade_to_head(url)
        command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "schema change")
