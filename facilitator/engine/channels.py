"""Channels: who may read and who may write where."""

from __future__ import annotations

from .audience import DELEGATION, OBSERVER, Actor, Audience, can_see
from .errors import RuleError
from .state import ExerciseState

PLENARY = "plenary"
UMPIRE_ROOM = "umpire"


def table_channel(table_id: str) -> str:
    return f"table:{table_id}"


def delegation_channel(delegation_id: str) -> str:
    return f"delegation:{delegation_id}"


def channel_audience(state: ExerciseState, channel: str) -> Audience:
    """Who reads ``channel``; raises ``not_found`` for a channel that does not exist."""
    if channel == PLENARY:
        return Audience.all()
    if channel == UMPIRE_ROOM:
        return Audience.umpire_only()
    kind, _, ref = channel.partition(":")
    if kind == "table" and (table := state.deck.table(ref)):
        return Audience.of(table.seated, observers=True)
    if kind == "delegation" and state.deck.delegation(ref):
        return Audience.of([ref])
    if kind == "backchannel" and ref.isdigit() and (bc := state.backchannel(int(ref))):
        return Audience.of(bc.delegations)
    raise RuleError("not_found", f"There is no channel '{channel}'.", {"channel": channel})


def check_can_post(state: ExerciseState, actor: Actor, channel: str) -> Audience:
    """The channel's audience, if ``actor`` may write there; a ``forbidden``/``closed`` error if not."""
    audience = channel_audience(state, channel)
    if actor.is_umpire:
        return audience
    if actor.role == OBSERVER:
        raise RuleError("forbidden", "Observers read; they do not post.", {"channel": channel})
    member = audience.everyone or actor.delegation in audience.delegations
    if actor.role != DELEGATION or not member:
        raise RuleError("forbidden", f"Your delegation may not write in '{channel}'.", {"channel": channel})
    if channel.startswith("table:"):
        table_id = channel.partition(":")[2]
        if not state.table_open(table_id):
            where = f"in the phase '{state.phase.name}'" if state.phase else "before the exercise starts"
            raise RuleError("closed", f"The table '{state.deck.table(table_id).name}' is closed {where}.",
                            {"channel": channel})
    return audience


def channels_for(state: ExerciseState, viewer: Actor) -> list[dict]:
    """The channels ``viewer`` reads, with their names and message counts."""
    deck = state.deck
    found = [(PLENARY, "Plenary", "plenary")]
    found += [(table_channel(t.id), t.name, "table") for t in deck.tables]
    found += [(delegation_channel(d.id), f"{d.name} (private)", "delegation") for d in deck.delegations]
    found += [(b.channel, "Back-channel: " + ", ".join(deck.delegation(x).name for x in b.delegations),
               "backchannel") for b in state.backchannels]
    found.append((UMPIRE_ROOM, "Exercise control", "umpire"))
    return [{"id": cid, "name": name, "kind": kind, "count": state.message_counts.get(cid, 0)}
            for cid, name, kind in found if can_see(channel_audience(state, cid), viewer)]
