"""Socket.IO: connect with a token, ``resume`` to get a ``sync`` and what was missed, ``command`` to act.

Handlers are thin: they check who is speaking, load the payload through the wire schemas, and hand it
to the exercise service; ``broadcast.py`` does the emitting. Each connection's events are handled one
after another, in the order sent (``async_handlers=False``), so its commands are decided in that order.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field

from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from flask import Flask, request
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO

from .engine import MAX_TEXT, MAX_TITLE, RuleError
from .engine.core import MAX_REF
from .engine.proposals import MAX_CLAUSES, MAX_LINKS
from .extensions import broadcaster, services
from .schemas import WireError, load_command
from .services import Identity

log = logging.getLogger(__name__)


def _largest_command() -> int:
    """The size of the largest valid command as JSON, with every character escaped the costliest way
    (a character outside the BMP is 12 bytes as ``\\uXXXX\\uXXXX``): a full proposal, 30 clauses of 2,000."""
    wide = "\U0001F54A"
    payload = {"type": "amend_proposal", "proposal": 2 ** 31, "title": wide * MAX_TITLE, "table": "t" * MAX_REF,
               "clauses": [{"clause_type": "c" * MAX_REF, "terms": wide * MAX_TEXT}] * MAX_CLAUSES,
               "links": [2 ** 31] * MAX_LINKS, "seq": 2 ** 31, "command_id": "i" * 64}
    return len(json.dumps(payload))


MIB = 1024 * 1024
COMMAND_CAP = -(-_largest_command() * 5 // 4 // MIB) * MIB  # bytes of one command: a quarter of margin, whole MiB
TRANSPORT_CAP = 2 * COMMAND_CAP  # bytes of one Socket.IO message: beyond it the transport closes the connection


def check_size(payload) -> None:
    """``too_large`` if ``payload`` is over ``COMMAND_CAP`` bytes as JSON with every character escaped (the
    costliest way a client may have sent it); ``invalid`` if it is nested too deeply to be measured."""
    try:
        size = len(json.dumps(payload))
    except (RecursionError, ValueError):
        raise WireError("invalid", "This command is nested too deeply to read.", {"": "too deep"}) from None
    if size > COMMAND_CAP:
        raise WireError("too_large", f"This command is {size:,} bytes; the limit is {COMMAND_CAP:,}.",
                        {"": f"over {COMMAND_CAP} bytes"})


class _CappedWebSocket(SimpleWebSocketWSGI):
    """The threading WebSocket, refusing a message as soon as it grows past the cap (decompressed), instead of
    reading all of it first."""

    def __init__(self, handler, server, **kwargs):
        super().__init__(handler, server, max_message_size=TRANSPORT_CAP, **kwargs)


def init_app(app: Flask) -> None:
    socketio = SocketIO(app, async_mode="threading", async_handlers=False,
                        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"], max_http_buffer_size=TRANSPORT_CAP)
    socketio.server.eio._async = {**socketio.server.eio._async, "websocket": _CappedWebSocket}
    socketio.on_namespace(ExerciseNamespace("/"))


@dataclass
class Connection:
    identity: Identity
    acting: Identity | None = None  # exercise control's own identity, when it plays a delegation (``as``)
    resumed: bool = False
    closed: bool = False
    # Orders this connection's first resume and its disconnect (a disconnect may come from another thread),
    # so a participant is never marked present after their connection has gone.
    lock: threading.Lock = field(default_factory=threading.Lock)


def _error(code: str, message: str, fields: dict | None = None) -> dict:
    return {"ok": False, "error": {"code": code, "message": message, "fields": fields or {}}}


NOT_CONNECTED = _error("bad_token", "Not connected.")


class ExerciseNamespace(Namespace):
    def __init__(self, namespace: str):
        super().__init__(namespace)
        self.connections: dict[str, Connection] = {}

    def on_connect(self, auth=None):
        """``auth``: ``{token}``, and for exercise control ``as``: a delegation nobody plays, to play it (its
        view, its commands, attributed to the umpire; see ``engine.control.acting_for``)."""
        token = auth.get("token") if isinstance(auth, dict) else None
        identity = services().exercises.identify(token) if token else None
        if identity is None:
            # Socket.IO's own exception (not the builtin of the same name), so the reason reaches the client
            # as the connect_error packet {message, data: {code, message, fields}}.
            message = "Missing or unknown token: this link is not (or no longer) valid for any exercise."
            raise ConnectionRefusedError(message, {"code": "bad_token", "message": message, "fields": {}})
        acting = auth.get("as") if isinstance(auth, dict) else None
        control = None
        if acting is not None:
            try:
                if not isinstance(acting, str):
                    raise RuleError("invalid", "'as' names a delegation.", {"as": "not a delegation id"})
                control, identity = identity, services().exercises.acting_for(identity, acting)
            except RuleError as exc:
                raise ConnectionRefusedError(exc.message, exc.to_dict()) from None
        self.connections[request.sid] = Connection(identity, control)

    def on_disconnect(self, reason=None):
        connection = self.connections.get(request.sid)
        if connection is None:
            return
        with connection.lock:
            self.connections.pop(request.sid, None)
            connection.closed = True
            if connection.resumed:
                try:
                    services().exercises.mark_presence(connection.identity, False)
                except RuleError:  # the exercise was deleted, or the seat removed
                    pass

    def on_resume(self, payload=None):
        """Send one ``sync`` and every event after ``last_seq`` this client may see, then live updates."""
        connection = self.connections.get(request.sid)
        if connection is None:
            return NOT_CONNECTED
        last_seq = payload.get("last_seq") if isinstance(payload, dict) else None
        if last_seq is not None and (not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0):
            return _error("invalid", "'last_seq' must be a whole number of 0 or more.", {"last_seq": "not a whole number"})
        identity, exercises, sid = connection.identity, services().exercises, request.sid
        emitter = broadcaster()
        try:
            seq = exercises.attach(identity, last_seq, lambda sync, history: emitter.attach(
                sid, identity.exercise_id, identity.actor, sync, history))
        except RuleError as exc:  # e.g. the exercise was deleted
            return {"ok": False, "error": exc.to_dict()}
        with connection.lock:
            if connection.closed:  # gone while this resume ran: do not mark a departed participant present
                return NOT_CONNECTED
            first = not connection.resumed
            connection.resumed = True
            if first:
                exercises.mark_presence(identity, True)
        return {"ok": True, "last_seq": seq, "exercise": identity.exercise_id}

    def on_command(self, payload=None):
        connection = self.connections.get(request.sid)
        if connection is None:
            return NOT_CONNECTED
        identity = connection.identity
        try:
            check_size(payload)
            if connection.acting is not None:  # still nobody in that delegation? (someone may have joined it)
                identity = services().exercises.acting_for(connection.acting, identity.actor.delegation)
            command, envelope = load_command(payload)
            applied = services().exercises.execute(identity.exercise_id, command, identity.actor, envelope["seq"],
                                                   envelope["command_id"], identity.issuer)
        except (WireError, RuleError) as exc:
            return {"ok": False, "error": exc.to_dict()}
        except Exception:  # a bug must not take the connection down; the transaction was rolled back
            log.exception("command failed: %r", payload)
            return _error("internal", "The server failed on this command.")
        ack = {"ok": True, "seq": applied.seq}
        if applied.duplicate:
            ack["duplicate"] = True
        return ack
