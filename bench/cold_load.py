"""A 100,000-event exercise after a restart: loading it, the first sync, and a resume from seq 0 while another
member keeps acting.

The log is built by ``bench/long_log.py`` (a busy three-track-talks session) and one command is then run
through the service, which writes the snapshot a running server would have written (every 1,000 events:
persistence/snapshots.py). Each measure is taken in a fresh service on the same database (a restarted
process, nothing in memory):

- cold load: ``ExerciseService.state`` (the exercise's row, its snapshot, the events after it); baseline in
  the same run: the same with the snapshot removed (a fold of the whole log, as before snapshots);
- first sync: ``attach`` with no history (what a console gets first after a restart);
- resume from 0: ``attach`` from seq 0, its history encoded to JSON as the socket would send it, while
  another thread executes chat commands one after another; their latency p50/p99 alone, then during the
  resumes (the target: p99 within 1.5x).

    .venv/bin/python -m bench.cold_load [--events 100000] [--resumes 3] [--alone 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time

from sqlalchemy import delete

from bench.long_log import build, fresh_app
from facilitator import create_app
from facilitator.engine import PostMessage
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.persistence.models import SnapshotRow
from facilitator.services.exercises import Identity


def _fresh(url: str):
    return create_app({"DATABASE_URL": url}).extensions["facilitator"]


def _timed(f) -> float:
    started = time.perf_counter()
    f()
    return (time.perf_counter() - started) * 1000


def _chat(service, exercise_id: str, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        out.append(_timed(lambda: service.exercises.execute(exercise_id, PostMessage("plenary", "still here"),
                                                            UMPIRE_ACTOR)))
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--resumes", type=int, default=3)
    parser.add_argument("--alone", type=float, default=15.0,
                        help="seconds of the other member's commands measured alone (a p99 needs about 1,000)")
    args = parser.parse_args()
    print(f"machine: nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} at start")
    app, _ = fresh_app("cold-load-")
    started = time.perf_counter()
    created = build(app, events=args.events)
    app.extensions["facilitator"].exercises.execute(created.id, PostMessage("plenary", "x"), UMPIRE_ACTOR)
    print(f"log of {args.events:,} events built in {time.perf_counter() - started:.1f} s")
    url = app.config["DATABASE_URL"]
    umpire = Identity(created.id, UMPIRE_ACTOR)

    cold = [_timed(lambda: _fresh(url).exercises.state(created.id)) for _ in range(3)]
    syncs = [_timed(lambda: _fresh(url).exercises.attach(umpire, None, lambda sync, history: json.dumps(sync),
                                                         lambda batch: None)) for _ in range(3)]
    with _fresh(url).db.write() as session:
        snapshot = session.get(SnapshotRow, created.id)
        kept = (snapshot.seq, snapshot.engine, snapshot.state, snapshot.at)
        session.execute(delete(SnapshotRow).where(SnapshotRow.exercise_id == created.id))
    folded = [_timed(lambda: _fresh(url).exercises.state(created.id)) for _ in range(2)]
    with _fresh(url).db.write() as session:
        session.add(SnapshotRow(exercise_id=created.id, seq=kept[0], engine=kept[1], state=kept[2], at=kept[3]))

    print("\n| measure | ms (median) | against |")
    print("|---|---|---|")
    print(f"| cold load, from the snapshot | {statistics.median(cold):,.0f} | fold of the whole log "
          f"{statistics.median(folded):,.0f} ms ({statistics.median(folded) / statistics.median(cold):.0f}x); "
          f"target < 1,000 |")
    print(f"| first sync after a restart | {statistics.median(syncs):,.0f} | target < 200 |")

    service = _fresh(url)
    alone: list[float] = []
    stop = threading.Event()
    chatter = threading.Thread(target=_chat, args=(service, created.id, stop, alone))
    chatter.start()
    time.sleep(args.alone)
    stop.set()
    chatter.join()
    during: list[float] = []
    stop = threading.Event()
    chatter = threading.Thread(target=_chat, args=(service, created.id, stop, during))
    chatter.start()
    resumes = []
    for _ in range(args.resumes):
        sent = []
        resumes.append(_timed(lambda: service.exercises.attach(
            umpire, 0, lambda sync, history: sent.extend(json.dumps(b) for b in history),
            lambda batch: sent.append(json.dumps(batch)))))
    stop.set()
    chatter.join()

    def p99(values):
        return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]

    print(f"| resume from 0 ({args.resumes}x, history encoded) | {statistics.median(resumes):,.0f} | |")
    print(f"| another member's commands alone, p50 / p99 | {statistics.median(alone):.1f} / {p99(alone):.1f} | "
          f"{len(alone)} commands |")
    print(f"| the same during the resumes, p50 / p99 | {statistics.median(during):.1f} / {p99(during):.1f} | "
          f"p99 {p99(during) / p99(alone):.2f}x alone (target within 1.5x); {len(during)} commands |")


if __name__ == "__main__":
    main()
