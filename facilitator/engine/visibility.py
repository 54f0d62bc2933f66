"""The one visibility boundary: which events a viewer may see, and what of the state.

Every payload a client can receive passes through here: live updates, ``sync``,
``resume``, REST history, and later replay and export.

- An event is visible to a viewer when its audience includes the viewer (``sees``).
- The state is shown through view sections that each slice declares (``@view``).
  They never re-derive a rule: state records keep the audience of the event that
  made them known (a play, a reciprocation, a proposal version, a fired inject,
  a back-channel) and a section shows a record only to those who ``sees`` it.
- Viewers come in *perspectives*: the umpire, the observers, and each delegation.
  Every member of a delegation sees exactly the same, so live delivery computes
  one payload per perspective, not one per connection.
- After each command a perspective's view is advanced from its previous one: only the
  sections reading a part of the state that changed are rebuilt, and in them the entries
  of records that did not change are the very objects of before (``entries``), which
  ``diff`` skips at once. What a client receives is what a view built whole would give.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from operator import is_, itemgetter
from typing import Any, Callable, Iterable, Sequence

from .audience import CONTROL, DELEGATION, OBSERVER, UMPIRE, Actor, Audience
from .core import VIEWS, Event


def sees(viewer: Actor, audience: Audience) -> bool:
    """True if ``viewer`` is in ``audience`` (the umpire is in every audience)."""
    if viewer.role in CONTROL or audience.everyone:
        return True
    if viewer.role == OBSERVER:
        return audience.observers
    return viewer.role == DELEGATION and viewer.delegation in audience.delegations


def visible_to(event: Event, viewer: Actor) -> bool:
    """True if ``viewer`` may receive ``event`` (live, on resume, in history, replay or export)."""
    return sees(viewer, event.audience)


def visible_events(events: Iterable[Event], viewer: Actor) -> list[Event]:
    return [e for e in events if sees(viewer, e.audience)]


# ---- perspectives ------------------------------------------------------------------------------------


def perspective(viewer: Actor) -> Actor:
    """The perspective ``viewer`` sees the exercise from: its role and delegation, nobody's name
    (assistants see what the umpire sees)."""
    if viewer.role in CONTROL:
        return Actor(UMPIRE)
    return Actor(viewer.role, viewer.delegation if viewer.role == DELEGATION else None)


def perspectives(deck) -> list[Actor]:
    """Every perspective of an exercise: the umpire, the observers, each delegation."""
    return [Actor(UMPIRE), Actor(OBSERVER)] + [Actor(DELEGATION, d.id) for d in deck.delegations]


def perspective_key(viewer: Actor) -> str:
    """A stable name for ``viewer``'s perspective: ``umpire``, ``observers``, ``public`` or ``d:<delegation>``."""
    if viewer.role in CONTROL:
        return "umpire"
    if viewer.role == OBSERVER:
        return "observers"
    if viewer.role == PUBLIC:
        return PUBLIC
    return f"d:{viewer.delegation}"


# ---- replay: which perspectives a viewer may replay ---------------------------------------------------

PUBLIC = "public"  # a replay's perspective of what everyone was told, and nothing else


def replay_keys(viewer: Actor, deck) -> list[str]:
    """The perspectives ``viewer`` may replay an exercise from: exercise control, any (``umpire``,
    ``observers``, ``public``, each ``d:<delegation>``); a delegation's member, its own and ``public``;
    an observer, ``public``."""
    if viewer.role in CONTROL:
        return [perspective_key(p) for p in perspectives(deck)] + [PUBLIC]
    if viewer.role == DELEGATION:
        return [f"d:{viewer.delegation}", PUBLIC]
    return [PUBLIC]


def perspective_for(key: str, deck) -> Actor | None:
    """The viewer a perspective key stands for (None for an unknown key)."""
    if key == PUBLIC:
        return Actor(PUBLIC)
    return next((p for p in perspectives(deck) if perspective_key(p) == key), None)


