"""Reading deck and note files, and reporting every problem with file and path."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import yaml
from marshmallow import ValidationError

from facilitator.decks.variants import VariantError, resolve
from facilitator.engine.deck import Deck

from .references import check_mentions, check_references, check_warnings
from .schemas import DeckSchema, SourceNoteSchema


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str
    warning: bool = False  # the deck loads and plays; its author should look (``references.check_warnings``)

    def __str__(self) -> str:
        message = f"warning: {self.message}" if self.warning else self.message
        return f"{self.file}: {self.path}: {message}" if self.path else f"{self.file}: {message}"


class DeckInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadedDeck:
    deck: Deck
    data: dict  # the file as parsed, stored with each exercise so a replay uses the same deck
    path: Path


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"the key '{key}' is given twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: Path) -> dict:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DeckInvalid([Problem(file, "", "Not YAML: the file is not text in UTF-8.")]) from None
    except OSError as exc:
        raise DeckInvalid([Problem(file, "", f"Cannot read the file: {exc}")]) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise DeckInvalid([Problem(file, where, f"Not valid YAML: {reason}.")]) from None
    if data is None:
        raise DeckInvalid([Problem(file, "", "The file is empty.")])
    if not isinstance(data, dict):
        raise DeckInvalid([Problem(file, "", "The file must hold a mapping of keys (id, title, …) at the top.")])
    return data


def flatten(messages, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict -> (``signals[3].effects.trust``, message) pairs."""
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return [(prefix, m) for m in messages]
        return [pair for m in messages for pair in flatten(m, prefix)]
    out = []
    for key, value in messages.items():
        if key == "_schema":
            path = prefix
        elif isinstance(key, int):
            path = f"{prefix}[{key}]"
        else:
            path = f"{prefix}.{key}" if prefix else str(key)
        out += flatten(value, path)
    return out


def deck_from_data(data: dict, file: str = "<deck>", notes: Mapping[str, dict] | None = None) -> Deck:
    """Build a deck from parsed data; raise ``DeckInvalid`` naming every problem."""
    try:
        deck = DeckSchema().load(data)
    except ValidationError as exc:
        raise DeckInvalid([Problem(file, path, msg) for path, msg in flatten(exc.messages)]) from None
    problems = [Problem(file, path, msg) for path, msg in check_references(deck, notes)]
    if problems:
        raise DeckInvalid(problems)
    return deck


STORED_DECKS = 32  # decks kept parsed at most (the distinct decks of the exercises a process serves)
_stored: OrderedDict[str, Deck] = OrderedDict()  # by the digest of the deck's data: least recently used first
_stored_lock = threading.Lock()


def stored_deck(data: dict, file: str = "<deck>") -> Deck:
    """The deck an exercise stores (``data``, as ``LoadedDeck.data``), built once per process for each distinct
    content and shared by every exercise that stores the same (a deck is frozen records). Raises
    ``DeckInvalid`` as ``deck_from_data``.

    Building a deck checks it whole (the schemas, the references): 6-18 ms for this repository's, paid at every
    exercise load, replay and export; and forty classes playing one deck held forty copies of it."""
    text = json.dumps(data, ensure_ascii=False)  # in the data's order: a deck keeps its mappings' order
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    with _stored_lock:
        deck = _stored.get(key)
        if deck is not None:
            _stored.move_to_end(key)
            return deck
    deck = deck_from_data(data, file)  # outside the lock: two first loads of one deck may both build it
    with _stored_lock:
        _stored[key] = deck
        _stored.move_to_end(key)
        while len(_stored) > STORED_DECKS:
            _stored.popitem(last=False)
    return deck


