"""Commands: ``facilitator db upgrade``, ``scenarios validate``, ``scenarios print`` (a deck's print pack),
``exercises create``, ``exercises export`` and
``import`` (the whole log, docs/exports.md), ``event-list export`` and ``import``, ``demo``, ``serve``.

The same groups are available as ``flask --app facilitator …``.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit
from typing import BinaryIO, Iterator

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from .extensions import services
from .decks import validate_files
from .decks.reference_texts import check_reference_texts
from .engine import RuleError
from .engine.audience import UMPIRE, UMPIRE_ACTOR, Actor
from .event_list_csv import MAX_BYTES as MAX_CSV_BYTES, CsvError, decode, export_csv, import_csv
from .instance import instructor_key
from .links import ANY_INTERFACE, LOOPBACK, PublicUrlError, http_base, lan_address, links, seat_link
from .links import public_url as checked_public_url
from .persistence import backup, migrate
from .services.exports import FORMATS, import_jsonl
from .services.exports import export_csv as export_log_csv, export_jsonl as export_log_jsonl
from .services.replay import find_perspective, perspective_name

db_cli = AppGroup("db", help="The database: its schema (Alembic migrations), backups and restores.")
scenarios_cli = AppGroup("scenarios", help="Scenario decks.")
exercises_cli = AppGroup("exercises", help="Exercises.")
event_list_cli = AppGroup("event-list", help="An exercise's event list (MSEL) as a CSV file, for a spreadsheet.")


def init_app(app: Flask) -> None:
    for group in (db_cli, scenarios_cli, exercises_cli, event_list_cli):
        app.cli.add_command(group)
    app.cli.add_command(demo)
    app.cli.add_command(serve)


# ---- files the commands read and write ---------------------------------------------------------------

_REASONS = {getattr(errno, name): words for name, words in (
    ("ENOENT", "no such file"), ("EACCES", "permission denied"), ("EPERM", "permission denied"),
    ("EISDIR", "it is a folder"), ("ENOTDIR", "a part of the path is not a folder"),
    ("ENOSPC", "no space left on the device"), ("EDQUOT", "the disk quota is used up"),
    ("EROFS", "the file system is read-only"), ("ENAMETOOLONG", "the name is too long"),
    ("ELOOP", "too many symbolic links"), ("EFBIG", "the file is too large")) if hasattr(errno, name)}


def file_problem(action: str, path, exc: OSError | None = None, reason: str | None = None) -> click.ClickException:
    """``Error: cannot <action> <path>: <reason>`` (exit 1), the reason in words from ``exc`` (an
    ``OSError``) when not given: for a file to write, a missing folder is "no such folder"."""
    if reason is None:
        code = getattr(exc, "errno", None)
        if code == errno.ENOENT and action == "write":
            reason = "no such folder"
        else:
            reason = _REASONS.get(code) or (getattr(exc, "strerror", None) or str(exc) or "failed").lower()
    return click.ClickException(f"cannot {action} {path}: {reason}")


@contextmanager
def reading(path: Path) -> Iterator[BinaryIO]:
    """``path`` opened to read bytes (``-``: standard input). A file that cannot be opened or read is
    ``Error: cannot read PATH: <reason>``, exit 1."""
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory")
        handle = path.open("rb")
    except OSError as exc:
        raise file_problem("read", path, exc) from None
    with handle:
        yield handle


def read_bytes(path: Path, most: int | None = None) -> bytes:
    """The bytes of ``path`` (at most ``most``; ``-``: standard input), failing as ``reading``."""
    with reading(path) as handle:
        try:
            return handle.read(-1 if most is None else most)
        except OSError as exc:
            raise file_problem("read", path, exc) from None


@contextmanager
def writing(path: Path | None) -> Iterator[BinaryIO]:
    """A binary stream to write ``path`` through (``None``: standard output).

    What is written goes to a new file beside ``path``, which replaces it only once all of it is written: a
    command that fails half-way leaves an existing file as it was. Its permissions are those of the file it
    replaces, else 0600: exports, reports and event lists hold what only some may read. A file that cannot be written is ``Error: cannot write PATH: <reason>``
    (``no such folder``, ``permission denied``, ``it is a folder`` …), exit 1.
    """
    if path is None:
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    target = Path(os.path.realpath(path))  # a symbolic link's file, not the link
    if target.is_dir():
        raise file_problem("write", path, reason="it is a folder")
    if target.exists() and not target.is_file():  # never replace a device, a pipe or a socket by a file
        raise file_problem("write", path, reason="it is not a regular file (leave out the file to write to "
                                                 "standard output)")
    existing = target.stat() if target.exists() else None
    if existing is not None and not os.access(target, os.W_OK):
        raise file_problem("write", path, reason="permission denied")
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise file_problem("write", path, exc) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
        if existing is not None:  # the file it replaces keeps its mode, and its owner where this may say so
            os.chmod(part, stat.S_IMODE(existing.st_mode))
            if hasattr(os, "chown"):
                with suppress(OSError):
                    os.chown(part, existing.st_uid, existing.st_gid)
        os.replace(part, target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise file_problem("write", path, exc) from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def as_perspective(exercise_id: str, text: str) -> str:
    """The key of the perspective ``--as`` names in EXERCISE_ID's deck (see ``find_perspective``: ``umpire``,
    ``observers``, ``public``, a delegation by id, ``d:<id>`` or name, whatever the case). An unknown exercise
    or perspective is ``Error: …`` (exit 1), the latter with every choice by name and id."""
    try:
        deck = services().exercises.deck(exercise_id)
    except RuleError as exc:
        raise click.ClickException(exc.message) from None
    key = find_perspective(text, deck)
    if key is None:
        keys = ["umpire", "observers", "public"] + [f"d:{d.id}" for d in deck.delegations]
        names = [perspective_name(k, deck) for k in keys]
        names = [n[0].upper() + n[1:] for n in names]
        width = max(len(n) for n in names) + 3
        rows = "\n".join(f"  {n:<{width}}{k.removeprefix('d:')}" for n, k in zip(names, keys))
        raise click.ClickException(f"this exercise has no perspective '{text}'. Give one of these, by name or "
                                   f"id (a delegation also as d:ID):\n{rows}")
    return key


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str):
    """Apply migrations up to REVISION (does nothing when already there)."""
    db = services().db
    before = migrate.current_revision(db)
    migrate.upgrade(db, revision, code_key=services().exercises.code_key)
    after = migrate.current_revision(db)
    click.echo(f"Database at revision {after}" + ("" if before != after else " (already up to date)") + ".")


@db_cli.command("downgrade")
@click.argument("revision")
@click.option("--yes-drop-everything", is_flag=True, help="Downgrade even though it drops stored data.")
def db_downgrade(revision: str, yes_drop_everything: bool):
    """Revert migrations down to REVISION ('base' for an empty database). A downgrade drops what the
    migrations it reverts added (to 'base': every exercise and its log): while any exercise or event is
    stored, it is refused (exit 1, nothing changed), saying what would be lost, unless
    --yes-drop-everything. Take a backup first (db backup)."""
    db = services().db
    try:
        losses = backup.downgrade_losses(db, revision)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if losses is not None and (losses.exercises or losses.events) and not yes_drop_everything:
        raise click.ClickException(f"{losses}\nNothing was changed. Copy the database first (facilitator db "
                                   "backup FILE), then run again with --yes-drop-everything.")
    migrate.downgrade(db, revision, code_key=services().exercises.code_key)
    click.echo(f"Database at revision {migrate.current_revision(db) or 'base (empty)'}.")


@db_cli.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def db_backup(file: Path, force: bool):
    """Copy the SQLite database to FILE, readable by this user only, while the server runs and writes: the
    copy holds every command committed before it began (SQLite's online backup). Refuses (exit 1) an
    existing FILE without --force, and another database (use its own tools, e.g. pg_dump)."""
    try:
        copied = backup.backup(services().db, file, force=force)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise file_problem("write", file, exc) from None
    click.echo(f"Copied {_counted(copied.exercises, 'exercise')} ({_counted(copied.events, 'event')}, "
               f"{copied.bytes:,} bytes) to {file}.")


@db_cli.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Replace every exercise of this database by those in FILE.")
def db_restore(file: Path, yes: bool):
    """Replace the whole database by the copy in FILE (made by db backup), then migrate it to this version's
    schema. FILE is checked first (SQLite's integrity check, a facilitator's tables, a schema this version
    knows); the database as it was is kept beside it, and its path printed. Refuses (exit 1, nothing
    changed) without --yes, a file that fails a check, and another database (use its own tools, e.g.
    pg_restore). Stop the server first."""
    db = services().db
    try:
        found = backup.inspect_file(file, db)
        if not yes:
            exercises, events = backup.counts(db)
            raise click.ClickException(
                f"restoring replaces every exercise of this database ({_counted(exercises, 'exercise')}, "
                f"{_counted(events, 'event')}) by the {_counted(found.exercises, 'exercise')} "
                f"({_counted(found.events, 'event')}) in {file}. Nothing was changed; stop the server and run "
                "again with --yes to do it.")
        restored = backup.restore(db, file, code_key=services().exercises.code_key)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise file_problem("write", db.path, exc) from None
    if restored.kept is not None:
        click.echo(f"Kept the database as it was in {restored.kept}")
    held = restored.contents
    migrated = "" if held.revision == restored.from_revision else f", migrated from {restored.from_revision}"
    click.echo(f"Restored {_counted(held.exercises, 'exercise')} ({_counted(held.events, 'event')}) from {file}; "
               f"database at revision {held.revision}{migrated}.")


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@db_cli.command("current")
def db_current():
    """Print the schema revision of the database."""
    click.echo(migrate.current_revision(services().db) or "(empty)")


@scenarios_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def scenarios_validate(paths: tuple[Path, ...]):
    """Check deck files (or folders of them), and the glossary and timeline beside the notes; print every
    problem and exit 1 if there is any."""
    paths = paths or (Path(current_app.config["SCENARIOS_DIR"]),)
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        click.echo(f"{path}: no such file or folder", err=True)
    seeds, maps = Path(current_app.config["SEEDS_DIR"]), Path(current_app.static_folder) / "maps"
    found = validate_files([p for p in paths if p.exists()], seeds, warnings=True, maps_dir=maps) + \
        check_reference_texts(seeds)
    for problem in found:
        click.echo(str(problem), err=True)
    problems = [p for p in found if not p.warning]  # a warning is shown, and does not fail the check
    if problems or missing:
        click.echo(f"{len(problems) + len(missing)} problem(s).", err=True)
        sys.exit(1)
    click.echo("All decks are valid.")


@scenarios_cli.command("list")
def scenarios_list():
    """List the decks on this server: id, title, minutes of play (the phases, without the debrief) and
    delegations; each variant after the deck it adapts."""
    for loaded in services().catalog.list():
        deck = loaded.deck
        variant = f", a variant of {deck.variant_of}" if deck.variant_of else ""
        click.echo(f"{deck.id:28} {deck.title} ({sum(p.minutes for p in deck.phases)} min of play, "
                   f"{len(deck.delegations)} delegations{variant})")


@scenarios_cli.command("simulate")
@click.argument("deck")
@click.option("--runs", type=click.IntRange(1, 100_000), default=300, show_default=True, help="Runs to play.")
@click.option("--strategy", type=click.Choice(["random", "greedy", "scripted"]), default=None,
              show_default="random", help="How delegations move (scripted: the moves of --script).")
@click.option("--script", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A YAML or JSON list of moves per phase (implies --strategy scripted).")
@click.option("--greedy-runs", type=click.IntRange(0, 10_000), default=10, show_default=True,
              help="Greedy runs besides, for what the greedy strategy reaches.")
@click.option("--seed", default="sim", show_default=True, help="Seed of the runs: the same seed, the same figures.")
@click.option("--check", is_flag=True, help="Exit 1 when the deck breaks its quality: limits.")
def scenarios_simulate(deck: str, runs: int, strategy: str | None, script: Path | None, greedy_runs: int, seed: str,
                       check: bool):
    """Play DECK (an id in the scenarios folder, or a file) many times through the engine, and report its balance.
    A bad script (unreadable, not YAML/JSON, an unknown phase, mover or command, a field the server would
    refuse) is refused before any run, naming the file and what is wrong."""
    from .decks import DeckInvalid, load_deck, load_notes
    from .decks.simulate import ScriptError, load_script, simulate
    if strategy == "scripted" and script is None:
        raise click.UsageError("--strategy scripted plays the moves of a file: give it with --script FILE.")
    if script is not None and strategy not in (None, "scripted"):
        raise click.UsageError(f"--strategy {strategy} does not play a script: --script FILE plays its moves "
                               "(--strategy scripted); give one or the other.")
    path = _deck_file(deck)
    try:
        loaded = load_deck(path, load_notes(Path(current_app.config["SEEDS_DIR"])))
        moves = load_script(script, loaded.deck) if script else None
    except (DeckInvalid, ScriptError) as exc:
        raise click.ClickException(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    result = simulate(loaded.deck, "scripted" if script else strategy or "random", runs, seed, greedy_runs, moves)
    click.echo(result.report())
    if check and result.check(loaded.deck.quality):
        sys.exit(1)


def _deck_file(deck: str) -> Path:
    """DECK as a file: an id in the scenarios folder, or a path to a deck file (a file named otherwise than
    ``.yaml`` is read too, and refused by ``_load`` if it is no deck). Raises ``ClickException`` listing the
    decks when there is none."""
    scenarios = Path(current_app.config["SCENARIOS_DIR"])
    given = Path(deck)
    if "/" in deck or deck.endswith((".yaml", ".yml")) or given.exists():
        if given.is_dir():
            raise click.ClickException(f"'{deck}' is a folder, not a deck file: give a deck's id or its .yaml file.")
        path = given
    else:
        path = scenarios / f"{deck}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in scenarios.glob("*.yaml")))
        where = f"no such file '{deck}'" if path is given else f"no deck '{deck}' in {scenarios}"
        raise click.ClickException(f"{where}: give one of {known}, or a deck file.")
    return path


def _load(path: Path, notes):
    """The deck in file ``path``; a file that is not one (not YAML, no deck in it) is refused saying so."""
    from .decks import DeckInvalid, load_deck
    try:
        return load_deck(path, notes)
    except DeckInvalid as exc:
        if path.suffix not in (".yaml", ".yml") and not _looks_like_a_deck(path):
            raise click.ClickException(f"{path} is not a deck file (a deck is a YAML file with an id, a title, "
                                       f"delegations …; deck files end in .yaml):\n{exc}") from None
        raise click.ClickException(str(exc)) from None


def _looks_like_a_deck(path: Path) -> bool:
    """Whether ``path`` holds YAML with a deck's ``id`` and ``title`` (a deck with mistakes, then, not some
    other file)."""
    from .decks import DeckInvalid
    from .decks.loader import read_yaml
    try:
        data = read_yaml(path)
    except DeckInvalid:
        return False
    return "id" in data and ("title" in data or "variant_of" in data)


@scenarios_cli.command("print")
@click.argument("deck")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="The folder to write the sheets into (made if missing; sheets already there are replaced).")
@click.option("--paper", type=click.Choice(["a4", "letter"], case_sensitive=False), default="a4", show_default=True,
              help="The paper the sheets are laid out for.")
def scenarios_print(deck: str, out: str, paper: str):
    """Write DECK's print pack (an id in the scenarios folder, or a file) into a folder: index.html, the student
    handout, the umpire's packet, every role sheet (docs/teaching.md). Exits 1 for an unknown or broken deck, or
    a folder it cannot write."""
    from .decks import DeckInvalid, load_notes
    from .print_pack import PAPERS, write_pack
    if not out.strip():  # Path("") is the current folder: private sheets must go where they were meant to
        raise click.BadParameter("give the folder to write the sheets into (it is empty); for the current "
                                 "folder, say so: --out .", param_hint="'--out'")
    out = Path(out)
    path = _deck_file(deck)
    try:
        notes = load_notes(Path(current_app.config["SEEDS_DIR"]))
    except DeckInvalid as exc:
        raise click.ClickException(str(exc)) from None
    loaded = _load(path, notes)
    try:
        written = write_pack(loaded.deck, out, notes, paper.lower(), Path(current_app.static_folder) / "maps")
    except OSError as exc:
        raise file_problem("write", getattr(exc, "filename", None) or out, exc) from None
    click.echo(f"Wrote the print pack of '{loaded.deck.title}' ({len(written)} sheets, {PAPERS[paper.lower()][0]}) "
               f"to {out}/; open {written[0]} in a browser to print.")


PERSPECTIVE_HELP = ("Whose view: umpire (everything), observers, public, or a delegation by its id, d:ID or name "
                    "(ukraine, d:ukraine, Ukraine, \"United States\"; any case).")


def _print_links(info: dict) -> None:
    click.echo(f"\n  {info['title']}  (exercise {info['id']}, deck '{info['deck']}')\n")
    click.echo(f"  Umpire console:   {info['umpire']['url']}")
    click.echo(f"  Observers:        {info['observer']['url']}")
    click.echo(f"  Projector:        {info['observer']['projector_url']}")
    click.echo("  Join links (one per delegation; code in brackets):")
    for d in info["delegations"]:
        click.echo(f"    {d['name']:<24} {d['url']}   [{d['code']}]")
    click.echo("")


class PublicUrl(click.ParamType):
    """A ``--public-url`` value, checked and normalised by :func:`~facilitator.links.public_url`."""

    name = "url"

    def convert(self, value, param, ctx):
        try:
            return checked_public_url(value)
        except PublicUrlError as exc:
            self.fail(str(exc), param, ctx)


PUBLIC_URL_HELP = ("Address students' browsers open, e.g. http://192.168.1.20:5000 or https://class.example.org; "
                   "every link is built on it. Default: FACILITATOR_PUBLIC_URL, else the host and port.")


def public_url_option(command):
    """Add ``--public-url`` (checked, normalised, ``None`` when absent) to ``command``; returns the command."""
    return click.option("--public-url", type=PublicUrl(), default=None, help=PUBLIC_URL_HELP)(command)


def _link_base(host: str, port: int, public: str | None) -> str:
    """The origin the printed links are built on: ``public`` (--public-url), else the configured public URL,
    else this machine's network address when ``host`` is every interface (saying so), else ``host``."""
    public = public or current_app.config.get("PUBLIC_URL")
    if public:
        return public
    if host.strip() in ANY_INTERFACE:
        address = lan_address()
        base = http_base(address, port)
        if address == "127.0.0.1":
            click.echo(f"  No network address found for this machine: links use {base}, which only this machine "
                       "can open.\n  Pass --public-url with the address students can reach (or set "
                       "FACILITATOR_PUBLIC_URL).")
        else:
            click.echo(f"  Host {host} is every interface: links use this machine's network address "
                       f"{address}.\n  If students reach the server by another address (a host name, a port "
                       "forward), pass --public-url URL (or set FACILITATOR_PUBLIC_URL).")
        return base
    return http_base(host, port)


