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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

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
    """A perspective's view: section name -> value, with the state parts each was computed from."""

    values: dict[str, Any]
    inputs: dict[str, tuple]


def view_sections(state, viewer: Actor, previous: Sections | None = None) -> Sections:
    """Every view section ``viewer`` may see. Sections whose state parts are the very objects they
    were computed from in ``previous`` are reused, not recomputed (states are immutable)."""
    viewer = perspective(viewer)
    values, inputs = {}, {}
    for section in VIEWS:
        parts = tuple(getattr(state, name) for name in section.reads)
        if previous is not None and section.name in previous.inputs and _same(previous.inputs[section.name], parts):
            value = previous.values.get(section.name, _HIDDEN)
        else:
            value = section.build(state, viewer)
        inputs[section.name] = parts
        if value is not _HIDDEN and value is not None:
            values[section.name] = value
    return Sections(values, inputs)


_HIDDEN = object()


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def view_state(state, viewer: Actor) -> dict:
    """The whole state as ``viewer`` may see it: every section, ``you`` and ``last_seq``."""
    view = dict(view_sections(state, viewer).values)
    view["you"] = viewer.to_dict()
    view["last_seq"] = state.seq
    return view


def diff(old: Sections | None, new: Sections) -> dict:
    """What changed between two views of one perspective, as a patch::

        {"set": {section: value},                        # sections replaced whole
         "merge": {section: {"key": field, "upsert": [entries], "remove": [keys], "order": [keys]}}}

    List sections with a key are patched entry by entry; ``order`` is given only when the keys
    or their order changed. Empty parts are left out; an empty dict means nothing changed.
    """
    keys = {section.name: section.key for section in VIEWS}
    before = old.values if old is not None else {}
    set_, merge = {}, {}
    for name, value in new.values.items():
        if old is not None and name in old.inputs and _same(old.inputs[name], new.inputs[name]) and name in before:
            continue
        previous = before.get(name)
        if previous == value:
            continue
        key = keys.get(name)
        if key is None or previous is None:
            set_[name] = value
            continue
        old_by_key = {entry[key]: entry for entry in previous}
        upsert = [entry for entry in value if old_by_key.get(entry[key]) != entry]
        new_keys = [entry[key] for entry in value]
        change = {"key": key, "upsert": upsert}
        kept = set(new_keys)
        removed = [k for k in old_by_key if k not in kept]
        if removed:
            change["remove"] = removed
        if new_keys != list(old_by_key):
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
