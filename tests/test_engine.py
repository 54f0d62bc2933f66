"""The pure engine, played as the server plays it: decide, store, evolve.

No Flask, no database: events are stored with ``event.stored(seq, at)`` and
folded with ``evolve``, exactly as the application does after commit.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from facilitator.decks import deck_from_data, load_deck, load_notes
from facilitator.engine import (
    Actor, AdjustIndicator, AdjustRelation, AdvancePhase, AmendProposal, Clause, DraftProposal, DrawCeasefireRisk,
    EndExercise, ExtendClock, FireInject, MAX_NAME, MAX_TEXT, OpenBackchannel, PauseClock, PlaySignal, PostMessage,
    ResumeClock, RuleError, SeatParticipant, SignProposal, WithdrawProposal, WithdrawSignal, decide, evolve,
    initial_state, replay, view_state, visible_to,
)
from facilitator.engine.audience import UMPIRE_ACTOR

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

UMPIRE = UMPIRE_ACTOR
OBSERVER = Actor("observer")
A = Actor("delegation", "a", "p-ann", "Ann")
B = Actor("delegation", "b", "p-bo", "Bo")
C = Actor("delegation", "c", "p-cy", "Cy")  # a mediator at the main table
D = Actor("delegation", "d", "p-di", "Di")


# ---- a small deck, built in the test ------------------------------------------

def mini_data() -> dict:
    """Four delegations and three tables. A fresh dict each call, so a test may change it."""
    src = ["test-note#1"]
    return {
        "id": "mini", "title": "Mini crisis", "summary": "Two belligerents, a mediator and an ally.",
        "delegations": [
            {"id": "a", "name": "Alpha", "kind": "belligerent", "public_brief": "Alpha in public.",
             "private_brief": "Alpha's secret.", "objectives": ["Alpha's aim"], "red_lines": ["Alpha's line"],
             "hand": ["olive-branch", "quiet-word", "show-of-force"]},
            {"id": "b", "name": "Beta", "kind": "belligerent", "public_brief": "Beta in public.",
             "private_brief": "Beta's secret.", "objectives": ["Beta's aim"], "hand": ["feeler"]},
            {"id": "c", "name": "Gamma", "kind": "mediator", "public_brief": "Gamma in public.",
             "private_brief": "Gamma's secret."},
            {"id": "d", "name": "Delta", "kind": "ally", "public_brief": "Delta in public.",
             "private_brief": "Delta's secret."},
        ],
        "tables": [
            {"id": "main", "name": "Main table", "delegations": ["a", "b"], "mediators": ["c"]},
            {"id": "side", "name": "Side table", "delegations": ["b", "d"]},
            {"id": "brokers", "name": "Brokers", "delegations": ["c", "d"]},
        ],
        "indicators": [
            {"id": "tension", "name": "Tension", "min": 0, "max": 10, "start": 5,
             "thresholds": [{"at": 8, "note": "Close to open war."}, {"at": 2, "note": "Calm.", "rising": False}]},
            {"id": "support", "name": "Alpha's public support", "min": 0, "max": 100, "start": 50,
             "visible_to": ["a"], "per_phase": -5},
            {"id": "secret", "name": "Hidden stockpile", "min": 0, "max": 10, "start": 3, "visible_to": "umpire"},
        ],
        "relations": [
            {"between": ["a", "b"], "trust": 20, "readiness": 1},
            {"between": ["b", "d"], "trust": 30, "readiness": 1},
            {"between": ["a", "c"], "trust": 50, "readiness": 2},
            {"between": ["b", "c"], "trust": 50, "readiness": 2},
        ],
        "signals": [
            {"id": "olive-branch", "title": "Olive branch", "text": "A public gesture.", "visibility": "public",
             "reversible": True, "toward": ["b"], "effects": {"indicators": {"tension": -2}, "trust": 5,
                                                               "readiness": 1},
             "on_reciprocated": {"trust": 4}, "sources": src},
            {"id": "quiet-word", "title": "A quiet word", "text": "Said in private.", "visibility": "private",
             "toward": ["b", "c"], "effects": {"indicators": {"tension": -1}, "trust": 3}, "sources": src},
            {"id": "show-of-force", "title": "Show of force", "text": "Ships sail.", "visibility": "public",
             "toward": ["b"], "effects": {"indicators": {"tension": 20}, "trust": -10}, "sources": src},
            {"id": "feeler", "title": "A feeler", "text": "Either way.", "visibility": "either", "reversible": True,
             "toward": ["a"], "effects": {"trust": 2}, "on_reciprocated": {"trust": 3},
             "on_withdraw": {"indicators": {"tension": 3}, "trust": -10}, "sources": src},
        ],
        "clause_types": [
            {"id": "truce", "title": "Truce", "text": "Guns fall silent.", "establishes_ceasefire": True,
             "requires_parties": ["a"], "effects": {"indicators": {"tension": -3}},
             "signing_costs": {"a": {"indicators": {"support": -10}}},
             "sign_conditions": [{"delegation": "a", "indicator": "support", "min": 30,
                                  "message": "Alpha's parliament will not ratify a truce now."}],
             "sources": src},
            {"id": "monitors", "title": "Monitors", "text": "Observers on the line.", "effects": {"trust": 2},
             "sources": src},
            {"id": "aid", "title": "Aid", "text": "Beta pays.", "offered_by": ["b"], "sources": src},
            {"id": "trade", "title": "Trade", "text": "Delta buys.", "requires_parties": ["d"], "sources": src},
        ],
        "injects": [
            {"id": "news", "title": "News", "text": "Headlines.", "kind": "historical",
             "effects": {"indicators": {"tension": 1}}, "sources": src},
            {"id": "tipoff", "title": "Tip-off", "text": "For Alpha only.", "kind": "intelligence",
             "audience": ["a"], "sources": src},
            {"id": "crisis", "title": "Crisis", "text": "Shots at the border.", "kind": "contingency",
             "effects": {"indicators": {"tension": 2}, "trust": -5}, "sources": src},
        ],
        "ceasefire_risks": [
            {"id": "skirmish", "title": "Skirmish", "text": "A patrol fires.", "likelihood": 0.5, "per_phase": 0.1,
             "modifiers": {"monitors": -0.3}, "effects": {"indicators": {"tension": 2}}, "sources": src},
            {"id": "collapse", "title": "Collapse", "text": "The truce ends.", "likelihood": 0.3,
             "ends_ceasefire": True, "effects": {"trust": -10}, "sources": src},
        ],
        "phases": [
            {"id": "opening", "name": "Opening", "minutes": 10, "open_tables": []},
            {"id": "talks", "name": "Talks", "minutes": 20},
            {"id": "endgame", "name": "Endgame", "minutes": 15, "open_tables": ["side"]},
        ],
        "debrief": ["What did the truce cost Alpha?"],
    }


def mini_deck(change=None):
    data = mini_data()
    if change:
        change(data)
    return deck_from_data(data, "mini.yaml")


@pytest.fixture(scope="module")
def demo_deck():
    return load_deck(ROOT / "scenarios" / "demo.yaml", load_notes(ROOT / "seeds")).deck


# ---- playing: decide, store, evolve ------------------------------------------

class Game:
    """One exercise, played the way the server plays it."""

    def __init__(self, deck, seed: str = "seed-1"):
        self.deck = deck
        self.seed = seed
        self.state = initial_state(deck, seed)
        self.log = []
        self.now = T0

    def run(self, command, actor, now: datetime | None = None) -> list:
        self.now = now if now is not None else self.now + timedelta(seconds=30)
        stored = []
        for event in decide(self.state, command, actor, self.now):
            event = event.stored(self.state.seq + 1, self.now)
            self.state = evolve(self.state, event)
            stored.append(event)
        self.log += stored
        return stored

    def refused(self, command, actor, code: str) -> RuleError:
        before = self.state
        with pytest.raises(RuleError) as info:
            decide(self.state, command, actor, self.now)
        assert info.value.code == code, info.value.message
        assert self.state is before
        return info.value

    def seat_all(self, *actors):
        for actor in actors or (A, B, C, D):
            self.run(SeatParticipant(actor.participant, actor.name, actor.delegation), actor)
        return self

    def advance(self, times: int = 1):
        for _ in range(times):
            self.run(AdvancePhase(), UMPIRE)
        return self


def of_type(events, type_: str) -> list:
    return [e for e in events if e.type == type_]


def one(events, type_: str):
    found = of_type(events, type_)
    assert len(found) == 1, [e.type for e in events]
    return found[0]


def seen_by(event, *actors) -> list[bool]:
    return [visible_to(event, actor) for actor in actors]


def in_talks(deck=None, seed: str = "seed-1") -> Game:
    """Everyone seated, the exercise in its second phase ('talks', all tables open)."""
    return Game(deck or mini_deck(), seed).seat_all().advance(2)


def delegation_view(view: dict, id_: str) -> dict:
    return next(d for d in view["delegations"] if d["id"] == id_)


def trust(game: Game, x: str, y: str) -> int:
    return game.state.relations[tuple(sorted((x, y)))].trust


# ---- seating ------------------------------------------------------------------

def test_a_seated_participant_shows_among_the_members_of_their_delegation(demo_deck):
    game = Game(demo_deck)
    olena = Actor("delegation", "ukraine", "p1", "Olena")
    [event] = game.run(SeatParticipant("p1", "Olena", "ukraine"), olena)
    assert event.type == "participant_seated"
    assert seen_by(event, UMPIRE, OBSERVER, Actor("delegation", "russia")) == [True, True, True]
    view = view_state(game.state, OBSERVER)
    assert view["members"] == [{"name": "Olena", "delegation": "ukraine"}]


def test_a_display_name_already_in_use_is_refused_whatever_its_case(demo_deck):
    game = Game(demo_deck)
    game.run(SeatParticipant("p1", "Olena", "ukraine"), Actor("delegation", "ukraine", "p1", "Olena"))
    error = game.refused(SeatParticipant("p2", "  oLENA ", "russia"), Actor("delegation", "russia", "p2"),
                         "name_taken")
    assert error.fields == {"name": "taken"}


def test_seating_in_an_unknown_delegation_is_not_found(demo_deck):
    game = Game(demo_deck)
    error = game.refused(SeatParticipant("p1", "Olena", "atlantis"), Actor("delegation", "atlantis", "p1"),
                         "not_found")
    assert error.fields == {"delegation": ["atlantis"]}


def test_a_display_name_over_the_limit_is_too_long(demo_deck):
    game = Game(demo_deck)
    game.refused(SeatParticipant("p1", "x" * (MAX_NAME + 1), "ukraine"), Actor("delegation", "ukraine", "p1"),
                 "too_long")
    game.refused(SeatParticipant("p1", "   ", "ukraine"), Actor("delegation", "ukraine", "p1"), "invalid")
    game.run(SeatParticipant("p1", "x" * MAX_NAME, "ukraine"), Actor("delegation", "ukraine", "p1"))


def test_a_participant_seats_only_themselves_and_only_once():
    game = Game(mini_deck())
    game.refused(SeatParticipant("p-other", "Eve", "a"), A, "forbidden")
    game.run(SeatParticipant("p-ann", "Ann", "a"), A)
    game.refused(SeatParticipant("p-ann", "Annie", "b"), A, "conflict")


# ---- messages and channels ------------------------------------------------------

def test_a_plenary_message_reaches_everyone():
    game = in_talks()
    [event] = game.run(PostMessage("plenary", "Good morning"), A)
    assert event.type == "message_posted"
    assert event.data["text"] == "Good morning" and event.data["author"] == "Ann"
    assert seen_by(event, UMPIRE, OBSERVER, B, D) == [True, True, True, True]


def test_a_table_message_reaches_the_table_and_observers_only():
    game = in_talks()
    [event] = game.run(PostMessage("table:main", "Shall we begin?"), C)  # a mediator may speak at the table
    assert seen_by(event, UMPIRE, OBSERVER, A, B, C) == [True] * 5
    assert not visible_to(event, D)
    game.refused(PostMessage("table:main", "Let me in"), D, "forbidden")


def test_a_table_closed_by_the_phase_refuses_messages():
    game = Game(mini_deck()).seat_all().advance(1)  # 'opening' closes every table
    game.refused(PostMessage("table:main", "Too early"), A, "closed")
    game.advance(2)  # 'endgame' keeps only the side table open
    game.refused(PostMessage("table:main", "Too late"), A, "closed")
    game.run(PostMessage("table:side", "Still open"), D)
    assert game.state.channels.get("table:side").count == 1


def test_a_delegation_room_is_private_to_its_delegation():
    game = in_talks()
    [event] = game.run(PostMessage("delegation:a", "Our fallback is the ceasefire"), A)
    assert seen_by(event, UMPIRE, A, B, OBSERVER) == [True, True, False, False]
    game.refused(PostMessage("delegation:a", "Hello?"), B, "forbidden")


def test_a_back_channel_joins_only_its_delegations():
    game = in_talks()
    [opened] = game.run(OpenBackchannel(("b",)), A)
    channel = opened.data["channel"]
    assert channel.startswith("backchannel:") and opened.data == {"channel": channel, "delegations": ["a", "b"]}
    assert seen_by(opened, UMPIRE, A, B, C, OBSERVER) == [True, True, True, False, False]
    [event] = game.run(PostMessage(channel, "Off the record"), B)
    assert seen_by(event, UMPIRE, A, B, C, D, OBSERVER) == [True, True, True, False, False, False]
    # To those outside it, a back-channel does not exist: the same answer as a made-up one.
    outside = game.refused(PostMessage(channel, "Me too"), C, "not_found")
    assert outside.message.replace(channel, "X") == game.refused(
        PostMessage("backchannel:000000000000", "Me too"), C, "not_found").message.replace("backchannel:000000000000", "X")
    assert channel in [ch["id"] for ch in view_state(game.state, A)["channels"]]
    assert channel not in [ch["id"] for ch in view_state(game.state, C)["channels"]]
    assert channel not in [ch["id"] for ch in view_state(game.state, OBSERVER)["channels"]]


def test_the_same_back_channel_cannot_be_opened_twice_and_ids_say_nothing_of_others():
    game = in_talks()
    [first] = game.run(OpenBackchannel(("b",)), A)
    error = game.refused(OpenBackchannel(("a",)), B, "conflict")
    assert error.fields == {"channel": first.data["channel"]}
    game.refused(OpenBackchannel(()), A, "invalid")
    game.refused(OpenBackchannel(("b",)), OBSERVER, "forbidden")
    [second] = game.run(OpenBackchannel(("a", "b", "c")), UMPIRE)  # a different set of delegations: a new channel
    assert [bc.id for bc in game.state.channels.backchannels()] == [first.data["channel"], second.data["channel"]]
    # Ids come from the members and the exercise's secret seed: not a count, not guessable from outside.
    [elsewhere] = Game(mini_deck(), seed="another").seat_all().advance(2).run(OpenBackchannel(("b",)), A)
    assert elsewhere.data["channel"] != first.data["channel"]
    assert "1" != first.data["channel"].partition(":")[2] and "number" not in first.data


def test_the_umpire_room_is_for_the_umpire_alone():
    game = in_talks()
    [event] = game.run(PostMessage("umpire", "Fire the crisis inject at minute 10"), UMPIRE)
    assert seen_by(event, UMPIRE, A, OBSERVER) == [True, False, False]
    assert event.data["author"] == "Umpire"
    game.refused(PostMessage("umpire", "Hello control"), A, "forbidden")


def test_observers_read_but_do_not_post():
    game = in_talks()
    game.refused(PostMessage("plenary", "Hi"), OBSERVER, "forbidden")
    game.refused(PostMessage("table:main", "Hi"), OBSERVER, "forbidden")


def test_message_text_must_be_present_and_not_too_long():
    game = in_talks()
    game.refused(PostMessage("plenary", "   "), A, "invalid")
    game.refused(PostMessage("plenary", "x" * (MAX_TEXT + 1)), A, "too_long")
    game.refused(PostMessage("nowhere", "Hi"), A, "not_found")
    game.refused(PostMessage("backchannel:7", "Hi"), A, "not_found")
    [event] = game.run(PostMessage("plenary", "  trimmed  "), A)
    assert event.data["text"] == "trimmed"


def test_demo_table_messages_reach_parties_mediators_and_observers(demo_deck):
    game = Game(demo_deck)
    ukraine = Actor("delegation", "ukraine", "p1", "Olena")
    turkey = Actor("delegation", "turkey", "p3", "Emre")
    game.run(SeatParticipant("p1", "Olena", "ukraine"), ukraine)
    game.advance(1)
    game.refused(PostMessage("table:corridor", "Hello"), ukraine, "closed")  # briefing: no table open
    game.advance(1)
    [event] = game.run(PostMessage("table:corridor", "Hello"), ukraine)
    assert seen_by(event, turkey, Actor("delegation", "un"), OBSERVER) == [True, True, True]
    game.refused(PostMessage("table:brokers", "Hello"), ukraine, "forbidden")


# ---- signals ----------------------------------------------------------------------

def test_playing_a_signal_takes_the_card_out_of_the_hand():
    game = in_talks()
    played = one(game.run(PlaySignal("olive-branch"), A), "signal_played")
    assert played.data["play"] == 1 and played.data["by"] == "a" and played.data["toward"] == ["b"]
    assert "olive-branch" not in game.state.signals.hands["a"]
    assert [c["id"] for c in delegation_view(view_state(game.state, A), "a")["hand"]] == ["quiet-word",
                                                                                          "show-of-force"]
    game.refused(PlaySignal("olive-branch"), A, "not_in_hand")


def test_a_card_not_in_the_hand_cannot_be_played():
    game = in_talks()
    game.refused(PlaySignal("olive-branch"), B, "not_in_hand")
    game.refused(PlaySignal("no-such-card"), A, "not_found")
    game.refused(PlaySignal("olive-branch"), OBSERVER, "forbidden")


def test_signals_wait_for_the_first_phase():
    game = Game(mini_deck()).seat_all()
    game.refused(PlaySignal("olive-branch"), A, "not_started")


def test_a_private_signal_is_seen_only_by_its_sender_and_addressees():
    game = in_talks()
    events = game.run(PlaySignal("quiet-word", to=("b",)), A)
    played = one(events, "signal_played")
    assert played.data["visibility"] == "private"
    assert seen_by(played, UMPIRE, A, B, C, D, OBSERVER) == [True, True, True, False, False, False]
    assert one(events, "relation_changed").data["between"] == ["a", "b"]

    def listed(viewer):
        return [s["card"] for s in view_state(game.state, viewer)["signals"]]

    assert listed(A) == listed(B) == listed(UMPIRE) == ["quiet-word"]
    assert listed(C) == listed(D) == listed(OBSERVER) == []


def test_what_a_private_signal_changes_in_public_does_not_name_it():
    game = in_talks()
    game.run(PlaySignal("quiet-word", to=("b",)), A)
    game.run(PlaySignal("feeler", to=("a",)), B)
    game.run(WithdrawSignal(2), B)
    changes = [e for e in game.log if e.type == "indicator_changed" and e.data["indicator"] == "tension"]
    assert [(e.data["delta"], e.data["reason"]) for e in changes] == [(-1, "a private signal"),
                                                                      (3, "withdrew a private signal")]
    assert all(visible_to(e, OBSERVER) for e in changes)  # the world sees the tension move, not why
    for viewer in (C, D, OBSERVER):
        seen = repr([e.to_dict() for e in game.log if visible_to(e, viewer)]) + repr(view_state(game.state, viewer))
        assert "quiet" not in seen.lower() and "feeler" not in seen.lower()


def test_visibility_of_a_card_decides_how_it_may_be_played():
    game = in_talks()
    error = game.refused(PlaySignal("olive-branch", to=("b",)), A, "invalid")
    assert error.fields == {"to": "not allowed"}
    game.refused(PlaySignal("quiet-word"), A, "invalid")  # a private card needs addressees
    game.refused(PlaySignal("quiet-word", to=("a",)), A, "invalid")  # not to oneself
    game.refused(PlaySignal("quiet-word", to=("atlantis",)), A, "not_found")
    played = one(game.run(PlaySignal("feeler"), B), "signal_played")  # 'either' played in public
    assert played.data["visibility"] == "public" and visible_to(played, OBSERVER)


def test_signal_effects_move_indicators_within_bounds_and_change_trust():
    game = in_talks()
    events = game.run(PlaySignal("olive-branch"), A)
    changed = one(events, "indicator_changed")
    assert (changed.data["indicator"], changed.data["delta"], changed.data["value"]) == ("tension", -2, 3)
    relation = one(events, "relation_changed")
    assert (relation.data["trust"], relation.data["readiness"]) == (25, 1)  # readiness takes two: not by one card
    assert relation.data["readiness_label"] == "talking about talking"
    assert seen_by(relation, A, B, C, OBSERVER) == [True, True, False, False]

    events = game.run(PlaySignal("show-of-force"), A)  # tension +20 from 3 stops at the maximum
    changed = one(events, "indicator_changed")
    assert (changed.data["delta"], changed.data["value"]) == (7, 10)
    assert game.state.indicators["tension"] == 10
    crossed = one(events, "threshold_crossed")
    assert crossed.data["at"] == 8 and seen_by(crossed, UMPIRE, A, OBSERVER) == [True, False, False]
    assert trust(game, "a", "b") == 15


def test_answering_a_signal_reciprocates_it_and_adds_its_bonus():
    game = in_talks()
    game.run(PlaySignal("olive-branch"), A)  # play 1, toward b: trust 20 -> 25
    events = game.run(PlaySignal("feeler"), B)  # play 2, toward a: +2, and answers play 1: +4
    reciprocated = one(events, "signal_reciprocated")
    assert reciprocated.data["reciprocates"] == 1 and reciprocated.data["play"] == 2
    assert reciprocated.data["by"] == "b" and reciprocated.data["answering"] == "a"
    assert visible_to(reciprocated, OBSERVER)  # both signals were public
    assert [e.data["trust_delta"] for e in of_type(events, "relation_changed")] == [2, 4]
    assert trust(game, "a", "b") == 31
    assert game.state.signals.play(1).reciprocated_by == (2,)


def test_a_private_answer_reciprocates_privately():
    game = in_talks()
    game.run(PlaySignal("olive-branch"), A)
    reciprocated = one(game.run(PlaySignal("feeler", to=("a",)), B), "signal_reciprocated")
    assert seen_by(reciprocated, A, B, C, OBSERVER) == [True, True, False, False]


def test_only_a_signal_one_was_told_of_can_be_answered():
    game = in_talks()
    game.run(PlaySignal("quiet-word", to=("c",)), A)  # aimed at Beta, but said to Gamma only
    assert of_type(game.run(PlaySignal("feeler"), B), "signal_reciprocated") == []
    assert "quiet" not in repr([e.to_dict() for e in game.log if visible_to(e, B)]).lower()

    game = in_talks()
    game.run(PlaySignal("olive-branch"), A)  # public, toward Beta
    game.refused(PlaySignal("feeler", to=("c",), toward=("a",)), B, "invalid")  # a card is not re-aimed

    game = in_talks()
    game.run(PlaySignal("quiet-word", to=("b",)), A)
    reciprocated = one(game.run(PlaySignal("feeler"), B), "signal_reciprocated")
    assert reciprocated.data["reciprocates"] == 1 and seen_by(reciprocated, A, B, OBSERVER) == [True, True, False]


def test_withdrawing_a_reversible_signal_applies_its_withdrawal_effects():
    game = in_talks()
    game.run(PlaySignal("feeler"), B)  # trust a-b 20 -> 22
    events = game.run(WithdrawSignal(1), B)  # on_withdraw: tension +3, trust -10
    withdrawn = one(events, "signal_withdrawn")
    assert withdrawn.data["play"] == 1 and withdrawn.data["by"] == "b"
    assert game.state.indicators["tension"] == 8
    assert trust(game, "a", "b") == 12
    assert game.state.signals.play(1).active is False
    assert view_state(game.state, A)["signals"][0]["active"] is False
    game.refused(WithdrawSignal(1), B, "conflict")


def test_withdrawing_without_on_withdraw_takes_back_the_trust_it_bought():
    game = in_talks()
    game.run(PlaySignal("olive-branch"), A)  # trust +5, readiness +1
    events = game.run(WithdrawSignal(1), A)
    assert one(events, "relation_changed").data["trust_delta"] == -5
    assert trust(game, "a", "b") == 20
    assert game.state.indicators["tension"] == 3  # what it did to the indicators stays done


def test_only_reversible_signals_of_ones_own_can_be_withdrawn():
    game = in_talks()
    game.run(PlaySignal("quiet-word", to=("b",)), A)  # play 1, irreversible
    game.run(PlaySignal("olive-branch"), A)  # play 2, reversible
    game.refused(WithdrawSignal(1), A, "irreversible")
    game.refused(WithdrawSignal(2), B, "forbidden")
    game.refused(WithdrawSignal(9), A, "not_found")


def test_a_withdrawn_signal_is_not_reciprocated():
    game = in_talks()
    game.run(PlaySignal("olive-branch"), A)
    game.run(WithdrawSignal(1), A)
    assert of_type(game.run(PlaySignal("feeler"), B), "signal_reciprocated") == []


# ---- proposals and agreements ----------------------------------------------------

def draft(game: Game, actor=A, table="main", *clauses: str, links=()) -> int:
    event = one(game.run(DraftProposal(table, "Deal", tuple(Clause(k, "terms") for k in clauses), links), actor),
                "proposal_drafted")
    return event.data["proposal"]


def test_a_drafted_proposal_is_seen_at_its_table_and_names_the_parties():
    game = in_talks()
    drafted = one(game.run(DraftProposal("main", "First deal", (Clause("monitors", "50 monitors"),)), A),
                  "proposal_drafted")
    assert drafted.data["parties"] == ["a", "b"] and drafted.data["version"] == 1
    assert drafted.data["clauses"] == [{"clause_type": "monitors", "title": "Monitors", "terms": "50 monitors"}]
    assert seen_by(drafted, UMPIRE, A, B, C, OBSERVER, D) == [True] * 5 + [False]
    assert [p["proposal"] for p in view_state(game.state, D)["proposals"]] == []
    assert [p["proposal"] for p in view_state(game.state, C)["proposals"]] == [1]


def test_a_proposal_is_drafted_only_at_a_table_one_sits_at_while_it_is_open():
    game = Game(mini_deck()).seat_all().advance(1)
    game.refused(DraftProposal("main", "Deal", (Clause("monitors"),)), A, "closed")
    game.advance(1)
    game.refused(DraftProposal("main", "Deal", (Clause("monitors"),)), D, "forbidden")
    game.refused(DraftProposal("nowhere", "Deal", (Clause("monitors"),)), A, "not_found")
    game.refused(DraftProposal("main", "Deal", ()), A, "invalid")
    game.refused(DraftProposal("main", "Deal", (Clause("no-such-clause"),)), A, "not_found")
    game.refused(DraftProposal("main", "", (Clause("monitors"),)), A, "invalid")


def test_a_clause_offered_by_another_delegation_is_not_offerable():
    game = in_talks()
    error = game.refused(DraftProposal("main", "Deal", (Clause("monitors"), Clause("aid"))), A, "not_offerable")
    assert "Beta" in error.message and error.fields == {"clauses.1.clause_type": "not yours to offer"}
    assert draft(game, B, "main", "aid") == 1


def test_a_clause_that_needs_a_party_absent_from_the_table_is_refused():
    game = in_talks()
    game.refused(DraftProposal("main", "Deal", (Clause("trade"),)), A, "missing_party")
    assert draft(game, B, "side", "trade") == 1
    game.refused(DraftProposal("brokers", "Deal", (Clause("truce"),)), C, "missing_party")


def test_signing_needs_a_party_the_current_version_and_one_signature_each():
    game = in_talks()
    number = draft(game, C, "main", "monitors")  # a mediator may draft ...
    game.refused(SignProposal(number), C, "forbidden")  # ... but does not sign
    game.refused(SignProposal(number), D, "not_found")  # not even at the table: it was never told of it
    error = game.refused(SignProposal(number, version=2), A, "stale")
    assert error.fields == {"version": 1}
    signed = one(game.run(SignProposal(number, version=1), A), "proposal_signed")
    assert signed.data["delegation"] == "a" and signed.data["signer"] == "Ann"
    game.refused(SignProposal(number), A, "already_signed")
    assert game.state.proposals.get(number).status == "open"


def test_an_amendment_makes_a_new_version_and_clears_the_signatures():
    game = in_talks()
    number = draft(game, A, "main", "monitors")
    game.run(SignProposal(number, version=1), A)
    amended = one(game.run(AmendProposal(number, (Clause("monitors", "100 monitors"), Clause("truce"))), B),
                  "proposal_amended")
    assert amended.data["version"] == 2 and amended.data["amended_by"] == "b"
    proposal = game.state.proposals.get(number)
    assert proposal.version == 2 and proposal.signatures == () and proposal.title == "Deal"
    assert [cl.clause_type for cl in proposal.clauses] == ["monitors", "truce"]
    game.refused(SignProposal(number, version=1), A, "stale")
    game.run(SignProposal(number, version=2), A)
    assert game.state.proposals.get(number).signatures == ("a",)


def test_an_agreement_enters_into_force_when_every_party_has_signed():
    game = in_talks()
    number = draft(game, A, "main", "monitors")
    assert of_type(game.run(SignProposal(number), A), "agreement_entered_into_force") == []
    events = game.run(SignProposal(number), B)
    in_force = one(events, "agreement_entered_into_force")
    assert in_force.data["proposal"] == number and visible_to(in_force, D)
    assert one(events, "relation_changed").data["trust_delta"] == 2  # the clause's effects, among the parties
    assert game.state.proposals.get(number).status == "in_force"
    assert [p["status"] for p in view_state(game.state, D)["proposals"]] == ["in_force"]
    game.refused(SignProposal(number), A, "conflict")
    game.refused(AmendProposal(number, (Clause("monitors"),)), A, "conflict")


def test_signing_a_truce_costs_support_and_needs_enough_of_it():
    game = in_talks()  # support 50, minus 5 of drift at the start of 'talks'
    assert game.state.indicators["support"] == 45
    number = draft(game, B, "main", "truce")
    game.run(AdjustIndicator("support", -20, "a bad poll"), UMPIRE)
    error = game.refused(SignProposal(number), A, "cannot_ratify")
    assert error.message == "Alpha's parliament will not ratify a truce now."
    game.run(SignProposal(number), B)  # the condition binds Alpha only
    game.run(AdjustIndicator("support", 10, "a rally"), UMPIRE)
    events = game.run(SignProposal(number), A)
    cost = [e for e in of_type(events, "indicator_changed") if e.data["indicator"] == "support"]
    assert [(e.data["delta"], e.data["value"]) for e in cost] == [(-10, 25)]
    assert seen_by(cost[0], A, B, OBSERVER) == [True, False, False]


def test_a_ceasefire_begins_when_a_clause_establishing_one_comes_into_force():
    game = in_talks()
    number = draft(game, A, "main", "truce", "monitors")
    assert game.state.ceasefire.current is None
    game.run(SignProposal(number), A)
    events = game.run(SignProposal(number), B)
    began = one(events, "ceasefire_began")
    assert began.data["agreement"] == number and visible_to(began, OBSERVER)
    assert events.index(began) > events.index(one(events, "agreement_entered_into_force"))
    assert game.state.ceasefire.current.agreement == number and game.state.ceasefire.current.began_phase == 1
    assert game.state.indicators["tension"] == 2  # the truce's effect, from 5
    assert one(events, "threshold_crossed").data["at"] == 2  # falling threshold, umpire only
    assert view_state(game.state, OBSERVER)["ceasefire"] == {"agreement": number, "began_phase": 1}


def test_linked_proposals_come_into_force_together_when_the_last_is_signed():
    game = in_talks()
    first = draft(game, A, "main", "monitors")
    second = draft(game, B, "side", "trade", links=(first,))
    game.run(SignProposal(first), A)
    events = game.run(SignProposal(first), B)
    assert of_type(events, "agreement_entered_into_force") == []
    assert game.state.proposals.get(first).status == "signed"  # fully signed, waiting for its package
    game.run(SignProposal(second), D)
    events = game.run(SignProposal(second), B)
    in_force = of_type(events, "agreement_entered_into_force")
    assert [e.data["proposal"] for e in in_force] == [first, second]
    assert in_force[0].data["links"] == [second] and in_force[1].data["links"] == [first]
    assert {p.status for p in game.state.proposals.items} == {"in_force"}


def test_a_linked_package_waits_while_its_other_part_is_unsigned():
    game = in_talks()
    first = draft(game, A, "main", "monitors")
    second = draft(game, D, "side", "trade")
    game.run(AmendProposal(second, (Clause("trade"),), links=(first,)), B)
    game.run(SignProposal(second), B)
    game.run(SignProposal(second), D)
    assert game.state.proposals.get(second).status == "signed"
    game.run(SignProposal(first), B)
    events = game.run(SignProposal(first), A)
    assert [e.data["proposal"] for e in of_type(events, "agreement_entered_into_force")] == [first, second]
    game.refused(DraftProposal("main", "X", (Clause("monitors"),), links=(99,)), A, "not_found")


def test_a_proposal_is_withdrawn_only_by_its_drafter_and_then_closed():
    game = in_talks()
    number = draft(game, A, "main", "monitors")
    game.refused(WithdrawProposal(number), B, "forbidden")
    withdrawn = one(game.run(WithdrawProposal(number), A), "proposal_withdrawn")
    assert seen_by(withdrawn, B, OBSERVER, D) == [True, True, False]
    assert game.state.proposals.get(number).status == "withdrawn"
    game.refused(SignProposal(number), B, "conflict")
    game.refused(DraftProposal("main", "Linked", (Clause("monitors"),), links=(number,)), A, "conflict")


def test_demo_corridor_deal_opens_a_truce_at_sea(demo_deck):
    game = Game(demo_deck)
    ukraine = Actor("delegation", "ukraine", "p1", "Olena")
    russia = Actor("delegation", "russia", "p2", "Ivan")
    un = Actor("delegation", "un", "p3", "Ana")
    game.seat_all(ukraine, russia, un).advance(2)
    game.refused(DraftProposal("corridor", "X", (Clause("export-statement"),)), ukraine, "not_offerable")
    number = draft(game, un, "corridor", "safe-route", "maritime-truce", "export-statement")
    game.run(SignProposal(number), ukraine)
    events = game.run(SignProposal(number), russia)
    assert one(events, "ceasefire_began").data["agreement"] == number
    assert game.state.indicators["grain"] == 40
    assert game.state.indicators["ua-support"] == 60 - 5 - 4  # both Ukrainian signing costs


# ---- the umpire's commands -----------------------------------------------------

UMPIRE_COMMANDS = [
    FireInject("news"), FireInject(title="Flash", text="Breaking"), AdjustIndicator("tension", 1, "why"),
    AdjustRelation(("a", "b"), "why", trust=5), AdvancePhase(), PauseClock(), ResumeClock(), ExtendClock(5),
    DrawCeasefireRisk(), EndExercise(),
]


@pytest.mark.parametrize("command", UMPIRE_COMMANDS, ids=lambda c: c.TYPE)
@pytest.mark.parametrize("actor", [A, OBSERVER], ids=["delegation", "observer"])
def test_umpire_commands_are_forbidden_to_everyone_else(command, actor):
    game = in_talks()
    error = game.refused(command, actor, "forbidden")
    assert error.message == "Only the umpire may do this."


def test_an_inject_for_one_delegation_is_seen_by_it_alone():
    game = in_talks()
    [fired] = game.run(FireInject("tipoff"), UMPIRE)
    assert fired.data["to"] == ["a"] and fired.data["kind"] == "intelligence"
    assert seen_by(fired, UMPIRE, A, B, C, D, OBSERVER) == [True, True, False, False, False, False]

    def titles(viewer):
        return [f["title"] for f in view_state(game.state, viewer)["injects_fired"]]

    assert titles(A) == titles(UMPIRE) == ["Tip-off"]
    assert titles(B) == titles(OBSERVER) == []


def test_the_umpire_may_address_any_inject_to_chosen_delegations():
    game = in_talks()
    fired = one(game.run(FireInject("news", to=("b",)), UMPIRE), "inject_fired")
    assert seen_by(fired, A, B, OBSERVER) == [False, True, False]
    assert game.state.indicators["tension"] == 6  # its effects apply even when few are told
    added, adhoc = game.run(FireInject(title="Flash", text="The capital is dark."), UMPIRE)
    assert adhoc.data["kind"] == "ad hoc" and adhoc.data["inject"] is None and visible_to(adhoc, OBSERVER)
    assert added.type == "inject_added" and not visible_to(added, OBSERVER)  # saved to the event list
    game.refused(FireInject("no-such-inject"), UMPIRE, "not_found")
    game.refused(FireInject("news", to=()), UMPIRE, "invalid")
    game.refused(FireInject(title="Flash"), UMPIRE, "invalid")


def test_a_confidential_inject_is_not_named_in_the_changes_it_makes():
    game = in_talks()
    events = game.run(FireInject("crisis", to=("a", "b")), UMPIRE)
    changed = one(events, "indicator_changed")
    assert changed.data["reason"] == "a confidential inject" and visible_to(changed, D)
    assert [e.data["between"] for e in of_type(events, "relation_changed")] == [["a", "b"]]
    for viewer in (C, D, OBSERVER):
        assert "Crisis" not in repr([e.to_dict() for e in events if visible_to(e, viewer)])


def test_inject_effects_apply_to_indicators_and_to_every_pair_concerned():
    game = in_talks()
    events = game.run(FireInject("crisis"), UMPIRE)
    assert one(events, "indicator_changed").data["value"] == 7
    assert sorted(tuple(e.data["between"]) for e in of_type(events, "relation_changed")) == [
        ("a", "b"), ("a", "c"), ("b", "c"), ("b", "d")]  # every tracked pair; untracked pairs stay untracked
    assert trust(game, "a", "b") == 15 and trust(game, "b", "d") == 25
    assert game.state.injects.fired[0].inject == "crisis"
    assert view_state(game.state, UMPIRE)["event_list"][2]["status"] == "fired"


def test_adjusting_an_indicator_clamps_and_reports_thresholds_to_the_umpire():
    game = in_talks()
    events = game.run(AdjustIndicator("tension", 50, "the umpire's call"), UMPIRE)
    changed = one(events, "indicator_changed")
    assert (changed.data["delta"], changed.data["value"], changed.data["reason"]) == (5, 10, "the umpire's call")
    crossed = one(events, "threshold_crossed")
    assert crossed.data["note"] == "Close to open war."
    assert seen_by(crossed, UMPIRE, A, OBSERVER) == [True, False, False]
    events = game.run(AdjustIndicator("tension", -50, "calm returns"), UMPIRE)
    assert one(events, "indicator_changed").data["value"] == 0
    assert one(events, "threshold_crossed").data["at"] == 2
    assert game.run(AdjustIndicator("tension", -1, "already at the floor"), UMPIRE) == []
    game.refused(AdjustIndicator("tension", 0, "nothing"), UMPIRE, "invalid")
    game.refused(AdjustIndicator("nope", 1, "nothing"), UMPIRE, "not_found")


def test_an_indicator_is_seen_only_by_those_it_is_visible_to():
    game = in_talks()
    [support] = game.run(AdjustIndicator("support", 5, "good news"), UMPIRE)
    assert seen_by(support, UMPIRE, A, B, OBSERVER) == [True, True, False, False]
    [secret] = game.run(AdjustIndicator("secret", 1, "more arms"), UMPIRE)
    assert seen_by(secret, UMPIRE, A, OBSERVER) == [True, False, False]

    def shown(viewer):
        return [i["id"] for i in view_state(game.state, viewer)["indicators"]]

    assert shown(UMPIRE) == ["tension", "support", "secret"]
    assert shown(A) == ["tension", "support"]
    assert shown(B) == shown(OBSERVER) == ["tension"]


def test_indicators_drift_at_each_change_of_phase_but_not_at_the_start():
    game = Game(mini_deck()).seat_all()
    assert of_type(game.run(AdvancePhase(), UMPIRE), "indicator_changed") == []
    events = game.run(AdvancePhase(), UMPIRE)
    drift = one(events, "indicator_changed")
    assert (drift.data["indicator"], drift.data["delta"], drift.data["value"]) == ("support", -5, 45)
    assert drift.data["reason"] == "drift at the change of phase"
    assert seen_by(drift, A, B) == [True, False]
    assert events[-1].type == "phase_advanced" and events[-1].data["phase"] == "talks"


def test_the_umpire_adjusts_a_relation():
    game = in_talks()
    [changed] = game.run(AdjustRelation(("b", "a"), "a dinner together", trust=90, readiness=1), UMPIRE)
    assert (changed.data["trust"], changed.data["readiness"]) == (100, 2)  # trust tops out at 100
    game.refused(AdjustRelation(("a", "d"), "no relation", trust=1), UMPIRE, "not_found")


# ---- the clock ----------------------------------------------------------------

def test_advancing_starts_the_phase_clock_with_the_phase_minutes():
    game = Game(mini_deck())
    game.refused(PauseClock(), UMPIRE, "not_started")
    [advanced] = game.run(AdvancePhase(), UMPIRE, now=T0)
    assert advanced.data["minutes"] == 10
    clock = game.state.clock
    assert clock.running and clock.remaining == 600
    assert clock.remaining_at(T0 + timedelta(minutes=1)) == 540
    assert clock.remaining_at(T0 + timedelta(hours=1)) == 0
    # The view says how much was left when the clock last started; clients count down from there.
    assert view_state(game.state, A)["exercise"]["clock"] == {"running": True, "remaining": 600, "played": 0.0,
                                                             "at": T0.isoformat()}


def test_pausing_keeps_the_remaining_time_and_resuming_runs_it_down_again():
    game = Game(mini_deck())
    game.run(AdvancePhase(), UMPIRE, now=T0)
    [paused] = game.run(PauseClock(), UMPIRE, now=T0 + timedelta(minutes=2))
    assert paused.data["remaining"] == 480
    assert not game.state.clock.running
    assert game.state.clock.remaining_at(T0 + timedelta(hours=5)) == 480
    game.refused(PauseClock(), UMPIRE, "conflict")
    [resumed] = game.run(ResumeClock(), UMPIRE, now=T0 + timedelta(minutes=10))
    assert resumed.data["remaining"] == 480
    assert game.state.clock.remaining_at(T0 + timedelta(minutes=10, seconds=30)) == 450
    game.refused(ResumeClock(), UMPIRE, "conflict")


def test_extending_adds_minutes_to_the_clock():
    game = Game(mini_deck())
    game.run(AdvancePhase(), UMPIRE, now=T0)
    [extended] = game.run(ExtendClock(5), UMPIRE, now=T0 + timedelta(minutes=1))
    assert extended.data["minutes"] == 5
    assert game.state.clock.remaining_at(T0 + timedelta(minutes=1)) == 540 + 300
    game.run(PauseClock(), UMPIRE, now=T0 + timedelta(minutes=2))
    game.run(ExtendClock(1), UMPIRE, now=T0 + timedelta(minutes=3))
    assert game.state.clock.remaining_at(T0 + timedelta(minutes=30)) == 780 + 60
    game.refused(ExtendClock(0), UMPIRE, "invalid")
    game.refused(ExtendClock(121), UMPIRE, "invalid")


def test_a_new_phase_restarts_the_clock():
    game = Game(mini_deck())
    game.run(AdvancePhase(), UMPIRE, now=T0)
    game.run(PauseClock(), UMPIRE, now=T0 + timedelta(minutes=3))
    game.run(AdvancePhase(), UMPIRE, now=T0 + timedelta(minutes=4))
    assert game.state.clock.running
    assert game.state.clock.remaining_at(T0 + timedelta(minutes=5)) == 20 * 60 - 60


# ---- cease-fire risk ----------------------------------------------------------

def under_truce(deck=None, seed: str = "seed-1", clauses=("truce",)) -> Game:
    game = in_talks(deck, seed)
    number = draft(game, A, "main", *clauses)
    game.run(SignProposal(number), A)
    game.run(SignProposal(number), B)
    assert game.state.ceasefire.current is not None
    return game


def test_each_risk_draw_is_recorded_for_the_umpire():
    game = under_truce()
    events = game.run(DrawCeasefireRisk(), UMPIRE)
    draws = of_type(events, "ceasefire_risk_drawn")
    assert [d.data["rule"] for d in draws][:1] == ["skirmish"]
    first = draws[0].data
    assert first["probability"] == 0.5 and first["phases_held"] == 0 and first["modifiers"] == {}
    assert 0 <= first["roll"] < 1 and first["occurred"] == (first["roll"] < first["probability"])
    assert all(seen_by(d, UMPIRE, A, OBSERVER) == [True, False, False] for d in draws)
    incidents = of_type(events, "ceasefire_incident")
    assert [i.data["rule"] for i in incidents] == [d.data["rule"] for d in draws if d.data["occurred"]]
    assert all(visible_to(i, OBSERVER) for i in incidents)


def test_replaying_the_log_never_rerolls():
    game = under_truce()
    game.run(DrawCeasefireRisk(), UMPIRE)
    game.run(AdvancePhase(), UMPIRE)
    assert replay(game.deck, game.log, seed=game.seed) == game.state
    # the outcome lives in the events: even a replay with another seed ends in the same state
    assert replace(replay(game.deck, game.log, seed="another seed"), seed=game.seed) == game.state


def test_the_same_seed_and_log_give_the_same_draw_and_another_seed_may_not():
    def draws(seed):
        return [e.data for e in of_type(under_truce(seed=seed).run(DrawCeasefireRisk(), UMPIRE),
                                        "ceasefire_risk_drawn")]

    assert draws("seed-1") == draws("seed-1")
    rolls = {draws(f"seed-{n}")[0]["roll"] for n in range(8)}
    assert len(rolls) > 1


def test_clauses_in_force_lower_the_risk_through_modifiers():
    plain = under_truce(clauses=("truce",)).run(DrawCeasefireRisk(), UMPIRE)
    monitored = under_truce(clauses=("truce", "monitors")).run(DrawCeasefireRisk(), UMPIRE)
    plain_skirmish = of_type(plain, "ceasefire_risk_drawn")[0].data
    assert plain_skirmish["probability"] == 0.5 and plain_skirmish["modifiers"] == {}
    skirmish = of_type(monitored, "ceasefire_risk_drawn")[0].data
    assert skirmish["probability"] == 0.2 and skirmish["modifiers"] == {"monitors": -0.3}


def test_the_risk_grows_with_each_phase_the_ceasefire_holds():
    def never_collapses(data):
        data["ceasefire_risks"][1]["likelihood"] = 0.0

    game = under_truce(mini_deck(never_collapses))
    events = game.run(AdvancePhase(), UMPIRE)  # talks -> endgame: drawn before the phase changes
    assert [e.type for e in events][-1] == "phase_advanced"
    draws = of_type(events, "ceasefire_risk_drawn")
    assert [(d.data["rule"], d.data["phases_held"], d.data["probability"]) for d in draws] == [
        ("skirmish", 0, 0.5), ("collapse", 0, 0.0)]
    draws = of_type(game.run(DrawCeasefireRisk(), UMPIRE), "ceasefire_risk_drawn")
    assert [(d.data["phases_held"], d.data["probability"]) for d in draws] == [(1, 0.6), (1, 0.0)]
    assert not any(d.data["occurred"] for d in draws[1:])


def test_a_rule_that_ends_the_ceasefire_ends_it_when_it_occurs():
    for n in range(200):
        game = under_truce(seed=f"collapse-{n}")
        before = trust(game, "a", "b")
        events = game.run(DrawCeasefireRisk(), UMPIRE)
        if of_type(events, "ceasefire_collapsed"):
            break
    else:
        pytest.fail("no seed made the cease-fire collapse")
    collapse = [d for d in of_type(events, "ceasefire_risk_drawn") if d.data["rule"] == "collapse"][0]
    assert collapse.data["occurred"] and collapse.data["roll"] < collapse.data["probability"]
    collapsed = one(events, "ceasefire_collapsed")
    assert collapsed.data == {"agreement": 1, "rule": "collapse"} and visible_to(collapsed, OBSERVER)
    assert events[-1] is collapsed  # nothing is drawn after the cease-fire has ended
    assert game.state.ceasefire.current is None and game.state.ceasefire.collapsed == 1
    assert trust(game, "a", "b") == max(0, before - 10)
    game.refused(DrawCeasefireRisk(), UMPIRE, "conflict")
    assert replay(game.deck, game.log, seed="x").ceasefire.current is None


def test_there_is_nothing_to_draw_without_a_ceasefire():
    game = in_talks()
    error = game.refused(DrawCeasefireRisk(), UMPIRE, "conflict")
    assert "No cease-fire" in error.message
    assert of_type(game.run(AdvancePhase(), UMPIRE), "ceasefire_risk_drawn") == []


# ---- replay and what each role sees -------------------------------------------

def test_replay_up_to_a_seq_gives_the_state_at_that_seq():
    game = in_talks()
    states = {game.state.seq: game.state}
    for command, actor in [(PlaySignal("olive-branch"), A), (PostMessage("plenary", "hi"), B),
                           (FireInject("crisis"), UMPIRE), (DraftProposal("main", "D", (Clause("truce"),)), A),
                           (SignProposal(1), A), (SignProposal(1), B), (DrawCeasefireRisk(), UMPIRE)]:
        game.run(command, actor)
        states[game.state.seq] = game.state
    assert [e.seq for e in game.log] == list(range(1, len(game.log) + 1))
    for seq, state in states.items():
        assert replay(game.deck, game.log, upto=seq, seed=game.seed) == state
    assert replay(game.deck, game.log, upto=0, seed=game.seed) == initial_state(game.deck, game.seed)


def test_private_parts_of_a_delegation_are_shown_only_to_it_and_the_umpire():
    game = in_talks()
    mine = view_state(game.state, A)
    assert delegation_view(mine, "a")["private_brief"] == "Alpha's secret."
    assert delegation_view(mine, "a")["objectives"] == ["Alpha's aim"]
    assert delegation_view(mine, "a")["red_lines"] == ["Alpha's line"]
    assert [c["id"] for c in delegation_view(mine, "a")["hand"]] == ["olive-branch", "quiet-word", "show-of-force"]
    for other in ("b", "c", "d"):
        assert set(delegation_view(mine, other)) == {"id", "name", "kind", "public_brief"}
    observer = view_state(game.state, OBSERVER)
    assert all("private_brief" not in d and "hand" not in d for d in observer["delegations"])
    umpire = view_state(game.state, UMPIRE)
    assert [d["private_brief"] for d in umpire["delegations"]] == [
        "Alpha's secret.", "Beta's secret.", "Gamma's secret.", "Delta's secret."]
    assert "Alpha's secret." not in repr(view_state(game.state, B))


def test_umpire_extras_are_for_the_umpire_only():
    game = in_talks()
    umpire = view_state(game.state, UMPIRE)
    assert [i["id"] for i in umpire["event_list"]] == ["news", "tipoff", "crisis"]
    assert [r["id"] for r in umpire["ceasefire_risks"]] == ["skirmish", "collapse"]
    assert [c["id"] for c in delegation_view(umpire, "b")["hand"]] == ["feeler"]
    assert umpire["debrief"] == ["What did the truce cost Alpha?"]
    assert {p["name"] for p in umpire["presence"]} == {"Ann", "Bo", "Cy", "Di"}
    for viewer in (A, B, OBSERVER):
        view = view_state(game.state, viewer)
        assert not {"event_list", "firing", "ceasefire_risks", "debrief", "presence"} & set(view)
        assert "Shots at the border." not in repr(view)  # an unfired inject's text
        assert "A patrol fires." not in repr(view)  # a risk rule's text


def test_relations_are_shown_only_for_pairs_that_include_the_viewer():
    game = in_talks()

    def pairs(viewer):
        return [tuple(r["between"]) for r in view_state(game.state, viewer)["relations"]]

    assert pairs(UMPIRE) == [("a", "b"), ("a", "c"), ("b", "c"), ("b", "d")]
    assert pairs(A) == [("a", "b"), ("a", "c")]
    assert pairs(D) == [("b", "d")]
    assert pairs(OBSERVER) == []


def test_the_view_tells_each_role_who_it_is_and_what_is_open():
    game = Game(mini_deck()).seat_all().advance(1)
    view = view_state(game.state, A)
    assert view["you"]["delegation"] == "a" and view["last_seq"] == game.state.seq
    assert view["exercise"]["phase"]["id"] == "opening"
    assert [t["open"] for t in view["tables"]] == [False, False, False]
    assert [ch["id"] for ch in view["channels"]] == ["plenary", "table:main", "delegation:a"]
    assert [ch["id"] for ch in view_state(game.state, OBSERVER)["channels"]] == [
        "plenary", "table:main", "table:side", "table:brokers"]


# ---- the end --------------------------------------------------------------------

def test_an_ended_exercise_refuses_moves():
    game = in_talks()
    [ended] = game.run(EndExercise(), UMPIRE)
    assert ended.data["reason"] == "ended by the umpire" and visible_to(ended, OBSERVER)
    assert game.state.ended and not game.state.clock.running
    for command, actor in [(PlaySignal("olive-branch"), A), (DraftProposal("main", "D", (Clause("monitors"),)), A),
                           (AdvancePhase(), UMPIRE), (FireInject("news"), UMPIRE), (EndExercise(), UMPIRE),
                           (OpenBackchannel(("b",)), A)]:
        assert game.refused(command, actor, "ended").message == "The exercise has ended."
    game.run(PostMessage("plenary", "Thank you all"), A)  # the debrief conversation goes on
    assert view_state(game.state, A)["exercise"]["ended"] is True


def test_advancing_past_the_last_phase_ends_the_exercise():
    game = Game(mini_deck()).advance(3)
    [ended] = game.run(AdvancePhase(), UMPIRE)
    assert ended.type == "exercise_ended" and ended.data["reason"] == "last phase completed"
    game.refused(AdvancePhase(), UMPIRE, "ended")


def test_the_source_deck_data_is_not_changed_by_building_a_deck():
    data = mini_data()
    snapshot = copy.deepcopy(data)
    deck_from_data(data, "mini.yaml")
    assert data == snapshot


# ---- who is told, and what moves ----------------------------------------------

def test_tables_closed_by_the_first_phase_are_closed_before_the_exercise_starts():
    game = Game(mini_deck()).seat_all()
    error = game.refused(PostMessage("table:main", "early"), A, "closed")
    assert "before the exercise starts" in error.message
    assert [t["open"] for t in view_state(game.state, A)["tables"]] == [False, False, False]
    game.advance(2)
    game.run(PostMessage("table:main", "now we talk"), A)
    assert game.state.channels.get("table:main").count == 1


def test_a_private_signal_moves_trust_only_with_those_it_was_played_to():
    """'A quiet word' aims at Beta, but played privately to Gamma only Alpha–Gamma trust moves."""
    game = in_talks()
    before_ab, before_ac = trust(game, "a", "b"), trust(game, "a", "c")
    events = game.run(PlaySignal("quiet-word", to=("c",)), A)
    assert trust(game, "a", "b") == before_ab
    assert trust(game, "a", "c") == before_ac + 3
    assert all(not visible_to(e, B) for e in events if e.type != "indicator_changed")


def test_a_signing_cost_does_not_tell_outsiders_what_was_signed():
    def public_support(data):
        data["indicators"][1]["visible_to"] = "all"
    game = in_talks(mini_deck(public_support))
    game.run(DraftProposal("main", "Truce now", (Clause("truce"),)), A)
    [change] = of_type(game.run(SignProposal(1), A), "indicator_changed")
    assert visible_to(change, D) and change.data["delta"] == -10
    assert "Truce" not in change.data["reason"]


def test_a_hostile_signal_does_not_count_as_answering_an_olive_branch():
    game = in_talks()
    game.run(PlaySignal("feeler"), B)  # Beta reaches out toward Alpha
    events = game.run(PlaySignal("show-of-force"), A)  # Alpha answers with ships
    assert of_type(events, "signal_reciprocated") == []
    assert game.state.signals.play(1).reciprocated_by == ()


def test_an_inject_can_hit_the_trust_of_one_named_pair_only():
    def targeted(data):
        data["injects"][2]["effects"] = {"trust": -5, "pairs": [["a", "b"]]}
    game = in_talks(mini_deck(targeted))
    before = {k: r.trust for k, r in game.state.relations.items()}
    events = game.run(FireInject("crisis"), UMPIRE)
    [change] = of_type(events, "relation_changed")
    assert change.data["between"] == ["a", "b"] and change.data["trust_delta"] == -5
    assert all(game.state.relations[k].trust == v for k, v in before.items() if k != ("a", "b"))


def test_a_table_with_a_readiness_rung_refuses_premature_proposals():
    def formal(data):
        data["tables"][0]["min_readiness"] = 3
    game = in_talks(mini_deck(formal))
    error = game.refused(DraftProposal("main", "Too soon", (Clause("monitors"),)), A, "not_ready")
    assert "'formal talks' between Alpha and Beta" in error.message and "'talking about talking'" in error.message
    # Gamma mediates there: it learns the pair is not ready, not where they stand with each other.
    error = game.refused(DraftProposal("main", "Too soon", (Clause("monitors"),)), C, "not_ready")
    assert "'formal talks' between Alpha and Beta" in error.message and "talking about talking" not in error.message
    game.run(AdjustRelation(("a", "b"), "talks about talks went well", readiness=2), UMPIRE)
    game.run(DraftProposal("main", "Now", (Clause("monitors"),)), A)
    assert game.state.proposals.get(1).title == "Now"


def test_a_risk_draw_records_the_exact_odds_and_roll_so_the_log_explains_itself():
    game = in_talks()
    game.run(DraftProposal("main", "Truce", (Clause("truce"),)), A)
    game.run(SignProposal(1), A)
    game.run(SignProposal(1), B)
    for draw in of_type(game.run(DrawCeasefireRisk(), UMPIRE), "ceasefire_risk_drawn"):
        assert draw.data["occurred"] == (draw.data["roll"] < draw.data["probability"])


def test_clearing_presence_marks_every_connected_participant_gone(demo_deck):
    from facilitator.engine import ClearPresence, MarkPresence
    game = Game(demo_deck)
    olena = Actor("delegation", "ukraine", "p1", "Olena")
    game.run(SeatParticipant("p1", "Olena", "ukraine"), olena)
    game.run(MarkPresence("p1", True), olena)
    game.run(MarkPresence("p1", True), olena)  # two tabs
    game.refused(ClearPresence(), olena, "forbidden")
    [gone] = game.run(ClearPresence(), UMPIRE)
    assert gone.type == "participant_disconnected" and seen_by(gone, UMPIRE, olena) == [True, False]
    assert game.state.presence.of("p1") == 0
    assert game.run(ClearPresence(), UMPIRE) == []


# ---- who learns what: regressions of leaks once found ------------------------------------------

def test_a_private_answer_to_a_public_signal_is_known_only_to_the_two_of_them():
    """Beta answers Alpha's public olive branch with a private feeler: only Alpha and Beta learn of the answer
    (observers and other delegations see the olive branch, unanswered)."""
    game = in_talks()
    game.run(PlaySignal("olive-branch"), A)
    [answer] = of_type(game.run(PlaySignal("feeler", to=("a",)), B), "signal_reciprocated")
    assert seen_by(answer, UMPIRE, A, B, C, D, OBSERVER) == [True, True, True, False, False, False]
    for viewer, answers in ((UMPIRE, [2]), (A, [2]), (B, [2]), (C, []), (D, []), (OBSERVER, [])):
        [olive] = [s for s in view_state(game.state, viewer)["signals"] if s["play"] == 1]
        assert olive["reciprocated_by"] == answers, viewer
        assert 2 not in [s["play"] for s in view_state(game.state, viewer)["signals"]] or answers


def test_what_a_private_act_sets_off_in_public_carries_no_actor():
    """Alpha's private word to Beta moves the public tension gauge: Gamma, Delta and observers see the move,
    not who made it. Only the event that records an act names its actor."""
    game = in_talks()
    events = game.run(PlaySignal("quiet-word", to=("b",)), A)
    [moved] = of_type(events, "indicator_changed")
    assert seen_by(moved, C, D, OBSERVER) == [True] * 3
    assert moved.actor is None and moved.to_dict()["actor"] is None and "Ann" not in repr(moved.to_dict())
    assert [e.type for e in events if e.actor is not None] == ["signal_played"]
    number = draft(game, A, "main", "truce")
    game.run(SignProposal(number), B)
    signed = game.run(SignProposal(number), A)  # Alpha's signature costs it support and brings the truce
    assert [e.type for e in signed if e.actor is not None] == ["proposal_signed"]
    assert {e.type for e in signed if e.actor is None} >= {"indicator_changed", "agreement_entered_into_force",
                                                           "ceasefire_began"}


def test_an_agreement_in_force_shows_outsiders_what_its_entry_into_force_told_them():
    """Delta is not at the main table: it learns the agreement's terms and parties, not who drafted it or how
    many versions it took. The table (and observers) keep the whole record."""
    game = in_talks()
    number = draft(game, A, "main", "monitors")
    game.run(AmendProposal(number, (Clause("monitors", "more monitors"),)), B)
    game.run(SignProposal(number), A)
    game.run(SignProposal(number), B)
    [outside] = view_state(game.state, D)["proposals"]
    assert outside["status"] == "in_force" and outside["drafted_by"] is None and outside["version"] is None
    assert outside["clauses"][0]["terms"] == "more monitors" and outside["signatures"] == ["a", "b"]
    for viewer in (C, OBSERVER, A):
        [inside] = view_state(game.state, viewer)["proposals"]
        assert inside["drafted_by"] == "a" and inside["version"] == 2


def test_a_resent_number_says_nothing_of_what_one_was_not_told():
    """Acting on a proposal or a play one was not told of is 'not found', as if it did not exist."""
    game = in_talks()
    number = draft(game, A, "main", "monitors")
    for command in (SignProposal(number), AmendProposal(number, (Clause("monitors"),)), WithdrawProposal(number)):
        error = game.refused(command, D, "not_found")
        assert "Deal" not in error.message and "main" not in error.message.lower()
    game.run(PlaySignal("quiet-word", to=("b",)), A)
    game.refused(WithdrawSignal(2), D, "not_found")


def test_an_old_stored_event_is_upgraded_when_read():
    """A log written before 'clock_extended' carried the time left replays as it was played then."""
    from facilitator.engine import load_event
    from facilitator.engine.audience import Audience as Aud
    game = Game(mini_deck())
    game.run(AdvancePhase(), UMPIRE, now=T0)  # 10 minutes
    game.run(PauseClock(), UMPIRE, now=T0 + timedelta(minutes=2))
    old = load_event("clock_extended", 1, {"minutes": 5}, Aud.all(), UMPIRE, game.state.seq + 1, game.now)
    assert old.version == 2 and old.data == {"minutes": 5, "remaining": None}
    assert evolve(game.state, old).clock.remaining == 480 + 300
    newer = load_event("clock_extended", 3, {"minutes": 5}, Aud.all(), UMPIRE, game.state.seq + 1, game.now)
    assert newer.type == "clock_extended" and evolve(game.state, newer).clock == game.state.clock  # not folded


def test_extending_an_expired_clock_gives_the_whole_extension():
    game = Game(mini_deck())
    game.run(AdvancePhase(), UMPIRE, now=T0)  # 10 minutes
    game.run(ExtendClock(3), UMPIRE, now=T0 + timedelta(minutes=15))  # ran out 5 minutes ago
    assert game.state.clock.remaining_at(T0 + timedelta(minutes=15)) == 180
    assert game.state.clock.remaining_at(T0 + timedelta(minutes=16)) == 120


def test_the_clock_can_be_shortened_but_not_below_zero_running_or_paused():
    game = Game(mini_deck())
    game.run(AdvancePhase(), UMPIRE, now=T0)
    game.run(ExtendClock(-4), UMPIRE, now=T0 + timedelta(minutes=1))
    assert game.state.clock.remaining_at(T0 + timedelta(minutes=1)) == 300
    game.run(PauseClock(), UMPIRE, now=T0 + timedelta(minutes=2))
    game.run(ExtendClock(-2), UMPIRE, now=T0 + timedelta(minutes=3))
    assert game.state.clock.remaining_at(T0 + timedelta(hours=1)) == 120 and not game.state.clock.running
    game.run(ExtendClock(-10), UMPIRE, now=T0 + timedelta(minutes=4))
    assert game.state.clock.remaining_at(T0 + timedelta(minutes=4)) == 0
    game.run(ExtendClock(2), UMPIRE, now=T0 + timedelta(minutes=5))
    game.run(ResumeClock(), UMPIRE, now=T0 + timedelta(minutes=6))
    assert game.state.clock.remaining_at(T0 + timedelta(minutes=7)) == 60
    for minutes in (0, 121, -121):
        game.refused(ExtendClock(minutes), UMPIRE, "invalid")


def test_a_link_is_made_only_to_a_proposal_one_was_told_of_and_a_number_says_nothing():
    """Delta (side table) cannot bind, or probe, the main table's proposals: a hidden proposal, a hidden
    withdrawn one and one that does not exist are all 'not found', in the same words."""
    game = in_talks()
    hidden = draft(game, A, "main", "monitors")
    withdrawn = draft(game, A, "main", "monitors")
    game.run(WithdrawProposal(withdrawn), A)
    errors = [game.refused(DraftProposal("side", "Tied", (Clause("trade"),), links=(n,)), D, "not_found")
              for n in (hidden, withdrawn, 99)]
    assert {e.message.replace(str(n), "#") for e, n in zip(errors, (hidden, withdrawn, 99))} == {
        "Cannot link to proposal ##."}
    # Beta sits at both tables: it may tie them.
    side = draft(game, B, "side", "trade", links=(hidden,))
    assert game.state.proposals.get(side).links == (hidden,)


def test_a_withdrawn_proposal_no_longer_holds_its_package():
    game = in_talks()
    main = draft(game, A, "main", "monitors")
    side = draft(game, B, "side", "trade", links=(main,))
    game.run(SignProposal(main), A)
    game.run(SignProposal(main), B)
    assert game.state.proposals.get(main).status == "signed"  # waits for the side deal
    game.run(WithdrawProposal(side), B)
    assert game.state.proposals.get(main).status == "signed"  # its parties signed a package: not in force alone
    game.run(AmendProposal(main, (Clause("monitors", "on its own now"),)), A)
    game.run(SignProposal(main), A)
    events = game.run(SignProposal(main), B)
    assert one(events, "agreement_entered_into_force").data["links"] == []
    assert game.state.proposals.get(main).status == "in_force"


def test_an_amendment_made_on_an_old_version_is_refused_as_stale():
    game = in_talks()
    number = draft(game, A, "main", "monitors")
    game.run(AmendProposal(number, (Clause("monitors", "Beta's text"),), version=1), B)
    error = game.refused(AmendProposal(number, (Clause("monitors", "Alpha's text"),), version=1), A, "stale")
    assert error.fields == {"version": 2} and "amended" in error.message
    assert game.state.proposals.get(number).clauses[0].terms == "Beta's text"
