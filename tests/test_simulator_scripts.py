"""The simulator's scripted strategy: a script is checked whole before any run, and every bad script gives one
error that names the file and what is wrong (never a traceback); moves are loaded through the wire schema the
server loads commands with; a move the rules refuse during a run is listed by the report."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from facilitator.decks import load_deck, load_notes
from facilitator.decks.simulate import (
    Game,
    ScriptedPlayer,
    ScriptError,
    load_script,
    parse_script,
    simulate,
)
from facilitator.engine.beliefs import belief_id

ROOT = Path(__file__).resolve().parent.parent


@cache
def demo():
    """Phases briefing, talks, signing, aftermath; delegations ukraine, russia, turkey, un."""
    return load_deck(ROOT / "scenarios" / "demo.yaml", load_notes(ROOT / "seeds")).deck


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


BELIEF = """\
- phase: talks
  moves:
    - {as: umpire, type: adjust_belief, holder: ukraine, about: russia, by: -10}
"""


def test_the_mover_is_as_and_by_is_the_field_of_adjust_belief(tmp_path):
    deck = demo()
    script = load_script(write(tmp_path, "belief.yaml", BELIEF), deck)
    (move,) = script.moves
    assert move.by == "umpire" and move.command.by == -10
    ends = []
    for played in (script, parse_script([{"phase": "talks", "moves": []}], deck)):  # the same run, without it
        game = Game(deck, ScriptedPlayer(played), "s")
        assert game.run().refusals == []
        ends.append(game.state.beliefs[belief_id("ukraine", "russia")].value)
    assert ends[0] == ends[1] - 10


def test_by_as_the_mover_is_refused_with_the_key_to_use():
    with pytest.raises(ScriptError, match=r"'by' is no field of 'play_signal'.*'as' \(e\.g\. as: russia\)"):
        parse_script([{"phase": 2, "moves": [{"by": "russia", "type": "play_signal", "card": "ru-port-pause"}]}],
                     demo(), "s.yaml")


BAD_SCRIPTS = [  # (file name, text, what the error must say)
    ("mover.yaml", "- {phase: 2, moves: [{as: narnia, type: play_signal, card: ru-port-pause}]}",
     (r"entry 1 \(phase 2 'talks'\), move 1: 'as: narnia' is neither umpire nor a delegation of deck 'demo': "
      r"give one of umpire, ukraine, russia, turkey, un")),
    ("type.yaml", "- {phase: 2, moves: [{as: russia, type: fly_away}]}",
     r"move 1: Unknown command type 'fly_away'\. Known types: .*play_signal"),
    ("broken.yaml", "- phase: 2\n  moves: [\n    - {as: russia\n", r"not valid YAML \(line 3, column 5: "),
    ("oops.yaml", "- {phase: 2, moves: oops}", r"entry 1 \(phase 2 'talks'\): 'moves' is a list of moves, not a string"),
    ("broken.json", '[{"phase": 2, "moves": [}]', r"not valid JSON \(line 1, column 25: Expecting value\)"),
    ("binary.yaml", bytes(range(256)), r"not a text file"),
    ("binary.json", b"\x00\x01\x02[]", r"not a text file"),
    ("narnia.yaml", "- {phase: narnia, moves: []}",
     (r"entry 1: no phase 'narnia' in deck 'demo': give a phase id or a number from 1 to 4 "
      r"\(1 'briefing', 2 'talks', 3 'signing', 4 'aftermath'\)")),
    ("ninety-nine.yaml", "- {phase: 99, moves: []}", r"entry 1: no phase 99 in deck 'demo'.*2 'talks'"),
    ("no-phase.yaml", "- {moves: []}", r"entry 1: no 'phase'"),
    ("margin.yaml", "- {phase: 2, moves: [{type: publish_poll, indicator: grain, margin: 300}]}",
     r"move 1: Invalid 'publish_poll' command: margin: Must be greater than or equal to 1"),
    ("field.yaml", "- {phase: 2, moves: [{as: russia, type: play_signal, card: ru-port-pause, colour: red}]}",
     r"move 1: Invalid 'play_signal' command: colour: Unknown field"),
    ("empty.yaml", "", r"empty: a script is a list of entries"),
    ("mapping.json", '{"phase": 2, "moves": []}', r"a script is a list of entries .*, not a mapping"),
    ("entry-key.yaml", "- {phase: 2, moves: [], when: now}", r"entry 1: unknown key\(s\) 'when'"),
    ("move.yaml", "- {phase: 2, moves: [sign]}", r"entry 1 \(phase 2 'talks'\), move 1: a move is a mapping"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_SCRIPTS, ids=[b[0] for b in BAD_SCRIPTS])
def test_a_bad_script_is_refused_at_load_naming_the_file_and_the_fault(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    with pytest.raises(ScriptError, match=message) as caught:
        load_script(path, demo())
    assert str(caught.value).startswith(f"{path}: ")


@pytest.mark.parametrize(("name", "text", "message"), BAD_SCRIPTS[:6] + BAD_SCRIPTS[7:9],
                         ids=[b[0] for b in BAD_SCRIPTS[:6] + BAD_SCRIPTS[7:9]])
def test_the_command_line_says_the_fault_and_fails_without_a_traceback(app, runner, tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    result = runner.invoke(args=["scenarios", "simulate", "demo", "--runs", "1", "--greedy-runs", "0",
                                 "--script", str(path)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    (line,) = [x for x in result.output.splitlines() if x.strip()]
    assert line.startswith(f"Error: {path}: ")


def test_moves_the_rules_refuse_are_listed_by_the_report(tmp_path):
    path = write(tmp_path, "refused.yaml", """\
