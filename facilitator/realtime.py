"""Socket.IO: connect with a token, ``resume`` to get a ``sync`` and what was missed, ``command`` to act.

Handlers are thin: they check who is speaking, load the payload through
the wire schemas, and hand it to the exercise service.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import Flask, current_app, request
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, join_room

from .app import services
from .broadcast import Broadcaster, rooms_for
from .engine import RuleError
from .schemas import WireError, load_command
from .services import Identity

log = logging.getLogger(__name__)
MAX_PAYLOAD = 64 * 1024  # bytes in one Socket.IO message; text limits are far below this


def init_app(app: Flask) -> None:
    socketio = SocketIO(app, async_mode="threading", message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
                        max_http_buffer_size=MAX_PAYLOAD)
    socketio.on_namespace(ExerciseNamespace("/"))
    services_ = app.extensions["facilitator"]
    services_.exercises.subscribe(Broadcaster(socketio).publish)


@dataclass
class Connection:
    identity: Identity
    resumed: bool = False
    closed: bool = False
    # Orders this connection's first resume and its disconnect (handlers run on separate threads), so a
    # participant is never marked present after their connection has gone.
    lock: threading.Lock = field(default_factory=threading.Lock)


def _error(exc) -> dict:
    return {"ok": False, "error": exc.to_dict()}


class ExerciseNamespace(Namespace):
    def __init__(self, namespace: str):
        super().__init__(namespace)
        self.connections: dict[str, Connection] = {}

    def on_connect(self, auth=None):
        token = auth.get("token") if isinstance(auth, dict) else None
        identity = services().exercises.identify(token) if token else None
        if identity is None:
            # Socket.IO's own exception (not the builtin of the same name), so the reason reaches the client
            # as the connect_error packet {message, data: {code, message, fields}}.
            message = "Missing or unknown token: this link is not (or no longer) valid for any exercise."
            raise ConnectionRefusedError(message, {"code": "bad_token", "message": message, "fields": {}})
        self.connections[request.sid] = Connection(identity)

    def on_disconnect(self, reason=None):
        connection = self.connections.get(request.sid)
        if connection is None:
            return
        with connection.lock:
            self.connections.pop(request.sid, None)
            connection.closed = True
            if connection.resumed:
                services().exercises.mark_presence(connection.identity, False)

    def on_resume(self, payload=None):
        """Send one ``sync`` and every event after ``last_seq`` this client may see, then live events."""
        connection = self.connections.get(request.sid)
        if connection is None:
            return {"ok": False, "error": {"code": "bad_token", "message": "Not connected.", "fields": {}}}
        last_seq = payload.get("last_seq") if isinstance(payload, dict) else None
        if last_seq is not None and (not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0):
            return _error(WireError("invalid", "'last_seq' must be a whole number of 0 or more.",
                                    {"last_seq": "not a whole number"}))
        identity, exercises = connection.identity, services().exercises
        with exercises.exclusive(identity.exercise_id):
            for room in rooms_for(identity.exercise_id, identity.actor):
                join_room(room)
            sync = exercises.sync(identity.exercise_id, identity.actor, datetime.now(timezone.utc))
            self.emit("sync", sync, room=request.sid)
            if last_seq is not None:
                for event in exercises.events(identity.exercise_id, identity.actor, after=last_seq,
                                              upto=sync["last_seq"]):
                    self.emit("event", event.to_dict(), room=request.sid)
        with connection.lock:
            if connection.closed:  # gone while this resume ran: do not mark a departed participant present
                return {"ok": False, "error": {"code": "bad_token", "message": "Not connected.", "fields": {}}}
            first = not connection.resumed
            connection.resumed = True
            if first:
                exercises.mark_presence(identity, True)
        return {"ok": True, "last_seq": sync["last_seq"], "exercise": identity.exercise_id}

    def on_command(self, payload=None):
        connection = self.connections.get(request.sid)
        if connection is None:
            return {"ok": False, "error": {"code": "bad_token", "message": "Not connected.", "fields": {}}}
        identity = connection.identity
        try:
            command, expected_seq = load_command(payload)
            events = services().exercises.execute(identity.exercise_id, command, identity.actor, expected_seq)
        except (WireError, RuleError) as exc:
            return _error(exc)
        except Exception:  # a bug must not take the connection down; the transaction was rolled back
            log.exception("command failed: %r", payload)
            return {"ok": False, "error": {"code": "internal", "message": "The server failed on this command.",
                                           "fields": {}}}
        seq = events[-1].seq if events else services().exercises.state(identity.exercise_id).seq
        return {"ok": True, "seq": seq}


def socketio_of(app: Flask | None = None) -> SocketIO:
    return (app or current_app).extensions["socketio"]
