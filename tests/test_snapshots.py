"""Snapshots: a process loading a long exercise starts from the last snapshot and folds only what follows,
and reaches exactly the state a fold of the whole log reaches; a snapshot it cannot trust is ignored."""

from __future__ import annotations

import os
import pickle

import pytest
from facilitator import create_app
from facilitator.engine import PostMessage, evolve, initial_state
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.persistence import snapshots
from facilitator.persistence.models import ExerciseRow, SnapshotRow


@pytest.fixture
def every(monkeypatch):
    monkeypatch.setattr(snapshots, "EVERY", 50)
    return 50


def _long(exercises, n: int) -> str:
    exercise_id = exercises.create("demo").id
    for k in range(n):
        exercises.execute(exercise_id, PostMessage("plenary", f"line {k}"), UMPIRE_ACTOR)
    return exercise_id


def _fresh(app):
    """Another process on the same database (nothing in memory)."""
    other = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]})
    return other.extensions["facilitator"]


def _folded(exercises, exercise_id):
    """The state a fold of the whole log reaches."""
    with exercises.db.read() as session:
        row = session.get(ExerciseRow, exercise_id)
        state = initial_state(exercises.deck(exercise_id), row.seed, row.id, row.title)
        for event in exercises.store.load(session, exercise_id):
            state = evolve(state, event)
    return state


def _snapshot(exercises, exercise_id) -> SnapshotRow | None:
    with exercises.db.read() as session:
        return session.get(SnapshotRow, exercise_id)


def test_a_fresh_process_starts_from_the_snapshot_and_reaches_the_same_state(app, exercises, every):
    exercise_id = _long(exercises, 173)
    assert _snapshot(exercises, exercise_id).seq == 150  # every 50 events, in the command's transaction
    fresh = _fresh(app)
    try:
        live = fresh.exercises._get(exercise_id)
        assert live.state.seq == 150  # started from the snapshot, not from seq 0
        state = fresh.exercises.state(exercise_id)  # and folded the 23 events after it
        assert state.seq == 173
        assert state == _folded(exercises, exercise_id) == exercises.state(exercise_id)
        fresh.exercises.execute(exercise_id, PostMessage("plenary", "after the restart"), UMPIRE_ACTOR)
        assert fresh.exercises.state(exercise_id) == _folded(exercises, exercise_id)
    finally:
        fresh.db.dispose()


def _alter(exercises, exercise_id, **values) -> None:
    with exercises.db.write() as session:
        row = session.get(SnapshotRow, exercise_id)
        for key, value in values.items():
            setattr(row, key, value)


@pytest.mark.parametrize("change", ["engine", "ahead", "garbage"])
def test_a_snapshot_that_cannot_be_trusted_is_ignored_and_the_log_folded(app, exercises, every, change, caplog):
    exercise_id = _long(exercises, 60)
    _alter(exercises, exercise_id, **{"engine": {"engine": "an older engine"}, "ahead": {"seq": 10_000},
                                      "garbage": {"state": b"not a snapshot"}}[change])
    fresh = _fresh(app)
    try:
        assert fresh.exercises._get(exercise_id).state.seq == 0  # from the start
        assert fresh.exercises.state(exercise_id) == _folded(exercises, exercise_id)
    finally:
        fresh.db.dispose()


class _Payload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.system, (f"touch {self.path}",)


def test_a_snapshot_row_someone_altered_cannot_run_code(app, exercises, every, tmp_path):
    exercise_id = _long(exercises, 50)
    marker = tmp_path / "ran"
    _alter(exercises, exercise_id, state=pickle.dumps(_Payload(marker)))
    fresh = _fresh(app)
    try:
        assert fresh.exercises.state(exercise_id) == _folded(exercises, exercise_id)
        assert not marker.exists()
    finally:
        fresh.db.dispose()
