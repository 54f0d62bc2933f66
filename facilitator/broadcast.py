"""The only place that emits to clients: after commit, one ``update`` per perspective room; and, to one
connection joining, its ``sync`` and the history it missed.

Every connection sits in exactly one room, its perspective's (``x:<exercise>:umpire``,
``x:<exercise>:observers``, ``x:<exercise>:d:<delegation>``): what a perspective may see is
decided once, by the engine's visibility boundary, and each room's payload is encoded once.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_socketio import SocketIO, join_room

from .engine import Actor, perspective, perspective_key

NAMESPACE = "/"


def room(exercise_id: str, key: str) -> str:
    """The room of one perspective (``perspective_key``) of an exercise."""
    return f"x:{exercise_id}:{key}"


def room_of(exercise_id: str, viewer: Actor) -> str:
    return room(exercise_id, perspective_key(perspective(viewer)))


def seat_room(exercise_id: str, credential: str) -> str:
    """The connections opened with one credential (to close them when it is re-issued, or the seat moves)."""
    return f"p:{exercise_id}:{credential}"


def credential(viewer: Actor) -> str:
    """Which secret a connection came in with: a participant's or staff seat's id, ``umpire`` (the exercise's
    umpire link, also when playing a delegation) or ``observers`` (the observers' code)."""
    return viewer.participant or ("observers" if viewer.role == "observer" else "umpire")


RESEATING = ("participant_moved", "participant_removed")  # their connections close: they come back as they now are
REISSUED = {"umpire": lambda target: "umpire", "observer": lambda target: "observers",
            "participant": lambda target: target, "staff": lambda target: target}  # link_reissued kind -> credential


class Broadcaster:
    def __init__(self, socketio: SocketIO):
        self.socketio = socketio

    def publish(self, exercise_id: str, payloads: dict[str, dict]) -> None:
        """One ``update`` to each perspective room that has something new. Rooms whose updates are the same
        (a message in plenary, a phase opening) share one emit, so it is encoded once."""
        groups: list[tuple[dict, list[str]]] = []
        for key, payload in payloads.items():
            same = next((rooms for other, rooms in groups if other == payload), None)
            if same is None:
                groups.append((payload, [room(exercise_id, key)]))
            else:
                same.append(room(exercise_id, key))
        for payload, rooms in groups:
            self.socketio.emit("update", payload, to=rooms if len(rooms) > 1 else rooms[0], namespace=NAMESPACE)
        for event in payloads.get("umpire", {}).get("events", ()):
            if event["type"] in RESEATING:
                self.close_seat(exercise_id, event["data"]["participant"])
            elif event["type"] == "link_reissued" and event["data"]["kind"] in REISSUED:
                # Whoever held the old secret is let go; a console given the new one reconnects with it.
                self.close_seat(exercise_id, REISSUED[event["data"]["kind"]](event["data"]["target"]))

    def close_seat(self, exercise_id: str, key: str) -> None:
        """Disconnect the connections of one credential in this process (a moved participant reconnects into
        their new delegation; a removed one, or a re-issued secret's old holder, is refused)."""
        server = self.socketio.server
        for sid, _ in list(server.manager.get_participants(NAMESPACE, seat_room(exercise_id, key))):
            server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)

    def close_exercise(self, exercise_id: str) -> None:
        """Disconnect every connection to an exercise in this process (it was deleted)."""
        server = self.socketio.server
        prefix = f"x:{exercise_id}:"
        rooms = [r for r in list(server.manager.rooms.get(NAMESPACE, {})) if isinstance(r, str) and r.startswith(prefix)]
        for name in rooms:
            for sid, _ in list(server.manager.get_participants(NAMESPACE, name)):
                server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)

    def history(self, sid: str, batch: list[dict]) -> None:
        """Send one connection events it missed, as an ``update`` marked ``history``."""
        if batch:
            self.socketio.emit("update", {"seq": batch[-1]["seq"], "events": batch, "history": True}, to=sid,
                               namespace=NAMESPACE)

    def attach(self, sid: str, exercise_id: str, viewer: Actor, sync: dict, history: list[list[dict]]) -> None:
        """Send one connection its ``sync``, then the rest of what it missed (``update``s marked ``history``),
        then put it in its perspective's room: later updates reach it in order, after these. The sync says
        which build of the page the server serves (``build``: pages.py ``client_build``)."""
        self.socketio.emit("sync", {**sync, "build": current_app.extensions.get("client_build")}, to=sid,
                           namespace=NAMESPACE)
        for batch in history:
            self.history(sid, batch)
        join_room(room_of(exercise_id, viewer), sid=sid, namespace=NAMESPACE)
        join_room(seat_room(exercise_id, credential(viewer)), sid=sid, namespace=NAMESPACE)


def init_app(app: Flask) -> None:
    broadcaster = Broadcaster(app.extensions["socketio"])
    app.extensions["facilitator"].exercises.subscribe(broadcaster.publish)
    app.extensions["facilitator_broadcaster"] = broadcaster
