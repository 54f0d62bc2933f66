"""The two servers a benchmark compares, each run in its own process, in one of two async modes.

``baseline``: bare Flask-SocketIO that only re-broadcasts a ~320-byte event to one room (no database, no
rules). A client's ``resume`` joins the room it names (``{"room": …}``, else ``all``; ``rooms``: several)
and acks; a ``command`` is acked and re-broadcast to the room it names (else ``all``).
``facilitator``: the real app on a fresh database (SQLite by default), with the demo deck.

Async modes:

- ``threading`` (what the older benchmarks ran): both apps on Werkzeug's threaded server in this module's
  own process (``python -m bench.servers KIND PORT FOLDER``);
- ``gevent``: the baseline under ``gunicorn -k gevent -w 1 --worker-connections 10000`` (``gevent_baseline``),
  the facilitator as ``facilitator serve --production`` (gunicorn, one gevent worker), after
  ``facilitator db upgrade``: the real command lines. CPU and memory are the gunicorn worker's, not the
  master's (``Server.pid``).
- ``served``: threading as ``facilitator serve`` runs it (Werkzeug with ``TCP_NODELAY`` and the server's caps,
  serving.py) against the baseline on Werkzeug with ``TCP_NODELAY`` on each accepted socket too: for
  request-and-ack benchmarks, where a missing ``TCP_NODELAY`` adds a ~45 ms Nagle floor to one side only.

The facilitator's rate limits that a benchmark from one address would hit (connections per address, exercises
created per address) are raised through the environment (``BENCH_LIMITS``); the commands-per-person limit is
raised only where a benchmark says so (``UNLIMITED_COMMANDS``).

    python -m bench.servers baseline PORT
    python -m bench.servers facilitator PORT DB_FOLDER
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = {"seq": 0, "type": "message_posted", "version": 1, "at": "2026-01-01T00:00:00+00:00",
           "actor": {"role": "delegation", "delegation": "ukraine", "participant": "p", "name": "Olena"},
           "audience": {"everyone": True}, "data": {"channel": "plenary", "text": "x" * 120}}
MODES = ("threading", "gevent", "served")
WORKER_CONNECTIONS = 10_000
START_TIMEOUT = 60.0

# Limits one benchmarking address would hit (docs/security.md): 1,000 connections from 127.0.0.1, one
# exercise per 25 participants created from it, and the wrong-token limit, which counts every token being
# checked until it is found right (limits.guessing): on PostgreSQL under gevent, where the check yields, 25
# valid tokens connecting at once from one address had 5 refused as "too many wrong codes". Joins, resumes
# and commands keep their limits.
BENCH_LIMITS = {
    "FACILITATOR_LIMIT_CONNECTIONS_PER_ADDRESS": "100000",
    "FACILITATOR_LIMIT_CREATIONS": "[1000000, 1000000]",
    "FACILITATOR_LIMIT_GUESSES": "[1000000, 1000000]",
}
UNLIMITED_COMMANDS = {"FACILITATOR_LIMIT_COMMANDS": "[1000000000, 1000000000]"}


# ---- the apps ------------------------------------------------------------------------------------------

def baseline_app(async_mode: str = "threading", message_queue: str | None = None, async_handlers: bool = True):
    from flask import Flask
    from flask_socketio import SocketIO, join_room

    app = Flask(__name__)
    socketio = SocketIO(app, async_mode=async_mode, message_queue=message_queue, async_handlers=async_handlers)

    @socketio.on("resume")
    def resume(payload=None):
        payload = payload if isinstance(payload, dict) else {}
        for name in payload.get("rooms") or [payload.get("room") or "all"]:
            join_room(name)
        return {"ok": True}

    @socketio.on("command")
    def command(payload):
        payload = payload if isinstance(payload, dict) else {}
        socketio.emit("event", {**PAYLOAD, "data": {**PAYLOAD["data"], "text": payload.get("text", "")}},
                      to=payload.get("rooms") or payload.get("room") or "all")
        return {"ok": True, "seq": 0}

    return app


def gevent_baseline():
    """The baseline for ``gunicorn -k gevent`` (``bench.servers:gevent_baseline()``), made in the worker after
    gevent's patching; ``BENCH_MESSAGE_QUEUE``: Flask-SocketIO's own Redis queue between processes;
    ``BENCH_ASYNC_HANDLERS=0``: each connection's events handled in order, as the facilitator does."""
    return baseline_app("gevent", os.environ.get("BENCH_MESSAGE_QUEUE") or None,
                        os.environ.get("BENCH_ASYNC_HANDLERS", "1") != "0")


