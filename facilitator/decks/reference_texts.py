"""The glossary and the timeline players may read beside the decks (``seeds/glossary.yaml`` and
``seeds/timeline.yaml``): read, checked against the source notes, and given to the browser.

Both files are optional: a seeds folder without them has an empty glossary and an empty timeline. Their
format is described in docs/scenario-format.md ("The glossary and the timeline").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from marshmallow import ValidationError, fields, post_load, validate, validates

from .loader import DeckInvalid, Problem, flatten, load_notes, read_yaml
from .references import check_citations
from .schemas import Sources, Strict

GLOSSARY_FILE = "glossary.yaml"
TIMELINE_FILE = "timeline.yaml"
DATE_PATTERN = r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$"


@dataclass(frozen=True)
class Term:
    """A word or name players meet in the decks' texts, with the other ways the texts write it."""

    term: str
    aliases: tuple[str, ...]
    definition: str
    general: bool  # the definition draws on general knowledge, not on the source notes alone
    sources: tuple[str, ...]

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


@dataclass(frozen=True)
class Event:
    """A dated event of the war: ``date`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""

    date: str
    text: str
    general: bool
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ReferenceTexts:
    """The glossary's terms, in the file's order, and the timeline's events, oldest first."""

    terms: tuple[Term, ...] = ()
    timeline: tuple[Event, ...] = ()

    def as_json(self) -> dict:
        """``{"terms": [{term, aliases, definition, general, sources}], "timeline": [{date, text, general,
        sources}]}``, the terms in the file's order and the events oldest first."""
        return {"terms": [{"term": t.term, "aliases": list(t.aliases), "definition": t.definition,
                           "general": t.general, "sources": list(t.sources)} for t in self.terms],
                "timeline": [{"date": e.date, "text": e.text, "general": e.general, "sources": list(e.sources)}
                             for e in self.timeline]}


def _text(most: int, **kw):
    return fields.String(required=True, validate=validate.Length(min=1, max=most), **kw)


class TermSchema(Strict):
    """One entry of ``seeds/glossary.yaml``; builds a ``Term``. Unknown keys are refused."""

    term = _text(80)
    aliases = fields.List(_text(80), load_default=list)
    definition = _text(600)
    general = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    sources = Sources()

    @post_load
    def make(self, data, **kw):
        return Term(data["term"].strip(), tuple(a.strip() for a in data["aliases"]), data["definition"].strip(),
                    data["general"], tuple(data["sources"]))


class EventSchema(Strict):
    """One entry of ``seeds/timeline.yaml``; builds an ``Event``. A date must be a real day (or month, or year)."""

    date = fields.String(required=True, validate=validate.Regexp(DATE_PATTERN, error="Use YYYY, YYYY-MM or "
                                                                                      "YYYY-MM-DD (quote it)."))
    text = _text(600)
    general = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    sources = Sources()

    @validates("date")
    def a_real_day(self, value, **kw):
        match = re.match(DATE_PATTERN, value)
        if match is None:
            return  # the pattern's own message says what is wrong
        year, month, day = (int(part) if part else None for part in match.groups())
        if month is not None and not 1 <= month <= 12:
            raise ValidationError(f"There is no month {month}.")
        if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
            raise ValidationError(f"There is no day {day} in {calendar.month_name[month]} {year}.")

    @post_load
    def make(self, data, **kw):
        return Event(data["date"], data["text"].strip(), data["general"], tuple(data["sources"]))


class GlossarySchema(Strict):
    """``seeds/glossary.yaml``: ``{terms: [...]}``, at least one."""

    terms = fields.List(fields.Nested(TermSchema), required=True, validate=validate.Length(min=1))


class TimelineSchema(Strict):
    """``seeds/timeline.yaml``: ``{events: [...]}``, at least one (their order is checked after loading)."""

    events = fields.List(fields.Nested(EventSchema), required=True, validate=validate.Length(min=1))


def date_key(date: str) -> tuple[int, int, int]:
    """A timeline date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) as (year, month, day), 0 for a part not given, so
    that a year sorts before its months and a month before its days. Raises ``ValueError`` for another string."""
    return tuple(int(part) for part in (date.split("-") + ["0", "0"])[:3])


