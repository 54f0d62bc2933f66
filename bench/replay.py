"""What replay costs on a long log: rebuild, seek, first paint, timeline, against folding the log bare.

A 100,000-event exercise (``bench.long_log``) on a fresh SQLite file. Measured in one process:

- **baseline**: reading the whole log and folding it with ``engine.evolve``, nothing else (what any
  replay must do once);
- **full rebuild**: ``ReplayService`` building its snapshots from nothing (a fresh service, as after a
  restart), the first request's cost;
- **seek**: the state at a random seq through the service (median and worst of 100), snapshots built;
- **seek without snapshots**: the same through a service whose snapshots are 10**9 events apart (the
  fold from seq 0 that a replay without snapshots would do), at nine seqs spread over the log;
- **memory**: what one exercise's snapshots and timeline hold (tracemalloc, a second rebuild);
- **first paint**: ``GET /api/exercises/<id>/replay?as=d:<delegation>&seq=N&history=50`` and the
  timeline through the Flask test client: what the replay screen asks for when it opens at a moment.

    .venv/bin/python -m bench.replay [--events 100000] [--seeks 100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seeks", type=int, default=100)
    args = parser.parse_args()
    from facilitator.engine import evolve, initial_state
    from facilitator.engine.audience import Actor
    from facilitator.services.replay import ReplayService

    from .long_log import build, fresh_app

    app, _ = fresh_app("replay-bench-")
    services = app.extensions["facilitator"]
    started = time.perf_counter()
    created = build(app, args.events)
    exercise_id, umpire_token = created.id, created.umpire_token
    built = time.perf_counter() - started
    state = services.exercises.state(exercise_id)
    last, deck = state.seq, state.deck
    print(f"log: {last:,} events on {deck.id} (built in {built:.1f} s)")

    started = time.perf_counter()
    with services.db.read() as session:
        bare = initial_state(deck)
        for event in services.exercises.store.load(session, exercise_id):
            bare = evolve(bare, event)
    baseline = time.perf_counter() - started
    print(f"baseline: read + fold the whole log: {baseline:.2f} s")

    umpire = Actor("umpire")
    fresh = ReplayService(services.db)
    started = time.perf_counter()
    fresh.replay(exercise_id, umpire, "umpire", 1)
    rebuild = time.perf_counter() - started
    print(f"full rebuild (snapshots from nothing): {rebuild:.2f} s ({rebuild / baseline:.2f}x baseline)")
    tracemalloc.start()
    kept = ReplayService(services.db)
    kept.replay(exercise_id, umpire, "umpire", 1)
    held = tracemalloc.get_traced_memory()[0] / 2 ** 20
    del kept
    tracemalloc.stop()
    print(f"memory the snapshots and timeline of one such exercise hold: {held:.0f} MB (tracemalloc)")

    rng = random.Random(7)
    keys = ["umpire", "public", f"d:{deck.delegations[0].id}"]

    def seek(service, count):
        times = []
        for _ in range(count):
            seq, key = rng.randint(0, last), rng.choice(keys)
            t = time.perf_counter()
            service.replay(exercise_id, umpire, key, seq)
            times.append((time.perf_counter() - t) * 1000)
        return times

    times = seek(fresh, args.seeks)
    median, worst = statistics.median(times), max(times)
    print(f"seek to a random seq ({args.seeks}): median {median:.1f} ms, worst {worst:.1f} ms")
    bare_service = ReplayService(services.db, every=10 ** 9)
    bare_service.replay(exercise_id, umpire, "umpire", 0)  # its timeline pass, not timed
    slow = []
    for seq in range(last // 10, last, last // 10):  # nine seeks spread over the log
        t = time.perf_counter()
        bare_service.replay(exercise_id, umpire, "umpire", seq)
        slow.append((time.perf_counter() - t) * 1000)
    print(f"seek without snapshots (9, spread over the log): median {statistics.median(slow):.0f} ms "
          f"({statistics.median(slow) / median:.0f}x the median with them)")

    client = app.test_client()
    paints = []
    key = f"d:{deck.delegations[0].id}"
    t = time.perf_counter()
    client.get(f"/api/exercises/{exercise_id}/replay?as={key}&seq=1", headers={"Authorization": f"Bearer {umpire_token}"})
    print(f"first request after a start (the server builds its snapshots): {time.perf_counter() - t:.2f} s")
    for _ in range(20):
        seq = rng.randint(0, last)
        t = time.perf_counter()
        reply = client.get(f"/api/exercises/{exercise_id}/replay?as={key}&seq={seq}&history=50",
                           headers={"Authorization": f"Bearer {umpire_token}"})
        assert reply.status_code == 200, reply.get_json()
        paints.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    reply = client.get(f"/api/exercises/{exercise_id}/replay/timeline?as={key}",
                       headers={"Authorization": f"Bearer {umpire_token}"})
    timeline_ms = (time.perf_counter() - t) * 1000
    assert reply.status_code == 200
    print(f"first paint over HTTP (state + 50 messages, 20 seeks as {key}): median {statistics.median(paints):.1f} ms,"
          f" worst {max(paints):.1f} ms; timeline {timeline_ms:.0f} ms, {len(reply.data) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
