"""Exporting and importing a long exercise: JSON Lines and CSV export rates, and the import rate, against the bare
reads and writes they cannot avoid.

An exercise of N events (default 100,000) is built on a fresh SQLite file: the demo deck, a dozen members
seated, the talks opened, then chat in every channel a delegation writes in (the plenary, its private
channel, its tables) with the umpire's room and an indicator moved every 250 events. Every event is
decided by the engine (``engine.run``) and appended through the event store in batches of 5,000, as
commands would have been. Measured, each once, in this process:

- **baseline, read**: the stored rows read in the exports' batches (JSON columns as their text), nothing
  done with them (the floor of any export);
- **export jsonl**: ``export_jsonl`` as exercise control, every line encoded to UTF-8 bytes;
- **export jsonl, public**: the same as the ``public`` perspective (what everyone was told);
- **export csv**: ``export_csv`` as exercise control (each event described in words);
- **export csv, pseudonymised**;
- **baseline, write**: the rows read from the source (JSON decoded) and inserted into another fresh file in
  batches, in one transaction, with no check (the floor of any import);
- **import**: ``import_jsonl`` of the JSON Lines export into another fresh file (header, JSON, fields,
  hash chain and fold of every event, then stored in batches, in one transaction).

Printed: seconds, events per second, the ratio to its baseline, the file's size, and the process's peak
RSS after each step (an export holds one batch, not the log).

    .venv/bin/python -m bench.export_import [--events 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(step) -> tuple[float, object]:
    start = time.perf_counter()
    result = step()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from sqlalchemy import String, cast, insert, select

    from facilitator.engine.audience import UMPIRE_ACTOR
    from facilitator.persistence import Database
    from facilitator.persistence.migrate import upgrade
    from facilitator.persistence.models import EventRow, ExerciseRow
    from facilitator.services.exports import BATCH, export_csv, export_jsonl, import_jsonl
    from facilitator.services.tokens import code_key

    from .long_log import build, fresh_app

    app, folder = fresh_app("export-bench-")

    def fresh(name: str) -> Database:
        url = f"sqlite:///{folder}/{name}.sqlite3"
        db = Database(url)
        upgrade(db)
        return db

    exercises = app.extensions["facilitator"].exercises
    seconds, created = timed(lambda: build(app, args.events, deck="demo", members_per_delegation=3, seed=args.seed))
    exercise_id = created.id
    db = exercises.db
    with db.read() as session:
        count = session.get(ExerciseRow, exercise_id).last_seq
    print(f"Built {count:,} events in {seconds:.1f} s (peak RSS so far {peak_mb():.0f} MB); "
          f"{os.path.getsize(f'{folder}/bench.sqlite3') / 2 ** 20:.0f} MB of SQLite.\n")

    def read_rows() -> int:
        n, after = 0, 0
        while True:
            with db.read() as session:
                batch = session.execute(select(EventRow.seq, EventRow.type, EventRow.version, EventRow.at,
                                               cast(EventRow.actor, String), cast(EventRow.audience, String),
                                               cast(EventRow.data, String), EventRow.hash)
                                        .where(EventRow.exercise_id == exercise_id, EventRow.seq > after)
                                        .order_by(EventRow.seq).limit(BATCH)).all()
            n += len(batch)
            if len(batch) < BATCH:
                return n
            after = batch[-1].seq

    def consume(lines, path: str | None = None) -> tuple[int, int]:
        """(events, bytes) of an export, written to ``path`` or only counted (never held whole)."""
        out = open(path, "wb") if path else None
        n, size = -1, 0
        for line in lines:
            data = line.encode("utf-8")
            size += len(data)
            if out:
                out.write(data)
            n += 1
        if out:
            out.close()
        return n, size

    rows = []

    def row(label: str, seconds_: float, events: int, baseline: float | None, size: int | None) -> None:
        ratio = f"{seconds_ / baseline:5.1f}" if baseline else "    -"
        shown = f"{size / 2 ** 20:7.1f}" if size is not None else "      -"
        rows.append(f"| {label:<28} | {seconds_:6.2f} | {events / seconds_:>9,.0f} | {ratio} | {shown} | "
                    f"{peak_mb():5.0f} |")

    base_read, n = timed(read_rows)
    row("baseline, read", base_read, n, None, None)
    jsonl = f"{folder}/exercise.jsonl"
    seconds, (n, size) = timed(lambda: consume(export_jsonl(db, exercise_id, UMPIRE_ACTOR), jsonl))
    row("export jsonl (to a file)", seconds, n, base_read, size)
    seconds, (n, size) = timed(lambda: consume(export_jsonl(db, exercise_id, UMPIRE_ACTOR, "public")))
    row(f"export jsonl, public ({n:,})", seconds, count, base_read, size)
    seconds, (n, size) = timed(lambda: consume(export_csv(db, exercise_id, UMPIRE_ACTOR)))
    row("export csv", seconds, n, base_read, size)
    seconds, (n, size) = timed(lambda: consume(export_csv(db, exercise_id, UMPIRE_ACTOR, pseudonymise=True)))
    row("export csv, pseudonymised", seconds, n, base_read, size)

    with db.read() as session:
        exercise = session.get(ExerciseRow, exercise_id)
        copy = {c.name: getattr(exercise, c.name) for c in ExerciseRow.__table__.columns}
    floor = fresh("floor")

    def write_rows() -> int:
        n, after = 0, 0
        with floor.write() as session:
            session.execute(insert(ExerciseRow), [copy])
            while True:
                with db.read() as reading:
                    batch = reading.execute(select(EventRow.seq, EventRow.type, EventRow.version, EventRow.at,
                                                   EventRow.actor, EventRow.audience, EventRow.data, EventRow.hash)
                                            .where(EventRow.exercise_id == exercise_id, EventRow.seq > after)
                                            .order_by(EventRow.seq).limit(BATCH)).all()
                if batch:
                    session.execute(insert(EventRow.__table__),
                                    [{**r._asdict(), "exercise_id": exercise_id} for r in batch])
                n += len(batch)
                if len(batch) < BATCH:
                    return n
                after = batch[-1].seq

    base_write, n = timed(write_rows)
    row("baseline, write", base_write, n, None, None)
    target = fresh("target")
    with open(jsonl, "rb") as file:
        seconds, imported = timed(lambda: import_jsonl(file, target, code_key("bench")))
    row("import (from the file)", seconds, imported.events, base_write, os.path.getsize(jsonl))
    with target.read() as session:
        from facilitator.persistence.store import EventStore
        verdict = EventStore().verify(session, imported.created.id)
    print("| step | s | events/s | × baseline | MB | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nThe imported copy verifies: {verdict}")


if __name__ == "__main__":
    main()
