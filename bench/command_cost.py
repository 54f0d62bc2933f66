"""Where one command's time goes in the server process, without sockets: ``ExerciseService.execute`` on a demo
exercise of 25 seated participants (a class), against the bare durable append of one event.

For each kind of command (a chat message to plenary, to a delegation channel, an ad hoc inject, a signal
played and withdrawn), ``--commands`` of them are executed one after another, as the socket handler does
(with a fresh ``command_id`` each, as the page sends): wall and CPU time per command, the SQL statements it
runs, and the time spent inside the database driver (statements and commit). Then the same mix under
cProfile, by part of the path (cumulative ms per command). The publication is computed (every perspective's
update) and emitted to rooms nobody is in, so the cost of sending to N connections is not here: see
bench/inject_fanout.py and bench/command_throughput.py, which measure the server with its connections.

Baseline: the bare durable append, on the same database in the same settings (SQLite: WAL,
``synchronous=FULL``): in one transaction (``BEGIN IMMEDIATE`` on SQLite), read the exercise's last seq,
insert one event row (the JSON of a chat message), update the last seq, commit; through the DB-API directly.

    .venv/bin/python -m bench.command_cost [--commands 1000] [--database sqlite postgresql]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import pstats
import tempfile
import time
import uuid

from sqlalchemy.engine import default

from bench.servers import backing, versions

STATS = {"statements": 0, "execute_s": 0.0, "commit_s": 0.0, "commits": []}
_execute, _commit = default.DefaultDialect.do_execute, default.DefaultDialect.do_commit
_executemany = default.DefaultDialect.do_executemany
_execute_no_params = default.DefaultDialect.do_execute_no_params


def _counted(original):
    def run(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            STATS["statements"] += 1
            STATS["execute_s"] += time.perf_counter() - started
    return run


def _timed_commit(self, connection):
    started = time.perf_counter()
    try:
        return _commit(self, connection)
    finally:
        spent = time.perf_counter() - started
        STATS["commit_s"] += spent
        STATS["commits"].append(spent)


def _counted_sqlite(original):
    """SQLite's command path gives its statements (and BEGIN) to sqlite3 itself (persistence/db.py
    ``sqlite_run``): counted and timed as the statements through SQLAlchemy are."""
    def run(raw, statement, params, many=False):
        started = time.perf_counter()
        try:
            return original(raw, statement, params, many)
        finally:
            STATS["statements"] += 1
            STATS["execute_s"] += time.perf_counter() - started
    return run


default.DefaultDialect.do_execute = _counted(_execute)
default.DefaultDialect.do_executemany = _counted(_executemany)
default.DefaultDialect.do_execute_no_params = _counted(_execute_no_params)
default.DefaultDialect.do_commit = _timed_commit

TEXT = "We can accept a corridor if inspections are joint; our capital needs a written guarantee."
PARTS = [  # (label, file suffix, function name)
    ("ExerciseService.execute", "services/exercises.py", "execute"),
    ("  the write transaction (_apply)", "services/exercises.py", "_apply"),
    ("    Database.write: BEGIN, SAVEPOINT/RELEASE, commit", "persistence/db.py", "write"),
    ("      Database._grouped (SQLite: the shared transaction, its commit)", "persistence/db.py", "_grouped"),
    ("        the commit (driver)", "engine/default.py", "do_commit"),
    ("    EventStore.lock (SELECT last_seq)", "persistence/store.py", "lock"),
    ("    _catch_up (SELECT events after)", "services/exercises.py", "_catch_up"),
    ("    EventStore.applied_many (SELECT command ids)", "persistence/store.py", "applied_many"),
    ("    the engine's decision (run)", "engine/state.py", "run"),
    ("    EventStore.append (hash, INSERT, UPDATE)", "persistence/store.py", "append"),
    ("    EventStore.remember_many (INSERT command ids)", "persistence/store.py", "remember_many"),
    ("    EventStore.append_unlocked (PostgreSQL: all of it in one statement)", "persistence/store.py",
     "append_unlocked"),
    ("    Database.autocommit (PostgreSQL: its connection)", "persistence/db.py", "autocommit"),
    ("  publishing (_publish)", "services/exercises.py", "_publish"),
    ("    Feed.advance (every perspective's update)", "services/feed.py", "advance"),
    ("      view_sections", "engine/visibility.py", "view_sections"),
    ("      diff", "engine/visibility.py", "diff"),
    ("    Broadcaster.publish (emits)", "facilitator/broadcast.py", "publish"),
    ("SQLAlchemy: Session.execute (any)", "orm/session.py", "execute"),
    ("SQLAlchemy: Session.scalar (any)", "orm/session.py", "scalar"),
    ("driver: statements", "engine/default.py", "do_execute"),
]


def make_app(database: str, backs):
    folder = tempfile.mkdtemp(prefix="command-cost-")
    os.environ["FACILITATOR_INSTANCE"] = folder
    from facilitator import create_app
    from facilitator.persistence import Database, db as database_module, store as store_module
    from facilitator.persistence.migrate import upgrade

    if not hasattr(database_module.sqlite_run, "__wrapped__"):
        counted = _counted_sqlite(database_module.sqlite_run)
        counted.__wrapped__ = database_module.sqlite_run
        database_module.sqlite_run = store_module.sqlite_run = counted

    url = backs["postgres"].database() if database == "postgresql" else f"sqlite:///{folder}/bench.sqlite3"
    if database == "sqlite":
        db = Database(url)
        upgrade(db)
        db.dispose()
    return create_app({"DATABASE_URL": url}), url


class Class:
    """A demo exercise with 25 participants seated (about six a delegation) and its first phase open."""

    def __init__(self, app):
        from facilitator.engine import AdvancePhase
        from facilitator.engine.audience import UMPIRE_ACTOR

        self.exercises = app.extensions["facilitator"].exercises
        created = self.exercises.create("demo")
        self.id = created.id
        codes = list(created.join_codes.items())
        self.members = [self.exercises.join(codes[i % len(codes)][1], f"Member {i}")[0].actor for i in range(25)]
        self.umpire = UMPIRE_ACTOR
        self.exercises.execute(self.id, AdvancePhase(), UMPIRE_ACTOR)
        state = self.exercises.state(self.id)
        self.hands = {d: list(cards) for d, cards in state.signals.hands.items()}
        self.deck = state.deck

    def execute(self, command, actor) -> None:
        issuer = actor.participant or actor.role
        self.exercises.execute(self.id, command, actor, None, uuid.uuid4().hex, issuer)


def commands(kind: str, klass: Class, n: int):
    """n (command, actor) pairs of one kind."""
    from facilitator.engine import FireInject, PlaySignal, PostMessage, WithdrawSignal

    out = []
    if kind == "chat, plenary":
        out = [(PostMessage("plenary", f"{TEXT} ({i})"), klass.members[i % 25]) for i in range(n)]
    elif kind == "chat, delegation":
        out = [(PostMessage(f"delegation:{m.delegation}", f"{TEXT} ({i})"), m)
               for i, m in ((i, klass.members[i % 25]) for i in range(n))]
    elif kind == "inject":
        out = [(FireInject(title=f"Inject {uuid.uuid4().hex[:8]}", text=TEXT), klass.umpire) for i in range(n)]
    elif kind == "signal":   # every card of every hand, played once (a fresh exercise has them)
        for member in klass.members[:4]:
            for card_id in klass.hands.get(member.delegation, []):
                card = klass.deck.signal(card_id)
                to = tuple(card.toward) if card.visibility == "private" else ()
                out.append((PlaySignal(card_id, to), member))
    elif kind == "withdraw":
        plays = klass.exercises.state(klass.id).signals.plays
        by = {m.delegation: m for m in klass.members[:4]}
        out = [(WithdrawSignal(p.number), by[p.by]) for p in plays
               if p.active and klass.deck.signal(p.card).reversible]
    return out


def measure(app, kind: str, n: int) -> dict:
    if kind in ("signal", "withdraw"):   # a hand is played once: enough fresh exercises for about n/10 of them
        classes = [Class(app) for _ in range(max(1, n // 80))]
        todo = []
        for klass in classes:
            plays = [(klass, c, a) for c, a in commands("signal", klass, 0)]
            if kind == "withdraw":
                for _, command, actor in plays:
                    klass.execute(command, actor)
                todo += [(klass, c, a) for c, a in commands("withdraw", klass, 0)]
            else:
                todo += plays
    else:
        klass = Class(app)
        for command, actor in commands("chat, plenary", klass, 20):   # warm up
            klass.execute(command, actor)
        todo = [(klass, c, a) for c, a in commands(kind, klass, n)]
    STATS.update(statements=0, execute_s=0.0, commit_s=0.0, commits=[])
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for klass, command, actor in todo:
        klass.execute(command, actor)
    count = len(todo)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"kind": kind, "n": count, "wall": wall * 1000 / count, "cpu": cpu * 1000 / count,
            "statements": STATS["statements"] / count,
            "driver": (STATS["execute_s"] + STATS["commit_s"]) * 1000 / count,
            "commit": STATS["commit_s"] * 1000 / count,
            # (none on PostgreSQL when every command was one statement in autocommit: its commit is the statement's)
            "commit_p99": sorted(STATS["commits"])[int(0.99 * (len(STATS["commits"]) - 1))] * 1000
            if STATS["commits"] else math.nan}


def bare_append(url: str, n: int) -> dict:
    """The floor: one event row appended durably per command, through the DB-API."""
    payload = json.dumps({"channel": "plenary", "text": TEXT})
    if url.startswith("sqlite"):
        import sqlite3

        path = url.split("///", 1)[1] + ".bare"
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        begin, mark = "BEGIN IMMEDIATE", "?"
    else:
        import psycopg

        connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        begin, mark = "BEGIN", "%s"
    connection.execute("CREATE TABLE exercises (id TEXT PRIMARY KEY, last_seq INTEGER)")
    connection.execute("CREATE TABLE events (exercise_id TEXT, seq INTEGER, type TEXT, data TEXT, at TEXT, "
                       "PRIMARY KEY (exercise_id, seq))")
    connection.execute(f"INSERT INTO exercises VALUES ({mark}, 0)", ("x",))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        connection.execute(begin)
        last = connection.execute(f"SELECT last_seq FROM exercises WHERE id = {mark}", ("x",)).fetchone()[0]
        connection.execute(f"INSERT INTO events VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
                           ("x", last + 1, "message_posted", payload, "2026-01-01T00:00:00+00:00"))
        connection.execute(f"UPDATE exercises SET last_seq = {mark} WHERE id = {mark}", (last + 1, "x"))
        connection.execute("COMMIT")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    connection.close()
    return {"wall": wall * 1000 / n, "cpu": cpu * 1000 / n}


def profile(app, n: int, kind: str) -> list[tuple[str, float]]:
    """``kind`` (chat: to plenary and to delegations in turn; or inject) under cProfile: cumulative ms per
    command, by part of the path."""
    klass = Class(app)
    if kind == "chat":
        plenary, delegation = commands("chat, plenary", klass, n), commands("chat, delegation", klass, n)
        todo = [plenary[i] if i % 2 else delegation[i] for i in range(n)]
    else:
        todo = commands(kind, klass, n)
    profiler = cProfile.Profile()
    profiler.enable()
    for command, actor in todo:
        klass.execute(command, actor)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    out = []
    for label, suffix, name in PARTS:
        total = sum(ct for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.items()
                    if file.endswith(suffix) and func == name)
        out.append((label, total * 1000 / len(todo)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=1000, help="commands of each kind")
    parser.add_argument("--database", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"])
    args = parser.parse_args()
    print(versions(), flush=True)
    with backing(postgres="postgresql" in args.database) as backs:
        for database in args.database:
            app, url = make_app(database, backs)
            print(f"\n{database}: one command after another in this process (threads: no gevent), "
                  f"{args.commands} of each kind (signals: every card of the demo's hands, then the reversible "
                  "ones withdrawn)")
            print(f"{'command':<18} {'n':>5} {'wall ms':>8} {'CPU ms':>7} {'statements':>10} {'driver ms':>9} "
                  f"{'commit ms':>9} {'commit p99':>10} {'x bare':>7}")
            bare = bare_append(url if database == "sqlite" else backs["postgres"].database(migrated=False),
                               args.commands)
            print(f"{'bare append':<18} {args.commands:>5} {bare['wall']:>8.3f} {bare['cpu']:>7.3f} {4:>10} "
                  f"{'-':>9} {'-':>9} {'-':>10} {1:>7.2f}", flush=True)
            for kind in ("chat, plenary", "chat, delegation", "inject", "signal", "withdraw"):
                r = measure(app, kind, args.commands)
                print(f"{kind:<18} {r['n']:>5} {r['wall']:>8.3f} {r['cpu']:>7.3f} {r['statements']:>10.1f} "
                      f"{r['driver']:>9.3f} {r['commit']:>9.3f} {r['commit_p99']:>10.3f} "
                      f"{r['wall'] / bare['wall']:>7.2f}", flush=True)
            print(f"\nUnder cProfile ({args.commands} chat messages, to plenary and to delegations in turn; "
                  f"{args.commands // 2} injects): cumulative ms per command (cProfile slows Python calls: compare "
                  "the parts, not the totals with the table above):")
            chat, inject = profile(app, args.commands, "chat"), profile(app, args.commands // 2, "inject")
            print(f"  {'chat':>7}  {'inject':>7}")
            for (label, ms), (_, ms_inject) in zip(chat, inject):
                print(f"  {ms:>7.3f}  {ms_inject:>7.3f}  {label}")
            app.extensions["facilitator"].db.dispose()


if __name__ == "__main__":
    main()
