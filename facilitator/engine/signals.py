"""Signals: cards a delegation plays in public or privately, answers to them, and withdrawals.

A signal played privately is known to its sender and addressees only; what it moves in
public (an indicator everyone watches) is shown without naming it or its player.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from .audience import Audience
from .core import replace
from .core import Description, Number, Outcome, Ref, Refs, command, decides, event, evolves, initial, names, \
    record, view
from .deck import PRIVATE, PUBLIC, Effects
from .errors import RuleError
from .guards import known_delegations, member, name_of, started
from .indicators import apply_effects, effects_view, one_move_per_indicator, pairs_with
from .visibility import sees

# ---- state -----------------------------------------------------------------------------------------


@record
class Reciprocation:
    play: int  # the answering play
    audience: Audience  # who was told of the answer


@record
class SignalPlay:
    number: int
    card: str
    by: str
    to: tuple[str, ...]  # empty: played in public
    toward: tuple[str, ...]
    audience: Audience  # who was told of the play
    active: bool = True
    reciprocations: tuple[Reciprocation, ...] = ()

    @property
    def public(self) -> bool:
        return not self.to

    @property
    def addressees(self) -> tuple[str, ...]:
        """Whom the signal speaks to: those it was played to in private, or whom it aims at in public.

        Only they can answer it, and only their relations with the sender move.
        """
        return self.to if self.to else self.toward

    @property
    def reciprocated_by(self) -> tuple[int, ...]:
        return tuple(r.play for r in self.reciprocations)


@record
class Signals:
    plays: tuple[SignalPlay, ...]
    hands: Mapping[str, tuple[str, ...]]  # delegation -> cards still in hand

    def play(self, number: int) -> SignalPlay | None:
        return self.plays[number - 1] if 1 <= number <= len(self.plays) else None


@initial
def _initial(deck) -> dict:
    return {"signals": Signals((), MappingProxyType({d.id: d.hand for d in deck.delegations}))}


def _replace_play(signals: Signals, play: SignalPlay) -> Signals:
    plays = signals.plays[:play.number - 1] + (play,) + signals.plays[play.number:]
    return replace(signals, plays=plays)


# ---- commands ----------------------------------------------------------------------------------------


@command("play_signal")
class PlaySignal:
    card: Ref
    to: Refs = ()
    toward: Refs = ()


@command("withdraw_signal")
class WithdrawSignal:
    play: Number


# ---- events ------------------------------------------------------------------------------------------


@event("signal_played")
class SignalPlayed:
    play: int
    card: str
    title: str
    text: str
    by: str
    to: tuple[str, ...]
    toward: tuple[str, ...]
    reversible: bool
    visibility: str  # public or private

    def describe(self, deck) -> Description:
        how = f"privately to {names(deck, self.to)}" if self.to else "in public"
        toward = f", toward {names(deck, self.toward)}" if self.toward else ""
        return Description("signal", f"{names(deck, [self.by])} played “{self.title}” {how}{toward}")


@event("signal_reciprocated")
class SignalReciprocated:
    play: int  # the answering play
    reciprocates: int  # the earlier play
    by: str
    answering: str
    title: str

    def describe(self, deck) -> Description:
        return Description("signal", f"{names(deck, [self.by])} answered {names(deck, [self.answering])}'s "
                                     f"“{self.title}”")


@event("signal_withdrawn")
class SignalWithdrawn:
    play: int
    card: str
    title: str
    by: str

    def describe(self, deck) -> Description:
        return Description("signal", f"{names(deck, [self.by])} withdrew “{self.title}”")


# ---- rules -------------------------------------------------------------------------------------------


@decides(PlaySignal)
def _play_signal(out: Outcome, cmd: PlaySignal) -> None:
    state = out.state
    me = member(out.actor)
    started(state)
    card = state.deck.signal(cmd.card)
    if card is None:
        raise RuleError("not_found", f"There is no signal card '{cmd.card}'.", {"card": "unknown"})
    if cmd.card not in state.signals.hands.get(me, ()):
        raise RuleError("not_in_hand", f"'{card.title}' is not in {name_of(state, me)}'s hand.",
                        {"card": "not in hand"})
    if card.adjudicated is not None:
        raise RuleError("adjudicated", f"'{card.title}' is adjudicated by the umpire: submit it as a move "
                                       "(submit_move with this card).", {"card": "adjudicated"})
    to = known_delegations(state, cmd.to, "to")
    toward = known_delegations(state, cmd.toward or card.toward, "toward")
    if me in to or me in toward:
        raise RuleError("invalid", "A delegation does not signal to itself.", {"to": "includes yourself"})
    if card.visibility == PUBLIC and to:
        raise RuleError("invalid", f"'{card.title}' is a public signal; it cannot be played privately.",
                        {"to": "not allowed"})
    if card.visibility == PRIVATE and not to:
        raise RuleError("invalid", f"'{card.title}' is private: name the delegations it goes to.", {"to": "required"})
    number = len(state.signals.plays) + 1
    audience = Audience.all() if not to else Audience.of((me,) + to)
    out.act(SignalPlayed(number, card.id, card.title, card.text, me, to, toward, card.reversible,
                         PUBLIC if not to else PRIVATE), audience)
    addressees = to or toward  # as SignalPlay.addressees
    # A change's reason reaches all who see the change (everyone, for a public indicator): it must not name a
    # private signal. The play's cost, its effects and what an answer to a signal adds are one move per
    # indicator, so nobody learns more from the gauges than from the play.
    cost_reason, reason = ((f"cost of the signal '{card.title}'", f"signal '{card.title}'") if not to
                           else ("cost of a private signal", "a private signal"))
    with one_move_per_indicator(out, reason):
        apply_effects(out, card.cost, pairs_with(me, addressees), cost_reason)
        apply_effects(out, card.effects, pairs_with(me, addressees), reason)
        _reciprocations(out, number, card.effects, me, addressees, private=bool(to))


def _reciprocations(out: Outcome, number: int, effects: Effects, me: str, addressees, private: bool) -> None:
    """A signal toward a delegation that has an active signal toward us answers it.

    Only signals each side was told of count: ``addressees`` are those the new signal speaks to, and an
    earlier signal is answered only by one of its own addressees. Only conciliatory signals (cards that
    raise trust) answer, or are answered: a threat is no reply to an olive branch.
    """
    if effects.trust <= 0:
        return
    deck = out.state.deck
    for earlier in out.state.signals.plays:
        if not earlier.active or earlier.by == me or earlier.by not in addressees or me not in earlier.addressees:
            continue
        if any(out.state.signals.play(n).by == me for n in earlier.reciprocated_by):
            continue
        answered = deck.signal(earlier.card)
        if answered.effects.trust <= 0:
            continue
        audience = Audience.all() if not private and earlier.public else Audience.of({me, earlier.by})
        out.consequence(SignalReciprocated(number, earlier.number, me, earlier.by, answered.title), audience)
        reason = f"reciprocated signal '{answered.title}'" if audience.everyone else "a private signal reciprocated"
        apply_effects(out, answered.on_reciprocated, pairs_with(me, [earlier.by]), reason)


@decides(WithdrawSignal)
def _withdraw_signal(out: Outcome, cmd: WithdrawSignal) -> None:
    me = member(out.actor)
    play = out.state.signals.play(cmd.play)
    if play is None or not sees(out.actor, play.audience):
        raise RuleError("not_found", f"There is no signal #{cmd.play}.", {"play": "unknown"})
    if play.by != me:
        raise RuleError("forbidden", "Only the delegation that played a signal may withdraw it.")
    card = out.state.deck.signal(play.card)
    if not card.reversible:
        raise RuleError("irreversible", f"'{card.title}' cannot be withdrawn.")
    if not play.active:
        raise RuleError("conflict", f"'{card.title}' has already been withdrawn.")
    out.act(SignalWithdrawn(play.number, card.id, card.title, me), play.audience)
    reason = f"withdrew the signal '{card.title}'" if play.public else "withdrew a private signal"
    apply_effects(out, card.withdrawal_effects, pairs_with(me, play.addressees), reason)


@evolves(SignalPlayed)
def _signal_played(state, e: SignalPlayed, event):
    play = SignalPlay(e.play, e.card, e.by, e.to, e.toward, event.audience)
    hand = tuple(c for c in state.signals.hands.get(e.by, ()) if c != e.card)
    signals = Signals(state.signals.plays + (play,), MappingProxyType({**state.signals.hands, e.by: hand}))
    return replace(state, signals=signals)


@evolves(SignalReciprocated)
def _signal_reciprocated(state, e: SignalReciprocated, event):
    earlier = state.signals.play(e.reciprocates)
    answered = replace(earlier, reciprocations=earlier.reciprocations + (Reciprocation(e.play, event.audience),))
    return replace(state, signals=_replace_play(state.signals, answered))


@evolves(SignalWithdrawn)
def _signal_withdrawn(state, e: SignalWithdrawn, event):
    play = state.signals.play(e.play)
    return replace(state, signals=_replace_play(state.signals, replace(play, active=False)))


# ---- view --------------------------------------------------------------------------------------------


def card_view(card) -> dict:
    """A signal card as a hand shows it."""
    return {"id": card.id, "title": card.title, "text": card.text, "visibility": card.visibility,
            "reversible": card.reversible, "toward": list(card.toward), "credibility": card.credibility,
            "cost": effects_view(card.cost), "effects": effects_view(card.effects), "sources": list(card.sources),
            "adjudicated": card.adjudicated}


@view("signals", reads=("signals",), key="play")
def _signals(state, viewer) -> list[dict]:
    """The plays ``viewer`` was told of, and of their answers only those it was told of."""
    deck = state.deck
    return [{"play": p.number, "card": p.card, "title": deck.signal(p.card).title, "by": p.by, "to": list(p.to),
             "toward": list(p.toward), "active": p.active, "reversible": deck.signal(p.card).reversible,
             "reciprocated_by": [r.play for r in p.reciprocations if sees(viewer, r.audience)]}
            for p in state.signals.plays if sees(viewer, p.audience)]
