"""Replay: the exercise as one perspective saw it at any moment, its timeline and its indicators over time.

Everything here is derived from the stored log and shown through the one visibility boundary
(``engine.visibility``): a perspective's replay holds exactly what that perspective was told, live.

Seeking is fast on long logs because the log of an exercise is folded once into **snapshots**: the state
every ``SNAPSHOT_EVERY`` events, kept in memory. They are never the source of truth: they are built from the
log on first use (and after a restart, or an engine upgrade, since they live only in this process), extended
as the log grows, and a seek folds at most ``SNAPSHOT_EVERY - 1`` stored events onto the nearest one. The same
pass records what the timeline needs (the moments to jump to, the played time of each event, the indicator,
trust and readiness values as they moved).
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import select

from facilitator.decks.loader import stored_deck
from facilitator.engine import Actor, Audience, ExerciseState, evolve, initial_state, view_state, visible_events
from facilitator.engine.errors import RuleError
from facilitator.engine.indicators import indicator_audience, relation_audience
from facilitator.engine.visibility import PUBLIC, perspective_for, replay_keys, sees
from facilitator.persistence import Database, EventStore
from facilitator.persistence.models import ExerciseRow

SNAPSHOT_EVERY = 250  # events between two snapshots: a seek folds fewer than this many
KEEP = 6  # exercises whose folded log stays in memory (least recently used go first)
_BATCH = 5000  # events read at a time while folding

# The moments a replay can jump to, by kind, and the events that make them.
JUMPS = {
    "phase": ("phase_advanced", "exercise_ended"),
    "inject": ("inject_fired",),
    "signal": ("signal_played", "signal_reciprocated"),
    "agreement": ("proposal_signed", "agreement_entered_into_force"),
    "adjudication": ("move_adjudicated", "ceasefire_risk_drawn"),
    "ceasefire": ("ceasefire_began", "ceasefire_incident", "ceasefire_collapsed", "epilogue_drawn"),
}
_KIND_OF = {type_: kind for kind, types in JUMPS.items() for type_ in types}


@dataclass(frozen=True, slots=True)
class _Moment:
    seq: int
    played: float
    kind: str
    type: str
    title: str
    audience: Audience


@dataclass
class _Folded:
    """One exercise's log folded once (derived; rebuilt when missing)."""

    state: ExerciseState  # at the last seq folded
    every: int  # events between two snapshots
    snapshots: list[ExerciseState]  # snapshots[i]: the state at seq i * every
    seqs: list[int] = field(default_factory=list)  # every event's seq, in order
    played: list[float] = field(default_factory=list)  # its played time (seconds since the first phase)
    audiences: list[Audience] = field(default_factory=list)  # who was told of it
    moments: list[_Moment] = field(default_factory=list)
    indicators: list[tuple[int, float, str, int]] = field(default_factory=list)  # (seq, played, id, value)
    relations: list[tuple[int, float, tuple[str, str], int, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fold(self, events) -> None:
        """Fold ``events`` (the next ones of the log, in order) in, noting snapshots and the timeline."""
        state = self.state
        for event in events:
            before = state
            state = evolve(state, event)
            played = round(state.clock.exercise_played_at(event.at), 3)
            self.seqs.append(event.seq)
            self.played.append(played)
            self.audiences.append(event.audience)
            kind = _KIND_OF.get(event.type)
            if kind is not None:
                self.moments.append(_Moment(event.seq, played, kind, event.type,
                                            event.payload.describe(state.deck).title, event.audience))
            if state.indicators is not before.indicators:
                self.indicators += [(event.seq, played, key, value) for key, value in state.indicators.items()
                                    if before.indicators.get(key) != value]
            if state.relations is not before.relations:
                self.relations += [(event.seq, played, key, r.trust, r.readiness)
                                   for key, r in state.relations.items() if before.relations.get(key) != r]
            if event.seq % self.every == 0:
                self.snapshots.append(state)
        self.state = state

    def played_at(self, seq: int) -> float:
        index = bisect.bisect_right(self.seqs, seq) - 1
        return self.played[index] if index >= 0 else 0.0


class ReplayService:
    """Replays, timelines and charts of stored exercises, for the perspectives an asker may take."""

    def __init__(self, db: Database, store: EventStore | None = None, keep: int = KEEP, every: int = SNAPSHOT_EVERY):
        self.db, self.store, self.keep, self.every = db, store or EventStore(), keep, every
        self._folded: OrderedDict[str, _Folded] = OrderedDict()
        self._lock = threading.Lock()

    # ---- reading --------------------------------------------------------------------------------------

    def replay(self, exercise_id: str, viewer: Actor, key: str, seq: int | None = None, after: int | None = None,
               step: int = 0, history: int = 0, channel: str | None = None) -> dict:
        """The exercise as perspective ``key`` saw it at ``seq`` (default: now).

        Takes: ``viewer`` (who asks), ``key`` (``umpire``, ``observers``, ``public``, ``d:<delegation>``),
        ``seq`` (0 to the last seq); ``step`` +1/-1 moves from ``seq`` to the next/previous event that
        perspective was told of; ``after``: also the events it was told of with ``after < seq' <= seq``;
        ``history``: also the last ``history`` events (at most 500) it was told of up to ``seq`` (of one
        ``channel`` if given), for the chat as it stood.
        Returns ``{perspective, seq, last_seq, played, state, events, history, more}``; ``state`` as a
        ``sync`` carries it, ``played`` the seconds of play at ``seq``.
        Raises ``RuleError``: ``forbidden`` for a perspective ``viewer`` may not take (see
        ``engine.visibility.replay_keys``), ``invalid`` for an unknown one or a seq beyond the log,
        ``not_found`` for an unknown exercise.
        """
        folded = self._fold(exercise_id)
        as_viewer = self._perspective(folded, viewer, key)
        last = folded.state.seq
        upto = last if seq is None else seq
        if not 0 <= upto <= last:
            raise RuleError("invalid", f"The log runs from 0 to {last}.", {"seq": f"0 to {last}"})
        if step:
            upto = self._step(folded, as_viewer, upto, step)
        base = folded.snapshots[min(upto // folded.every, len(folded.snapshots) - 1)]
        with self.db.read() as session:
            found = self.store.load(session, exercise_id, after=min(base.seq, after if after is not None else upto),
                                    upto=upto) if upto > base.seq or after is not None else []
        state = base
        for event in found:
            if event.seq > base.seq:
                state = evolve(state, event)
        deck = state.deck
        told = [e.to_dict(deck) for e in visible_events(found, as_viewer) if after is not None and e.seq > after]
        out = {"perspective": key, "seq": upto, "last_seq": last, "played": folded.played_at(upto),
               "state": view_state(state, as_viewer), "events": told, "history": [], "more": False}
        if history:
            out["history"], out["more"] = self._history(exercise_id, as_viewer, deck, upto, min(history, 500),
                                                        channel)
        return out

    def timeline(self, exercise_id: str, viewer: Actor, key: str) -> dict:
        """What a replay screen needs to move through the exercise as perspective ``key``.

        Returns ``{perspective, last_seq, played, steps: {seq: [...], played: [...]}, moments: [{seq,
        played, kind, type, title}], series: [{id, kind, name, min, max, points: [[played, value, seq]]}]}``:
        ``steps`` every event the perspective was told of with its played time (seconds since the first phase);
        ``moments`` those to jump to (``kind``: phase, inject, signal, agreement, adjudication, ceasefire,
        bookmark);
        ``series`` each indicator, trust and readiness pair it may see, a point at each change (the seq of the
        event that moved it). Bookmarks are those the perspective may see, wherever in the log they were added.
        Raises as ``replay``.
        """
        folded = self._fold(exercise_id)
        as_viewer = self._perspective(folded, viewer, key)
        with folded.lock:
            state, count = folded.state, len(folded.seqs)
            seqs, played, audiences = folded.seqs[:count], folded.played[:count], folded.audiences[:count]
            moments, indicators, relations = list(folded.moments), list(folded.indicators), list(folded.relations)
        deck = state.deck
        shown = [i for i, audience in enumerate(audiences) if sees(as_viewer, audience)]
        marks = [{"seq": m.seq, "played": m.played, "kind": m.kind, "type": m.type, "title": m.title}
                 for m in moments if sees(as_viewer, m.audience)]
        by_seq = {seq: played[i] for i, seq in enumerate(seqs)}
        for mark in state.bookmarks.values():
            if sees(as_viewer, mark.audience):
                marks.append({"seq": mark.at, "played": by_seq.get(mark.at, 0.0), "kind": "bookmark",
                              "type": mark.kind, "title": mark.text, "id": mark.id})
        marks.sort(key=lambda m: m["seq"])
        series = []
        for indicator in deck.indicators:
            if sees(as_viewer, indicator_audience(indicator)):
                points = [[0.0, indicator.start, 0]] + [[p, v, s] for s, p, i, v in indicators if i == indicator.id]
                series.append({"id": f"indicator:{indicator.id}", "kind": "indicator", "name": indicator.name,
                               "min": indicator.min, "max": indicator.max, "points": points})
        initial = initial_state(deck).relations
        for pair_key in sorted(set(initial) | {r[2] for r in relations}):
            if not sees(as_viewer, relation_audience(pair_key)):
                continue
            names = " – ".join(deck.delegation(d).name for d in pair_key)
            start = initial.get(pair_key)
            moves = [r for r in relations if r[2] == pair_key]
            for what, index, low, high in (("trust", 3, 0, 100), ("readiness", 4, 0, len(deck.readiness_ladder) - 1)):
                points = ([[0.0, getattr(start, what), 0]] if start is not None else []) + \
                    [[move[1], move[index], move[0]] for move in moves]
                series.append({"id": f"{what}:{'~'.join(pair_key)}", "kind": what, "name": f"{what.capitalize()}: "
                               f"{names}", "min": low, "max": high, "points": points})
        return {"perspective": key, "last_seq": state.seq, "played": played[-1] if played else 0.0,
                "steps": {"seq": [seqs[i] for i in shown], "played": [played[i] for i in shown]},
                "moments": marks, "series": series}

    def state_at(self, exercise_id: str, seq: int) -> ExerciseState:
        """The engine state after event ``seq`` (for the report and the debrief, which show it through the
        boundary themselves)."""
        folded = self._fold(exercise_id)
        base = folded.snapshots[min(seq // folded.every, len(folded.snapshots) - 1)]
        with self.db.read() as session:
            found = self.store.load(session, exercise_id, after=base.seq, upto=seq) if seq > base.seq else []
        state = base
        for event in found:
            state = evolve(state, event)
        return state

    def forget(self, exercise_id: str) -> None:
        """Drop an exercise's snapshots (they are rebuilt from the log when next needed)."""
        with self._lock:
            self._folded.pop(exercise_id, None)

    # ---- internals ------------------------------------------------------------------------------------

    def _perspective(self, folded: _Folded, viewer: Actor, key: str) -> Actor:
        return take_perspective(viewer, key, folded.state.deck)

    def _step(self, folded: _Folded, as_viewer: Actor, seq: int, step: int) -> int:
        """The seq of the next (``step`` > 0) or previous event ``as_viewer`` was told of, from ``seq`` (``seq``
        itself when there is none)."""
        seqs, audiences = folded.seqs, folded.audiences
        if step > 0:
            for i in range(bisect.bisect_right(seqs, seq), len(seqs)):
                if sees(as_viewer, audiences[i]):
                    return seqs[i]
            return seq
        for i in range(bisect.bisect_left(seqs, seq) - 1, -1, -1):
            if sees(as_viewer, audiences[i]):
                return seqs[i]
        return 0

    def _history(self, exercise_id: str, as_viewer: Actor, deck, upto: int, limit: int, channel: str | None):
        """The last ``limit`` events ``as_viewer`` was told of up to ``upto`` (oldest first) and whether there are
        older ones; read from the right end in growing batches, so it costs about what it returns."""
        found, high, batch_size = [], upto, max(4 * limit, 100)
        with self.db.read() as session:
            while len(found) <= limit and high > 0:
                batch = self.store.load(session, exercise_id, upto=high, channel=channel, newest_first=True,
                                        limit=batch_size)
                found += visible_events(batch, as_viewer)
                if len(batch) < batch_size:
                    break
                high, batch_size = batch[-1].seq - 1, min(batch_size * 2, _BATCH)
        more = len(found) > limit
        return [e.to_dict(deck) for e in reversed(found[:limit])], more

    def _fold(self, exercise_id: str) -> _Folded:
        """The exercise's folded log, built or extended to the last stored seq."""
        with self._lock:
            folded = self._folded.get(exercise_id)
            if folded is not None:
                self._folded.move_to_end(exercise_id)
        with self.db.read() as session:
            row = session.execute(select(ExerciseRow.last_seq).where(ExerciseRow.id == exercise_id)).first()
            if row is None:
                raise RuleError("not_found", f"There is no exercise '{exercise_id}'.", {"exercise": "unknown"})
            last = row.last_seq
            if folded is None:
                full = session.get(ExerciseRow, exercise_id)
                start = initial_state(stored_deck(full.deck, f"exercise {exercise_id}"), full.seed, full.id,
                                      full.title)
                folded = _Folded(start, self.every, [start])
                with self._lock:
                    folded = self._folded.setdefault(exercise_id, folded)
                    while len(self._folded) > self.keep:
                        self._folded.popitem(last=False)
            with folded.lock:
                while folded.state.seq < last:
                    batch = self.store.load(session, exercise_id, after=folded.state.seq, upto=last, limit=_BATCH)
                    if not batch:
                        break
                    folded.fold(batch)
        return folded


# ---- perspectives in words (replay, export and report alike) ------------------------------------------


def perspective_name(key: str, deck) -> str:
    """A perspective as a sentence names it: ``exercise control``, ``the observers``, ``the public``, or the
    delegation's name (its key when the deck has no such delegation)."""
    if key == "umpire":
        return "exercise control"
    if key == "observers":
        return "the observers"
    if key == PUBLIC:
        return "the public"
    delegation = deck.delegation(key[2:]) if key.startswith("d:") else None
    return delegation.name if delegation else key


def take_perspective(viewer: Actor, key: str, deck) -> Actor:
    """The viewer perspective ``key`` stands for, when ``viewer`` may take it (replay, export, report alike).
    Raises ``RuleError``: ``invalid`` for a key the exercise does not have, ``forbidden`` for one ``viewer`` may
    not take (``engine.visibility.replay_keys``); both say in words which ones it may take."""
    allowed = replay_keys(viewer, deck)
    as_viewer = perspective_for(key, deck)
    if as_viewer is None:
        raise RuleError("invalid", f"This exercise has no perspective '{str(key)[:40]}': see it as "
                        f"{perspective_choices(allowed, deck, with_keys=True)}.", {"as": "unknown perspective"})
    if key not in allowed:
        raise RuleError("forbidden", f"You may see this exercise as {perspective_choices(allowed, deck)}.",
                        {"as": key})
    return as_viewer


def perspective_choices(keys: list[str], deck, with_keys: bool = False) -> str:
    """The perspectives ``keys`` in words, each after "as" but the first: "Ukraine or as the public",
    "exercise control, as the observers, as Ukraine … or as the public"; ``with_keys``: each with its key in
    brackets ("Ukraine (d:ukraine)"), for a reader who has to type one."""
    words = [perspective_name(k, deck) + (f" ({k})" if with_keys else "") for k in keys]
    if len(words) < 2:
        return "".join(words)
    return ", as ".join(words[:-1]) + " or as " + words[-1]


def find_perspective(text: str, deck) -> str | None:
    """The key of the perspective ``text`` names, as a person types it (``None`` if none): ``umpire``,
    ``observers`` and ``public``; a delegation by its id, ``d:<id>`` or its name; whatever the case."""
    wanted = " ".join((text or "").split()).casefold()
    if wanted in ("umpire", "observers", PUBLIC):
        return wanted
    bare = wanted[2:].strip() if wanted.startswith("d:") else wanted
    for delegation in deck.delegations:
        if bare in (delegation.id.casefold(), " ".join(delegation.name.split()).casefold()):
            return f"d:{delegation.id}"
    return None


def describe_played(seconds: float) -> str:
    """``h:mm:ss`` of played time."""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


