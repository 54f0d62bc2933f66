"""The event list (MSEL) as a CSV file, for exercise controllers who edit it in a spreadsheet.

``export_csv`` writes an exercise's rows; ``parse_csv`` reads a file back into the engine's
``InjectRow`` records; ``import_csv`` parses and runs ``ImportEventList``. Export then import gives the
same rows, in the same order, with the same fields. Every problem, the file's or the engine's, is
reported against a line of the file and a column (``CsvError``). docs/event-list-csv.md describes the
format for the people who write it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from .engine import RuleError
from .engine.deck import EVERYONE, UMPIRE_ONLY
from .engine.guards import MAX_TEXT, MAX_TITLE, clean_text
from .engine.polls import MAX_MARGIN
from .engine.injects import KINDS, MAX_DATE, MAX_MINUTE, MAX_ROWS, MAX_SENDER, DELIVERIES, EventListImported, \
    BeliefDelta, ImportEventList, IndicatorDelta, InjectRow, PollRow, Row

COLUMNS = ("number", "time", "from", "to", "subject", "message", "expected action", "controller note", "type",
           "delivery", "scenario date", "historical", "effects", "id")
MAX_BYTES = 1024 * 1024  # a larger file is refused
MAX_EFFECTS = 50  # indicator changes in one row
MAX_NUMBER = 100_000
MAX_ID = 100
DELTAS = {"indicator": 1000, "trust": 100, "readiness": 10}  # largest change, either way
EVERYONE_WORDS = ("everyone", "all")
DELIMITERS = (",", ";", "\t")
FORMULA = ("=", "+", "-", "@")  # a spreadsheet reads a cell starting with one of these as a formula
TEXT_COLUMNS = ("from", "subject", "message", "expected action", "controller note", "scenario date", "id")
LIMITS = {"subject": (MAX_TITLE, False), "message": (MAX_TEXT, True), "from": (MAX_SENDER, False),  # as the engine
          "expected action": (MAX_TEXT, True), "controller note": (MAX_TEXT, True), "scenario date": (MAX_DATE, False)}
TIME_HINT = "write '<phase> +<minutes>', '<phase>', '+<minutes>', or leave it empty"
FIELD_COLUMNS = {  # the engine's InjectRow fields -> the CSV column they come from
    "number": "number", "phase": "time", "minute": "time", "sender": "from", "audience": "to", "to": "to",
    "title": "subject", "text": "message", "expected_action": "expected action",
    "controller_note": "controller note", "kind": "type", "delivery": "delivery", "scenario_date": "scenario date",
    "historical": "historical", "indicators": "effects", "trust": "effects", "readiness": "effects", "id": "id"}


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """One problem: the line of the file it is on (1 is the header row), its column (None: the whole line
    or file) and what is wrong."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: " + (f"column '{self.column}': " if self.column else "") + self.message

    def to_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


class CsvError(Exception):
    """A file that cannot be imported, with every problem found in it (``problems``, in line order).

    ``to_dict()`` is the body of the REST error envelope: ``code`` ``invalid``, ``message``, ``fields``
    (``lines.<line>.<column>`` -> message) and ``rows`` (each problem as line, column, message)."""

    code = "invalid"

    def __init__(self, problems: list[CsvProblem]):
        self.problems = sorted(problems, key=lambda p: (p.line, COLUMNS.index(p.column) if p.column in COLUMNS
                                                        else -1))
        count = len(self.problems)
        first = f" First: {self.problems[0]}." if self.problems else ""
        self.message = f"{count} problem{'s' if count != 1 else ''} in the event list file; nothing was " \
                       f"imported.{first}"
        super().__init__(self.message)

    @property
    def fields(self) -> dict:
        fields: dict[str, str] = {}
        for p in self.problems:
            key = f"lines.{p.line}" + (f".{p.column}" if p.column else "")
            fields[key] = f"{fields[key]}; {p.message}" if key in fields else p.message
        return fields

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields,
                "rows": [p.to_dict() for p in self.problems]}


# ---- export ------------------------------------------------------------------------------------------


