"""The decks a server offers, and the glossary and timeline beside them, read once from the scenarios and
seeds folders on first use."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from .loader import LoadedDeck, load_decks
from .reference_texts import ReferenceTexts, load_reference_texts


_LOADED: OrderedDict[tuple, dict[str, LoadedDeck]] = OrderedDict()  # folders' contents -> their decks
_LOADED_KEPT = 4
_loading = threading.Lock()


def _contents(*folders: Path) -> tuple:
    """What the folders hold, as far as loading them goes: every file's path, size and time of change."""
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.is_file():
                stat = path.stat()
                found.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def _load_decks(scenarios_dir: Path, seeds_dir: Path) -> dict[str, LoadedDeck]:
    """``load_decks``, shared by every catalog of this process over the same unchanged folders (loading and
    checking the decks takes most of a second; the decks are immutable, their ``data`` is never changed in
    place). A changed, added or removed file is a different content, loaded afresh."""
    key = (str(scenarios_dir.resolve()), str(seeds_dir.resolve()), _contents(scenarios_dir, seeds_dir))
    with _loading:
        decks = _LOADED.get(key)
        if decks is None:
            decks = _LOADED[key] = load_decks(scenarios_dir, seeds_dir)
            while len(_LOADED) > _LOADED_KEPT:
                _LOADED.popitem(last=False)
        return decks


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
                self._decks = _load_decks(self.scenarios_dir, self.seeds_dir)
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
