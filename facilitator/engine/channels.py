"""Channels and tables: where delegations talk, who reads and who writes where, and back-channels."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from types import MappingProxyType
from typing import Mapping

from .audience import DELEGATION, OBSERVER, Audience
from .core import Description, Outcome, Ref, Refs, Text, command, decides, event, evolves, initial, names, record, view
from .errors import RuleError
from .guards import MAX_TEXT, known_delegations, text
from .visibility import sees

PLENARY = "plenary"
UMPIRE_ROOM = "umpire"
KINDS = ("plenary", "table", "delegation", "backchannel", "umpire")  # the order channels are listed in


def table_channel(table_id: str) -> str:
    return f"table:{table_id}"


def delegation_channel(delegation_id: str) -> str:
    return f"delegation:{delegation_id}"


def backchannel_id(seed: str, delegations) -> str:
    """A back-channel's id: from its members and the exercise's secret seed, so an id says nothing (how many
    back-channels exist, who else talks) to anyone outside it, and cannot be guessed."""
    digest = hashlib.sha256(f"{seed}:{'+'.join(sorted(delegations))}".encode()).hexdigest()[:12]
    return f"backchannel:{digest}"


def table_audience(table) -> Audience:
    """Who follows a table: the delegations seated there (parties and mediators) and observers."""
    return Audience.of(table.seated, observers=True)


# ---- state -----------------------------------------------------------------------------------------


@record
class Channel:
    id: str
    name: str
    kind: str
    audience: Audience  # who reads it: fixed by the deck, or by the event that opened it
    count: int = 0  # messages so far
    delegations: tuple[str, ...] = ()  # a back-channel's members


@record
class Channels:
    by_id: Mapping[str, Channel]

    def get(self, channel_id: str) -> Channel | None:
        return self.by_id.get(channel_id)

    def backchannels(self) -> list[Channel]:
        return [c for c in self.by_id.values() if c.kind == "backchannel"]


@initial
def _initial(deck) -> dict:
    found = [Channel(PLENARY, "Plenary", "plenary", Audience.all())]
    found += [Channel(table_channel(t.id), t.name, "table", table_audience(t)) for t in deck.tables]
    found += [Channel(delegation_channel(d.id), f"{d.name} (private)", "delegation", Audience.of([d.id]))
              for d in deck.delegations]
    found.append(Channel(UMPIRE_ROOM, "Exercise control", "umpire", Audience.umpire_only()))
    return {"channels": Channels(MappingProxyType({c.id: c for c in found}))}


def _with(channels: Channels, channel: Channel) -> Channels:
    return Channels(MappingProxyType({**channels.by_id, channel.id: channel}))


# ---- commands ----------------------------------------------------------------------------------------


@command("post_message", after_end=True)
class PostMessage:
    channel: Ref
    text: Text


@command("open_backchannel")
class OpenBackchannel:
    delegations: Refs


# ---- events ------------------------------------------------------------------------------------------


@event("message_posted")
class MessagePosted:
    channel: str
    text: str
    author: str  # display name, or "Umpire"
    delegation: str | None

    def describe(self, deck) -> Description:
        where = _channel_name(deck, self.channel)
        by = f"{self.author} ({deck.delegation(self.delegation).name})" if self.delegation else self.author
        return Description("chat", f"{by} in {where}")


def _unnumbered(data: dict) -> dict:
    """Version 1 numbered back-channels in the order opened (which told members how many others existed)."""
    return {k: v for k, v in data.items() if k != "number"}


@event("backchannel_opened", version=2, upgrades={1: _unnumbered})
class BackchannelOpened:
    channel: str
    delegations: tuple[str, ...]

    def describe(self, deck) -> Description:
        return Description("channel", f"Back-channel opened: {names(deck, self.delegations)}")


def _channel_name(deck, channel_id: str) -> str:
    kind, _, ref = channel_id.partition(":")
    if kind == "table" and deck.table(ref):
        return deck.table(ref).name
    if kind == "delegation" and deck.delegation(ref):
        return f"{deck.delegation(ref).name} (private)"
    if kind == "backchannel":
        return "a back-channel"
    return {"plenary": "Plenary", "umpire": "Exercise control"}.get(channel_id, channel_id)


# ---- rules -------------------------------------------------------------------------------------------


def check_can_post(state, actor, channel_id: str) -> Channel:
    """The channel, if ``actor`` may write there; ``not_found``, ``forbidden`` or ``closed`` if not."""
    channel = state.channels.get(channel_id)
    if channel is None or (channel.kind == "backchannel" and not sees(actor, channel.audience)):
        raise RuleError("not_found", f"There is no channel '{channel_id}'.", {"channel": channel_id})
    if actor.is_umpire:
        return channel
    if actor.role == OBSERVER:
        raise RuleError("forbidden", "Observers read; they do not post.", {"channel": channel_id})
    if actor.role != DELEGATION or not sees(actor, channel.audience):
        raise RuleError("forbidden", f"Your delegation may not write in '{channel_id}'.", {"channel": channel_id})
    if channel.kind == "table":
        table_id = channel_id.partition(":")[2]
        if not state.table_open(table_id):
            where = f"in the phase '{state.phase.name}'" if state.phase else "before the exercise starts"
            raise RuleError("closed", f"The table '{state.deck.table(table_id).name}' is closed {where}.",
                            {"channel": channel_id})
    return channel


@decides(PostMessage)
def _post_message(out: Outcome, cmd: PostMessage) -> None:
    actor = out.actor
    channel = check_can_post(out.state, actor, cmd.channel)
    body = text(cmd.text, "text", MAX_TEXT, lines=True)  # see guards.clean_text: inner joiners stay
    out.act(MessagePosted(channel.id, body, actor.name or "Umpire", actor.delegation), channel.audience)


@decides(OpenBackchannel)
def _open_backchannel(out: Outcome, cmd: OpenBackchannel) -> None:
    state, actor = out.state, out.actor
    if actor.role == OBSERVER:
        raise RuleError("forbidden", "Observers cannot open back-channels.")
    wanted = list(cmd.delegations) + ([actor.delegation] if not actor.is_umpire else [])
    members = tuple(sorted(known_delegations(state, wanted, "delegations")))
    if len(members) < 2:
        raise RuleError("invalid", "A back-channel joins at least two delegations.", {"delegations": "too few"})
    for existing in state.channels.backchannels():
        if set(existing.delegations) == set(members):
            raise RuleError("conflict", f"That back-channel is already open ({existing.id}).",
                            {"channel": existing.id})
    out.act(BackchannelOpened(backchannel_id(state.seed, members), members), Audience.of(members))


@evolves(MessagePosted)
def _message_posted(state, e: MessagePosted, event):
    channel = state.channels.get(e.channel)
    if channel is None:
        return state
    return replace(state, channels=_with(state.channels, replace(channel, count=channel.count + 1)))


@evolves(BackchannelOpened)
def _backchannel_opened(state, e: BackchannelOpened, event):
    name = "Back-channel: " + ", ".join(state.deck.delegation(d).name for d in e.delegations)
    channel = Channel(e.channel, name, "backchannel", event.audience, 0, e.delegations)
    return replace(state, channels=_with(state.channels, channel))


# ---- view --------------------------------------------------------------------------------------------


@view("channels", reads=("channels",), key="id")
def _channels(state, viewer) -> list[dict]:
    """The channels ``viewer`` reads, with their names and message counts."""
    shown = [c for c in state.channels.by_id.values() if sees(viewer, c.audience)]
    shown.sort(key=lambda c: KINDS.index(c.kind))
    return [{"id": c.id, "name": c.name, "kind": c.kind, "count": c.count} for c in shown]


@view("tables", reads=("clock",), key="id")
def _tables(state, viewer) -> list[dict]:
    return [{"id": t.id, "name": t.name, "delegations": list(t.delegations), "mediators": list(t.mediators),
             "agenda": list(t.agenda), "channel": table_channel(t.id), "open": state.table_open(t.id),
             "min_readiness": t.min_readiness} for t in state.deck.tables]
