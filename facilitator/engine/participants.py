"""Participants: seating people in delegations, and who is connected (for the umpire)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Callable, Iterable, Mapping

from .audience import Audience
from .core import Description, Outcome, Ref, Text, command, decides, event, evolves, initial, record, view, replace
from .errors import RuleError
from .guards import display_name, known_delegations, name_keys, umpire
from .visibility import entries, sees

PRESENCE = Audience.umpire_only()  # who is connected is exercise control's business

# Names nobody may take, and why: a participant so called could pass for exercise control or the server.
RESERVED_NAMES = {
    "Umpire": "the umpire's messages are signed 'Umpire'",
    "Observer": "observers are shown as 'Observer'",
    "Exercise control": "it is the name of the umpire's room",
    "System": "it would pass for a message from the server",
}


def private_audience(delegation_id: str) -> Audience:
    """Who reads a delegation's private brief, objectives, red lines and hand."""
    return Audience.of([delegation_id])


# ---- state -----------------------------------------------------------------------------------------


@record
class Participant:
    id: str
    name: str
    delegation: str
    audience: Audience  # of the seating


@record
class Participants:
    members: Mapping[str, Participant]
    names: frozenset[str] = frozenset()  # display names in use, as seated

    def names_in_use(self) -> frozenset[str]:
        """The display names of everyone seated, as they were seated (older logs may hold unnormalised ones)."""
        return self.names


@record
class Presence:
    """Open connections per participant, and when each last did something (kept apart from the seating:
    connections come and go all the time)."""

    connections: Mapping[str, int]
    last_active: Mapping[str, datetime] = None  # participant -> the time of their last act

    def of(self, participant_id: str) -> int:
        return self.connections.get(participant_id, 0)


QUIET = frozenset({"participant_connected", "participant_connection_closed", "participant_disconnected"})
ACTIVITY_RESOLUTION = timedelta(seconds=30)  # an act moves ``last_active`` only when it moves it this much


def note_activity(state, event) -> dict:
    """Remember when a seated participant last acted (anything but connecting): the umpire sees who has
    been silent for how long. Called by ``state.evolve`` for every event; returns the change to make to the
    state (``{"presence": …}``, or nothing), which ``evolve`` makes with the new seq in one copy.

    At a resolution of ``ACTIVITY_RESOLUTION`` (30 s): an act that would move the participant's ``last_active``
    by less leaves it (and the umpire's ``presence`` view) as it is, so it may be up to 30 s before their last
    act, and a burst of chat does not republish presence with every message. The fold depends only on the
    events' times, so every replay and every server process agree."""
    actor = event.actor
    if actor is None or event.type in QUIET or actor.participant not in state.participants.members:
        return {}
    presence = state.presence
    last = (presence.last_active or {}).get(actor.participant)
    at = event.at
    if last is not None and at is not None and _within(at, last):
        return {}
    active = {**(presence.last_active or {}), actor.participant: at}
    return {"presence": replace(presence, last_active=MappingProxyType(active))}


def _within(at: datetime, last: datetime) -> bool:
    try:
        return abs(at - last) < ACTIVITY_RESOLUTION
    except TypeError:  # one with a time zone, one without: not comparable, so it moves
        return False


@initial
def _initial(deck) -> dict:
    return {"participants": Participants(MappingProxyType({})), "presence": Presence(MappingProxyType({}))}


# ---- commands ----------------------------------------------------------------------------------------


NameKeys = Callable[[str], Iterable[str]]


@command("seat_participant", client=False, after_end=True)
class SeatParticipant:
    """Seat a new member in a delegation (made by ``POST /api/join``).

    ``name_keys``: how names are compared, a pure function from a display name to the keys under which
    it is taken (two names clash if they share one). ``None`` means ``guards.name_keys`` (normalised,
    NFKC, case-folded); the server passes ``facilitator.names.name_keys``, which adds confusable
    skeletons. It is used when deciding only: the event records the name, never its keys.
    """

    participant: Ref
    name: Text
    delegation: Ref
    name_keys: NameKeys | None = None


