"""What every slice of the engine is made of: command and event records, and the registries they fill.

A slice (``signals.py``, ``proposals.py`` …) declares, on one screen:

- its **commands**, frozen records named in the imperative (``@command("play_signal")``);
  their fields are typed with the wire vocabulary below (``Ref``, ``Refs``, ``Text`` …),
  from which the wire schemas are derived;
- its **events**, frozen records named in the past tense (``@event("signal_played")``)
  with a version (old stored versions are upgraded on load) and a ``describe`` that
  says in words what happened;
- its **deciders** (``@decides(PlaySignal)``): what a command means under the rules,
  as events recorded on an ``Outcome``;
- its **evolvers** (``@evolves(SignalPlayed)``): how an event changes the state;
- its part of the **view** (``@view("signals", key="play")``): what a viewer sees of it,
  filtered by the audiences stored in the state (see ``visibility.py``).

Registries fill themselves when the slices are imported; nothing is listed twice.
Standard library only.
"""

from __future__ import annotations

import dataclasses
import operator
import typing
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType, UnionType
from typing import Annotated, Any, Callable, ClassVar, Mapping

from .audience import Actor, Audience

# ---- the wire vocabulary of command fields ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wire:
    """How a command field travels: ``kind`` and its bounds. Read by ``facilitator.schemas``."""

    kind: str  # ref, refs, number, numbers, text, int, records, pair
    min: int | None = None
    max: int | None = None


MAX_REF = 100  # characters of an id or reference
MAX_REFS = 50  # delegations in one list

Ref = Annotated[str, Wire("ref", 1, MAX_REF)]
Refs = Annotated[tuple[str, ...], Wire("refs", 0, MAX_REFS)]
Pair = Annotated[tuple[str, str], Wire("pair", 2, 2)]
Number = Annotated[int, Wire("number", 1)]
Text = Annotated[str, Wire("text")]  # length rules are the engine's (``too_long`` names the limit)


def Numbers(most: int):
    return Annotated[tuple[int, ...], Wire("numbers", 0, most)]


def Int(low: int, high: int):
    return Annotated[int, Wire("int", low, high)]


def Records(most: int):
    """A list of nested records (the element type is the tuple's)."""
    return Wire("records", 0, most)


# ---- registries ------------------------------------------------------------------------------------

COMMANDS: dict[str, type] = {}  # wire type -> command record
EVENTS: dict[str, type] = {}  # event type -> event record (current version)
DECIDERS: dict[type, Callable] = {}  # command record -> decider(state, command, actor, out)
EVOLVERS: dict[type, Callable] = {}  # event record -> evolver(state, event record, event) -> state


@dataclass(frozen=True, slots=True)
class ViewSection:
    """One key of a viewer's state: computed by ``build(state, viewer)`` from the parts ``reads`` names.

    ``key`` names the field identifying each entry of a list section (pushed entry by entry);
    ``None`` means the section is pushed whole when it changes.
    """

    name: str
    build: Callable
    reads: tuple[str, ...]
    key: str | None = None
    parts: Callable = dataclasses.field(init=False, repr=False, compare=False)  # state -> the tuple of its reads

    def __post_init__(self):
        reads = tuple(self.reads)
        if not reads:
            parts = _no_parts
        elif len(reads) == 1:
            get = operator.attrgetter(reads[0])

            def parts(state, get=get) -> tuple:
                return (get(state),)
        else:
            parts = operator.attrgetter(*reads)  # a tuple already
        object.__setattr__(self, "parts", parts)


def _no_parts(state) -> tuple:
    return ()


VIEWS: list[ViewSection] = []
INITIALS: list[Callable] = []  # initial(deck) -> {state field: value}


def command(type_name: str, *, client: bool = True, after_end: bool = False, after_archive: bool = False,
            conflicts: tuple[str, ...] = ()):
    """Register a command record under its wire ``type``.

    ``client=False``: only the server sends it. ``after_end``: still allowed once the exercise has ended.
    ``after_archive``: still allowed once it is archived (its log is then read, not added to, but for these).
    ``conflicts``: the event types that make a command decided on an older ``seq`` stale (empty: any event).
    """

    def register(cls):
        cls = dataclass(frozen=True, slots=True)(cls)
        cls.TYPE, cls.CLIENT, cls.AFTER_END, cls.CONFLICTS = type_name, client, after_end, conflicts
        cls.AFTER_ARCHIVE = after_archive
        if type_name in COMMANDS:
            raise ValueError(f"command type {type_name!r} registered twice")
        COMMANDS[type_name] = cls
        return cls

    return register


