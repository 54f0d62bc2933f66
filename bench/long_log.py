"""A long exercise for the benchmarks: a real deck played for ``events`` events, written fast.

The session is decided by the engine itself (``engine.run``: every event is one a real command makes) and
stored through the event store in large batches, so a 100,000-event log takes seconds to build, not the
minutes the socket path would. It mixes what a busy session holds: chat in every kind of channel, signals,
indicator moves by the umpire, phase changes and injects, over about six hours of played time.

    from bench.long_log import build
    created = build(app, events=100_000)  # created.id, created.umpire_token …
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from facilitator.engine import AdjustIndicator, AdvancePhase, FireInject, PlaySignal, PostMessage, RuleError, run
from facilitator.engine.audience import UMPIRE_ACTOR, Actor
from facilitator.services.exercises import now as wall_clock

_BATCH = 2000


def build(app, events: int = 100_000, deck: str = "three-track-talks", members_per_delegation: int = 2):
    """Create an exercise on ``deck`` in ``app``'s database whose log holds at least ``events`` events (a command
    can make several); returns what ``ExerciseService.create`` returned (``id``, ``umpire_token``, codes). The exercise service's own copy of the state is left behind: it
    catches up from the log when next used, as after another process wrote."""
    services = app.extensions["facilitator"]
    exercises = services.exercises
    created = exercises.create(deck, title="A long session")
    exercise_id = created.id
    for delegation, code in created.join_codes.items():
        for n in range(members_per_delegation):
            exercises.join(code, f"{delegation[:10]} member {n + 1}")
    state = exercises.state(exercise_id)
    readable = {m.id: [c.id for c in state.channels.by_id.values() if m.delegation in c.audience.delegations
                       or c.audience.everyone] for m in state.participants.members.values()}
    members = [Actor("delegation", p.delegation, p.id, p.name) for p in state.participants.members.values()]
    when = wall_clock() - timedelta(seconds=0.25 * events)
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
        who = members[step % len(members)]
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
            channel = channels[step % len(channels)]
            command, actor = PostMessage(channel=channel, text=f"Point {step}: we propose to look again at "
                                         f"clause {step % 17} before the next round."), who
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