@command("mark_presence", client=False, after_end=True, after_archive=True)
class MarkPresence:
    """One of a participant's connections came up or went down (made by the server)."""

    participant: Ref
    connected: bool


@command("clear_presence", client=False, after_end=True, after_archive=True)
class ClearPresence:
    """Connections that ended with a server process, not by their clients (made by the server). ``lost``:
    participant -> how many of their connections that process held (another process's stay open); None:
    all of them (the only server process restarted)."""

    lost: Mapping[str, int] | None = None


# ---- events ------------------------------------------------------------------------------------------


@event("participant_seated")
class ParticipantSeated:
    participant: str
    name: str
    delegation: str

    def describe(self, deck) -> Description:
        return Description("people", f"{self.name} joined {deck.delegation(self.delegation).name}")


def _connections_unknown(data: dict) -> dict:
    """Logs before version 2 counted connections by adding and removing one per event."""
    return {**data, "connections": None}


@event("participant_connected", version=2, upgrades={1: _connections_unknown})
class ParticipantConnected:
    participant: str
    name: str
    delegation: str
    connections: int | None  # open connections after this one (None in old logs: one more)

    def describe(self, deck) -> Description:
        many = f" ({self.connections} connections)" if self.connections and self.connections > 1 else ""
        return Description("presence", f"{self.name} ({deck.delegation(self.delegation).name}) connected{many}")


@event("participant_connection_closed")
class ParticipantConnectionClosed:
    """One of several connections closed: the participant is still connected."""

    participant: str
    name: str
    delegation: str
    connections: int  # still open

    def describe(self, deck) -> Description:
        return Description("presence", f"{self.name} ({deck.delegation(self.delegation).name}) closed a "
                                       f"connection; still connected ({self.connections})")


def _disconnected_v1(data: dict) -> dict:
    return {**data, "connections": 0 if data.pop("all", False) else None}


@event("participant_disconnected", version=2, upgrades={1: _disconnected_v1})
class ParticipantDisconnected:
    """The participant's last connection closed (or the server restarted)."""

    participant: str
    name: str
    delegation: str
    connections: int | None = 0  # None in old logs: one fewer
    reason: str | None = None

    def describe(self, deck) -> Description:
        return Description("presence", f"{self.name} ({deck.delegation(self.delegation).name}) disconnected",
                           self.reason)


# ---- rules -------------------------------------------------------------------------------------------


@decides(SeatParticipant)
def _seat(out: Outcome, cmd: SeatParticipant) -> None:
    state, actor = out.state, out.actor
    if not actor.is_umpire and actor.participant != cmd.participant:
        raise RuleError("forbidden", "A participant can only seat themselves.")
    known_delegations(state, [cmd.delegation], "delegation")
    if state.control.archived:
        raise RuleError("ended", "This exercise has been archived: nobody joins it any more.")
    if state.ended and not state.control.late_joins and not actor.is_umpire:
        raise RuleError("ended", "This exercise has ended: its join codes seat nobody now. The umpire can let "
                                 "people join after the end.")
    name = display_name(cmd.name)
    if cmd.participant in state.participants.members:
        raise RuleError("conflict", "This participant already has a seat.")
    check_name_free(state, name, cmd.name_keys or name_keys)
    out.act(ParticipantSeated(cmd.participant, name, cmd.delegation), Audience.all())


def check_name_free(state, name: str, keys: NameKeys = name_keys) -> None:
    """``invalid`` if ``name`` passes for a reserved name (``RESERVED_NAMES``), ``name_taken`` if for the
    name of someone seated; "passes for" is sharing a key under ``keys`` (see ``SeatParticipant``)."""
    mine = frozenset(keys(name))
    for reserved, why in RESERVED_NAMES.items():
        if mine & frozenset(keys(reserved)):
            raise RuleError("invalid", f"'{name}' cannot be a participant's name: {why}. Choose another name.",
                            {"name": "reserved"})
    for other in sorted(state.participants.names_in_use()):
        if mine & frozenset(keys(other)):
            raise RuleError("name_taken", f"Someone in this exercise is already called '{other}'. "
                                          "Choose another name.", {"name": "taken"})


