"""Which shape should a pushed update take? Bytes and server CPU of three shapes, on every deck.

A scripted session (members seated, phases opened, signals played in public and in private, injects,
proposals drafted, amended and signed into force, chat) is played through the engine. After each
command, for every perspective (umpire, observers, each delegation), three ways of telling a client
what changed in its state are built and encoded:

- **view**: the whole view again (what a client that re-fetches the state gets);
- **sections**: every changed top-level section, whole;
- **entries**: changed sections, list sections entry by entry (the shape the server sends).

Printed per deck and kind of command: the mean bytes per perspective (JSON, compact) and the mean
CPU to build and encode them for all perspectives; then the ratios against the whole view.

    .venv/bin/python -m bench.view_shapes [--members 4]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from facilitator.decks.catalog import DeckCatalog
from facilitator.engine import (Actor, AdvancePhase, Clause, DraftProposal, FireInject, PlaySignal, PostMessage,
                                SeatParticipant, SignProposal, diff, initial_state, perspectives, run, view_sections)
from facilitator.engine.core import VIEWS
from facilitator.engine.errors import RuleError

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
UMPIRE = Actor("umpire", name="Umpire")


def encode(value) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def by_sections(old, new) -> dict:
    return {name: value for name, value in new.values.items() if old.values.get(name) != value}


def script(deck, members: int):
    """The commands of a short session: (kind, actor, command)."""
    out = []
    people = {}
    for d in deck.delegations:
        for n in range(members):
            actor = Actor("delegation", d.id, f"p-{d.id}-{n}", f"{d.id[:12]} {n}")
            people.setdefault(d.id, actor)
            out.append(("join", actor, SeatParticipant(actor.participant, actor.name, d.id)))
    out += [("phase", UMPIRE, AdvancePhase()), ("phase", UMPIRE, AdvancePhase())]
    for d in deck.delegations:
        for card in d.hand[:2]:
            signal = deck.signal(card)
            to = () if signal.visibility == "public" else tuple(x.id for x in deck.delegations if x.id != d.id)[:1]
            out.append(("signal", people[d.id], PlaySignal(card, to=to)))
    for inject in deck.injects[:6]:
        out.append(("inject", UMPIRE, FireInject(inject.id)))
    for table in deck.tables:
        first = people[table.delegations[0]]
        kinds = [k.id for k in deck.clause_types if set(k.requires_parties) <= set(table.delegations)
                 and (not k.offered_by or table.delegations[0] in k.offered_by)][:3]
        if kinds:
            out.append(("proposal", first, DraftProposal(table.id, "A deal", tuple(Clause(k, "t" * 400)
                                                                                    for k in kinds))))
            out += [("signature", people[p], SignProposal(0)) for p in table.delegations]
    for i in range(30):
        d = deck.delegations[i % len(deck.delegations)]
        out.append(("chat", people[d.id], PostMessage("plenary", f"Message {i} " + "x" * 100)))
    return out


def measure(deck, members: int) -> dict:
    state = initial_state(deck, "bench")
    viewers = perspectives(deck)
    views = {v: view_sections(state, v) for v in viewers}
    now = T0
    figures = defaultdict(lambda: defaultdict(float))
    drafted = 0
    for kind, actor, command in script(deck, members):
        if isinstance(command, SignProposal):
            command = SignProposal(drafted)
        now += timedelta(seconds=5)
        try:
            events, state = run(state, command, actor, now)
        except RuleError:
            continue
        if isinstance(command, DraftProposal):
            drafted = events[0].payload.proposal
        f = figures[kind]
        f["commands"] += 1
        for name, build in (("view", lambda o, n: n.values), ("sections", by_sections), ("entries", diff)):
            started = time.perf_counter()
            size = 0
            fresh = {}
            for viewer in viewers:
                # each shape computes the new view its own way: whole, or reusing unchanged sections
                new = view_sections(state, viewer, None if name == "view" else views[viewer])
                size += encode(build(views[viewer], new))
                fresh[viewer] = new
            f[name + " ms"] += (time.perf_counter() - started) * 1000
            f[name + " bytes"] += size / len(viewers)
        views = fresh
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=4, help="members seated per delegation")
    args = parser.parse_args()
    catalog = DeckCatalog(ROOT / "scenarios", ROOT / "seeds")
    print(f"{len(VIEWS)} view sections; members per delegation: {args.members}")
    print(f"{'deck':<22} {'command':<10} {'n':>4} {'view B':>8} {'sections B':>11} {'entries B':>10} "
          f"{'view ms':>8} {'entries ms':>11} {'sections/view':>14} {'entries/view':>13}")
    for loaded in catalog.list():
        for kind, f in measure(loaded.deck, args.members).items():
            n = f["commands"]
            view, sections, entries = f["view bytes"] / n, f["sections bytes"] / n, f["entries bytes"] / n
            print(f"{loaded.deck.id:<22} {kind:<10} {n:>4.0f} {view:>8.0f} {sections:>11.0f} {entries:>10.0f} "
                  f"{f['view ms'] / n:>8.2f} {f['entries ms'] / n:>11.2f} {sections / view:>14.3f} "
                  f"{entries / view:>13.3f}")


if __name__ == "__main__":
    main()