def record(cls):
    """A plain frozen record nested in a command or an event (e.g. a clause)."""
    return dataclass(frozen=True, slots=True)(cls)


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of record class ``cls``, in order (cached); None for a class that is not a record."""
    try:
        return _FIELD_NAMES[cls]
    except KeyError:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)) \
            if dataclasses.is_dataclass(cls) else None
        return names


def replace(obj, /, **changes):
    """A copy of frozen record ``obj`` with ``changes`` (what ``dataclasses.replace`` does, for records without
    ``__post_init__``, at less than two thirds of its cost: folding a long log makes several per event).
    Raises ``TypeError`` for a name that is not a field."""
    cls = obj.__class__
    names = field_names(cls)
    if names is None:
        raise TypeError(f"{cls.__name__} is not a record")
    unknown = changes.keys() - set(names)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
    new = object.__new__(cls)
    for name in names:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(obj, name))
    return new


def event(type_name: str, version: int = 1, upgrades: Mapping[int, Callable[[dict], dict]] | None = None):
    """Register an event record. ``upgrades[v]`` turns the data of stored version ``v`` into version ``v + 1``.

    The record must define ``describe(self, deck) -> Description``: the words every client shows.
    """

    def register(cls):
        if "describe" not in cls.__dict__:
            raise TypeError(f"event {type_name!r} has no describe()")
        cls = dataclass(frozen=True, slots=True)(cls)
        cls.TYPE, cls.VERSION, cls.UPGRADES = type_name, version, dict(upgrades or {})
        missing = [v for v in range(1, version) if v not in cls.UPGRADES]
        if missing:
            raise ValueError(f"event {type_name!r} v{version} cannot upgrade stored versions {missing}")
        if type_name in EVENTS:
            raise ValueError(f"event type {type_name!r} registered twice")
        EVENTS[type_name] = cls
        return cls

    return register


def decides(command_cls):
    def register(fn):
        DECIDERS[command_cls] = fn
        return fn

    return register


def evolves(*event_classes):
    def register(fn):
        for cls in event_classes:
            EVOLVERS[cls] = fn
        return fn

    return register


def view(name: str, *, reads: tuple[str, ...], key: str | None = None):
    def register(fn):
        VIEWS.append(ViewSection(name, fn, reads, key))
        return fn

    return register


def initial(fn):
    INITIALS.append(fn)
    return fn


# ---- describing events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Description:
    """What happened, in words: ``kind`` groups events for styling and filtering; plain text only."""

    kind: str
    title: str
    detail: str | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "title": self.title, "detail": self.detail}


def names(deck, ids) -> str:
    """'Ukraine', 'Ukraine and Russia', 'Ukraine, Russia and Turkey'."""
    found = [deck.delegation(i).name if deck.delegation(i) else i for i in ids]
    if len(found) <= 1:
        return "".join(found)
    return f"{', '.join(found[:-1])} and {found[-1]}"


def signed(n: int | float) -> str:
    return f"+{n}" if n > 0 else f"{n}"


# ---- records to plain data and back ----------------------------------------------------------------


_ATOMS = frozenset({str, int, float, bool, type(None)})


def plain(value):
    """A record (or anything inside one) as JSON-ready data: tuples become lists, records dicts.

    Dispatched on the exact class first (every stored event and every published one goes through here, and
    an ``isinstance`` against ``typing.Mapping`` costs an ABC check): subclasses take the general way."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is tuple or kind is list:
        return [plain(v) for v in value]
    if kind is dict or kind is MappingProxyType:
        return {k: plain(v) for k, v in value.items()}
    names = field_names(kind)
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


_HINTS: dict[type, dict] = {}


def hints(cls) -> dict[str, Any]:
    """The type hints of a record's fields (with ``Annotated`` extras), cached."""
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = {f.name: typing.get_type_hints(cls, include_extras=True)[f.name]
                               for f in dataclasses.fields(cls)}
    return found


