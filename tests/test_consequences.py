"""Consequences the engine applies by itself: thresholds with effects, drift that depends on the state of
play, cease-fire odds with floors and driving indicators, and the epilogue drawn after the end. Then the
kyiv-decides exploits found by playing it hundreds of times, scripted on the deck itself."""

from __future__ import annotations

from facilitator.engine import AdjustIndicator, DrawCeasefireRisk, EndExercise, SignProposal
from facilitator.engine.ceasefire import odds

from .test_deck_rules import _istanbul_ceasefire, at_table, ready
from .test_engine import A, B, C, D, UMPIRE, Game, draft, in_talks, mini_deck, of_type, seen_by


def _truce(game: Game) -> int:
    truce = draft(game, A, "main", "truce")
    game.run(SignProposal(truce), A)
    game.run(SignProposal(truce), B)
    assert game.state.ceasefire.current is not None
    return truce


# ---- thresholds with effects ---------------------------------------------------------------------------

def _threshold_deck():
    def change(d):
        d["indicators"][0]["thresholds"][0].update(
            effects={"indicators": {"secret": 2}, "trust": -5, "pairs": [["a", "b"]]}, reason="War is near")
    return mini_deck(change)


def test_crossing_a_threshold_applies_its_effects_once_as_consequences():
    game = in_talks(_threshold_deck())
    trust = game.state.relations[("a", "b")].trust
    events = game.run(AdjustIndicator("tension", 4, "shots"), UMPIRE)
    assert [e.type for e in events] == ["indicator_changed", "threshold_crossed", "indicator_changed",
                                        "relation_changed"]
    moved, relation = events[2], events[3]
    assert moved.data["indicator"] == "secret" and moved.data["delta"] == 2 and moved.data["reason"] == "War is near"
    assert relation.data["trust_delta"] == -5 and game.state.relations[("a", "b")].trust == trust - 5
    assert events[0].actor is not None and moved.actor is None and relation.actor is None
    game.run(AdjustIndicator("tension", -4, "calm"), UMPIRE)
    again = game.run(AdjustIndicator("tension", 4, "shots again"), UMPIRE)
    assert [e.type for e in again] == ["indicator_changed", "threshold_crossed"]  # noted again, applied once
    assert game.state.indicators["secret"] == 5


def test_a_threshold_with_effects_on_a_hidden_indicator_needs_words_for_those_who_see_the_moves():
    import pytest
    from facilitator.decks import DeckInvalid

    def change(d):
        d["indicators"][2]["thresholds"] = [{"at": 6, "note": "Stockpile full.", "effects": {"indicators":
                                                                                           {"tension": 1}}}]
    with pytest.raises(DeckInvalid) as info:
        mini_deck(change)
    assert "reason" in str(info.value)


# ---- conditional drift ------------------------------------------------------------------------------------

def test_drift_applies_only_while_its_condition_holds():
    deck = mini_deck(lambda d: d["indicators"][1].update(drift_while={"ceasefire": False}))
    game = in_talks(deck)
    assert game.state.indicators["support"] == 45  # no cease-fire: it drifted
    game.run(AdjustIndicator("support", 50, "room to ratify"), UMPIRE)
    _truce(game)
    before = game.state.indicators["support"]
    deck_risks_vetoed = game.state.deck.ceasefire_risks
    assert deck_risks_vetoed  # the draws at the change of phase may move other indicators, not this one
    game.advance()
    assert game.state.indicators["support"] == before


# ---- floors and driven odds ----------------------------------------------------------------------------------

def _risky_deck():
    def change(d):
        d["ceasefire_risks"][0].update(modifiers={"monitors": -0.9}, min_likelihood=0.15,
                                       driven_by=[{"indicator": "secret", "above": 5, "step": 0.1,
                                                   "per_point": 0.05}])
        d["clause_types"][1]["max_in_force"] = None
    return mini_deck(change)


def test_a_floor_keeps_the_odds_above_zero_whatever_the_clauses():
    game = in_talks(_risky_deck())
    _truce(game)
    monitors = draft(game, A, "main", "monitors")
    game.run(SignProposal(monitors), A)
    game.run(SignProposal(monitors), B)
    skirmish = game.state.deck.ceasefire_risks[0]
    assert odds(game.state, skirmish)[0] == 0.15
    [drawn] = [e for e in game.run(DrawCeasefireRisk(), UMPIRE) if e.type == "ceasefire_risk_drawn"
               and e.data["rule"] == "skirmish"]
    assert drawn.data["probability"] == 0.15 and drawn.data["floor"] == 0.15 and drawn.data["driven"] == {}


def test_an_indicator_above_its_mark_drives_the_odds_up():
    game = in_talks(_risky_deck())
    _truce(game)
    skirmish = game.state.deck.ceasefire_risks[0]
    base = odds(game.state, skirmish)[0]
    game.run(AdjustIndicator("secret", 5, "rearmed"), UMPIRE)  # 8: three points above 5
    probability, _, _, driven = odds(game.state, skirmish)
    assert driven == {"secret": 0.25} and abs(probability - (base + 0.25)) < 1e-9
    [drawn] = [e for e in game.run(DrawCeasefireRisk(), UMPIRE) if e.type == "ceasefire_risk_drawn"
               and e.data["rule"] == "skirmish"]
    assert drawn.data["driven"] == {"secret": 0.25}


# ---- the epilogue ------------------------------------------------------------------------------------------

def _epilogue_deck(**collapse):
    def change(d):
        d["epilogue"] = {"months": 6}
        d["ceasefire_risks"][1].update(collapse)
    return mini_deck(change)