# ---- the state as a viewer sees it ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sections:
    """A perspective's view: section name -> value, with the state parts each was computed from.

    ``memos``: per section, what its ``entries`` calls built, to reuse an entry while its record is the very
    same object (see ``entries``); ``viewer``, ``deck``, ``state`` and ``plan``: whose view it is, of which deck,
    built from which state, with which sections (a view of another perspective or deck is never reused)."""

    values: dict[str, Any]
    inputs: dict[str, tuple]
    memos: dict[str, tuple] = field(default_factory=dict, repr=False, compare=False)
    viewer: Actor | None = field(default=None, compare=False)
    deck: Any = field(default=None, repr=False, compare=False)
    state: Any = field(default=None, repr=False, compare=False)
    plan: Any = field(default=None, repr=False, compare=False)  # the sections declared when it was built


def view_sections(state, viewer: Actor, previous: Sections | None = None,
                  moved: tuple[str, ...] | None = None) -> Sections:
    """Every view section ``viewer`` may see. Sections whose state parts are the very objects they
    were computed from in ``previous`` are reused, not recomputed (states are immutable); the others
    are rebuilt, reusing the entries of records that are the very objects they were built from
    (``entries``). A ``previous`` of another perspective or deck is ignored. ``moved``: what
    ``moved(previous.state, state)`` returns, when the caller advances several perspectives at once.

    Without ``previous`` the view is built whole and keeps no entries (``view_state``, a replay): the
    first view advanced from it keeps those of the sections it rebuilds."""
    viewer = perspective(viewer)
    plan = _plan()
    if previous is not None:
        if previous.viewer != viewer or previous.deck is not state.deck:
            previous = None
        elif previous.plan is plan and previous.state is not None:
            if previous.state is state:
                return previous
            rebuilt = moved if moved is not None else _moved(previous.state, state, plan)
            return _advance(state, viewer, previous, plan, rebuilt)
    values, inputs, memos = {}, {}, {}
    if previous is None:  # built whole: nothing to reuse, so nothing kept (the next build keeps its entries)
        for section in plan.sections:
            value = section.build(state, viewer)
            inputs[section.name] = section.parts(state)
            if value is not None:
                values[section.name] = value
        return Sections(values, inputs, memos, viewer, state.deck, state, plan)
    before, old_memos = previous.inputs, previous.memos
    for section in plan.sections:
        name = section.name
        old = before.get(name)
        if old is not None and _same(old, section.parts(state)):
            value = previous.values.get(name, _HIDDEN)
            inputs[name] = old  # the very tuple: ``diff`` sees at once that the section was reused
            memo = old_memos.get(name)
        else:
            inputs[name], value, memo = _build(section, state, viewer, old_memos.get(name, ()))
        if memo:
            memos[name] = memo
        if value is not _HIDDEN and value is not None:
            values[name] = value
    return Sections(values, inputs, memos, viewer, state.deck, state, plan)


def moved(was, state) -> tuple[str, ...]:
    """The view sections, by name and in order, that read a part of ``state`` that is another object than in
    ``was`` (another state of the same exercise): those a view advanced from ``was`` to ``state`` rebuilds,
    whatever the perspective. Computed once, it serves every perspective (``view_sections``, ``diff``)."""
    return _moved(was, state, _plan())


def _moved(was, state, plan: _Plan) -> tuple[str, ...]:
    affected = set()
    for name in plan.reads:
        if getattr(state, name) is not getattr(was, name):
            affected.update(plan.readers[name])
    return tuple(plan.sections[index].name for index in sorted(affected))


