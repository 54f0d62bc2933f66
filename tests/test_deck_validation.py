"""Broken scenario decks are refused with the file, the path inside it and what is wrong.

Each case starts from one small valid deck, breaks one thing, writes it as
YAML and loads it the way the application does (``load_deck`` with the
project's source notes, or ``validate_files`` over a folder).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from facilitator.decks import DeckInvalid, deck_from_data, load_deck, load_notes, validate_files

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def notes():
    return load_notes(SEEDS)


def valid_deck() -> dict:
    """Small, but with a part of every kind; it cites the project's real source notes."""
    return {
        "id": "mini",
        "title": "Mini crisis",
        "summary": "Two belligerents and a mediator.",
        "sources": ["kyiv-decides"],
        "delegations": [
            {"id": "a", "name": "Alpha", "kind": "belligerent", "public_brief": "Alpha in public.",
             "hand": ["olive-branch", "quiet-word"]},
            {"id": "b", "name": "Beta", "kind": "belligerent", "public_brief": "Beta in public.",
             "hand": ["feeler", "warning"]},
            {"id": "m", "name": "Mediator", "kind": "mediator", "public_brief": "The broker."},
        ],
        "tables": [{"id": "main", "name": "Main table", "delegations": ["a", "b"], "mediators": ["m"]}],
        "indicators": [
            {"id": "tension", "name": "Tension", "min": 0, "max": 10, "start": 5,
             "thresholds": [{"at": 8, "note": "Close to war."}]},
            {"id": "support", "name": "Support", "min": 0, "max": 100, "start": 50, "visible_to": ["a"]},
        ],
        "relations": [{"between": ["a", "b"], "trust": 10, "readiness": 1}],
        "signals": [
            {"id": "olive-branch", "title": "Olive branch", "text": "A gesture.", "toward": ["b"],
             "effects": {"indicators": {"tension": -1}, "trust": 3}, "sources": ["two-to-tango#12"]},
            {"id": "quiet-word", "title": "Quiet word", "text": "In private.", "visibility": "private",
             "effects": {"trust": 2}, "sources": ["talking-about-talking"]},
            {"id": "feeler", "title": "Feeler", "text": "Either way.", "visibility": "either", "reversible": True,
             "toward": ["a"], "effects": {"trust": 1}, "sources": ["talking-about-talking#19"]},
            {"id": "warning", "title": "Warning", "text": "Ships sail.", "effects": {"trust": -2},
             "sources": ["chances-negotiated-end#6"]},
        ],
        "clause_types": [
            {"id": "truce", "title": "Truce", "text": "Guns fall silent.", "establishes_ceasefire": True,
             "sign_conditions": [{"delegation": "a", "indicator": "support", "min": 30}],
             "sources": ["kyiv-decides#10"]},
            {"id": "monitors", "title": "Monitors", "text": "Observers on the line.", "sources": ["kyiv-decides#11"]},
        ],
        "injects": [
            {"id": "news", "title": "News", "text": "Headlines.", "kind": "historical",
             "schedule": {"phase": "talks", "minute": 5}, "sources": ["chances-negotiated-end#5"]},
        ],
        "ceasefire_risks": [
            {"id": "skirmish", "title": "Skirmish", "text": "A patrol fires.", "likelihood": 0.3,
             "modifiers": {"monitors": -0.1}, "sources": ["kyiv-decides#11"]},
        ],
        "phases": [
            {"id": "opening", "name": "Opening", "minutes": 10, "open_tables": []},
            {"id": "talks", "name": "Talks", "minutes": 20},
        ],
    }


def write(folder: Path, content, name: str = "mini.yaml") -> Path:
    path = folder / name
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False),
                    encoding="utf-8")
    return path


def problems(path: Path, notes) -> list[tuple[str, str, str]]:
    with pytest.raises(DeckInvalid) as info:
        load_deck(path, notes)
    return [(p.file, p.path, p.message) for p in info.value.problems]


# ---- mutations: each returns a function that breaks one thing in the deck dict --------

