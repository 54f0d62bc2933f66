"""Exercises: create one from a deck, admit people, and run commands through the engine.

Every command is decided against the current state, appended in one write
transaction, committed, and only then published to listeners (the realtime
broadcaster). States are cached per exercise and caught up from the log, so a
command costs the new events, not a replay of the whole session.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import select

from facilitator.decks import deck_from_data
from facilitator.decks.catalog import DeckCatalog
from facilitator.engine import Actor, Event, ExerciseState, RuleError, decide, evolve, initial_state, view_state
from facilitator.engine.audience import DELEGATION, OBSERVER, UMPIRE, UMPIRE_ACTOR, visible_to
from facilitator.engine.commands import ClearPresence, MarkPresence, SeatParticipant
from facilitator.persistence import Database, EventStore
from facilitator.engine.events import PARTICIPANT_CONNECTED
from facilitator.persistence.models import EventRow, ExerciseRow, ParticipantRow, SeatRow

from . import tokens

Listener = Callable[[str, list[Event]], None]
_PAGE_BATCH = 1000


@dataclass(frozen=True)
class CreatedExercise:
    """What the creator is shown once: the secrets are not kept in clear anywhere."""

    id: str
    title: str
    deck_id: str
    umpire_token: str
    observer_code: str
    join_codes: dict[str, str]  # delegation id -> code


@dataclass(frozen=True)
class Identity:
    exercise_id: str
    actor: Actor


@dataclass
class _Cached:
    state: ExerciseState
    title: str
    lock: threading.Lock = field(default_factory=threading.Lock)


def now() -> datetime:
    return datetime.now(timezone.utc)


class ExerciseService:
    def __init__(self, db: Database, catalog: DeckCatalog):
        self.db = db
        self.catalog = catalog
        self.store = EventStore()
        self._listeners: list[Listener] = []
        self._cache: dict[str, _Cached] = {}
        self._cache_lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        """``listener(exercise_id, events)`` is called after each commit, in seq order per exercise."""
        self._listeners.append(listener)

    # ---- creating and admitting -------------------------------------------

    def create(self, deck_id: str, title: str | None = None) -> CreatedExercise:
        loaded = self.catalog.get(deck_id)
        if loaded is None:
            raise RuleError("not_found", f"There is no scenario deck '{deck_id}'.", {"deck": "unknown"})
        title = (title or "").strip() or loaded.deck.title
        if len(title) > 200:
            raise RuleError("too_long", "The title is over 200 characters.", {"title": "too long"})
        umpire_token, observer_code = tokens.new_token(), tokens.new_code()
        join_codes = {d.id: tokens.new_code() for d in loaded.deck.delegations}
        exercise_id = tokens.new_id()
        with self.db.write() as session:
            session.add(ExerciseRow(id=exercise_id, deck_id=loaded.deck.id, title=title, deck=loaded.data,
                                    seed=secrets.token_hex(16), last_seq=0,
                                    umpire_token_hash=tokens.digest(umpire_token),
                                    observer_code_hash=tokens.code_digest(observer_code), created_at=now()))
            session.flush()
            session.add_all(SeatRow(exercise_id=exercise_id, delegation_id=d, join_code_hash=tokens.code_digest(c))
                            for d, c in join_codes.items())
        return CreatedExercise(exercise_id, title, loaded.deck.id, umpire_token, observer_code, join_codes)

    def reissue_codes(self, exercise_id: str) -> CreatedExercise:
        """New umpire token and join codes for an exercise (the old ones stop working)."""
        umpire_token, observer_code = tokens.new_token(), tokens.new_code()
        with self.db.write() as session:
            row = self._row(session, exercise_id)
            row.umpire_token_hash = tokens.digest(umpire_token)
            row.observer_code_hash = tokens.code_digest(observer_code)
            join_codes = {}
            for seat in session.scalars(select(SeatRow).where(SeatRow.exercise_id == exercise_id)):
                join_codes[seat.delegation_id] = code = tokens.new_code()
                seat.join_code_hash = tokens.code_digest(code)
            title, deck_id = row.title, row.deck_id
        return CreatedExercise(exercise_id, title, deck_id, umpire_token, observer_code, join_codes)

    def join(self, code: str, name: str) -> tuple[Identity, str]:
        """Seat a new participant in the delegation that ``code`` opens; returns them and their token."""
        with self.db.read() as session:
            seat = session.scalar(select(SeatRow).where(SeatRow.join_code_hash == tokens.code_digest(code)))
        if seat is None:
            raise RuleError("bad_code", "That join code does not open any delegation. Check it and try again.",
                            {"code": "unknown"})
        participant_id, token = tokens.new_id(), tokens.new_token()
        clean_name = (name or "").strip()
        actor = Actor(DELEGATION, seat.delegation_id, participant_id, clean_name)
        command = SeatParticipant(participant_id, clean_name, seat.delegation_id)

        def add_participant(session):
            session.add(ParticipantRow(id=participant_id, exercise_id=seat.exercise_id,
                                       delegation_id=seat.delegation_id, display_name=clean_name[:40],
                                       token_hash=tokens.digest(token), created_at=now()))

        self.execute(seat.exercise_id, command, actor, also=add_participant)
        return Identity(seat.exercise_id, actor), token

    def identify(self, token: str) -> Identity | None:
        """Who a connect token belongs to: the umpire, a seated participant, or an observer."""
        if not token or not isinstance(token, str) or len(token) > 200:
            return None
        with self.db.read() as session:
            participant = session.scalar(select(ParticipantRow).where(ParticipantRow.token_hash == tokens.digest(token)))
            if participant is not None:
                return Identity(participant.exercise_id, Actor(DELEGATION, participant.delegation_id,
                                                               participant.id, participant.display_name))
            row = session.scalar(select(ExerciseRow).where(ExerciseRow.umpire_token_hash == tokens.digest(token)))
            if row is not None:
                return Identity(row.id, UMPIRE_ACTOR)
            row = session.scalar(select(ExerciseRow).where(ExerciseRow.observer_code_hash == tokens.code_digest(token)))
            if row is not None:
                return Identity(row.id, Actor(OBSERVER, name="Observer"))
        return None

    # ---- commands -------------------------------------------------------------

    def execute(self, exercise_id: str, command, actor: Actor, expected_seq: int | None = None,
                also: Callable | None = None) -> list[Event]:
        """Decide ``command``, store its events, commit, then tell listeners. Returns the stored events.

        ``also(session)`` runs in the same transaction (e.g. the participant row of a join).
        """
        cached = self._cached(exercise_id)
        with cached.lock:  # one writer per exercise in this process keeps publication in seq order
            at = now()
            with self.db.write() as session:
                state = self._catch_up(session, exercise_id, cached.state)
                if expected_seq is not None and expected_seq != state.seq:
                    raise RuleError("stale", f"The exercise has moved on (seq {state.seq}, you acted on "
                                             f"{expected_seq}); look again and retry.", {"seq": state.seq})
                events = decide(state, command, actor, at)
                if also is not None:
                    also(session)
                stored = self.store.append(session, exercise_id, events, at, expected_seq=state.seq)
            for event in stored:
                state = evolve(state, event)
            cached.state = state
            if stored:
                for listener in self._listeners:
                    listener(exercise_id, stored)
        return stored

    def exclusive(self, exercise_id: str) -> threading.Lock:
        """Hold off this process's commits to ``exercise_id`` (while a client joins and catches up)."""
        return self._cached(exercise_id).lock

    def clear_presence(self) -> int:
        """Mark everyone disconnected in every exercise (at start-up, when no connection can survive)."""
        with self.db.read() as session:
            touched = session.scalars(select(EventRow.exercise_id).distinct()
                                      .where(EventRow.type == PARTICIPANT_CONNECTED)).all()
        return sum(len(self.execute(exercise_id, ClearPresence(), UMPIRE_ACTOR)) for exercise_id in touched)

    def mark_presence(self, identity: Identity, connected: bool) -> None:
        if identity.actor.role == DELEGATION and identity.actor.participant:
            self.execute(identity.exercise_id, MarkPresence(identity.actor.participant, connected), identity.actor)

    # ---- reading --------------------------------------------------------------

    def state(self, exercise_id: str) -> ExerciseState:
        """The current state, caught up with anything other processes appended."""
        cached = self._cached(exercise_id)
        with self.db.read() as session:
            state = self._catch_up(session, exercise_id, cached.state)
        return state

    def sync(self, exercise_id: str, viewer: Actor, now: datetime) -> dict:
        """The ``sync`` payload: the current state as ``viewer`` may see it, with the exercise's id and title."""
        state = self.state(exercise_id)
        view = view_state(state, viewer, now)
        view["exercise"].update(id=exercise_id, title=self._cached(exercise_id).title)
        return {"state": view, "last_seq": state.seq, "server_time": now.isoformat()}

    def events(self, exercise_id: str, viewer: Actor, after: int = 0, upto: int | None = None) -> list[Event]:
        """The stored events ``viewer`` may see, in order (the one filter for resume, replay and export)."""
        with self.db.read() as session:
            return [e for e in self.store.load(session, exercise_id, after, upto) if visible_to(e, viewer)]

    def page(self, exercise_id: str, viewer: Actor, after: int = 0, before: int | None = None, limit: int = 500,
             channel: str | None = None) -> tuple[list[Event], bool]:
        """One page of what ``viewer`` may see, in seq order, and whether there is more.

        Without ``before``: the oldest ``limit`` events after ``after``. With it: the newest ``limit``
        before it (paging older history in). The log is read in batches from the right end, so a page
        costs about what it returns, however long the exercise.
        """
        backwards, found = before is not None, []
        low, high = after, (before - 1 if before is not None else None)
        with self.db.read() as session:
            while len(found) <= limit:
                batch = self.store.load(session, exercise_id, after=low, upto=high, channel=channel,
                                        newest_first=backwards, limit=_PAGE_BATCH)
                found += [e for e in batch if visible_to(e, viewer)]
                if len(batch) < _PAGE_BATCH:
                    break
                if backwards:
                    high = batch[-1].seq - 1
                else:
                    low = batch[-1].seq
        more = len(found) > limit
        found = found[:limit]
        return (found[::-1] if backwards else found), more

    def summary(self, exercise_id: str) -> dict:
        with self.db.read() as session:
            row = self._row(session, exercise_id)
            info = {"id": row.id, "title": row.title, "deck": row.deck_id, "created_at": row.created_at.isoformat()}
        state = self.state(exercise_id)
        info.update({"last_seq": state.seq, "ended": state.ended,
                     "phase": state.phase.name if state.phase else None,
                     "delegations": [{"id": d.id, "name": d.name,
                                      "members": sum(1 for p in state.participants.values() if p.delegation == d.id)}
                                     for d in state.deck.delegations]})
        return info

    def list_exercises(self) -> list[dict]:
        with self.db.read() as session:
            rows = session.execute(select(ExerciseRow.id, ExerciseRow.title, ExerciseRow.deck_id,
                                          ExerciseRow.created_at, ExerciseRow.last_seq)
                                   .order_by(ExerciseRow.created_at.desc())).all()
        return [{"id": r.id, "title": r.title, "deck": r.deck_id, "created_at": r.created_at.isoformat(),
                 "last_seq": r.last_seq} for r in rows]

    # ---- internals ------------------------------------------------------------

    def _row(self, session, exercise_id: str) -> ExerciseRow:
        row = session.get(ExerciseRow, exercise_id)
        if row is None:
            raise RuleError("not_found", f"There is no exercise '{exercise_id}'.", {"exercise": "unknown"})
        return row

    def _cached(self, exercise_id: str) -> _Cached:
        with self._cache_lock:
            cached = self._cache.get(exercise_id)
        if cached is not None:
            return cached
        with self.db.read() as session:
            row = self._row(session, exercise_id)
            state = initial_state(deck_from_data(row.deck, f"exercise {exercise_id}"), row.seed)
            title = row.title
        with self._cache_lock:
            return self._cache.setdefault(exercise_id, _Cached(state, title))

    def _catch_up(self, session, exercise_id: str, state: ExerciseState) -> ExerciseState:
        for event in self.store.load(session, exercise_id, after=state.seq):
            state = evolve(state, event)
        return state
