"""What durable commits cost: chat posts a second through the exercise service with SQLite's
``synchronous=FULL`` (every commit synced to disk) against ``NORMAL`` (the WAL synced only at checkpoints).

For each setting, a fresh SQLite file (WAL mode, in a new temporary folder: on the same disk as the system's
temporary files, or ``--dir``) holds a demo exercise opened with two members seated; then ``--posts`` chat
messages are posted through ``ExerciseService.execute``, the same path as a socket command (decided,
stored in one transaction, committed, published): first one after another from one thread, then from
``--threads`` threads at once (each a member posting to the plenary). The settings alternate, ``--runs``
times each, in this process; the median is printed, with FULL's ratio to NORMAL (the baseline).

    .venv/bin/python -m bench.durability [--posts 1000] [--threads 4] [--runs 3] [--dir PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time

MODES = ("NORMAL", "FULL")


def run_once(mode: str, posts: int, threads: int, folder: str | None) -> tuple[float, float]:
    """Commands a second (one thread, then ``threads`` threads) on a fresh database with ``mode``."""
    from facilitator import create_app
    from facilitator.engine import AdvancePhase, PostMessage
    from facilitator.engine.audience import UMPIRE_ACTOR
    from facilitator.persistence import Database
    from facilitator.persistence import db as db_module
    from facilitator.persistence.migrate import upgrade

    db_module.SYNCHRONOUS = mode  # read by every new connection
    where = tempfile.mkdtemp(prefix="durability-bench-", dir=folder)
    os.environ["FACILITATOR_INSTANCE"] = where
    url = f"sqlite:///{where}/bench.sqlite3"
    migrated = Database(url)
    upgrade(migrated)
    migrated.dispose()
    app = create_app({"DATABASE_URL": url})
    services = app.extensions["facilitator"]
    exercises = services.exercises
    with services.db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == {"NORMAL": 1, "FULL": 2}[mode]
    created = exercises.create("demo")
    exercise_id = created.id
    exercises.execute(exercise_id, AdvancePhase(), UMPIRE_ACTOR)
    members = [exercises.join(code, f"Member {n}")[0].actor for n, code in enumerate(created.join_codes.values())]
    for i in range(20):  # warm up: connections open, the state loaded
        exercises.execute(exercise_id, PostMessage("plenary", f"Warming up {i}."), members[i % len(members)])

    start = time.perf_counter()
    for i in range(posts):
        exercises.execute(exercise_id, PostMessage("plenary", f"Point {i}: we accept joint inspections."),
                          members[i % len(members)])
    sequential = posts / (time.perf_counter() - start)

    errors: list[Exception] = []

    def writer(n: int) -> None:
        try:
            for i in range(posts // threads):
                exercises.execute(exercise_id, PostMessage("plenary", f"Thread {n}, point {i}."),
                                  members[n % len(members)])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    concurrent = (posts // threads) * threads / (time.perf_counter() - start)
    if errors:
        raise errors[0]
    services.db.dispose()
    return sequential, concurrent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default=None, help="Folder for the databases (default: the temporary folder).")
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    for run in range(args.runs):
        for mode in MODES if run % 2 == 0 else reversed(MODES):
            results[mode].append(run_once(mode, args.posts, args.threads, args.dir))
            print(f"  run {run + 1}, {mode:<6}: {results[mode][-1][0]:7.0f} commands/s one thread, "
                  f"{results[mode][-1][1]:7.0f} with {args.threads}")
    print(f"\n{args.posts} chat posts through ExerciseService.execute, median of {args.runs} runs "
          f"({tempfile.gettempdir() if args.dir is None else args.dir}):\n")
    print("| synchronous | one thread (commands/s) | ratio | " f"{args.threads} threads (commands/s) | ratio |")
    print("|---|---|---|---|---|")
    base = [statistics.median(r[k] for r in results["NORMAL"]) for k in (0, 1)]
    for mode in MODES:
        seq, conc = (statistics.median(r[k] for r in results[mode]) for k in (0, 1))
        print(f"| {mode:<6} | {seq:,.0f} | {seq / base[0]:.2f} | {conc:,.0f} | {conc / base[1]:.2f} |")


if __name__ == "__main__":
    main()