def mentions(forms: Iterable[str], text: str) -> bool:
    """Whether ``text`` uses one of ``forms`` (a term and its aliases) as the browser marks it: as a whole word
    or phrase (not inside a longer word), written as given but for its first letter, which may be either case
    (``cease-fire`` is found in "Cease-fire lines", not in "ceasefires"; ``New START`` not in "a new start")."""
    return term_pattern(forms).search(text) is not None


def term_pattern(forms: Iterable[str]) -> re.Pattern:
    """The compiled pattern ``mentions`` uses for ``forms`` (non-empty strings), longest form first so that a
    phrase wins over a word it starts with; static/js/lib/glossary.js builds the same one in the browser."""
    alternatives = []
    for form in sorted(forms, key=len, reverse=True):
        first, rest = form[0], form[1:]
        head = f"[{re.escape(first.lower())}{re.escape(first.upper())}]" if first.lower() != first.upper() \
            else re.escape(first)
        alternatives.append(head + re.escape(rest))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def load_reference_texts(seeds_dir: Path, notes: Mapping[str, dict] | None = None) -> ReferenceTexts:
    """The glossary and the timeline in ``seeds_dir`` (either file may be absent: its part is then empty),
    checked against ``notes`` (read from ``seeds_dir/notes`` when not given).

    Raises ``DeckInvalid`` naming every problem of both files with its file and path (a note that does not
    exist or has no such fact, a form of a term given twice, events out of date order), or the notes' own
    problems when the notes are read here and are broken.
    """
    seeds_dir = Path(seeds_dir)
    if notes is None:
        notes = load_notes(seeds_dir)
    problems: list[Problem] = []
    terms = _read(seeds_dir / GLOSSARY_FILE, GlossarySchema, "terms", problems)
    events = _read(seeds_dir / TIMELINE_FILE, TimelineSchema, "events", problems)
    if terms is not None:
        file = str(seeds_dir / GLOSSARY_FILE)
        problems += [Problem(file, path, msg) for path, msg in _glossary_problems(terms, notes)]
    if events is not None:
        file = str(seeds_dir / TIMELINE_FILE)
        problems += [Problem(file, path, msg) for path, msg in _timeline_problems(events, notes)]
    if problems:
        raise DeckInvalid(problems)
    return ReferenceTexts(tuple(terms or ()), tuple(events or ()))


def check_reference_texts(seeds_dir: Path) -> list[Problem]:
    """Every problem in the glossary and the timeline of ``seeds_dir`` (``load_reference_texts``). Nothing
    while the notes themselves are broken: ``validate_files`` reports the notes' problems, and citations can
    only be checked against valid notes."""
    try:
        notes = load_notes(Path(seeds_dir))
    except DeckInvalid:
        return []
    try:
        load_reference_texts(seeds_dir, notes)
    except DeckInvalid as exc:
        return exc.problems
    return []


def _read(path: Path, schema, key: str, problems: list[Problem]) -> list | None:
    """The records under ``key`` in ``path``; None when the file is absent or broken (``problems`` says why)."""
    if not path.exists():
        return None
    try:
        return schema().load(read_yaml(path))[key]
    except DeckInvalid as exc:
        problems += exc.problems
    except ValidationError as exc:
        problems += [Problem(str(path), p, m) for p, m in flatten(exc.messages)]
    return None


def _glossary_problems(terms: list[Term], notes: Mapping[str, dict]):
    seen: dict[str, str] = {}
    for i, term in enumerate(terms):
        yield from check_citations(f"terms[{i}].sources", term.sources, notes)
        places = [(f"terms[{i}].term", term.term)] + [(f"terms[{i}].aliases[{j}]", a) for j, a in
                                                      enumerate(term.aliases)]
        for path, form in places:
            key = form.casefold()
            if key in seen:
                yield path, f"'{form}' is already given at {seen[key]}: a form names one term only."
            else:
                seen[key] = path


def _timeline_problems(events: list[Event], notes: Mapping[str, dict]):
    for i, event in enumerate(events):
        yield from check_citations(f"events[{i}].sources", event.sources, notes)
        if i and date_key(event.date) < date_key(events[i - 1].date):
            yield (f"events[{i}].date", f"{event.date} comes after {events[i - 1].date} (events[{i - 1}]): list "
                                        "the events oldest first.")
