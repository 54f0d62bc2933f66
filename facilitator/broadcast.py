"""The only place that emits events to clients: after commit, to the rooms of each event's audience.

Every connection sits in its exercise's ``all`` room and in exactly one
audience room (the umpire's, the observers', or its delegation's), so an
event addressed to several rooms still reaches each connection once.
"""

from __future__ import annotations

from flask_socketio import SocketIO

from .engine import Actor, Audience, Event
from .engine.audience import OBSERVER, UMPIRE


def rooms_for(exercise_id: str, actor: Actor) -> list[str]:
    """The rooms a connection joins."""
    base = f"x:{exercise_id}"
    if actor.role == UMPIRE:
        return [f"{base}:all", f"{base}:umpire"]
    if actor.role == OBSERVER:
        return [f"{base}:all", f"{base}:observers"]
    return [f"{base}:all", f"{base}:d:{actor.delegation}"]


def rooms_of(exercise_id: str, audience: Audience) -> list[str]:
    """The rooms an event goes to."""
    base = f"x:{exercise_id}"
    if audience.everyone:
        return [f"{base}:all"]
    rooms = [f"{base}:umpire"] + [f"{base}:d:{d}" for d in sorted(audience.delegations)]
    if audience.observers:
        rooms.append(f"{base}:observers")
    return rooms


class Broadcaster:
    def __init__(self, socketio: SocketIO):
        self.socketio = socketio

    def publish(self, exercise_id: str, events: list[Event]) -> None:
        for event in events:
            self.socketio.emit("event", event.to_dict(), to=rooms_of(exercise_id, event.audience), namespace="/")
