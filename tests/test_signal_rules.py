"""Signals teach costly signalling: answers in kind, aims that only narrow, readiness that takes two.

Each exploit found by playing the decks is scripted here on the shipped deck and must fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.decks import load_deck
from facilitator.decks.references import check_signals
from facilitator.engine import AdjustIndicator, PlaySignal
from facilitator.engine.deck import SignCondition

from tests.test_scenario_decks import Exercise

ROOT = Path(__file__).resolve().parent.parent
DECKS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


def _answers(ex, play):
    return ex.state.signals.play(play).reciprocated_by


def test_cheap_talk_cannot_buy_everything():
    """Exploit: Russia's cheapest card, re-aimed at all five delegations, answered six earlier signals at once
    (Ukraine's costly strike halt among them) and lifted Ukraine–Russia trust 15 → 32, readiness to 2."""
    ex = Exercise("talking-about-talking", seed="cheap-talk")
    ex.seat_everyone()
    ex.advance()
    earlier = [ex.play("ukraine", "ua-halt-deep-strikes"), ex.play("ukraine", "ua-decree-clarify"),
               ex.play("ukraine", "ua-pow-accept"), ex.play("united-states", "us-envoy"),
               ex.play("eu", "eu-envoy"), ex.play("united-states", "us-conditional-relief")]
    trust, readiness = ex.trust("ukraine", "russia"), ex.readiness("ukraine", "russia")

    everyone = ["ukraine", "united-states", "eu", "nato", "turkey"]
    refusal = ex.refused("russia", PlaySignal("ru-tone-down", toward=tuple(everyone)))
    assert refusal.code == "invalid" and "narrowed" in refusal.message

    ex.play("russia", "ru-tone-down")  # aimed where its card aims it: at Kyiv
    assert all(_answers(ex, n) == () for n in earlier)  # kind words answer no halt, no decree, no swap
    assert ex.trust("ukraine", "russia") == trust + ex.card("ru-tone-down").effects.trust
    assert ex.readiness("ukraine", "russia") == readiness

    # Even Russia's widest cheap card answers nothing of another family or of more weight.
    ex.play("russia", "ru-limited-aims")
    assert all(_answers(ex, n) == () for n in earlier)


def test_only_an_answer_in_kind_and_of_no_lower_weight_counts():
    ex = Exercise("talking-about-talking", seed="in-kind")
    ex.seat_everyone()
    ex.advance()
    halt = ex.play("ukraine", "ua-halt-deep-strikes")  # strikes, weight 3
    ex.play("russia", "ru-pow-all-for-all")  # prisoners: no answer to a halt in strikes
    assert _answers(ex, halt) == ()
    answer = ex.play("russia", "ru-halt-city-strikes")  # strikes, weight 3: the answer
    assert _answers(ex, halt) == (answer,)


def test_aiming_at_several_delegations_splits_the_relation_effects():
    ex = Exercise("talking-about-talking", seed="split")
    ex.seat_everyone()
    ex.advance()
    card = ex.card("ru-limited-aims")  # trust 2, aimed at Ukraine, the U.S. and the EU
    before = {d: ex.trust("russia", d) for d in card.toward}
    ex.play("russia", "ru-limited-aims")
    gained = {d: ex.trust("russia", d) - before[d] for d in card.toward}
    assert sum(gained.values()) == card.effects.trust and max(gained.values()) <= 1

    before = ex.trust("russia", "united-states")
    ex.play("russia", "ru-envoy", toward=["united-states"])  # narrowed: the whole of it to one
    assert ex.trust("russia", "united-states") == before + ex.card("ru-envoy").effects.trust


def test_it_takes_two_to_climb_the_ladder():
    """Exploit: Ukraine alone (decree clarified, swap accepted) opened the contact channel, Russia silent."""
    ex = Exercise("talking-about-talking", seed="one-side")
    ex.seat_everyone()
    ex.advance()
    start = ex.readiness("ukraine", "russia")
    ex.play("ukraine", "ua-decree-clarify")
    ex.play("ukraine", "ua-pow-accept")
    assert ex.readiness("ukraine", "russia") == start  # one side's cards move trust, never readiness


def test_the_channel_opens_only_when_both_outlooks_are_dented():
    ex = Exercise("talking-about-talking", seed="dented")
    ex.seat_everyone()
    ex.advance()
    decree = ex.play("ukraine", "ua-decree-clarify")
    envoy = ex.play("russia", "ru-envoy", toward=["ukraine"])  # a counterpart named: contacts answer contacts
    assert _answers(ex, decree) == (envoy,)
    assert ex.readiness("ukraine", "russia") == 1

    ex.umpire(AdjustIndicator("ua-outlook", 44 - ex.value("ua-outlook"), "Hypothetical: a hard winter"))
    accept = ex.play("ukraine", "ua-pow-accept")
    swap = ex.play("russia", "ru-pow-all-for-all")
    assert _answers(ex, accept) == (swap,)
    assert ex.readiness("ukraine", "russia") == 1  # Kyiv is dented, Moscow not yet: held below 'channel open'

    ex.umpire(AdjustIndicator("ru-outlook", 48 - ex.value("ru-outlook"), "Hypothetical: an offensive stalls"))
    assert ex.readiness("ukraine", "russia") == 1  # a cap lifted does not climb by itself
    ex.play("ukraine", "ua-halt-deep-strikes", to=["russia"])
    ex.play("russia", "ru-halt-city-strikes")
    assert ex.readiness("ukraine", "russia") == 2  # both dented, an answer in kind: the channel opens
    ex.check_replay()


def test_the_umpire_may_still_move_a_capped_pair():
    ex = Exercise("talking-about-talking", seed="umpire")
    ex.seat_everyone()
    from facilitator.engine import AdjustRelation
    ex.umpire(AdjustRelation(("ukraine", "russia"), "umpire's ruling", readiness=2))
    assert ex.readiness("ukraine", "russia") == 2


def test_sign_conditions_may_state_a_maximum():
    upper = SignCondition("russia", "ru-outlook", max=50)
    assert upper.holds(50) and not upper.holds(51) and upper.wanted() == "at most 50"
    both = SignCondition("ukraine", "ua-room", min=30, max=60)
    assert both.holds(30) and not both.holds(29) and not both.holds(61)
    deck = load_deck(ROOT / "scenarios" / "talking-about-talking.yaml").deck
    agenda = deck.clause_type("talks-agenda")
    assert any(c.delegation == "russia" and c.max == 50 for c in agenda.sign_conditions)


@pytest.mark.parametrize("deck_id", DECKS)
def test_every_signal_card_has_a_family_and_a_weight_and_plays_as_written(deck_id):
    loaded = load_deck(ROOT / "scenarios" / f"{deck_id}.yaml")
    assert check_signals(loaded.deck) == []
    for raw in loaded.data["signals"]:
        assert raw.get("family") and raw.get("weight") in (1, 2, 3), raw["id"]
        if raw.get("credibility") == "low":
            assert raw["weight"] == 1, f"{raw['id']}: cheap talk weighs 1"


def test_talking_about_talking_caps_the_channel_on_both_outlooks():
    deck = load_deck(ROOT / "scenarios" / "talking-about-talking.yaml").deck
    [cap] = deck.readiness_caps
    assert set(cap.between) == {"ukraine", "russia"} and deck.rung(cap.rung) == 2
    assert {(c.delegation, c.indicator, c.max) for c in cap.conditions} == {("ukraine", "ua-outlook", 45),
                                                                            ("russia", "ru-outlook", 50)}
