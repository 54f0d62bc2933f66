"""A throwaway PostgreSQL and a throwaway Redis, for the tests marked ``scale`` (``make test-scale``) and for the
suites run again on PostgreSQL (``FACILITATOR_TEST_DATABASE=postgresql``).

Each server runs from a temporary folder of its own (data, log and Unix socket), listens on a free port of
127.0.0.1 and is stopped and its folder deleted when the test run ends, passed or failed (one of each per
test process: each pytest-xdist worker has its own). PostgreSQL runs without fsync (a crash loses nothing a
test needs), trusts local connections, and has a time zone that is not UTC (times must come back in UTC all
the same); as root its programs run as the ``postgres`` system user, since ``initdb`` and ``postgres`` refuse
to run as root.

Every test gets a database of its own, copied from a template migrated once (``CREATE DATABASE … TEMPLATE``,
a few milliseconds), and dropped once the test is over and nothing is connected to it any more.

Missing programs fail the tests that need them, naming the Debian packages to install: never a skip.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest

POSTGRES_PACKAGE = "postgresql"
REDIS_PACKAGE = "redis-server"
POSTGRES_USER = "postgres"  # the system user that runs PostgreSQL's programs when the tests run as root
ROLE = "facilitator"  # the database role the tests connect as (the cluster's superuser)
TEMPLATE = "facilitator_template"
START_TIMEOUT = 60.0

# Speed over durability: nothing outlives the test run.
POSTGRES_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",  # every app keeps a pool, and some tests write from many threads
    "shared_buffers": "64MB",
    "log_min_messages": "warning",
    # Not UTC, nor a whole hour from it: times must come back in UTC whatever the server's zone (models.py).
    "timezone": "Pacific/Chatham",
}


class Missing(RuntimeError):
    """A program the tests need is not installed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _install_hint(package: str) -> str:
    return (f"install the Debian package `{package}` (sudo apt-get install {package}), or run `make test-scale`, "
            "which installs it")