- phase: talks
  moves:
    - {as: russia, type: play_signal, card: ru-port-pause}
    - {as: russia, type: sign_proposal, proposal: last}
    - {as: ukraine, type: play_signal, card: ru-port-pause}
""")
    result = simulate(demo(), "scripted", 3, "s", 0, load_script(path, demo()))
    assert result.refusals() == [
        {"move": "entry 1 (phase 2 'talks'), move 2 (russia: sign_proposal)", "code": "not_found",
         "message": "There is no proposal #0.", "runs": 3},
        {"move": "entry 1 (phase 2 'talks'), move 3 (ukraine: play_signal)", "code": "not_in_hand",
         "message": "'Quietly pause strikes on the ports' is not in Ukraine's hand.", "runs": 3}]
    report = result.report()
    assert "Scripted moves refused by the rules" in report
    assert ("  entry 1 (phase 2 'talks'), move 3 (ukraine: play_signal): not_in_hand: 'Quietly pause strikes on "
            "the ports' is not in Ukraine's hand. (in 3 of 3 runs)") in report
    assert all(r.plays["ru-port-pause"] == 1 for r in result.runs)


def test_a_script_with_another_strategy_is_refused(app, runner, tmp_path):
    path = write(tmp_path, "belief.yaml", BELIEF)
    result = runner.invoke(args=["scenarios", "simulate", "demo", "--strategy", "greedy", "--script", str(path)])
    assert result.exit_code == 2 and "--strategy greedy does not play a script" in result.output
    with pytest.raises(ValueError, match="give both or neither"):
        simulate(demo(), "greedy", 1, "s", 0, load_script(path, demo()))
    with pytest.raises(ValueError, match="give both or neither"):
        simulate(demo(), "scripted", 1, "s", 0)
    played = runner.invoke(args=["scenarios", "simulate", "demo", "--strategy", "scripted", "--script", str(path),
                                 "--runs", "2", "--greedy-runs", "0"])
    assert played.exit_code == 0 and "2 scripted runs" in played.output


def test_an_unknown_deck_lists_the_decks(app, runner):
    result = runner.invoke(args=["scenarios", "simulate", "narnia"])
    assert result.exit_code == 1
    assert "no deck 'narnia' in" in result.output and "give one of demo, " in result.output
    assert "narnia.yaml" not in result.output
