"""``facilitator serve --production``: gunicorn with one gevent worker.

Why gevent: one process then holds a conference's connections on two OS threads (threading mode holds four
threads per connection and a new one per message), and a delivered message costs about a fifth of the CPU
(docs/benchmarks.md). Why one worker: gunicorn does not route a client's requests to the worker that holds
its Socket.IO session, so more processes are run as separate servers on their own ports behind a reverse
proxy that keeps each client on one (docs/deploy.md).

SQLite under gevent: sqlite3 runs in C without yielding, so the process's writers take turns on a lock that
yields (``persistence.db.Database.write``) and never wait inside SQLite; commits come before any emit. Several
processes need PostgreSQL (``DATABASE_URL``) and Redis (``SOCKETIO_MESSAGE_QUEUE``).
"""

from __future__ import annotations

if __name__ == "__main__":  # the server's own process (``serve``): patched before anything is imported
    from gevent import monkey

    monkey.patch_all()

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from contextlib import ExitStack  # noqa: E402

from gunicorn.app.base import BaseApplication  # noqa: E402
from gunicorn.workers.ggevent import GeventWorker  # noqa: E402

WORKER_CONNECTIONS = 10_000  # open connections one worker accepts (gunicorn's default, 1,000, is a big class)
GRACEFUL_SECONDS = 10  # on SIGTERM, seconds for connections to close before the worker is stopped


class ProductionServer(BaseApplication):
    """gunicorn, configured here rather than by a file; the app is made in the worker, after gevent has
    patched it (a lock made before would block the event loop)."""

    def __init__(self, host: str, port: int, overrides: dict):
        self.host, self.port, self.overrides = host, port, overrides
        super().__init__()

    def load_config(self) -> None:
        bind = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        settings = {
            "bind": [bind],
            "workers": 1,
            "worker_class": "facilitator.production.Worker",
            "worker_connections": WORKER_CONNECTIONS,
            "graceful_timeout": GRACEFUL_SECONDS,
            "timeout": 30,  # seconds the master waits for a worker that stopped answering before restarting it
            "accesslog": None,  # requests are not logged one by one (a class makes many)
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "facilitator",
            "control_socket_disable": True,  # one server per port, none left behind in a home folder
            "post_worker_init": _started,
            "worker_int": _stopping,  # Ctrl+C (SIGINT) or SIGQUIT: the worker exits at once after this
            "worker_exit": _exiting,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self):
        from .app import create_app

        app = create_app(self.overrides)
        app.extensions["facilitator_serving"] = ExitStack()
        return app


# Every FREEZE_EVERY seconds, after a collection of the young generations, what is alive is frozen too
# (``gc.freeze``): Python's full collections stop the worker while they walk every object they track, and with
# 1,000 participants connected (their connections' sockets, greenlets and sessions) each took 110-190 ms, about
# one every 5-6 s under load: one of them set a round's p99 (docs/benchmarks.md). Frozen objects are still
# freed when nothing refers to them; only the cycles among them that became garbage wait, for the sweep every
# SWEEP_EVERY seconds (an unfreeze and one full collection of the whole heap: the one such pause left).
FREEZE_EVERY = 5.0
SWEEP_EVERY = 600.0


def _collector(stop) -> None:
    """Freeze what the worker built at start (the modules, the app, the decks: 120,000 objects that live as long
    as it does), then every ``FREEZE_EVERY`` seconds, and sweep every ``SWEEP_EVERY`` seconds, until ``stop``
    is set."""
    import time

    gc.collect()  # nothing that is already garbage is kept
    gc.freeze()
    swept = time.monotonic()
    while not stop.wait(FREEZE_EVERY):
        if time.monotonic() - swept >= SWEEP_EVERY:
            gc.unfreeze()
            gc.collect()
            swept = time.monotonic()
        else:
            gc.collect(1)  # what just died is not frozen with the rest
        gc.freeze()


def _started(worker) -> None:
    """In the worker, once the app is loaded: what a serving process does (``serving.running``), and the
    collector's freezing (``_collector``)."""
    import threading

    from .serving import running

    app = worker.wsgi
    stack: ExitStack = app.extensions["facilitator_serving"]
    stack.enter_context(running(app, ",".join(worker.cfg.bind)))
    stop = threading.Event()
    threading.Thread(target=_collector, args=(stop,), name="facilitator-collector", daemon=True).start()
    stack.callback(stop.set)


def _exiting(_server, worker) -> None:
    _stopping(worker)


def _stopping(worker) -> None:
    """What a serving process does as it stops (``serving.running``), once, however it is told to."""
    app = getattr(worker, "wsgi", None)
    if app is not None and "facilitator_serving" in getattr(app, "extensions", {}):
        app.extensions["facilitator_serving"].close()


class Worker(GeventWorker):
    """gunicorn's gevent worker, which on SIGTERM (``systemctl stop``, gunicorn's master stopping) first does
    what a serving process does as it stops, then closes its Socket.IO connections: the clients reconnect
    elsewhere at once, and the worker need not wait out the graceful timeout on connections that never end."""

    def handle_exit(self, sig, frame):
        super().handle_exit(sig, frame)
        import gevent

        gevent.spawn(self._leave)

    def _leave(self) -> None:
        _stopping(self)
        socketio = getattr(self, "wsgi", None) and self.wsgi.extensions.get("socketio")
        if socketio is not None:
            for sid in list(socketio.server.eio.sockets):
                socket = socketio.server.eio.sockets.get(sid)
                if socket is not None:
                    socket.close(wait=False, abort=True)


def serve(host: str, port: int, config: dict) -> None:
    """Serve until stopped (SIGINT or SIGTERM), with gunicorn's master restarting a worker that dies. Replaces
    this process with a fresh one, which gevent patches before anything is imported; ``config``: settings
    the command line decided (``PUBLIC_URL``, ``INSTRUCTOR_KEY``), passed as ``FACILITATOR_*`` variables."""
    env = dict(os.environ)
    env.update({f"FACILITATOR_{key}": json.dumps(value) for key, value in config.items() if value is not None})
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "facilitator.production", host, str(port)], env)


if __name__ == "__main__":
    ProductionServer(sys.argv[1], int(sys.argv[2]), {}).run()
