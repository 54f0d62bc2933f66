"""Channels and tables: where delegations talk, who reads and who writes where, and back-channels."""

from __future__ import annotations

import hashlib
from types import MappingProxyType
from typing import Mapping

from .audience import DELEGATION, OBSERVER, Audience
from .core import replace
from .core import Description, Number, Outcome, Ref, Refs, Text, command, decides, event, evolves, initial, names, \
    record, view
from .errors import RuleError
from .guards import MAX_TEXT, known_delegations, text, umpire
from .visibility import entries, sees

PLENARY = "plenary"
UMPIRE_ROOM = "umpire"
KINDS = ("plenary", "table", "delegation", "backchannel", "umpire")  # the order channels are listed in
ALLOWED, ASK, CLOSED = "allowed", "ask", "closed"  # back-channel policies
POLICIES = (ALLOWED, ASK, CLOSED)


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
class BackchannelRequest:
    number: int
    by: str
    delegations: tuple[str, ...]
    audience: Audience
    answered: bool | None = None  # None: waiting; True: opened; False: refused


@record
class Channels:
    by_id: Mapping[str, Channel]
    policy: str | None = None  # the umpire's back-channel policy; None: the deck's for the phase
    requests: tuple[BackchannelRequest, ...] = ()

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
    return replace(channels, by_id=MappingProxyType({**channels.by_id, channel.id: channel}))


def backchannel_policy(state) -> str:
    """Whether delegations may open back-channels now: the umpire's override, else the phase's (the deck's),
    closed before the first phase (a "no contact yet" deck must not be defeated in the briefing)."""
    if state.channels.policy is not None:
        return state.channels.policy
    return state.phase.backchannels if state.phase is not None else CLOSED


def not_muted(state, actor) -> None:
    """``muted`` if exercise control has muted ``actor``: they read, but put no text before others (no
    message, no proposal drafted or amended). See ``room.MuteParticipant``."""
    if actor.participant is not None and actor.participant in state.room.muted:
        raise RuleError("muted", "The umpire has muted you: you may read, not post.")


def is_open(state, channel_id: str) -> bool:
    """Whether members may post in ``channel_id`` now: the umpire's setting, else the phase (tables)."""
    setting = state.room.channel_open(state, channel_id)
    if setting is not None:
        return setting and not state.ended
    if channel_id.startswith("table:"):
        return state.table_open(channel_id.partition(":")[2])
    return True




# ---- commands ----------------------------------------------------------------------------------------


@command("post_message", after_end=True)
class PostMessage:
    channel: Ref
    text: Text


@command("open_backchannel")
class OpenBackchannel:
    delegations: Refs


@command("set_backchannel_policy")
class SetBackchannelPolicy:
    policy: Ref | None = None  # allowed, ask, closed; None: back to the deck's policy for each phase


@command("answer_backchannel_request")
class AnswerBackchannelRequest:
    request: Number
    approve: bool


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


@event("backchannel_policy_set")
class BackchannelPolicySet:
    policy: str | None

    def describe(self, deck) -> Description:
        words = {ALLOWED: "Back-channels may be opened", ASK: "Back-channels need the umpire's approval",
                 CLOSED: "Back-channels are closed", None: "Back-channels follow the phases' rules again"}
        return Description("channel", words.get(self.policy, f"Back-channel policy: {self.policy}"))


@event("backchannel_requested")
class BackchannelRequested:
    request: int
    by: str
    delegations: tuple[str, ...]

    def describe(self, deck) -> Description:
        return Description("channel", f"{names(deck, [self.by])} asks for a back-channel with "
                                      f"{names(deck, [d for d in self.delegations if d != self.by])}")


@event("backchannel_request_answered")
class BackchannelRequestAnswered:
    request: int
    by: str
    approved: bool

    def describe(self, deck) -> Description:
        return Description("channel", f"Back-channel request #{self.request} "
                                      + ("approved" if self.approved else "refused") + " by the umpire")


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
    not_muted(state, actor)
    if state.room.channel_open(state, channel_id) is False:
        raise RuleError("closed", f"The umpire has closed '{channel.name}'.", {"channel": channel_id})
    if not is_open(state, channel_id):
        table_id = channel_id.partition(":")[2]
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
    policy = ALLOWED if actor.is_umpire else backchannel_policy(state)
    if policy == CLOSED:
        when = "before the exercise starts" if state.phase is None else "now"
        raise RuleError("closed", f"Back-channels are closed {when}: the umpire decides when they may be opened.",
                        {"delegations": "closed"})
    if policy == ASK:
        request_backchannel(out, actor.delegation, members)
        return
    out.act(BackchannelOpened(backchannel_id(state.seed, members), members), Audience.of(members))