def load_deck(path: Path, notes: Mapping[str, dict] | None = None, maps_dir: Path | None = None) -> LoadedDeck:
    """The deck in ``path``; a variant (``variant_of``) is read with its base from the same folder, and its
    ``data`` is the whole deck it makes. Raises ``DeckInvalid`` naming every problem: besides a deck's own
    rules, a deck file must name only injects and cards its run sheet has (``check_mentions``) and, with
    ``maps_dir``, a map file that is there."""
    path = Path(path)
    data = read_yaml(path)
    if isinstance(data, dict) and data.get("variant_of"):
        def read_base(deck_id: str) -> dict:
            base = path.with_name(f"{deck_id}{path.suffix}")
            if not base.is_file():
                raise DeckInvalid([Problem(str(path), "variant_of", f"No deck '{deck_id}' in {path.parent}.")])
            return read_yaml(base)
        try:
            data = resolve(data, read_base)
        except VariantError as exc:
            raise DeckInvalid([Problem(str(path), "variant_of", str(exc))]) from None
    deck = deck_from_data(data, str(path), notes)
    if deck.id != path.stem:
        raise DeckInvalid([Problem(str(path), "id", f"The deck id '{deck.id}' must match the file name "
                                                    f"'{path.stem}'.")])
    # Checked on deck files only, not in deck_from_data: an exercise stores its deck, and leaving a delegation
    # out when creating one may remove an inject the run sheet names (the run sheet is printed from the file).
    problems = [Problem(str(path), where, message) for where, message in check_mentions(deck)]
    if maps_dir is not None and deck.map is not None and not Path(maps_dir, deck.map.file).is_file():
        problems.append(Problem(str(path), "map.file", f"No map file '{deck.map.file}' in {maps_dir}: add it, "
                                                       "or name a map that is there."))
    if problems:
        raise DeckInvalid(problems)
    return LoadedDeck(deck, data, path)


def load_notes(seeds_dir: Path) -> dict[str, dict]:
    """Every source note in ``seeds_dir/notes``, by id."""
    notes, problems = {}, []
    for path in sorted(Path(seeds_dir, "notes").glob("*.yaml")):
        try:
            note = SourceNoteSchema().load(read_yaml(path))
        except DeckInvalid as exc:
            problems += exc.problems
            continue
        except ValidationError as exc:
            problems += [Problem(str(path), p, m) for p, m in flatten(exc.messages)]
            continue
        if note["id"] != path.stem:
            problems.append(Problem(str(path), "id", f"The note id '{note['id']}' must match the file name."))
        notes[note["id"]] = note
    if problems:
        raise DeckInvalid(problems)
    return notes


def find_deck_files(paths: Iterable[Path]) -> list[Path]:
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            found.append(path)
    return found


def deck_warnings(loaded: LoadedDeck) -> list[Problem]:
    """What a valid deck probably does not mean (a clause that moves a delegation that need not sign it)."""
    return [Problem(str(loaded.path), path, msg, warning=True) for path, msg in check_warnings(loaded.deck)]


def validate_files(paths: Iterable[Path], seeds_dir: Path, warnings: bool = False,
                   maps_dir: Path | None = None) -> list[Problem]:
    """Every problem in the given deck files (folders are searched for ``*.yaml``); with ``warnings``, also
    each valid deck's warnings (``Problem.warning``: they do not make a deck invalid); with ``maps_dir``, a
    map a deck names that is not there."""
    try:
        notes = load_notes(seeds_dir)
    except DeckInvalid as exc:
        return exc.problems
    problems = []
    for path in find_deck_files(paths):
        try:
            loaded = load_deck(path, notes, maps_dir)
        except DeckInvalid as exc:
            problems += exc.problems
            continue
        if warnings:
            problems += deck_warnings(loaded)
    return problems


def load_decks(scenarios_dir: Path, seeds_dir: Path) -> dict[str, LoadedDeck]:
    """All decks in ``scenarios_dir``, checked against the notes; raises on the first broken file."""
    notes = load_notes(seeds_dir)
    decks = {}
    for path in find_deck_files([scenarios_dir]):
        loaded = load_deck(path, notes)
        decks[loaded.deck.id] = loaded
    return decks
