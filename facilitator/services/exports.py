"""An exercise's log exported, and imported back: JSON Lines (lossless, importable) and CSV (for a spreadsheet).

``export_jsonl`` and ``export_csv`` stream what one perspective was told, through the one visibility boundary
(``engine.visibility``: ``replay_keys`` says which perspectives a viewer may take, ``perspective_for`` who a
perspective is, ``sees`` which events it was told of). The log is read in batches of ``BATCH`` events, never
whole. With ``pseudonymise``, participants' and staff's names become stable aliases everywhere
(``Pseudonyms``). ``import_jsonl`` reads a full export (exercise control's perspective, not pseudonymised),
checks its deck and its hash chain event by event (``persistence.integrity``), and, since the chain has no key,
every event as strictly as the server would have made it (``_Rules``); it folds every event, checks that every
perspective's view can be built, and stores the exercise under new secrets, in one transaction: all of it or
nothing. docs/exports.md describes both formats for the people who use them.
"""

from __future__ import annotations

import collections.abc
import csv
import dataclasses
import hashlib
import io
import json
import math
import re
import typing
import unicodedata
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import UnionType
from typing import Iterable, Iterator
from urllib.parse import quote

from sqlalchemy import String, cast, insert, select

from facilitator.decks import DeckInvalid, deck_from_data, stored_deck
from facilitator.engine import EVENTS, MAX_NAME, MAX_TEXT, MAX_TITLE, Actor, Audience, Event, RuleError, evolve, \
    initial_state, load_event, pair, perspectives, view_sections, view_state
from facilitator.engine.adjudication import RULINGS
from facilitator.engine.audience import ASSISTANT, DELEGATION, ROLES, UMPIRE
from facilitator.engine.channels import POLICIES as BACKCHANNEL_POLICIES
from facilitator.engine.clock import CLOCK_MOVES
from facilitator.engine.control import LINK_KINDS
from facilitator.engine.core import from_plain, hints
from facilitator.engine.core import names as delegation_names
from facilitator.engine.deck import DELIVERIES, EVERYONE, UMPIRE_ONLY
from facilitator.engine.guards import clean_text
from facilitator.engine.injects import FIRED, KINDS as INJECT_KINDS, MAX_DATE, MAX_SENDER, PENDING, SKIPPED
from facilitator.engine.visibility import PUBLIC, perspective_key, replay_keys, sees
from facilitator.persistence import Database
from facilitator.persistence.integrity import Chain
from facilitator.persistence.store import EventStore
from facilitator.persistence.models import EventRow, ExerciseRow, ParticipantRow, SeatRow, StaffRow

from . import tokens
from .exercises import CreatedExercise, now
from .replay import take_perspective

FORMAT = "facilitator-exercise"
VERSION = 1
FORMATS = ("jsonl", "csv")
BATCH = 2000  # events read (or stored) at a time
CSV_COLUMNS = ("seq", "time", "played time", "phase", "type", "actor", "delegation", "audience", "channel", "text",
               "summary")
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet may take a cell starting with one of these for a formula
BOM = "\ufeff"
_MACHINE_CELLS = {CSV_COLUMNS.index(c) for c in ("seq", "time", "played time", "type", "audience")}  # never a name
MEDIA_TYPES = {"jsonl": "application/jsonl; charset=utf-8", "csv": "text/csv; charset=utf-8"}
_EXERCISE_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_HASH = re.compile(r"[0-9a-f]{64}")
_NAMED = ("participant_seated", "staff_seated")  # the events that bring a name into the exercise
_EVENT_FIELDS = ("seq", "type", "version", "at", "actor", "audience", "data", "hash")


# ---- what an export is made of -----------------------------------------------------------------------


