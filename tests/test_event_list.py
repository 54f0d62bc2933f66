"""The event list (MSEL) in the engine: rows, their planned time in played minutes, firing by hand and by
schedule, the umpire's edits, and what players never learn of a row."""

from __future__ import annotations

from datetime import timedelta

import pytest

from facilitator.engine import (
    Actor, AdvancePhase, EndExercise, ExtendClock, FireDueInjects, FireInject, PauseClock, ResumeClock, due,
    view_state, visible_to,
)
from facilitator.engine.injects import (
    AddInject, DelayInject, EditInject, ImportEventList, IndicatorDelta, InjectRow, MoveInject, SetFiring,
    SkipInject,
)
from facilitator.engine.audience import SCHEDULE_ACTOR

from .test_engine import A, B, C, D, OBSERVER, UMPIRE, Game, mini_deck, of_type, one, seen_by

ASSISTANT = Actor("assistant", participant="s-1", name="Sam")
NOTE = "Controller: if Alpha stalls, fire the crisis early"
EXPECTED = "Alpha should call the mediator"


def scheduled(data):
    """News at minute 5 of the talks; the tip-off at minute 2 of any phase, with notes for controllers."""
    news, tipoff, _ = data["injects"]
    news["schedule"] = {"phase": "talks", "minute": 5}
    tipoff.update(schedule={"minute": 2}, controller_note=NOTE, expected_action=EXPECTED, sender="Alpha's embassy",
                  scenario_date="2022-07-21")


def game_in(phase_index: int = 1) -> Game:
    game = Game(mini_deck(scheduled)).seat_all()
    game.advance(phase_index + 1)
    return game


def at_played(game: Game, minutes: float):
    """The wall time at which the current phase has been played ``minutes`` (the clock never paused)."""
    clock = game.state.clock
    return clock.since + timedelta(minutes=minutes) - timedelta(seconds=clock.played)


def row(game: Game, row_id: str) -> dict:
    return next(r for r in view_state(game.state, UMPIRE)["event_list"] if r["id"] == row_id)


# ---- the list --------------------------------------------------------------------------------------

def test_the_decks_injects_are_numbered_rows_with_their_plan_and_notes_for_control_only():
    game = game_in()
    rows = view_state(game.state, UMPIRE)["event_list"]
    assert [(r["number"], r["id"], r["phase"], r["minute"]) for r in rows] == [
        (1, "news", "talks", 5), (2, "tipoff", None, 2), (3, "crisis", None, None)]
    tip = rows[1]
    assert tip["controller_note"] == NOTE and tip["expected_action"] == EXPECTED and tip["audience"] == ["a"]
    assert tip["historical"] is False and rows[0]["historical"] is True  # as their kinds say
    for viewer in (A, B, C, D, OBSERVER):
        view = view_state(game.state, viewer)
        assert "event_list" not in view and "firing" not in view


def test_a_controller_note_and_an_expected_action_reach_no_player_by_any_path():
    game = game_in()
    game.run(FireInject("tipoff"), UMPIRE)
    game.run(FireInject("tipoff", title="Tip-off (edited)"), UMPIRE)
    game.run(FireDueInjects(), SCHEDULE_ACTOR, at_played(game, 30))
    for viewer in (A, B, C, D, OBSERVER):
        seen = repr([e.to_dict() for e in game.log if visible_to(e, viewer)]) + repr(view_state(game.state, viewer))
        assert NOTE not in seen and EXPECTED not in seen
    assert NOTE in repr(view_state(game.state, UMPIRE))


# ---- due, in played time ------------------------------------------------------------------------------

def test_a_row_comes_due_at_its_minute_of_played_time():
    game = game_in()
    assert [r.id for r, _ in due(game.state, at_played(game, 1.9))] == []
    assert [r.id for r, _ in due(game.state, at_played(game, 2))] == ["tipoff"]  # any phase, minute 2
    assert [r.id for r, _ in due(game.state, at_played(game, 5))] == ["news", "tipoff"]


def test_nothing_is_due_while_the_clock_is_paused_and_pauses_do_not_count_as_play():
    game = game_in()
    game.run(PauseClock(), UMPIRE, at_played(game, 4))
    hour_later = game.now + timedelta(hours=1)
    assert [r.id for r, _ in due(game.state, hour_later)] == []  # paused: nothing is due at all
    game.run(ResumeClock(), UMPIRE, hour_later)
    assert [r.id for r, _ in due(game.state, hour_later + timedelta(seconds=59))] == ["tipoff"]  # 4 min played
    assert [r.id for r, _ in due(game.state, hour_later + timedelta(minutes=1))] == ["news", "tipoff"]


