"""The glossary and the timeline (seeds/glossary.yaml, seeds/timeline.yaml): every citation names a note and a
fact it has, a broken one is reported with its file and path, every term is one players meet in a deck's
texts, the timeline runs oldest first, and the server gives both to anyone at GET /api/glossary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from facilitator.decks import DeckInvalid, load_notes
from facilitator.decks.reference_texts import (check_reference_texts, date_key, load_reference_texts, mentions,
                                               term_pattern)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"

# What players read of a deck: the keys whose texts reach a delegation's console (briefs, cards, clauses,
# injects, phases, debrief questions …). Exercise control's own words (threshold notes, controller notes,
# the teaching notes, balance limits) are not a player's, nor are ids and citations.
PLAYER_KEYS = {"title", "summary", "name", "public_brief", "private_brief", "text", "agenda", "description",
               "reason", "brief", "question", "message", "objectives", "red_lines", "readiness_ladder", "debrief",
               "caption"}
NOT_FOR_PLAYERS = {"note", "controller_note", "teaching", "quality", "sources", "measure", "focus", "id"}


def player_texts(data, inside: bool = False):
    """Every text of a deck's data that players may read."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key not in NOT_FOR_PLAYERS:
                yield from player_texts(value, inside or key in PLAYER_KEYS)
    elif isinstance(data, list):
        for value in data:
            yield from player_texts(value, inside)
    elif isinstance(data, str) and inside:
        yield data


@pytest.fixture(scope="module")
def reference():
    return load_reference_texts(SEEDS)


@pytest.fixture(scope="module")
def deck_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        texts += player_texts(yaml.safe_load(path.read_text(encoding="utf-8")))
    return texts


