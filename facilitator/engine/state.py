"""Exercise state: an immutable value folded from the event log.

``evolve`` is deliberately dumb: events carry their outcomes (new values,
draws, numbers), so folding never decides anything and a replay is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Iterable, Mapping

from . import events as ev
from .commands import Clause
from .deck import Deck, frozen


def pair(a: str, b: str) -> tuple[str, str]:
    """The key of a relation between two delegations, whichever way round."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True, slots=True)
class Participant:
    id: str
    name: str
    delegation: str
    connections: int = 0


@dataclass(frozen=True, slots=True)
class Clock:
    running: bool = False
    remaining: float = 0.0  # seconds left at ``since`` (running) or now (paused)
    since: datetime | None = None

    def remaining_at(self, now: datetime) -> float:
        if not self.running or self.since is None:
            return self.remaining
        return max(0.0, self.remaining - (now - self.since).total_seconds())


@dataclass(frozen=True, slots=True)
class RelationState:
    trust: int
    readiness: int


@dataclass(frozen=True, slots=True)
class SignalPlay:
    number: int
    card: str
    by: str
    to: tuple[str, ...]  # empty: played in public
    toward: tuple[str, ...]
    active: bool = True
    reciprocated_by: tuple[int, ...] = ()

    @property
    def public(self) -> bool:
        return not self.to

    @property
    def addressees(self) -> tuple[str, ...]:
        """Whom the signal speaks to: those it was played to in private, or whom it aims at in public.

        Only they can answer it, and only their relations with the sender move.
        """
        return self.to if self.to else self.toward


OPEN, SIGNED, IN_FORCE, WITHDRAWN = "open", "signed", "in_force", "withdrawn"


@dataclass(frozen=True, slots=True)
class Proposal:
    number: int
    table: str
    title: str
    drafted_by: str
    clauses: tuple[Clause, ...]
    parties: tuple[str, ...]
    links: tuple[int, ...] = ()
    version: int = 1
    signatures: tuple[str, ...] = ()
    status: str = OPEN

    @property
    def fully_signed(self) -> bool:
        return set(self.parties) <= set(self.signatures)


@dataclass(frozen=True, slots=True)
class Backchannel:
    number: int
    delegations: tuple[str, ...]

    @property
    def channel(self) -> str:
        return f"backchannel:{self.number}"


@dataclass(frozen=True, slots=True)
class FiredInject:
    inject: str | None  # None for an ad hoc inject
    title: str
    seq: int
    to: tuple[str, ...] | None  # None: everyone


@dataclass(frozen=True, slots=True)
class Ceasefire:
    agreement: int
    began_phase: int


@dataclass(frozen=True, slots=True)
class ExerciseState:
    deck: Deck
    seed: str = ""
    seq: int = 0
    phase_index: int = -1  # -1: briefing, before the first phase
    clock: Clock = Clock()
    ended: bool = False
    participants: Mapping[str, Participant] = field(default_factory=frozen)
    hands: Mapping[str, tuple[str, ...]] = field(default_factory=frozen)
    indicators: Mapping[str, int] = field(default_factory=frozen)
    relations: Mapping[tuple[str, str], RelationState] = field(default_factory=frozen)
    plays: tuple[SignalPlay, ...] = ()
    proposals: tuple[Proposal, ...] = ()
    backchannels: tuple[Backchannel, ...] = ()
    injects_fired: tuple[FiredInject, ...] = ()
    message_counts: Mapping[str, int] = field(default_factory=frozen)
    ceasefire: Ceasefire | None = None
    ceasefires_collapsed: int = 0

    @property
    def phase(self):
        if 0 <= self.phase_index < len(self.deck.phases):
            return self.deck.phases[self.phase_index]
        return None

    def table_open(self, table_id: str) -> bool:
        """Tables follow the current phase, or the first one while the exercise has not started."""
        if self.ended:
            return False
        phase = self.phase or self.deck.phases[0]
        return phase.table_open(table_id)

    def proposal(self, number: int) -> Proposal | None:
        if 1 <= number <= len(self.proposals):
            return self.proposals[number - 1]
        return None

    def play(self, number: int) -> SignalPlay | None:
        if 1 <= number <= len(self.plays):
            return self.plays[number - 1]
        return None

    def backchannel(self, number: int) -> Backchannel | None:
        if 1 <= number <= len(self.backchannels):
            return self.backchannels[number - 1]
        return None

    def names_in_use(self) -> set[str]:
        return {p.name.casefold() for p in self.participants.values()}