@decides(SetBackchannelPolicy)
def _set_policy(out: Outcome, cmd: SetBackchannelPolicy) -> None:
    umpire(out.actor)
    if cmd.policy is not None and cmd.policy not in POLICIES:
        raise RuleError("invalid", f"A back-channel policy is one of {', '.join(POLICIES)} (or null for the "
                                   "deck's).", {"policy": "unknown"})
    if cmd.policy == out.state.channels.policy:
        raise RuleError("conflict", "That is already the policy.")
    out.act(BackchannelPolicySet(cmd.policy), Audience.all())


def request_backchannel(out: Outcome, by: str, members: tuple[str, ...]) -> None:
    """Under the "ask" policy: a request the umpire answers (see ``channels.open_backchannel``)."""
    for r in out.state.channels.requests:
        if r.answered is None and set(r.delegations) == set(members):
            raise RuleError("conflict", f"That back-channel has already been asked for (request #{r.number}).",
                            {"request": r.number})
    number = len(out.state.channels.requests) + 1
    out.act(BackchannelRequested(number, by, members), Audience.of([by]))


@decides(AnswerBackchannelRequest)
def _answer(out: Outcome, cmd: AnswerBackchannelRequest) -> None:
    state = out.state
    umpire(out.actor)
    requests = state.channels.requests
    request = requests[cmd.request - 1] if 1 <= cmd.request <= len(requests) else None
    if request is None:
        raise RuleError("not_found", f"There is no back-channel request #{cmd.request}.", {"request": "unknown"})
    if request.answered is not None:
        raise RuleError("conflict", f"Request #{request.number} has already been answered.")
    out.act(BackchannelRequestAnswered(request.number, request.by, cmd.approve), Audience.of([request.by]))
    if cmd.approve and not any(set(c.delegations) == set(request.delegations) for c in state.channels.backchannels()):
        out.consequence(BackchannelOpened(backchannel_id(state.seed, request.delegations), request.delegations),
                        Audience.of(request.delegations))




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


@evolves(BackchannelPolicySet)
def _policy_set(state, e: BackchannelPolicySet, event):
    return replace(state, channels=replace(state.channels, policy=e.policy))


@evolves(BackchannelRequested)
def _requested(state, e: BackchannelRequested, event):
    request = BackchannelRequest(e.request, e.by, e.delegations, event.audience)
    return replace(state, channels=replace(state.channels, requests=state.channels.requests + (request,)))


@evolves(BackchannelRequestAnswered)
def _answered(state, e: BackchannelRequestAnswered, event):
    requests = state.channels.requests
    answered = replace(requests[e.request - 1], answered=e.approved)
    return replace(state, channels=replace(state.channels, requests=requests[:e.request - 1] + (answered,)
                                       + requests[e.request:]))


# ---- view --------------------------------------------------------------------------------------------


@view("channels", reads=("channels",), key="id")
def _channels(state, viewer) -> list[dict]:
    """The channels ``viewer`` reads, with their names and message counts."""
    shown = [c for c in state.channels.by_id.values() if sees(viewer, c.audience)]
    shown.sort(key=lambda c: KINDS.index(c.kind))
    return entries(shown, lambda c: {"id": c.id, "name": c.name, "kind": c.kind, "count": c.count})


@view("tables", reads=("clock", "room"), key="id")
def _tables(state, viewer) -> list[dict]:
    return [{"id": t.id, "name": t.name, "delegations": list(t.delegations), "mediators": list(t.mediators),
             "agenda": list(t.agenda), "channel": table_channel(t.id), "open": is_open(state, table_channel(t.id)),
             "min_readiness": t.min_readiness} for t in state.deck.tables]