def facilitator_app(folder: str):
    os.environ["FACILITATOR_INSTANCE"] = folder
    from facilitator import create_app
    from facilitator.persistence import Database
    from facilitator.persistence.migrate import upgrade

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    db = Database(url)
    upgrade(db)
    db.dispose()
    return create_app({"DATABASE_URL": url})


class _NoDelayHandler(WSGIRequestHandler):
    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code="-", size="-") -> None:
        pass


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "baseline":
        app = baseline_app("threading", async_handlers=os.environ.get("BENCH_ASYNC_HANDLERS", "1") != "0")
    else:
        app = facilitator_app(sys.argv[3])
    handler = _NoDelayHandler if os.environ.get("BENCH_NODELAY") == "1" else None
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=handler)
    print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    time.sleep(0)


# ---- running them --------------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ms(pid: int) -> float:
    """User + system CPU of one process, ms (10 ms ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tree_cpu_ms(pid: int) -> float:
    """User + system CPU of a process and its children (PostgreSQL's postmaster and its server processes), ms;
    a child that exited meanwhile takes its CPU with it."""
    total = 0.0
    for one in [pid, *children(pid)]:
        try:
            total += cpu_ms(one)
        except OSError:
            pass
    return total


def postgres_cpu_ms(server) -> float:
    """CPU of a throwaway PostgreSQL (``backing``'s ``postgres``), every one of its processes, ms."""
    return tree_cpu_ms(int((server.data / "postmaster.pid").read_text().split()[0]))


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@dataclass
class Server:
    """One server process; ``pid`` is the process that serves (the gunicorn worker, or the process itself)."""

    kind: str
    mode: str
    proc: subprocess.Popen
    url: str
    log: Path
    pid: int
    package: str | None = None
    env: dict = field(default_factory=dict)

    def cpu_ms(self) -> float:
        return cpu_ms(self.pid)

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                if self.pid != self.proc.pid and self.pid in children(self.proc.pid):
                    os.kill(self.pid, 9)  # the gunicorn worker, which would outlive its killed master
                self.proc.kill()
                self.proc.wait()

    def alive(self) -> bool:
        return self.proc.poll() is None


# Runs `bench.servers` in the server process; for the facilitator it first says which package it imported.
SERVER_LAUNCHER = """
import json, sys
if sys.argv[1] == "facilitator":
    import facilitator
    print(json.dumps({"facilitator": facilitator.__file__}), flush=True)
from bench.servers import main
main()
"""

CLI = "from facilitator.cli import main; main()"


def _env(extra: dict | None) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("SOCKETIO_MESSAGE_QUEUE", None)
    env.update(BENCH_LIMITS)
    env.update(extra or {})
    return env


def _wait_http(proc: subprocess.Popen, url: str, log: Path, what: str) -> None:
    """Until the server answers an HTTP request (any status): the gunicorn worker has loaded the app."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{url}/socket.io/?EIO=4&transport=polling&t=ready", timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)


def _worker(proc: subprocess.Popen, log: Path, what: str) -> int:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        found = children(proc.pid)
        if len(found) == 1:
            return found[0]
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what}: no gunicorn worker found:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def start(kind: str, mode: str, folder: str | Path, database_url: str | None = None,
          message_queue: str | None = None, env: dict | None = None, name: str | None = None) -> Server:
    """Start ``kind`` (baseline | facilitator) in ``mode`` with its own files in ``folder``; returns once it
    serves. ``database_url``: the facilitator's (default: a SQLite file in ``folder``); ``message_queue``: a
    Redis URL (the baseline's Flask-SocketIO queue, the facilitator's ``SOCKETIO_MESSAGE_QUEUE``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / f"{name or kind}.log"
    extra = dict(env or {})
    if mode == "threading" or (mode == "served" and kind == "baseline"):
        if database_url:
            extra["BENCH_DATABASE_URL"] = database_url
        if mode == "served":
            extra["BENCH_NODELAY"] = "1"
        with log.open("w") as err:
            proc = subprocess.Popen([sys.executable, "-c", SERVER_LAUNCHER, kind, str(port), str(folder)], cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=err, text=True, env=_env(extra))
        package = None
        while True:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{kind} server did not start:\n{log.read_text()[-3000:]}")
            message = json.loads(line)
            package = message.get("facilitator", package)
            if message.get("ready"):
                return Server(kind, mode, proc, url, log, proc.pid, package, extra)
    if mode == "gevent" and kind == "baseline":
        if message_queue:
            extra["BENCH_MESSAGE_QUEUE"] = message_queue
        argv = [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections",
                str(WORKER_CONNECTIONS), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                "--graceful-timeout", "5", "bench.servers:gevent_baseline()"]
    elif kind == "facilitator" and mode in ("gevent", "served"):
        extra.setdefault("FACILITATOR_INSTANCE", str(folder / "instance"))  # processes sharing a database share it
        extra["DATABASE_URL"] = database_url or f"sqlite:///{folder}/bench.sqlite3"
        if message_queue:
            extra["SOCKETIO_MESSAGE_QUEUE"] = message_queue
        with log.open("w") as out:
            subprocess.run([sys.executable, "-c", CLI, "db", "upgrade"], cwd=ROOT, env=_env(extra), stdout=out,
                           stderr=subprocess.STDOUT, check=True, timeout=120)
        argv = [sys.executable, "-c", CLI, "serve", "--host", "127.0.0.1", "--port", str(port)]
        if mode == "gevent":
            argv.append("--production")
    else:
        raise ValueError(f"no {kind} server in {mode} mode")
    with log.open("a") as err:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=err, stderr=subprocess.STDOUT, env=_env(extra))
    what = f"{name or kind} ({mode})"
    try:
        _wait_http(proc, url, log, what)
        pid = _worker(proc, log, what) if mode == "gevent" else proc.pid
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    package = str(ROOT / "facilitator" / "__init__.py") if kind == "facilitator" else None
    return Server(kind, mode, proc, url, log, pid, package, extra)


# ---- PostgreSQL and Redis --------------------------------------------------------------------------------

@contextmanager
def backing(postgres: bool = False, redis: bool = False, durable: bool = True) -> Iterator[dict]:
    """A throwaway PostgreSQL and/or Redis for a benchmark (tests/throwaway_servers.py: PostgreSQL 15's
    programs run as the ``postgres`` user when we are root, redis-server), stopped afterwards. Yields
    ``{"postgres": PostgresServer | None, "redis": RedisServer | None}``; ``postgres.database()`` gives the URL
    of a fresh migrated database. ``durable``: PostgreSQL syncs its commits (``fsync``, ``synchronous_commit``,
    ``full_page_writes`` on, as a real server, and as the facilitator's SQLite with ``synchronous=FULL``);
    the tests' settings turn them off."""
    running: dict = {"postgres": None, "redis": None}
    if not (postgres or redis):
        yield running
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests import throwaway_servers as throwaway

    saved = throwaway.POSTGRES_SETTINGS
    try:
        if postgres:
            if durable:
                throwaway.POSTGRES_SETTINGS = {**saved, "fsync": "on", "synchronous_commit": "on",
                                               "full_page_writes": "on", "max_connections": "300"}
            server = throwaway.PostgresServer()
            running["postgres"] = server
            server.start()
        if redis:
            running["redis"] = throwaway.RedisServer()
            running["redis"].start()
        yield running
    finally:
        throwaway.POSTGRES_SETTINGS = saved
        for server in running.values():
            if server is not None:
                server.stop()


def versions() -> str:
    """The machine and the versions a benchmark ran with, for its report."""
    from importlib.metadata import version

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) / 1024 / 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")), 0)
    load = os.getloadavg()[0]
    packages = ", ".join(f"{p} {version(p)}" for p in ("Flask", "Flask-SocketIO", "python-socketio",
                                                       "python-engineio", "simple-websocket", "gunicorn", "gevent",
                                                       "SQLAlchemy", "psycopg", "redis"))
    return (f"machine: nproc {os.cpu_count()}, {model}, {mem:.0f} GiB, load average {load:.2f} at start; "
            f"Python {sys.version.split()[0]}; {packages}")


if __name__ == "__main__":
    main()