def from_plain(cls, data: Mapping):
    """Build record ``cls`` from plain data (lists become tuples, nested dicts records). Unknown keys are ignored."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = tuple((name, _converter(hint)) for name, hint in hints(cls).items())
    args = {}
    for name, convert in plan:
        if name in data:
            value = data[name]
            args[name] = value if convert is None or value is None else convert(value)
    return cls(**args)


_PLANS: dict[type, tuple] = {}  # record -> ((field, converter or None for "as it is"), ...): folding long logs
_SCALARS = (str, int, float, bool, Any)


def _converter(hint):
    """How to turn plain data into a value of ``hint``: None when it is taken as it is (the common case of a
    string or a number), else a function. Worked out once per field, not once per event."""
    hint = _unwrap(hint)
    if hint in _SCALARS:
        return None
    return lambda value: _convert(hint, value)


def _convert(hint, value):
    if value is None:
        return None
    hint = _unwrap(hint)
    if typing.get_origin(hint) in (typing.Union, UnionType):  # e.g. ``str | tuple[str, ...]``: as the value is
        wanted = tuple if isinstance(value, (list, tuple)) else type(value)
        hint = next((a for a in typing.get_args(hint) if (typing.get_origin(a) or a) is wanted), hint)
    origin = typing.get_origin(hint)
    if origin is tuple:
        inner = typing.get_args(hint)
        element = inner[0] if inner else Any
        return tuple(_convert(element, v) for v in value)
    if dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
        return from_plain(hint, value)
    if origin in (dict, Mapping) or hint is Mapping:
        return MappingProxyType(dict(value))
    return value


def _unwrap(hint):
    """``Annotated[X, …]`` -> X; ``X | None`` -> X."""
    if typing.get_origin(hint) is Annotated:
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) in (typing.Union, UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(options) == 1:
            return _unwrap(options[0])
    return hint


# ---- the stored event --------------------------------------------------------------------------------


@record
class UnknownEvent:
    """An event type this version does not know (a newer server wrote it): kept, shown, never folded."""

    type_name: str
    raw: Mapping

    TYPE: ClassVar[str] = "unknown"
    VERSION: ClassVar[int] = 0

    def describe(self, deck) -> Description:
        return Description("other", self.type_name.replace("_", " "))


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the log: an event record, who may see it, who did it, and where it stands.

    ``actor`` is set only on the events that record the act itself; the consequences an act
    sets off (indicator moves, trust changes, agreements entering into force) carry none, so
    their audience never learns who acted where it may not see the act.
    """

    payload: Any
    audience: Audience
    actor: Actor | None = None
    seq: int | None = None
    at: datetime | None = None

    @property
    def type(self) -> str:
        if isinstance(self.payload, UnknownEvent):
            return self.payload.type_name
        return self.payload.TYPE

    @property
    def version(self) -> int:
        return self.payload.VERSION

    @property
    def data(self) -> dict:
        if isinstance(self.payload, UnknownEvent):
            return dict(self.payload.raw)
        return plain(self.payload)

    def stored(self, seq: int, at: datetime) -> "Event":
        return Event(self.payload, self.audience, self.actor, seq, at)

    def to_dict(self, deck=None) -> dict:
        """The wire and export shape: ``{seq, type, version, at, actor, audience, data[, summary]}``.

        With ``deck``, ``summary`` (``{kind, title, detail}``) says in words what happened.
        """
        out = {
            "seq": self.seq,
            "type": self.type,
            "version": self.version,
            "at": self.at.isoformat() if self.at else None,
            "actor": self.actor.to_dict() if self.actor else None,
            "audience": self.audience.to_dict(),
            "data": self.data,
        }
        if deck is not None:
            out["summary"] = self.payload.describe(deck).to_dict()
        return out


def load_event(type_name: str, version: int, data: Mapping, audience: Audience, actor: Actor | None,
               seq: int | None = None, at: datetime | None = None) -> Event:
    """An event as stored (any version) -> the current record, upgraded step by step."""
    cls = EVENTS.get(type_name)
    if cls is None or version > cls.VERSION:
        return Event(UnknownEvent(type_name, MappingProxyType(dict(data))), audience, actor, seq, at)
    data = dict(data)
    for v in range(version, cls.VERSION):
        data = cls.UPGRADES[v](data)
    return Event(from_plain(cls, data), audience, actor, seq, at)


# ---- the outcome of one command ----------------------------------------------------------------------


class Outcome:
    """The events one command produces, each folded at once into ``state``.

    Deciders read ``state`` (the running state: an indicator already moved by a signal's cost,
    a signature already counted) and record events with ``act`` (the act itself, stamped with the
    actor) or ``consequence`` (what the act sets off, with no actor). Every event is numbered
    and folded as it is recorded, so an event that cannot be folded never reaches the log.
    """

    def __init__(self, state, actor: Actor, now: datetime, evolve: Callable):
        self.before = state
        self.state = state
        self.actor = actor
        self.now = now
        self.events: list[Event] = []
        self.batches: dict[str, dict] = {}  # a slice's changes held back to be recorded together (see indicators)
        self._evolve = evolve

    def act(self, payload, audience: Audience) -> Event:
        return self._record(payload, audience, self.actor)

    def consequence(self, payload, audience: Audience) -> Event:
        return self._record(payload, audience, None)

    def _record(self, payload, audience: Audience, actor: Actor | None) -> Event:
        if type(payload).TYPE not in EVENTS:
            raise TypeError(f"{type(payload).__name__} is not a registered event")
        event = Event(payload, audience, actor, self.before.seq + len(self.events) + 1, self.now)
        self.state = self._evolve(self.state, event)
        self.events.append(event)
        return event

