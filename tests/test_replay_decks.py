"""Replay on every shipped deck: the scripted sessions of the deck tests, stored, then replayed through the
replay service at every seq a command left the log at and for every perspective, equal what the engine held live at that seq.

The snapshots are made every few events here, so most seeks start from a snapshot, some from the
exercise's start, and the timeline's played time and charts follow the live clock and gauges.
"""

from __future__ import annotations

import pytest

from facilitator.engine import view_state
from facilitator.engine.visibility import PUBLIC, perspective_for, perspective_key, perspectives
from facilitator.engine.audience import Actor
from facilitator.extensions import services
from facilitator.persistence.models import ExerciseRow
from facilitator.services.replay import ReplayService

from . import test_scenario_decks as decks

SCRIPTS = {
    "three-track-talks": decks.test_three_track_talks_plays_through_a_linked_package,
    "talking-about-talking": decks.test_talking_about_talking_plays_signals_up_the_ladder,
    "kyiv-decides": decks.test_kyiv_decides_plays_small_deals_a_ceasefire_and_its_risks,
    "demo": decks.test_a_public_answer_to_a_private_signal_moves_the_gauges_without_telling_anyone_of_the_answer,
}


class Recorded(decks.Exercise):
    """The deck tests' exercise, keeping the live state after every command."""

    played: list["Recorded"] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.states = {0: self.state}
        Recorded.played.append(self)

    def run(self, actor, command):
        stored = super().run(actor, command)
        self.states[self.state.seq] = self.state  # as live clients hold it: after the command's last event
        return stored


def _session(deck_id: str, monkeypatch) -> Recorded:
    Recorded.played = []
    monkeypatch.setattr(decks, "Exercise", Recorded)
    SCRIPTS[deck_id]()
    assert Recorded.played, deck_id
    return max(Recorded.played, key=lambda ex: len(ex.log))


@pytest.mark.parametrize("deck_id", sorted(SCRIPTS))
def test_replay_at_every_seq_equals_the_live_state_for_every_perspective(deck_id, app, monkeypatch):
    ex = _session(deck_id, monkeypatch)
    with app.app_context():
        exercises = services().exercises
        created = exercises.create(ex.deck.id)
        with services().db.write() as session:
            row = session.get(ExerciseRow, created.id)
            row.seed, row.title = ex.seed, ex.deck.title
        with services().db.write() as session:
            exercises.store.append(session, created.id, ex.log, 0)
        replay = ReplayService(services().db, every=5)
        keys = [perspective_key(p) for p in perspectives(ex.deck)] + [PUBLIC]
        compared = 0
        for seq, live in sorted(ex.states.items()):
            for key in keys:
                got = replay.replay(created.id, Actor("umpire"), key, seq)["state"]
                want = view_state(live, perspective_for(key, ex.deck))
                got["exercise"]["id"] = want["exercise"]["id"]
                assert got == want, (deck_id, key, seq)
                compared += 1
        assert compared >= 60
        # The charts end where the live gauges ended, for the umpire.
        timeline = replay.timeline(created.id, Actor("umpire"), "umpire")
        final = ex.state
        for series in timeline["series"]:
            kind, name = series["id"].split(":", 1)
            if kind == "indicator":
                assert series["points"][-1][1] == final.indicators[name]
            else:
                relation = final.relations[tuple(name.split("~"))]
                assert series["points"][-1][1] == getattr(relation, kind)
        assert timeline["played"] == pytest.approx(final.clock.exercise_played_at(ex.now), abs=0.01)