def export_csv(state) -> str:
    """The event list of ``state`` (an ``ExerciseState``) as CSV text: a header row, then every row in list
    order, fired and skipped ones included. Lines end in CRLF; no byte-order mark (add one for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in state.injects.rows:
        writer.writerow(_cells(row))
    return out.getvalue()


def _cells(row: Row) -> list[str]:
    if row.audience == EVERYONE:
        to = EVERYONE_WORDS[0]
    elif row.audience == UMPIRE_ONLY:
        to = UMPIRE_ONLY
    else:
        to = "; ".join(row.audience)
    cells = {"number": str(row.number), "time": _time_cell(row.phase, row.minute), "from": row.sender, "to": to,
             "subject": row.title, "message": row.text, "expected action": row.expected_action,
             "controller note": row.controller_note, "type": row.kind, "delivery": row.delivery,
             "scenario date": row.scenario_date, "historical": "historical" if row.historical else "hypothetical",
             "effects": _effects_cell(row.effects), "id": row.id}
    return [_escape(cells[c]) if c in TEXT_COLUMNS else cells[c] for c in COLUMNS]


def _time_cell(phase: str | None, minute: int | None) -> str:
    if phase is None:
        return "" if minute is None else f"+{minute}"
    return phase if minute is None else f"{phase} +{minute}"


def _effects_cell(effects) -> str:
    parts = [f"{name} {delta:+d}" for name, delta in effects.indicators.items()]
    parts += [f"{name} {value:+d}" for name, value in (("trust", effects.trust), ("readiness", effects.readiness))
              if value]
    parts += [f"belief {b.holder}>{b.about} {b.by:+d}" for b in effects.beliefs]
    parts += [f"poll {p.indicator} ±{p.margin}" for p in effects.polls]
    return "; ".join(parts)


def _formula_like(value: str) -> bool:
    return value.lstrip("'").startswith(FORMULA)


def _escape(value: str) -> str:
    """A text a spreadsheet would take for a formula gets a leading apostrophe (``_unescape`` removes it)."""
    return "'" + value if _formula_like(value) else value


def _unescape(value: str) -> str:
    return value[1:] if value.startswith("'") and _formula_like(value) else value


# ---- import ------------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """A file's bytes as text: UTF-8, with or without a byte-order mark. Raises ``CsvError`` for a file
    over ``MAX_BYTES`` or one that is not UTF-8 text."""
    if len(data) > MAX_BYTES:
        raise CsvError([CsvProblem(1, None, _too_large(len(data)))])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise CsvError([CsvProblem(line, None, "not UTF-8 text: save the file as 'CSV UTF-8'")]) from None


def _too_large(size: int) -> str:
    return f"the file is over 1 MiB ({size:,} bytes or more): split it, or shorten its texts"


def parse_csv(text: str, deck) -> tuple[InjectRow, ...]:
    """The rows of an event list file, as ``ImportEventList`` takes them.

    ``text``: the file's text (a leading byte-order mark is ignored; ``,``, ``;`` or tab between cells);
    ``deck``: the exercise's deck, whose phases, delegations and indicators the file names (by id, or by
    name without regard to case). Blank lines are skipped. Raises ``CsvError`` listing every problem found:
    a file over 1 MiB or over ``MAX_ROWS`` rows, no header row, an unknown, missing or repeated column, and
    each bad cell (its line and column), texts over the engine's limits included. What depends on the
    exercise's state (an id a fired row has) only the engine knows: see ``import_csv``.
    """
    return _parse(text, deck)[0]


def import_csv(service, exercise_id: str, text: str, actor) -> int:
    """Replace the exercise's rows not yet fired or skipped with those of the file ``text``.

    ``service``: the exercise service (``services().exercises``); ``actor``: who imports (exercise
    control). Returns the number of rows imported (rows whose number matches a fired or skipped row are
    left as they were and not counted). Raises ``CsvError`` for any problem with the file, including those
    the engine finds (its ``rows.<i>.<field>`` become the row's line and column): nothing is imported then.
    Other ``RuleError``s (``not_found`` exercise, ``forbidden`` actor, ``ended``) are raised as they are.
    """
    rows, lines = _parse(text, service.deck(exercise_id))
    try:
        applied = service.execute(exercise_id, ImportEventList(rows), actor)
    except RuleError as exc:
        problems = engine_problems(exc, lines)
        if problems is None:
            raise
        raise CsvError(problems) from None
    return sum(len(e.payload.rows) for e in applied.events if isinstance(e.payload, EventListImported))


def engine_problems(exc: RuleError, lines: list[int]) -> list[CsvProblem] | None:
    """The engine's ``invalid`` error about imported rows as file problems: ``rows.<i>.<field>`` becomes
    the line of the i-th row (``lines[i]``) and the field's column. None for any other error."""
    if exc.code != "invalid" or not exc.fields or not all(
            re.fullmatch(r"rows\.\d+\..+", key) for key in exc.fields):
        return None
    problems = []
    for key, message in exc.fields.items():
        _, index, field = key.split(".", 2)
        i = int(index)
        field = field.split(".")[0]
        column = FIELD_COLUMNS.get(field)
        line = lines[i] if i < len(lines) else 1
        problems.append(CsvProblem(line, column, _engine_message(str(message)) if column else f"{field}: {message}"))
    return problems


def _engine_message(message: str) -> str:
    if message == "empty":
        return "empty: this column must be filled in"
    if message.startswith("one of "):
        return "must be " + message
    return message


class _Lookup:
    """Ids (exactly, then without regard to case) and names (without regard to case) of a deck's things."""

    def __init__(self, things):
        self.ids = [t.id for t in things]
        self._exact = set(self.ids)
        self._folded: dict[str, str] = {}
        for t in things:
            self._folded.setdefault(_fold(t.name), t.id)
        for t in things:
            self._folded[_fold(t.id)] = t.id  # an id wins over another thing's name

    def get(self, value: str) -> str | None:
        return value if value in self._exact else self._folded.get(_fold(value))

    def known(self) -> str:
        return ", ".join(self.ids) or "none in this deck"


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


def _header_name(value: str) -> str:
    return _fold(value.replace("_", " ").replace("-", " ")).lstrip("\ufeff")


def _parse(text: str, deck) -> tuple[tuple[InjectRow, ...], list[int]]:
    """``parse_csv``, also returning the line each row starts on."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise CsvError([CsvProblem(1, None, _too_large(len(text.encode("utf-8", "replace"))))])
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise CsvError([CsvProblem(1, None, "the file is empty: the first line must name the columns "
                                             + ", ".join(COLUMNS))])
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise CsvError([CsvProblem(line, None, "not a CSV text file (it holds NUL characters)")])
    first_line = 1
    delimiter = None
    hint = re.match(r"sep=(.)\r?\n", text)  # Excel's "sep=;" first line
    if hint:
        delimiter, text, first_line = hint.group(1), text[hint.end():], 2
    delimiter = delimiter or _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise CsvError([CsvProblem(first_line, None, f"not valid CSV: {exc}")]) from None
    positions = _header(header, first_line)
    problems: list[CsvProblem] = []
    rows: list[InjectRow] = []
    lines: list[int] = []
    numbers: dict[int, int] = {}
    ids: dict[str, int] = {}
    context = _Context(deck)
    start = first_line - 1 + reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(CsvProblem(start, None, f"not valid CSV: {exc}"))
            break
        line, start = start, first_line - 1 + reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if len(lines) == MAX_ROWS:
            raise CsvError([CsvProblem(line, None, f"over {MAX_ROWS} rows: an event list has at most {MAX_ROWS}")])
        lines.append(line)
        cells = {name: record[i] if i < len(record) else "" for name, i in positions.items()}
        extra = [(i, cell) for i, cell in enumerate(record) if i not in positions.values() and cell.strip()]
        for i, cell in extra:
            problems.append(CsvProblem(line, None, f"cell {i + 1} ('{_short(cell)}') is under no column: the "
                                                   f"header row has {len(header)} cells"))
        row = context.row(cells, line, problems)
        if row is None:
            continue
        if row.number is not None:
            if row.number in numbers:
                problems.append(CsvProblem(line, "number", f"number {row.number} is used twice (also on line "
                                                           f"{numbers[row.number]})"))
            numbers.setdefault(row.number, line)
        if row.id is not None:
            if row.id in ids:
                problems.append(CsvProblem(line, "id", f"id '{row.id}' is used twice (also on line {ids[row.id]})"))
            ids.setdefault(row.id, line)
        rows.append(row)
    if problems:
        raise CsvError(problems)
    return tuple(rows), lines


def _short(value: str, most: int = 40) -> str:
    value = " ".join(value.split())
    return value if len(value) <= most else value[:most - 1] + "…"


def _delimiter(text: str) -> str:
    """The delimiter that makes the first line name the most known columns (``,`` on a tie)."""
    def known(delimiter: str) -> int:
        try:
            header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except (csv.Error, StopIteration):
            return 0
        return sum(_header_name(cell) in COLUMNS for cell in header)

    return max(DELIMITERS, key=known)


def _header(header: list[str], line: int) -> dict[str, int]:
    """Column name -> position in a record. Raises ``CsvError`` for an unknown, repeated or missing column."""
    problems, positions = [], {}
    names = [_header_name(cell) for cell in header]
    if not any(name in COLUMNS for name in names):
        raise CsvError([CsvProblem(line, None, "no header row: the first line must name the columns "
                                                + ", ".join(COLUMNS))])
    for i, (cell, name) in enumerate(zip(header, names)):
        if not name:
            continue  # an unnamed column (a spreadsheet's trailing separator): its cells must stay empty
        if name not in COLUMNS:
            problems.append(CsvProblem(line, _short(cell.strip()), f"unknown column '{_short(cell.strip())}': "
                                                                   f"the columns are {', '.join(COLUMNS)}"))
        elif name in positions:
            problems.append(CsvProblem(line, name, f"column '{name}' appears twice (cells {positions[name] + 1} "
                                                   f"and {i + 1})"))
        else:
            positions[name] = i
    for name in COLUMNS:
        if name not in positions:
            problems.append(CsvProblem(line, name, f"missing column '{name}': the header row must name every "
                                                   "column (leave its cells empty if you have nothing for it)"))
    if problems:
        raise CsvError(problems)
    return positions


class _Context:
    """Reads the cells of one row against a deck."""

    def __init__(self, deck):
        self.deck = deck
        self.phases = _Lookup(deck.phases)
        self.delegations = _Lookup(deck.delegations)
        self.indicators = _Lookup(deck.indicators)

    def row(self, cells: dict[str, str], line: int, problems: list[CsvProblem]) -> InjectRow | None:
        """``cells`` (column -> cell) as an ``InjectRow``; None (and ``problems`` added) if any is wrong."""
        found: list[CsvProblem] = []

        def problem(column: str, message: str) -> None:
            found.append(CsvProblem(line, column, message))

        text = {c: _unescape(cells[c]) for c in TEXT_COLUMNS}
        for column, (most, lines) in LIMITS.items():
            length = len(clean_text(text[column], lines))
            if not length and column in ("subject", "message"):
                problem(column, f"empty: every row needs a {column}")
            elif length > most:
                problem(column, f"over {most} characters")
        number = self.number(cells["number"].strip(), problem)
        phase, minute = self.time(cells["time"].strip(), problem)
        audience, to = self.audience(cells["to"].strip(), problem)
        kind = _fold(cells["type"].replace("-", " ").replace("_", " "))
        if not kind:
            problem("type", f"empty: write one of {', '.join(KINDS)}")
        elif kind not in KINDS:
            problem("type", f"unknown type '{_short(cells['type'].strip())}': write one of {', '.join(KINDS)}")
        delivery = _fold(cells["delivery"]) or "banner"
        if delivery not in DELIVERIES:
            problem("delivery", f"unknown delivery '{_short(cells['delivery'].strip())}': write one of "
                                f"{', '.join(DELIVERIES)} (empty: banner)")
        historical = _fold(cells["historical"])
        if historical not in ("", "historical", "hypothetical"):
            problem("historical", f"'{_short(cells['historical'].strip())}': write historical or hypothetical "
                                  "(empty: as its type says)")
        indicators, trust, readiness, beliefs, polls = self.effects(cells["effects"], problem)
        row_id = text["id"].strip() or None
        if row_id is not None and len(row_id) > MAX_ID:
            problem("id", f"over {MAX_ID} characters")
        if found:
            problems.extend(found)
            return None
        return InjectRow(text["subject"], text["message"], kind, text["from"], audience, to, delivery, phase, minute,
                         indicators, trust, readiness, beliefs, polls, text["expected action"], text["controller note"],
                         text["scenario date"],
                         historical == "historical" if historical else kind == "historical", number, row_id)

    @staticmethod
    def number(value: str, problem) -> int | None:
        if not value:
            return None
        if not re.fullmatch(r"\d+", value) or not 1 <= int(value) <= MAX_NUMBER:
            problem("number", f"'{_short(value)}' is not a row number: a whole number from 1 to {MAX_NUMBER} "
                              "(empty: the next free one)")
            return None
        return int(value)

    def time(self, value: str, problem) -> tuple[str | None, int | None]:
        """``<phase> +<minutes>``, ``<phase>``, ``+<minutes>`` (a plain number too: spreadsheets drop the
        plus sign) or empty."""
        if not value:
            return None, None
        phase = self.phases.get(value)
        if phase is not None:
            return phase, None
        if re.search(r"-\s*\d+$", value):
            problem("time", f"'{_short(value)}': minutes into a phase cannot be negative ({TIME_HINT})")
            return None, None
        match = re.fullmatch(r"(.*?)\s*\+\s*(\d+)", value) or re.fullmatch(r"(?:(.*\S)\s+)?(\d+)", value)
        named, minutes = (match.group(1) or "", match.group(2)) if match else (value, None)
        if named:
            phase = self.phases.get(named)
            if phase is None:
                if re.fullmatch(r"[^\W\d][\w\s-]*", named):
                    problem("time", f"unknown phase '{_short(named)}': the phases are {self.phases.known()}")
                else:
                    problem("time", f"'{_short(value)}' is not a time: {TIME_HINT} (minutes of played time "
                                    "into the phase)")
                return None, None
        minute = int(minutes) if minutes is not None else None
        if minute is not None and minute > MAX_MINUTE:
            problem("time", f"minute {minute} is over {MAX_MINUTE}")
            return None, None
        return phase, minute

    def audience(self, value: str, problem) -> tuple[str, tuple[str, ...]]:
        """``everyone`` (or ``all``), ``umpire``, or delegations (ids or names) between ``;`` (or ``,``)."""
        if not value:
            problem("to", "empty: write everyone, umpire, or delegation ids separated by ';'")
            return EVERYONE, ()
        if _fold(value) in EVERYONE_WORDS:
            return EVERYONE, ()
        if _fold(value) == UMPIRE_ONLY:
            return UMPIRE_ONLY, ()
        found, unknown = [], []
        for part in filter(None, (p.strip() for p in value.split(";"))):
            one = self.delegations.get(part)
            if one is not None:
                found.append(one)
                continue
            for piece in filter(None, (p.strip() for p in part.split(","))):
                one = self.delegations.get(piece)
                (found if one is not None else unknown).append(one if one is not None else piece)
        if unknown:
            names = ", ".join(f"'{_short(u)}'" for u in unknown)
            problem("to", f"unknown delegation{'s' if len(unknown) > 1 else ''} {names}: the delegations are "
                          f"{self.delegations.known()} (or everyone, umpire)")
        if not found and not unknown:
            problem("to", "empty: write everyone, umpire, or delegation ids separated by ';'")
        return "delegations", tuple(dict.fromkeys(found))

    def effects(self, value: str, problem) -> tuple[tuple[IndicatorDelta, ...], int, int, tuple, tuple]:
        """``<indicator> +<n>; trust -<n>; readiness +<n>; belief <holder>><about> +<n>; poll <indicator> ±<n>``
        (``;`` or ``,`` between; empty: none)."""
        changes: dict[str, int] = {}
        pairs = {"trust": 0, "readiness": 0}
        beliefs: list[BeliefDelta] = []
        polls: list[PollRow] = []
        seen: set[str] = set()
        value = value.replace("\u2212", "-").replace("\u2013", "-")  # a minus sign, an en dash
        for part in filter(None, (p.strip() for p in re.split(r"[;,]", value))):
            head = part.split(None, 1)[0].lower()
            if head == "poll":
                poll = re.fullmatch(r"poll\s+(.+?)\s*(?:±|\+/-|\+-)\s*(\d+)|poll\s+(.+?)\s+(\d+)", part,
                                    re.IGNORECASE)
                if poll is None:
                    problem("effects", f"'{_short(part)}' is not a poll: write 'poll <indicator> ±<margin>', "
                                       f"e.g. 'poll {(self.indicators.ids or ['support'])[0]} ±5'")
                    continue
                name, margin = (poll.group(1), poll.group(2)) if poll.group(1) else (poll.group(3), poll.group(4))
                which, margin = self.indicators.get(name.strip()), int(margin)
                if which is None:
                    problem("effects", f"poll of an unknown indicator '{_short(name)}': the indicators are "
                                       f"{self.indicators.known()}")
                elif self.deck.indicator(which).visible_to == EVERYONE:
                    problem("effects", f"poll {which}: everyone already sees it, a poll would tell nobody anything")
                elif not 1 <= margin <= MAX_MARGIN:
                    problem("effects", f"poll {which} ±{margin}: a margin is 1 to {MAX_MARGIN}")
                elif any(p.indicator == which for p in polls):
                    problem("effects", f"poll {which} is given twice")
                else:
                    polls.append(PollRow(which, margin))
                continue
            if head == "belief":
                belief = re.fullmatch(r"belief\s+(.+?)\s*>\s*(.+?)\s*([+-])\s*(\d+)", part, re.IGNORECASE)
                if belief is None:
                    problem("effects", f"'{_short(part)}' is not a belief's move: write 'belief <holder>><about> "
                                       "+<n>' (a sign, then 1 to 100), e.g. 'belief ukraine>russia -5'")
                    continue
                holder = self.delegations.get(belief.group(1).strip())
                about = self.delegations.get(belief.group(2).strip())
                by = int(belief.group(3) + belief.group(4))
                tracked = ", ".join(f"{b.holder}>{b.about}" for b in self.deck.beliefs) or "none"
                if holder is None or about is None or self.deck.belief(holder, about) is None:
                    problem("effects", f"'{_short(part)}': this deck tracks no such belief (it tracks: {tracked})")
                elif not by or abs(by) > 100:
                    problem("effects", f"'{_short(part)}': a belief moves by 1 to 100 either way")
                elif any((b.holder, b.about) == (holder, about) for b in beliefs):
                    problem("effects", f"belief {holder}>{about} is given twice")
                else:
                    beliefs.append(BeliefDelta(holder, about, by))
                continue
            match = re.fullmatch(r"(.+?)\s*([+-])\s*(\d+)", part) or re.fullmatch(r"(.+?)\s+()(\d+)", part)
            if match is None:
                problem("effects", f"'{_short(part)}' is not an effect: write an indicator and a change, e.g. "
                                   f"'{(self.indicators.ids or ['tension'])[0]} +5; trust -5; readiness +1'")
                continue
            name, delta = match.group(1).strip(), int(match.group(2) + match.group(3))
            which = _fold(name) if _fold(name) in pairs else self.indicators.get(name)
            if which is None:
                problem("effects", f"unknown indicator '{_short(name)}': the indicators are "
                                   f"{self.indicators.known()} (and trust, readiness)")
                continue
            if which in seen:
                problem("effects", f"'{which}' is given twice")
                continue
            seen.add(which)
            most = DELTAS.get(which, DELTAS["indicator"])
            if abs(delta) > most:
                problem("effects", f"{which} {delta:+d}: a change is at most {most} either way")
            elif which in pairs:
                pairs[which] = delta
            else:
                changes[which] = delta
        if len(changes) > MAX_EFFECTS:
            problem("effects", f"over {MAX_EFFECTS} indicator changes")
        return (tuple(IndicatorDelta(k, v) for k, v in changes.items()), pairs["trust"], pairs["readiness"],
                tuple(beliefs), tuple(polls))
