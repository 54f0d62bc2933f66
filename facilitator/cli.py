"""Commands: ``facilitator db upgrade``, ``scenarios validate``, ``exercises create``, ``demo``, ``serve``.

The same groups are available as ``flask --app facilitator …``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from .extensions import services, socketio
from .decks import validate_files
from .links import links
from .persistence import migrate

db_cli = AppGroup("db", help="Create or upgrade the database schema (Alembic migrations).")
scenarios_cli = AppGroup("scenarios", help="Scenario decks.")
exercises_cli = AppGroup("exercises", help="Exercises.")


def init_app(app: Flask) -> None:
    for group in (db_cli, scenarios_cli, exercises_cli):
        app.cli.add_command(group)
    app.cli.add_command(demo)
    app.cli.add_command(serve)


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str):
    """Apply migrations up to REVISION (does nothing when already there)."""
    db = services().db
    before = migrate.current_revision(db)
    migrate.upgrade(db, revision)
    after = migrate.current_revision(db)
    click.echo(f"Database at revision {after}" + ("" if before != after else " (already up to date)") + ".")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str):
    """Revert migrations down to REVISION ('base' for an empty database)."""
    migrate.downgrade(services().db, revision)
    click.echo(f"Database at revision {migrate.current_revision(services().db)}.")


@db_cli.command("current")
def db_current():
    """Print the schema revision of the database."""
    click.echo(migrate.current_revision(services().db) or "(empty)")


@scenarios_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def scenarios_validate(paths: tuple[Path, ...]):
    """Check deck files (or folders of them); print every problem and exit 1 if there is any."""
    paths = paths or (Path(current_app.config["SCENARIOS_DIR"]),)
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        click.echo(f"{path}: no such file or folder", err=True)
    problems = validate_files([p for p in paths if p.exists()], Path(current_app.config["SEEDS_DIR"]))
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems or missing:
        click.echo(f"{len(problems) + len(missing)} problem(s).", err=True)
        sys.exit(1)
    click.echo("All decks are valid.")


@scenarios_cli.command("list")
def scenarios_list():
    for loaded in services().catalog.list():
        deck = loaded.deck
        click.echo(f"{deck.id:24} {deck.title} ({sum(p.minutes for p in deck.phases)} min, "
                   f"{len(deck.delegations)} delegations)")


def _print_links(info: dict) -> None:
    click.echo(f"\n  {info['title']}  (exercise {info['id']}, deck '{info['deck']}')\n")
    click.echo(f"  Umpire console:   {info['umpire']['url']}")
    click.echo(f"  Observers:        {info['observer']['url']}")
    click.echo(f"  Projector:        {info['observer']['projector_url']}")
    click.echo("  Join links (one per delegation; code in brackets):")
    for d in info["delegations"]:
        click.echo(f"    {d['name']:<24} {d['url']}   [{d['code']}]")
    click.echo("")


def _base_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/"


@exercises_cli.command("create")
@click.argument("deck")
@click.option("--title", default=None)
@click.option("--host", default="127.0.0.1", show_default=True, help="Host used in the printed links.")
@click.option("--port", default=5000, show_default=True, help="Port used in the printed links.")
def exercises_create(deck: str, title: str | None, host: str, port: int):
    """Create an exercise from DECK and print its links."""
    created = services().exercises.create(deck, title)
    names = {d.id: d.name for d in services().catalog.get(created.deck_id).deck.delegations}
    _print_links(links(_base_url(host, port), created, names))


@exercises_cli.command("list")
def exercises_list():
    for e in services().exercises.list_exercises():
        click.echo(f"{e['id']}  {e['created_at'][:16]}  {e['deck']:<20} {e['title']}  ({e['last_seq']} events)")


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def demo(host: str, port: int):
    """Make sure the demo exercise exists and print fresh links to it (earlier demo links stop working)."""
    exercises = services().exercises
    existing = [e for e in exercises.list_exercises() if e["deck"] == "demo"]
    created = exercises.reissue_codes(existing[0]["id"]) if existing else exercises.create("demo")
    names = {d.id: d.name for d in services().catalog.get("demo").deck.delegations}
    _print_links(links(_base_url(host, port), created, names))


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int):
    """Run the server (Socket.IO in threading mode on Werkzeug: one process, for a class or a workshop)."""
    os.environ.pop("FLASK_RUN_FROM_CLI", None)  # Flask refuses app.run() inside its CLI otherwise
    services().exercises.clear_presence()  # connections do not outlive the process (one server process)
    click.echo(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)")
    socketio().run(current_app._get_current_object(), host=host, port=port, allow_unsafe_werkzeug=True,
                      use_reloader=False, log_output=False)


def main() -> None:
    """The ``facilitator`` console script: Flask's command line bound to this app."""
    from .app import create_app
    FlaskGroup(create_app=create_app, add_default_commands=False, load_dotenv=False)(prog_name="facilitator")
