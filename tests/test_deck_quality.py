"""Every shipped deck keeps the quality limits it declares (its ``quality:`` section), over seeded simulator runs:
no indicator pinned to a bound, every objective within reach of the greedy strategy, every card played. A
breach fails with the simulator's own words: which limit, which indicator, objective or card, the figures.

The runs are fewer than ``facilitator scenarios simulate`` plays by default, and seeded, so a result is the
same on every machine; docs/scenarios.md has the figures of the full runs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from facilitator.decks import deck_from_data, load_deck, load_notes
from facilitator.decks.loader import read_yaml
from facilitator.decks.simulate import play_run, simulate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
DECKS = tuple(sorted(p.stem for p in SCENARIOS.glob("*.yaml")))  # the decks and their variants
RUNS, GREEDY_RUNS, SEED = 60, 10, "quality"


@lru_cache(maxsize=None)
def notes():
    return load_notes(ROOT / "seeds")


def deck_at(path: Path):
    """The deck as the simulator plays it (a variant with its base): shape and references checked (authoring
    rules have their own tests)."""
    data = read_yaml(path)
    if data.get("variant_of"):
        return load_deck(path, notes()).deck
    return deck_from_data(data, str(path), notes())


@pytest.mark.parametrize("deck_id", DECKS)
def test_shipped_deck_keeps_its_quality_limits(deck_id):
    deck = deck_at(SCENARIOS / f"{deck_id}.yaml")
    assert deck.quality is not None, f"{deck_id} declares no quality: limits"
    result = simulate(deck, "random", RUNS, SEED, GREEDY_RUNS)
    breaches = result.check(deck.quality)
    assert not breaches, f"{deck_id} breaks its quality limits:\n" + "\n".join(map(str, breaches)) + \
        "\n\n" + result.report()


def _broken_demo(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((SCENARIOS / "demo.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_an_indicator_pinned_to_a_bound_breaks_max_at_bound(tmp_path):
    def pin(data):
        grain = next(i for i in data["indicators"] if i["id"] == "grain")
        grain["per_phase"] = -60  # drifts to its floor, whatever the players do
        data["quality"] = {"max_at_bound": 0.10}

    deck = deck_at(_broken_demo(tmp_path, pin))
    breaches = simulate(deck, "random", 30, SEED, 0).check(deck.quality)

    assert [(b.limit, b.subject) for b in breaches] == [("max_at_bound", "indicator 'grain'")]
    assert re.search(r"ends at a bound in (\d+)% of 30 random runs \(at its min 0: \1%", breaches[0].message)
    assert "the limit is 10%" in breaches[0].message


def test_an_objective_out_of_reach_breaks_objectives_met_by_greedy(tmp_path):
    def unreachable(data):  # nothing in the demo raises Ukrainian support (it starts at 60)
        ukraine = next(d for d in data["delegations"] if d["id"] == "ukraine")
        ukraine["objectives"][0]["measure"] = {"indicator": "ua-support", "at_least": 100}
        data["quality"] = {"objectives_met_by_greedy": True, "allow_unmet": ["russia#2"]}

    deck = deck_at(_broken_demo(tmp_path, unreachable))
    result = simulate(deck, "random", 10, SEED, 4)
    breaches = result.check(deck.quality)

    refs = [b.subject for b in breaches if b.limit == "objectives_met_by_greedy"]
    assert "objective ukraine#1" in refs
    assert "was met in none of 4 greedy runs" in str(next(b for b in breaches if b.subject == "objective ukraine#1"))
    assert "ukraine#1" in result.unreachable()["objectives (greedy)"]


def test_a_card_no_delegation_holds_breaks_every_card_played(tmp_path):
    def orphan(data):
        for d in data["delegations"]:
            d["hand"] = [c for c in d["hand"] if c != "tr-host-offer"]
        data["quality"] = {"every_card_played": True}

    deck = deck_at(_broken_demo(tmp_path, orphan))
    breaches = simulate(deck, "random", 10, SEED, 0).check(deck.quality)

    assert [str(b) for b in breaches] == ["every_card_played: card 'tr-host-offer': was played in none of 10 random runs"]


def test_runs_are_reproducible_and_the_report_names_every_part():
    deck = deck_at(SCENARIOS / "demo.yaml")
    first, again = (play_run(deck, "random", "same") for _ in range(2))
    assert (first.final, first.plays, first.in_force) == (again.final, again.plays, again.in_force)
    report = simulate(deck, "random", 12, SEED, 2).report()
    for part in ("Indicators (final values)", "Objectives met / red lines crossed", "Cards", "Clause types",
                 "Never reached", "Dominant moves", "runs/s"):
        assert part in report, part


def test_greedy_runs_are_reproducible():
    deck = deck_at(SCENARIOS / "demo.yaml")
    first, again = (play_run(deck, "greedy", "same") for _ in range(2))
    assert (first.final, first.plays, first.in_force, first.met) == (again.final, again.plays, again.in_force,
                                                                      again.met)


def test_the_greedy_drafts_a_text_for_what_it_would_bring_in_force(tmp_path):
    """An objective on an indicator that only an agreement can move far enough: drafting the clause changes
    nothing by itself, yet the greedy drafts it, signs it and gets it signed, since a text is valued by what it
    would bring in force (and the other side loses nothing by it)."""
    def needs_a_text(data):  # grain starts at 10; everything but the safe route adds at most 20; it adds 30
        ukraine = next(d for d in data["delegations"] if d["id"] == "ukraine")
        ukraine["objectives"][0] = {"text": "Get grain moving: at least 40 at the end.",
                                    "measure": {"indicator": "grain", "at_least": 40}}
        data["quality"] = {"objectives_met_by_greedy": True}

    deck = deck_at(_broken_demo(tmp_path, needs_a_text))
    result = simulate(deck, "greedy", 4, SEED, 0)
    assert all(r.met[("ukraine", 0)] and r.in_force["safe-route"] for r in result.runs)
    assert not result.check(deck.quality)


def test_the_greedy_plays_a_signal_for_the_answer_it_can_bring(tmp_path):
    """A rung on the readiness ladder that only an answered signal can climb (no clause of the demo raises
    readiness, and a card alone never does): the greedy plays the card its counterpart can answer in kind, and
    the counterpart, with nothing of its own at stake, answers."""
    def needs_an_answer(data):
        ukraine = next(d for d in data["delegations"] if d["id"] == "ukraine")
        ukraine["objectives"][0] = {"text": "Open a channel with Moscow.",
                                    "measure": {"pair": ["ukraine", "russia"], "readiness_at_least": 2}}

    deck = deck_at(_broken_demo(tmp_path, needs_an_answer))
    result = simulate(deck, "greedy", 4, SEED, 0)
    assert any(r.met[("ukraine", 0)] for r in result.runs)


def test_a_scripted_run_plays_its_moves(tmp_path):
    deck = deck_at(SCENARIOS / "demo.yaml")
    script = [{"phase": 2, "moves": [
        {"as": "russia", "type": "play_signal", "card": "ru-port-pause"},
        {"as": "ukraine", "type": "draft_proposal", "table": "corridor", "title": "Route",
         "clauses": ["safe-route"]},
        {"as": "ukraine", "type": "sign_proposal", "proposal": "last"},
        {"as": "russia", "type": "sign_proposal", "proposal": "last"}]}]
    result = simulate(deck, "scripted", 3, SEED, 0, script)
    assert all(r.plays["ru-port-pause"] == 1 for r in result.runs)
    assert result.runs[0].drafted["safe-route"] == 1
    assert result.refusals() == []  # every move was one the rules allow


def test_the_command_line_prints_the_report_and_checks_the_limits(app, runner):
    result = runner.invoke(args=["scenarios", "simulate", "demo", "--runs", "20", "--greedy-runs", "2", "--check"])
    assert result.exit_code == 0, result.output
    assert "20 random runs" in result.output and "Indicators (final values)" in result.output
    assert "Never reached" in result.output
    unknown = runner.invoke(args=["scenarios", "simulate", "atlantis"])
    assert unknown.exit_code != 0 and "atlantis" in unknown.output
