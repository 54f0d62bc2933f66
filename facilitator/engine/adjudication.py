"""Adjudication: a delegation submits a free move (matrix-game style: an action, the result it intends, its
reasons) or a card the deck marks as adjudicated; it waits in a queue only exercise control sees; the umpire
approves, rejects or modifies it, optionally with a roll against odds, and applies its effects with a reason.

The roll is made once from the exercise's seed and the move's number, and written into the event with the
odds, so a replay shows the same outcome. The submitting delegation, and the delegations the umpire names,
learn the ruling; nobody else learns that the move existed.
"""

from __future__ import annotations

import random
from datetime import datetime
from types import MappingProxyType
from typing import Annotated

from .audience import Audience
from .core import replace
from .core import Description, Int, Number, Outcome, Records, Ref, Refs, Text, command, decides, event, evolves, \
    initial, names, record, view
from .deck import Effects
from .errors import RuleError
from .guards import MAX_TEXT, MAX_TITLE, clean_text, known_delegations, member, name_of, started, text, umpire
from .indicators import apply_effects, pairs_with
from .injects import IndicatorDelta
from .visibility import entries, sees

WAITING, APPROVED, REJECTED, MODIFIED = "waiting", "approved", "rejected", "modified"
RULINGS = (APPROVED, REJECTED, MODIFIED)
QUEUE = Audience.umpire_only()

# ---- state -----------------------------------------------------------------------------------------


@record
class Move:
    number: int
    by: str
    submitted_by: str  # the member's display name
    action: str
    result: str
    reasons: str
    card: str | None
    submitted_at: datetime
    audience: Audience  # of the submission: the delegation and exercise control
    status: str = WAITING
    outcome: str = ""
    odds: int | None = None  # percent
    roll: int | None = None  # 1-100
    succeeded: bool | None = None
    told: Audience | None = None  # of the ruling


@record
class Moves:
    moves: tuple[Move, ...] = ()

    def get(self, number: int) -> Move | None:
        return self.moves[number - 1] if 1 <= number <= len(self.moves) else None


@initial
def _initial(deck) -> dict:
    return {"moves": Moves()}


# ---- commands ----------------------------------------------------------------------------------------


@command("submit_move")
class SubmitMove:
    """A free move for the umpire to adjudicate, or a card from the hand that the deck marks as adjudicated."""

    action: Text
    result: Text = ""
    reasons: Text = ""
    card: Ref | None = None


@command("adjudicate_move")
class AdjudicateMove:
    """Rule on a waiting move. ``odds`` (percent, optional): the server rolls 1-100 and the move succeeds on a
    roll at or under the odds; effects apply only when it is approved or modified and, with a roll, succeeds.
    ``between``: the delegations whose trust and readiness with the mover change. ``tell``: other
    delegations told of the ruling."""

    move: Number
    ruling: Ref
    outcome: Text = ""
    odds: Int(0, 100) | None = None
    indicators: Annotated[tuple[IndicatorDelta, ...], Records(50)] = ()
    trust: Int(-100, 100) = 0
    readiness: Int(-10, 10) = 0
    between: Refs = ()
    reason: Text = ""
    tell: Refs = ()


# ---- events ------------------------------------------------------------------------------------------


@event("move_submitted")
class MoveSubmitted:
    move: int
    by: str
    submitted_by: str
    action: str
    result: str
    reasons: str
    card: str | None

    def describe(self, deck) -> Description:
        card = f" (card: {deck.signal(self.card).title})" if self.card and deck.signal(self.card) else ""
        return Description("move", f"{names(deck, [self.by])} submitted move #{self.move} for adjudication{card}",
                           self.action)


@event("move_adjudicated")
class MoveAdjudicated:
    move: int
    by: str
    action: str
    ruling: str
    outcome: str
    odds: int | None
    roll: int | None
    succeeded: bool | None
    told: tuple[str, ...]

    def describe(self, deck) -> Description:
        rolled = "" if self.roll is None else (f" — roll {self.roll} against {self.odds}%: "
                                               + ("success" if self.succeeded else "failure"))
        return Description("move", f"Move #{self.move} by {names(deck, [self.by])} {self.ruling}{rolled}",
                           self.outcome or self.action)


# ---- rules -------------------------------------------------------------------------------------------


@decides(SubmitMove)
def _submit(out: Outcome, cmd: SubmitMove) -> None:
    state = out.state
    me = member(out.actor)
    started(state)
    action = text(cmd.action, "action", MAX_TEXT)
    result = clean_text(cmd.result)
    reasons = clean_text(cmd.reasons)
    for field, value in (("result", result), ("reasons", reasons)):
        if len(value) > MAX_TEXT:
            raise RuleError("too_long", f"'{field}' is {len(value)} characters; the limit is {MAX_TEXT}.",
                            {field: f"over {MAX_TEXT} characters"})
    if cmd.card is not None:
        card = state.deck.signal(cmd.card)
        if card is None or card.adjudicated is None:
            raise RuleError("not_found", f"There is no card '{cmd.card}' to submit for adjudication.",
                            {"card": "unknown"})
        if cmd.card not in state.signals.hands.get(me, ()):
            raise RuleError("not_in_hand", f"'{card.title}' is not in {name_of(state, me)}'s hand.",
                            {"card": "not in hand"})
    number = len(state.moves.moves) + 1
    out.act(MoveSubmitted(number, me, out.actor.name or "", action, result, reasons, cmd.card), Audience.of([me]))