def initial_state(deck: Deck, seed: str = "") -> ExerciseState:
    return ExerciseState(
        deck=deck,
        seed=seed,
        hands=frozen({d.id: d.hand for d in deck.delegations}),
        indicators=frozen({i.id: i.start for i in deck.indicators}),
        relations=frozen({pair(*r.between): RelationState(r.trust, r.readiness) for r in deck.relations}),
    )


def _with(mapping: Mapping, key, value) -> Mapping:
    return frozen({**mapping, key: value})


def _replace_at(items: tuple, number: int, item) -> tuple:
    return items[:number - 1] + (item,) + items[number:]


def evolve(state: ExerciseState, event: ev.Event) -> ExerciseState:
    """The state after ``event``. Unknown event types only move ``seq`` (old logs stay readable)."""
    handler = _EVOLVERS.get(event.type)
    if handler is not None:
        state = handler(state, event.data, event)
    if event.seq is not None:
        state = replace(state, seq=event.seq)
    return state


def replay(deck: Deck, events: Iterable[ev.Event], upto: int | None = None, seed: str = "") -> ExerciseState:
    state = initial_state(deck, seed)
    for event in events:
        if upto is not None and event.seq is not None and event.seq > upto:
            break
        state = evolve(state, event)
    return state


def _participant_seated(s, d, e):
    return replace(s, participants=_with(s.participants, d["participant"],
                                         Participant(d["participant"], d["name"], d["delegation"])))


def _presence(delta):
    def apply(s, d, e):
        p = s.participants.get(d["participant"])
        if p is None:
            return s
        connections = 0 if d.get("all") else max(0, p.connections + delta)
        return replace(s, participants=_with(s.participants, p.id, replace(p, connections=connections)))
    return apply


def _message_posted(s, d, e):
    return replace(s, message_counts=_with(s.message_counts, d["channel"],
                                           s.message_counts.get(d["channel"], 0) + 1))


def _backchannel_opened(s, d, e):
    return replace(s, backchannels=s.backchannels + (Backchannel(d["number"], tuple(d["delegations"])),))


def _signal_played(s, d, e):
    play = SignalPlay(d["play"], d["card"], d["by"], tuple(d["to"]), tuple(d["toward"]))
    hand = tuple(c for c in s.hands.get(d["by"], ()) if c != d["card"])
    return replace(s, plays=s.plays + (play,), hands=_with(s.hands, d["by"], hand))


def _signal_reciprocated(s, d, e):
    earlier = s.play(d["reciprocates"])
    updated = replace(earlier, reciprocated_by=earlier.reciprocated_by + (d["play"],))
    return replace(s, plays=_replace_at(s.plays, earlier.number, updated))


def _signal_withdrawn(s, d, e):
    play = s.play(d["play"])
    return replace(s, plays=_replace_at(s.plays, play.number, replace(play, active=False)))


def _indicator_changed(s, d, e):
    return replace(s, indicators=_with(s.indicators, d["indicator"], d["value"]))


def _relation_changed(s, d, e):
    return replace(s, relations=_with(s.relations, pair(*d["between"]),
                                      RelationState(d["trust"], d["readiness"])))


def _inject_fired(s, d, e):
    fired = FiredInject(d.get("inject"), d["title"], e.seq or 0, tuple(d["to"]) if d.get("to") else None)
    return replace(s, injects_fired=s.injects_fired + (fired,))


