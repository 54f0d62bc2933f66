"""Socket.IO: connect with a token, ``resume`` to get a ``sync`` and what was missed, ``command`` to act.

Handlers are thin: they check who is speaking, load the payload through the wire schemas, and hand it
to the exercise service; ``broadcast.py`` does the emitting. Each connection's events are handled one
after another, in the order sent (``async_handlers=False``), so its commands are decided in that order.

What one client may cost is bounded before any work is done for it (limits.py; docs/protocol.md "Limits"):
a message's size while it is read (no compressed frames), connections per address, seconds without a valid
token, commands per person and resumes per connection.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar

import simple_websocket
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from flask import Flask, request
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO
from socketio import packet as socketio_packet

from .broadcast import credential
from .engine import MAX_TEXT, MAX_TITLE, RuleError
from .engine.core import MAX_REF
from .engine.proposals import MAX_CLAUSES, MAX_LINKS
from .extensions import broadcaster, services
from .limits import Limiter, Rate, guessing
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
    costliest way a client may have sent it); ``invalid`` if it is nested too deeply to be measured or holds
    binary data."""
    try:
        size = len(json.dumps(payload))
    except (RecursionError, ValueError):
        raise WireError("invalid", "This command is nested too deeply to read.", {"": "too deep"}) from None
    except TypeError:  # binary data (a Socket.IO binary event): a command is JSON
        raise WireError("invalid", "A command is JSON: this one holds binary data.", {"": "binary"}) from None
    if size > COMMAND_CAP:
        raise WireError("too_large", f"This command is {size:,} bytes; the limit is {COMMAND_CAP:,}.",
                        {"": f"over {COMMAND_CAP} bytes"})


class _CappedWebSocket(SimpleWebSocketWSGI):
    """The WebSocket (simple-websocket, on threads or on gevent's greenlets), refusing a message as soon as it grows past the cap, instead of reading all of
    it first; and without compression (permessage-deflate), which it declines: a compressed frame inflates
    up to about a thousand times its size in one step, before any cap can look at it, and a client that
    sends one anyway breaks the protocol and is closed. Messages here are small; the room's network is not
    what limits a class."""

    concurrency: ClassVar[dict] = {}  # simple-websocket's thread, event and selector classes (gevent's, in gevent mode)

    def __init__(self, handler, server, **kwargs):
        super().__init__(handler, server, max_message_size=TRANSPORT_CAP, **self.concurrency, **kwargs)

    def __call__(self, environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)  # no extension offered: none is agreed
        self.ws = _WebSocket(environ, **self.server_args)
        result = self.app(self)
        if self.ws.mode == "gunicorn":
            raise StopIteration()
        if self.ws.mode == "werkzeug":
            raise ConnectionError()  # the response was the WebSocket itself
        return result


class _WebSocket(simple_websocket.Server):
    """simple-websocket's server, waking its reader once more after its socket thread ends: the thread wakes
    it *before* marking the connection closed (a message over the cap, say), and a reader that looked in
    between would otherwise wait forever, holding the connection and its thread."""

    def _thread(self):
        try:
            super()._thread()
        finally:
            self.connected = False
            self.event.set()


def _refusal(code: str, message: str) -> dict:
    return {"code": code, "message": message, "fields": {}}