def _walk(data, path):
    for key in path[:-1]:
        data = data[key]
    return data, path[-1]


def set_at(*path_and_value):
    *path, value = path_and_value

    def change(data):
        parent, key = _walk(data, path)
        parent[key] = value
    return change


def drop(*path):
    def change(data):
        parent, key = _walk(data, path)
        del parent[key]
    return change


def append(*path_and_value):
    *path, value = path_and_value

    def change(data):
        parent, key = _walk(data, path)
        parent[key].append(value)
    return change


def both(*changes):
    def change(data):
        for c in changes:
            c(data)
    return change


def duplicate_signal(data):
    data["signals"].append(copy.deepcopy(data["signals"][0]))


BROKEN = [
    pytest.param(drop("delegations", 0, "name"),
                 [("delegations[0].name", "Missing data for required field.")], id="missing-required-field"),
    pytest.param(set_at("signals", 3, "effects", "trust", "high"),
                 [("signals[3].effects.trust", "Not a valid integer.")], id="wrong-type"),
    pytest.param(set_at("delegations", 1, "colour", "red"),
                 [("delegations[1].colour", "Unknown field.")], id="unknown-field"),
    pytest.param(set_at("signals", 0, "id", "Olive Branch"),
                 [("signals[0].id", "Use lowercase letters, digits, '-' and '_' (for example 'ukraine').")],
                 id="bad-id-pattern"),
    pytest.param(set_at("delegations", 0, "kind", "enemy"),
                 [("delegations[0].kind", "Must be one of: belligerent, ally, mediator, organization, other.")],
                 id="value-not-allowed"),
    pytest.param(append("tables", 0, "delegations", "atlantis"),
                 [("tables[0].delegations[2]", "Unknown delegation 'atlantis'.")], id="unknown-delegation-in-table"),
    pytest.param(set_at("signals", 3, "effects", "indicators", {"fear": 2}),
                 [("signals[3].effects.indicators.fear", "Unknown indicator 'fear'.")],
                 id="unknown-indicator-in-effects"),
    pytest.param(append("delegations", 0, "hand", "secret-plan"),
                 [("delegations[0].hand[2]", "Unknown signal card 'secret-plan'.")], id="unknown-signal-in-hand"),
    pytest.param(set_at("injects", 0, "schedule", "phase", "finale"),
                 [("injects[0].schedule.phase", "Unknown phase 'finale'.")], id="unknown-phase-in-schedule"),
    pytest.param(set_at("ceasefire_risks", 0, "modifiers", {"amnesty": -0.2}),
                 [("ceasefire_risks[0].modifiers.amnesty", "Unknown clause type 'amnesty'.")],
                 id="unknown-clause-type-in-modifiers"),
    pytest.param(duplicate_signal,
                 [("signals[4].id", "Duplicate id 'olive-branch' (already used by signals[0]).")], id="duplicate-id"),
    pytest.param(set_at("indicators", 0, "start", 11),
                 [("indicators[0].start", "must lie between min (0) and max (10).")], id="start-outside-bounds"),
    pytest.param(set_at("indicators", 0, "thresholds", 0, "at", 12),
                 [("indicators[0].thresholds[0].at", "must lie between min and max.")],
                 id="threshold-outside-bounds"),
    pytest.param(set_at("relations", 0, "between", ["a", "a"]),
                 [("relations[0].between", "A relation joins two different delegations.")],
                 id="relation-with-itself"),
    pytest.param(append("relations", {"between": ["b", "a"], "trust": 40}),
                 [("relations[1].between", "This pair is already given at relations[0].")], id="relation-twice"),
    pytest.param(set_at("relations", 0, "readiness", 5),
                 [("relations[0].readiness", "The readiness ladder has only 5 rungs.")], id="readiness-off-ladder"),
    pytest.param(set_at("signals", 1, "sources", ["no-such-note#1"]),
                 [("signals[1].sources[0]", "Unknown source note 'no-such-note' (no seeds/notes/no-such-note.yaml).")],
                 id="citation-of-missing-note"),
    pytest.param(set_at("clause_types", 0, "sources", ["kyiv-decides#10", "kyiv-decides#99"]),
                 [("clause_types[0].sources[1]", "Source note 'kyiv-decides' has no fact 99 (it has 20).")],
                 id="citation-of-missing-fact"),
    pytest.param(set_at("injects", 0, "sources", ["kyiv-decides#0"]),
                 [("injects[0].sources[0]", "Source note 'kyiv-decides' has no fact 0 (it has 20).")],
                 id="citation-of-fact-zero"),
    pytest.param(set_at("signals", 0, "sources", ["two to tango"]),
                 [("signals[0].sources[0]", "Cite a note as 'note-id' or 'note-id#fact'.")], id="citation-syntax"),
    pytest.param(set_at("signals", 0, "sources", []),
                 [("signals[0].sources", "Shorter than minimum length 1.")], id="card-without-sources"),
    pytest.param(set_at("clause_types", 0, "establishes_ceasefire", False),
                 [("ceasefire_risks", "No clause type establishes a cease-fire, so these rules could never be drawn.")],
                 id="risks-without-ceasefire"),
    pytest.param(set_at("ceasefire_risks", 0, "likelihood", 1.5),
                 [("ceasefire_risks[0].likelihood", "Must be greater than or equal to 0 and less than or equal to 1.")],
                 id="likelihood-out-of-range"),
    pytest.param(set_at("tables", 0, "mediators", ["a"]),
                 [("tables[0].mediators[0]", "'a' is already a party at this table.")], id="mediator-also-party"),
    pytest.param(set_at("clause_types", 0, "sign_conditions", 0, "indicator", "morale"),
                 [("clause_types[0].sign_conditions[0].indicator", "Unknown indicator 'morale'.")],
                 id="unknown-indicator-in-sign-condition"),
    pytest.param(set_at("indicators", 1, "visible_to", "everyone"),
                 [("indicators[1].visible_to", "Use 'all' or 'umpire', or a list of delegation ids.")],
                 id="visibility-word"),
    pytest.param(set_at("injects", 0, "schedule", {}),
                 [("injects[0].schedule", "Give a phase, a minute, or both.")], id="empty-schedule"),
    pytest.param(set_at("phases", 0, "open_tables", ["lobby"]),
                 [("phases[0].open_tables[0]", "Unknown table 'lobby'.")], id="unknown-table-in-phase"),
    pytest.param(set_at("phases", []),
                 [("phases", "Shorter than minimum length 1.")], id="no-phases"),
    pytest.param(set_at("signals", 0, "effects", "pairs", [["a", "atlantis"]]),
                 [("signals[0].effects.pairs[0][1]", "Unknown delegation 'atlantis'.")],
                 id="unknown-delegation-in-effect-pairs"),
    pytest.param(set_at("tables", 0, "min_readiness", 7),
                 [("tables[0].min_readiness", "The readiness ladder has only 5 rungs.")],
                 id="readiness-rung-beyond-the-ladder"),
]