@decides(MarkPresence)
def _mark_presence(out: Outcome, cmd: MarkPresence) -> None:
    participant = out.state.participants.members.get(cmd.participant)
    if participant is None:
        return
    if not out.actor.is_umpire and out.actor.participant != cmd.participant:
        raise RuleError("forbidden", "Presence is reported by the server for the participant itself.")
    who = (participant.id, participant.name, participant.delegation)
    connections = out.state.presence.of(participant.id)
    if cmd.connected:
        out.act(ParticipantConnected(*who, connections + 1), PRESENCE)
    elif connections > 1:
        out.act(ParticipantConnectionClosed(*who, connections - 1), PRESENCE)
    elif connections == 1:
        out.act(ParticipantDisconnected(*who, 0), PRESENCE)


@decides(ClearPresence)
def _clear_presence(out: Outcome, cmd: ClearPresence) -> None:
    umpire(out.actor)
    for p in out.state.participants.members.values():
        connections = out.state.presence.of(p.id)
        if not connections:
            continue
        if cmd.lost is None:
            out.act(ParticipantDisconnected(p.id, p.name, p.delegation, 0, "server restarted"), PRESENCE)
            continue
        left = connections - min(connections, max(0, int(cmd.lost.get(p.id, 0))))
        if left == connections:
            continue
        if left:
            out.act(ParticipantConnectionClosed(p.id, p.name, p.delegation, left), PRESENCE)
        else:
            out.act(ParticipantDisconnected(p.id, p.name, p.delegation, 0, "server process stopped"), PRESENCE)


@evolves(ParticipantSeated)
def _seated(state, e: ParticipantSeated, event):
    seated = Participant(e.participant, e.name, e.delegation, event.audience)
    parts = state.participants
    return replace(state, participants=Participants(MappingProxyType({**parts.members, seated.id: seated}),
                                                    parts.names | {e.name}))


@evolves(ParticipantConnected, ParticipantConnectionClosed, ParticipantDisconnected)
def _presence(state, e, event):
    if e.participant not in state.participants.members:
        return state
    if e.connections is not None:
        connections = e.connections
    else:  # an old log: one connection more or less
        connections = max(0, state.presence.of(e.participant) + (1 if isinstance(e, ParticipantConnected) else -1))
    return replace(state, presence=replace(state.presence, connections=MappingProxyType(
        {**state.presence.connections, e.participant: connections})))


# ---- view --------------------------------------------------------------------------------------------


@view("delegations", reads=("signals",), key="id")
def _delegations(state, viewer) -> list[dict]:
    """Every delegation's public face; its private parts and hand for its own members."""
    from .signals import card_view

    out = []
    for d in state.deck.delegations:
        entry = {"id": d.id, "name": d.name, "kind": d.kind, "public_brief": d.public_brief}
        if sees(viewer, private_audience(d.id)):
            entry.update(private_brief=d.private_brief, objectives=[g.text for g in d.objectives],
                         red_lines=[g.text for g in d.red_lines],
                         hand=[card_view(state.deck.signal(c)) for c in state.signals.hands.get(d.id, ())])
        out.append(entry)
    return out


@view("members", reads=("participants",), key="name")
def _members(state, viewer) -> list[dict]:
    """Who sits in which delegation, by display name (one entry each, so a join sends one entry)."""
    return entries(state.participants.members.values(),
                   lambda p: {"name": p.name, "delegation": p.delegation} if sees(viewer, p.audience) else None)


@view("presence", reads=("participants", "presence"), key="participant")
def _presence_view(state, viewer) -> list[dict] | None:
    if not sees(viewer, PRESENCE):
        return None
    connections, active = state.presence.connections, state.presence.last_active or {}
    return [{"participant": p.id, "name": p.name, "delegation": p.delegation,
             "connected": connections.get(p.id, 0) > 0, "connections": connections.get(p.id, 0),
             "last_active": active[p.id].isoformat() if p.id in active and active[p.id] else None}
            for p in state.participants.members.values()]
