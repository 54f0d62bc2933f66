"""What the balance simulator costs: 300 random runs of every shipped deck, and a few greedy ones.

Each run is a whole exercise played through the engine in process (``facilitator.decks.simulate``). Printed per
deck: the seconds for the random runs, runs per second, the commands tried per run and the time per command
tried (the engine's ``run``, refusals included: a refused command costs its checks), then the same for greedy runs
(each greedy move tries every candidate move on the state).

    .venv/bin/python -m bench.simulate [--runs 300] [--greedy-runs 10] [--decks demo kyiv-decides ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DECKS = ("demo", "three-track-talks", "talking-about-talking", "kyiv-decides")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--greedy-runs", type=int, default=10)
    parser.add_argument("--decks", nargs="*", default=list(DECKS))
    args = parser.parse_args()
    from facilitator.decks import deck_from_data, load_notes
    from facilitator.decks.loader import read_yaml
    from facilitator.decks.simulate import simulate

    notes = load_notes(ROOT / "seeds")
    print(f"{'deck':24} {'random runs':>11} {'seconds':>8} {'runs/s':>7} {'cmds/run':>9} {'µs/cmd':>7}   "
          f"{'greedy runs':>11} {'seconds':>8} {'runs/s':>7}")
    for deck_id in args.decks:
        path = ROOT / "scenarios" / f"{deck_id}.yaml"
        deck = deck_from_data(read_yaml(path), str(path), notes)
        began = time.perf_counter()
        result = simulate(deck, "random", args.runs, "bench", 0)
        seconds = time.perf_counter() - began
        tried = sum(r.tried for r in result.runs)
        began = time.perf_counter()
        simulate(deck, "greedy", args.greedy_runs, "bench", 0)
        greedy = time.perf_counter() - began
        print(f"{deck_id:24} {args.runs:>11} {seconds:>8.1f} {args.runs / seconds:>7.1f} {tried / args.runs:>9.0f} "
              f"{seconds / tried * 1e6:>7.0f}   {args.greedy_runs:>11} {greedy:>8.1f} "
              f"{args.greedy_runs / max(greedy, 1e-9):>7.1f}")


if __name__ == "__main__":
    main()