def deck_hash(deck_data: dict) -> str:
    """SHA-256 (hex) of a deck's canonical JSON: keys sorted, no spaces, UTF-8 (as the log's hash chain)."""
    canonical = json.dumps(deck_data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def export_filename(title: str, exercise_id: str, fmt: str, perspective: str | None = None,
                    pseudonymised: bool = False) -> str:
    """``<title-slug>-<id>[-<perspective>][-pseudonymised].<fmt>``: the title's ASCII letters and digits
    joined by hyphens (``exercise`` if none); the perspective (``ukraine`` for ``d:ukraine``, ``public``,
    ``observers``) unless it is exercise control's, so that no two kinds of export share a name."""
    def slug(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
                      .lower()).strip("-")[:80]

    return f"{slug(title) or 'exercise'}-{exercise_id}{_variant(perspective, pseudonymised, slug)}.{fmt}"


def content_disposition(title: str, exercise_id: str, fmt: str, perspective: str | None = None,
                        pseudonymised: bool = False) -> str:
    """The ``Content-Disposition`` of an export download: the ASCII file name (``export_filename``), and the
    title in UTF-8 for clients that read ``filename*``."""
    variant = _variant(perspective, pseudonymised, lambda text: text.strip())
    utf8 = quote(f"{title.strip()[:80]}-{exercise_id}{variant}.{fmt}", safe="")
    ascii_name = export_filename(title, exercise_id, fmt, perspective, pseudonymised)
    return f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{utf8}'


def _variant(perspective: str | None, pseudonymised: bool, spelt) -> str:
    """What a file name adds for an export other than the full one: ``-<perspective>``, ``-pseudonymised``."""
    parts = [] if perspective in (None, UMPIRE) else [spelt(perspective.removeprefix("d:")) or "perspective"]
    return "".join(f"-{p}" for p in parts + (["pseudonymised"] if pseudonymised else []))


class Pseudonyms:
    """Real names -> stable aliases, replaced wherever they appear.

    Participants are "<delegation name>-<n>", numbered per delegation in the order they joined (the
    delegation they joined, even if moved later); staff seats "Umpire-<n>" and "Assistant-<n>". A name
    is replaced wherever it appears as a whole word (not inside a longer word), whatever its case: in
    actors' names ("Jane (assistant)" becomes "Assistant-1 (assistant)"), in the events' fields that
    hold names and in free texts. One alias per name: two people who held the same name in turn share it.
    """

    def __init__(self, aliases: dict[str, str]):
        """``aliases``: real name -> alias."""
        self.aliases = dict(aliases)
        self._by_key = {name.casefold(): alias for name, alias in aliases.items()}
        ordered = sorted(aliases, key=len, reverse=True)  # "Anna Maria" before "Anna"
        self._pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in ordered) + r")(?!\w)",
                                   re.IGNORECASE) if ordered else None

    @classmethod
    def of_log(cls, session, exercise_id: str, deck, upto: int) -> "Pseudonyms":
        """The aliases of everyone seated in an exercise's log up to seq ``upto`` (participants and staff)."""
        rows = session.execute(select(EventRow.type, EventRow.data)
                               .where(EventRow.exercise_id == exercise_id, EventRow.type.in_(_NAMED),
                                      EventRow.seq <= upto).order_by(EventRow.seq))
        aliases: dict[str, str] = {}
        taken: set[str] = set()
        numbers: Counter = Counter()
        for type_, data in rows:
            name = data.get("name")
            if not isinstance(name, str) or not name.strip() or name.casefold() in taken:
                continue
            if type_ == "participant_seated":
                delegation = deck.delegation(data.get("delegation") or "")
                label = delegation.name if delegation else str(data.get("delegation") or "Delegation")
            else:
                label = "Umpire" if data.get("role") == UMPIRE else "Assistant"
            numbers[label] += 1
            aliases[name] = f"{label}-{numbers[label]}"
            taken.add(name.casefold())
        return cls(aliases)

    def text(self, value: str) -> str:
        """``value`` with every real name replaced by its alias."""
        if self._pattern is None or not value:
            return value
        return self._pattern.sub(self._alias, value)

    def _alias(self, match: re.Match) -> str:
        found = match.group(0)
        alias = self._by_key.get(found.casefold())
        if alias is None:  # a case the regular expression folds differently
            alias = next(a for n, a in self.aliases.items() if re.fullmatch(re.escape(n), found, re.IGNORECASE))
        return alias

    def value(self, value):
        """Any JSON value with every string in it passed through ``text`` (keys are left as they are)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


@dataclass(frozen=True)
class _Export:
    """An export decided before its first line is written: everything that can refuse it is checked."""

    exercise_id: str
    title: str
    deck_id: str
    deck_data: dict
    deck: object
    seed: str
    created_at: datetime
    last_seq: int
    key: str  # the perspective's key
    viewer: Actor  # the perspective
    pseudonyms: Pseudonyms | None

    @property
    def full(self) -> bool:
        """The whole log, names and hashes as stored: the only export that can be imported."""
        return self.key == UMPIRE and self.pseudonyms is None


def _prepare(db: Database, exercise_id: str, viewer: Actor, key: str | None, pseudonymise: bool) -> _Export:
    """Check the exercise and the perspective. Raises ``RuleError``: ``not_found``, ``invalid`` (an unknown
    perspective), ``forbidden`` (one ``viewer`` may not take, as for a replay)."""
    with db.read() as session:
        row = session.get(ExerciseRow, exercise_id)
        if row is None:
            raise RuleError("not_found", f"There is no exercise '{exercise_id}'.", {"exercise": "unknown"})
        deck = stored_deck(row.deck, f"exercise {exercise_id}")
        key = key or replay_keys(viewer, deck)[0]
        as_viewer = take_perspective(viewer, key, deck)
        pseudonyms = Pseudonyms.of_log(session, exercise_id, deck, row.last_seq) if pseudonymise else None
        return _Export(row.id, row.title, row.deck_id, row.deck, deck, row.seed, row.created_at, row.last_seq, key,
                       as_viewer, pseudonyms)


# The stored columns, the JSON ones as their text: decoded only where needed (see ``_Audiences``).
_RAW = (EventRow.seq, EventRow.type, EventRow.version, EventRow.at, cast(EventRow.actor, String).label("actor"),
        cast(EventRow.audience, String).label("audience"), cast(EventRow.data, String).label("data"), EventRow.hash)


def _rows(db: Database, exercise_id: str, upto: int, columns=_RAW) -> Iterator:
    """The stored rows of an exercise's log with ``seq <= upto``, in seq order, read ``BATCH`` at a time
    (each batch in its own short read: the log is append-only, so the batches join up). ``actor``,
    ``audience`` and ``data`` come as JSON text."""
    after = 0
    while after < upto:
        with db.read() as session:
            batch = session.execute(select(*columns).where(EventRow.exercise_id == exercise_id, EventRow.seq > after,
                                                           EventRow.seq <= upto)
                                    .order_by(EventRow.seq).limit(BATCH)).all()
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].seq


class _Audiences:
    """Each stored audience (JSON text) decoded once, with whether the perspective was told of its events: an
    exercise has a few dozen distinct audiences for thousands of events."""

    def __init__(self, viewer: Actor):
        self.viewer = viewer
        self._seen: dict[str, tuple[dict, bool]] = {}

    def __call__(self, raw: str) -> tuple[dict, bool]:
        """(the audience as stored, whether the perspective is in it)."""
        found = self._seen.get(raw)
        if found is None:
            audience = json.loads(raw)
            found = self._seen[raw] = (audience, sees(self.viewer, Audience.from_dict(audience)))
        return found


def _decoded(raw: str | None):
    return None if raw is None else json.loads(raw)


# ---- JSON Lines --------------------------------------------------------------------------------------


class ExportLines:
    """The lines of one export, to iterate once (a generator's ``close`` included), and what a download of it
    needs: ``filename`` (``export_filename``), ``disposition`` and ``media_type``."""

    def __init__(self, lines: Iterator[str], export: _Export, fmt: str):
        self._lines = lines
        title = export.pseudonyms.text(export.title) if export.pseudonyms else export.title
        variant = {"perspective": export.key, "pseudonymised": export.pseudonyms is not None}
        self.filename = export_filename(title, export.exercise_id, fmt, **variant)
        self.disposition = content_disposition(title, export.exercise_id, fmt, **variant)
        self.media_type = MEDIA_TYPES[fmt]

    def __iter__(self) -> "ExportLines":
        return self

    def __next__(self) -> str:
        return next(self._lines)

    def close(self) -> None:
        self._lines.close()


def export_jsonl(db: Database, exercise_id: str, viewer: Actor, perspective: str | None = None,
                 pseudonymise: bool = False) -> ExportLines:
    """The exercise as JSON Lines, as perspective ``perspective`` was told of it: a header line, then one line
    per event (``{seq, type, version, at, actor, audience, data, hash}``, as stored). Each line ends in
    ``\\n``. See docs/exports.md.

    ``viewer`` (who asks) may take the perspectives ``replay_keys`` allows: exercise control any (``umpire``,
    the whole log, by default), a delegation's member ``d:<its id>`` (default) and ``public``, an observer
    ``public``. Only the ``umpire`` export without ``pseudonymise`` can be imported; the others carry no
    hashes, deck or seed (a hash would let a reader test guesses about what it was not told).

    Returns the lines (``ExportLines``), read from the log as they are iterated; the checks run before it is
    returned. Raises ``RuleError`` (``not_found``, ``invalid`` perspective, ``forbidden`` perspective).
    """
    export = _prepare(db, exercise_id, viewer, perspective, pseudonymise)
    return ExportLines(_jsonl_lines(db, export), export, "jsonl")


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _jsonl_lines(db: Database, export: _Export) -> Iterator[str]:
    full, pseudonyms = export.full, export.pseudonyms
    if full:
        count = export.last_seq
        with db.read() as session:
            last_hash = session.scalar(select(EventRow.hash).where(EventRow.exercise_id == export.exercise_id,
                                                                   EventRow.seq == export.last_seq))
    else:
        told = _Audiences(export.viewer)
        count = sum(1 for r in _rows(db, export.exercise_id, export.last_seq, _RAW[:1] + _RAW[5:6])
                    if told(r.audience)[1])
        last_hash = None
    title = pseudonyms.text(export.title) if pseudonyms else export.title
    yield _dump({"format": FORMAT, "version": VERSION, "exercise": export.exercise_id, "title": title,
                 "deck": export.deck_id, "deck_hash": deck_hash(export.deck_data),
                 "seed": export.seed if full else None, "created_at": export.created_at.isoformat(),
                 "perspective": export.key, "pseudonymised": pseudonyms is not None, "importable": full,
                 "events": count, "last_hash": last_hash,
                 "deck_data": export.deck_data if full else None}) + "\n"
    audiences = _Audiences(export.viewer)
    for r in _rows(db, export.exercise_id, export.last_seq):
        audience, told = audiences(r.audience)
        if not told:
            continue
        actor, data = _decoded(r.actor), json.loads(r.data)
        if pseudonyms is not None:
            actor, data = pseudonyms.value(actor), pseudonyms.value(data)
        yield _dump({"seq": r.seq, "type": r.type, "version": r.version, "at": r.at.isoformat(), "actor": actor,
                     "audience": audience, "data": data, "hash": r.hash if full else None}) + "\n"


# ---- CSV ---------------------------------------------------------------------------------------------


def export_csv(db: Database, exercise_id: str, viewer: Actor, perspective: str | None = None,
               pseudonymise: bool = False) -> ExportLines:
    """The exercise as CSV, one row per event perspective ``perspective`` was told of, columns
    ``CSV_COLUMNS`` (docs/exports.md). The first piece starts with a UTF-8 byte-order mark (for Excel);
    rows end in CRLF. A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe, so no spreadsheet runs it as a formula.

    Perspectives, ``pseudonymise``, what is checked before the generator is returned and what is raised:
    as ``export_jsonl``.
    """
    export = _prepare(db, exercise_id, viewer, perspective, pseudonymise)
    return ExportLines(_csv_lines(db, export), export, "csv")


def inert(cell: str) -> str:
    """A cell a spreadsheet will show as text: an apostrophe before one that starts like a formula."""
    return "'" + cell if cell.startswith(FORMULA) else cell


def played_time(seconds: float) -> str:
    """Seconds as ``h:mm:ss`` (whole seconds, rounded down)."""
    whole = int(max(0.0, seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def audience_words(audience: dict) -> str:
    """``everyone``, ``control`` (exercise control only), or the delegations' ids (and ``observers``)."""
    if audience.get("everyone"):
        return "everyone"
    told = list(audience.get("delegations") or []) + (["observers"] if audience.get("observers") else [])
    return ", ".join(told) or "control"


def _channel_name(deck, channel_id: str, backchannels: dict[str, list[str]]) -> str:
    kind, _, ref = channel_id.partition(":")
    if kind == "table" and deck.table(ref):
        return deck.table(ref).name
    if kind == "delegation" and deck.delegation(ref):
        return f"{deck.delegation(ref).name} (private)"
    if kind == "backchannel" and channel_id in backchannels:
        return f"Back-channel: {delegation_names(deck, backchannels[channel_id])}"
    return {"plenary": "Plenary", "umpire": "Exercise control"}.get(channel_id, channel_id)


def _text(type_: str, data: dict) -> str:
    """The free text an event carries: a message's, an announcement's, an inject's, a note's …; a proposal's
    clauses; a free move's action, or its ruling."""
    if isinstance(data.get("text"), str):
        return data["text"]
    if isinstance(data.get("clauses"), list):
        return "\n".join(f"{c.get('title', '')}: {c.get('terms', '')}".rstrip(": ") for c in data["clauses"]
                         if isinstance(c, dict))
    if type_ == "move_submitted":
        return str(data.get("action") or "")
    if type_ == "move_adjudicated":
        return str(data.get("ruling") or "")
    return ""


def _csv_lines(db: Database, export: _Export) -> Iterator[str]:
    deck, pseudonyms = export.deck, export.pseudonyms
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([inert(c) for c in cells])
        return buffer.getvalue()

    yield BOM + line(CSV_COLUMNS)
    clock = initial_state(deck, export.seed, export.exercise_id, export.title)  # only the clock is folded
    backchannels: dict[str, list[str]] = {}
    audiences = _Audiences(export.viewer)
    for r in _rows(db, export.exercise_id, export.last_seq):
        audience, told = audiences(r.audience)
        event = data = None
        if r.type in CLOCK_MOVES:  # folded whoever was told: the phase and the clock are everyone's
            data = json.loads(r.data)
            event = _event(r, audience, data)
            clock = evolve(clock, event)
        elif r.type == "backchannel_opened":
            data = json.loads(r.data)
            if isinstance(data.get("delegations"), list):
                backchannels[data.get("channel")] = data["delegations"]
        if not told:
            continue
        data = data if data is not None else json.loads(r.data)
        event = event or _event(r, audience, data)
        actor = event.actor.to_dict() if event.actor else {}
        delegation = deck.delegation(actor.get("delegation") or "")
        summary = event.payload.describe(deck)
        cells = [str(r.seq), r.at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 played_time(clock.clock.exercise_played_at(r.at)), clock.phase.name if clock.phase else "",
                 r.type, actor.get("name") or "", delegation.name if delegation else (actor.get("delegation") or ""),
                 audience_words(audience),
                 _channel_name(deck, data["channel"], backchannels) if isinstance(data.get("channel"), str) else "",
                 _text(r.type, data), summary.title + (f" — {summary.detail}" if summary.detail else "")]
        if pseudonyms is not None:
            cells = [c if i in _MACHINE_CELLS else pseudonyms.text(c) for i, c in enumerate(cells)]
        yield line(cells)


def _event(r, audience: dict, data: dict) -> Event:
    return load_event(r.type, r.version, data, Audience.from_dict(audience), Actor.from_dict(_decoded(r.actor)),
                      r.seq, r.at)


# ---- import ------------------------------------------------------------------------------------------


class ImportRefused(RuleError):
    """An export that cannot be imported; ``message`` names the line (and the event's seq) at fault and what is
    wrong. Nothing is stored when it is raised."""

    def __init__(self, message: str, line: int | None = None, seq: int | None = None):
        fields = {k: v for k, v in (("line", line), ("seq", seq)) if v is not None}
        super().__init__("invalid", message, fields)
        self.line, self.seq = line, seq


@dataclass(frozen=True)
class ImportedExercise:
    """What an import made: the exercise with its new secrets (shown once, as at creation), the number of
    events stored, the id it had where it was exported, its delegations' names, and the participants and
    staff who could not be given a seat here because their id is taken (an exercise imported where its
    original still is): they are in the log, but no link can be issued to them."""

    created: CreatedExercise
    events: int
    original_id: str
    delegations: dict[str, str] = field(default_factory=dict)  # id -> name
    unseated: tuple[str, ...] = ()


def import_jsonl(file: Iterable[bytes | str], db: Database, code_key: bytes) -> ImportedExercise:
    """Import a full export (``export_jsonl`` as ``umpire``, not pseudonymised) as a new exercise.

    ``file``: the export's lines (a binary file, or any iterable of lines as bytes or text). Checked before
    anything is kept: the header (format, version, a full export, its deck against ``deck_hash``, the deck
    itself); every line's JSON and fields; the hash chain event by event (``persistence.integrity``: an
    event altered, missing, repeated or out of order is named); the number of events and the last hash
    against the header. The chain has no key (whoever holds the file can rewrite an event and recompute
    every hash), so every event is also checked as strictly as the server makes it (``_Rules``): a type and
    version this engine knows, data that builds its record with exactly its fields and JSON types, the
    audience's and the actor's exact shapes, texts within the engine's limits, times that never go
    backwards, and references (delegations, cards, channels, proposals …) that exist at that point. Every
    event is folded into the state and described in words; exercise control's view of the state is built
    every ``VIEW_EVERY`` events and every perspective's at the end: a failure anywhere is refused, naming
    the first event after which it happens.

    The exercise keeps its id when no exercise here has it, and gets a new one otherwise; it gets a new
    umpire token, observer code and join code per delegation; participants and staff seated in it get seats
    with fresh, unshown tokens (the umpire re-issues their links). Events are stored with the same seq,
    time, content and hashes, in batches, in one transaction.

    Returns an ``ImportedExercise``. Raises ``ImportRefused`` naming the line (and seq) at fault and what is
    wrong in words; nothing is stored then.
    """
    lines = _numbered(file)
    number, header = next(lines, (1, None))
    header = _header(header, number)
    deck = header["deck_obj"]
    rules = _Rules(deck, header["deck_data"])
    umpire_token, observer_code = tokens.new_token(), tokens.new_code()
    join_codes = {d.id: tokens.new_code() for d in deck.delegations}
    with db.write() as session:
        original = header["exercise"]
        exercise_id = original if session.get(ExerciseRow, original) is None else tokens.new_id()
        session.add(ExerciseRow(id=exercise_id, deck_id=header["deck"], title=header["title"],
                                deck=header["deck_data"], seed=header["seed"], last_seq=header["events"],
                                umpire_token_hash=tokens.digest(umpire_token),
                                observer_code_hash=tokens.code_digest(observer_code, code_key),
                                created_at=header["created_at"], origin="import"))
        session.flush()
        session.add_all(SeatRow(exercise_id=exercise_id, delegation_id=d, join_code_hash=tokens.code_digest(c, code_key))
                        for d, c in join_codes.items())
        session.flush()
        state = initial_state(deck, header["seed"], exercise_id, header["title"])
        chain, batch, archived, previous = Chain(), [], None, None
        line_of = array("l")  # the line each seq was read from: line_of[seq - 1]
        viewed = 0  # the last seq after which exercise control's view was built without fault
        control = Actor(UMPIRE)
        for number, raw in lines:
            row = _event_line(raw, number)
            fault = chain.add(row)
            if fault is not None:
                raise ImportRefused(f"Line {number}: event #{fault.seq}: {fault.problem}. Nothing was imported.",
                                    number, fault.seq)
            if row.seq > header["events"]:
                raise ImportRefused(f"Line {number}: event #{row.seq} is beyond the {header['events']} events the "
                                    "header announces. Nothing was imported.", number, row.seq)
            if previous is not None and row.at < previous:
                raise _refused(number, row.seq, f" is dated {row.at.isoformat()}, earlier than the event before it "
                                                f"({previous.isoformat()}): the times of a log never go backwards")
            previous = row.at
            event = rules.event(row, state, number)
            try:
                state = evolve(state, event)
            except Exception:  # the checks above should leave nothing that fails here: a refusal, in words
                raise _unfit(number, row, "it cannot be applied to the exercise as it stood then (it refers to "
                                          "something that does not exist at that point, or contradicts an earlier "
                                          "event)") from None
            try:
                event.payload.describe(deck)
            except Exception:
                raise _unfit(number, row, "it cannot be told in words (it refers to something this exercise's "
                                          "deck does not have)") from None
            line_of.append(number)
            if row.type == "exercise_archived":
                archived = row.at
            batch.append({"exercise_id": exercise_id, "seq": row.seq, "type": row.type, "version": row.version,
                          "actor": row.actor, "audience": row.audience, "data": row.data, "at": row.at,
                          "hash": row.hash})
            if len(batch) == BATCH:
                session.execute(insert(EventRow.__table__), batch)
                batch = []
            if row.seq % VIEW_EVERY == 0:
                if not _shows(state, control):
                    if batch:
                        session.execute(insert(EventRow.__table__), batch)
                    _refuse_view(session, exercise_id, header, control, viewed, row.seq, line_of)
                viewed = row.seq
        if batch:
            session.execute(insert(EventRow.__table__), batch)
        verdict = chain.end(header["events"], "the export")
        if not verdict.ok:
            raise ImportRefused(f"Event #{verdict.seq}: {verdict.problem}: the file ends early, or lines were "
                                "removed. Nothing was imported.", seq=verdict.seq)
        if header["events"] and header["last_hash"] != chain.previous:
            raise ImportRefused(f"Line 1: the header's last_hash is not the hash of event #{header['events']}. "
                                "Nothing was imported.", 1)
        for viewer in perspectives(deck) + [Actor(PUBLIC)]:
            if not _shows(state, viewer):
                _refuse_view(session, exercise_id, header, viewer, viewed if viewer == control else 0, state.seq,
                             line_of)
        if archived is not None:
            session.get(ExerciseRow, exercise_id).archived_at = archived
        unseated = _seat(session, exercise_id, state)
    created = CreatedExercise(exercise_id, header["title"], header["deck"], umpire_token, observer_code, join_codes)
    return ImportedExercise(created, header["events"], original, {d.id: d.name for d in deck.delegations}, unseated)


VIEW_EVERY = 500  # events between two checks of exercise control's view during an import


def _refused(number: int | None, seq: int | None, what: str) -> ImportRefused:
    """``Line 12: event #11<what>. Nothing was imported.`` (``what`` starts with its own ": " or " ")."""
    where = f"Line {number}: event #{seq if seq is not None else '?'}" if number is not None else f"Event #{seq}"
    return ImportRefused(f"{where}{what}. Nothing was imported.", number, seq)


def _unfit(number: int | None, row, why: str) -> ImportRefused:
    return _refused(number, row.seq, f" ({row.type}) does not fit this exercise: {why}")


def _shows(state, viewer: Actor) -> bool:
    """Whether ``viewer``'s view of ``state`` can be built (as a sync, a replay or a report builds it)."""
    try:
        view_state(state, viewer)
    except Exception:
        return False
    return True


def _refuse_view(session, exercise_id: str, header: dict, viewer: Actor, good: int, bad: int, line_of) -> None:
    """Raise the refusal for a view of ``viewer`` that fails after seq ``bad`` (and was built after ``good``):
    the log is folded again from the start (the events stored so far in this transaction), the view built
    after every event past ``good`` (only the sections that changed), and the first event after which it
    fails is named."""
    deck = header["deck_obj"]
    state = initial_state(deck, header["seed"], exercise_id, header["title"])
    store, sections, after, first, kind = EventStore(), None, 0, None, None
    while after < bad and first is None:
        upto = min(bad, after + BATCH)
        for event in store.load(session, exercise_id, after=after, upto=upto):
            state = evolve(state, event)
            if event.seq > good:
                try:
                    sections = view_sections(state, viewer, sections)
                except Exception:
                    first, kind = event.seq, event.type
                    break
        after = upto
    first = first if first is not None else bad
    key = perspective_key(viewer)
    who = {UMPIRE: "exercise control", "observers": "the observers", PUBLIC: "the public (what everyone was told)"}
    name = who.get(key) or (deck.delegation(viewer.delegation).name if deck.delegation(viewer.delegation or "")
                            else key)
    number = line_of[first - 1] if 0 < first <= len(line_of) else None
    raise _refused(number, first, f"{f' ({kind})' if kind else ''} does not fit this exercise: after it, the exercise "
                                  f"can no longer be shown to {name} (it leaves the exercise referring to something "
                                  "that does not exist)")


def _numbered(file: Iterable[bytes | str]) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line that is not blank; bytes are read as UTF-8 (a leading BOM is
    left for ``_header`` to judge). Raises ``ImportRefused`` for a line that is not UTF-8."""
    for number, raw in enumerate(file, 1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ImportRefused(f"Line {number}: not UTF-8 text. Nothing was imported.", number) from None
        if raw.strip():
            yield number, raw


# What Python's JSON reader says, in words: (its message starts with, what to say; {column} is filled in).
_JSON_WORDS = (
    ("Expecting value", "a value was expected at column {column}"),
    ("Expecting property name enclosed in double quotes",
     "a field name in double quotes was expected at column {column}"),
    ("Expecting ',' delimiter", "a comma was expected at column {column}"),
    ("Expecting ':' delimiter", "a colon was expected at column {column}"),
    ("Unterminated string starting at", ("the text starting at column {column} is never closed (is the line "
                                         "cut off?)")),
    ("Invalid control character", ("there is an invalid control character at column {column} (a raw line break "
                                   "or tab inside a text must be written \\n or \\t)")),
    ("Invalid \\uXXXX escape", "there is an invalid \\u escape at column {column}"),
    ("Invalid \\escape", "there is an invalid backslash escape at column {column}"),
    ("Extra data", "there is more after the end of the JSON object, at column {column} (two lines joined?)"),
    ("Illegal trailing comma", "there is a comma with nothing after it at column {column}"),
)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)  # NaN and Infinity are Python's, not JSON's


def _json(raw: str, number: int):
    try:
        return _DECODER.decode(raw.rstrip("\r\n"))  # a line cut off ends inside a text, not at a line break in it
    except json.JSONDecodeError as exc:
        words = next((w for start, w in _JSON_WORDS if exc.msg.startswith(start)),
                     exc.msg[:1].lower() + exc.msg[1:] + " at column {column}")
        raise ImportRefused(f"Line {number}: not valid JSON: {words.format(column=exc.colno)}. Nothing was "
                            "imported.", number) from None
    except (ValueError, RecursionError) as exc:  # NaN or Infinity; a number too long to read; nesting too deep
        what = str(exc) if "JSON allows" in str(exc) else "a number too long, or objects nested too deep, to read"
        raise ImportRefused(f"Line {number}: not valid JSON: {what}. Nothing was imported.", number) from None


def _refuse(number: int, what: str) -> ImportRefused:
    return ImportRefused(f"Line {number}: {what}. Nothing was imported.", number)


_HEADER_WORDS = {str: "text", int: "a whole number", dict: "an object"}
_HEADER_FIELDS = {"exercise": ("the exercise's id", str), "title": ("the exercise's title", str),
                  "deck": ("the deck's id", str), "deck_hash": ("the deck's hash", str),
                  "deck_data": ("the deck", dict), "seed": ("the secret the exercise's draws are made from", str),
                  "created_at": ("when the exercise was created", str),
                  "events": ("the number of events in the file", int)}


def _header(raw: str | None, number: int) -> dict:
    """The checked header, with ``deck_obj`` (the deck built) and ``created_at`` as a datetime."""
    if raw is None:
        raise ImportRefused("The file is empty: an export starts with its header line. Nothing was imported.", 1)
    text = raw.removeprefix(BOM)
    if text.startswith("seq,") or (text != raw and not text.lstrip().startswith("{")):
        raise ImportRefused("This is a CSV export; import takes the JSON Lines export (--format jsonl). Nothing "
                            "was imported.", number)
    header = _json(text, number)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        got = header.get("format") if isinstance(header, dict) else None
        raise _refuse(number, f"not an exercise export (its first line must be a header with format '{FORMAT}'"
                              + (f", not {_shown(got)}" if got else "") + ")")
    if header.get("version") != VERSION:
        raise _refuse(number, f"this file is in export format version {_shown(header.get('version'))}: this server "
                              f"reads version {VERSION}")
    if header.get("pseudonymised") is not False:
        raise _refuse(number, "this export is pseudonymised: its names were replaced and its hashes left out, so it "
                              "cannot be imported (export as umpire, without --pseudonymise)")
    if header.get("perspective") != UMPIRE or header.get("importable") is not True:
        raise _refuse(number, f"this export holds only what '{header.get('perspective')}' was told, not the whole "
                              "log, so it cannot be imported (export as umpire)")
    for name, (what, kind) in _HEADER_FIELDS.items():
        value = header.get(name)
        if value is None:
            raise _refuse(number, f"the header has no '{name}' ({what})")
        if not isinstance(value, kind) or isinstance(value, bool):
            raise _refuse(number, f"the header's '{name}' ({what}) must be {_HEADER_WORDS[kind]}")
    if not _EXERCISE_ID.fullmatch(header["exercise"]):
        raise _refuse(number, "the header's 'exercise' is not an exercise id (1 to 32 letters, digits, - or _)")
    if header["events"] < 0:
        raise _refuse(number, "the header's 'events' (the number of events in the file) must not be negative")
    if header["events"] and not isinstance(header.get("last_hash"), str):
        raise _refuse(number, "the header has no 'last_hash' (the hash of the last event)")
    for name, limit in (("seed", 64), ("deck", 64), ("title", 200)):
        if len(header[name]) > limit:
            raise _refuse(number, f"the header's '{name}' is {len(header[name])} characters long; at most {limit} "
                                  "are allowed")
    if not header["title"].strip():
        raise _refuse(number, "the header's 'title' is empty")
    if deck_hash(header["deck_data"]) != header["deck_hash"]:
        raise _refuse(number, "the deck in the header does not match its deck_hash: the file was altered")
    try:
        deck = deck_from_data(header["deck_data"], "the export's deck")
    except DeckInvalid as exc:
        raise _refuse(number, f"the deck in the header is not valid ({exc})") from None
    if deck.id != header["deck"]:
        raise _refuse(number, f"the header's deck '{header['deck']}' is not the deck it holds ('{deck.id}')")
    return {**header, "deck_obj": deck, "created_at": _time(header["created_at"], number, "the header's 'created_at'"),
            "title": clean_text(header["title"], lines=False)[:200] or deck.title}


def _time(value, number: int, name: str, seq: int | None = None) -> datetime:
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None or at.utcoffset().total_seconds() != 0:
        what = f"{name} must be a time in UTC (ISO 8601, e.g. 2026-03-01T09:00:00+00:00)"
        if seq is None:
            raise _refuse(number, what)
        raise _refused(number, seq, f": {what}")
    return at


def _shown(value) -> str:
    """A value as a message quotes it: in quotes, cut to 60 characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + (text if len(text) <= 60 else text[:59] + "…") + "'"


@dataclass(frozen=True, slots=True)
class _Line:
    seq: int
    type: str
    version: int
    actor: dict | None
    audience: dict
    data: dict
    at: datetime
    hash: str


def _event_line(raw: str, number: int) -> _Line:
    """One event line, its envelope checked (but not its hash: see ``Chain``; nor its content: see ``_Rules``)."""
    value = _json(raw, number)
    if not isinstance(value, dict):
        raise _refuse(number, "an event line must be a JSON object ({…})")
    seq = value.get("seq")
    known = seq if type(seq) is int else None

    def bad(what: str) -> ImportRefused:
        return _refused(number, known, f": {what}")

    if "seq" not in value:
        raise bad("'seq' (the event's number in the log) is missing")
    if known is None:
        raise bad("'seq' (the event's number in the log) must be a whole number")
    missing = [name for name in _EVENT_FIELDS if name not in value]
    if missing:
        raise bad(f"'{missing[0]}' is missing")
    extra = [name for name in value if name not in _EVENT_FIELDS]
    if extra:
        raise bad(f"the line has a field an event does not have: {_shown(extra[0])}")
    for name, kind, words in (("version", int, "a whole number"), ("type", str, "text"),
                              ("audience", dict, "an object"), ("data", dict, "an object"), ("hash", str, "text")):
        if type(value[name]) is not kind:
            raise bad(f"'{name}' must be {words}")
    if not 0 < len(value["type"]) <= 64:
        raise bad("'type' must be 1 to 64 characters long")
    actor = value["actor"]
    if actor is not None and type(actor) is not dict:
        raise bad("'actor' must be an object (who acted) or null")
    if not _HASH.fullmatch(value["hash"]):
        raise bad("'hash' must be a SHA-256 hash (64 hexadecimal digits, lower case)")
    at = _time(value["at"], number, "'at'", known)
    return _Line(known, value["type"], value["version"], actor, value["audience"], value["data"], at, value["hash"])


# ---- import: every event checked as the server would have made it ---------------------------------------

# The engine's limits on the texts people type, where an event carries them as typed (a record's name -> field ->
# characters). Texts an event copies from the deck (a card's, an inject's, a phase's brief …) are bounded by
# ``_Rules.cap`` only, as is any other string.
_LIMITS = {
    "Row": {"title": MAX_TITLE, "text": MAX_TEXT, "sender": MAX_SENDER, "expected_action": MAX_TEXT,
            "controller_note": MAX_TEXT, "scenario_date": MAX_DATE},
    "ClauseText": {"terms": MAX_TEXT},
    "ProposalDrafted": {"title": MAX_TITLE}, "ProposalAmended": {"title": MAX_TITLE},
    "AgreementInForce": {"title": MAX_TITLE}, "CeasefireBegan": {"title": MAX_TITLE},
    "AnnouncementMade": {"text": MAX_TEXT},
    "MoveSubmitted": {"action": MAX_TEXT, "result": MAX_TEXT, "reasons": MAX_TEXT},
    "MoveAdjudicated": {"action": MAX_TEXT, "outcome": MAX_TEXT},
    "ChannelOpenedOrClosed": {"reason": MAX_TITLE},
    # Limits that depend on the event: see ``_DYNAMIC_LIMITS``.
    "MessagePosted": {"text": math.inf}, "BookmarkAdded": {"text": math.inf},
    "InjectFired": {"title": math.inf, "text": math.inf},
    "IndicatorChanged": {"reason": math.inf}, "RelationChanged": {"reason": math.inf},
    **{name: {"name": MAX_NAME} for name in ("ParticipantSeated", "ParticipantConnected", "ParticipantConnectionClosed",
                                             "ParticipantDisconnected", "ParticipantMuted", "ParticipantMoved",
                                             "ParticipantRemoved", "StaffSeated")},
}
_LONGEST = MAX_TITLE + 2 + MAX_TEXT  # an inject delivered as a message: its title, a blank line, its text
_ACTOR_KEYS = frozenset({"role", "delegation", "participant", "name"})
_AUDIENCE_KEYS = frozenset({"everyone", "delegations", "observers"})
_EVERYONE = {"everyone": True}


def _longest_text(value) -> int:
    """The longest string anywhere in a JSON value."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return max([0, *map(_longest_text, value.keys()), *map(_longest_text, value.values())])
    if isinstance(value, list):
        return max([0, *map(_longest_text, value)])
    return 0


def _plural(words: str) -> str:
    if words.startswith("a list of "):
        return "lists of " + words[len("a list of "):]
    return {"text": "texts", "a whole number": "whole numbers", "a number": "numbers",
            "true or false": "true or false values", "an object": "objects"}.get(words, words)


class _Rules:
    """What an import checks of each event of one exercise (its deck known), before folding it: see
    ``event``. Checkers are built once per record type (from ``core.hints``), audiences and actors checked
    once per distinct value."""

    def __init__(self, deck, deck_data: dict):
        self.deck = deck
        self.delegations = frozenset(deck.delegation_ids())
        self.cards = frozenset(s.id for s in deck.signals)
        self.tables = frozenset(t.id for t in deck.tables)
        self.clause_types = frozenset(k.id for k in deck.clause_types)
        self.indicators = {i.id: i for i in deck.indicators}
        self.risks = frozenset(r.id for r in deck.ceasefire_risks)
        self.phases = frozenset(p.id for p in deck.phases)
        self.cap = max(10_000, _LONGEST, 3 * _longest_text(deck_data))  # any string; a deck's texts are unbounded
        self._records: dict[type, object] = {}
        self._audiences: dict[tuple, Audience] = {}
        self._actors: dict[tuple, Actor] = {}

    # ---- the event as a whole

    def event(self, row: _Line, state, number: int) -> Event:
        """The event of a line whose envelope and hash are checked, built as the store would load it; raises
        ``ImportRefused`` (naming the line and seq, in words) unless it is an event this server makes."""
        cls = EVENTS.get(row.type)
        if cls is None:
            raise _refused(number, row.seq, f" is of a kind this server does not know: {_shown(row.type)} (a newer "
                                            "server's file?)")
        if not 1 <= row.version <= cls.VERSION:
            known = "version 1" if cls.VERSION == 1 else f"versions 1 to {cls.VERSION}"
            raise _refused(number, row.seq, f" ({row.type}) is version {row.version}, but this server knows {known} "
                                            "of this kind of event" + (" (a newer server's file?)"
                                                                       if row.version > cls.VERSION else ""))
        data = row.data
        if row.version < cls.VERSION:
            try:
                data = dict(data)
                for v in range(row.version, cls.VERSION):
                    data = cls.UPGRADES[v](data)
            except Exception:
                raise _refused(number, row.seq, f" ({row.type}): its data cannot be read as version {row.version} "
                                                "of this kind of event") from None
        problem = self._record(cls)(data)
        if problem is not None:
            raise _refused(number, row.seq, f" ({row.type}): 'data{problem[0]}' {problem[1]}")
        try:
            actor, audience = self.actor(row.actor), self.audience(row.audience)
        except _Bad as bad:
            raise _refused(number, row.seq, f" ({row.type}): {bad}") from None
        try:
            payload = from_plain(cls, data)
            event = Event(payload, audience, actor, row.seq, row.at)
            limit, fits = _DYNAMIC_LIMITS.get(row.type), _FITS[row.type]
            too_long = limit(self, payload, event) if limit is not None else None
            unfit = fits(self, state, payload, event) if fits is not None and too_long is None else None
        except Exception:  # the shape is checked above: this is not expected, but is refused in words all the same
            raise _unfit(number, row, "it cannot be read as an event of its kind") from None
        if too_long is not None:
            raise _refused(number, row.seq, f" ({row.type}): {too_long}")
        if unfit is not None:
            raise _unfit(number, row, unfit)
        return event

    # ---- data: the record's fields, with the right JSON types

    def _record(self, cls):
        """check(value) -> None, or (path, what is wrong) for a record of ``cls`` as plain data: exactly its
        fields (one with a default may be left out, as ``from_plain`` allows), each of its type."""
        found = self._records.get(cls)
        if found is not None:
            return found
        limits = _LIMITS.get(cls.__name__, {})
        plan = tuple((f.name, self._checker(hints(cls)[f.name], limits.get(f.name))[0],
                      f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
                     for f in dataclasses.fields(cls))
        names = frozenset(name for name, _, _ in plan)

        def check(value):
            if type(value) is not dict:
                return "", "must be an object"
            present = 0
            for name, field_check, required in plan:
                if name in value:
                    present += 1
                    problem = field_check(value[name])
                    if problem is not None:
                        return f".{name}{problem[0]}", problem[1]
                elif required:
                    return f".{name}", "is missing"
            if present != len(value):
                extra = next(k for k in value if k not in names)
                return "", f"has a field this kind of record does not have: {_shown(extra)}"
            return None

        self._records[cls] = check
        return check

    def _checker(self, hint, limit: int | None = None):
        """(check(value) -> None or (path, what is wrong), the type in words) for a field typed ``hint``."""
        if typing.get_origin(hint) is typing.Annotated:
            hint = typing.get_args(hint)[0]
        origin = typing.get_origin(hint)
        if origin in (typing.Union, UnionType):
            args = typing.get_args(hint)
            nullable = type(None) in args
            options = [self._checker(a, limit) for a in args if a is not type(None)]
            words = " or ".join(w for _, w in options) + (" or null" if nullable else "")
            if len(options) == 1:
                inner = options[0][0]

                def check(value):
                    if value is None:
                        return None if nullable else ("", f"must be {words}")
                    return inner(value)
            else:
                checks = [c for c, _ in options]

                def check(value):
                    if (value is None and nullable) or any(c(value) is None for c in checks):
                        return None
                    return "", f"must be {words}"
            return check, words
        if hint is str:
            cap = limit or self.cap

            def check(value):
                if type(value) is not str:
                    return "", "must be text"
                if len(value) > cap:
                    return "", f"is {len(value):,} characters long; the server allows at most {cap:,}"
                return None
            return check, "text"
        if hint is bool:
            return (lambda value: None if type(value) is bool else ("", "must be true or false")), "true or false"
        if hint is int:
            return (lambda value: None if type(value) is int else ("", "must be a whole number")), "a whole number"
        if hint is float:
            return (lambda value: None if type(value) is int or (type(value) is float and math.isfinite(value))
                    else ("", "must be a number")), "a number"
        if origin is tuple:
            args = typing.get_args(hint)
            if len(args) == 2 and args[1] is Ellipsis:
                inner, inner_words = self._checker(args[0], limit)
                words = f"a list of {_plural(inner_words)}"

                def check(value):
                    if type(value) is not list:
                        return "", f"must be {words}"
                    for i, item in enumerate(value):
                        problem = inner(item)
                        if problem is not None:
                            return f"[{i}]{problem[0]}", problem[1]
                    return None
                return check, words
            inners = [self._checker(a, limit) for a in args]
            words = f"a list of {len(inners)}: " + ", ".join(w for _, w in inners)

            def check(value):
                if type(value) is not list or len(value) != len(inners):
                    return "", f"must be {words}"
                for i, (item, (inner, _)) in enumerate(zip(value, inners)):
                    problem = inner(item)
                    if problem is not None:
                        return f"[{i}]{problem[0]}", problem[1]
                return None
            return check, words
        if dataclasses.is_dataclass(hint):
            return self._record(hint), "an object"
        if hint is dict or origin in (dict, collections.abc.Mapping):
            args = typing.get_args(hint)
            inner = self._checker(args[1], limit)[0] if len(args) == 2 else None

            def check(value):
                if type(value) is not dict:
                    return "", "must be an object"
                if inner is not None:
                    for key, item in value.items():
                        problem = inner(item)
                        if problem is not None:
                            return f".{key}{problem[0]}", problem[1]
                return None
            return check, "an object"
        return (lambda value: None), "any value"

    # ---- the envelope: who acted, who was told

    def actor(self, value) -> Actor | None:
        """``Actor.to_dict``'s exact shape: a known role, a known delegation (a member's always named)."""
        if value is None:
            return None
        if value.keys() != _ACTOR_KEYS:
            raise _Bad("'actor' must be null or an object with exactly 'role', 'delegation', 'participant' and "
                       "'name'")
        key = (value["role"], value["delegation"], value["participant"], value["name"])
        try:
            found = self._actors.get(key)
        except TypeError:  # a list or an object where a text belongs
            found = None
        if found is not None:
            return found
        role, delegation, participant, name = key
        if role not in ROLES:
            raise _Bad(f"'actor.role' must be one of {', '.join(ROLES)}, not {_shown(role)}")
        for field_name, given in (("delegation", delegation), ("participant", participant), ("name", name)):
            if given is not None and (type(given) is not str or len(given) > self.cap):
                raise _Bad(f"'actor.{field_name}' must be null or a text of at most {self.cap:,} characters")
        if delegation is not None and delegation not in self.delegations:
            raise _Bad(f"'actor.delegation' names a delegation this exercise does not have: {_shown(delegation)}")
        if role == DELEGATION and delegation is None:
            raise _Bad("'actor.delegation' must name the delegation a delegation's member acts for")
        found = self._actors[key] = Actor(role, delegation, participant, name)
        return found

    def audience(self, value) -> Audience:
        """``Audience.to_dict``'s exact shape: ``{"everyone": true}``, or ``{"everyone": false, "delegations":
        [known ids, sorted, each once], "observers": true or false}``."""
        if value == _EVERYONE and value["everyone"] is True:
            return _ALL
        if value.keys() != _AUDIENCE_KEYS or value["everyone"] is not False:
            raise _Bad("'audience' must be {\"everyone\": true}, or {\"everyone\": false, \"delegations\": [...], "
                       "\"observers\": true or false}")
        delegations, observers = value["delegations"], value["observers"]
        if type(delegations) is not list or not all(type(d) is str for d in delegations):
            raise _Bad("'audience.delegations' must be a list of delegation ids")
        if type(observers) is not bool:
            raise _Bad("'audience.observers' must be true or false")
        key = (tuple(delegations), observers)
        found = self._audiences.get(key)
        if found is not None:
            return found
        unknown = [d for d in delegations if d not in self.delegations]
        if unknown:
            raise _Bad(f"'audience.delegations' names a delegation this exercise does not have: {_shown(unknown[0])}")
        if delegations != sorted(set(delegations)):
            raise _Bad("'audience.delegations' must name each delegation once, in alphabetical order (as the server "
                       "writes it)")
        found = self._audiences[key] = Audience.of(delegations, observers)
        return found

    # ---- references, in words

    def delegation(self, value, name: str) -> str | None:
        if value not in self.delegations:
            return f"its '{name}' names a delegation this exercise does not have: {_shown(value)}"
        return None

    def delegation_list(self, values, name: str) -> str | None:
        for value in values or ():
            if value not in self.delegations:
                return f"its '{name}' names a delegation this exercise does not have: {_shown(value)}"
        return None

    @staticmethod
    def known(found: bool, value, name: str, what: str) -> str | None:
        return None if found else f"its '{name}' names {what} this exercise does not have: {_shown(value)}"

    @staticmethod
    def next_number(value: int, count: int, name: str, what: str) -> str | None:
        if value != count + 1:
            return f"its '{name}' is {value}, but it would be {what} number {count + 1} of this exercise"
        return None

    @staticmethod
    def existing(value: int, count: int, name: str, what: str) -> str | None:
        if not 1 <= value <= count:
            return f"its '{name}' is {value}, but this exercise has no {what} #{value} at that point"
        return None

    @staticmethod
    def one_of(value, allowed, name: str) -> str | None:
        if value not in allowed:
            words = ", ".join("null" if a is None else str(a) for a in allowed)
            return f"its '{name}' must be one of {words}, not {_shown(value)}"
        return None

    def row(self, state, row, name: str) -> str | None:
        """A row of the event list as ``injects._row`` makes it."""
        audience = row.audience
        return (self.one_of(row.kind, INJECT_KINDS, f"{name}.kind")
                or self.one_of(row.delivery, DELIVERIES, f"{name}.delivery")
                or self.one_of(row.status, (PENDING, FIRED, SKIPPED), f"{name}.status")
                or (self.one_of(audience, (EVERYONE, UMPIRE_ONLY), f"{name}.audience") if isinstance(audience, str)
                    else self.delegation_list(audience, f"{name}.audience"))
                or (self.known(row.phase in self.phases, row.phase, f"{name}.phase", "a phase")
                    if row.phase is not None else None)
                or next((self.known(False, i, f"{name}.effects.indicators", "an indicator")
                         for i in row.effects.indicators if i not in self.indicators), None)
                or self.delegation_list([d for p in row.effects.pairs for d in p], f"{name}.effects.pairs"))

    def clauses(self, clauses, name: str) -> str | None:
        for i, clause in enumerate(clauses):
            if clause.clause_type not in self.clause_types:
                return self.known(False, clause.clause_type, f"{name}[{i}].clause_type", "a clause type")
        return None

    def links(self, state, links, name: str) -> str | None:
        count = len(state.proposals.items)
        return next((self.existing(n, count, name, "proposal") for n in links if not 1 <= n <= count), None)


class _Bad(Exception):
    """A problem with an event's envelope, in words."""