def focus(**kw):
    return set_at("debrief", [{"question": "What moved?", "focus": kw}])


def goal(delegation, part, **measure):
    return set_at("delegations", delegation, part, [{"text": "Something to measure.", "measure": measure}])


# The debrief: measured objectives and red lines, and questions with a focus (docs/scenario-format.md).
BROKEN += [
    pytest.param(focus(indicator="fear"),
                 [("debrief[0].focus.indicator", "Unknown indicator 'fear'.")], id="focus-unknown-indicator"),
    pytest.param(focus(pair=["a", "atlantis"]),
                 [("debrief[0].focus.pair[1]", "Unknown delegation 'atlantis'.")], id="focus-unknown-delegation"),
    pytest.param(focus(pair=["a", "m"]),
                 [("debrief[0].focus.pair", "No relation is tracked between 'a' and 'm' (add it to relations).")],
                 id="focus-untracked-pair"),
    pytest.param(focus(indicator="tension", events=["signal"]),
                 [("debrief[0].focus", "Give one of: 'indicator', 'pair' or 'events'.")], id="focus-two-things"),
    pytest.param(focus(events=["vote"]),
                 [("debrief[0].focus.events[0]",
                   "Must be one of: signal, agreement, inject, adjudication, ceasefire, phase.")],
                 id="focus-unknown-event-kind"),
    pytest.param(set_at("debrief", [{"focus": {"indicator": "tension"}}]),
                 [("debrief[0].question", "Missing data for required field.")], id="question-without-text"),
    pytest.param(goal(0, "objectives", indicator="fear", at_most=3),
                 [("delegations[0].objectives[0].measure.indicator", "Unknown indicator 'fear'.")],
                 id="measure-unknown-indicator"),
    pytest.param(goal(1, "objectives", indicator="support", at_least=40),
                 [("delegations[1].objectives[0].measure.indicator",
                   "Beta does not see indicator 'support': measure by what the delegation sees.")],
                 id="measure-of-an-indicator-the-delegation-does-not-see"),
    pytest.param(goal(0, "objectives", indicator="tension", at_least=11),
                 [("delegations[0].objectives[0].measure.at_least",
                   "must lie between min (0) and max (10) of 'tension'.")],
                 id="measure-bound-outside-the-indicator"),
    pytest.param(goal(0, "objectives", indicator="tension"),
                 [("delegations[0].objectives[0].measure", "Give 'indicator' one of 'at_least' or 'at_most'.")],
                 id="measure-without-bound"),
    pytest.param(goal(0, "objectives", indicator="tension", at_least=2, at_most=8),
                 [("delegations[0].objectives[0].measure", "Give 'indicator' one of 'at_least' or 'at_most'.")],
                 id="measure-with-two-bounds"),
    pytest.param(goal(0, "objectives", indicator="tension", at_least=2, in_force=True),
                 [("delegations[0].objectives[0].measure.in_force",
                   "'in_force' goes with 'agreement', not with 'indicator'.")],
                 id="measure-mixing-kinds"),
    pytest.param(goal(0, "objectives", at_least=2),
                 [("delegations[0].objectives[0].measure",
                   ("Give one of: 'indicator' (with 'at_least' or 'at_most'), 'agreement' (a clause type id, with "
                    "'in_force'), or 'pair' (with 'trust_at_least' or 'readiness_at_least')."))],
                 id="measure-of-nothing"),
    pytest.param(goal(0, "red_lines", agreement="amnesty", in_force=True),
                 [("delegations[0].red_lines[0].measure.agreement", "Unknown clause type 'amnesty'.")],
                 id="red-line-unknown-clause-type"),
    pytest.param(goal(2, "objectives", pair=["a", "b"], trust_at_least=50),
                 [("delegations[2].objectives[0].measure.pair",
                   "Mediator is not one of this pair: measure by a relation it is part of.")],
                 id="measure-of-another-pair"),
    pytest.param(goal(0, "objectives", pair=["a", "m"], trust_at_least=50),
                 [("delegations[0].objectives[0].measure.pair",
                   "No relation is tracked between 'a' and 'm' (add it to relations).")],
                 id="measure-of-an-untracked-pair"),
    pytest.param(goal(0, "objectives", pair=["a", "b"], readiness_at_least="peace"),
                 [("delegations[0].objectives[0].measure.readiness_at_least",
                   "'peace' is not a rung of the readiness ladder.")], id="measure-unknown-rung"),
    pytest.param(goal(0, "objectives", pair=["a", "b"], readiness_at_least=5),
                 [("delegations[0].objectives[0].measure.readiness_at_least",
                   "The readiness ladder has only 5 rungs.")],
                 id="measure-rung-beyond-the-ladder"),
    pytest.param(goal(0, "objectives", pair=["a", "b"], trust_at_least=101),
                 [("delegations[0].objectives[0].measure.trust_at_least",
                   "Must be greater than or equal to 0 and less than or equal to 100.")], id="measure-trust-over-100"),
    pytest.param(set_at("delegations", 0, "red_lines", [{"text": "No truce.", "weight": 2}]),
                 [("delegations[0].red_lines[0].weight", "Unknown field.")], id="goal-unknown-key"),
]


