"""The decks a server offers, and the glossary and timeline beside them, read once from the scenarios and
seeds folders on first use."""

from __future__ import annotations

import threading
from pathlib import Path

from .loader import LoadedDeck, load_decks
from .reference_texts import ReferenceTexts, load_reference_texts


class DeckCatalog:
    def __init__(self, scenarios_dir: Path, seeds_dir: Path):
        self.scenarios_dir = Path(scenarios_dir)
        self.seeds_dir = Path(seeds_dir)
        self._decks: dict[str, LoadedDeck] | None = None
        self._reference: ReferenceTexts | None = None
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

    def reference_texts(self) -> ReferenceTexts:
        """The glossary and the timeline in the seeds folder (empty parts for absent files). Raises
        ``DeckInvalid`` when they or the notes they cite are broken (``facilitator scenarios validate`` says
        where)."""
        with self._lock:
            if self._reference is None:
                self._reference = load_reference_texts(self.seeds_dir)
            return self._reference