@exercises_cli.command("create")
@click.argument("deck")
@click.option("--title", default=None)
@click.option("--host", default="127.0.0.1", show_default=True, help="Host used in the printed links.")
@click.option("--port", default=5000, show_default=True, help="Port used in the printed links.")
@public_url_option
def exercises_create(deck: str, title: str | None, host: str, port: int, public_url: str | None):
    """Create an exercise from DECK and print its links."""
    created = services().exercises.create(deck, title)
    names = {d.id: d.name for d in services().catalog.get(created.deck_id).deck.delegations}
    _print_links(links(_link_base(host, port, public_url), created, names))


@exercises_cli.command("list")
@click.option("--archived", is_flag=True, help="Include archived exercises.")
def exercises_list(archived: bool):
    for e in services().exercises.list_exercises(archived=archived):
        mark = "  [archived]" if e["archived"] else ""
        click.echo(f"{e['id']}  {e['created_at'][:16]}  {e['deck']:<20} {e['title']}  ({e['last_seq']} events){mark}")


@exercises_cli.command("verify")
@click.argument("exercise_id")
def exercises_verify(exercise_id: str):
    """Check that EXERCISE_ID's log is whole and unaltered: each event's hash is chained to the one before
    (persistence/integrity.py). Prints the first event altered, missing or out of order, and exits 1."""
    exercises = services().exercises
    try:
        with exercises.db.read() as session:
            verdict = exercises.store.verify(session, exercise_id)
    except RuleError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(str(verdict), err=not verdict.ok)
    if not verdict.ok:
        sys.exit(1)


