"""Scenario decks and source notes: YAML files -> validated engine records."""

from .loader import (DeckInvalid, Problem, deck_from_data, deck_warnings, find_deck_files, load_deck, load_decks,
                     load_notes, stored_deck, validate_files)

__all__ = ["DeckInvalid", "Problem", "deck_from_data", "deck_warnings", "find_deck_files", "load_deck", "load_decks",
           "load_notes", "stored_deck", "validate_files"]
