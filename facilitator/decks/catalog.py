"""The decks a server offers, read once from the scenarios folder on first use."""

from __future__ import annotations

import threading
from pathlib import Path

from .loader import LoadedDeck, load_decks


class DeckCatalog:
    def __init__(self, scenarios_dir: Path, seeds_dir: Path):
        self.scenarios_dir = Path(scenarios_dir)
        self.seeds_dir = Path(seeds_dir)
        self._decks: dict[str, LoadedDeck] | None = None
        self._lock = threading.Lock()

    def _all(self) -> dict[str, LoadedDeck]:
        with self._lock:
            if self._decks is None:
                self._decks = load_decks(self.scenarios_dir, self.seeds_dir)
            return self._decks

    def get(self, deck_id: str) -> LoadedDeck | None:
        return self._all().get(deck_id)

    def list(self) -> list[LoadedDeck]:
        return sorted(self._all().values(), key=lambda d: (d.deck.id != "demo", d.deck.title))