def postgres_programs() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``: ``FACILITATOR_PG_BIN``, else Debian's newest
    ``/usr/lib/postgresql/<version>/bin``, else ``pg_config --bindir``, else the ``PATH``."""
    candidates = []
    if os.environ.get("FACILITATOR_PG_BIN"):
        candidates.append(Path(os.environ["FACILITATOR_PG_BIN"]))
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)] or [0], reverse=True)
    candidates += versions
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            candidates.append(Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                                  check=True).stdout.strip()))
        except (OSError, subprocess.CalledProcessError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if all(os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    raise Missing(f"PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found: "
                  f"{_install_hint(POSTGRES_PACKAGE)}.")


def redis_program() -> str:
    for candidate in (os.environ.get("FACILITATOR_REDIS_SERVER"), shutil.which("redis-server"),
                      "/usr/bin/redis-server", "/usr/sbin/redis-server"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise Missing(f"redis-server was not found: {_install_hint(REDIS_PACKAGE)}.")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, on 127.0.0.1:``port``."""

    def __init__(self):
        self.bin = postgres_programs()
        self.as_other_user = os.geteuid() == 0
        if self.as_other_user:
            try:
                self.owner = pwd.getpwnam(POSTGRES_USER)
            except KeyError:
                raise Missing(f"Running as root, PostgreSQL needs the system user `{POSTGRES_USER}`, which the "
                              f"Debian package creates: {_install_hint(POSTGRES_PACKAGE)}.") from None
            if not shutil.which("runuser"):
                raise Missing("Running as root, PostgreSQL is started through `runuser` (Debian package "
                              "util-linux), which was not found.")
        self.folder = Path(tempfile.mkdtemp(prefix="facilitator-postgres-", dir=self._reachable_temp()))
        self.data, self.sockets, self.log = self.folder / "data", self.folder / "sockets", self.folder / "server.log"
        self.sockets.mkdir()
        if self.as_other_user:
            for path in (self.folder, self.sockets):
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        self.port = 0
        self._admin = None
        self._lock = threading.Lock()
        self._count = 0
        self._template_ready = False
        self.created: list[str] = []  # the databases made for tests, in order (see ``release_created_since``)
        self._released: list[str] = []  # no longer needed: dropped when nothing is connected to them

    def _reachable_temp(self) -> str | None:
        """Where the folder goes: the usual temporary folder, unless, run as root, the ``postgres`` user could
        not reach into it (``TMPDIR`` under ``/root``): then ``/tmp``."""
        if not self.as_other_user:
            return None
        usual = Path(tempfile.gettempdir()).resolve()
        if all(os.stat(folder).st_mode & 0o001 for folder in (usual, *usual.parents)):
            return str(usual)
        return "/tmp"

    # ---- running ----

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(self.bin / command[0]), *command[1:]]
        if self.as_other_user:
            argv = ["runuser", "-u", POSTGRES_USER, "--", *argv]
        result = subprocess.run(argv, cwd=self.folder, capture_output=True, text=True, timeout=START_TIMEOUT + 30)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                               f"server log:\n{_tail(self.log)}")
        return result

    def start(self) -> "PostgresServer":
        self._run("initdb", "--pgdata", str(self.data), "--username", ROLE, "--auth", "trust", "--encoding", "UTF8",
                  "--locale", "C", "--no-sync")
        for attempt in range(3):  # the free port may be taken between choosing it and binding it
            self.port = free_port()
            options = " ".join([f"-p {self.port}", f"-k {self.sockets}",
                                *(f"-c {name}={value}" for name, value in POSTGRES_SETTINGS.items())])
            result = self._run("pg_ctl", "start", "--pgdata", str(self.data), "--log", str(self.log), "--wait",
                               "--timeout", str(int(START_TIMEOUT)), "-o", options, check=False)
            if result.returncode == 0:
                break
            if attempt == 2 or "could not bind" not in _tail(self.log):
                raise RuntimeError(f"PostgreSQL did not start:\n{result.stdout}\n{result.stderr}\n"
                                   f"server log:\n{_tail(self.log)}")
        self._wait_until_it_answers()
        return self

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self._admin = psycopg.connect(self.dsn("postgres"), autocommit=True, connect_timeout=5)
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL on port {self.port} does not answer:\n{_tail(self.log)}")
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (immediately: nothing in it is kept) and delete its folder."""
        if self._admin is not None:
            try:
                self._admin.close()
            except Exception:
                pass
            self._admin = None
        if (self.data / "postmaster.pid").exists():
            try:
                stopped = self._run("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "immediate", "--wait",
                                    check=False).returncode == 0
            except subprocess.TimeoutExpired:
                stopped = False
            if not stopped:
                self._kill_postmaster()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass

    # ---- databases ----

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={ROLE} dbname={database}"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://{ROLE}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run ``sql`` outside any transaction, connected to the ``postgres`` database."""
        with self._lock:
            self._admin.execute(sql)

    def _template(self) -> str:
        """The database every migrated one is copied from: made and migrated to head on first use."""
        if not self._template_ready:
            from facilitator.persistence import Database
            from facilitator.persistence.migrate import upgrade
            self.execute(f"CREATE DATABASE {TEMPLATE}")
            db = Database(self.url(TEMPLATE))
            try:
                upgrade(db)
            finally:
                db.dispose()  # a template is copied only while nobody is connected to it
            self._template_ready = True
        return TEMPLATE

    def database(self, migrated: bool = True) -> str:
        """The URL of a new database of its own: migrated to head (copied from the template), or empty."""
        with self._lock:
            self._count += 1
            name = f"test_{self._count}"
        template = self._template() if migrated else "template0"
        self.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        self.created.append(name)
        return self.url(name)

    def release_created_since(self, count: int) -> None:
        """The databases made after the first ``count`` (a test's own, once it is over) are no longer needed:
        they are dropped after the next test, or later, once nothing is connected to them any more. A server
        thread of the test may still be finishing a request (it ran on SQLite's file as well): its database
        stays meanwhile."""
        with self._lock:
            earlier = [name for name in self._released if name not in self.created[count:]]
            self._released += self.created[count:]
            del self.created[count:]
            if not earlier:
                return
            connected = {row[0] for row in self._admin.execute(
                "SELECT DISTINCT datname FROM pg_stat_activity WHERE datname = ANY(%s)", [earlier])}
            for name in earlier:
                if name in connected:
                    continue
                try:
                    self._admin.execute(f"DROP DATABASE IF EXISTS {name}")
                except psycopg.errors.ObjectInUse:  # connected to meanwhile: next time
                    continue
                self._released.remove(name)