class ConnectionGate:
    """Engine.IO connections (each a browser tab's Socket.IO connection, over WebSocket or long-polling):
    at most ``per_address`` open from one address, and each closed after ``grace`` seconds unless a valid
    token opened it by then (answering pings alone does not keep it). Thread-safe; one watcher thread runs
    while some connection is waiting for its token."""

    def __init__(self, disconnect, per_address: int, grace: float, clock=time.monotonic):
        self._disconnect = disconnect  # eio sid -> None: closes that connection
        self.per_address = per_address
        self.grace = grace
        self._clock = clock
        self._lock = threading.Lock()
        self._address: dict[str, str] = {}  # eio sid -> remote address
        self._open: Counter = Counter()  # remote address -> open connections
        self._waiting: dict[str, float] = {}  # eio sid -> when it is closed unless a token arrives first
        self._watching = False

    def opened(self, eio_sid: str, environ: dict) -> dict | None:
        """Admit a new connection (None), or the reason it is refused."""
        address = environ.get("REMOTE_ADDR") or "?"
        with self._lock:
            if self._open[address] >= self.per_address:
                return _refusal("too_many_connections",
                                f"Too many connections from this address (at most {self.per_address} at once): "
                                "close some tabs or devices, then try again.")
            self._address[eio_sid] = address
            self._open[address] += 1
            self._waiting[eio_sid] = self._clock() + self.grace
            start, self._watching = not self._watching, True
        if start:
            threading.Thread(target=self._watch, name="facilitator-token-deadline", daemon=True).start()
        return None

    def authenticated(self, eio_sid: str) -> None:
        with self._lock:
            self._waiting.pop(eio_sid, None)

    def closed(self, eio_sid: str) -> None:
        with self._lock:
            self._waiting.pop(eio_sid, None)
            address = self._address.pop(eio_sid, None)
            if address is not None:
                self._open[address] -= 1
                if self._open[address] <= 0:
                    del self._open[address]

    def open_from(self, address: str) -> int:
        with self._lock:
            return self._open.get(address, 0)

    def _watch(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                late = [sid for sid, deadline in self._waiting.items() if deadline <= now]
                for sid in late:
                    del self._waiting[sid]
                if not self._waiting and not late:
                    self._watching = False
                    return
                pause = min((d - now for d in self._waiting.values()), default=0.0)
            for sid in late:
                log.info("closing connection %s: no valid token within %g s", sid, self.grace)
                self._close(sid)
            time.sleep(min(max(pause, 0.05), 1.0))

    def _close(self, eio_sid: str) -> None:
        try:
            self._disconnect(eio_sid)
        except Exception:  # already gone
            log.debug("closing %s failed", eio_sid, exc_info=True)


def _guard_connections(socketio: SocketIO, gate: ConnectionGate) -> None:
    """Put ``gate`` in front of Socket.IO's own Engine.IO connect and disconnect handlers."""
    eio = socketio.server.eio
    connect, disconnect = eio.handlers["connect"], eio.handlers["disconnect"]

    def on_connect(eio_sid, environ):
        refusal = gate.opened(eio_sid, environ)
        if refusal is not None:  # Engine.IO answers HTTP 401 with this JSON body
            return refusal
        return connect(eio_sid, environ)

    def on_disconnect(eio_sid, reason=None):
        try:
            return disconnect(eio_sid, reason)
        finally:
            gate.closed(eio_sid)

    eio.on("connect", on_connect)
    eio.on("disconnect", on_disconnect)


def _capped_int(digits: str) -> int:
    if len(digits) <= 100:
        return int(digits)
    return -10 ** 100 if digits.startswith("-") else 10 ** 100


class _WireJSON:
    """The JSON of Socket.IO packets. A whole number of more than 100 digits (costly to read, and beyond every
    range the protocol takes) is read as 10**100 (or -10**100), so its packet is answered (``invalid``, or for ``resume`` the
    end of the log) where it was once dropped unanswered with a traceback in the log."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text, **kwargs):
        return json.loads(text, parse_int=_capped_int, **kwargs)


_ENCODE = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode  # see WirePacket


class WirePacket(socketio_packet.Packet):
    """Socket.IO packets as the facilitator sends them: JSON only, encoded without looking for binary first.

    The stock packet walks every outgoing payload in Python (``data_is_binary``), looking for ``bytes`` to
    send as attachments, before encoding it: with a ``sync`` that lists every member of a large exercise,
    that walk cost more than the JSON itself. **The facilitator never sends binary data**: every payload
    (``sync``, ``update``, acks, connect errors) is the JSON of dicts, lists, strings, numbers, booleans and
    None. So there is no walk and no attachment; a ``bytes`` (or any other value JSON has no form for) that
    ever reaches an emit raises ``TypeError`` from the encoder, in the code that emitted it, and nothing is
    sent, instead of going out as a binary attachment the browser's client was never written to expect.

    The JSON is the stdlib's C encoder, built once, with the stock packet's settings (compact separators,
    ``\\uXXXX`` escapes for non-ASCII, NaN as the stock packet writes it): the text on the wire is the same
    as before, byte for byte, for every payload (tests/test_wire_encoding.py). Only ``check_circular`` is
    off: a payload is a tree built for the wire; a cycle would still fail, as ``RecursionError``.

    Decoding is the stock packet's, unchanged: incoming binary events and their attachments are read
    (``decode``, ``add_attachment``) as before, with ``json`` (``_WireJSON``, set by Socket.IO from the
    server's ``json=``) reading the text. Used by this process's server only, not by Socket.IO's message
    queue (``PubSubManager`` uses the stock packet), which the facilitator does not use (see ``init_app``).
    """

    uses_binary_events = False  # no walk in the constructor (a decoded packet's type comes from the wire)
    json = _WireJSON

    def encode(self) -> str:
        """The packet as one text frame (never the stock packet's list of frames with attachments)."""
        if self.packet_type in (socketio_packet.BINARY_EVENT, socketio_packet.BINARY_ACK):
            raise ValueError("The facilitator sends no binary packets.")
        encoded = str(self.packet_type)
        if self.namespace is not None and self.namespace != "/":
            encoded += self.namespace + ","
        if self.id is not None:
            encoded += str(self.id)
        if self.data is not None:
            encoded += _ENCODE(self.data)
        return encoded


def _closer(eio):
    """Close one Engine.IO connection without waiting for its client: ``eio.disconnect`` waits until the close
    packet is taken, which a long-polling client that never polls again never does (a thread held for good)."""
    def close(eio_sid: str) -> None:
        socket = eio.sockets.get(eio_sid)
        if socket is not None:
            socket.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
            eio.sockets.pop(eio_sid, None)
    return close


class _MalformedPackets(logging.Filter):
    """A packet Socket.IO cannot parse (an ack id of hundreds of digits, broken JSON) is dropped by the library
    with a traceback in the log for each one: any client could fill the log with them. Such a record becomes
    one line, at most a few a second (the rest are counted and said with the next one let through)."""

    def __init__(self):
        super().__init__()
        self.lines = Limiter(Rate(burst=5, per_second=1))
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, ValueError) or not record.getMessage().endswith("handler error"):
            return True
        if self.lines.take("malformed"):
            self.dropped += 1
            return False
        more = f" ({self.dropped} more not logged)" if self.dropped else ""
        self.dropped = 0
        record.msg, record.args = "A malformed Socket.IO packet was dropped: %s%s", (error, more)
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_MALFORMED = _MalformedPackets()


def async_mode() -> str:
    """``gevent`` in a process gevent has patched (the production server's worker: see production.py), else
    ``threading`` (``facilitator serve`` on Werkzeug, the tests). Chosen explicitly: Socket.IO's own guess
    prefers eventlet when it is installed."""
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def _capped_websocket(mode: str) -> type:
    if mode != "gevent":
        return _CappedWebSocket
    import gevent.event
    import gevent.selectors
    from engineio.async_drivers.gevent import Thread
    return type("_CappedGeventWebSocket", (_CappedWebSocket,), {"concurrency": {
        "thread_class": Thread, "event_class": gevent.event.Event, "selector_class": gevent.selectors.DefaultSelector}})


def init_app(app: Flask) -> None:
    logging.getLogger("engineio.server").addFilter(_MALFORMED)  # once per process: adding it again does nothing
    mode = async_mode()
    # Several processes: each publishes to its own connections from the log (services/exercises.py), told of
    # the others' commits through Redis (scaleout.py), so Socket.IO's own message queue is not used. Packets are
    # ``WirePacket``s (JSON only), on threads and on gevent alike.
    socketio = SocketIO(app, async_mode=mode, async_handlers=False, serializer=WirePacket, json=_WireJSON,
                        max_http_buffer_size=TRANSPORT_CAP)
    socketio.server.eio._async = {**socketio.server.eio._async, "websocket": _capped_websocket(mode)}
    limits = app.extensions["facilitator"].limits
    gate = ConnectionGate(_closer(socketio.server.eio), limits.connections_per_address,
                          limits.unauthenticated_seconds)
    _guard_connections(socketio, gate)
    app.extensions["facilitator_connections"] = gate
    socketio.on_namespace(ExerciseNamespace("/", gate))


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
    def __init__(self, namespace: str, gate: ConnectionGate):
        super().__init__(namespace)
        self.gate = gate
        self.connections: dict[str, Connection] = {}

    def on_connect(self, auth=None):
        """``auth``: ``{token}``, and for exercise control ``as``: a delegation nobody plays, to play it (its
        view, its commands, attributed to the umpire; see ``engine.control.acting_for``)."""
        token = auth.get("token") if isinstance(auth, dict) else None
        try:  # unknown tokens (and observer codes) are guesses, as over REST
            with guessing(services().limits.guesses, request.remote_addr or "?", token) as wrong:
                identity = services().exercises.identify(token) if token else None
                if identity is None:
                    wrong()
        except RuleError as refusal:  # rate_limited
            raise ConnectionRefusedError(refusal.message, refusal.to_dict()) from None
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
        self.gate.authenticated(self.socketio.server.manager.eio_sid_from_sid(request.sid, self.namespace))

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
        try:  # before any work: a resume may replay the whole log
            services().limits.resumes.check(request.sid, "resumes on this connection")
        except RuleError as exc:
            return {"ok": False, "error": exc.to_dict()}
        if payload is not None and not isinstance(payload, dict):
            return _error("invalid", "Send resume with an object: {\"last_seq\": <the last seq you hold, or null>}.",
                          {"": "not an object"})
        last_seq = payload.get("last_seq") if isinstance(payload, dict) else None
        if last_seq is not None and (not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0):
            return _error("invalid", "'last_seq' must be a whole number of 0 or more.", {"last_seq": "not a whole number"})
        identity, exercises, sid = connection.identity, services().exercises, request.sid
        emitter = broadcaster()
        try:
            seq = exercises.attach(identity, last_seq, lambda sync, history: emitter.attach(
                sid, identity.exercise_id, identity.actor, sync, history), lambda batch: emitter.history(sid, batch))
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

    def trigger_event(self, event, *args):
        """Run ``command`` in the app's context alone, the other events as Flask-SocketIO runs them (in a request
        context: ``flask.request.sid``, the address on ``connect``).

        Commands are nearly all of a busy room's traffic, and a command needs nothing of the request: building
        and pushing Flask's request context for each one (the URL adapter, the session) took about a tenth of
        the worker's time at 450 commands a second (docs/benchmarks.md)."""
        if event != "command":
            return super().trigger_event(event, *args)
        sid, payload = args[0], (args[1] if len(args) > 1 else None)  # what a client sends after it is ignored
        environ = self.socketio.server.get_environ(sid, namespace=self.namespace)
        if not environ:
            return NOT_CONNECTED
        with environ["flask.app"].app_context():
            return self.command(sid, payload)

    def command(self, sid: str, payload=None) -> dict:
        """``payload``: a command (docs/protocol.md); returns the ack: ``{ok, seq[, duplicate]}`` or ``{ok: false,
        error}``."""
        connection = self.connections.get(sid)
        if connection is None:
            return NOT_CONNECTED
        identity = connection.identity
        try:
            # Before anything is read or decided: per person (a seat, the umpire), across their connections.
            sender = connection.acting or identity
            services().limits.commands.check(f"{sender.exercise_id}:{credential(sender.actor)}", "commands")
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
