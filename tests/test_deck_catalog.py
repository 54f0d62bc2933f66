"""The catalog's decks are loaded once per process for the same folders, and afresh when a file changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from facilitator.decks.catalog import DeckCatalog

ROOT = Path(__file__).resolve().parent.parent


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    scenarios, seeds = tmp_path / "scenarios", tmp_path / "seeds"
    scenarios.mkdir()
    shutil.copy(ROOT / "scenarios" / "demo.yaml", scenarios / "demo.yaml")
    shutil.copytree(ROOT / "seeds", seeds)
    return scenarios, seeds


def test_a_second_catalog_of_unchanged_folders_shares_the_loaded_decks(tmp_path):
    scenarios, seeds = _folders(tmp_path)
    first, second = DeckCatalog(scenarios, seeds).get("demo"), DeckCatalog(scenarios, seeds).get("demo")
    assert first is second


def test_a_changed_deck_file_is_read_again_by_a_new_catalog(tmp_path):
    scenarios, seeds = _folders(tmp_path)
    before = DeckCatalog(scenarios, seeds).get("demo")
    path = scenarios / "demo.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"title: \"{before.deck.title}\"", "title: Renamed drill", 1), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    after = DeckCatalog(scenarios, seeds).get("demo")
    assert after.deck.title == "Renamed drill" and before.deck.title != "Renamed drill"


def test_a_deck_file_added_is_offered_by_a_new_catalog(tmp_path):
    scenarios, seeds = _folders(tmp_path)
    assert [d.deck.id for d in DeckCatalog(scenarios, seeds).list()] == ["demo"]
    shutil.copy(ROOT / "scenarios" / "kyiv-decides.yaml", scenarios / "kyiv-decides.yaml")
    assert {d.deck.id for d in DeckCatalog(scenarios, seeds).list()} == {"demo", "kyiv-decides"}


def test_exercises_that_store_the_same_deck_share_one_parsed_copy(exercises):
    """Forty classes playing one deck hold it once; a deck stored without an optional delegation is its own."""
    first, second = exercises.create("demo").id, exercises.create("demo").id
    assert exercises.state(first).deck is exercises.state(second).deck
    kyiv = exercises.create("kyiv-decides").id
    assert exercises.state(kyiv).deck is not exercises.state(first).deck
    optional = [d.id for d in exercises.state(kyiv).deck.delegations if d.optional]
    if optional:
        fewer = exercises.create("kyiv-decides", leave_out=optional[:1]).id
        deck = exercises.state(fewer).deck
        assert deck is not exercises.state(kyiv).deck
        assert optional[0] not in {d.id for d in deck.delegations}


def test_a_stored_deck_that_no_longer_checks_out_is_refused_every_time(exercises, app):
    """Only decks that passed their checks are kept: a damaged stored deck is reported at each load."""
    from facilitator.decks import DeckInvalid, stored_deck
    data = dict(exercises.catalog.get("demo").data, delegations=[])
    for _ in range(2):
        with pytest.raises(DeckInvalid):
            stored_deck(data, "exercise x")


def test_a_deck_stored_with_its_mappings_in_another_order_is_its_own(exercises):
    """Order is part of a deck (effects apply in the order written): a reordered copy is not the cached one."""
    from facilitator.decks import stored_deck
    data = exercises.catalog.get("demo").data
    reordered = dict(reversed(list(data.items())))
    first, second = stored_deck(data, "a"), stored_deck(reordered, "b")
    assert first is not second and first == second
