"""The maps in static/maps: each deck's map file is there; every map is a small, accessible, self-contained SVG
image (a title and a description, nothing it would fetch or run) that says its lines are schematic."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from facilitator.decks import load_decks

ROOT = Path(__file__).resolve().parent.parent
MAPS = ROOT / "static" / "maps"
SVG = "{http://www.w3.org/2000/svg}"
MAX_BYTES = 150 * 1024  # a phone on a classroom's Wi-Fi loads it at once
FILES = sorted(MAPS.glob("*.svg"))


def test_every_decks_map_is_in_static_maps():
    decks = load_decks(ROOT / "scenarios", ROOT / "seeds")
    missing = [f"{loaded.deck.id}: {loaded.deck.map.file}" for loaded in decks.values()
               if loaded.deck.map is not None and not (MAPS / loaded.deck.map.file).is_file()]
    assert not missing, f"maps named by decks but not in static/maps: {missing}"


def test_there_are_maps():
    assert FILES, "static/maps holds no SVG map"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_map_is_a_small_accessible_self_contained_svg(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) <= MAX_BYTES, f"{path.name} is {len(text) // 1024} KB"
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("viewBox")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert set(root.get("aria-labelledby", "").split()) == {title.get("id"), desc.get("id")}
    assert "schematic" in desc.text and "Natural Earth" in desc.text
    # An image neither runs nor fetches anything: no scripts, no handlers, no foreign objects, links only inside.
    for element in root.iter():
        assert element.tag not in (f"{SVG}script", f"{SVG}foreignObject", f"{SVG}image"), element.tag
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            if name.endswith("href"):
                assert value.startswith("#"), value
    assert not re.search(r"url\((?!#)", text), "a url() that is not a reference inside the file"
