"""The schema comes from the Alembic migrations, and the models agree with them."""

from __future__ import annotations

from sqlalchemy import inspect

from facilitator.persistence import Database
from facilitator.persistence.migrate import current_revision, downgrade, drift, head_revision, upgrade


def test_upgrade_creates_the_schema_on_an_empty_file_and_a_second_run_does_nothing(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert current_revision(db) is None
    upgrade(db)
    assert current_revision(db) == head_revision(db)
    tables = set(inspect(db.engine).get_table_names())
    assert {"exercises", "seats", "participants", "events", "alembic_version"} <= tables
    upgrade(db)
    assert current_revision(db) == head_revision(db)
    db.dispose()


def test_models_and_migrations_do_not_drift(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'drift.sqlite3'}")
    upgrade(db)
    assert drift(db) == []
    db.dispose()


def test_event_log_has_a_unique_key_on_exercise_and_seq(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    upgrade(db)
    uniques = inspect(db.engine).get_unique_constraints("events")
    assert any(set(u["column_names"]) == {"exercise_id", "seq"} for u in uniques)
    db.dispose()


def test_downgrade_to_base_and_back(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'down.sqlite3'}")
    upgrade(db)
    downgrade(db, "base")
    assert "events" not in inspect(db.engine).get_table_names()
    upgrade(db)
    assert "events" in inspect(db.engine).get_table_names()
    db.dispose()