def test_the_epilogue_draws_months_of_ceasefire_for_everyone_and_replays_exactly():
    logs = []
    for _ in range(2):
        game = in_talks(_epilogue_deck(likelihood=0.0))
        _truce(game)
        events = game.run(EndExercise(), UMPIRE)
        months = of_type(events, "epilogue_drawn")
        assert [m.data["month"] for m in months] == [1, 2, 3, 4, 5, 6]
        assert all(seen_by(m, A, B, C, D) == [True] * 4 for m in months)
        assert all(m.data["holding"] for m in months) and game.state.ceasefire.current is not None
        assert all(m.payload.describe(game.deck).title.startswith("After the exercise, month") for m in months)
        logs.append([(e.type, e.data) for e in events])
    assert logs[0] == logs[1]


def test_the_epilogue_stops_when_the_ceasefire_collapses():
    game = in_talks(_epilogue_deck(likelihood=1.0))
    truce = _truce(game)
    events = game.run(EndExercise(), UMPIRE)
    [month] = of_type(events, "epilogue_drawn")
    assert month.data["month"] == 1 and not month.data["holding"]
    assert of_type(events, "ceasefire_collapsed")[0].data["agreement"] == truce
    assert game.state.ceasefire.current is None


def test_no_epilogue_without_a_ceasefire_or_without_the_deck_option():
    assert not of_type(in_talks(_epilogue_deck()).run(EndExercise(), UMPIRE), "epilogue_drawn")
    game = in_talks()
    _truce(game)
    assert not of_type(game.run(EndExercise(), UMPIRE), "epilogue_drawn")


# ---- kyiv-decides: the exploits found by playing it ---------------------------------------------------------

def test_kyiv_decides_refusing_the_ceasefire_is_not_free():
    from .test_scenario_decks import Exercise
    ex = Exercise("kyiv-decides", seed="refuse")
    ex.seat_everyone()
    while ex.state.clock.phase_index < len(ex.deck.phases) - 1:
        ex.advance()
    assert ex.value("human-cost") > 60 and ex.value("economy") < 35
    crossed = {(e.data["indicator"], e.data["at"]) for e in ex.log if e.type == "threshold_crossed"}
    assert {("human-cost", 60), ("economy", 35)} <= crossed
    assert any(e.type == "indicator_changed" and e.data["indicator"] == "ua-outlook" and e.data["delta"] < 0
               and e.actor is None for e in ex.log)


def test_kyiv_decides_a_ceasefire_stops_the_human_cost_climbing():
    ex = at_table("kyiv-decides", "istanbul")
    ceasefire = _istanbul_ceasefire(ex)
    ex.sign(ceasefire, "ukraine", "russia")
    cost = ex.value("human-cost")
    for rule in ex.deck.ceasefire_risks:  # no incident: only the drift could move it
        from facilitator.engine.ceasefire import SetRiskOverride
        ex.umpire(SetRiskOverride(rule.id, "veto"))
    ex.advance()
    assert ex.value("human-cost") == cost


def test_kyiv_decides_the_offensive_never_has_zero_odds_with_monitors_and_a_guarantee():
    ex = at_table("kyiv-decides", "istanbul")
    ready(ex, "western")
    ex.umpire(AdjustIndicator("ua-support", 100, "room to ratify, for the test"))
    guarantee = ex.draft("united-states", "western", "Guarantee", "security-guarantee")
    ceasefire = ex.draft("ukraine", "istanbul", "Stop where we stand", "ceasefire-in-place", "monitors",
                         links=(guarantee,))
    ex.sign(guarantee, "ukraine", "united-states", "france")
    ex.sign(ceasefire, "ukraine", "russia")
    offensive = next(r for r in ex.deck.ceasefire_risks if r.id == "offensive")
    probability, modifiers, _, _ = odds(ex.state, offensive)
    assert set(modifiers) == {"monitors", "security-guarantee"}
    assert offensive.likelihood + sum(modifiers.values()) <= 0 < offensive.min_likelihood == probability
    ex.umpire(AdjustIndicator("ru-regroup", 40, "rearmed in the lull"))  # 60: twenty points above 40
    assert odds(ex.state, offensive)[0] > probability + 0.05


def test_kyiv_decides_a_hardline_move_does_not_raise_support_for_a_deal():
    card = next(s for s in at_table("kyiv-decides", "istanbul").deck.signals if s.id == "ua-prewar-lines")
    assert card.effects.indicators.get("ua-support", 0) <= 0 and card.cost.indicators.get("ua-support", 0) <= 0


def test_kyiv_decides_moscow_will_not_sign_a_withdrawal_while_it_expects_to_win():
    ex = at_table("kyiv-decides", "istanbul")
    ex.umpire(AdjustIndicator("ua-support", 100, "room to ratify, for the test"))
    pullback = ex.draft("ukraine", "istanbul", "Back to February", "withdrawal")
    ex.sign(pullback, "ukraine")
    refusal = ex.refused("russia", SignProposal(pullback))
    assert "Moscow will not sign a pullback" in refusal.message


def test_kyiv_decides_every_red_line_of_china_is_measured():
    deck = at_table("kyiv-decides", "istanbul").deck
    assert all(goal.measure is not None for goal in deck.delegation("china").red_lines)


def test_kyiv_decides_measures_the_cost_of_not_settling():
    deck = at_table("kyiv-decides", "istanbul").deck
    measured = {goal.measure.indicator for goal in deck.delegation("ukraine").objectives
                if goal.measure is not None and goal.measure.kind == "indicator"}
    assert {"ua-support", "human-cost"} <= measured
    assert deck.epilogue is not None and deck.epilogue.months >= 12
    assert deck.indicator("ru-home").drift_while.ceasefire is False