@pytest.mark.parametrize("change, expected", BROKEN)
def test_a_broken_deck_names_file_path_and_problem(tmp_path, notes, change, expected):
    data = valid_deck()
    change(data)
    path = write(tmp_path, data)
    assert problems(path, notes) == [(str(path), where, message) for where, message in expected]


@pytest.mark.parametrize("text, where, message", [
    pytest.param("id: mini\ntitle: Mini: a crisis\n", "line 2, column 12",
                 "Not valid YAML: mapping values are not allowed here.", id="syntax-error"),
    pytest.param("id: mini\ntitle: [unclosed\n", "line 3, column 1",
                 "Not valid YAML: expected ',' or ']', but got '<stream end>'.", id="unclosed-list"),
    pytest.param("id: mini\ntitle: Mini\nsummary: S\ntitle: Again\n", "line 4, column 1",
                 "Not valid YAML: the key 'title' is given twice.", id="duplicate-key"),
    pytest.param("id: mini\ndelegations:\n  - id: a\n    name: A\n    id: b\n", "line 5, column 5",
                 "Not valid YAML: the key 'id' is given twice.", id="duplicate-nested-key"),
    pytest.param("", "", "The file is empty.", id="empty-file"),
    pytest.param("# only a comment\n", "", "The file is empty.", id="only-comments"),
    pytest.param("- id: mini\n- title: Mini\n", "", "The file must hold a mapping of keys (id, title, …) at the top.",
                 id="top-level-list"),
    pytest.param("just words\n", "", "The file must hold a mapping of keys (id, title, …) at the top.",
                 id="top-level-string"),
])
def test_a_file_that_is_not_a_deck_mapping_is_refused(tmp_path, notes, text, where, message):
    path = write(tmp_path, text)
    assert problems(path, notes) == [(str(path), where, message)]


