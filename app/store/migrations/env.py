"""Alembic environment: runs against the engine app.store.db would use."""

from alembic import context
from sqlmodel import SQLModel

import app.store.models  # noqa: F401 - registers the tables
from app.store.db import get_engine, is_sqlite

config = context.config
url = config.attributes.get("url")
engine = get_engine(write=True, url=url)


def run_migrations_online() -> None:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=is_sqlite(str(engine.url)),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
