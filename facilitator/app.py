"""``create_app``: configuration, extensions, blueprints and commands. Wiring only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask

from . import api, broadcast, cli, pages, print_views, realtime, scaleout
from .decks.catalog import DeckCatalog
from .engine.clock import PAUSE_AFTER
from .extensions import Services, SettingError
from .limits import DEFAULTS as LIMIT_DEFAULTS, Limits
from .links import PublicUrlError, public_url
from .persistence import Database
from .persistence.backup import lock_path
from .persistence.db import PRIVATE_FILE, PRIVATE_FOLDER, make_database_private, make_private
from .services import ExerciseService
from .services.replay import ReplayService
from .services.schedule import Schedule
from .services.tokens import code_key

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """The app, configured from the environment and then ``overrides``.

    Raises :class:`~facilitator.links.PublicUrlError` when the public URL setting
    (``FACILITATOR_PUBLIC_URL``) is not a usable http(s) address, ``SettingError`` for a limit or
    ``PROXY_HOPS`` that is not one.
    """
    _refuse_flask_run()
    instance = Path(os.environ.get("FACILITATOR_INSTANCE", ROOT / "instance"))
    app = Flask(__name__, instance_path=str(instance.resolve()), static_folder=str(ROOT / "static"),
                static_url_path="/static")
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{instance.resolve() / 'facilitator.sqlite3'}",
        SOCKETIO_MESSAGE_QUEUE=None,
        SCENARIOS_DIR=str(ROOT / "scenarios"),
        SEEDS_DIR=str(ROOT / "seeds"),
        MAX_CONTENT_LENGTH=256 * 1024,
        JSON_SORT_KEYS=False,
        INSTRUCTOR_KEY=None,  # needed to create exercises when set (`facilitator serve` sets one beyond loopback)
        PUBLIC_URL=None,  # the origin links are built on (FACILITATOR_PUBLIC_URL); None: the request's host
        CLOCK_PAUSE_AFTER_DOWN=PAUSE_AFTER,  # seconds the server may be down before running clocks pause
        PROXY_HOPS=0,  # reverse proxies in front whose X-Forwarded-* headers are trusted (docs/deploy.md)
        **LIMIT_DEFAULTS,
    )
    for name in ("DATABASE_URL", "SECRET_KEY", "SOCKETIO_MESSAGE_QUEUE"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.from_prefixed_env("FACILITATOR")
    app.config.update(overrides or {})
    # Never the interactive debugger, whatever FLASK_DEBUG says: it runs code for whoever sees a traceback.
    app.config["DEBUG"] = False
    app.debug = False
    try:
        app.config["PUBLIC_URL"] = public_url(app.config["PUBLIC_URL"])
    except PublicUrlError as exc:
        raise PublicUrlError(f"FACILITATOR_PUBLIC_URL (the PUBLIC_URL setting) is not usable: {exc}") from None
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)

    db = Database(app.config["DATABASE_URL"])
    _keep_private(app, instance, db)
    catalog = DeckCatalog(Path(app.config["SCENARIOS_DIR"]), Path(app.config["SEEDS_DIR"]))
    exercises = ExerciseService(db, catalog, code_key=code_key(app.config["SECRET_KEY"]))
    schedule = Schedule(exercises, pause_after=app.config["CLOCK_PAUSE_AFTER_DOWN"])
    try:
        limits = Limits(app.config)
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    app.extensions["facilitator"] = Services(db, catalog, exercises, schedule, ReplayService(db), limits)

    api.init_app(app)
    pages.init_app(app)
    print_views.init_app(app)
    realtime.init_app(app)
    broadcast.init_app(app)
    scaleout.init_app(app)
    cli.init_app(app)
    _behind_proxies(app)
    return app


def _behind_proxies(app: Flask) -> None:
    """Behind ``PROXY_HOPS`` reverse proxies, the client's address (which every limit per address counts) and
    scheme are read from the ``X-Forwarded-For`` and ``-Proto`` headers the last that many proxies set,
    never from a header a client sent itself. Wraps everything, Socket.IO included. Raises ``ValueError``
    naming the setting for a value that is not a whole number from 0 to 5."""
    hops = app.config["PROXY_HOPS"]
    if isinstance(hops, bool) or not isinstance(hops, int) or not 0 <= hops <= 5:
        raise SettingError(f"PROXY_HOPS (FACILITATOR_PROXY_HOPS) must be a whole number from 0 to 5, not {hops!r}")
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _refuse_flask_run() -> None:
    """``flask run`` serves without Socket.IO and, with ``FLASK_DEBUG``, with Werkzeug's debugger (code run for
    whoever sees a traceback): the app refuses to be loaded by it. ``facilitator serve`` is the server."""
    from flask.cli import run_command

    context = click.get_current_context(silent=True)
    if context is not None and context.command is run_command:
        raise click.UsageError("`flask run` does not serve facilitator: use `facilitator serve` (or `make run`).")


def _instance_secret(instance: Path) -> str:
    """A secret key made once per installation and kept in the instance folder."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def _keep_private(app: Flask, instance: Path, db: Database) -> None:
    """Keep the instance folder (0700), its secrets and a SQLite database with its ``-wal`` and ``-shm`` files,
    the databases a restore replaced and the server's lock file (0600) to this user: the instance folder is made so when the database is to be created in it, and what
    others could read (left by an earlier version, or copied in) is tightened and logged. The database file
    itself is created private when first opened (``persistence.db``)."""
    instance = instance.resolve()
    if db.path is not None and db.path.parent == instance:
        instance.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    changed = [instance] if make_private(instance, PRIVATE_FOLDER) else []
    for secret in ("secret_key", "instructor_key"):
        changed += [instance / secret] if make_private(instance / secret, PRIVATE_FILE) else []
    if db.path is not None:
        changed += make_database_private(db.path)
        # the databases a restore replaced, and the server's lock beside the database
        kept = sorted(db.path.parent.glob(f"{db.path.stem}.before-restore-*.sqlite3"))
        changed += [p for p in kept + [lock_path(db)] if make_private(p, PRIVATE_FILE)]
    if changed:
        app.logger.warning("Others could read %s: made private to this user (folder 0700, files 0600).",
                           ", ".join(str(p) for p in changed))
