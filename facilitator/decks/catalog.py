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
        """The decks, the demo first, then by title, each variant right after the deck it adapts."""
        decks = self._all()

        def order(loaded: LoadedDeck) -> tuple:
            base = decks.get(loaded.deck.variant_of) if loaded.deck.variant_of else None
            head = (base or loaded).deck
            return head.id != "demo", head.title, head.id, base is not None, loaded.deck.title
        return sorted(decks.values(), key=order)

    def reference_texts(self) -> ReferenceTexts:
        """The glossary and the timeline in the seeds folder (empty parts for absent files). Raises
        ``DeckInvalid`` when they or the notes they cite are broken (``facilitator scenarios validate`` says
        where)."""
        with self._lock:
            if self._reference is None:
                self._reference = load_reference_texts(self.seeds_dir)
            return self._reference
