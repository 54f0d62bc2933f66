"""Beliefs: what each delegation privately believes of another's aims, beside the trust they share.

A deck names the beliefs it tracks (``beliefs``: holder, about, what the number means, its start, 0-100).
Effects move them (``effects.beliefs`` of a signal card, an answer, an inject, a clause, a risk); each move
is an event for the holder and exercise control only, and says nothing of what moved it (a private signal's
cause stays with those who were told of it). Each belief keeps the audience of the event that set it, so
the view shows a delegation its own beliefs and exercise control all of them.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from .audience import Audience
from .core import Description, Int, Outcome, Ref, command, decides, event, evolves, initial, names, record, \
    replace, signed, view
from .deck import BeliefMove
from .errors import RuleError
from .guards import umpire
from .participants import private_audience
from .visibility import sees

LOW, HIGH = 0, 100


def belief_id(holder: str, about: str) -> str:
    return f"{holder}>{about}"


# ---- state -----------------------------------------------------------------------------------------


@record
class Held:
    value: int
    audience: Audience  # of the event that set it (the holder's, at the start)


@initial
def _initial(deck) -> dict:
    return {"beliefs": MappingProxyType({belief_id(b.holder, b.about): Held(b.start, private_audience(b.holder))
                                         for b in deck.beliefs})}


# ---- commands ----------------------------------------------------------------------------------------


@command("adjust_belief")
class AdjustBelief:
    """Exercise control moves a delegation's belief about another by ``by`` (within 0-100)."""

    holder: Ref
    about: Ref
    by: Int(-100, 100)


# ---- events ------------------------------------------------------------------------------------------


@event("belief_changed")
class BeliefChanged:
    holder: str
    about: str
    name: str
    delta: int
    value: int

    def describe(self, deck) -> Description:
        return Description("relation", f"{names(deck, [self.holder])}'s belief “{self.name}” {signed(self.delta)} "
                                     f"(now {self.value})")


# ---- rules -------------------------------------------------------------------------------------------


def move_beliefs(out: Outcome, moves: tuple[BeliefMove, ...], act: bool = False) -> None:
    """Move the beliefs ``moves`` name (those the deck tracks), each within 0-100; nothing if it does not move."""
    for move in moves:
        belief = out.state.deck.belief(move.holder, move.about)
        if belief is None or not move.by:
            continue
        old = out.state.beliefs[belief_id(move.holder, move.about)].value
        new = max(LOW, min(HIGH, old + move.by))
        if new != old:
            record_ = out.act if act else out.consequence
            record_(BeliefChanged(move.holder, move.about, belief.name, new - old, new), private_audience(move.holder))


@decides(AdjustBelief)
def _adjust(out: Outcome, cmd: AdjustBelief) -> None:
    umpire(out.actor)
    if out.state.deck.belief(cmd.holder, cmd.about) is None:
        tracked = ", ".join(belief_id(b.holder, b.about) for b in out.state.deck.beliefs) or "none"
        raise RuleError("not_found", f"This deck tracks no belief of '{cmd.holder}' about '{cmd.about}' (it tracks: "
                                     f"{tracked}).", {"holder": "unknown", "about": "unknown"})
    if not cmd.by:
        raise RuleError("invalid", "Give a change other than 0.", {"by": "not 0"})
    before = len(out.events)
    move_beliefs(out, (BeliefMove(cmd.holder, cmd.about, cmd.by),), act=True)
    if len(out.events) == before:
        raise RuleError("conflict", "The belief is already at its bound.")


@evolves(BeliefChanged)
def _changed(state, e: BeliefChanged, event):
    beliefs = {**state.beliefs, belief_id(e.holder, e.about): Held(e.value, event.audience)}
    return replace(state, beliefs=MappingProxyType(beliefs))


# ---- view --------------------------------------------------------------------------------------------


@view("beliefs", reads=("beliefs",), key="id")
def _beliefs(state, viewer) -> list[dict] | None:
    """The beliefs the viewer may see (a delegation's own; all, for exercise control):
    ``[{id, holder, about, name, value}]``."""
    shown = []
    for b in state.deck.beliefs:
        key = belief_id(b.holder, b.about)
        held: Held = state.beliefs[key]
        if sees(viewer, held.audience):
            shown.append({"id": key, "holder": b.holder, "about": b.about, "name": b.name, "value": held.value})
    return shown or None


def beliefs_of(state, holder: str) -> Mapping[str, int]:
    """A holder's beliefs now: about -> value."""
    return {b.about: state.beliefs[belief_id(b.holder, b.about)].value for b in state.deck.beliefs if b.holder == holder}