def _advance(state, viewer: Actor, previous: Sections, plan: _Plan, rebuilt: tuple[str, ...]) -> Sections:
    """``view_sections`` from ``previous``, built from another state of the same exercise: only the sections
    ``rebuilt`` (``moved``) are built again; the rest is ``previous``'s."""
    values, inputs, memos = dict(previous.values), dict(previous.inputs), dict(previous.memos)
    appeared = False
    for name in rebuilt:
        section = plan.by_name[name]
        inputs[name], value, memo = _build(section, state, viewer, memos.get(name, ()))
        if memo:
            memos[name] = memo
        else:
            memos.pop(name, None)
        if value is None:
            values.pop(name, None)
        else:
            appeared = appeared or name not in values
            values[name] = value
    if appeared:  # in the order of the sections, as a view built whole has them
        values = {section.name: values[section.name] for section in plan.sections if section.name in values}
    return Sections(values, inputs, memos, viewer, state.deck, state, plan)


def _build(section, state, viewer: Actor, old_memo: tuple) -> tuple[tuple, Any, tuple]:
    """One section built afresh: its state parts, its value and what its ``entries`` calls built."""
    memo = _Memo(old_memo)
    token = _MEMO.set(memo)
    try:
        value = section.build(state, viewer)
    finally:
        _MEMO.reset(token)
    return section.parts(state), value, tuple(memo.fresh)


_HIDDEN = object()


def _same(a: tuple, b: tuple) -> bool:
    return a is b or (len(a) == len(b) and all(map(is_, a, b)))


# ---- entries reused by identity ---------------------------------------------------------------------


class _Memo:
    """What one section's ``entries`` calls built last time (``old``, in call order) and build now (``fresh``)."""

    __slots__ = ("fresh", "old")

    def __init__(self, old: tuple):
        self.old, self.fresh = old, []


_MEMO: ContextVar[_Memo | None] = ContextVar("facilitator_view_memo", default=None)


def entries(records: Sequence, build: Callable[[Any], Any]) -> list:
    """``[build(r) for r in records]`` without the ``None``s (records the viewer is not shown), for a list
    section's entries, each a function of its record and the viewer only (and the deck).

    When ``view_sections`` rebuilds a section of a view it advances, an entry is reused, the very object,
    when its record is the very object it was built from in that perspective's previous view of the section
    (records are frozen); when ``records`` only grew (the same objects first) the previous list is extended.
    ``diff`` then skips reused entries at once. The memo lives in that perspective's ``Sections``: it holds
    the records of the section's last build and their entries, no more, and is never given to another
    perspective. A section may call ``entries`` several times (its calls are matched in order)."""
    memo = _MEMO.get()
    if memo is None:
        return [e for e in map(build, records) if e is not None]
    records = records if isinstance(records, tuple) else tuple(records)
    code = getattr(build, "__code__", build)  # a closure made anew for each build is the same code
    call = len(memo.fresh)
    last = memo.old[call] if call < len(memo.old) else None
    if last is None or last[0] is not code:
        built = tuple(map(build, records))
        shown = tuple(e for e in built if e is not None)
    else:
        _, before, made, shown_before = last
        n = len(before)
        if len(records) >= n and all(map(is_, before, records)):  # it only grew: the same records first
            tail = tuple(map(build, records[n:]))
            built = made + tail if tail else made
            shown = shown_before + tuple(e for e in tail if e is not None) if tail else shown_before
        else:
            # ``before`` is alive (held by the memo): a record whose id is in it is one of its objects
            known = dict(zip(map(id, before), made))
            built = tuple(known[id(r)] if id(r) in known else build(r) for r in records)
            shown = tuple(e for e in built if e is not None)
    memo.fresh.append((code, records, built, shown))
    return list(shown)


def view_state(state, viewer: Actor) -> dict:
    """The whole state as ``viewer`` may see it: every section, ``you`` and ``last_seq``."""
    view = dict(view_sections(state, viewer).values)
    view["you"] = viewer.to_dict()
    view["last_seq"] = state.seq
    return view


