"""The log's hash chain: every stored event is chained to the one before, and ``facilitator exercises verify``
names the first event altered, missing or out of order."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from facilitator.engine import AdvancePhase, PostMessage
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.persistence.models import EventRow


@pytest.fixture
def played(exercises):
    created = exercises.create("demo")
    olena, _ = exercises.join(created.join_codes["ukraine"], "Olena")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    for n in range(5):
        exercises.execute(created.id, PostMessage("plenary", f"message {n}"), olena.actor)
    return created.id


def verdict(exercises, exercise_id):
    with exercises.db.read() as session:
        return exercises.store.verify(session, exercise_id)


def test_every_event_is_chained_and_an_untouched_log_verifies(exercises, played, runner):
    with exercises.db.read() as session:
        hashes = session.scalars(select(EventRow.hash).where(EventRow.exercise_id == played)
                                 .order_by(EventRow.seq)).all()
    assert len(hashes) == exercises.state(played).seq and all(h and len(h) == 64 for h in hashes)
    assert len(set(hashes)) == len(hashes)
    assert verdict(exercises, played).ok
    result = runner.invoke(args=["exercises", "verify", played])
    assert result.exit_code == 0 and f"intact: {len(hashes)} events" in result.output


def tamper_text(session, exercise_id):
    row = session.scalar(select(EventRow).where(EventRow.exercise_id == exercise_id, EventRow.type == "message_posted")
                         .order_by(EventRow.seq).offset(2))
    row.data = {**row.data, "text": "I never said that"}
    return row.seq


@pytest.mark.parametrize("how", ["altered", "removed", "swapped", "cut off"])
def test_verify_names_the_first_event_at_fault(exercises, played, runner, how):
    last = exercises.state(played).seq
    with exercises.db.write() as session:
        if how == "altered":
            seq, problem = tamper_text(session, played), "altered"
        elif how == "removed":
            session.execute(delete(EventRow).where(EventRow.exercise_id == played, EventRow.seq == 4))
            seq, problem = 4, "missing"
        elif how == "swapped":  # two events trade places
            session.execute(update(EventRow).where(EventRow.exercise_id == played, EventRow.seq == 5).values(seq=-5))
            session.execute(update(EventRow).where(EventRow.exercise_id == played, EventRow.seq == 6).values(seq=5))
            session.execute(update(EventRow).where(EventRow.exercise_id == played, EventRow.seq == -5).values(seq=6))
            seq, problem = 5, "out of order"
        else:
            session.execute(delete(EventRow).where(EventRow.exercise_id == played, EventRow.seq == last))
            seq, problem = last, "missing"
    found = verdict(exercises, played)
    assert not found.ok and found.seq == seq and problem in found.problem, found
    result = runner.invoke(args=["exercises", "verify", played])
    assert result.exit_code == 1 and f"Event #{seq}:" in result.output


def test_events_appended_after_a_verification_extend_the_chain(exercises, played):
    exercises.execute(played, PostMessage("plenary", "one more"), UMPIRE_ACTOR)
    assert verdict(exercises, played).ok


def test_the_migration_chains_the_events_stored_before_it(exercises, played):
    """Down to 0003 (no hashes) and up again: migration 0004 computes the chain of the log as it stands."""
    from facilitator.persistence.migrate import downgrade, upgrade

    exercises.db.dispose()
    downgrade(exercises.db, "0003", code_key=exercises.code_key)
    upgrade(exercises.db, code_key=exercises.code_key)
    assert verdict(exercises, played).ok


def test_the_migration_chains_a_log_whose_texts_hold_a_lone_surrogate(exercises, played, runner):
    """A log stored before texts were cleaned may hold a lone surrogate in an event's JSON (a message, the name
    in its actor): 0004 removes it, as the server now removes one from every text, and chains the log."""
    from facilitator.persistence.migrate import downgrade, upgrade

    exercises.db.dispose()
    downgrade(exercises.db, "0003", code_key=exercises.code_key)
    with exercises.db.engine.begin() as connection:  # written as an older server wrote it: the JSON escapes it
        connection.execute(update(EventRow.__table__).where(EventRow.exercise_id == played, EventRow.seq == 2)
                           .values(data={"channel": "plenary", "text": "message \ud800zero"},
                                   actor={"role": "delegation", "delegation": "ukraine", "participant": "p",
                                          "name": "Ole\udfffna"}))
    upgrade(exercises.db, code_key=exercises.code_key)
    assert verdict(exercises, played).ok
    with exercises.db.read() as session:
        row = session.scalars(select(EventRow).where(EventRow.exercise_id == played, EventRow.seq == 2)).one()
    assert row.data["text"] == "message zero" and row.actor["name"] == "Olena"
    result = runner.invoke(args=["exercises", "export", played])
    assert result.exit_code == 0 and "message zero" in result.output