def test_the_deck_id_must_match_the_file_name(tmp_path, notes):
    path = write(tmp_path, valid_deck(), name="other.yaml")
    assert problems(path, notes) == [(str(path), "id", "The deck id 'mini' must match the file name 'other'.")]


def test_every_shape_problem_in_a_file_is_reported(tmp_path, notes):
    data = valid_deck()
    drop("delegations", 0, "name")(data)
    set_at("signals", 3, "effects", "trust", "high")(data)
    set_at("colour", "red")(data)
    set_at("phases", 1, "minutes", 0)(data)
    path = write(tmp_path, data)
    assert sorted(problems(path, notes)) == sorted([
        (str(path), "colour", "Unknown field."),
        (str(path), "delegations[0].name", "Missing data for required field."),
        (str(path), "phases[1].minutes", "Must be greater than or equal to 1 and less than or equal to 600."),
        (str(path), "signals[3].effects.trust", "Not a valid integer."),
    ])


def test_every_reference_problem_in_a_file_is_reported(tmp_path, notes):
    data = valid_deck()
    append("tables", 0, "delegations", "atlantis")(data)
    append("delegations", 0, "hand", "secret-plan")(data)
    set_at("signals", 1, "sources", ["no-such-note"])(data)
    set_at("injects", 0, "schedule", "phase", "finale")(data)
    path = write(tmp_path, data)
    assert problems(path, notes) == [
        (str(path), "delegations[0].hand[2]", "Unknown signal card 'secret-plan'."),
        (str(path), "tables[0].delegations[2]", "Unknown delegation 'atlantis'."),
        (str(path), "injects[0].schedule.phase", "Unknown phase 'finale'."),
        (str(path), "signals[1].sources[0]", "Unknown source note 'no-such-note' (no seeds/notes/no-such-note.yaml)."),
    ]


