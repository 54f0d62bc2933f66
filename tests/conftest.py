"""Shared fixtures: an app on a fresh, migrated SQLite file, its CLI runner, and a real live server."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

import pytest
from facilitator import create_app, serving
from facilitator.extensions import services
from facilitator.limits import Limiter, Rate
from facilitator.persistence import Database
from facilitator.persistence.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
UNLIMITED = Rate(burst=10 ** 9, per_second=10 ** 9)  # far above anything a test sends


def migrated_url(path: Path) -> str:
    url = f"sqlite:///{path}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    return url


def unlimited_app(folder: Path):
    """An app on a fresh database in ``folder`` with every rate limit out of reach: for tests that send far more
    than a person would, to check the handlers themselves (the limits have tests of their own)."""
    os.environ["FACILITATOR_INSTANCE"] = str(folder / "instance")
    return create_app({"TESTING": True, "DATABASE_URL": migrated_url(folder / "test.sqlite3"),
                       "LIMIT_COMMANDS": UNLIMITED, "LIMIT_RESUMES": UNLIMITED, "LIMIT_GUESSES": UNLIMITED,
                       "LIMIT_CREATIONS": UNLIMITED})


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "test.sqlite3")})
    yield app
    services_ = app.extensions["facilitator"]
    services_.db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def exercises(app):
    """The app's exercise service (create, join, execute, events)."""
    with app.app_context():
        return services().exercises


@pytest.fixture
def roomy_limits(app):
    """Commands per person and resumes per connection limited far above what any test sends: for tests whose
    point is many commands at once (their order, their throughput), not the limits (tests/test_abuse.py)."""
    limits = app.extensions["facilitator"].limits
    limits.commands, limits.resumes = Limiter(UNLIMITED), Limiter(UNLIMITED)
    return limits


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app served over real HTTP and WebSocket on 127.0.0.1 (Werkzeug, threaded, by `facilitator serve`'s own
    server: serving.py)."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = serving.server(app, "127.0.0.1", self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    server = LiveServer(app).start()
    yield server
    server.stop()


def _figures() -> dict:
    """What some tests measured and the reader should see: the random sessions the visibility property
    played, the kill -9 test's counts (acknowledged, lost, duplicated, resumed)."""
    figures = {"played": None, "lines": []}
    module = sys.modules.get("tests.test_visibility_property")
    if module is not None and module.PLAYED["sessions"]:
        figures["played"] = {**module.PLAYED, "types": sorted(module.PLAYED["types"])}
    crash = sys.modules.get("tests.test_crash")
    if crash is not None and crash.FIGURES:
        figures["lines"].append(crash.summary(crash.FIGURES))
    return figures


_FROM_WORKERS: list[dict] = []  # the figures of the test processes, when the suite runs in several (pytest -n)


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):  # a worker process: hand its figures to the main one
        session.config.workeroutput["figures"] = _figures()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    if "figures" in getattr(node, "workeroutput", {}):
        _FROM_WORKERS.append(node.workeroutput["figures"])


def pytest_terminal_summary(terminalreporter):
    from facilitator.engine import EVENTS

    every = [_figures(), *_FROM_WORKERS]
    played = [f["played"] for f in every if f["played"]]
    if played:
        total = {k: sum(p[k] for p in played) for k in ("sessions", "commands", "accepted", "events")}
        types = set().union(*(p["types"] for p in played))
        missing = sorted(EVENTS.keys() - types)
        terminalreporter.write_line(
            f"visibility property: {total['sessions']} random sessions, {total['commands']} commands "
            f"({total['accepted']} accepted), {total['events']} events of {len(types)} types checked"
            + (f"; never produced: {', '.join(missing)}" if missing else ""))
    for figures in every:
        for line in figures["lines"]:
            terminalreporter.write_line(line)
