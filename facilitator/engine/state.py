"""The exercise state, folded from the log, and the two functions that move it: ``decide`` and ``evolve``.

``evolve`` is deliberately dumb: events carry their outcomes (new values, draws,
numbers), so folding never decides anything and a replay is exact. Each part of
the state belongs to one slice (``clock.py``, ``signals.py`` …), which gives its
initial value, its evolvers and its view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from .audience import Actor
from .core import DECIDERS, EVOLVERS, INITIALS, Event, Outcome, replace
from .deck import Deck
from .errors import RuleError
from .participants import note_activity


def pair(a: str, b: str) -> tuple[str, str]:
    """The key of a relation between two delegations, whichever way round."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True, slots=True)
class ExerciseState:
    """The deck, the seed of the draws, the exercise's id and title, the last seq folded, and one part per slice."""

    deck: Deck
    seed: str
    exercise_id: str
    title: str
    seq: int
    clock: Any  # clock.Clock: the phase, the countdown, whether the exercise has ended
    participants: Any  # participants.Participants: who sits in which delegation
    presence: Any  # participants.Presence: open connections
    channels: Any  # channels.Channels
    signals: Any  # signals.Signals: plays and hands
    proposals: Any  # proposals.Proposals
    indicators: Mapping[str, int]  # indicators.py: indicator id -> value
    relations: Mapping[tuple[str, str], Any]  # indicators.py: pair -> Relation (trust, readiness)
    injects: Any  # injects.Injects
    ceasefire: Any  # ceasefire.CeasefireState
    moves: Any  # adjudication.Moves: free moves and their rulings
    room: Any  # room.Room: channels the umpire closed or reopened, muted participants
    control: Any  # control.Control: staff seats, whether archived
    bookmarks: Mapping[str, Any]  # bookmarks.py: id -> Bookmark (bookmarks and the umpire's notes)
    debrief: Any  # debrief.Debrief: the question the umpire shows the room, the assessments revealed
    beliefs: Mapping[str, Any]  # beliefs.py: "holder>about" -> Held (a private belief and who was told of it)
    polls: Mapping[str, Any]  # polls.py: indicator id -> its published readings
    thresholds_applied: frozenset  # indicators.py: (indicator id, at) of thresholds whose effects have applied

    @property
    def phase(self):
        """The current phase record, or None before the first phase."""
        index = self.clock.phase_index
        return self.deck.phases[index] if 0 <= index < len(self.deck.phases) else None

    @property
    def ended(self) -> bool:
        return self.clock.ended

    def table_open(self, table_id: str) -> bool:
        """Tables follow the current phase, or the first one while the exercise has not started."""
        if self.ended:
            return False
        return (self.phase or self.deck.phases[0]).table_open(table_id)


def initial_state(deck: Deck, seed: str = "", exercise_id: str = "", title: str = "") -> ExerciseState:
    """The state before the first event. ``seed`` makes the exercise's draws; ``title`` defaults to the deck's."""
    parts: dict = {}
    for make in INITIALS:
        parts.update(make(deck))
    return ExerciseState(deck=deck, seed=seed, exercise_id=exercise_id, title=title or deck.title, seq=0, **parts)


def evolve(state: ExerciseState, event: Event) -> ExerciseState:
    """The state after ``event``. Event types without an evolver only move ``seq`` (old logs stay readable)."""
    handler = EVOLVERS.get(type(event.payload))
    if handler is not None:
        state = handler(state, event.payload, event)
    changes = note_activity(state, event) if event.actor is not None else {}
    if event.seq is not None:
        changes["seq"] = event.seq
    return replace(state, **changes) if changes else state


def replay(deck: Deck, events: Iterable[Event], upto: int | None = None, seed: str = "") -> ExerciseState:
    """The state after ``events`` (those up to seq ``upto``, if given)."""
    state = initial_state(deck, seed)
    for event in events:
        if upto is not None and event.seq is not None and event.seq > upto:
            break
        state = evolve(state, event)
    return state


def run(state: ExerciseState, command, actor: Actor, now: datetime) -> tuple[list[Event], ExerciseState]:
    """What ``command`` by ``actor`` does: its events (numbered from ``state.seq + 1``, dated ``now``)
    and the state after them. Raises ``RuleError`` (and yields nothing) when a rule forbids it.

    ``now`` is the only clock the engine knows: the caller reads the wall clock.
    """
    decider = DECIDERS.get(type(command))
    if decider is None:
        raise RuleError("unknown_command", f"Unknown command {type(command).__name__}.")
    if state.ended and not command.AFTER_END:
        raise RuleError("ended", "The exercise has ended.")
    if state.control.archived and not command.AFTER_ARCHIVE:
        raise RuleError("ended", "This exercise is archived: its log can be read, not added to.")
    out = Outcome(state, actor, now, evolve)
    decider(out, command)
    return out.events, out.state


def decide(state: ExerciseState, command, actor: Actor, now: datetime) -> list[Event]:
    """The events of ``command`` (see ``run``)."""
    return run(state, command, actor, now)[0]