def test_the_small_valid_deck_loads(tmp_path, notes):
    loaded = load_deck(write(tmp_path, valid_deck()), notes)
    deck = loaded.deck
    assert deck.id == "mini" and loaded.data["title"] == "Mini crisis"
    assert deck.signal("quiet-word").visibility == "private" and deck.signal("olive-branch").visibility == "public"
    assert deck.signal("feeler").on_withdraw is None and deck.signal("feeler").withdrawal_effects.trust == -1
    assert deck.phases[1].open_tables is None and deck.phases[0].open_tables == ()
    assert deck.indicator("tension").visible_to == "all" and deck.indicator("support").visible_to == ("a",)
    assert deck.readiness_ladder[0] == "no contact"


def test_objectives_red_lines_and_questions_may_be_texts_or_measured(tmp_path, notes):
    data = valid_deck()
    data["delegations"][0]["objectives"] = [
        "Be heard.",
        {"text": "Keep support above 40.", "measure": {"indicator": "support", "at_least": 41}},
        {"text": "Reach formal talks with Beta.",
         "measure": {"pair": ["b", "a"], "readiness_at_least": "formal talks"}},
    ]
    data["delegations"][1]["red_lines"] = [{"text": "No truce.", "measure": {"agreement": "truce"}},
                                           {"text": "Trust Alpha a little.",
                                            "measure": {"pair": ["a", "b"], "trust_at_least": 20}}]
    data["delegations"][2]["objectives"] = [{"text": "No monitors.",
                                             "measure": {"agreement": "monitors", "in_force": False}}]
    data["debrief"] = ["Who moved first?", {"question": "How tense was it?", "focus": {"indicator": "tension"}},
                       {"question": "Did they trust each other?", "focus": {"pair": ["b", "a"]}},
                       {"question": "Which signals worked?", "focus": {"events": ["signal", "ceasefire"]}}]
    deck = load_deck(write(tmp_path, data), notes).deck
    alpha, beta, mediator = deck.delegations
    assert [g.text for g in alpha.objectives] == ["Be heard.", "Keep support above 40.",
                                                  "Reach formal talks with Beta."]
    assert alpha.objectives[0].measure is None
    assert (alpha.objectives[1].measure.kind, alpha.objectives[1].measure.at_least) == ("indicator", 41)
    assert alpha.objectives[2].measure.kind == "readiness" and alpha.objectives[2].measure.pair == ("b", "a")
    assert beta.red_lines[0].measure.kind == "agreement" and beta.red_lines[0].measure.in_force is True
    assert beta.red_lines[1].measure.kind == "trust"
    assert mediator.objectives[0].measure.in_force is False
    assert deck.debrief[0].question == "Who moved first?" and deck.debrief[0].focus is None
    assert deck.debrief[1].focus.indicator == "tension"
    assert deck.debrief[2].focus.pair == ("b", "a")
    assert deck.debrief[3].focus.events == ("signal", "ceasefire")


def test_citations_are_checked_only_against_notes_when_notes_are_given():
    data = valid_deck()
    set_at("signals", 1, "sources", ["no-such-note#7"])(data)
    assert deck_from_data(data, "mini.yaml").signal("quiet-word").sources == ("no-such-note#7",)


def test_the_demo_deck_is_valid(notes):
    loaded = load_deck(ROOT / "scenarios" / "demo.yaml", notes)
    assert loaded.deck.id == "demo" and len(loaded.deck.delegations) == 4
    assert validate_files([ROOT / "scenarios" / "demo.yaml"], SEEDS) == []


