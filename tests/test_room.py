"""Control of the room in the engine: announcements, tables and channels closed and reopened mid-phase, the
back-channel policy and its requests, muting, moving and removing participants."""

from __future__ import annotations

import pytest

from facilitator.engine import AdvancePhase, OpenBackchannel, PostMessage, view_state, visible_to
from facilitator.engine.channels import AnswerBackchannelRequest, SetBackchannelPolicy
from facilitator.engine.room import Announce, MoveParticipant, MuteParticipant, RemoveParticipant, SetChannelOpen

from .test_engine import A, B, C, D, OBSERVER, UMPIRE, Game, mini_deck, one, seen_by
from .test_event_list import ASSISTANT


def game(change=None) -> Game:
    return Game(mini_deck(change)).seat_all().advance(2)


def test_an_announcement_reaches_everyone():
    g = game()
    made = one(g.run(Announce("Ten minutes to the plenary vote."), UMPIRE), "announcement_made")
    assert seen_by(made, A, B, C, D, OBSERVER) == [True] * 5 and made.data["by"] == "Umpire"
    g.refused(Announce("Me too"), A, "forbidden")


def test_a_table_closed_mid_phase_refuses_posts_until_reopened_or_the_next_phase():
    g = game()
    g.run(PostMessage("table:main", "Before"), A)
    closed = one(g.run(SetChannelOpen("table:main", False, "cooling off"), UMPIRE), "channel_opened_or_closed")
    assert seen_by(closed, A, B, C, D) == [True, True, True, False]
    assert "closed" in g.refused(PostMessage("table:main", "During"), A, "closed").message
    assert next(t for t in view_state(g.state, A)["tables"] if t["id"] == "main")["open"] is False
    g.refused(SetChannelOpen("table:main", False), UMPIRE, "conflict")
    g.run(SetChannelOpen("table:main", True), UMPIRE)
    g.run(PostMessage("table:main", "After"), A)
    g.run(SetChannelOpen("table:main", False), UMPIRE)
    g.run(AdvancePhase(), UMPIRE)  # the endgame opens only the side table: the phase rules again
    assert view_state(g.state, A)["room"]["channels"] == {}
    g.run(SetChannelOpen("table:main", True, "one last word"), UMPIRE)  # the umpire may open a table the phase shut
    g.run(PostMessage("table:main", "Last word"), A)


def test_plenary_and_a_backchannel_can_be_closed_and_stay_so_across_phases():
    g = game()
    opened = one(g.run(OpenBackchannel(("b",)), A), "backchannel_opened")
    channel = opened.data["channel"]
    g.run(SetChannelOpen(channel, False, "the umpire stops the back-channel"), UMPIRE)
    g.refused(PostMessage(channel, "psst"), B, "closed")
    g.run(SetChannelOpen("plenary", False), UMPIRE)
    g.run(AdvancePhase(), UMPIRE)
    g.refused(PostMessage("plenary", "hello"), C, "closed")
    g.run(PostMessage("plenary", "The umpire still speaks"), UMPIRE)
    g.refused(SetChannelOpen("umpire", False), UMPIRE, "not_found")
    g.refused(SetChannelOpen("table:nowhere", False), UMPIRE, "not_found")


def no_contact(data):
    data["phases"][0]["backchannels"] = "closed"
    data["phases"][1]["backchannels"] = "ask"


def test_back_channels_are_closed_before_the_start_and_follow_each_phases_policy():
    g = Game(mini_deck(no_contact)).seat_all()
    assert "before the exercise starts" in g.refused(OpenBackchannel(("b",)), A, "closed").message
    g.advance(1)
    g.refused(OpenBackchannel(("b",)), A, "closed")
    assert view_state(g.state, A)["room"]["backchannels"] == "closed"
    g.run(OpenBackchannel(("a", "b")), UMPIRE)  # the umpire is not bound by it
    g.advance(1)
    asked = one(g.run(OpenBackchannel(("c",)), A), "backchannel_requested")
    assert seen_by(asked, A, C, D) == [True, False, False]
    g.refused(OpenBackchannel(("c",)), A, "conflict")  # asked already
    events = g.run(AnswerBackchannelRequest(1, True), ASSISTANT)
    answered, opened = events
    assert answered.type == "backchannel_request_answered" and seen_by(answered, A, C) == [True, False]
    assert opened.type == "backchannel_opened" and seen_by(opened, A, C, D) == [True, True, False]  # C is told
    g.refused(AnswerBackchannelRequest(1, False), UMPIRE, "conflict")
    g.refused(AnswerBackchannelRequest(9, False), UMPIRE, "not_found")
    g.run(OpenBackchannel(("d",)), B)
    g.run(AnswerBackchannelRequest(2, False), UMPIRE)
    assert [r["answered"] for r in view_state(g.state, B)["room"]["requests"]] == [False]


