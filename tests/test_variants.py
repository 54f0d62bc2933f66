"""Variants of a deck and delegations left out: what goes with a delegation, what a variant file may change,
and creating an exercise without an optional delegation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from facilitator.decks import DeckInvalid, deck_from_data, load_deck
from facilitator.decks.loader import load_notes, read_yaml
from facilitator.decks.variants import VariantError, drop, leave_out

ROOT = Path(__file__).resolve().parent.parent
DECKS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
NOTES = load_notes(ROOT / "seeds")


def _base_data(deck_id: str) -> dict:
    return load_deck(ROOT / "scenarios" / f"{deck_id}.yaml", NOTES).data


def _cases():
    for deck_id in DECKS:
        for d in _base_data(deck_id)["delegations"]:
            yield deck_id, d["id"]


@pytest.mark.parametrize(("deck_id", "gone"), list(_cases()))
def test_any_delegation_can_be_left_out_and_nothing_names_it_afterwards(deck_id, gone):
    deck = deck_from_data(leave_out(_base_data(deck_id), [gone]), f"{deck_id}-without-{gone}", NOTES)
    assert deck.delegation(gone) is None
    assert all(gone not in t.delegations + t.mediators for t in deck.tables)
    assert all(gone not in r.between for r in deck.relations)
    assert all(gone not in s.toward for s in deck.signals)
    assert all(gone not in k.requires_parties + k.signatories + k.offered_by and gone not in k.signing_costs
               for k in deck.clause_types)
    assert all(not isinstance(i.audience, tuple) or gone not in i.audience for i in deck.injects)
    assert all(gone not in (b.holder, b.about) for b in deck.beliefs)
    assert all(s.holder != gone for s in deck.secrets)
    held = {c for d in deck.delegations for c in d.hand}
    assert held == {s.id for s in deck.signals}  # no card is left that nobody holds (the gone one's go with it)


def test_leaving_out_refuses_unknown_delegations_and_all_but_one():
    data = _base_data("demo")
    with pytest.raises(VariantError, match="no delegation atlantis"):
        leave_out(data, ["atlantis"])
    with pytest.raises(VariantError, match="at least two delegations"):
        leave_out(data, ["ukraine", "russia", "turkey"])
    assert leave_out(data, []) == data and leave_out(data, []) is not data


def test_dropping_an_inject_or_a_card_removes_what_points_at_it():
    data = _base_data("demo")
    card = data["delegations"][0]["hand"][0]
    smaller = drop(data, {"signals": [card], "injects": [data["injects"][0]["id"]]})
    deck = deck_from_data(smaller, "demo-smaller", NOTES)
    assert deck.signal(card) is None and card not in deck.delegations[0].hand
    assert len(deck.injects) == len(data["injects"]) - 1
    with pytest.raises(VariantError, match="no injects nope"):
        drop(data, {"injects": ["nope"]})
    with pytest.raises(VariantError, match="'drop' takes"):
        drop(data, {"phases": ["talks"]})


def _write(folder: Path, name: str, data: dict) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_variant_file_adapts_its_base_from_the_same_folder(tmp_path):
    base = read_yaml(ROOT / "scenarios" / "demo.yaml")
    _write(tmp_path, "demo", base)
    phases = [{**p, "minutes": 5} for p in base["phases"]]
    variant = _write(tmp_path, "demo-short", {"variant_of": "demo", "id": "demo-short", "title": "Demo, short",
                                              "leave_out": ["un"], "phases": phases})
    loaded = load_deck(variant, NOTES)
    assert loaded.deck.id == "demo-short" and loaded.deck.variant_of == "demo"
    assert loaded.deck.delegation("un") is None and all(p.minutes == 5 for p in loaded.deck.phases)
    assert loaded.deck.summary == base["summary"]  # what the variant does not change stays the base's
    json.dumps(loaded.data)  # the exercise stores the whole deck it makes, as plain data
    assert "variant_of" in loaded.data and "leave_out" not in loaded.data


def test_a_broken_variant_names_its_problem(tmp_path):
    _write(tmp_path, "demo", read_yaml(ROOT / "scenarios" / "demo.yaml"))
    for data, expected in (({"variant_of": "nowhere", "id": "v1"}, "No deck 'nowhere'"),
                           ({"variant_of": "demo", "id": "v2", "leave_out": ["atlantis"]}, "no delegation atlantis"),
                           ({"variant_of": "demo", "id": "v3", "phases": []}, "phases")):
        with pytest.raises(DeckInvalid) as info:
            load_deck(_write(tmp_path, data["id"], data), NOTES)
        assert expected in str(info.value), str(info.value)


# ---- creating an exercise without an optional delegation -------------------------------------------------

def test_an_exercise_is_created_without_an_optional_delegation(client):
    response = client.post("/api/exercises", json={"deck": "demo", "leave_out": ["un"]})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert [d["id"] for d in created["delegations"]] == ["ukraine", "russia", "turkey"]
    summary = client.get(f"/api/exercises/{created['id']}").get_json()
    assert "un" not in [d["id"] for d in summary["delegations"]]
    scenarios = {d["id"]: d for d in client.get("/api/scenarios").get_json()}
    assert [d["id"] for d in scenarios["demo"]["delegations"] if d["optional"]] == ["un"]


def test_only_optional_delegations_may_be_left_out(client):
    for leave, field in ((["ukraine"], ["ukraine"]), (["atlantis"], ["atlantis"])):
        response = client.post("/api/exercises", json={"deck": "demo", "leave_out": leave})
        assert response.status_code == 400
        body = response.get_json()
        assert body["error"]["code"] == "invalid" and body["error"]["fields"]["leave_out"] == field
        assert "Only optional delegations can be left out (un)" in body["error"]["message"]
