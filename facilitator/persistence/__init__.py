"""Storage: SQLAlchemy models, the database handle, and the append-only event store."""

from .db import Database
from .store import EventStore, StaleSequence

__all__ = ["Database", "EventStore", "StaleSequence"]