class RedisServer:
    """One Redis on 127.0.0.1:``port``, keeping nothing on disk."""

    def __init__(self):
        self.program = redis_program()
        self.folder = Path(tempfile.mkdtemp(prefix="facilitator-redis-"))
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        log = self.folder / "server.log"
        for attempt in range(3):
            self.port = free_port()
            self.process = subprocess.Popen(
                [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.folder), "--daemonize", "no", "--logfile", str(log)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_until_it_answers():
                return self
            self._end_process()
            if attempt == 2 or "bind" not in _tail(log).lower():
                break
        raise RuntimeError(f"redis-server did not start on port {self.port}:\n{_tail(log)}")

    def _wait_until_it_answers(self) -> bool:
        import redis
        deadline = time.monotonic() + START_TIMEOUT
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return False
                try:
                    if client.ping():
                        return True
                except redis.RedisError:
                    time.sleep(0.05)
            return False
        finally:
            client.close()

    def flush(self) -> None:
        import redis
        with redis.Redis(host="127.0.0.1", port=self.port) as client:
            client.flushall()

    def _end_process(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        self._end_process()
        shutil.rmtree(self.folder, ignore_errors=True)


# One of each per test process (each pytest-xdist worker has its own), started on first use.

_running: dict[str, PostgresServer | RedisServer] = {}
_starting = threading.Lock()


def _started(kind: str, make):
    with _starting:
        if kind not in _running:
            server = make()
            atexit.register(server.stop)  # should the run end without its fixtures' teardown
            try:
                server.start()
            except BaseException:
                server.stop()
                raise
            _running[kind] = server
        return _running[kind]


def running_postgres() -> PostgresServer:
    """This process's throwaway PostgreSQL, started on first use."""
    return _started("postgres", PostgresServer)


def running_redis() -> RedisServer:
    """This process's throwaway Redis, started on first use."""
    return _started("redis", RedisServer)


def stop_all() -> None:
    with _starting:
        while _running:
            _, server = _running.popitem()
            server.stop()


def _or_fail(start):
    try:
        return start()
    except Missing as exc:
        missing = str(exc)
    pytest.fail(missing, pytrace=False)


# ---- fixtures (imported by tests/conftest.py) ----

@pytest.fixture(scope="session")
def postgres():
    """The throwaway PostgreSQL server (``PostgresServer``): ``.database()`` makes a fresh database."""
    server = _or_fail(running_postgres)
    yield server
    _running.pop("postgres", None)
    server.stop()


@pytest.fixture
def postgres_url(postgres):
    """The URL of a fresh database migrated to head, dropped after the test."""
    before = len(postgres.created)
    yield postgres.database()
    postgres.release_created_since(before)


@pytest.fixture
def empty_postgres_url(postgres):
    """The URL of a fresh, empty database (no tables), dropped after the test."""
    before = len(postgres.created)
    yield postgres.database(migrated=False)
    postgres.release_created_since(before)


@pytest.fixture(scope="session")
def redis_server():
    """The throwaway Redis server (``RedisServer``, ``.url``)."""
    server = _or_fail(running_redis)
    yield server
    _running.pop("redis", None)
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """``redis://127.0.0.1:PORT/0`` of the throwaway Redis, emptied before the test."""
    redis_server.flush()
    return redis_server.url
