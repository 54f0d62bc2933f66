"""An exercise's log exported, and imported back: JSON Lines (lossless, importable) and CSV (for a spreadsheet).

``export_jsonl`` and ``export_csv`` stream what one perspective was told, through the one visibility boundary
(``engine.visibility``: ``replay_keys`` says which perspectives a viewer may take, ``perspective_for`` who a
perspective is, ``sees`` which events it was told of). The log is read in batches of ``BATCH`` events, never
whole. With ``pseudonymise``, participants' and staff's names become stable aliases everywhere
(``Pseudonyms``). ``import_jsonl`` reads a full export (exercise control's perspective, not pseudonymised),
checks its deck and its hash chain event by event (``persistence.integrity``), folds every event, and stores
the exercise under new secrets, in one transaction: all of it or nothing. docs/exports.md describes both
formats for the people who use them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Iterator
from urllib.parse import quote

from sqlalchemy import String, cast, insert, select

from facilitator.decks import DeckInvalid, deck_from_data
from facilitator.engine import Actor, Audience, Event, RuleError, evolve, initial_state, load_event
from facilitator.engine.audience import UMPIRE
from facilitator.engine.clock import CLOCK_MOVES
from facilitator.engine.core import names as delegation_names
from facilitator.engine.guards import clean_text
from facilitator.engine.visibility import perspective_for, replay_keys, sees
from facilitator.persistence import Database
from facilitator.persistence.integrity import Chain
from facilitator.persistence.models import EventRow, ExerciseRow, ParticipantRow, SeatRow, StaffRow

from . import tokens
from .exercises import CreatedExercise, now

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


def export_filename(title: str, exercise_id: str, fmt: str) -> str:
    """``<title-slug>-<id>.<fmt>``: the title's ASCII letters and digits joined by hyphens (``exercise`` if none)."""
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
                  .lower()).strip("-")[:80] or "exercise"
    return f"{slug}-{exercise_id}.{fmt}"