def test_validating_a_folder_reports_each_broken_file_and_passes_the_good_one(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    write(folder, valid_deck())
    broken = valid_deck()
    broken["id"] = "broken"
    set_at("signals", 3, "effects", "trust", "high")(broken)
    broken_path = write(folder, broken, name="broken.yaml")
    empty_path = write(folder, "", name="empty.yaml")
    (folder / "README.txt").write_text("not a deck")
    found = validate_files([folder], SEEDS)
    assert [(p.file, p.path, p.message) for p in found] == [
        (str(broken_path), "signals[3].effects.trust", "Not a valid integer."),
        (str(empty_path), "", "The file is empty."),
    ]
    assert str(found[0]) == f"{broken_path}: signals[3].effects.trust: Not a valid integer."
    assert str(found[1]) == f"{empty_path}: The file is empty."


def test_broken_source_notes_are_reported_with_their_file(tmp_path):
    notes_dir = tmp_path / "seeds" / "notes"
    notes_dir.mkdir(parents=True)
    note = yaml.safe_load((SEEDS / "notes" / "kyiv-decides.yaml").read_text(encoding="utf-8"))
    note["facts"][1]["n"] = 5
    path = notes_dir / "kyiv-decides.yaml"
    path.write_text(yaml.safe_dump(note, sort_keys=False), encoding="utf-8")
    misnamed = dict(note, facts=[{"n": 1, "text": "A fact."}])
    misnamed_path = notes_dir / "elsewhere.yaml"
    misnamed_path.write_text(yaml.safe_dump(misnamed, sort_keys=False), encoding="utf-8")
    found = validate_files([ROOT / "scenarios" / "demo.yaml"], tmp_path / "seeds")
    assert [(p.file, p.path, p.message) for p in found] == [
        (str(misnamed_path), "id", "The note id 'kyiv-decides' must match the file name."),
        (str(path), "facts", "Number the facts 1, 2, 3 … in order, without gaps."),
    ]


# ---- the teaching section: what the run sheet names, roles, the class size; the map's file ----------------------


def taught(data: dict, do: str) -> dict:
    """``data`` with two injects and two cards of one family each, and a run sheet whose step says ``do``."""
    data["injects"] += [{"id": "c-late", "title": "Contingency: late", "text": "Late.", "kind": "contingency",
                         "sources": ["kyiv-decides#1"]},
                        {"id": "c-early", "title": "Contingency: early", "text": "Early.", "kind": "contingency",
                         "sources": ["kyiv-decides#1"]}]
    data["teaching"] = {"players": [6, 12], "minutes": 60,
                        "run_sheet": {"steps": [{"minute": 0, "title": "Start (opening)", "say": "Welcome.",
                                                 "do": do}],
                                      "running_late": ["Skip c-early."]}}
    return data


def test_a_run_sheet_naming_an_inject_the_deck_lacks_is_refused(tmp_path, notes):
    path = write(tmp_path, taught(valid_deck(), "Fire c-lates when it is due, or c-late."))
    assert problems(path, notes) == [
        (str(path), "teaching.run_sheet.steps[0].do",
         "'c-lates' looks like the id of an inject or a signal card, but the deck has none such: name one of its "
         "injects (event list) or cards.")]
    # The ids it does name, and words that only look alike (other prefixes), pass.
    loaded = load_deck(write(tmp_path, taught(valid_deck(), "Fire c-late; a cease-fire, the hot-wash.")), notes)
    assert loaded.deck.teaching.run_sheet.steps[0].do.startswith("Fire c-late")


def test_a_run_sheet_naming_a_card_the_deck_lacks_is_refused(tmp_path, notes):
    data = taught(valid_deck(), "If Alpha plays al-olive, fire c-late.")
    data["signals"] += [{"id": "al-olive-branch", "title": "Olive", "text": "A gesture.", "effects": {"trust": 1},
                         "sources": ["kyiv-decides#1"]},
                        {"id": "al-thorn", "title": "Thorn", "text": "A threat.", "effects": {"trust": -1},
                         "sources": ["kyiv-decides#1"]}]
    data["delegations"][0]["hand"] += ["al-olive-branch", "al-thorn"]
    path = write(tmp_path, data)
    assert [(p, m.split(" looks like")[0]) for _, p, m in problems(path, notes)] == [
        ("teaching.run_sheet.steps[0].do", "'al-olive'")]


def test_the_run_sheet_is_checked_in_deck_files_not_in_stored_exercises(notes):
    """An exercise stores its deck; leaving a delegation out may drop an inject the run sheet names."""
    deck = deck_from_data(taught(valid_deck(), "Fire c-lates."), "mini.yaml", notes)
    assert deck.teaching.run_sheet.steps[0].do == "Fire c-lates."


def test_a_missing_map_file_is_a_problem_when_the_maps_folder_is_given(tmp_path, notes):
    data = valid_deck()
    data["map"] = {"file": "atlantis.svg", "caption": "Atlantis", "licence": "CC0"}
    path = write(tmp_path, data)
    maps = tmp_path / "maps"
    maps.mkdir()
    found = validate_files([path], SEEDS, maps_dir=maps)
    assert [(p.path, p.message) for p in found] == [
        ("map.file", f"No map file 'atlantis.svg' in {maps}: add it, or name a map that is there.")]
    (maps / "atlantis.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    assert validate_files([path], SEEDS, maps_dir=maps) == []


def test_scenarios_validate_refuses_a_deck_whose_map_is_missing(runner, tmp_path):
    data = valid_deck()
    data["map"] = {"file": "atlantis.svg", "caption": "Atlantis", "licence": "CC0"}
    path = write(tmp_path, data)
    result = runner.invoke(args=["scenarios", "validate", str(path)])
    assert result.exit_code == 1
    assert "map.file: No map file 'atlantis.svg'" in result.output
    assert runner.invoke(args=["scenarios", "validate"]).exit_code == 0  # the shipped decks' maps are there


def roles(*entries) -> dict:
    data = valid_deck()
    data["teaching"] = {"players": [6, 12], "minutes": 60, "roles": list(entries)}
    return data


def test_a_team_role_names_known_tables_and_delegations(tmp_path, notes):
    path = write(tmp_path, roles({"name": "Head", "does": "Leads."},
                                 {"name": "Table team", "does": "Sits.", "tables": ["atlantis"]},
                                 {"name": "Keeper", "does": "Keeps.", "delegations": ["a", "zz"]}))
    assert problems(path, notes) == [
        (str(path), "teaching.roles[1].tables[0]", "Unknown table 'atlantis'."),
        (str(path), "teaching.roles[2].delegations[1]", "Unknown delegation 'zz'."),
    ]


def test_a_team_role_applies_to_the_delegations_at_its_tables_or_named(tmp_path, notes):
    deck = load_deck(write(tmp_path, roles({"name": "Head", "does": "Leads."},
                                           {"name": "Table team", "does": "Sits.", "tables": ["main"]},
                                           {"name": "Keeper", "does": "Keeps.", "delegations": ["b"]})), notes).deck
    head, team, keeper = deck.teaching.roles
    assert [d for d in ("a", "b", "m") if head.applies_to(deck, d)] == ["a", "b", "m"]
    assert [d for d in ("a", "b", "m") if team.applies_to(deck, d)] == ["a", "b", "m"]  # the mediator sits there
    assert [d for d in ("a", "b", "m") if keeper.applies_to(deck, d)] == ["b"]


def test_a_class_size_in_the_description_must_be_the_teaching_sections(notes):
    from facilitator.decks.references import check_warnings, class_sizes
    assert class_sizes("A class of 8 to 20, in four delegations.") == [(8, 20)]
    assert class_sizes("for 12 to 24\n  participants in seven delegations (3 to 4 each)") == [(12, 24)]
    data = valid_deck()
    data["audience"] = "A class of 8 to 20, in three delegations."
    data["teaching"] = {"players": [4, 20], "minutes": 60}
    found = [w for w in check_warnings(deck_from_data(data, "mini.yaml", notes)) if w[0] == "audience"]
    assert found == [("audience", "It speaks of a class of 8 to 20, but teaching.players is [4, 20]: make them "
                                  "agree.")]
    data["teaching"]["players"] = [8, 20]
    assert not [w for w in check_warnings(deck_from_data(data, "mini.yaml", notes)) if w[0] == "audience"]


def test_no_shipped_deck_states_a_class_size_its_teaching_section_does_not():
    found = [p for p in validate_files([ROOT / "scenarios"], SEEDS, warnings=True, maps_dir=ROOT / "static" / "maps")]
    assert found == []
    demo = load_deck(ROOT / "scenarios" / "demo.yaml", load_notes(SEEDS)).deck
    assert "6 to 20" in demo.audience and (demo.teaching.players_min, demo.teaching.players_max) == (6, 20)
