"""Bookmarks and the umpire's notes: moments of the log marked for the debrief.

A bookmark names a moment (a ``seq`` of the log) with a label; the umpire keeps it to exercise control or
shares it with everyone (then every replay, export and report shows it). A note is the umpire's own text
on a moment and stays with exercise control in every perspective. Both may be added during play and after
the end (the debrief happens after it); each record keeps the audience of the event that made it, so the
one visibility boundary decides who sees it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from .audience import Audience
from .core import Description, Number, Outcome, Ref, Text, command, decides, event, evolves, initial, record, view, \
    replace
from .errors import RuleError
from .guards import MAX_TEXT, MAX_TITLE, text, umpire
from .visibility import entries, sees

# ---- state -----------------------------------------------------------------------------------------


@record
class Bookmark:
    id: str  # "b<seq of the event that added it>"
    kind: str  # bookmark | note
    at: int  # the seq it marks
    text: str  # a bookmark's label, a note's text
    by: str
    audience: Audience


@initial
def _initial(deck) -> dict:
    return {"bookmarks": MappingProxyType({})}


# ---- commands ----------------------------------------------------------------------------------------


@command("add_bookmark", after_end=True)
class AddBookmark:
    """Mark the moment ``at`` (a seq of the log) with ``label``; ``shared``: everyone sees it."""

    at: Number
    label: Text
    shared: bool = False


@command("add_note", after_end=True)
class AddNote:
    """The umpire's note on the moment ``at``; exercise control alone ever sees it."""

    at: Number
    text: Text


@command("remove_bookmark", after_end=True)
class RemoveBookmark:
    """Remove a bookmark or a note (``bookmark``: its id)."""

    bookmark: Ref


# ---- events ------------------------------------------------------------------------------------------


@event("bookmark_added")
class BookmarkAdded:
    kind: str  # bookmark | note
    at: int
    text: str
    by: str

    def describe(self, deck) -> Description:
        if self.kind == "note":
            return Description("bookmark", f"Umpire's note on #{self.at}", self.text)
        return Description("bookmark", f"Bookmark at #{self.at}: {self.text}")


@event("bookmark_removed")
class BookmarkRemoved:
    bookmark: str
    kind: str
    at: int

    def describe(self, deck) -> Description:
        return Description("bookmark", ("Note" if self.kind == "note" else "Bookmark") + f" at #{self.at} removed")


# ---- rules -------------------------------------------------------------------------------------------


def _moment(state, at: int) -> int:
    if not 1 <= at <= state.seq:
        raise RuleError("invalid", f"Mark a moment of the log: #1 to #{state.seq}.", {"at": f"1 to {state.seq}"})
    return at


@decides(AddBookmark)
def _add_bookmark(out: Outcome, cmd: AddBookmark) -> None:
    umpire(out.actor)
    at = _moment(out.state, cmd.at)
    audience = Audience.all() if cmd.shared else Audience.umpire_only()
    out.act(BookmarkAdded("bookmark", at, text(cmd.label, "label", MAX_TITLE), out.actor.name or "Umpire"), audience)


@decides(AddNote)
def _add_note(out: Outcome, cmd: AddNote) -> None:
    umpire(out.actor)
    at = _moment(out.state, cmd.at)
    out.act(BookmarkAdded("note", at, text(cmd.text, "text", MAX_TEXT), out.actor.name or "Umpire"),
            Audience.umpire_only())


@decides(RemoveBookmark)
def _remove(out: Outcome, cmd: RemoveBookmark) -> None:
    umpire(out.actor)
    found = out.state.bookmarks.get(cmd.bookmark)
    if found is None:
        raise RuleError("not_found", f"There is no bookmark '{cmd.bookmark}'.", {"bookmark": "unknown"})
    out.act(BookmarkRemoved(found.id, found.kind, found.at), found.audience)


@evolves(BookmarkAdded)
def _added(state, e: BookmarkAdded, event):
    mark = Bookmark(f"b{event.seq}", e.kind, e.at, e.text, e.by, event.audience)
    return replace(state, bookmarks=MappingProxyType({**state.bookmarks, mark.id: mark}))


@evolves(BookmarkRemoved)
def _removed(state, e: BookmarkRemoved, event):
    return replace(state, bookmarks=MappingProxyType({k: v for k, v in state.bookmarks.items() if k != e.bookmark}))


# ---- view --------------------------------------------------------------------------------------------


@view("bookmarks", reads=("bookmarks",), key="id")
def _bookmarks(state, viewer) -> list[dict]:
    """Bookmarks and notes the viewer may see, in log order of the moments they mark."""
    marks: Mapping[str, Bookmark] = state.bookmarks
    return entries(sorted(marks.values(), key=lambda m: (m.at, int(m.id[1:]))), lambda m: {
        "id": m.id, "kind": m.kind, "at": m.at, "text": m.text, "by": m.by, "shared": m.audience.everyone}
        if sees(viewer, m.audience) else None)