def content_disposition(title: str, exercise_id: str, fmt: str) -> str:
    """The ``Content-Disposition`` of an export download: the ASCII file name, and the title in UTF-8 for
    clients that read ``filename*``."""
    utf8 = quote(f"{title.strip()[:80]}-{exercise_id}.{fmt}", safe="")
    return f'attachment; filename="{export_filename(title, exercise_id, fmt)}"; filename*=UTF-8\'\'{utf8}'


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
        deck = deck_from_data(row.deck, f"exercise {exercise_id}")
        allowed = replay_keys(viewer, deck)
        key = key or allowed[0]
        as_viewer = perspective_for(key, deck)
        if as_viewer is None:
            raise RuleError("invalid", f"Export as one of: {', '.join(allowed)}.", {"as": "unknown perspective"})
        if key not in allowed:
            raise RuleError("forbidden", f"You may export the exercise as {' or '.join(allowed)}.", {"as": key})
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
    needs: ``filename`` (``<title-slug>-<id>.<format>``), ``disposition`` and ``media_type``."""

    def __init__(self, lines: Iterator[str], export: _Export, fmt: str):
        self._lines = lines
        title = export.pseudonyms.text(export.title) if export.pseudonyms else export.title
        self.filename = export_filename(title, export.exercise_id, fmt)
        self.disposition = content_disposition(title, export.exercise_id, fmt)
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


def import_jsonl(file: Iterable[bytes | str], db: Database) -> ImportedExercise:
    """Import a full export (``export_jsonl`` as ``umpire``, not pseudonymised) as a new exercise.

    ``file``: the export's lines (a binary file, or any iterable of lines as bytes or text). Checked before
    anything is kept: the header (format, version, a full export, its deck against ``deck_hash``, the deck
    itself), every line's JSON and fields, the hash chain event by event (``persistence.integrity``: an
    event altered, missing, repeated or out of order is named), the number of events and the last hash
    against the header, and every event folded into the state. The exercise keeps its id when no exercise
    here has it, and gets a new one otherwise; it gets a new umpire token, observer code and join code per
    delegation; participants and staff seated in it get seats with fresh, unshown tokens (the umpire
    re-issues their links). Events are stored with the same seq, time, content and hashes, in batches, in
    one transaction.

    Returns an ``ImportedExercise``. Raises ``ImportRefused`` naming the line (and seq) at fault; nothing is
    stored then.
    """
    lines = _numbered(file)
    number, header = next(lines, (1, None))
    header = _header(header, number)
    deck = header["deck_obj"]
    umpire_token, observer_code = tokens.new_token(), tokens.new_code()
    join_codes = {d.id: tokens.new_code() for d in deck.delegations}
    with db.write() as session:
        original = header["exercise"]
        exercise_id = original if session.get(ExerciseRow, original) is None else tokens.new_id()
        session.add(ExerciseRow(id=exercise_id, deck_id=header["deck"], title=header["title"],
                                deck=header["deck_data"], seed=header["seed"], last_seq=header["events"],
                                umpire_token_hash=tokens.digest(umpire_token),
                                observer_code_hash=tokens.code_digest(observer_code),
                                created_at=header["created_at"], origin="import"))
        session.flush()
        session.add_all(SeatRow(exercise_id=exercise_id, delegation_id=d, join_code_hash=tokens.code_digest(c))
                        for d, c in join_codes.items())
        session.flush()
        state = initial_state(deck, header["seed"], exercise_id, header["title"])
        chain, batch, archived = Chain(), [], None
        for number, raw in lines:
            row = _event_line(raw, number)
            fault = chain.add(row)
            if fault is not None:
                raise ImportRefused(f"Line {number}: event #{fault.seq}: {fault.problem}. Nothing was imported.",
                                    number, fault.seq)
            if row.seq > header["events"]:
                raise ImportRefused(f"Line {number}: event #{row.seq} is beyond the {header['events']} events the "
                                    "header announces. Nothing was imported.", number, row.seq)
            try:
                state = evolve(state, load_event(row.type, row.version, row.data, Audience.from_dict(row.audience),
                                                 Actor.from_dict(row.actor), row.seq, row.at))
            except Exception as exc:  # any data the engine cannot fold: refused, named
                raise ImportRefused(f"Line {number}: event #{row.seq} ({row.type}) cannot be folded into the "
                                    f"exercise's state ({type(exc).__name__}: {exc}). Nothing was imported.",
                                    number, row.seq) from None
            if row.type == "exercise_archived":
                archived = row.at
            batch.append({"exercise_id": exercise_id, "seq": row.seq, "type": row.type, "version": row.version,
                          "actor": row.actor, "audience": row.audience, "data": row.data, "at": row.at,
                          "hash": row.hash})
            if len(batch) == BATCH:
                session.execute(insert(EventRow.__table__), batch)
                batch = []
        if batch:
            session.execute(insert(EventRow.__table__), batch)
        verdict = chain.end(header["events"], "the export")
        if not verdict.ok:
            raise ImportRefused(f"Event #{verdict.seq}: {verdict.problem}: the file ends early, or lines were "
                                "removed. Nothing was imported.", seq=verdict.seq)
        if header["events"] and header["last_hash"] != chain.previous:
            raise ImportRefused(f"Line 1: the header's last_hash is not the hash of event #{header['events']}. "
                                "Nothing was imported.", 1)
        if archived is not None:
            session.get(ExerciseRow, exercise_id).archived_at = archived
        unseated = _seat(session, exercise_id, state)
    created = CreatedExercise(exercise_id, header["title"], header["deck"], umpire_token, observer_code, join_codes)
    return ImportedExercise(created, header["events"], original, {d.id: d.name for d in deck.delegations}, unseated)


def _numbered(file: Iterable[bytes | str]) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line that is not blank; bytes are read as UTF-8 (a leading BOM is
    ignored). Raises ``ImportRefused`` for a line that is not UTF-8."""
    for number, raw in enumerate(file, 1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ImportRefused(f"Line {number}: not UTF-8 text. Nothing was imported.", number) from None
        if number == 1:
            raw = raw.removeprefix(BOM)
        if raw.strip():
            yield number, raw


def _json(raw: str, number: int):
    try:
        return json.loads(raw)
    except ValueError as exc:
        where = f" (column {exc.colno}: {exc.msg})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ImportRefused(f"Line {number}: not valid JSON{where}. Nothing was imported.", number) from None


def _refuse(number: int, what: str) -> ImportRefused:
    return ImportRefused(f"Line {number}: {what}. Nothing was imported.", number)


def _header(raw: str | None, number: int) -> dict:
    """The checked header, with ``deck_obj`` (the deck built) and ``created_at`` as a datetime."""
    if raw is None:
        raise ImportRefused("The file is empty: an export starts with its header line. Nothing was imported.", 1)
    header = _json(raw, number)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        got = header.get("format") if isinstance(header, dict) else None
        raise _refuse(number, f"not an exercise export (its first line must be a header with format '{FORMAT}'"
                              + (f", not '{got}'" if got else "") + ")")
    if header.get("version") != VERSION:
        raise _refuse(number, f"export format version {header.get('version')!r}: this server reads version {VERSION}")
    if header.get("pseudonymised") is not False:
        raise _refuse(number, "this export is pseudonymised: its names were replaced and its hashes left out, so it "
                              "cannot be imported (export as umpire, without --pseudonymise)")
    if header.get("perspective") != UMPIRE or header.get("importable") is not True:
        raise _refuse(number, f"this export holds only what '{header.get('perspective')}' was told, not the whole "
                              "log, so it cannot be imported (export as umpire)")
    expected = {"exercise": str, "title": str, "deck": str, "deck_hash": str, "deck_data": dict, "seed": str,
                "created_at": str, "events": int}
    for name, kind in expected.items():
        value = header.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise _refuse(number, f"the header's '{name}' is missing or not a {kind.__name__}")
    if not _EXERCISE_ID.fullmatch(header["exercise"]):
        raise _refuse(number, "the header's 'exercise' is not an exercise id")
    if header["events"] < 0 or (header["events"] and not isinstance(header.get("last_hash"), str)):
        raise _refuse(number, "the header's 'events' or 'last_hash' is wrong")
    if len(header["seed"]) > 64 or len(header["deck"]) > 64 or not header["title"].strip() \
            or len(header["title"]) > 200:
        raise _refuse(number, "the header's seed, deck id or title is too long (or the title empty)")
    if deck_hash(header["deck_data"]) != header["deck_hash"]:
        raise _refuse(number, "the deck in the header does not match its deck_hash: the file was altered")
    try:
        deck = deck_from_data(header["deck_data"], "the export's deck")
    except DeckInvalid as exc:
        raise _refuse(number, f"the deck in the header is not valid ({exc})") from None
    if deck.id != header["deck"]:
        raise _refuse(number, f"the header's deck '{header['deck']}' is not the deck it holds ('{deck.id}')")
    return {**header, "deck_obj": deck, "created_at": _time(header["created_at"], number, "created_at"),
            "title": clean_text(header["title"], lines=False)[:200] or deck.title}


def _time(value, number: int, name: str) -> datetime:
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None or at.utcoffset().total_seconds() != 0:
        raise _refuse(number, f"'{name}' is not a time in UTC (ISO 8601, e.g. 2026-03-01T09:00:00+00:00)")
    return at


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
    """One event line, its fields checked (but not its hash: see ``Chain``)."""
    value = _json(raw, number)
    if not isinstance(value, dict):
        raise _refuse(number, "an event line must be a JSON object")
    seq = value.get("seq")
    where = f"event #{seq}" if isinstance(seq, int) else "the event"

    def bad(name: str, what: str) -> ImportRefused:
        return _refuse(number, f"{where}: '{name}' {what}")

    missing = [name for name in _EVENT_FIELDS if name not in value]
    if missing:
        raise bad(missing[0], "is missing")
    for name, kind in (("seq", int), ("version", int), ("type", str), ("audience", dict), ("data", dict),
                       ("hash", str)):
        if not isinstance(value[name], kind) or isinstance(value[name], bool):
            raise bad(name, f"is not a {kind.__name__}")
    if not 0 < len(value["type"]) <= 64:
        raise bad("type", "is empty or too long")
    actor = value["actor"]
    if actor is not None and not (isinstance(actor, dict) and isinstance(actor.get("role"), str)):
        raise bad("actor", "is not an actor (an object with a role) or null")
    if not _HASH.fullmatch(value["hash"]):
        raise bad("hash", "is not a SHA-256 hash (64 hex digits)")
    at = _time(value["at"], number, "at")
    return _Line(value["seq"], value["type"], value["version"], actor, value["audience"], value["data"], at,
                 value["hash"])


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
