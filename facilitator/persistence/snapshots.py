"""Snapshots of an exercise's state, so that a process that loads a long exercise folds only the events
after the last snapshot, not the whole log (100,000 events: seconds of reading and folding).

A snapshot is the engine's state at one seq, pickled without its deck (the exercise row holds the deck).
It is a cache, never the record: it is ignored, and the log folded from the start, when the engine's code
changed since it was made (``ENGINE``: a digest of the engine's source), when it is ahead of the log, or
when it cannot be read. Reading allows only the engine's own classes and a few of Python's (a restricted
unpickler): a row someone altered cannot run code.
"""

from __future__ import annotations

import datetime as _datetime
import hashlib
import io
import logging
import pickle
import types
from pathlib import Path

from sqlalchemy import delete, select

from facilitator.engine import ExerciseState

from .models import SnapshotRow

log = logging.getLogger(__name__)

EVERY = 1000  # events between snapshots: a load folds at most this many after the snapshot


def _engine_digest() -> str:
    root = Path(__file__).resolve().parent.parent / "engine"
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


ENGINE = _engine_digest()
_DECK = "deck"
_ALLOWED = {("datetime", name) for name in ("datetime", "date", "timedelta", "timezone")} | \
           {("facilitator.persistence.snapshots", "mapping")}


def mapping(items: dict) -> types.MappingProxyType:
    """How a read-only mapping of the state is rebuilt (``MappingProxyType`` cannot be pickled as it is)."""
    return types.MappingProxyType(items)


class _Pickler(pickle.Pickler):
    def __init__(self, file, deck):
        super().__init__(file, protocol=5)
        self.deck = deck

    def persistent_id(self, obj):
        return _DECK if obj is self.deck else None

    def reducer_override(self, obj):
        if type(obj) is types.MappingProxyType:
            return mapping, (dict(obj),)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, deck):
        super().__init__(file)
        self.deck = deck

    def persistent_load(self, pid):
        if pid != _DECK:
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        return self.deck

    def find_class(self, module, name):
        if (module, name) in _ALLOWED or (module.startswith("facilitator.engine.") and "." not in name):
            found = super().find_class(module, name)
            if module.startswith("facilitator.engine.") and not isinstance(found, type):
                raise pickle.UnpicklingError(f"{module}.{name} is not a class of the engine")
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a snapshot")


def dump(state: ExerciseState) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, state.deck).dump(state)
    return buffer.getvalue()


def load(data: bytes, deck) -> ExerciseState:
    """The state ``dump`` made, with ``deck`` put back. Raises ``pickle.UnpicklingError`` (or another error of
    reading) for data that is not such a snapshot."""
    state = _Unpickler(io.BytesIO(data), deck).load()
    if not isinstance(state, ExerciseState):
        raise pickle.UnpicklingError("not an exercise's state")
    return state


def latest(session, exercise_id: str, deck, last_seq: int) -> tuple[ExerciseState, _datetime.datetime] | None:
    """The exercise's snapshot as (state, time of its last event), if there is a usable one."""
    row = session.scalar(select(SnapshotRow).where(SnapshotRow.exercise_id == exercise_id))
    if row is None or row.engine != ENGINE or row.seq > last_seq:
        return None
    try:
        state = load(row.state, deck)
    except Exception as exc:  # a cache: fold from the start instead
        log.warning("the snapshot of exercise %s at seq %s was not read (%s); folding its log", exercise_id,
                    row.seq, exc)
        return None
    if state.seq != row.seq or state.exercise_id != exercise_id:
        return None
    return state, row.at


def save(session, state: ExerciseState, at: _datetime.datetime) -> None:
    """Keep ``state`` (its last event at ``at``) as the exercise's snapshot, in the caller's transaction."""
    session.execute(delete(SnapshotRow).where(SnapshotRow.exercise_id == state.exercise_id))
    session.add(SnapshotRow(exercise_id=state.exercise_id, seq=state.seq, engine=ENGINE, state=dump(state), at=at))