@exercises_cli.command("export")
@click.argument("exercise_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True,
              help="jsonl: the whole log, lossless (importable as umpire); csv: one row per event, for a spreadsheet.")
@click.option("--as", "perspective", default="umpire", show_default=True, metavar="PERSPECTIVE",
              help=PERSPECTIVE_HELP)
@click.option("--pseudonymise", is_flag=True, help="Replace participants' and staff's names by aliases "
                                                   "(Ukraine-1, Assistant-1 …) everywhere, free texts included.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="File to write (default: standard output).")
def exercises_export(exercise_id: str, fmt: str, perspective: str, pseudonymise: bool, out: Path | None):
    """Export EXERCISE_ID's log as JSON Lines or CSV (docs/exports.md), as PERSPECTIVE saw it. Exits 1 (nothing
    written, an existing file left as it was) for an unknown exercise or perspective, or a file it cannot
    write."""
    export = export_log_jsonl if fmt == "jsonl" else export_log_csv
    key = as_perspective(exercise_id, perspective)
    try:
        lines = export(services().db, exercise_id, UMPIRE_ACTOR, key, pseudonymise)
    except RuleError as exc:
        raise click.ClickException(exc.message) from None
    count = -1  # the header (JSON Lines) or the column names (CSV)
    with writing(out) as target:
        for line in lines:
            target.write(line.encode("utf-8"))
            count += 1
    if out is not None:
        click.echo(f"Wrote {count} event{'' if count == 1 else 's'} to {out}.")


@exercises_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--host", default="127.0.0.1", show_default=True, help="Host used in the printed links.")
@click.option("--port", default=5000, show_default=True, help="Port used in the printed links.")
@public_url_option
def exercises_import(file: Path, host: str, port: int, public_url: str | None):
    """Import a full JSON Lines export (``exercises export ID --as umpire``, not pseudonymised) as a new
    exercise with new links, and print them. FILE may be ``-`` (standard input). The hash chain and every
    event are checked first: on any problem, prints it (the line and event at fault) and exits 1, storing
    nothing; so it does for a file it cannot read."""
    try:
        with reading(file) as handle:
            imported = import_jsonl(handle, services().db, services().exercises.code_key)
    except OSError as exc:  # a read that failed half-way
        raise file_problem("read", file, exc) from None
    except RuleError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    created = imported.created
    kept = "" if created.id == imported.original_id else f" (its id {imported.original_id} is taken here)"
    click.echo(f"Imported {imported.events} events as exercise {created.id}{kept}.")
    if imported.unseated:
        click.echo(f"  No seat for {', '.join(imported.unseated)}: their ids are taken on this server (by the "
                   "exercise this one was exported from); no link can be issued to them here.")
    _print_links(links(_link_base(host, port, public_url), created, imported.delegations))


@exercises_cli.command("report")
@click.argument("exercise_id")
@click.option("--as", "as_", default="umpire", show_default=True, metavar="PERSPECTIVE", help=PERSPECTIVE_HELP)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The file to write (.html or .pdf).")
@click.option("--format", "format_", type=click.Choice(["html", "pdf"]), default=None,
              help="Default: from the extension of --out.")
def exercises_report(exercise_id: str, as_: str, out: Path, format_: str | None):
    """Write the after-action report of EXERCISE_ID as one perspective saw it (docs/replay.md, "After-action
    report"): one HTML file that opens offline, or a PDF. Exits 1 (an existing file left as it was) for an
    unknown exercise or perspective, or a file it cannot write."""
    from .report import PdfUnavailable, build_report, render_html, render_pdf

    format_ = format_ or {".pdf": "pdf", ".html": "html", ".htm": "html"}.get(out.suffix.lower())
    if format_ is None:
        click.echo(f"Error: cannot tell the format from '{out.name}': name it .html or .pdf, or give --format.",
                   err=True)
        sys.exit(1)
    key = as_perspective(exercise_id, as_)
    try:
        report = build_report(services().replay, services().exercises, exercise_id, UMPIRE_ACTOR, key)
        data = render_pdf(report) if format_ == "pdf" else render_html(report).encode("utf-8")
    except (RuleError, PdfUnavailable) as exc:
        click.echo(f"Error: {getattr(exc, 'message', exc)}", err=True)
        sys.exit(1)
    with writing(out) as target:
        target.write(data)
    click.echo(f"Wrote the report of '{report.title}' as {report.perspective_label} to {out} "
               f"({format_.upper()}, {len(data) // 1024 + 1} KiB).")


INSTRUCTOR = Actor(UMPIRE, name="Instructor (command line)")  # whoever runs the server's command line


@exercises_cli.command("archive")
@click.argument("exercise_id")
def exercises_archive(exercise_id: str):
    """End EXERCISE_ID if it runs and archive it: it leaves the lists, its log stays (recorded in the log,
    by the instructor). Exits 1 if there is no such exercise or it is archived already."""
    try:
        services().exercises.archive(exercise_id, INSTRUCTOR)
    except RuleError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"Archived {exercise_id}.")


