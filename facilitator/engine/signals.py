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
from .visibility import entries, sees

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
    _narrowed_only(state, card, to, toward)
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
        _apply_split(out, _one_sided(card.cost), me, card, addressees, cost_reason)
        _apply_split(out, _one_sided(card.effects), me, card, addressees, reason)
        _reciprocations(out, number, card, me, addressees, private=bool(to))


def _narrowed_only(state, card, to: tuple[str, ...], toward: tuple[str, ...]) -> None:
    """A card is aimed where its deck aims it (``toward``): a player may leave some of them out, never add
    others. A card aimed at nobody in particular takes no ``toward``; played privately it may go to anyone."""
    if not card.toward:
        if toward:
            raise RuleError("invalid", f"'{card.title}' is not aimed at anyone in particular: it takes no 'toward'.",
                            {"toward": "not allowed"})
        return
    for field, given in (("toward", toward), ("to", to)):
        outside = [d for d in given if d not in card.toward]
        if outside:
            raise RuleError("invalid", f"'{card.title}' is aimed at {names(state.deck, card.toward)}: it may be "
                                       f"narrowed to some of them, not aimed at {names(state.deck, outside)}.",
                            {field: outside})


def _one_sided(effects: Effects) -> Effects:
    """What a card does on its own: readiness takes two, so a card alone never raises it (an answer to it, or
    an agreement, does). Falls stay: a threat or a broken promise sets a pair back on its own."""
    if effects.readiness <= 0:
        return effects
    return Effects(effects.indicators, effects.trust, 0, effects.pairs, effects.beliefs)


def _shares(total: int, n: int) -> list[int]:
    """``total`` split into ``n`` whole shares adding up to it, the larger shares first."""
    sign, (whole, left) = (1 if total >= 0 else -1), divmod(abs(total), n)
    return [sign * (whole + (1 if i < left else 0)) for i in range(n)]


def _apply_split(out: Outcome, effects: Effects, me: str, card, addressees, reason: str) -> None:
    """Indicators move once; trust and readiness are split between the delegations the signal speaks to, in
    the order the card names them (a gesture aimed at five is worth a fifth to each). Effects naming their own
    ``pairs`` go to those pairs whole; beliefs move as the card says."""
    if effects.pairs or len(addressees) <= 1:
        apply_effects(out, effects, pairs_with(me, addressees), reason)
        return
    order = [d for d in card.toward if d in addressees] + sorted(d for d in addressees if d not in card.toward)
    apply_effects(out, Effects(effects.indicators, beliefs=effects.beliefs), [], reason)
    for other, trust, readiness in zip(order, _shares(effects.trust, len(order)),
                                       _shares(effects.readiness, len(order))):
        apply_effects(out, Effects(trust=trust, readiness=readiness), pairs_with(me, [other]), reason)


def answers_in_kind(card, answered) -> bool:
    """``card`` can answer ``answered``: both conciliatory (they raise trust), of one family, and ``card``
    weighs at least as much. Cheap words answer cheap words; a halt to strikes wants a halt to strikes."""
    return (card.effects.trust > 0 and answered.effects.trust > 0 and card.family == answered.family
            and card.weight >= answered.weight)


def _reciprocations(out: Outcome, number: int, card, me: str, addressees, private: bool) -> None:
    """A signal toward a delegation that has an active signal toward us answers it, if in kind.

    Only signals each side was told of count: ``addressees`` are those the new signal speaks to, and an
    earlier signal is answered only by one of its own addressees. Only conciliatory signals of the same
    family, and of no lower weight, answer (``answers_in_kind``): a threat is no reply to an olive branch,
    and a kind word no reply to a halt in strikes. One play answers at most one signal of each delegation:
    the earliest still waiting for an answer from the player.
    """
    if card.effects.trust <= 0:
        return
    deck = out.state.deck
    answered_senders = set()
    for earlier in out.state.signals.plays:
        if not earlier.active or earlier.by == me or earlier.by not in addressees or me not in earlier.addressees:
            continue
        if earlier.by in answered_senders:
            continue
        if any(out.state.signals.play(n).by == me for n in earlier.reciprocated_by):
            continue
        answered = deck.signal(earlier.card)
        if not answers_in_kind(card, answered):
            continue
        answered_senders.add(earlier.by)
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
    _apply_split(out, _one_sided(card.withdrawal_effects), me, card, play.addressees, reason)


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
            "adjudicated": card.adjudicated, "family": card.family, "weight": card.weight}


@view("signals", reads=("signals",), key="play")
def _signals(state, viewer) -> list[dict]:
    """The plays ``viewer`` was told of, and of their answers only those it was told of."""
    deck = state.deck
    return entries(state.signals.plays, lambda p: {
        "play": p.number, "card": p.card, "title": deck.signal(p.card).title, "by": p.by, "to": list(p.to),
        "toward": list(p.toward), "active": p.active, "reversible": deck.signal(p.card).reversible,
        "family": deck.signal(p.card).family, "weight": deck.signal(p.card).weight,
        "reciprocated_by": [r.play for r in p.reciprocations if sees(viewer, r.audience)]}
        if sees(viewer, p.audience) else None)