_ALL = Audience.all()


def _text_limit(value: str, limit: int, name: str) -> str | None:
    if len(value) > limit:
        return f"'data.{name}' is {len(value):,} characters long; the server allows at most {limit:,}"
    return None


# Limits that depend on the event (the fields ``_LIMITS`` leaves to them): a member's message, not an inject's
# delivered as one; a bookmark's label, not a note; the title and text of an inject the umpire wrote (one from the
# deck may carry the deck's, however long); the reason of the umpire's own adjustment, not of a consequence's.
_DYNAMIC_LIMITS = {
    "message_posted": lambda r, e, ev: _text_limit(e.text, MAX_TEXT if ev.actor is not None else r.cap, "text"),
    "bookmark_added": lambda r, e, ev: _text_limit(e.text, MAX_TITLE if e.kind == "bookmark" else MAX_TEXT, "text"),
    "inject_fired": lambda r, e, ev: _text_limit(e.title, MAX_TITLE if e.inject is None else r.cap, "title")
    or _text_limit(e.text, MAX_TEXT if e.inject is None else r.cap, "text"),
    "indicator_changed": lambda r, e, ev: _text_limit(e.reason, MAX_TITLE if ev.actor is not None else r.cap, "reason"),
    "relation_changed": lambda r, e, ev: _text_limit(e.reason, MAX_TITLE if ev.actor is not None else r.cap, "reason"),
}