def _phase_advanced(s, d, e):
    return replace(s, phase_index=d["index"],
                   clock=Clock(running=True, remaining=float(d["minutes"] * 60), since=e.at))


def _clock_paused(s, d, e):
    return replace(s, clock=Clock(running=False, remaining=float(d["remaining"])))


def _clock_resumed(s, d, e):
    return replace(s, clock=Clock(running=True, remaining=s.clock.remaining, since=e.at))


def _clock_extended(s, d, e):
    return replace(s, clock=replace(s.clock, remaining=s.clock.remaining + d["minutes"] * 60))


def _exercise_ended(s, d, e):
    return replace(s, ended=True, clock=Clock(running=False, remaining=0.0))


def _proposal_drafted(s, d, e):
    proposal = Proposal(d["proposal"], d["table"], d["title"], d["drafted_by"], _clauses(d["clauses"]),
                        tuple(d["parties"]), tuple(d["links"]))
    return replace(s, proposals=s.proposals + (proposal,))


def _proposal_amended(s, d, e):
    p = s.proposal(d["proposal"])
    amended = replace(p, title=d["title"], clauses=_clauses(d["clauses"]), links=tuple(d["links"]),
                      version=d["version"], signatures=(), status=OPEN)
    return replace(s, proposals=_replace_at(s.proposals, p.number, amended))


def _proposal_signed(s, d, e):
    p = s.proposal(d["proposal"])
    signatures = p.signatures + (d["delegation"],)
    status = SIGNED if set(p.parties) <= set(signatures) else OPEN
    return replace(s, proposals=_replace_at(s.proposals, p.number, replace(p, signatures=signatures, status=status)))


def _proposal_status(status):
    def apply(s, d, e):
        p = s.proposal(d["proposal"])
        return replace(s, proposals=_replace_at(s.proposals, p.number, replace(p, status=status)))
    return apply


def _ceasefire_began(s, d, e):
    return replace(s, ceasefire=Ceasefire(d["agreement"], s.phase_index))


def _ceasefire_collapsed(s, d, e):
    return replace(s, ceasefire=None, ceasefires_collapsed=s.ceasefires_collapsed + 1)


def _clauses(items) -> tuple[Clause, ...]:
    return tuple(Clause(c["clause_type"], c.get("terms", "")) for c in items)


_EVOLVERS = {
    ev.PARTICIPANT_SEATED: _participant_seated,
    ev.PARTICIPANT_CONNECTED: _presence(+1),
    ev.PARTICIPANT_DISCONNECTED: _presence(-1),
    ev.MESSAGE_POSTED: _message_posted,
    ev.BACKCHANNEL_OPENED: _backchannel_opened,
    ev.SIGNAL_PLAYED: _signal_played,
    ev.SIGNAL_RECIPROCATED: _signal_reciprocated,
    ev.SIGNAL_WITHDRAWN: _signal_withdrawn,
    ev.INDICATOR_CHANGED: _indicator_changed,
    ev.RELATION_CHANGED: _relation_changed,
    ev.INJECT_FIRED: _inject_fired,
    ev.PHASE_ADVANCED: _phase_advanced,
    ev.CLOCK_PAUSED: _clock_paused,
    ev.CLOCK_RESUMED: _clock_resumed,
    ev.CLOCK_EXTENDED: _clock_extended,
    ev.EXERCISE_ENDED: _exercise_ended,
    ev.PROPOSAL_DRAFTED: _proposal_drafted,
    ev.PROPOSAL_AMENDED: _proposal_amended,
    ev.PROPOSAL_SIGNED: _proposal_signed,
    ev.PROPOSAL_WITHDRAWN: _proposal_status(WITHDRAWN),
    ev.AGREEMENT_IN_FORCE: _proposal_status(IN_FORCE),
    ev.CEASEFIRE_BEGAN: _ceasefire_began,
    ev.CEASEFIRE_COLLAPSED: _ceasefire_collapsed,
}
