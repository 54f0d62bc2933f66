"""Exercises: create one from a deck, admit people, run commands, and publish what each perspective sees.

The pipeline of a command, in one place (``execute``): decide (the engine folds every event
as it decides, so an event that cannot be folded is never stored), append, commit, then publish.
Writers to one exercise queue on its lock, in order; publishing happens after the lock is
released, in commit order, and a failure while publishing is logged, never turned into a
failed command. States are cached per exercise and caught up from the log, so a command
costs its new events, not a replay of the whole session.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from facilitator import names
from facilitator.decks import DeckInvalid, deck_from_data, stored_deck, variants
from facilitator.decks.catalog import DeckCatalog
from facilitator.engine import Actor, ClearPresence, Event, ExerciseState, MarkPresence, RuleError, SeatParticipant, \
    evolve, initial_state, run, visible_events
from facilitator.engine.audience import DELEGATION, OBSERVER, UMPIRE_ACTOR
from facilitator.engine.control import ArchiveExercise, ReissueLink, SeatStaff, acting_for, staff_actor
from facilitator.engine.guards import chief, clean_name, clean_text
from facilitator.engine.room import MoveParticipant, RemoveParticipant
from facilitator.persistence import Database, EventStore, StaleSequence, snapshots
from facilitator.persistence.models import DeletionRow, EventRow, ExerciseRow, ParticipantRow, SeatRow, StaffRow

from . import presence, tokens
from .feed import Feed

log = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, dict]], None]  # (exercise id, {perspective key: payload})
_PAGE_BATCH = 1000
HISTORY_BATCH = 500  # events per message when a client catches up
GROUP_MAX = 200  # commands applied in one transaction at most (the others wait for the next)
_RESUME_PAGE = 100  # events of the log read at a time for a resume, after which it waits as long as it took
_RESUME_SLICE = 25  # events worded and sent at a time, between which others' commands run
_GIVE_WAY = 0.05  # seconds a resume's first page may wait for the exercise's commands (then: the last page's work)


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

    @property
    def issuer(self) -> str:
        """Whose ``command_id``s these are: the participant, or the umpire's (or observers') shared token."""
        return self.actor.participant or self.actor.role


@dataclass(frozen=True)
class Applied:
    """A command's result: the seq the log stood at after it, its events, and whether it had been applied before."""

    seq: int
    events: list[Event]
    duplicate: bool = False


@dataclass(eq=False)
class _Ticket:
    """One command waiting to be applied, and then its outcome (``applied`` or ``error``)."""

    command: object
    actor: Actor
    expected_seq: int | None
    command_id: str | None
    issuer: str
    also: Callable | None
    at: datetime | None
    applied: Applied | None = None
    error: BaseException | None = None
    done: bool = False


@dataclass
class _Decided:
    """A batch of commands decided: the state they left, their events, the command ids to store with them, and
    each ticket's outcome (``(ticket, applied, error)``), which counts only once they are committed."""

    state: ExerciseState
    last_at: datetime | None
    events: list[Event] = field(default_factory=list)
    remembered: list[tuple] = field(default_factory=list)  # (issuer, command_id, type, seq, at)
    outcomes: list[tuple] = field(default_factory=list)


class _NeedsTheLog(Exception):
    """A batch cannot be decided without reading the log (or writing a command's own rows)."""


@dataclass
class _Publication:
    events: list[Event]
    state: ExerciseState


@dataclass
class _Live:
    """One exercise in this process: its state, its writers' lock, and what is still to publish."""

    state: ExerciseState
    lock: threading.Lock = field(default_factory=threading.Lock)  # writers, in turn
    outbox: deque = field(default_factory=deque)  # committed, not yet published, in seq order
    publishing: threading.Lock = field(default_factory=threading.Lock)  # publication, and attaching readers
    feed: Feed = None  # what each perspective was last sent; moved on by publication only
    last_at: datetime | None = None  # when the last event folded into ``state`` happened
    snapshot_seq: int = 0  # the seq of the exercise's last snapshot (persistence/snapshots.py)
    last_hash: str | None = None  # the hash of the event at ``state.seq``, when this process wrote it
    queue: deque = field(default_factory=deque)  # commands waiting for a writer, in arrival order

    def __post_init__(self):
        self.feed = Feed(self.state)


def now() -> datetime:
    return datetime.now(timezone.utc)


def _seat_row(session, model, exercise_id: str, row_id: str | None):
    """The participant's (``ParticipantRow``) or staff seat's (``StaffRow``) row in this exercise, or None: an
    exercise imported on the server its original is on shares its people's ids, and only the original has
    their rows (services/exports.py)."""
    row = session.get(model, row_id) if row_id else None
    return row if row is not None and row.exercise_id == exercise_id else None


