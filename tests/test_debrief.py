"""The debrief: measured objectives and red lines against the end state, the deck's questions, and what the
umpire puts before the room; who sees which assessment, in the engine and over a real connection.

Deck-format errors of measures and focuses are in test_deck_validation.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from facilitator.decks import deck_from_data
from facilitator.engine import (Actor, AdjustIndicator, AdjustRelation, AdvancePhase, Clause, DraftProposal,
                                EndExercise, SeatParticipant, SignProposal, replay, view_state, visible_to)
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.debrief import RevealDebrief, ShowDebriefQuestion, assessment, questions

from .realtime_helpers import http, table  # noqa: F401
from .test_engine import Game as EngineGame

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
UMPIRE = UMPIRE_ACTOR
ASSISTANT = Actor("assistant", participant="s-1", name="Sam")
OBSERVER = Actor("observer")
A = Actor("delegation", "a", "p-ann", "Ann")
B = Actor("delegation", "b", "p-bo", "Bo")
C = Actor("delegation", "c", "p-cy", "Cy")
SRC = ["test-note#1"]


def deck_data() -> dict:
    """Alpha and Beta at a table Gamma mediates; every kind of measure, on objectives and red lines."""
    return {
        "id": "mini", "title": "Mini crisis", "summary": "Two belligerents and a mediator.",
        "delegations": [
            {"id": "a", "name": "Alpha", "kind": "belligerent", "public_brief": "Alpha in public.",
             "objectives": [
                 "Alpha's unmeasured aim",
                 {"text": "Alpha keeps support above 40", "measure": {"indicator": "support", "at_least": 41}},
                 {"text": "Alpha gets a truce", "measure": {"agreement": "truce", "in_force": True}},
                 {"text": "Alpha reaches formal talks with Beta",
                  "measure": {"pair": ["b", "a"], "readiness_at_least": "formal talks"}},
             ],
             "red_lines": [{"text": "Alpha's line: no monitors", "measure": {"agreement": "monitors"}},
                           {"text": "Alpha's line: tension never at 8", "measure": {"indicator": "tension",
                                                                                     "at_least": 8}}]},
            {"id": "b", "name": "Beta", "kind": "belligerent", "public_brief": "Beta in public.",
             "objectives": [{"text": "Beta keeps tension at 4 or less", "measure": {"indicator": "tension",
                                                                                    "at_most": 4}},
                            {"text": "Beta trusts Alpha at 30", "measure": {"pair": ["a", "b"], "trust_at_least": 30}},
                            {"text": "Beta avoids any truce", "measure": {"agreement": "truce", "in_force": False}}],
             "red_lines": ["Beta's unmeasured line"]},
            {"id": "c", "name": "Gamma", "kind": "mediator", "public_brief": "Gamma in public.",
             "objectives": [{"text": "Gamma's aim: readiness rung 3 between Gamma and Alpha",
                             "measure": {"pair": ["a", "c"], "readiness_at_least": 3}}]},
        ],
        "tables": [{"id": "main", "name": "Main table", "delegations": ["a", "b"], "mediators": ["c"]}],
        "indicators": [
            {"id": "tension", "name": "Tension", "min": 0, "max": 10, "start": 5},
            {"id": "support", "name": "Alpha's support", "min": 0, "max": 100, "start": 50, "visible_to": ["a"]},
        ],
        "relations": [{"between": ["a", "b"], "trust": 20, "readiness": 1},
                      {"between": ["a", "c"], "trust": 50, "readiness": 2}],
        "clause_types": [
            {"id": "truce", "title": "Truce", "text": "Guns fall silent.", "establishes_ceasefire": True,
             "sources": SRC},
            {"id": "monitors", "title": "Monitors", "text": "Observers on the line.", "sources": SRC},
        ],
        "phases": [{"id": "talks", "name": "Talks", "minutes": 20}],
        "debrief": [
            "Who moved first?",
            {"question": "How tense was it?", "focus": {"indicator": "tension"}},
            {"question": "Did they trust each other?", "focus": {"pair": ["b", "a"]}},
            {"question": "Which signals and cease-fires mattered?", "focus": {"events": ["signal", "ceasefire"]}},
        ],
    }


class Game(EngineGame):
    """The engine tests' exercise, on this file's deck; the umpire acts unless told otherwise."""

    def __init__(self):
        super().__init__(deck_from_data(deck_data(), "mini.yaml"), "seed")

    def run(self, command, actor=UMPIRE, now=None) -> list:
        return super().run(command, actor, now)

    def view(self, actor) -> dict:
        return view_state(self.state, actor)


@pytest.fixture
def game() -> Game:
    g = Game()
    for actor in (A, B, C):
        g.run(SeatParticipant(actor.participant, actor.name, actor.delegation), actor)
    g.run(AdvancePhase())
    return g


def agree(game: Game, *clause_types: str) -> None:
    number = len(game.state.proposals.items) + 1
    game.run(DraftProposal("main", "Deal", tuple(Clause(k) for k in clause_types)), A)
    game.run(SignProposal(number), A)
    game.run(SignProposal(number), B)


def by_delegation(entries) -> dict:
    return {e["delegation"]: e for e in entries}


# ---- measuring -----------------------------------------------------------------------------------------


def test_unmeasured_objectives_and_red_lines_are_shown_with_none(game):
    alpha, beta, gamma = assessment(game.state)
    assert alpha["objectives"][0] == {"text": "Alpha's unmeasured aim", "measure": None, "met": None, "detail": None}
    assert beta["red_lines"] == [{"text": "Beta's unmeasured line", "measure": None, "crossed": None, "detail": None}]
    assert (alpha["name"], beta["name"], gamma["name"]) == ("Alpha", "Beta", "Gamma")


def test_an_indicator_at_least_and_at_most(game):
    alpha, beta, _ = (by_delegation(assessment(game.state))[d] for d in "abc")
    assert alpha["objectives"][1] == {"text": "Alpha keeps support above 40",
                                      "measure": "Alpha's support at least 41 at the end", "met": True,
                                      "detail": "Alpha's support ended at 50 (needed 41 or more)"}
    assert beta["objectives"][0]["met"] is False  # tension 5 > 4
    assert beta["objectives"][0]["detail"] == "Tension ended at 5 (needed 4 or less)"
    game.run(AdjustIndicator("support", -10, "a poll"))
    game.run(AdjustIndicator("tension", -1, "calm"))
    alpha, beta, _ = assessment(game.state)
    assert alpha["objectives"][1]["met"] is False and "ended at 40" in alpha["objectives"][1]["detail"]
    assert beta["objectives"][0]["met"] is True and beta["objectives"][0]["detail"].startswith("Tension ended at 4")


def test_a_red_line_on_an_indicator_is_crossed_when_its_measure_holds(game):
    line = assessment(game.state)[0]["red_lines"][1]
    assert (line["measure"], line["crossed"]) == ("Tension at least 8 at the end", False)
    game.run(AdjustIndicator("tension", 3, "shelling"))
    line = assessment(game.state)[0]["red_lines"][1]
    assert line["crossed"] is True and line["detail"] == "Tension ended at 8 (the line: 8 or more)"


def test_an_agreement_in_force_or_none(game):
    alpha, beta, _ = assessment(game.state)
    assert alpha["objectives"][2]["met"] is False and beta["objectives"][2]["met"] is True
    assert alpha["objectives"][2]["measure"] == "an agreement with “Truce” in force at the end"
    assert beta["objectives"][2]["measure"] == "no agreement with “Truce” in force at the end"
    assert alpha["objectives"][2]["detail"] == "No agreement in force has “Truce”"
    game.run(DraftProposal("main", "Quiet", (Clause("truce"),)), A)
    game.run(SignProposal(1), A)  # signed by one side only: not in force
    assert assessment(game.state)[0]["objectives"][2]["met"] is False
    game.run(SignProposal(1), B)
    alpha, beta, _ = assessment(game.state)
    assert alpha["objectives"][2]["met"] is True and beta["objectives"][2]["met"] is False
    assert alpha["objectives"][2]["detail"] == "“Truce” is in force (agreement #1 “Quiet”)"


def test_a_red_line_on_an_agreement_is_crossed_once_it_is_in_force(game):
    assert assessment(game.state)[0]["red_lines"][0]["crossed"] is False
    agree(game, "truce", "monitors")
    line = assessment(game.state)[0]["red_lines"][0]
    assert line == {"text": "Alpha's line: no monitors",
                    "measure": "an agreement with “Monitors” in force at the end",
                    "crossed": True, "detail": "“Monitors” is in force (agreement #1 “Deal”)"}


def test_a_pair_trust_and_readiness_by_label_or_number(game):
    alpha, beta, gamma = assessment(game.state)
    assert beta["objectives"][1]["met"] is False and beta["objectives"][1]["detail"] == \
        "Trust ended at 20 (needed 30 or more)"
    assert alpha["objectives"][3]["measure"] == \
        "readiness between Beta and Alpha at “formal talks” or higher at the end"
    assert alpha["objectives"][3]["met"] is False
    assert gamma["objectives"][0]["met"] is False  # rung 2 of 3
    game.run(AdjustRelation(("a", "b"), "talks", trust=10, readiness=2))
    game.run(AdjustRelation(("c", "a"), "talks", readiness=1))
    alpha, beta, gamma = assessment(game.state)
    assert beta["objectives"][1]["met"] is True
    assert alpha["objectives"][3]["met"] is True
    assert alpha["objectives"][3]["detail"] == \
        "Readiness ended at “formal talks” (needed “formal talks” or higher)"
    assert gamma["objectives"][0]["met"] is True


def test_questions_with_and_without_a_focus():
    deck = Game().deck
    assert questions(deck) == [
        {"question": "Who moved first?", "focus": None},
        {"question": "How tense was it?", "focus": {"indicator": "tension"}},
        {"question": "Did they trust each other?", "focus": {"pair": ["b", "a"]}},
        {"question": "Which signals and cease-fires mattered?", "focus": {"events": ["signal", "ceasefire"]}},
    ]


# ---- commands and who sees what -----------------------------------------------------------------------


def test_the_debrief_commands_wait_for_the_end_and_are_exercise_control_s(game):
    game.refused(RevealDebrief("a"), UMPIRE, "not_ended")
    game.refused(ShowDebriefQuestion(0), UMPIRE, "not_ended")
    for actor in (A, OBSERVER):
        game.refused(ShowDebriefQuestion(0), actor, "forbidden")
    game.run(EndExercise())
    for actor in (A, B, OBSERVER):
        game.refused(RevealDebrief("a"), actor, "forbidden")
        game.refused(RevealDebrief("all"), actor, "forbidden")
        game.refused(ShowDebriefQuestion(1), actor, "forbidden")
    game.refused(RevealDebrief("atlantis"), UMPIRE, "not_found")
    game.refused(ShowDebriefQuestion(4), UMPIRE, "invalid")
    game.refused(ShowDebriefQuestion(None), UMPIRE, "conflict")  # nothing shown yet
    game.run(ShowDebriefQuestion(0), ASSISTANT)  # an assistant may lead the debrief too
    game.refused(ShowDebriefQuestion(0), UMPIRE, "conflict")
    game.run(RevealDebrief("b"), ASSISTANT)
    game.refused(RevealDebrief("b"), UMPIRE, "conflict")


def test_no_assessment_before_the_end(game):
    for actor in (UMPIRE, A, B, OBSERVER):
        view = game.view(actor)
        assert "assessment" not in view and "debrief_question" not in view


def test_each_delegation_sees_only_its_own_assessment_until_the_umpire_reveals_it(game):
    agree(game, "monitors")
    game.run(EndExercise())
    assert [e["delegation"] for e in game.view(UMPIRE)["assessment"]] == ["a", "b", "c"]
    assert [e["delegation"] for e in game.view(A)["assessment"]] == ["a"]
    assert [e["delegation"] for e in game.view(B)["assessment"]] == ["b"]
    assert game.view(OBSERVER)["assessment"] == []
    alpha_texts = [g.text for g in game.deck.delegation("a").objectives + game.deck.delegation("a").red_lines]
    for actor in (B, C, OBSERVER):
        blob = json.dumps(game.view(actor))
        assert not [t for t in alpha_texts if t in blob], actor

    [revealed] = game.run(RevealDebrief("a"))
    assert revealed.type == "debrief_revealed" and revealed.data == {"delegations": ["a"]}
    assert revealed.audience.everyone and all(visible_to(revealed, actor) for actor in (A, B, C, OBSERVER))
    assert revealed.to_dict(game.deck)["summary"]["title"] == \
        "Debrief: Alpha's objectives and red lines revealed to the room"
    observer = by_delegation(game.view(OBSERVER)["assessment"])
    assert list(observer) == ["a"] and observer["a"]["revealed"] is True
    assert observer["a"]["revealed_at"] == revealed.seq
    assert observer["a"]["red_lines"][0]["crossed"] is True  # monitors are in force
    assert list(by_delegation(game.view(B)["assessment"])) == ["a", "b"]
    beta_texts = [g.text for g in game.deck.delegation("b").objectives]
    for actor in (A, C, OBSERVER):  # revealing Alpha tells nobody anything of Beta's
        blob = json.dumps(game.view(actor))
        assert not [t for t in beta_texts if t in blob], actor
    assert by_delegation(game.view(UMPIRE)["assessment"])["b"]["revealed"] is False
    assert by_delegation(game.view(UMPIRE)["assessment"])["b"]["revealed_at"] is None

    [everyone] = game.run(RevealDebrief("all"))
    assert everyone.data == {"delegations": ["b", "c"]}
    assert [e["delegation"] for e in game.view(OBSERVER)["assessment"]] == ["a", "b", "c"]
    game.refused(RevealDebrief("all"), UMPIRE, "conflict")
    assert game.view(A)["delegations"][1].get("objectives") is None  # the briefs stay private


def test_the_umpire_leads_the_room_through_the_questions(game):
    game.run(EndExercise())
    assert game.view(UMPIRE)["debrief"] == ["Who moved first?", "How tense was it?", "Did they trust each other?",
                                            "Which signals and cease-fires mattered?"]
    assert "debrief" not in game.view(OBSERVER)  # the list stays with exercise control
    [shown] = game.run(ShowDebriefQuestion(1))
    assert shown.audience.everyone and shown.data == {"index": 1, "question": "How tense was it?"}
    assert shown.to_dict(game.deck)["summary"] == {"kind": "debrief", "title": "Debrief question 2",
                                                   "detail": "How tense was it?"}
    for actor in (UMPIRE, A, B, OBSERVER):
        assert game.view(actor)["debrief_question"] == {"index": 1, "count": 4, "question": "How tense was it?",
                                                        "focus": {"indicator": "tension"}}
    game.run(ShowDebriefQuestion(2))
    assert game.view(OBSERVER)["debrief_question"]["focus"] == {"pair": ["b", "a"]}
    game.run(ShowDebriefQuestion(None))
    assert "debrief_question" not in game.view(OBSERVER)


def test_the_debrief_replays_exactly(game):
    agree(game, "truce")
    game.run(EndExercise())
    game.run(ShowDebriefQuestion(3))
    game.run(RevealDebrief("c"))
    again = replay(game.deck, game.log, seed="seed")
    assert again == game.state
    for actor in (UMPIRE, A, B, C, OBSERVER):
        assert view_state(again, actor) == view_state(game.state, actor)


# ---- over a real connection ---------------------------------------------------------------------------


def test_the_room_receives_a_delegation_s_assessment_only_once_revealed(table):  # noqa: F811
    umpire, ukraine, russia, observer = table.umpire, table["ukraine"], table["russia"], table.observer
    umpire.ok("advance_phase")
    umpire.ok("advance_phase")
    ukraine.ok("draft_proposal", table="corridor", title="Corridor",
               clauses=[{"clause_type": "safe-route", "terms": ""}, {"clause_type": "maritime-truce", "terms": ""}])
    ukraine.ok("sign_proposal", proposal=1)
    russia.ok("sign_proposal", proposal=1)
    umpire.refused("reveal_debrief", "not_ended", delegation="ukraine")
    seq = umpire.ok("end_exercise")
    table.settle()
    for player in table.players:
        player.wait_seq(seq)
    ukraine_texts = [g.text for g in table.service.state(table.id).deck.delegation("ukraine").objectives]
    assert [e["delegation"] for e in ukraine.state["assessment"]] == ["ukraine"]
    assert ukraine.state["assessment"][0]["objectives"][0]["met"] is True  # the safe route is in force
    assert [e["delegation"] for e in russia.state["assessment"]] == ["russia"]
    assert observer.state["assessment"] == []
    assert len(umpire.state["assessment"]) == 4
    for player in (russia, observer, table["turkey"]):
        assert not [t for t in ukraine_texts if t in json.dumps(player.received)], player.label

    observer.refused("reveal_debrief", "forbidden", delegation="ukraine")
    russia.refused("show_debrief_question", "forbidden", index=0)
    seq = umpire.ok("show_debrief_question", index=0)
    seq = umpire.ok("reveal_debrief", delegation="ukraine")
    table.settle()
    for player in table.players:
        player.wait_seq(seq)
    assert observer.state["debrief_question"]["question"].startswith("Who gained most")
    assert observer.state["debrief_question"]["focus"] == {"indicator": "grain"}
    assert [e["delegation"] for e in observer.state["assessment"]] == ["ukraine"]
    assert [e["delegation"] for e in russia.state["assessment"]] == ["ukraine", "russia"]  # in deck order
    russia_texts = [g.text for g in table.service.state(table.id).deck.delegation("russia").objectives]
    for player in (ukraine, observer, table["turkey"]):
        assert not [t for t in russia_texts if t in json.dumps(player.received)], player.label

    # The public replay after the end shows what the room was shown, and the timeline the cease-fire.
    token = table.created["umpire"]["token"]
    public = http(table.base, "GET", f"/api/exercises/{table.id}/replay?as=public", token=token).body
    assert [e["delegation"] for e in public["state"]["assessment"]] == ["ukraine"]
    timeline = http(table.base, "GET", f"/api/exercises/{table.id}/replay/timeline?as=public", token=token).body
    assert [m["type"] for m in timeline["moments"] if m["kind"] == "ceasefire"] == ["ceasefire_began"]