def diff(old: Sections | None, new: Sections, moved: tuple[str, ...] | None = None) -> dict:
    """What changed between two views of one perspective, as a patch::

        {"set": {section: value},                        # sections replaced whole
         "merge": {section: {"key": field, "upsert": [entries], "remove": [keys], "order": [keys]}}}

    List sections with a key are patched entry by entry. ``order`` is given only when the client would not
    arrive at it on its own: each entry kept keeps its place, those removed go, and the new ones (in
    ``upsert``, keys it did not hold) come at the end, in their order there. A list that only grew (a message,
    an inject fired) so costs its new entries alone, not the keys of all it holds. Empty parts are left out;
    an empty dict means nothing changed. Entries that are the very same objects (reused by ``entries``) are
    known equal without comparing. ``moved``: the only sections that may have changed (``moved``), when
    ``new`` was advanced from ``old``.
    """
    before = old.values if old is not None else {}
    old_inputs = old.inputs if old is not None else {}
    set_, merge = {}, {}
    keys = None
    values = new.values
    changed = values.items() if moved is None else ((name, values[name]) for name in moved if name in values)
    for name, value in changed:
        if name in before:
            inputs = old_inputs.get(name)
            if inputs is not None and _same(inputs, new.inputs[name]):
                continue
        previous = before.get(name)
        if previous is value or previous == value:
            continue
        if keys is None:
            keys = _plan().keys
        key = keys.get(name)
        if key is None or previous is None:
            set_[name] = value
            continue
        get = itemgetter(key)
        n = len(previous)
        if len(value) > n and all(map(is_, previous, value)):  # entries only added, at the end (the same first)
            old_keys, added = set(map(get, previous)), list(value[n:])
            if len(old_keys) == n and old_keys.isdisjoint(map(get, added)):  # what the general case finds
                merge[name] = {"key": key, "upsert": added}
                continue
        old_keys = list(map(get, previous))  # as the client holds them (a key held twice, twice)
        old_by_key = dict(zip(old_keys, previous))
        new_keys = list(map(get, value))
        upsert = [entry for entry, was in zip(value, map(old_by_key.get, new_keys))
                  if was is not entry and was != entry]
        change = {"key": key, "upsert": upsert}
        kept = set(new_keys)
        if not kept.issuperset(old_by_key):
            change["remove"] = [k for k in old_by_key if k not in kept]
        if new_keys != old_keys:  # the order the client arrives at without one:
            arrived = [k for k in old_keys if k in kept] + [k for k in map(get, upsert) if k not in old_by_key]
            if new_keys != arrived:
                change["order"] = new_keys
        merge[name] = change
    gone = [name for name in before if name not in new.values]
    for name in gone:
        set_[name] = None
    patch = {}
    if set_:
        patch["set"] = set_
    if merge:
        patch["merge"] = merge
    return patch


@dataclass(frozen=True, slots=True)
class _Plan:
    """What ``VIEWS`` declares, indexed: each section by name, the key of each section's entries (None: pushed
    whole), the state parts any section reads, and which sections (by position) read each part."""

    sections: tuple
    by_name: dict[str, Any]
    keys: dict[str, str | None]
    reads: tuple[str, ...]
    readers: dict[str, tuple[int, ...]]


_PLAN: _Plan | None = None


def _plan() -> _Plan:
    """The plan of ``VIEWS`` as it is now (made again if a section was added or replaced)."""
    global _PLAN
    plan = _PLAN
    if plan is None or len(plan.sections) != len(VIEWS) or not all(map(is_, plan.sections, VIEWS)):
        sections = tuple(VIEWS)
        readers: dict[str, list[int]] = {}
        for index, section in enumerate(sections):
            for name in section.reads:
                readers.setdefault(name, []).append(index)
        plan = _PLAN = _Plan(sections, {section.name: section for section in sections},
                             {section.name: section.key for section in sections}, tuple(readers),
                             {name: tuple(indexes) for name, indexes in readers.items()})
    return plan
