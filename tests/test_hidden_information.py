"""Hidden information in the rules: private beliefs about another delegation's aims, and a secret card dealt
from the seed; who sees them in the engine's views and events. The random sessions of
test_visibility_property.py play them on talking-about-talking too."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.decks import deck_from_data
from facilitator.decks.loader import load_deck, load_notes
from facilitator.engine import Actor, EndExercise, FireInject, PlaySignal, WithdrawSignal, replay, view_state, \
    visible_to
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.beliefs import AdjustBelief
from facilitator.engine.ceasefire import odds
from facilitator.engine.debrief import RevealDebrief, assessment
from facilitator.engine.secret_cards import dealt
from facilitator.engine.state import initial_state

from .test_engine import Game

ROOT = Path(__file__).resolve().parent.parent
UA = Actor("delegation", "ukraine", "p-ua", "Olena")
RU = Actor("delegation", "russia", "p-ru", "Ivan")
US = Actor("delegation", "united-states", "p-us", "Sam")
EU = Actor("delegation", "eu", "p-eu", "Eva")
OBSERVER = Actor("observer")


@pytest.fixture(scope="module")
def deck():
    return load_deck(ROOT / "scenarios" / "talking-about-talking.yaml", load_notes(ROOT / "seeds")).deck


def game(deck, seed="seed-1") -> Game:
    return Game(deck, seed).seat_all(UA, RU, US, EU).advance(2)


def beliefs(state, viewer) -> dict:
    return {b["id"]: b["value"] for b in view_state(state, viewer).get("beliefs") or []}


def test_each_delegation_sees_its_own_beliefs_and_control_sees_all(deck):
    state = initial_state(deck, "s")
    assert beliefs(state, UA) == {"ukraine>russia": 80}
    assert beliefs(state, RU) == {"russia>united-states": 55}
    assert beliefs(state, EU) == {} and beliefs(state, OBSERVER) == {}
    assert set(beliefs(state, UMPIRE_ACTOR)) == {"ukraine>russia", "united-states>russia", "russia>united-states"}


def test_a_public_signal_moves_beliefs_through_events_only_their_holders_see(deck):
    g = game(deck)
    events = g.run(PlaySignal("ru-halt-city-strikes"), RU)
    moved = [e for e in events if e.type == "belief_changed"]
    assert {(e.payload.holder, e.payload.value) for e in moved} == {("ukraine", 72), ("united-states", 59)}
    for e in moved:
        assert e.actor is None  # a consequence: it names nobody
        assert visible_to(e, Actor("delegation", e.payload.holder)) and visible_to(e, UMPIRE_ACTOR)
        assert not visible_to(e, RU) and not visible_to(e, OBSERVER)
    assert beliefs(g.state, UA) == {"ukraine>russia": 72}
    assert beliefs(g.state, RU) == {"russia>united-states": 55}


def test_withdrawing_words_costs_more_belief_than_saying_them_bought(deck):
    g = game(deck)
    g.run(PlaySignal("ru-limited-aims"), RU)
    assert beliefs(g.state, UA) == {"ukraine>russia": 78}  # cheap talk moves little
    g.run(WithdrawSignal(1), RU)
    assert beliefs(g.state, UA) == {"ukraine>russia": 88}


def test_an_inject_moves_beliefs_and_they_stay_within_bounds(deck):
    g = game(deck)
    for _ in range(4):
        g.run(FireInject("hy-city-strike"), UMPIRE_ACTOR)
    assert beliefs(g.state, UA) == {"ukraine>russia": 100}


def test_control_adjusts_a_belief_and_players_may_not(deck):
    g = game(deck)
    [e] = g.run(AdjustBelief("russia", "united-states", -20), UMPIRE_ACTOR)
    assert e.type == "belief_changed" and e.actor is not None and not visible_to(e, UA)
    assert beliefs(g.state, RU) == {"russia>united-states": 35}
    g.refused(AdjustBelief("russia", "united-states", 5), RU, "forbidden")
    g.refused(AdjustBelief("eu", "russia", 5), UMPIRE_ACTOR, "not_found")


def test_a_replay_folds_the_same_beliefs(deck):
    g = game(deck)
    g.run(PlaySignal("ru-halt-city-strikes"), RU)
    assert replay(deck, g.log, seed=g.seed).beliefs == g.state.beliefs


def test_the_secret_card_is_dealt_from_the_seed(deck):
    secret = deck.secrets[0]
    faces = {dealt(initial_state(deck, f"seed-{i}"), secret).id for i in range(40)}
    assert faces == {"limited", "maximalist", "buying-time"}
    assert dealt(initial_state(deck, "seed-7"), secret) == dealt(initial_state(deck, "seed-7"), secret)


def _seed_for(deck, card_id: str) -> str:
    return next(f"s{i}" for i in range(200) if dealt(initial_state(deck, f"s{i}"), deck.secrets[0]).id == card_id)


def test_only_the_holder_and_control_see_the_secret_until_the_debrief_reveals_it(deck):
    g = game(deck, _seed_for(deck, "maximalist"))
    for viewer in (RU, UMPIRE_ACTOR):
        [shown] = view_state(g.state, viewer)["secrets"]
        assert shown["card"]["id"] == "maximalist" and shown["revealed"] is False
    for viewer in (UA, US, EU, OBSERVER):
        assert "secrets" not in view_state(g.state, viewer)
    assert not any("maximalist" in str(e.to_dict(deck)) for e in g.log)  # no event tells the deal
    g.run(EndExercise(), UMPIRE_ACTOR)
    g.run(RevealDebrief("ukraine"), UMPIRE_ACTOR)
    assert "secrets" not in view_state(g.state, UA)
    g.run(RevealDebrief("russia"), UMPIRE_ACTOR)
    for viewer in (UA, US, OBSERVER):
        [shown] = view_state(g.state, viewer)["secrets"]
        assert shown["card"]["title"].startswith("Maximalist") and shown["revealed"] is True


def test_the_secret_card_shifts_risk_odds_and_adds_objectives(deck):
    rule = next(r for r in deck.ceasefire_risks if r.id == "city-hit")
    by_card = {card: initial_state(deck, _seed_for(deck, card)) for card in ("limited", "maximalist", "buying-time")}
    assert odds(by_card["limited"], rule)[0] == pytest.approx(rule.likelihood - 0.05)
    assert odds(by_card["maximalist"], rule)[0] == pytest.approx(rule.likelihood + 0.1)
    assert odds(by_card["buying-time"], rule)[0] == pytest.approx(rule.likelihood)
    for card, state in by_card.items():
        russia = next(a for a in assessment(state) if a["delegation"] == "russia")
        extra = [o["text"] for o in russia["objectives"][len(deck.delegation("russia").objectives):]]
        assert extra == [g.text for g in next(c for c in deck.secrets[0].cards if c.id == card).objectives]


def test_a_deck_refuses_beliefs_and_secrets_that_name_nothing(deck):
    from facilitator.decks.loader import DeckInvalid

    base = {"id": "mini", "title": "Mini", "summary": "Two sides.",
            "delegations": [{"id": "a", "name": "A", "kind": "belligerent", "public_brief": "A."},
                            {"id": "b", "name": "B", "kind": "belligerent", "public_brief": "B."}],
            "phases": [{"id": "p", "name": "P", "minutes": 5}]}
    with pytest.raises(DeckInvalid) as info:
        deck_from_data({**base, "beliefs": [{"holder": "a", "about": "z", "name": "n"}, {"holder": "a", "about": "a",
                                                                                      "name": "n"}],
                        "secrets": [{"id": "s", "holder": "b", "title": "S",
                                     "cards": [{"id": "x", "title": "X", "text": "x", "risk": {"nope": 0.1}},
                                               {"id": "y", "title": "Y", "text": "y"}]}],
                        "injects": [{"id": "i", "title": "I", "text": "i", "kind": "hypothetical",
                                     "sources": ["n#1"],
                                     "effects": {"beliefs": [{"holder": "b", "about": "a", "by": 5}]}}]})
    text = str(info.value)
    for path in ("beliefs[0]", "beliefs[1].about", "secrets[0].cards[0].risk.nope", "injects[0].effects.beliefs[0]"):
        assert path in text, text


# ---- the epilogue keeps the secret ---------------------------------------------------------------------------

def test_the_epilogue_withholds_the_odds_a_secret_card_shifts():
    from facilitator.engine import SignProposal

    from .test_engine import A, B, draft, in_talks, mini_deck, of_type

    def change(d):
        d["epilogue"] = {"months": 3}
        d["ceasefire_risks"][1]["likelihood"] = 0.0
        d["secrets"] = [{"id": "aim", "holder": "b", "title": "Beta's aim", "sources": ["test-note#1"],
                         "cards": [{"id": "war", "title": "War", "text": "Beta means war.",
                                    "risk": {"skirmish": 0.2}},
                                   {"id": "peace", "title": "Peace", "text": "Beta means peace.",
                                    "risk": {"skirmish": -0.2}}]}]
    game = in_talks(mini_deck(change))
    truce = draft(game, A, "main", "truce")
    game.run(SignProposal(truce), A)
    game.run(SignProposal(truce), B)
    months = of_type(game.run(EndExercise(), UMPIRE_ACTOR), "epilogue_drawn")
    assert months
    for month in months:
        draws = {d["rule"]: d["probability"] for d in month.data["draws"]}
        assert draws["skirmish"] is None  # the card's shift would show in it
        assert next(d for d in month.data["draws"] if d["rule"] == "skirmish")["roll"] is None  # a roll bounds odds
        assert draws["collapse"] == 0.0
        assert "skirmish withheld" in month.payload.describe(game.deck).detail.lower()


# ---- polls ------------------------------------------------------------------------------------------------

def _kyiv():
    return load_deck(ROOT / "scenarios" / "kyiv-decides.yaml", load_notes(ROOT / "seeds")).deck


def test_a_poll_publishes_to_everyone_a_reading_within_its_margin_of_a_private_indicator():
    from facilitator.engine.polls import PublishPoll

    from .test_engine import A, B, C, in_talks, mini_deck, seen_by

    readings = []
    for seed in range(40):
        game = in_talks(mini_deck(), seed=f"poll-{seed}")
        true = game.state.indicators["support"]
        [event] = game.run(PublishPoll("support", 8), UMPIRE_ACTOR)
        assert event.type == "poll_published" and seen_by(event, A, B, C) == [True] * 3
        assert abs(event.data["reading"] - true) <= 8 and event.data["margin"] == 8
        readings.append(event.data["reading"] - true)
        shown = view_state(game.state, B)
        assert "support" not in {i["id"] for i in shown["indicators"]}  # Beta still sees only the poll
        [poll] = shown["polls"]
        assert poll["indicator"] == "support" and poll["readings"][-1]["value"] == event.data["reading"]
        assert poll["readings"][-1]["phase"] == "Talks"
    assert len(set(readings)) > 5  # a reading is an estimate: it is not always the truth


def test_poll_readings_replay_the_same_and_only_control_may_publish_one():
    from facilitator.engine.polls import PublishPoll

    from .test_engine import A, B, in_talks, mini_deck

    game = in_talks(mini_deck(), seed="same")
    game.run(PublishPoll("support", 10), UMPIRE_ACTOR)
    game.run(PublishPoll("secret", 3), UMPIRE_ACTOR)
    assert replay(game.deck, game.log, seed="same").polls == game.state.polls
    game.refused(PublishPoll("support", 5), B, "forbidden")
    game.refused(PublishPoll("nope", 5), UMPIRE_ACTOR, "not_found")
    assert "everyone already sees" in game.refused(PublishPoll("tension", 5), UMPIRE_ACTOR, "conflict").message.lower()
    [poll] = [p for p in view_state(game.state, A)["polls"] if p["indicator"] == "support"]
    assert len(poll["readings"]) == 1  # Alpha, who sees the indicator, sees the published reading too


def test_kyiv_decides_polls_ukrainian_support_which_only_kyiv_sees():
    deck = _kyiv()
    assert deck.indicator("ua-support").visible_to == ("ukraine",)
    ukraine = Actor("delegation", "ukraine", "p-ua", "Olena")
    russia = Actor("delegation", "russia", "p-ru", "Ivan")
    g = Game(deck, "kyiv-poll").seat_all(ukraine, russia).advance(2)
    assert "ua-support" not in {i["id"] for i in view_state(g.state, russia)["indicators"]}
    events = g.run(FireInject("h-poll"), UMPIRE_ACTOR)
    [poll] = [e for e in events if e.type == "poll_published"]
    assert abs(poll.data["reading"] - g.state.indicators["ua-support"]) <= 6
    assert visible_to(poll, russia) and visible_to(poll, OBSERVER)
    assert [p["indicator"] for p in view_state(g.state, russia)["polls"]] == ["ua-support"]


def test_the_rules_withheld_from_the_epilogue_do_not_depend_on_the_deal_nor_tell_a_private_indicator(deck):
    from facilitator.engine.ceasefire import withheld_odds

    # Every rule any face shifts, whichever face is dealt: which odds are blank says nothing of the card.
    assert withheld_odds(deck) == {"city-hit", "halt-collapses", "refit"}
    # kyiv-decides' offensive is driven by the forces Russia rebuilt, which only exercise control sees.
    kyiv = _kyiv()
    assert "offensive" in withheld_odds(kyiv)
    assert all(kyiv.indicator(d.indicator).visible_to == "all"
               for r in kyiv.ceasefire_risks if r.id not in withheld_odds(kyiv) for d in r.driven_by)
