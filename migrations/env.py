"""Alembic environment. Run through `facilitator db upgrade` (or `flask --app facilitator db upgrade`)."""

from alembic import context
from sqlalchemy import pool

from facilitator.persistence.db import make_engine
from facilitator.persistence.models import Base

config = context.config
target_metadata = Base.metadata
OPTIONS = dict(target_metadata=target_metadata, render_as_batch=True, compare_type=True)


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
