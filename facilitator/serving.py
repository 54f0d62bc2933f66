"""Serving the app: what a server process does while it serves (``running``), and the HTTP server
``facilitator serve`` runs the app on by default (Werkzeug, one thread per connection; ``--production``
serves with gunicorn and gevent instead: production.py), with what a server facing a room needs and
Werkzeug's development server lacks:

- a socket timeout (``SOCKET_TIMEOUT``): a client that stops sending, in the middle of a request or on an
  open WebSocket, frees its thread. A live WebSocket is never idle that long: Engine.IO pings every 25 s
  and the client answers;
- after a WebSocket closes, its connection closes too (Werkzeug would otherwise wait on it for another
  request, holding the thread);
- at most ``per_address`` connections at once from one address (beyond it, HTTP 503 at once);
- a ``Server`` header that names no software versions.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

SERVER_NAME = "facilitator"
SOCKET_TIMEOUT = 60.0  # seconds without a byte from the client; more than Engine.IO's ping interval plus its timeout
TCP_PER_ADDRESS = 2  # TCP connections allowed per Socket.IO connection allowed (long-polling holds two at times)


class RequestHandler(WSGIRequestHandler):
    timeout = SOCKET_TIMEOUT  # StreamRequestHandler.setup applies it to the accepted socket

    @property
    def server_version(self) -> str:  # the Server header and SERVER_SOFTWARE
        return SERVER_NAME

    def version_string(self) -> str:
        return SERVER_NAME

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small acks go out at once
        except (OSError, AttributeError):  # not TCP (a Unix socket)
            pass

    def handle(self) -> None:
        address = self.client_address[0] if isinstance(self.client_address, tuple) else "?"
        counter = getattr(self.server, "connections", None)
        if counter is not None and not counter.enter(address):
            self._refuse()
            return
        try:
            super().handle()
        finally:
            if counter is not None:
                counter.leave(address)

    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        finally:
            if "werkzeug.socket" in getattr(self, "environ", {}) and self.environ.get("HTTP_UPGRADE", "").lower() \
                    == "websocket":
                self.close_connection = True  # the WebSocket is over: no request can follow on this socket

    def _refuse(self) -> None:
        body = b'{"error": {"code": "too_many_connections", "message": "Too many connections from this address.", ' \
               b'"fields": {}}}'
        try:
            self.wfile.write(b"HTTP/1.1 503 Service Unavailable\r\nServer: " + SERVER_NAME.encode()
                             + b"\r\nContent-Type: application/json\r\nRetry-After: 5\r\nConnection: close\r\n"
                             + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        except OSError:
            pass
        self.close_connection = True

    def log_request(self, code="-", size="-") -> None:  # requests are not logged one by one (a class makes many)
        pass


class ConnectionCounter:
    """Open TCP connections per client address."""

    def __init__(self, per_address: int):
        self.per_address = per_address
        self._open: Counter = Counter()
        self._lock = threading.Lock()

    def enter(self, address: str) -> bool:
        with self._lock:
            if self._open[address] >= self.per_address:
                return False
            self._open[address] += 1
            return True

    def leave(self, address: str) -> None:
        with self._lock:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]


class _EndWebSockets:
    """WSGI middleware: when a WebSocket served on the raw socket ends (the threading WebSocket then raises
    ``ConnectionError`` to tell Werkzeug the response was its own), shut the socket, so Werkzeug's reading of
    what remains sees its end at once, however much the client still sends."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        try:
            return self.app(environ, start_response)
        except ConnectionError:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            raise


def server(app, host: str, port: int) -> BaseWSGIServer:
    """A threaded server for ``app`` on ``host:port`` (bound, not yet serving: call ``serve_forever``)."""
    made = make_server(host, port, _EndWebSockets(app), threaded=True, request_handler=RequestHandler)
    limits = app.extensions["facilitator"].limits
    # Behind a reverse proxy every TCP connection is the proxy's: connections are then counted per client
    # by Socket.IO's gate, on the address the proxy forwards (app.py, ``PROXY_HOPS``).
    proxied = bool(app.config.get("PROXY_HOPS"))
    made.connections = None if proxied else ConnectionCounter(TCP_PER_ADDRESS * limits.connections_per_address)
    made.daemon_threads = True
    return made


def serve(app, host: str, port: int) -> None:
    """Serve ``app`` until interrupted (``facilitator serve``)."""
    server(app, host, port).serve_forever()


@contextmanager
def running(app, address: str) -> Iterator[None]:
    """What one server process does around serving ``app`` on ``address`` (``host:port``), whatever serves
    it (no app context needed).

    Starting: connections do not outlive a process, so on SQLite (served by one process) everyone is marked
    disconnected, and on PostgreSQL only the connections of processes that stopped beating are taken away,
    with those this process's predecessor on the same address left (services/presence.py); the schedule then notes how long the server was down in every exercise whose clock
    ran (pausing it past ``CLOCK_PAUSE_AFTER_DOWN`` seconds), beats, and fires the event lists' due rows; with
    Redis, the process listens for the others' commits (scaleout.py). A SQLite database is held against
    ``db restore`` meanwhile. Stopping: a last heartbeat, and this process's connections taken away."""
    from .persistence import backup
    from .services import presence

    facilitator = app.extensions["facilitator"]
    exercises, db = facilitator.exercises, facilitator.db
    exercises.server = presence.server_id(address)
    with backup.serving(db):  # `db restore` refuses while a server holds this
        if db.is_sqlite:
            presence.clear_all(exercises)
        else:
            for stopped in sorted(set(presence.stopped(db, presence.now())) | {exercises.server}):
                presence.take_away(exercises, stopped)
        facilitator.schedule.start()
        bell = app.extensions.get("facilitator_bell")
        if bell is not None:
            bell.start()
        try:
            yield
        finally:
            if bell is not None:
                bell.stop()
            facilitator.schedule.stop()