def test_an_extension_does_not_move_a_row_later_or_earlier():
    game = game_in()
    game.run(ExtendClock(10), UMPIRE, at_played(game, 1))
    assert "news" not in [r.id for r, _ in due(game.state, at_played(game, 4.9))]
    assert "news" in [r.id for r, _ in due(game.state, at_played(game, 5))]
    game.run(ExtendClock(-5), UMPIRE, at_played(game, 3))
    assert "news" not in [r.id for r, _ in due(game.state, at_played(game, 4.9))]


def test_rows_of_a_phase_that_has_passed_are_not_due_and_nothing_is_due_before_the_start_or_after_the_end():
    game = Game(mini_deck(scheduled)).seat_all()
    assert due(game.state, game.now + timedelta(hours=2)) == []
    game.advance(3)  # the endgame: the talks' row was never fired
    assert [r.id for r, _ in due(game.state, at_played(game, 10))] == ["tipoff"]
    game.run(EndExercise(), UMPIRE)
    assert due(game.state, game.now + timedelta(hours=2)) == []


# ---- fired by the schedule -------------------------------------------------------------------------

def test_the_schedule_fires_a_due_row_once_as_the_same_event_as_by_hand():
    game = game_in()
    events = game.run(FireDueInjects(), SCHEDULE_ACTOR, at_played(game, 2))
    fired = one(events, "inject_fired")
    assert fired.data["row"] == "tipoff" and fired.data["late"] is None and seen_by(fired, A, B) == [True, False]
    assert fired.actor == SCHEDULE_ACTOR
    assert game.run(FireDueInjects(), SCHEDULE_ACTOR, at_played(game, 3)) == []  # once
    by_hand = one(Game(mini_deck(scheduled)).seat_all().advance(2).run(FireInject("tipoff"), UMPIRE), "inject_fired")
    assert by_hand.type == fired.type and by_hand.data == fired.data  # the same event, whoever fires it
    assert row(game, "tipoff")["status"] == "fired" and row(game, "news")["status"] == "pending"


def test_a_row_fired_after_its_time_is_marked_late_in_whole_minutes():
    game = game_in()
    events = game.run(FireDueInjects(), SCHEDULE_ACTOR, at_played(game, 7.5))
    assert {e.data["row"]: e.data["late"] for e in of_type(events, "inject_fired")} == {"news": 2, "tipoff": 5}
    assert row(game, "news")["late"] == 2


def test_in_ask_me_mode_a_due_row_is_flagged_once_for_the_umpire_and_not_fired():
    game = game_in()
    game.run(SetFiring(False), UMPIRE)
    game.refused(SetFiring(False), UMPIRE, "conflict")
    events = game.run(FireDueInjects(), SCHEDULE_ACTOR, at_played(game, 2))
    flagged = one(events, "inject_due")
    assert flagged.data == {"inject": "tipoff", "number": 2, "title": "Tip-off"}
    assert not visible_to(flagged, A) and row(game, "tipoff")["due"] is True
    assert game.run(FireDueInjects(), SCHEDULE_ACTOR, at_played(game, 3)) == []
    game.run(FireInject("tipoff"), UMPIRE)
    assert row(game, "tipoff")["status"] == "fired" and row(game, "tipoff")["due"] is False


def test_a_targeted_row_reaches_only_its_audience_and_a_message_row_posts_in_their_private_channels():
    def message(data):
        data["injects"][1]["delivery"] = "message"
        data["injects"][1]["sender"] = "Alpha's embassy"
    game = Game(mini_deck(message)).seat_all().advance(2)
    events = game.run(FireInject("tipoff"), UMPIRE)
    posted = one(events, "message_posted")
    assert posted.data["channel"] == "delegation:a" and posted.data["author"] == "Alpha's embassy"
    assert seen_by(posted, A, B, OBSERVER) == [True, False, False]
    assert seen_by(one(events, "inject_fired"), A, B, C, D, OBSERVER) == [True, False, False, False, False]


def test_a_deck_row_fired_to_fewer_delegations_shows_whom_it_really_reached():
    game = game_in()
    game.run(FireInject("news", to=("b",)), UMPIRE)
    assert row(game, "news")["fired_to"] == ["b"] and row(game, "news")["audience"] == "all"


# ---- the umpire's edits ---------------------------------------------------------------------------