class ExerciseService:
    def __init__(self, db: Database, catalog: DeckCatalog, code_key: bytes = b""):
        """``code_key``: the key join and observer codes are hashed with (``tokens.code_key``).

        Each server process publishes to its own connections whatever the log holds, in seq order, its own
        commits and those of other processes (found when it catches up: at once when told of them, see
        ``follow``, else within the schedule's tick)."""
        self.db = db
        self.catalog = catalog
        self.code_key = code_key
        self.server = tokens.new_id()  # this process, in the presence table (services/presence.py)
        self.store = EventStore()
        self._listeners: list[Listener] = []
        self._committed: list[Callable[[str, int], None]] = []
        self._live: dict[str, _Live] = {}
        self._live_lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        """``listener(exercise_id, payloads)`` is called after each commit, in seq order per exercise, with
        one payload per perspective that has something new (see ``Feed.advance``)."""
        self._listeners.append(listener)

    def on_commit(self, hook: Callable[[str, int], None]) -> None:
        """``hook(exercise_id, seq)`` is called after this process commits events (to tell other processes)."""
        self._committed.append(hook)

    # ---- creating and admitting -------------------------------------------

    def create(self, deck_id: str, title: str | None = None, origin: str | None = None,
               leave_out: tuple[str, ...] | list[str] = ()) -> CreatedExercise:
        """A new exercise from deck ``deck_id``, with fresh secrets (shown once). ``origin``: "demo" for the
        exercise ``facilitator demo`` makes and keeps (the only one whose links it ever re-issues).
        ``leave_out``: delegations the deck marks ``optional`` to play without (``decks/variants.py``); the
        exercise stores the deck without them. Raises ``RuleError`` (``not_found``, ``too_long``, ``invalid``:
        a delegation that is unknown or not optional)."""
        loaded = self.catalog.get(deck_id)
        if loaded is None:
            raise RuleError("not_found", f"There is no scenario deck '{deck_id}'.", {"deck": "unknown"})
        title = clean_text(title, lines=False) or loaded.deck.title  # as every title: docs/protocol.md "Names and texts"
        if len(title) > 200:
            raise RuleError("too_long", "The title is over 200 characters.", {"title": "too long"})
        deck, data = loaded.deck, loaded.data
        if leave_out:
            deck, data = self._without(loaded, leave_out)
        umpire_token, observer_code = tokens.new_token(), tokens.new_code()
        join_codes = {d.id: tokens.new_code() for d in deck.delegations}
        exercise_id = tokens.new_id()
        with self.db.write() as session:
            session.add(ExerciseRow(id=exercise_id, deck_id=loaded.deck.id, title=title, deck=data,
                                    seed=secrets.token_hex(16), last_seq=0,
                                    umpire_token_hash=tokens.digest(umpire_token),
                                    observer_code_hash=tokens.code_digest(observer_code, self.code_key), created_at=now(),
                                    origin=origin))
            session.flush()
            session.add_all(SeatRow(exercise_id=exercise_id, delegation_id=d, join_code_hash=tokens.code_digest(c, self.code_key))
                            for d, c in join_codes.items())
        return CreatedExercise(exercise_id, title, loaded.deck.id, umpire_token, observer_code, join_codes)

    @staticmethod
    def _without(loaded, leave_out) -> tuple:
        optional = [d.id for d in loaded.deck.delegations if d.optional]
        wrong = [d for d in dict.fromkeys(leave_out) if d not in optional]
        if wrong:
            choices = ", ".join(optional) or "none in this deck"
            raise RuleError("invalid", f"Only optional delegations can be left out ({choices}), not "
                                       f"{', '.join(wrong)}.", {"leave_out": wrong})
        data = variants.leave_out(loaded.data, leave_out)
        try:
            return deck_from_data(data, f"{loaded.deck.id} without {', '.join(leave_out)}"), data
        except DeckInvalid as exc:  # a deck whose optional delegations cannot all go at once
            raise RuleError("invalid", f"The deck cannot be played without {', '.join(leave_out)}: "
                                       f"{exc.problems[0].message}", {"leave_out": list(leave_out)}) from None

    def reissue_codes(self, exercise_id: str) -> CreatedExercise:
        """New umpire token, observer code and join codes for an exercise (the old ones stop working); for
        ``facilitator demo``, on the demo exercise it made itself. Personal links are kept."""
        umpire_token, observer_code = tokens.new_token(), tokens.new_code()
        with self.db.write() as session:
            row = self._row(session, exercise_id)
            row.umpire_token_hash = tokens.digest(umpire_token)
            row.observer_code_hash = tokens.code_digest(observer_code, self.code_key)
            join_codes = {}
            for seat in session.scalars(select(SeatRow).where(SeatRow.exercise_id == exercise_id)):
                join_codes[seat.delegation_id] = code = tokens.new_code()
                seat.join_code_hash = tokens.code_digest(code, self.code_key)
            title, deck_id = row.title, row.deck_id
        return CreatedExercise(exercise_id, title, deck_id, umpire_token, observer_code, join_codes)

    def join(self, code: str, name: str) -> tuple[Identity, str]:
        """Seat a new participant in the delegation that ``code`` opens; returns them and their token.

        The name is normalised as docs/protocol.md ("Names and texts") says (``engine.guards.clean_name``);
        the normalised name is the one stored, shown and returned. It is refused (``RuleError``) when
        empty once normalised or too long (``invalid``, ``too_long``), reserved (``invalid``), or when it
        passes for the name of someone already seated, by case or by look (``name_taken``: compared by
        ``facilitator.names.name_keys``). An unknown code is ``bad_code``.
        """
        with self.db.read() as session:
            seat = session.scalar(select(SeatRow).where(SeatRow.join_code_hash == tokens.code_digest(code, self.code_key)))
        if seat is None:
            raise RuleError("bad_code", "That join code does not open any delegation. Check it and try again.",
                            {"code": "unknown"})
        participant_id, token = tokens.new_id(), tokens.new_token()
        shown_name = clean_name(name)
        actor = Actor(DELEGATION, seat.delegation_id, participant_id, shown_name)
        command = SeatParticipant(participant_id, shown_name, seat.delegation_id, name_keys=names.name_keys)

        def add_participant(session):  # runs only once the engine has accepted the name
            session.add(ParticipantRow(id=participant_id, exercise_id=seat.exercise_id,
                                       delegation_id=seat.delegation_id, display_name=shown_name,
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
            row = session.scalar(select(ExerciseRow).where(ExerciseRow.observer_code_hash == tokens.code_digest(token, self.code_key)))
            if row is not None:
                return Identity(row.id, Actor(OBSERVER, name="Observer"))
            seat = session.scalar(select(StaffRow).where(StaffRow.token_hash == tokens.digest(token)))
            if seat is not None:
                return Identity(seat.exercise_id, staff_actor(seat.id, seat.name, seat.role))
        return None

    def acting_for(self, identity: Identity, delegation: str) -> Identity:
        """Exercise control playing ``delegation`` (nobody seated in it): see ``engine.control.acting_for``."""
        return Identity(identity.exercise_id, acting_for(self.state(identity.exercise_id), identity.actor,
                                                         delegation))

    # ---- exercise control: staff, links, seats, archive ---------------------------------------------

    def add_staff(self, exercise_id: str, name: str, role: str, actor: Actor) -> tuple[str, str]:
        """Seat a named umpire or assistant; returns (staff id, their token, shown once). Raises ``RuleError``
        (``forbidden`` unless ``actor`` is the umpire; ``invalid``, ``too_long``, ``name_taken``)."""
        staff_id, token = tokens.new_id(), tokens.new_token()
        shown = clean_name(name)

        def add(session):
            session.add(StaffRow(id=staff_id, exercise_id=exercise_id, name=shown, role=role,
                                 token_hash=tokens.digest(token), created_at=now()))

        self.execute(exercise_id, SeatStaff(staff_id, shown, role), actor, also=add)
        return staff_id, token

    def reissue(self, exercise_id: str, kind: str, target: str | None, actor: Actor) -> str:
        """A new secret for one link of an exercise; the old one stops working at once. ``kind``: ``umpire``
        (the exercise's umpire token), ``observer`` (the observers' code), ``delegation`` (``target``'s join
        code), ``participant`` (``target``'s personal token: a student on a new device takes back their seat)
        or ``staff`` (a staff seat's token). Returns the new secret. Recorded as ``link_reissued``. Raises
        ``RuleError`` (``forbidden`` unless the umpire; ``not_found``; ``invalid``; ``conflict`` for a person
        with no seat on this server, see ``_seat_row``)."""
        secret = tokens.new_code() if kind in ("observer", "delegation") else tokens.new_token()

        def store(session):
            if kind == "umpire":
                self._row(session, exercise_id).umpire_token_hash = tokens.digest(secret)
            elif kind == "observer":
                self._row(session, exercise_id).observer_code_hash = tokens.code_digest(secret, self.code_key)
            elif kind == "delegation":
                seat = session.scalar(select(SeatRow).where(SeatRow.exercise_id == exercise_id,
                                                            SeatRow.delegation_id == target))
                seat.join_code_hash = tokens.code_digest(secret, self.code_key)
            else:
                seat = _seat_row(session, ParticipantRow if kind == "participant" else StaffRow, exercise_id, target)
                if seat is None:
                    raise RuleError("conflict", "This seat cannot have a link on this server: the exercise was "
                                                "imported here while the one it was exported from, with the same "
                                                "people, is here too.", {"target": "no seat here"})
                seat.token_hash = tokens.digest(secret)

        self.execute(exercise_id, ReissueLink(kind, target), actor, also=store)
        return secret

    def move_participant(self, exercise_id: str, participant: str, delegation: str, actor: Actor) -> None:
        """Seat ``participant`` in ``delegation`` instead (their connections are closed, to come back there)."""
        def store(session):
            row = _seat_row(session, ParticipantRow, exercise_id, participant)
            if row is not None:  # None: an imported participant with no seat here (they cannot connect)
                row.delegation_id = delegation

        self.execute(exercise_id, MoveParticipant(participant, delegation), actor, also=store)

    def remove_participant(self, exercise_id: str, participant: str, actor: Actor) -> None:
        """Take ``participant``'s seat away: their token stops working and their connections are closed."""
        def store(session):
            row = _seat_row(session, ParticipantRow, exercise_id, participant)
            if row is not None:
                session.delete(row)

        self.execute(exercise_id, RemoveParticipant(participant), actor, also=store)

    def archive(self, exercise_id: str, actor: Actor) -> None:
        """End the exercise if it runs, record it archived, and leave it out of ``list_exercises``."""
        def store(session):
            self._row(session, exercise_id).archived_at = now()

        self.execute(exercise_id, ArchiveExercise(), actor, also=store)

    def delete(self, exercise_id: str, actor: Actor) -> None:
        """Delete an exercise and its log for good, keeping one line in ``deletions`` (who, when, what).
        Raises ``RuleError`` (``forbidden`` unless the umpire, not an assistant; ``not_found``)."""
        chief(actor)
        live = self._get(exercise_id)
        with live.lock, self.db.write() as session:
            row = self._row(session, exercise_id)
            session.add(DeletionRow(exercise_id=row.id, title=row.title, deck_id=row.deck_id, events=row.last_seq,
                                    by=actor.name or actor.role, at=now()))
            session.delete(row)
        with self._live_lock:
            self._live.pop(exercise_id, None)
        log.warning("exercise %s (%s) deleted by %s", exercise_id, row.title, actor.name or actor.role)

    # ---- commands -------------------------------------------------------------------------------

    def execute(self, exercise_id: str, command, actor: Actor, expected_seq: int | None = None,
                command_id: str | None = None, issuer: str | None = None, also: Callable | None = None,
                at: datetime | None = None) -> Applied:
        """Decide ``command``, store its events, commit, then publish. Returns what was applied.

        ``expected_seq``: the seq the sender decided on (``stale`` if the log has moved since).
        ``command_id`` (with ``issuer``, whose id it is): a command already applied under that id is not
        applied again; its original result comes back with ``duplicate`` set. ``also(session)`` runs in
        the same transaction (e.g. the participant row of a join). ``at``: the time the command is decided at
        (default: now; the schedule's tests set it). Raises ``RuleError``.

        Commands to one exercise that arrive while another is being written wait in its queue, and the next
        writer applies all of them in one transaction (group commit): each is decided on the state the ones
        before it left, in arrival order, and gets its own outcome; one commit and one publication serve them
        all. A command refused by a rule costs the others nothing; one that breaks the transaction itself
        makes each of the group be applied again on its own.
        """
        live = self._get(exercise_id)
        ticket = _Ticket(command, actor, expected_seq, command_id, issuer or actor.role, also, at)
        live.queue.append(ticket)
        try:
            with live.lock:
                if not ticket.done:
                    time.sleep(0)  # let commands already received join this group (under gevent: they run now)
                while not ticket.done:  # (a long queue: groups of GROUP_MAX, in order, until ours)
                    self._write_queued(live)
        finally:
            if ticket.applied is not None and ticket.applied.events:
                self._tell(exercise_id, ticket.applied.seq)
            self._publish(live)  # never under the writers' lock: an emit may run a disconnect, which writes
        if ticket.error is not None:
            raise ticket.error
        return ticket.applied

    def _tell(self, exercise_id: str, seq: int) -> None:
        """Tell the other processes (``on_commit``) that the exercise stands at ``seq``, before this one publishes:
        they then publish to their connections while this one does to its own. The hooks queue what they send;
        ``time.sleep(0)`` lets it go now (under gevent, the bell's greenlet runs)."""
        for hook in self._committed:
            try:
                hook(exercise_id, seq)
            except Exception:  # the others still find it within a tick
                log.exception("telling other processes of seq %s of exercise %s failed", seq, exercise_id)
        if self._committed:
            time.sleep(0)

    def _write_queued(self, live: _Live) -> None:
        """Apply the first ``GROUP_MAX`` queued commands of ``live`` (the caller holds ``live.lock``); each of them
        is done on return."""
        batch = [live.queue.popleft() for _ in range(min(len(live.queue), GROUP_MAX))]  # the rest: their writers
        try:
            if len(batch) > 1:
                try:
                    self._apply(live, batch)
                    return
                except Exception:  # one of them broke the transaction (nothing was kept): each on its own
                    log.warning("a group of %s commands to exercise %s failed; applying each alone", len(batch),
                                live.state.exercise_id, exc_info=True)
                    for ticket in batch:
                        ticket.applied = ticket.error = None
            for ticket in batch:
                try:
                    self._apply(live, [ticket])
                except Exception as exc:
                    ticket.applied, ticket.error = None, exc
        finally:
            for ticket in batch:
                if ticket.applied is None and ticket.error is None:
                    ticket.error = RuleError("internal", "The command could not be applied.")
                ticket.done = True

    def _apply(self, live: _Live, batch: list[_Ticket]) -> None:
        """The write of ``execute`` for ``batch`` (the caller holds ``live.lock``): sets each ticket's
        ``applied`` or, for a refusal, its ``error``, once the write is committed; raises if it fails, whatever
        the exception (then no ticket has an outcome: none is told it was applied).

        On PostgreSQL a batch is first tried in one statement (``_apply_unlocked``); when that cannot be, or
        another process wrote meanwhile, it is applied in a transaction that locks the exercise first."""
        if self.db.is_sqlite or not self._apply_unlocked(live, batch):
            self._apply_locked(live, batch)

    def _apply_locked(self, live: _Live, batch: list[_Ticket]) -> None:
        """``_apply`` in a transaction: the exercise locked (writers in other processes wait), the log caught up
        if another process wrote, the batch's command ids looked up, the batch decided, stored and committed."""
        exercise_id = live.state.exercise_id
        with self.db.write() as session:
            last = self.store.lock(session, exercise_id)  # writers in other processes wait here
            state = live.state if last == live.state.seq else self._catch_up(session, live)
            keyed = [(t.issuer, t.command_id) for t in batch if t.command_id is not None]
            known = self.store.applied_many(session, exercise_id, keyed) if keyed else {}
            decided = self._decide(live, state, batch, known, session)
            last_hash = self.store.append(session, exercise_id, decided.events, state.seq, locked=True,
                                          previous_hash=live.last_hash, commands=decided.remembered)
            snapshot = decided.state.seq - live.snapshot_seq >= snapshots.EVERY
            if snapshot:  # in the same transaction: a snapshot never runs ahead of the log
                snapshots.save(session, decided.state, decided.last_at)
        self._applied(live, decided, last_hash, snapshot)

    def _apply_unlocked(self, live: _Live, batch: list[_Ticket]) -> bool:
        """PostgreSQL: ``_apply`` as one statement in autocommit, one round trip where the locked transaction
        takes five (BEGIN, the lock, the command ids' lookup, the append, COMMIT). The batch is decided on this
        process's state as it stands, and its events and command ids stored only if the log still stands there
        (``EventStore.append_unlocked``). Returns False, having stored nothing and set no outcome, when that
        cannot be: another process wrote (the state must be caught up first), a command id of the batch is
        stored already (a resend applied again here: the unique key refuses it), a command with an id was
        refused (perhaps a resend of one applied before, which the rules now refuse: its id must be looked up),
        a command needs its own rows written (``also``) or the log read (a ``stale`` check), the batch made no
        event (its refusals must be decided on the log as it stands), the database refused a value (a NUL in
        a command id: the locked path's lookup says so clearly), the hash of the last event is not known here,
        or a snapshot is due. In every case the locked path looks the batch's command ids up and answers a
        resend as a duplicate."""
        if live.last_hash is None or any(t.also is not None for t in batch):
            return False
        try:
            decided = self._decide(live, live.state, batch, {}, None)
        except _NeedsTheLog:
            return False
        if not decided.events or decided.state.seq - live.snapshot_seq >= snapshots.EVERY:
            return False
        if any(error is not None and ticket.command_id is not None for ticket, _, error in decided.outcomes):
            return False  # perhaps a resend of a command applied before, refused now: the lookup answers it
        try:
            with self.db.autocommit() as connection:
                last_hash = self.store.append_unlocked(connection, live.state.exercise_id, decided.events,
                                                       live.state.seq, live.last_hash, decided.remembered)
        except (StaleSequence, IntegrityError, DataError):  # (DataError: a text the locked path refuses clearly)
            return False
        self._applied(live, decided, last_hash, False)
        return True

    def _decide(self, live: _Live, state: ExerciseState, batch: list[_Ticket], known: dict,
                session) -> _Decided:
        """Decide each command of ``batch`` in turn on the state the one before it left, from ``state``;
        ``known``: the seq each ``(issuer, command_id)`` already stored was applied at (it is answered as a
        duplicate). ``session``: the write transaction, for a ``stale`` check that reads the log and for the
        ``also`` of a command; None raises ``_NeedsTheLog`` when one is needed.

        Without ``at``, events are dated now, but never before the log's last event: the log's times never go
        back (a clock stepped back, another process's clock a little ahead), which an import checks."""
        known = dict(known)
        decided = _Decided(state, live.last_at)
        for ticket in batch:
            key = (ticket.issuer, ticket.command_id)
            if ticket.command_id is not None and key in known:
                decided.outcomes.append((ticket, Applied(known[key], [], duplicate=True), None))
                continue
            at = ticket.at
            if at is None:
                at = now()
                if decided.last_at is not None and decided.last_at > at:
                    at = decided.last_at
            try:
                if ticket.expected_seq is not None and ticket.expected_seq != decided.state.seq:
                    self._check_not_stale(session, decided.state, ticket.command, ticket.expected_seq)
                made, after = run(decided.state, ticket.command, ticket.actor, at)
                if ticket.also is not None:
                    if session is None:
                        raise _NeedsTheLog()
                    with session.begin_nested():  # its rows go if it fails, and only its own
                        ticket.also(session)
            except (RuleError, presence.NotHeld) as exc:
                decided.outcomes.append((ticket, None, exc))
                continue
            decided.state = after
            decided.events.extend(made)
            if made:
                decided.last_at = made[-1].at
            decided.outcomes.append((ticket, Applied(after.seq, made), None))
            if ticket.command_id is not None:
                known[key] = after.seq  # the same id again in this group is a duplicate
                decided.remembered.append((ticket.issuer, ticket.command_id, ticket.command.TYPE, after.seq, at))
        return decided

    @staticmethod
    def _applied(live: _Live, decided: _Decided, last_hash: str | None, snapshot: bool) -> None:
        """``decided`` is committed: the outcomes count now, and ``live`` moves on (to publish)."""
        for ticket, applied, error in decided.outcomes:
            ticket.applied, ticket.error = applied, error
        if snapshot:
            live.snapshot_seq = decided.state.seq
        live.state = decided.state
        if decided.events:
            live.last_hash, live.last_at = last_hash, decided.last_at
            live.outbox.append(_Publication(decided.events, decided.state))

    def _check_not_stale(self, session, state: ExerciseState, command, expected_seq: int) -> None:
        """``stale`` if what ``command`` depends on moved since ``expected_seq``: for a command that names its
        conflicts (opening a phase, the clock), an event of those types; for any other, any event. Reading the
        log for those types with no ``session`` raises ``_NeedsTheLog``."""
        stale = RuleError("stale", f"The exercise has moved on (seq {state.seq}, you acted on {expected_seq}); "
                                   "look again and retry.", {"seq": state.seq})
        if expected_seq > state.seq or not command.CONFLICTS:
            raise stale
        if session is None:
            raise _NeedsTheLog()
        if self.store.any_of(session, state.exercise_id, command.CONFLICTS, after=expected_seq):
            raise stale

    def clear_presence(self) -> int:
        """Mark everyone disconnected in every exercise where someone was (at start-up: no connection survives)."""
        with self.db.read() as session:
            touched = session.scalars(select(EventRow.exercise_id).distinct()
                                      .where(EventRow.type == "participant_connected")).all()
        return sum(len(self.execute(exercise_id, ClearPresence(), UMPIRE_ACTOR).events) for exercise_id in touched)

    def mark_presence(self, identity: Identity, connected: bool) -> None:
        """One of a participant's connections to this process opened or closed: in the log (the total over
        every process) and in this process's own count (services/presence.py)."""
        actor = identity.actor
        if actor.role == DELEGATION and actor.participant:
            def count(session):
                presence.count(session, self.server, identity.exercise_id, actor.participant, 1 if connected else -1)
            try:
                self.execute(identity.exercise_id, MarkPresence(actor.participant, connected), actor, also=count)
            except presence.NotHeld:  # taken away already, with the rest of this process's connections
                pass

    # ---- publishing ---------------------------------------------------------------------------------

    def _publish(self, live: _Live) -> None:
        """Publish what ``live`` has committed, unless another thread is at it (it will publish ours too)."""
        while live.outbox:
            if not live.publishing.acquire(blocking=False):
                return
            try:
                self._drain(live)
            finally:
                live.publishing.release()

    def _drain(self, live: _Live) -> None:
        """Publish everything in the outbox, in order (the caller holds ``live.publishing``)."""
        while live.outbox:
            publication = live.outbox.popleft()
            try:
                payloads = live.feed.advance(publication.events, publication.state)
                if payloads:
                    for listener in self._listeners:
                        listener(publication.state.exercise_id, payloads)
            except Exception:  # committed is committed: a failed publication must not fail the command
                log.exception("publishing seq %s of exercise %s failed", publication.state.seq,
                              publication.state.exercise_id)

    @contextmanager
    def _attaching(self, live: _Live) -> Iterator[None]:
        """Hold publication still (for a reader joining the live stream), then publish what waited meanwhile."""
        live.publishing.acquire()
        try:
            self._drain(live)
            yield
        finally:
            live.publishing.release()
        self._publish(live)

    def attach(self, identity: Identity, last_seq: int | None, deliver: Callable[[dict, list[list[dict]]], None],
               send_history: Callable[[list[dict]], None]) -> int:
        """Bring one connection up to date and into the live stream, with nothing lost or repeated.

        History from far back (the events the connection may see with ``last_seq < seq <= P``, P the seq
        published when it asked) is read ``_RESUME_PAGE`` events at a time and sent ``_RESUME_SLICE`` at a time
        (``send_history(batch)``), holding nothing: the log up to what was published never changes, and the
        exercise's other connections get their updates meanwhile. Before each page and slice it gives way to
        the exercise's commands being written or waiting (in all for at most as long as the page before it
        took to read and send), and after each page it pauses as long as the page took to read and send: a
        resume takes about twice its time alone, at most three times however busy the exercise (a history of
        100,000 events about 14 s), and others' commands are not slowed.
        Then, with publication held still, calls ``deliver(sync, history)`` once: ``sync`` is the connection's ``sync`` payload (its perspective's view
        as last published, at seq S), ``history`` the few events it may see with ``P < seq <= S``, in batches
        (no history at all if ``last_seq`` is None; a client that saw more than the log holds is given the
        log's end). ``deliver`` must send both and join the perspective's room before returning: every later
        publication reaches it. Returns S.
        """
        live = self._get(identity.exercise_id)
        with live.lock, self.db.read() as session:
            self._catch_up(session, live)  # a fresh process, or another one's commits: the feed follows
        self._publish(live)
        deck, read = live.state.deck, last_seq
        if last_seq is not None:
            published = live.feed.seq  # only grows; everything up to it is committed for good
            allowance = _GIVE_WAY  # seconds a page may spend giving way: the first's, then the last page's work
            while read < published:
                worked = waited = 0.0
                upto = min(read + _RESUME_PAGE, published)
                waited += self._give_way(live, allowance - waited)
                began = time.monotonic()
                found = self.events(identity.exercise_id, identity.actor, read, upto)
                worked += time.monotonic() - began
                for i in range(0, len(found), _RESUME_SLICE):  # worded and sent a slice at a time, others between
                    began = time.monotonic()
                    send_history([e.to_dict(deck) for e in found[i:i + _RESUME_SLICE]])
                    worked += time.monotonic() - began
                    waited += self._give_way(live, allowance - waited)
                read, allowance = upto, worked
                if read < published:  # others' commands run between pages: a pause as long as the page's work
                    time.sleep(worked)
        with self._attaching(live):
            sync = live.feed.sync(identity.actor, now())
            seq = live.feed.seq
            rest = []
            if last_seq is not None and read < seq:
                rest = [e.to_dict(deck) for e in self.events(identity.exercise_id, identity.actor, read, seq)]
            deliver(sync, [rest[i:i + HISTORY_BATCH] for i in range(0, len(rest), HISTORY_BATCH)])
        return seq

    @staticmethod
    def _give_way(live: _Live, budget: float) -> float:
        """Let others run once, and the exercise's commands go first: wait while one is being written or waits,
        for at most ``budget`` seconds. Returns the seconds it took."""
        began = time.monotonic()
        time.sleep(0)
        while (live.queue or live.lock.locked()) and time.monotonic() - began < budget:
            time.sleep(0.001)
        return time.monotonic() - began

    # ---- reading ------------------------------------------------------------------------------------

    def state(self, exercise_id: str) -> ExerciseState:
        """The current state, caught up with anything other processes appended."""
        live = self._get(exercise_id)
        with live.lock, self.db.read() as session:
            state = self._catch_up(session, live)
        self._publish(live)
        return state

    def states(self, exercise_ids) -> dict[str, ExerciseState]:
        """The current state of each of ``exercise_ids`` that exists (a deleted one is left out), caught up with
        what other processes appended: one read of their last seqs, then the log read, and what it adds
        published, only for those behind; anything committed but not yet published goes out too. For the
        schedule's tick (services/schedule.py): reading every held exercise's log each second held a process
        of 40 classes for 11 ms a second."""
        wanted = sorted(set(exercise_ids))
        if not wanted:
            return {}
        with self.db.read() as session:
            stored = dict(session.execute(select(ExerciseRow.id, ExerciseRow.last_seq)
                                          .where(ExerciseRow.id.in_(wanted))).all())
        found = {}
        for exercise_id in wanted:
            if exercise_id not in stored:
                continue
            try:
                live = self._get(exercise_id)
                if live.state.seq >= stored[exercise_id]:
                    found[exercise_id] = live.state
                    self._publish(live)  # what a failed publication left waiting goes out within a tick
                else:
                    found[exercise_id] = self.state(exercise_id)
            except RuleError:  # deleted meanwhile
                continue
        return found

    def follow(self, commits: dict[str, int]) -> None:
        """Other processes committed: ``{exercise_id: seq}``, each exercise up to that seq. Those this process
        holds and is behind on are caught up, all of them by one read of the log (one statement on PostgreSQL),
        and published now; the others are left alone. If that read fails, each is read on its own; an exercise
        that cannot be caught up is logged and costs the others nothing (the schedule's next tick tries again)."""
        with self._live_lock:
            behind = {exercise_id: live for exercise_id, seq in commits.items()
                      if (live := self._live.get(exercise_id)) is not None and live.state.seq < seq}
        if not behind:
            return
        found = None
        try:
            with self.db.read() as session:  # no lock held: each exercise's own is taken to fold what was read
                found = self.store.load_after(session, {exercise_id: live.state.seq
                                                        for exercise_id, live in behind.items()})
        except Exception:
            log.exception("reading %s exercises' new events at once failed; reading each alone", len(behind))
        for exercise_id, live in behind.items():
            try:
                with live.lock:
                    with self._live_lock:
                        if self._live.get(exercise_id) is not live:  # deleted meanwhile (or loaded afresh)
                            continue
                    if found is None or not self._fold(live, found.get(exercise_id, ())):
                        with self.db.read() as session:
                            self._catch_up(session, live)
                self._publish(live)
            except Exception:  # the others are still followed; this one at the schedule's next tick
                log.exception("catching up exercise %s failed", exercise_id)

    def loaded(self) -> set[str]:
        """The exercises this process holds in memory (those it served since it started)."""
        with self._live_lock:
            return set(self._live)

    def deck(self, exercise_id: str):
        """The deck an exercise is played with (as it was when the exercise was created)."""
        return self._get(exercise_id).state.deck

    def events(self, exercise_id: str, viewer: Actor, after: int = 0, upto: int | None = None) -> list[Event]:
        """The stored events ``viewer`` may see, in order."""
        with self.db.read() as session:
            return visible_events(self.store.load(session, exercise_id, after, upto), viewer)

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
                found += visible_events(batch, viewer)
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
                                      "members": sum(1 for p in state.participants.members.values()
                                                      if p.delegation == d.id)}
                                     for d in state.deck.delegations]})
        return info

    def list_exercises(self, archived: bool = False) -> list[dict]:
        """Exercises, newest first: ``{id, title, deck, created_at, last_seq, origin, archived}``; archived
        ones only with ``archived``."""
        query = select(ExerciseRow.id, ExerciseRow.title, ExerciseRow.deck_id, ExerciseRow.created_at,
                       ExerciseRow.last_seq, ExerciseRow.origin, ExerciseRow.archived_at)
        if not archived:
            query = query.where(ExerciseRow.archived_at.is_(None))
        with self.db.read() as session:
            rows = session.execute(query.order_by(ExerciseRow.created_at.desc())).all()
        return [{"id": r.id, "title": r.title, "deck": r.deck_id, "created_at": r.created_at.isoformat(),
                 "last_seq": r.last_seq, "origin": r.origin, "archived": r.archived_at is not None} for r in rows]

    # ---- internals ------------------------------------------------------------

    def _row(self, session, exercise_id: str) -> ExerciseRow:
        row = session.get(ExerciseRow, exercise_id)
        if row is None:
            raise RuleError("not_found", f"There is no exercise '{exercise_id}'.", {"exercise": "unknown"})
        return row

    def _get(self, exercise_id: str) -> _Live:
        with self._live_lock:
            live = self._live.get(exercise_id)
        if live is not None:
            return live
        last_at, snapshot_seq = None, 0
        with self.db.read() as session:
            row = self._row(session, exercise_id)
            deck = stored_deck(row.deck, f"exercise {exercise_id}")
            state = initial_state(deck, row.seed, row.id, row.title)
            found = snapshots.latest(session, exercise_id, deck, row.last_seq)
            if found is not None:  # fold only what came after it
                state, last_at = found
                snapshot_seq = state.seq
        with self._live_lock:
            return self._live.setdefault(exercise_id, _Live(state, last_at=last_at, snapshot_seq=snapshot_seq))

    def _catch_up(self, session, live: _Live) -> ExerciseState:
        """Fold what was appended since ``live.state`` (by another process); queued so feeds stay in step.

        The caller holds ``live.lock``."""
        self._fold(live, self.store.load(session, live.state.exercise_id, after=live.state.seq))
        return live.state

    @staticmethod
    def _fold(live: _Live, events) -> bool:
        """Fold ``events`` read from the log (the caller holds ``live.lock``), those ``live`` does not hold yet
        (this process may have read or written some since they were read), and queue their publication.
        Returns False, folding nothing, if they do not follow on from ``live.state``: a read that missed some,
        which the log's order rules out; the caller then reads again rather than fold across a gap."""
        found = [event for event in events if event.seq > live.state.seq]
        if not found:
            return True
        if found[0].seq != live.state.seq + 1:
            return False
        state = live.state
        for event in found:
            state = evolve(state, event)
        live.state, live.last_at, live.last_hash = state, found[-1].at, None
        live.outbox.append(_Publication(found, state))
        return True
