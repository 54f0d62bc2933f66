"""What the schedule costs a server: one tick over many running exercises, against the bare reads it needs.

N exercises on a fresh SQLite file are started (first phase open, clock running, a row planned for
minute 30) and held in memory, as a server holding a day of classes would. Measured, per tick:

- **baseline**: reading each exercise's state caught up from the log, one read of the log each
  (``ExerciseService.state``), as the tick once did to see a clock another process may have paused;
- **tick, nothing due**: ``Schedule.tick`` when no row is due (the usual second): one statement reads every
  exercise's last seq, and the log is read only for those another process moved (none here);
- **tick, one due each**: a tick that fires one row in every exercise (a write and a publication each).

    .venv/bin/python -m bench.schedule_tick [--exercises 50] [--ticks 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from facilitator.engine import AdvancePhase
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.injects import AddInject, InjectRow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercises", type=int, default=50)
    parser.add_argument("--ticks", type=int, default=20)
    args = parser.parse_args()
    from facilitator.services.exercises import now
    from facilitator.services.schedule import Schedule

    from .long_log import fresh_app

    app, _ = fresh_app("schedule-bench-")
    exercises = app.extensions["facilitator"].exercises
    ids = []
    for _ in range(args.exercises):
        exercise_id = exercises.create("demo").id
        exercises.execute(exercise_id, AdvancePhase(), UMPIRE_ACTOR)
        exercises.execute(exercise_id, AddInject(InjectRow("Later", "Minute 30.", phase="briefing", minute=30)),
                          UMPIRE_ACTOR)
        ids.append(exercise_id)
    schedule = Schedule(exercises)
    schedule.tick()  # the demo's minute-0 row fires everywhere; the scan of the log is made once

    def timed(fn) -> list[float]:
        out = []
        for _ in range(args.ticks):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
        return out

    baseline = timed(lambda: [exercises.state(i) for i in ids])
    idle = timed(lambda: schedule.tick())
    later = now() + timedelta(minutes=31)
    start = time.perf_counter()
    fired = schedule.tick(later)
    due = (time.perf_counter() - start) * 1000
    b, t = statistics.median(baseline), statistics.median(idle)
    print(f"{args.exercises} running exercises, median of {args.ticks} ticks (ms):")
    print(f"  baseline (read every log)     {b:8.2f}")
    print(f"  tick, nothing due             {t:8.2f}   ratio {t / b:5.2f}")
    print(f"  tick, one row due in each     {due:8.2f}   ratio {due / b:5.2f}   ({fired} events)")
    print(f"  per exercise per idle tick    {t / args.exercises:8.3f}")


if __name__ == "__main__":
    main()