def _first(*problems: str | None) -> str | None:
    return next((p for p in problems if p is not None), None)


def _fit_message(r: _Rules, s, e, ev) -> str | None:
    if e.channel not in s.channels.by_id:
        return f"it is posted in the channel {_shown(e.channel)}, which does not exist in this exercise at that point"
    return r.delegation(e.delegation, "delegation") if e.delegation is not None else None


def _fit_indicator(r: _Rules, s, e, ev) -> str | None:
    indicator = r.indicators.get(e.indicator)
    if indicator is None:
        return r.known(False, e.indicator, "indicator", "an indicator")
    if not indicator.min <= e.value <= indicator.max:
        return f"its 'value' is {e.value}, outside the indicator's range ({indicator.min} to {indicator.max})"
    return None


def _fit_relation(r: _Rules, s, e, ev) -> str | None:
    problem = r.delegation_list(e.between, "between")
    if problem is not None:
        return problem
    if pair(*e.between) not in s.relations:
        return f"its 'between' names two delegations whose relation this exercise does not follow: {_shown(e.between)}"
    if not 0 <= e.trust <= 100:
        return f"its 'trust' is {e.trust}, outside 0 to 100"
    if not 0 <= e.readiness < len(r.deck.readiness_ladder):
        return f"its 'readiness' is {e.readiness}, but the readiness ladder has {len(r.deck.readiness_ladder)} rungs"
    return None


