"""Running the Alembic migrations in ``migrations/`` against a database.

Alembic is imported by the functions that use it: a server process never migrates, and importing Alembic
would cost each one about 6 MB (docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .db import Database
from .models import Base

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(db: Database) -> Config:
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head", code_key: bytes | None = None) -> None:
    """Migrate ``db`` up to ``revision``. ``code_key``: the installation's key for join and observer codes
    (``services.tokens.code_key``), needed only when a migration rekeys stored codes (0005)."""
    from alembic import command
    config = alembic_config(db)
    config.attributes["code_key"] = code_key
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(db: Database, revision: str, code_key: bytes | None = None) -> None:
    from alembic import command
    config = alembic_config(db)
    config.attributes["code_key"] = code_key
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(db: Database) -> str | None:
    from alembic.migration import MigrationContext
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(db: Database) -> str | None:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def drift(db: Database) -> list:
    """Differences between the models and the migrated schema (empty when they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)
