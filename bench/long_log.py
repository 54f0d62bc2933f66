"""A long exercise for the benchmarks: a real deck played for ``events`` events, written fast.

The session is decided by the engine itself (``engine.run``: every event is one a real command makes) and
stored through the event store in large batches, so a 100,000-event log takes seconds to build, not the
minutes the socket path would. It mixes what a busy session holds: chat in every kind of channel, signals,
indicator moves by the umpire, phase changes and injects, over about six hours of played time.

    from bench.long_log import build
    app, folder = fresh_app("my-bench-")
    created = build(app, events=100_000)  # created.id, created.umpire_token …
"""

from __future__ import annotations

import itertools
import os
import random
import tempfile
from datetime import timedelta

from facilitator.engine import AdjustIndicator, AdvancePhase, FireInject, PlaySignal, PostMessage, RuleError, run
from facilitator.engine.audience import UMPIRE_ACTOR, Actor
from facilitator.services.exercises import now as wall_clock

_BATCH = 2000
SENTENCES = [
    "We can accept a corridor if inspections are joint.",
    "Our delegation needs guarantees before any signature.",
    "Shall we meet at the corridor table in ten minutes?",
    "The last proposal ignores the insurance question.",
    "Let us draft the inspection clause together.",
    "We hear reports of shelling near the port; can anyone confirm?",
    "The UN team is ready to monitor the route.",
    "Turkey offers Istanbul as the coordination centre.",
    "Who holds the pen on the maritime truce text?",
    "That is a red line for us, as you know.",
    "Agreed in principle; the details need work.",
    "We will brief our capital and come back to you.",
]
NAMES = ["Olena", "Taras", "Iryna", "Dmitri", "Sergei", "Anna", "Mehmet", "Ayşe", "Kemal", "Amina", "Jonas", "Priya",
         "Chen", "Lucía", "Tomasz", "Fatima", "Oleksii", "Marta", "Yusuf", "Ingrid", "Kofi", "Hana", "Pavel", "Noor"]


def fresh_app(prefix: str):
    """A Flask app on a new, migrated SQLite file in a new temporary folder: ``(app, folder)``."""
    folder = tempfile.mkdtemp(prefix=prefix)
    os.environ["FACILITATOR_INSTANCE"] = folder
    from facilitator import create_app
    from facilitator.persistence import Database
    from facilitator.persistence.migrate import upgrade

    url = f"sqlite:///{folder}/bench.sqlite3"
    db = Database(url)
    upgrade(db)
    db.dispose()
    return create_app({"DATABASE_URL": url}), folder


def build(app, events: int = 100_000, deck: str = "three-track-talks", members_per_delegation: int = 2,
          seed: int = 7):
    """Create an exercise on ``deck`` in ``app``'s database whose log holds at least ``events`` events (a command
    can make several), the same for the same ``seed``; returns what ``ExerciseService.create`` returned (``id``,
    ``umpire_token``, codes). The exercise service's own copy of the state is left behind: it catches up from the
    log when next used, as after another process wrote."""
    services = app.extensions["facilitator"]
    exercises = services.exercises
    rng = random.Random(seed)
    created = exercises.create(deck, title="A long session")
    exercise_id = created.id
    seated = itertools.count()
    for code in created.join_codes.values():
        for _ in range(members_per_delegation):
            n = next(seated)
            exercises.join(code, NAMES[n % len(NAMES)] + (f" {n // len(NAMES) + 1}" if n >= len(NAMES) else ""))
    state = exercises.state(exercise_id)
    readable = {m.id: [c.id for c in state.channels.by_id.values() if m.delegation in c.audience.delegations
                       or c.audience.everyone] for m in state.participants.members.values()}
    members = [Actor("delegation", p.delegation, p.id, p.name) for p in state.participants.members.values()]
    when = wall_clock()  # the session runs on from the seating, into the future: the log's times never go back
    pending, written = [], state.seq
    phases = itertools.cycle(range(len(state.deck.phases)))
    cards = {d.id: list(d.hand) for d in state.deck.delegations}
    injects = [i.id for i in state.deck.injects]
    step = 0

    def flush():
        nonlocal pending, written
        with services.db.write() as session:
            exercises.store.append(session, exercise_id, pending, written)
        written += len(pending)
        pending = []

    while state.seq < events:
        step += 1
        when += timedelta(seconds=0.25)
        who = rng.choice(members)
        if step == 1 or (step % 20_000 == 0 and next(phases) < len(state.deck.phases) - 1):
            command, actor = AdvancePhase(), UMPIRE_ACTOR
        elif step % 997 == 0 and injects:
            command, actor = FireInject(inject=injects[step % len(injects)]), UMPIRE_ACTOR
        elif step % 101 == 0:
            indicator = state.deck.indicators[step % len(state.deck.indicators)]
            command, actor = AdjustIndicator(indicator=indicator.id, delta=1 if step % 2 else -1,
                                             reason="the umpire's ruling"), UMPIRE_ACTOR
        elif step % 53 == 0 and cards.get(who.delegation):
            command, actor = PlaySignal(card=cards[who.delegation].pop()), who
        else:
            channels = readable[who.participant] or ["plenary"]
            channel = rng.choice(channels)
            text = " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))
            command, actor = PostMessage(channel=channel, text=text), who
        try:
            made, state = run(state, command, actor, when)
        except RuleError:
            made, state = run(state, PostMessage(channel="plenary", text=f"Point {step}."), who, when)
        pending += made
        if len(pending) >= _BATCH:
            flush()
    if pending:
        flush()
    return created