def test_the_umpire_adds_edits_delays_skips_and_moves_rows_each_an_event_only_control_sees():
    game = game_in()
    added = one(game.run(AddInject(InjectRow("Blackout", "The capital is dark.", phase="talks", minute=8,
                                             audience="delegations", to=("a", "b"),
                                             indicators=(IndicatorDelta("tension", 1),),
                                             controller_note="ask about the grid")), UMPIRE), "inject_added")
    assert added.data["row"]["number"] == 4 and added.data["row"]["id"] == "row-4"
    assert not visible_to(added, A)
    edited = InjectRow("Blackout in the east", "Half the capital is dark.", phase="talks", minute=9)
    game.run(EditInject("row-4", edited), UMPIRE)
    assert row(game, "row-4")["title"] == "Blackout in the east" and row(game, "row-4")["minute"] == 9
    game.run(DelayInject("row-4", 5), UMPIRE)
    assert row(game, "row-4")["minute"] == 14
    game.refused(DelayInject("crisis", 5), UMPIRE, "invalid")  # unscheduled: nothing to move
    game.run(SkipInject("news"), UMPIRE)
    assert "news" not in [r.id for r, _ in due(game.state, at_played(game, 20))]
    game.run(SkipInject("news", skipped=False), UMPIRE)
    assert "news" in [r.id for r, _ in due(game.state, at_played(game, 20))]
    game.run(MoveInject("row-4", before="news"), UMPIRE)
    assert [r["id"] for r in view_state(game.state, UMPIRE)["event_list"]] == ["row-4", "news", "tipoff", "crisis"]
    game.run(FireInject("row-4"), UMPIRE)
    game.refused(EditInject("row-4", edited), UMPIRE, "conflict")  # fired: it is history now
    game.refused(SkipInject("row-4"), UMPIRE, "conflict")
    assert all(not visible_to(e, viewer) for e in game.log if e.type.startswith(("inject_added", "inject_edited",
                                                                                  "inject_delayed", "inject_skipped",
                                                                                  "inject_moved"))
               for viewer in (A, B, OBSERVER))


def test_a_bad_row_names_its_fields_and_changes_nothing():
    game = game_in()
    error = game.refused(AddInject(InjectRow(" ", "x", kind="rumour", audience="delegations", to=("atlantis",),
                                             phase="overtime", indicators=(IndicatorDelta("fear", 1),))),
                         UMPIRE, "invalid")
    assert error.fields == {"title": "empty", "kind": "one of historical, hypothetical, intelligence, contingency, "
                                                      "ad hoc", "to": "unknown delegation(s): atlantis",
                            "phase": "unknown phase 'overtime'", "indicators.0": "unknown indicator 'fear'"}


def test_an_import_replaces_the_rows_to_come_keeps_those_fired_and_refuses_a_bad_row_whole():
    game = game_in()
    game.run(FireInject("news"), UMPIRE)
    rows = (InjectRow("Old news", "Replaced?", number=1), InjectRow("Fresh", "New row.", phase="talks", minute=3),
            InjectRow("Later", "Another.", number=9))
    game.run(ImportEventList(rows), UMPIRE)
    listed = view_state(game.state, UMPIRE)["event_list"]
    assert [(r["number"], r["title"], r["status"]) for r in listed] == [  # in the file's order
        (1, "News", "fired"), (10, "Fresh", "pending"), (9, "Later", "pending")]
    before = game.state
    error = game.refused(ImportEventList((InjectRow("Ok", "Fine."), InjectRow("Bad", "", phase="nowhere"))), UMPIRE,
                         "invalid")
    assert error.fields == {"rows.1.text": "empty", "rows.1.phase": "unknown phase 'nowhere'"}
    assert game.state is before


EVENT_LIST_COMMANDS = [FireInject("news"), AddInject(InjectRow("T", "x")), EditInject("news", InjectRow("T", "x")),
                       DelayInject("news", 1), SkipInject("news"), MoveInject("news"), SetFiring(False),
                       ImportEventList(()), FireDueInjects()]


@pytest.mark.parametrize("command", EVENT_LIST_COMMANDS, ids=lambda c: c.TYPE)
@pytest.mark.parametrize("actor,allowed", [(UMPIRE, True), (ASSISTANT, True), (A, False), (C, False),
                                           (OBSERVER, False)], ids=["umpire", "assistant", "member", "mediator",
                                                                    "observer"])