def test_the_umpire_overrides_the_policy_and_can_hand_it_back_to_the_deck():
    g = Game(mini_deck(no_contact)).seat_all().advance(1)
    g.run(SetBackchannelPolicy("allowed"), UMPIRE)
    g.run(OpenBackchannel(("b",)), A)
    g.refused(SetBackchannelPolicy("allowed"), UMPIRE, "conflict")
    g.refused(SetBackchannelPolicy("sometimes"), UMPIRE, "invalid")
    g.run(SetBackchannelPolicy(None), UMPIRE)
    g.refused(OpenBackchannel(("c",)), A, "closed")
    g.refused(SetBackchannelPolicy("allowed"), A, "forbidden")


def test_a_muted_participant_reads_but_does_not_post_and_only_their_delegation_is_told():
    g = game()
    muted = one(g.run(MuteParticipant("p-ann"), UMPIRE), "participant_muted")
    assert seen_by(muted, A, B, OBSERVER) == [True, False, False]
    assert g.refused(PostMessage("plenary", "hello"), A, "muted")
    assert view_state(g.state, A)["room"]["muted"] == ["p-ann"] and view_state(g.state, B)["room"]["muted"] == []
    g.run(MuteParticipant("p-ann", muted=False), UMPIRE)
    g.run(PostMessage("plenary", "hello"), A)
    g.refused(MuteParticipant("p-nobody"), UMPIRE, "not_found")


def test_moving_a_participant_changes_what_they_see_and_removing_one_frees_their_name():
    g = game()
    g.run(MoveParticipant("p-ann", "d"), UMPIRE)
    assert [m["delegation"] for m in view_state(g.state, UMPIRE)["members"] if m["name"] == "Ann"] == ["d"]
    g.refused(MoveParticipant("p-ann", "d"), UMPIRE, "conflict")
    g.refused(MoveParticipant("p-ann", "atlantis"), UMPIRE, "not_found")
    removed = one(g.run(RemoveParticipant("p-bo"), UMPIRE), "participant_removed")
    assert visible_to(removed, A) and "Bo" not in [m["name"] for m in view_state(g.state, A)["members"]]
    assert "Bo" not in g.state.participants.names_in_use()


@pytest.mark.parametrize("command", [Announce("x"), SetChannelOpen("plenary", False), SetBackchannelPolicy("ask"),
                                     MuteParticipant("p-ann"), MoveParticipant("p-ann", "d"),
                                     RemoveParticipant("p-ann")], ids=lambda c: c.TYPE)
@pytest.mark.parametrize("actor", [A, C, OBSERVER], ids=["member", "mediator", "observer"])
def test_room_control_is_exercise_controls(command, actor):
    game().refused(command, actor, "forbidden")


def test_a_table_the_umpire_closed_takes_no_proposal_and_one_it_opened_does():
    from facilitator.engine import Clause, DraftProposal, SignProposal
    g = game()
    g.run(DraftProposal("main", "Truce", (Clause("truce", "Now"),)), A)
    g.run(SetChannelOpen("table:main", False), UMPIRE)
    assert "closed" in g.refused(DraftProposal("main", "Another", (Clause("truce", ""),)), A, "closed").message
    g.refused(SignProposal(1), B, "closed")
    g.run(AdvancePhase(), UMPIRE)  # the endgame shuts the main table, by the deck
    g.refused(DraftProposal("main", "Late", (Clause("truce", ""),)), A, "closed")
    g.run(SetChannelOpen("table:main", True), UMPIRE)  # the umpire opens it for this phase
    g.run(DraftProposal("main", "Late", (Clause("truce", ""),)), A)


def test_a_muted_participant_drafts_and_amends_nothing_but_signs_for_their_delegation():
    from facilitator.engine import AmendProposal, Clause, DraftProposal, SignProposal
    g = game()
    g.run(DraftProposal("main", "Truce", (Clause("truce", "Now"),)), B)
    g.run(MuteParticipant("p-ann"), UMPIRE)
    g.refused(DraftProposal("main", "Mine", (Clause("truce", ""),)), A, "muted")
    g.refused(AmendProposal(1, (Clause("truce", "Later"),)), A, "muted")
    g.run(SignProposal(1), A)


def test_an_archived_exercise_seats_nobody_and_staff_names_are_checked():
    from facilitator.engine import SeatParticipant
    from facilitator.engine.control import ArchiveExercise, SeatStaff
    g = game()
    g.refused(SeatStaff("s-1", "Umpire", "assistant"), UMPIRE, "invalid")
    g.refused(SeatStaff("s-1", "ann", "assistant"), UMPIRE, "name_taken")  # a player's name
    g.run(SeatStaff("s-1", "Sam", "assistant"), UMPIRE)
    g.refused(SeatStaff("s-2", "SAM", "umpire"), UMPIRE, "name_taken")
    g.run(ArchiveExercise(), UMPIRE)
    assert "archived" in g.refused(SeatParticipant("p-new", "Nia", "a"), UMPIRE, "ended").message
