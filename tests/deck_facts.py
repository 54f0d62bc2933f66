"""What the deck-content tests share: the shipped decks and the source facts they cite."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from facilitator.decks import load_deck, load_notes

ROOT = Path(__file__).resolve().parent.parent


@cache
def notes() -> dict:
    return load_notes(ROOT / "seeds")


@cache
def loaded(deck_id: str):
    """A shipped deck (a variant with its base), loaded once."""
    return load_deck(ROOT / "scenarios" / f"{deck_id}.yaml", notes())


def fact(citation: str) -> str:
    """The text of a cited fact, ``note-id#n``."""
    note_id, _, n = citation.partition("#")
    return next(f["text"] for f in notes()[note_id]["facts"] if f["n"] == int(n))


def cited_text(item) -> str:
    """The facts an item's sources cite, joined."""
    return " ".join(fact(s) for s in item.sources if "#" in s)