def _fit_phase(r: _Rules, s, e, ev) -> str | None:
    phases = r.deck.phases
    if not 0 <= e.index < len(phases) or phases[e.index].id != e.phase:
        return f"its phase {_shown(e.phase)} (number {e.index + 1}) is not a phase of this exercise's deck"
    return next((r.known(False, t, "open_tables", "a table") for t in e.open_tables or () if t not in r.tables), None)


def _row_exists(s, row_id: str, name: str = "inject") -> str | None:
    if s.injects.row(row_id) is None:
        return f"its '{name}' names a row of the event list that does not exist at that point: {_shown(row_id)}"
    return None


def _fit_imported(r: _Rules, s, e, ev) -> str | None:
    for i, row in enumerate(e.rows):
        problem = r.row(s, row, f"rows[{i}]")
        if problem is not None:
            return problem
    new = {row.id for row in e.rows}
    kept = {row.id for row in s.injects.rows if row.status != PENDING}
    return next((f"its 'order' names a row of the event list that does not exist: {_shown(i)}" for i in e.order
                 if i not in new and i not in kept), None)


def _participant(s, participant: str) -> str | None:
    if participant not in s.participants.members:
        return f"its 'participant' is no one seated in this exercise at that point: {_shown(participant)}"
    return None


_FITS = {
    "participant_seated": lambda r, s, e, ev: r.delegation(e.delegation, "delegation"),
    "participant_connected": lambda r, s, e, ev: r.delegation(e.delegation, "delegation"),
    "participant_connection_closed": lambda r, s, e, ev: r.delegation(e.delegation, "delegation"),
    "participant_disconnected": lambda r, s, e, ev: r.delegation(e.delegation, "delegation"),
    "indicator_changed": _fit_indicator,
    "threshold_crossed": lambda r, s, e, ev: r.known(e.indicator in r.indicators, e.indicator, "indicator",
                                                     "an indicator"),
    "relation_changed": _fit_relation,
    "poll_published": lambda r, s, e, ev: _first(
        r.known(e.indicator in r.indicators, e.indicator, "indicator", "an indicator"),
        None if type(e.margin) is int and 1 <= e.margin <= 50 else f"its 'margin' must be 1-50, not {_shown(e.margin)}",
        None if e.indicator not in r.indicators or type(e.reading) is int
        and r.indicators[e.indicator].min <= e.reading <= r.indicators[e.indicator].max
        else f"its 'reading' must be within the indicator's range, not {_shown(e.reading)}"),
    "belief_changed": lambda r, s, e, ev: _first(
        r.known(r.deck.belief(e.holder, e.about) is not None, f"{e.holder}>{e.about}", "holder", "a belief the deck "
                "tracks"),
        None if type(e.value) is int and 0 <= e.value <= 100 else f"its 'value' must be 0-100, not {_shown(e.value)}"),
    "ceasefire_began": lambda r, s, e, ev: r.existing(e.agreement, len(s.proposals.items), "agreement", "proposal"),
    "ceasefire_risk_drawn": lambda r, s, e, ev: _first(
        r.known(e.rule in r.risks, e.rule, "rule", "a cease-fire risk"),
        next((r.known(False, k, "modifiers", "a clause type") for k in e.modifiers if k not in r.clause_types), None),
        next((f"its 'modifiers' must be numbers, not {_shown(v)}" for v in e.modifiers.values()
              if type(v) not in (int, float)), None),
        r.one_of(e.override, (None, "force", "veto"), "override"),
        next((r.known(False, k, "driven", "an indicator") for k in e.driven if k not in r.indicators), None),
        next((f"its 'driven' must be numbers, not {_shown(v)}" for v in e.driven.values()
              if type(v) not in (int, float)), None)),
    "epilogue_drawn": lambda r, s, e, ev: next(
        (r.known(False, d.rule, "rule", "a cease-fire risk") for d in e.draws if d.rule not in r.risks), None),
    "risk_override_set": lambda r, s, e, ev: _first(r.known(e.rule in r.risks, e.rule, "rule", "a cease-fire risk"),
                                                    r.one_of(e.override, (None, "force", "veto"), "override")),
    "ceasefire_incident": lambda r, s, e, ev: r.known(e.rule in r.risks, e.rule, "rule", "a cease-fire risk"),
    "ceasefire_collapsed": lambda r, s, e, ev: _first(
        r.existing(e.agreement, len(s.proposals.items), "agreement", "proposal"),
        r.known(e.rule in r.risks, e.rule, "rule", "a cease-fire risk")),
    "message_posted": _fit_message,
    "backchannel_opened": lambda r, s, e, ev: _first(
        None if e.channel.startswith("backchannel:")
        else f"its 'channel' is not a back-channel's id: {_shown(e.channel)}",
        r.delegation_list(e.delegations, "delegations"),
        None if len(set(e.delegations)) >= 2 else "a back-channel joins at least two delegations"),
    "backchannel_policy_set": lambda r, s, e, ev: r.one_of(e.policy, (None, *BACKCHANNEL_POLICIES), "policy"),
    "backchannel_requested": lambda r, s, e, ev: _first(
        r.next_number(e.request, len(s.channels.requests), "request", "back-channel request"),
        r.delegation(e.by, "by"), r.delegation_list(e.delegations, "delegations")),
    "backchannel_request_answered": lambda r, s, e, ev: _first(
        r.existing(e.request, len(s.channels.requests), "request", "back-channel request"), r.delegation(e.by, "by")),
    "inject_fired": lambda r, s, e, ev: _first(
        r.delegation_list(e.to, "to"), _row_exists(s, e.row, "row") if e.row is not None else None,
        r.one_of(e.kind, INJECT_KINDS, "kind"), r.one_of(e.delivery, DELIVERIES, "delivery")),
    "inject_added": lambda r, s, e, ev: r.row(s, e.row, "row"),
    "inject_edited": lambda r, s, e, ev: _first(_row_exists(s, e.row.id, "row.id"), r.row(s, e.row, "row")),
    "inject_delayed": lambda r, s, e, ev: _row_exists(s, e.inject),
    "inject_skipped": lambda r, s, e, ev: _row_exists(s, e.inject),
    "inject_moved": lambda r, s, e, ev: _first(_row_exists(s, e.inject),
                                               _row_exists(s, e.before, "before") if e.before is not None else None),
    "event_list_imported": _fit_imported,
    "firing_set": None,
    "inject_due": lambda r, s, e, ev: _row_exists(s, e.inject),
    "phase_advanced": _fit_phase,
    "clock_paused": None,
    "clock_resumed": None,
    "clock_extended": None,
    "server_restarted": None,
    "outage_noted": None,
    "time_given_back": None,
    "exercise_ended": None,
    "signal_played": lambda r, s, e, ev: _first(
        r.next_number(e.play, len(s.signals.plays), "play", "signal played"),
        r.known(e.card in r.cards, e.card, "card", "a signal card"), r.delegation(e.by, "by"),
        r.delegation_list(e.to, "to"), r.delegation_list(e.toward, "toward"),
        r.one_of(e.visibility, ("public", "private"), "visibility")),
    "signal_reciprocated": lambda r, s, e, ev: _first(
        r.existing(e.play, len(s.signals.plays), "play", "signal played"),
        r.existing(e.reciprocates, len(s.signals.plays), "reciprocates", "signal played"),
        r.delegation(e.by, "by"), r.delegation(e.answering, "answering")),
    "signal_withdrawn": lambda r, s, e, ev: _first(
        r.existing(e.play, len(s.signals.plays), "play", "signal played"),
        r.known(e.card in r.cards, e.card, "card", "a signal card"), r.delegation(e.by, "by")),
    "proposal_drafted": lambda r, s, e, ev: _first(
        r.next_number(e.proposal, len(s.proposals.items), "proposal", "proposal"),
        r.known(e.table in r.tables, e.table, "table", "a table"), r.delegation(e.drafted_by, "drafted_by"),
        r.clauses(e.clauses, "clauses"), r.delegation_list(e.parties, "parties"), r.links(s, e.links, "links")),
    "proposal_amended": lambda r, s, e, ev: _first(
        r.existing(e.proposal, len(s.proposals.items), "proposal", "proposal"), r.clauses(e.clauses, "clauses"),
        r.links(s, e.links, "links"), r.delegation(e.amended_by, "amended_by")),
    "proposal_signed": lambda r, s, e, ev: _first(
        r.existing(e.proposal, len(s.proposals.items), "proposal", "proposal"),
        r.delegation(e.delegation, "delegation")),
    "proposal_withdrawn": lambda r, s, e, ev: _first(
        r.existing(e.proposal, len(s.proposals.items), "proposal", "proposal"), r.delegation(e.by, "by")),
    "agreement_entered_into_force": lambda r, s, e, ev: _first(
        r.existing(e.proposal, len(s.proposals.items), "proposal", "proposal"),
        r.known(e.table in r.tables, e.table, "table", "a table"), r.delegation_list(e.parties, "parties"),
        r.clauses(e.clauses, "clauses"), r.links(s, e.links, "links")),
    "move_submitted": lambda r, s, e, ev: _first(
        r.next_number(e.move, len(s.moves.moves), "move", "move"), r.delegation(e.by, "by"),
        r.known(e.card in r.cards, e.card, "card", "a signal card") if e.card is not None else None),
    "move_adjudicated": lambda r, s, e, ev: _first(
        r.existing(e.move, len(s.moves.moves), "move", "move"), r.delegation(e.by, "by"),
        r.delegation_list(e.told, "told"), r.one_of(e.ruling, RULINGS, "ruling")),
    "announcement_made": None,
    "channel_opened_or_closed": lambda r, s, e, ev: None if e.channel in s.channels.by_id else (
        f"it opens or closes the channel {_shown(e.channel)}, which does not exist in this exercise at that point"),
    "participant_muted": lambda r, s, e, ev: _first(_participant(s, e.participant),
                                                    r.delegation(e.delegation, "delegation")),
    "participant_moved": lambda r, s, e, ev: _first(_participant(s, e.participant),
                                                    r.delegation(e.delegation, "delegation"),
                                                    r.delegation(e.before, "before")),
    "participant_removed": lambda r, s, e, ev: _first(_participant(s, e.participant),
                                                      r.delegation(e.delegation, "delegation")),
    "staff_seated": lambda r, s, e, ev: r.one_of(e.role, (UMPIRE, ASSISTANT), "role"),
    "link_reissued": lambda r, s, e, ev: r.one_of(e.kind, LINK_KINDS, "kind"),
    "exercise_archived": None,
    "late_joins_set": None,
    "bookmark_added": lambda r, s, e, ev: _first(
        r.one_of(e.kind, ("bookmark", "note"), "kind"),
        None if 1 <= e.at <= s.seq else f"its 'at' is #{e.at}, but it may only mark an event before it (#1 to "
                                         f"#{s.seq})"),
    "bookmark_removed": lambda r, s, e, ev: None if e.bookmark in s.bookmarks else (
        f"its 'bookmark' names a bookmark that does not exist at that point: {_shown(e.bookmark)}"),
    "debrief_revealed": lambda r, s, e, ev: r.delegation_list(e.delegations, "delegations"),
    "debrief_question_shown": lambda r, s, e, ev: None if e.index is None or 0 <= e.index < len(r.deck.debrief) else (
        f"its 'index' is {e.index}, but this exercise's deck has {len(r.deck.debrief)} debrief questions"),
}
"""What each kind of event must refer to, in the state just before it (``_Rules.event``): a function
``(rules, state, record, event) -> a problem in words, or None``, or None where there is nothing to check.
Every event type of the engine has an entry (tests/test_export.py checks it): a new one needs a decision."""


def _seat(session, exercise_id: str, state) -> tuple[str, ...]:
    """Seats (with fresh tokens nobody holds) for the participants and staff seated at the end of the log,
    whose ids are free here; returns the names of those whose ids are taken."""
    unseated = []
    for p in state.participants.members.values():
        if session.get(ParticipantRow, p.id) is not None:
            unseated.append(p.name)
            continue
        session.add(ParticipantRow(id=p.id, exercise_id=exercise_id, delegation_id=p.delegation,
                                   display_name=p.name[:40], token_hash=tokens.digest(tokens.new_token()),
                                   created_at=now()))
    for s in state.control.staff:
        if session.get(StaffRow, s.staff) is not None:
            unseated.append(s.name)
            continue
        session.add(StaffRow(id=s.staff, exercise_id=exercise_id, name=s.name[:40], role=s.role,
                             token_hash=tokens.digest(tokens.new_token()), created_at=now()))
    return tuple(unseated)
