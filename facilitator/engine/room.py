"""Control of the room: announcements, closing and reopening tables and channels, and muting, removing or
moving a participant. (The back-channel policy is with the back-channels, in ``channels.py``.)

A closed channel refuses posts (``closed``, see ``channels.is_open``); a table closed by the umpire stays
closed for the rest of the phase, and the next phase's rules apply again at the change of phase (other
channels stay as set).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from .audience import Audience
from .channels import backchannel_policy, is_open
from .core import Description, Outcome, Ref, Text, command, decides, event, evolves, initial, names, record, view, \
    replace
from .errors import RuleError
from .guards import MAX_TEXT, MAX_TITLE, clean_text, known_delegations, text, umpire
from .participants import Participants
from .visibility import sees

CONTROL = Audience.umpire_only()

# ---- state -----------------------------------------------------------------------------------------


@record
class ChannelSetting:
    open: bool
    phase_index: int  # when it was set: a table's setting lasts until the change of phase
    reason: str = ""


@record
class Room:
    settings: Mapping[str, ChannelSetting]
    muted: frozenset[str] = frozenset()  # participant ids

    def channel_open(self, state, channel_id: str) -> bool | None:
        """The umpire's setting for ``channel_id`` now (None: none, the deck and the phase decide)."""
        setting = self.settings.get(channel_id)
        if setting is None:
            return None
        if channel_id.startswith("table:") and setting.phase_index != state.clock.phase_index:
            return None
        return setting.open


@initial
def _initial(deck) -> dict:
    return {"room": Room(MappingProxyType({}))}


# ---- commands ----------------------------------------------------------------------------------------


@command("announce", after_end=True)
class Announce:
    text: Text


@command("set_channel_open")
class SetChannelOpen:
    """Close or reopen a table or channel now (a table: for the rest of the phase)."""

    channel: Ref
    open: bool
    reason: Text = ""


@command("mute_participant")
class MuteParticipant:
    participant: Ref
    muted: bool = True


@command("move_participant", client=False)
class MoveParticipant:
    """Move a participant to another delegation (made by ``POST /api/exercises/<id>/participants/<p>``)."""

    participant: Ref
    delegation: Ref


@command("remove_participant", client=False)
class RemoveParticipant:
    """Take a participant's seat away; their link stops working (made by the REST endpoint, which revokes it)."""

    participant: Ref


# ---- events ------------------------------------------------------------------------------------------


@event("announcement_made")
class AnnouncementMade:
    text: str
    by: str

    def describe(self, deck) -> Description:
        return Description("alert", f"Announcement from {self.by}")


@event("channel_opened_or_closed")
class ChannelOpenedOrClosed:
    channel: str
    name: str
    open: bool
    reason: str

    def describe(self, deck) -> Description:
        return Description("channel", f"{self.name} " + ("reopened" if self.open else "closed") + " by the umpire",
                           self.reason or None)


@event("participant_muted")
class ParticipantMuted:
    participant: str
    name: str
    delegation: str
    muted: bool

    def describe(self, deck) -> Description:
        return Description("people", f"{self.name} " + ("muted" if self.muted else "may post again"))


@event("participant_moved")
class ParticipantMoved:
    participant: str
    name: str
    delegation: str  # the new one
    before: str

    def describe(self, deck) -> Description:
        return Description("people", f"{self.name} moved from {names(deck, [self.before])} to "
                                     f"{names(deck, [self.delegation])}")


@event("participant_removed")
class ParticipantRemoved:
    participant: str
    name: str
    delegation: str

    def describe(self, deck) -> Description:
        return Description("people", f"{self.name} was removed from {names(deck, [self.delegation])}")


# ---- rules -------------------------------------------------------------------------------------------


@decides(Announce)
def _announce(out: Outcome, cmd: Announce) -> None:
    umpire(out.actor)
    out.act(AnnouncementMade(text(cmd.text, "text", MAX_TEXT), out.actor.name or "Umpire"), Audience.all())


@decides(SetChannelOpen)
def _set_channel(out: Outcome, cmd: SetChannelOpen) -> None:
    state = out.state
    umpire(out.actor)
    channel = state.channels.get(cmd.channel)
    if channel is None or channel.kind == "umpire":
        raise RuleError("not_found", f"There is no channel '{cmd.channel}' to open or close.",
                        {"channel": "unknown"})
    reason = clean_text(cmd.reason, False)
    if len(reason) > MAX_TITLE:
        raise RuleError("too_long", f"'reason' is {len(reason)} characters; the limit is {MAX_TITLE}.",
                        {"reason": f"over {MAX_TITLE} characters"})
    if is_open(state, cmd.channel) == cmd.open:
        raise RuleError("conflict", f"{channel.name} is already " + ("open." if cmd.open else "closed."))
    out.act(ChannelOpenedOrClosed(channel.id, channel.name, cmd.open, reason), channel.audience)