@exercises_cli.command("delete")
@click.argument("exercise_id")
@click.option("--yes", is_flag=True, help="Delete without asking (there is no undo).")
def exercises_delete(exercise_id: str, yes: bool):
    """Delete EXERCISE_ID and its whole log for good; one line (what, when, by whom, how many events) stays
    in the deletions table. Asks first unless ``--yes``. Exits 1 if there is no such exercise."""
    exercises = services().exercises
    try:
        summary = exercises.summary(exercise_id)
    except RuleError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    if not yes:
        click.confirm(f"Delete '{summary['title']}' ({summary['last_seq']} events) for good? There is no undo",
                      abort=True)
    exercises.delete(exercise_id, INSTRUCTOR)
    click.echo(f"Deleted {exercise_id} ({summary['last_seq']} events).")


@exercises_cli.command("reissue")
@click.argument("exercise_id")
@click.argument("link")
@click.option("--host", default="127.0.0.1", show_default=True, help="Host used in the printed link.")
@click.option("--port", default=5000, show_default=True, help="Port used in the printed link.")
@public_url_option
def exercises_reissue(exercise_id: str, link: str, host: str, port: int, public_url: str | None):
    """Print a new link for one seat of EXERCISE_ID; the old one stops working. LINK is ``umpire``,
    ``observer``, a delegation id (its join code), ``participant:ID`` (a personal link) or ``staff:ID``.
    For an umpire who lost the console's link: run it on the server's machine."""
    from .engine.audience import UMPIRE_ACTOR

    kind, _, target = link.partition(":")
    if kind not in ("umpire", "observer", "participant", "staff"):
        kind, target = "delegation", link
    exercises = services().exercises
    try:
        secret = exercises.reissue(exercise_id, kind, target or None, UMPIRE_ACTOR)
    except RuleError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    url = seat_link(_link_base(host, port, public_url), exercise_id, kind, secret)
    click.echo(f"New {link} link (the old one no longer works):\n  {url}")