def roll_for(seed: str, move: int) -> int:
    """The roll of a move (1-100): made once from the exercise's seed, and stored in the event."""
    return random.Random(f"{seed}:move:{move}").randint(1, 100)


@decides(AdjudicateMove)
def _adjudicate(out: Outcome, cmd: AdjudicateMove) -> None:
    state = out.state
    umpire(out.actor)
    move = state.moves.get(cmd.move)
    if move is None:
        raise RuleError("not_found", f"There is no move #{cmd.move}.", {"move": "unknown"})
    if move.status != WAITING:
        raise RuleError("conflict", f"Move #{move.number} has already been {move.status}.", {"move": move.status})
    if cmd.ruling not in RULINGS:
        raise RuleError("invalid", f"Rule 'approved', 'rejected' or 'modified', not '{cmd.ruling}'.",
                        {"ruling": "unknown"})
    outcome = clean_text(cmd.outcome)
    if len(outcome) > MAX_TEXT:
        raise RuleError("too_long", f"'outcome' is {len(outcome)} characters; the limit is {MAX_TEXT}.",
                        {"outcome": f"over {MAX_TEXT} characters"})
    if cmd.ruling == MODIFIED and not outcome:
        raise RuleError("invalid", "Say how the move is modified (the outcome).", {"outcome": "empty"})
    tell = tuple(d for d in known_delegations(state, cmd.tell, "tell") if d != move.by)
    between = known_delegations(state, cmd.between, "between")
    for change in cmd.indicators:
        if state.deck.indicator(change.indicator) is None:
            raise RuleError("not_found", f"There is no indicator '{change.indicator}'.",
                            {"indicators": change.indicator})
    effects = Effects({c.indicator: c.delta for c in cmd.indicators}, cmd.trust, cmd.readiness)
    if effects and cmd.ruling == REJECTED:
        raise RuleError("invalid", "A rejected move has no effects.", {"ruling": "rejected with effects"})
    reason = text(cmd.reason, "reason", MAX_TITLE) if effects else clean_text(cmd.reason)
    if cmd.odds is not None and cmd.ruling == REJECTED:
        raise RuleError("invalid", "A rejected move is not rolled for.", {"odds": "rejected"})
    roll = roll_for(state.seed, move.number) if cmd.odds is not None else None
    succeeded = None if roll is None else roll <= cmd.odds
    told = Audience.of((move.by,) + tell)
    out.act(MoveAdjudicated(move.number, move.by, move.action, cmd.ruling, outcome, cmd.odds, roll, succeeded, tell),
            told)
    if effects and succeeded is not False:
        apply_effects(out, effects, pairs_with(move.by, between), reason)


@evolves(MoveSubmitted)
def _submitted(state, e: MoveSubmitted, event):
    move = Move(e.move, e.by, e.submitted_by, e.action, e.result, e.reasons, e.card, event.at, event.audience)
    state = replace(state, moves=Moves(state.moves.moves + (move,)))
    if e.card:
        hands = state.signals.hands
        hand = tuple(c for c in hands.get(e.by, ()) if c != e.card)
        state = replace(state, signals=replace(state.signals, hands=MappingProxyType({**hands, e.by: hand})))
    return state


@evolves(MoveAdjudicated)
def _adjudicated(state, e: MoveAdjudicated, event):
    moves = state.moves.moves
    move = replace(moves[e.move - 1], status=e.ruling, outcome=e.outcome, odds=e.odds, roll=e.roll,
                   succeeded=e.succeeded, told=event.audience)
    return replace(state, moves=Moves(moves[:e.move - 1] + (move,) + moves[e.move:]))


# ---- view --------------------------------------------------------------------------------------------


@view("moves", reads=("moves",), key="move")
def _moves(state, viewer) -> list[dict]:
    """Exercise control: every move, the queue with its age (``submitted_at``). A delegation: the moves it
    submitted, and the rulings it was told of (the action and the ruling, not the mover's reasons)."""
    def shown(m) -> dict | None:
        own = sees(viewer, m.audience)
        told = m.told is not None and sees(viewer, m.told)
        if not (own or told):
            return None
        entry = {"move": m.number, "by": m.by, "action": m.action, "status": m.status}
        if own:
            card = state.deck.signal(m.card) if m.card else None
            entry.update(submitted_by=m.submitted_by, result=m.result, reasons=m.reasons, card=m.card,
                         card_title=card.title if card else None, card_odds=card.adjudicated if card else None,
                         submitted_at=m.submitted_at.isoformat() if m.submitted_at else None)
        if m.status != WAITING:
            entry.update(outcome=m.outcome, odds=m.odds, roll=m.roll, succeeded=m.succeeded)
        return entry

    return entries(state.moves.moves, shown)