def _participant(state, participant_id: str):
    found = state.participants.members.get(participant_id)
    if found is None:
        raise RuleError("not_found", f"There is no participant '{participant_id}'.", {"participant": "unknown"})
    return found


@decides(MuteParticipant)
def _mute(out: Outcome, cmd: MuteParticipant) -> None:
    umpire(out.actor)
    p = _participant(out.state, cmd.participant)
    if (p.id in out.state.room.muted) == cmd.muted:
        raise RuleError("conflict", f"{p.name} is already " + ("muted." if cmd.muted else "free to post."))
    out.act(ParticipantMuted(p.id, p.name, p.delegation, cmd.muted), Audience.of([p.delegation]))


@decides(MoveParticipant)
def _move(out: Outcome, cmd: MoveParticipant) -> None:
    umpire(out.actor)
    p = _participant(out.state, cmd.participant)
    known_delegations(out.state, [cmd.delegation], "delegation")
    if p.delegation == cmd.delegation:
        raise RuleError("conflict", f"{p.name} already sits in that delegation.")
    out.act(ParticipantMoved(p.id, p.name, cmd.delegation, p.delegation), Audience.all())


@decides(RemoveParticipant)
def _remove(out: Outcome, cmd: RemoveParticipant) -> None:
    umpire(out.actor)
    p = _participant(out.state, cmd.participant)
    out.act(ParticipantRemoved(p.id, p.name, p.delegation), Audience.all())


# ---- evolvers ------------------------------------------------------------------------------------------


@evolves(ChannelOpenedOrClosed)
def _channel_set(state, e: ChannelOpenedOrClosed, event):
    settings = {**state.room.settings, e.channel: ChannelSetting(e.open, state.clock.phase_index, e.reason)}
    return replace(state, room=replace(state.room, settings=MappingProxyType(settings)))


@evolves(ParticipantMuted)
def _muted(state, e: ParticipantMuted, event):
    muted = state.room.muted | {e.participant} if e.muted else state.room.muted - {e.participant}
    return replace(state, room=replace(state.room, muted=muted))


@evolves(ParticipantMoved)
def _moved(state, e: ParticipantMoved, event):
    members = state.participants.members
    moved = replace(members[e.participant], delegation=e.delegation)
    return replace(state, participants=Participants(MappingProxyType({**members, e.participant: moved}),
                                                    state.participants.names))


@evolves(ParticipantRemoved)
def _removed(state, e: ParticipantRemoved, event):
    members = {k: v for k, v in state.participants.members.items() if k != e.participant}
    removed = state.participants.members[e.participant]
    presence = {k: v for k, v in state.presence.connections.items() if k != e.participant}
    return replace(state, participants=Participants(MappingProxyType(members), state.participants.names - {removed.name}),
                   presence=replace(state.presence, connections=MappingProxyType(presence)),
                   room=replace(state.room, muted=state.room.muted - {e.participant}))


# ---- view --------------------------------------------------------------------------------------------


@view("room", reads=("room", "clock", "channels", "participants"))
def _room(state, viewer) -> dict:
    """What the room's rules are now: the back-channel policy, the channels closed or reopened by the umpire
    (``{channel: {open, reason}}``),
    who of the viewer's delegation is muted; and, for exercise control, every request and every mute."""
    visible = {cid: {"open": setting.open, "reason": setting.reason} for cid, setting in state.room.settings.items()
               if state.room.channel_open(state, cid) is not None and sees(viewer, state.channels.get(cid).audience)}
    control = sees(viewer, CONTROL)
    members = state.participants.members
    muted = sorted(p for p in state.room.muted if p in members and (control or sees(viewer, Audience.of(
        [members[p].delegation]))))
    return {"backchannels": backchannel_policy(state), "policy_override": state.channels.policy,
            "channels": visible, "muted": muted,
            "requests": [{"request": r.number, "by": r.by, "delegations": list(r.delegations),
                          "answered": r.answered} for r in state.channels.requests if sees(viewer, r.audience)]}
