"""Adjudication: free moves and adjudicated cards wait in a queue only exercise control sees; the umpire rules,
optionally with a roll made once from the seed; the mover and those named learn the ruling, nobody else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from facilitator.engine import PlaySignal, replay, view_state, visible_to
from facilitator.engine.adjudication import AdjudicateMove, SubmitMove, roll_for
from facilitator.engine.injects import IndicatorDelta

from .test_engine import A, B, C, D, OBSERVER, UMPIRE, Game, mini_deck, of_type, one, seen_by
from .test_event_list import ASSISTANT

MOVE = SubmitMove("Alpha mines the strait", "Beta's navy stays in port", "We hold the coast")


def adjudicated_card(data):
    data["signals"][2]["adjudicated"] = 40  # show-of-force needs the umpire


def game() -> Game:
    return Game(mini_deck(adjudicated_card)).seat_all().advance(2)


def moves(g: Game, viewer) -> list[dict]:
    return view_state(g.state, viewer)["moves"]


def test_a_free_move_waits_in_a_queue_only_the_umpire_and_the_mover_see_with_its_age():
    g = game()
    submitted = one(g.run(MOVE, A), "move_submitted")
    assert seen_by(submitted, A, B, C, D, OBSERVER) == [True, False, False, False, False]
    queue = moves(g, UMPIRE)
    assert queue[0]["status"] == "waiting" and queue[0]["submitted_by"] == "Ann"
    assert queue[0]["submitted_at"] == g.now.isoformat()  # the console shows its age from here
    assert moves(g, A)[0]["reasons"] == "We hold the coast"
    for viewer in (B, C, D, OBSERVER):
        assert moves(g, viewer) == []
        assert "mines the strait" not in repr([e.to_dict() for e in g.log if visible_to(e, viewer)])


def test_a_ruling_with_a_roll_is_recorded_with_its_odds_and_replays_identically():
    g = game()
    g.run(MOVE, A)
    events = g.run(AdjudicateMove(1, "approved", "The mines are laid.", odds=70,
                                  indicators=(IndicatorDelta("tension", 2),), trust=-10, between=("b",),
                                  reason="mines in the strait", tell=("b",)), UMPIRE)
    ruling = one(events, "move_adjudicated")
    roll = roll_for("seed-1", 1)
    assert ruling.data["roll"] == roll and ruling.data["odds"] == 70 and ruling.data["succeeded"] == (roll <= 70)
    assert seen_by(ruling, A, B, C, D, OBSERVER) == [True, True, False, False, False]
    if ruling.data["succeeded"]:
        assert one(events, "indicator_changed").data["reason"] == "mines in the strait"
    else:
        assert of_type(events, "indicator_changed") == []
    assert replay(g.deck, g.log, seed=g.seed) == g.state  # the roll is in the log: a replay never re-rolls
    told = moves(g, B)[0]
    assert told["status"] == "approved" and "reasons" not in told and told["roll"] == roll
    assert moves(g, C) == []


def test_rolls_decide_effects_failure_applies_nothing():
    """Across many seeds, a success applies the effects and a failure none."""
    outcomes = set()
    for n in range(12):
        g = Game(mini_deck(adjudicated_card), seed=f"seed-{n}").seat_all().advance(2)
        g.run(MOVE, A)
        before = g.state.indicators["tension"]
        events = g.run(AdjudicateMove(1, "modified", "Half the mines.", odds=50,
                                      indicators=(IndicatorDelta("tension", 1),), reason="mines"), UMPIRE)
        succeeded = one(events, "move_adjudicated").data["succeeded"]
        outcomes.add(succeeded)
        assert g.state.indicators["tension"] == before + (1 if succeeded else 0)
    assert outcomes == {True, False}


def test_a_rejected_move_has_no_roll_and_no_effects_and_a_move_is_ruled_once():
    g = game()
    g.run(MOVE, A)
    g.refused(AdjudicateMove(1, "rejected", odds=50), UMPIRE, "invalid")
    g.refused(AdjudicateMove(1, "rejected", indicators=(IndicatorDelta("tension", 1),), reason="x"), UMPIRE,
              "invalid")
    g.refused(AdjudicateMove(1, "modified"), UMPIRE, "invalid")  # say how
    g.refused(AdjudicateMove(1, "maybe"), UMPIRE, "invalid")
    g.refused(AdjudicateMove(1, "approved", indicators=(IndicatorDelta("tension", 1),)), UMPIRE, "invalid")  # reason
    g.run(AdjudicateMove(1, "rejected", "Not plausible."), ASSISTANT)  # assistants adjudicate too
    g.refused(AdjudicateMove(1, "approved"), UMPIRE, "conflict")
    g.refused(AdjudicateMove(2, "approved"), UMPIRE, "not_found")


@pytest.mark.parametrize("actor", [A, B, C, OBSERVER], ids=["mover", "other", "mediator", "observer"])
def test_only_exercise_control_adjudicates(actor):
    g = game()
    g.run(MOVE, A)
    g.refused(AdjudicateMove(1, "approved"), actor, "forbidden")


def test_a_card_marked_adjudicated_is_submitted_as_a_move_and_leaves_the_hand():
    g = game()
    g.refused(PlaySignal("show-of-force", toward=("b",)), A, "adjudicated")
    g.run(SubmitMove("A show of force at the border", card="show-of-force"), A)
    hand = [c["id"] for c in next(d for d in view_state(g.state, A)["delegations"] if d["id"] == "a")["hand"]]
    assert "show-of-force" not in hand
    g.refused(SubmitMove("Again", card="show-of-force"), A, "not_in_hand")
    g.refused(SubmitMove("Not a card for this", card="olive-branch"), A, "not_found")
    g.refused(SubmitMove("  "), A, "invalid")
    g.refused(MOVE, OBSERVER, "forbidden")
    g.refused(MOVE, UMPIRE, "forbidden")


def test_moves_wait_until_the_exercise_starts():
    g = Game(mini_deck(adjudicated_card)).seat_all()
    g.refused(MOVE, A, "not_started")
    g.advance(1)
    g.run(MOVE, A, g.now + timedelta(minutes=1))