def seeds_copy(tmp_path: Path) -> Path:
    """The project's seeds folder, copied, to break."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    return tmp_path / "seeds"


def rewrite(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


# ---- the project's files ---------------------------------------------------------------------------------

def test_the_glossary_and_the_timeline_cite_only_facts_the_notes_have(reference):
    notes = load_notes(SEEDS)
    assert len(reference.terms) >= 20 and len(reference.timeline) >= 15
    assert check_reference_texts(SEEDS) == []
    for entry in (*reference.terms, *reference.timeline):
        assert entry.sources
        for source in entry.sources:
            note_id, _, fact = source.partition("#")
            assert note_id in notes, source
            assert not fact or 1 <= int(fact) <= len(notes[note_id]["facts"]), source


def test_the_terms_players_asked_about_are_explained(reference):
    forms = {form for term in reference.terms for form in term.forms}
    for wanted in ("Minsk", "New START", "OSCE", "IAEA", "Black Sea Grain Initiative", "cease-fire"):
        assert wanted in forms


def test_every_glossary_term_appears_in_at_least_one_decks_text(reference, deck_texts):
    unused = [term.term for term in reference.terms if not any(mentions(term.forms, text) for text in deck_texts)]
    assert unused == [], f"terms no player meets in a deck's texts: {unused}"


def test_exercise_controls_own_words_are_not_glossary_terms(reference):
    assert not any(mentions(term.forms, "MSEL") for term in reference.terms)


def test_a_definition_beyond_the_notes_says_so(reference):
    by_name = {term.term: term for term in reference.terms}
    assert by_name["IAEA"].general and by_name["OSCE"].general  # what the acronyms stand for
    assert not by_name["buffer zone"].general  # all in prepare-peace-process#17


def test_the_timeline_runs_oldest_first_from_2014_to_2024(reference):
    keys = [date_key(event.date) for event in reference.timeline]
    assert keys == sorted(keys)
    assert 2014 <= keys[0][0] and keys[-1][0] <= 2024
    assert ("2022-02-24", "kyiv-decides#1") in {(e.date, s) for e in reference.timeline for s in e.sources}


def test_terms_are_found_as_whole_words_their_first_letter_in_either_case():
    assert mentions(["cease-fire"], "Cease-fire lines hold.")
    assert mentions(["cease-fire"], "a cease-fire.")
    assert not mentions(["cease-fire"], "two ceasefires")
    assert not mentions(["New START"], "a new start for the talks")
    assert mentions(["New START"], "after New START's suspension")
    assert not mentions(["Minsk"], "Minskers")
    assert term_pattern(["G-7", "G-7 statement"]).search("a G-7 statement").group() == "G-7 statement"


# ---- broken files ------------------------------------------------------------------------------------------

def test_a_broken_citation_is_reported_with_its_file_and_path(tmp_path):
    seeds = seeds_copy(tmp_path)

    def break_glossary(data):
        data["terms"][0]["sources"] = ["kyiv-decides#99", "no-such-note#1"]

    def break_timeline(data):
        data["events"][2]["sources"] = ["two-to-tango#40"]

    rewrite(seeds / "glossary.yaml", break_glossary)
    rewrite(seeds / "timeline.yaml", break_timeline)
    glossary, timeline = str(seeds / "glossary.yaml"), str(seeds / "timeline.yaml")
    found = [(p.file, p.path, p.message) for p in check_reference_texts(seeds)]
    assert found == [
        (glossary, "terms[0].sources[0]", "Source note 'kyiv-decides' has no fact 99 (it has 20)."),
        (glossary, "terms[0].sources[1]", "Unknown source note 'no-such-note' (no seeds/notes/no-such-note.yaml)."),
        (timeline, "events[2].sources[0]", "Source note 'two-to-tango' has no fact 40 (it has 21)."),
    ]
    with pytest.raises(DeckInvalid) as raised:
        load_reference_texts(seeds)
    assert f"{glossary}: terms[0].sources[0]: Source note 'kyiv-decides' has no fact 99" in str(raised.value)


def test_unknown_keys_missing_parts_and_bad_dates_are_refused(tmp_path):
    seeds = seeds_copy(tmp_path)

    def break_glossary(data):
        data["terms"][1]["meaning"] = "a misspelt key"
        del data["terms"][2]["definition"]
        data["terms"][3]["general"] = "yes"
        data["terms"][4]["sources"] = ["Not a citation"]

    def break_timeline(data):
        data["events"][0]["date"] = "2022-02-30"
        data["events"][1]["date"] = "Sept. 2014"
        data["source"] = "extra"

    rewrite(seeds / "glossary.yaml", break_glossary)
    rewrite(seeds / "timeline.yaml", break_timeline)
    found = {(Path(p.file).name, p.path, p.message) for p in check_reference_texts(seeds)}
    assert found == {
        ("glossary.yaml", "terms[1].meaning", "Unknown field."),
        ("glossary.yaml", "terms[2].definition", "Missing data for required field."),
        ("glossary.yaml", "terms[3].general", "Not a valid boolean."),
        ("glossary.yaml", "terms[4].sources[0]", "Cite a note as 'note-id' or 'note-id#fact'."),
        ("timeline.yaml", "events[0].date", "There is no day 30 in February 2022."),
        ("timeline.yaml", "events[1].date", "Use YYYY, YYYY-MM or YYYY-MM-DD (quote it)."),
        ("timeline.yaml", "source", "Unknown field."),
    }


def test_events_out_of_order_and_a_term_given_twice_are_reported(tmp_path):
    seeds = seeds_copy(tmp_path)
    rewrite(seeds / "glossary.yaml", lambda data: data["terms"][1]["aliases"].append("Cease-fire"))
    rewrite(seeds / "timeline.yaml", lambda data: data["events"].insert(1, dict(data["events"][5])))
    found = [(Path(p.file).name, p.path, p.message) for p in check_reference_texts(seeds)]
    assert found[0] == ("glossary.yaml", "terms[1].aliases[2]",
                        "'Cease-fire' is already given at terms[0].term: a form names one term only.")
    assert found[1][:2] == ("timeline.yaml", "events[2].date")
    assert found[1][2].endswith("list the events oldest first.")


def test_without_the_files_the_glossary_and_the_timeline_are_empty(tmp_path):
    seeds = seeds_copy(tmp_path)
    (seeds / "glossary.yaml").unlink()
    (seeds / "timeline.yaml").unlink()
    assert load_reference_texts(seeds).as_json() == {"terms": [], "timeline": []}


def test_scenarios_validate_checks_the_glossary_and_the_timeline(app, runner, tmp_path):
    seeds = seeds_copy(tmp_path)
    rewrite(seeds / "timeline.yaml", lambda data: data["events"][0].update(sources=["kyiv-decides#21"]))
    app.config["SEEDS_DIR"] = str(seeds)
    result = runner.invoke(args=["scenarios", "validate", str(ROOT / "scenarios")])
    assert result.exit_code == 1
    assert f"{seeds / 'timeline.yaml'}: events[0].sources[0]: Source note 'kyiv-decides' has no fact 21 (it has 20)." \
        in result.output
    assert "1 problem(s)." in result.output


# ---- served --------------------------------------------------------------------------------------------------

def test_the_glossary_and_the_timeline_are_served_to_anyone(client, reference):
    response = client.get("/api/glossary")
    assert response.status_code == 200
    body = response.get_json()
    assert body == reference.as_json()
    assert set(body) == {"terms", "timeline"}
    minsk = next(t for t in body["terms"] if t["term"] == "Minsk agreements")
    assert set(minsk) == {"term", "aliases", "definition", "general", "sources"}
    assert set(body["timeline"][0]) == {"date", "text", "general", "sources"}
    with client.get("/glossary") as page:  # the page shell, which routes to the glossary screen
        assert page.status_code == 200 and b'type="module"' in page.data