def test_who_may_run_the_event_list(command, actor, allowed):
    game = game_in()
    if allowed:
        game.run(command, actor, at_played(game, 6))
    else:
        assert game.refused(command, actor, "forbidden").message == "Only the umpire may do this."


def test_an_assistant_may_not_end_the_exercise():
    game = game_in()
    assert "not an assistant" in game.refused(EndExercise(), ASSISTANT, "forbidden").message
    game.run(AdvancePhase(), ASSISTANT)  # but runs the phases


def test_an_old_log_of_injects_and_risk_draws_still_reads_and_replays():
    """Logs written before the event list (inject_fired v1) and before overrides (ceasefire_risk_drawn v1)."""
    from facilitator.engine import Audience, load_event, evolve

    old = load_event("inject_fired", 1, {"inject": "news", "title": "News", "text": "Headlines.", "kind": "historical",
                                         "sources": [], "to": None}, Audience.all(), UMPIRE, seq=1)
    assert old.payload.row == "news" and old.payload.delivery == "banner" and old.payload.late is None
    adhoc = load_event("inject_fired", 1, {"inject": None, "title": "Flash", "text": "x", "kind": "ad hoc",
                                           "sources": [], "to": ["a"]}, Audience.of(["a"]), UMPIRE, seq=2)
    game = Game(mini_deck(scheduled))
    state = evolve(evolve(game.state, old), adhoc)
    assert state.injects.row("news").status == "fired" and len(state.injects.fired) == 2
    drawn = load_event("ceasefire_risk_drawn", 1, {"rule": "skirmish", "title": "Skirmish", "probability": 0.5,
                                                   "roll": 0.2, "occurred": True, "phases_held": 0, "modifiers": {}},
                       Audience.umpire_only(), None, seq=3)
    assert drawn.payload.override is None


def test_a_row_due_when_the_phase_changes_fires_before_it_changes():
    """The schedule looks once a second; a phase opened and left within that second loses nothing."""
    game = Game(mini_deck(scheduled)).seat_all().advance(1)
    game.run(AddInject(InjectRow("At once", "Minute 0 of the talks.", phase="talks", minute=0)), UMPIRE)
    game.run(AdvancePhase(), UMPIRE)  # into the talks
    events = game.run(AdvancePhase(), UMPIRE, game.now)  # and out again, the same second
    fired = [e for e in events if e.type == "inject_fired"]
    assert [e.data["title"] for e in fired] == ["At once"] and events.index(fired[0]) < [
        e.type for e in events].index("phase_advanced")


def test_what_a_change_of_phase_fires_or_flags_does_not_name_who_changed_it():
    """The umpire's act is the change of phase, which everyone sees; a confidential row it fires, or a row it
    flags for control, is its consequence: none carries the umpire, so the phase change tells an observer of
    no act it may not see."""
    game = Game(mini_deck(scheduled)).seat_all().advance(1)
    game.run(AddInject(InjectRow("Private", "For Alpha.", phase="talks", minute=0, audience="delegations",
                                 to=("a",))), UMPIRE)
    game.run(AdvancePhase(), UMPIRE)
    events = game.run(AdvancePhase(), UMPIRE, game.now)
    fired = one(events, "inject_fired")
    assert fired.data["title"] == "Private" and fired.actor is None and not visible_to(fired, OBSERVER)
    assert one(events, "phase_advanced").actor == UMPIRE
    game = Game(mini_deck(scheduled)).seat_all().advance(1)
    game.run(SetFiring(False), UMPIRE)
    game.run(AddInject(InjectRow("Flagged", "Later.", phase="talks", minute=0)), UMPIRE)
    game.run(AdvancePhase(), UMPIRE)
    events = game.run(AdvancePhase(), UMPIRE, game.now)
    assert [e.actor for e in events if e.type == "inject_due"] == [None]


def test_rows_refuse_an_indicator_twice_and_a_number_or_id_the_server_gives():
    game = game_in()
    twice = InjectRow("T", "x", indicators=(IndicatorDelta("tension", 1), IndicatorDelta("tension", 2)))
    assert game.refused(AddInject(twice), UMPIRE, "invalid").fields == {"indicators.1": "'tension' given twice"}
    assert game.refused(AddInject(InjectRow("T", "x", number=7)), UMPIRE, "invalid").fields == {
        "inject.number": "not allowed"}
    game.refused(AddInject(InjectRow("T", "x", id="mine")), UMPIRE, "invalid")
    game.refused(EditInject("news", InjectRow("T", "x", number=9)), UMPIRE, "invalid")