@event_list_cli.command("export")
@click.argument("exercise_id")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def event_list_export(exercise_id: str, file: Path | None):
    """Write the event list of EXERCISE_ID as CSV to FILE (UTF-8 with a byte-order mark, for Excel), or to
    standard output (without one). Exits 1 if there is no such exercise, or FILE cannot be written (an
    existing one is left as it was)."""
    try:
        state = services().exercises.state(exercise_id)
    except RuleError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    text = export_csv(state)
    if file is None:
        click.echo(text, nl=False)
        return
    with writing(file) as target:
        target.write(("\ufeff" + text).encode("utf-8"))
    click.echo(f"Wrote {len(state.injects.rows)} rows to {file}.")


@event_list_cli.command("import")
@click.argument("exercise_id")
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
def event_list_import(exercise_id: str, file: Path):
    """Replace the rows of EXERCISE_ID's event list not yet fired or skipped with those of the CSV FILE.

    Prints every problem as FILE:LINE: column 'NAME': message and exits 1 (nothing is imported then);
    prints "Imported N rows." otherwise. FILE may be ``-`` (standard input).
    """
    data = read_bytes(file, MAX_CSV_BYTES + 1)
    try:
        count = import_csv(services().exercises, exercise_id, decode(data), UMPIRE_ACTOR)
    except CsvError as exc:
        for problem in exc.problems:
            column = f"column '{problem.column}': " if problem.column else ""
            click.echo(f"{file}:{problem.line}: {column}{problem.message}", err=True)
        click.echo(f"{len(exc.problems)} problem(s); nothing was imported.", err=True)
        sys.exit(1)
    except RuleError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"Imported {count} row{'' if count == 1 else 's'}.")


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Host used in the printed links, as given to serve (0.0.0.0 or ::: this machine's address).")
@click.option("--port", default=5000, show_default=True)
@public_url_option
def demo(host: str, port: int, public_url: str | None):
    """Make sure the demo exercise exists and print fresh links to it (earlier demo links stop working)."""
    exercises = services().exercises
    existing = [e for e in exercises.list_exercises() if e["origin"] == "demo"]  # only the one it made itself
    created = exercises.reissue_codes(existing[0]["id"]) if existing else exercises.create("demo", origin="demo")
    names = {d.id: d.name for d in services().catalog.get("demo").deck.delegations}
    _print_links(links(_link_base(host, port, public_url), created, names))


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on: 0.0.0.0 (or ::) for every interface, so other devices can connect.")
@click.option("--port", default=5000, show_default=True)
@public_url_option
@click.option("--production", is_flag=True,
              help="Serve with gunicorn and gevent (a conference, or one of several processes: docs/deploy.md) "
                   "instead of Werkzeug's threads (a class).")
def serve(host: str, port: int, public_url: str | None, production: bool):
    """Run the server: by default on Werkzeug, one thread per connection (a class or a workshop); with
    --production, on gunicorn with one gevent worker (docs/deploy.md)."""
    os.environ.pop("FLASK_RUN_FROM_CLI", None)  # Flask refuses app.run() inside its CLI otherwise
    if public_url:
        current_app.config["PUBLIC_URL"] = public_url
    explicit = bool(current_app.config.get("PUBLIC_URL"))
    every = host.strip() in ANY_INTERFACE
    if every and not current_app.config.get("PUBLIC_URL"):
        # Serving the room: links made on the home page go to the machine's network address, even when the
        # instructor opened the page as 127.0.0.1 (students could not follow a link to their own device).
        current_app.config["PUBLIC_URL"] = http_base(lan_address(), port)
    if not current_app.config.get("PUBLIC_URL"):
        # Links are built on this address, never on the Host header a request happens to carry.
        current_app.config["PUBLIC_URL"] = http_base(host, port)
    public = current_app.config.get("PUBLIC_URL")
    loopback = host.strip() in LOOPBACK
    proxied = urlsplit(public).hostname not in {h.strip("[]") for h in LOOPBACK}  # others reach it through a proxy
    if (not loopback or proxied) and not current_app.config.get("INSTRUCTOR_KEY"):
        # Reachable from the room: creating exercises, and the print packs' private sheets, need the
        # instructor's key (kept in the instance folder).
        current_app.config["INSTRUCTOR_KEY"] = instructor_key(Path(current_app.instance_path))
    db = services().db
    if migrate.current_revision(db) != migrate.head_revision(db):
        raise click.ClickException("the database is not set up for this version: run `facilitator db upgrade` "
                                   "first (make run does)")
    if current_app.config.get("SOCKETIO_MESSAGE_QUEUE") and db.is_sqlite:
        raise click.ClickException("several server processes need PostgreSQL: SOCKETIO_MESSAGE_QUEUE is set "
                                   "but DATABASE_URL is SQLite, which one process serves (docs/deploy.md)")
    where = f"every interface, port {port}" if every else f"{http_base(host, port)}/"
    how = "gunicorn, one gevent worker" if production else "Werkzeug, threads"
    click.echo(f"Serving ({how}) on {where}; links use {public}/ (--public-url to choose another)  "
               "(Ctrl+C to stop)")
    click.echo(f"Home page (new exercises; each console links its replay, report and exports): {public}/")
    if current_app.config.get("INSTRUCTOR_KEY"):
        click.echo(f"Instructor key (the home page asks for it to create an exercise; keep it from students): "
                   f"{current_app.config['INSTRUCTOR_KEY']}")
    if loopback and not explicit:
        click.echo("These links work on this computer only. For students' devices on the room's network: "
                   "make run HOST=0.0.0.0 (or facilitator serve --host 0.0.0.0).")
    if production:
        from .production import serve as serve_production

        db.dispose()
        serve_production(host, port, {key: current_app.config[key] for key in ("PUBLIC_URL", "INSTRUCTOR_KEY")})
        return
    from .serving import running, serve as serve_http  # Werkzeug with timeouts and caps (serving.py)
    with running(current_app._get_current_object(), f"{host}:{port}"):
        serve_http(current_app._get_current_object(), host, port)


def main() -> None:
    """The ``facilitator`` console script: Flask's command line bound to this app."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from .app import create_app
    from .extensions import SettingError
    try:
        FlaskGroup(create_app=create_app, add_default_commands=False, load_dotenv=False)(prog_name="facilitator")
    except OperationalError as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc).split("\n", 1)[0] and "relation" in str(exc):
            click.echo("Error: the database is not set up for this version: run `facilitator db upgrade` first "
                       "(make run does).", err=True)
        else:  # unreachable, refused, wrong password: the driver's first line says which
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
            click.echo(f"Error: the database (DATABASE_URL) cannot be used: {reason}", err=True)
        sys.exit(1)
    except (ArgumentError, NoSuchModuleError) as exc:  # not a URL SQLAlchemy knows
        click.echo(f"Error: DATABASE_URL is not a database URL this server can use ({exc}); e.g. "
                   "sqlite:////path/to/file.sqlite3 or postgresql+psycopg://user:password@host/database", err=True)
        sys.exit(1)
    except (PublicUrlError, SettingError) as exc:  # a bad setting: say which and stop, without a traceback
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
