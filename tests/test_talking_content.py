"""talking-about-talking against its source notes, its teaching section, its optional delegation and its
50-minute variant.

Each correction made after checking the deck fact by fact against ``seeds/notes/`` is pinned here: a brief
that claimed more than its notes, a 2023 event fired as news in early 2024 with an effect it never had, moves
no note reports shown as history, a clause citing a fact that does not support it, and umpire directions in
texts players read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from facilitator.decks import deck_from_data
from facilitator.decks.simulate import simulate
from facilitator.decks.variants import leave_out
from facilitator.engine import FireInject, view_state

from tests.test_scenario_decks import Exercise
from .deck_facts import cited_text, fact, loaded, notes

ROOT = Path(__file__).resolve().parent.parent
DECK_ID = "talking-about-talking"
SHORT_ID = "talking-about-talking-50"
INJECT_ID = re.compile(r"\b((?:h|hy|in|c)-[a-z0-9-]+[a-z0-9])\b")


def deck(deck_id: str = DECK_ID):
    return loaded(deck_id).deck


def belief(ex: Exercise, holder: str, about: str) -> int:
    held = {b["id"]: b["value"] for b in view_state(ex.state, ex.members[holder]).get("beliefs") or []}
    return held[f"{holder}>{about}"]


# ---- corrections against the notes ------------------------------------------------------------------------

def test_turkey_brief_claims_only_the_talks_the_notes_report():
    """The first Russian-Ukrainian talks were not in Turkey: the notes report talks in Turkey in March 2022,
    the Turkish-mediated negotiations Bucha derailed, and the grain deal Turkey brokered with the UN."""
    turkey = deck().delegation("turkey")
    assert "first Russian-Ukrainian talks" not in turkey.public_brief
    assert not re.search(r"\bfirst\b[^.]*\btalks\b", turkey.public_brief)
    assert "Turkey in March" in fact("prepare-peace-process#3")
    assert "Turkish-mediated" in fact("chances-negotiated-end#7") or "mediated by Turkey" in fact(
        "chances-negotiated-end#7")
    assert re.search(r"in Turkey in March 2022, without\s+result", turkey.public_brief)
    assert "Turkish-mediated" in turkey.public_brief and "Bucha" in turkey.public_brief
    assert {"prepare-peace-process#3", "chances-negotiated-end#7", "chances-negotiated-end#5"} <= set(turkey.sources)


def test_fatigue_resolution_is_dated_history_and_cuts_no_aid():
    inject = deck().inject("h-fatigue-resolution")
    assert inject.title.startswith("History, February 2023:")
    assert inject.scenario_date == "2023-02"
    assert "February 2023" in inject.text and "not a vote on aid" in inject.text
    assert "fatigue" in cited_text(inject)
    assert inject.effects.indicators == {}  # no aid cut, nor any other gauge moved
    assert [(b.holder, b.about) for b in inject.effects.beliefs] == [("russia", "united-states")]
    assert all(b.by < 0 for b in inject.effects.beliefs)
    assert "cuts no aid" in inject.controller_note


def test_firing_the_fatigue_resolution_moves_only_moscows_belief_in_washington():
    ex = Exercise(DECK_ID, seed="fatigue")
    ex.seat_everyone()
    ex.advance()
    ex.advance()  # allies talk first, where the resolution is scheduled
    aid, before = ex.value("security-aid"), belief(ex, "russia", "united-states")
    ex.umpire(FireInject("h-fatigue-resolution"))
    assert ex.value("security-aid") == aid
    assert belief(ex, "russia", "united-states") == before - 5
    ex.check_replay()


HYPOTHETICAL_CARDS = {"us-hold-aid", "us-strike-limits", "eu-conditional-relief", "tr-relay"}


def test_cards_whose_move_no_note_reports_are_hypothetical():
    """Washington holding back aid or limiting the use of its weapons, the EU publishing a list of conditions
    and Turkey relaying messages are no note's; the other cards are moves the notes report or propose."""
    assert {s.id for s in deck().signals if s.kind == "hypothetical"} == HYPOTHETICAL_CARDS
    limits = deck().signal("us-strike-limits")
    assert "Washington" in limits.text and "Washington" not in cited_text(limits)


def test_strike_monitoring_cites_what_supports_it():
    clause = deck().clause_type("strike-monitoring")
    assert "chances-negotiated-end#7" not in clause.sources
    facts = cited_text(clause)
    assert "grain" not in facts and "Bucha" not in facts
    assert "pause" in facts and "dishonest" in facts and "did not fully halt the shooting" in facts
    assert "Donbas cease-fires" in clause.text and "use a pause to rearm" in clause.text


UMPIRE_WORDS = re.compile(r"\b(play the|ask (the|\w+ delegation)|fire (it|this)|close the|the umpire|from the "
                          r"console)\b|\(hypothetical\), if |^if ", re.I)


@pytest.mark.parametrize("deck_id", [DECK_ID, SHORT_ID])
def test_inject_texts_carry_no_umpire_directions(deck_id):
    for inject in deck(deck_id).injects:
        assert not UMPIRE_WORDS.search(inject.text), f"{inject.id}: directions belong in controller_note"
        if inject.kind == "contingency":
            assert inject.controller_note, f"{inject.id}: say when to fire it, for the umpire only"
    unanswered = deck().inject("c-unanswered")
    assert "Ask the sender" not in unanswered.text and "ask the sender" in unanswered.controller_note


@pytest.mark.parametrize("deck_id", [DECK_ID, SHORT_ID])
def test_every_scheduled_inject_comes_due_before_its_phase_ends(deck_id):
    d = deck(deck_id)
    minutes = {p.id: p.minutes for p in d.phases}
    for inject in d.injects:
        if inject.schedule and inject.schedule.phase:
            assert (inject.schedule.minute or 0) < minutes[inject.schedule.phase], inject.id


def test_every_delegation_names_the_notes_its_brief_rests_on():
    for d in deck().delegations:
        assert d.sources, d.id
        assert all("#" in s for s in d.sources), d.id


# ---- teaching -----------------------------------------------------------------------------------------------

def test_teaching_section_fits_a_90_minute_class():
    d = deck()
    t = d.teaching
    play = sum(p.minutes for p in d.phases)
    assert (t.players_min, t.players_max) == (10, 24)
    assert t.minutes == 90 and play == 70  # 5 minutes to log in, 70 of play, 15 of debrief
    assert "90-minute" in d.audience and "70 of play and 15 of debrief" in d.audience
    assert 3 <= len(t.learning_objectives) <= 5
    for goal in t.learning_objectives:
        assert goal.mechanics and goal.debrief, goal.id
        assert goal.signals or goal.clause_types or goal.injects, goal.id
    assert {n for g in t.learning_objectives for n in g.debrief} == set(range(1, len(d.debrief) + 1))
    assert {"Head of delegation", "Signals officer", "Analyst and note-taker"} <= {r.name for r in t.roles}


def test_an_objective_and_the_debrief_use_the_private_beliefs_and_russias_secret_card():
    d = deck()
    goal = next(g for g in d.teaching.learning_objectives if g.id == "hidden-aims")
    assert "secret card" in goal.mechanics and "belief" in goal.mechanics
    assert {c.id for c in d.secrets[0].cards} == {"limited", "maximalist", "buying-time"}
    last = len(d.debrief)
    assert last in goal.debrief and "aim was Russia dealt" in d.debrief[last - 1].question
    reveal = next(s for s in d.teaching.run_sheet.steps if s.title == "Debrief: the deck's questions")
    assert f"question {last}" in reveal.do and "secret card" in reveal.do and "reveal" in reveal.do
    assert "private" in reveal.do and "beliefs" in reveal.do


def test_run_sheet_names_real_phases_and_injects_minute_by_minute():
    d = deck()
    sheet = d.teaching.run_sheet
    words = " ".join([*(f"{s.title} {s.say} {s.do}" for s in sheet.steps), *sheet.running_late])
    named = set(INJECT_ID.findall(words))
    assert named and named <= {i.id for i in d.injects}, named - {i.id for i in d.injects}
    assert {"h-fatigue-resolution", "hy-inches", "c-allies-silent", "c-aid-with-talk", "c-unanswered",
            "c-no-channel", "hy-city-strike", "in-refit", "in-aid-debate"} <= named
    for phase in d.phases:
        assert f"({phase.id})" in words, phase.id
    minutes = [s.minute for s in sheet.steps]
    assert minutes[0] == 0 and sheet.steps[0].title == "Logging in"
    # Each phase starts at the minute the phases before it (after logging in) add up to.
    start = minutes[1]
    for phase in d.phases:
        step = next(s for s in sheet.steps if f"({phase.id})" in s.do)
        assert step.minute == start, phase.id
        start += phase.minutes
    titles = [s.title for s in sheet.steps if s.title.startswith("Debrief")]
    assert titles == ["Debrief: hot wash", "Debrief: the deck's questions", "Debrief: what really happened",
                      "Debrief: what the model got wrong"]
    assert next(s for s in sheet.steps if s.title == "Debrief: hot wash").minute == start
    assert sheet.before and sheet.running_late and sheet.hot_wash and sheet.model_limits
    assert sheet.steps[-1].minute < d.teaching.minutes


def test_reality_check_cites_the_notes_it_retells():
    sheet = deck().teaching.run_sheet
    cited = " ".join(fact(s) for s in sheet.reality_sources)
    for claim in ("Tucker Carlson", "September 2022", "500,000", "Turkey in March", "Bucha", "premature"):
        assert claim in cited, claim
    for claim in ("Tucker Carlson", "September 2022", "500,000", "Turkey in March 2022", "Bucha"):
        assert claim in sheet.reality_check, claim


# ---- the optional delegation --------------------------------------------------------------------------------

def test_turkey_is_optional_and_the_deck_stands_without_it():
    d = deck()
    assert {x.id for x in d.delegations if x.optional} == {"turkey"}
    smaller = deck_from_data(leave_out(loaded(DECK_ID).data, ["turkey"]), f"{DECK_ID}-without-turkey", notes())
    assert [t.id for t in smaller.tables] == [t.id for t in d.tables]
    assert smaller.table("contact").mediators == ()
    assert {k.id for k in smaller.clause_types} == {k.id for k in d.clause_types}
    assert smaller.teaching.learning_objectives == d.teaching.learning_objectives
    result = simulate(smaller, "random", 60, "optional", 10)
    assert "contact" not in result.unreachable()["tables"]
    assert [str(b) for b in result.check(smaller.quality)] == []


def test_nato_is_not_optional_since_the_allied_principles_need_its_signature():
    smaller = deck_from_data(leave_out(loaded(DECK_ID).data, ["nato"]), f"{DECK_ID}-without-nato", notes())
    assert smaller.clause_type("allied-principles") is None
    assert not deck().delegation("nato").optional


# ---- the 50-minute variant ----------------------------------------------------------------------------------

def test_short_variant_is_50_minutes_of_class():
    base, short = deck(), deck(SHORT_ID)
    assert short.variant_of == DECK_ID
    assert (short.title, short.summary, short.audience) != (base.title, base.summary, base.audience)
    assert short.title != base.title and short.summary != base.summary and "50-minute" in short.audience
    t = short.teaching
    play = sum(p.minutes for p in short.phases)
    assert t.minutes == 50 and play == 37  # 3 minutes to log in, 37 of play, 10 of debrief
    steps = t.run_sheet.steps
    debrief = [s for s in steps if s.title.startswith("Debrief")]
    assert debrief and debrief[0].minute == 3 + play and steps[-1].minute < t.minutes
    assert t.minutes - debrief[0].minute == 10
    assert (t.players_min, t.players_max) == (10, 18)
    assert 3 <= len(t.learning_objectives) <= 5


def test_short_variant_keeps_the_idea_that_talks_wait_for_both_outlooks():
    base, short = deck(), deck(SHORT_ID)
    assert len(short.phases) < len(base.phases)
    ids = [p.id for p in short.phases]
    assert ids == [p.id for p in base.phases if p.id in ids]
    assert short.readiness_caps == base.readiness_caps
    inches = short.inject("hy-inches")
    assert inches.schedule.phase == "signals" and inches.effects.indicators["ru-outlook"] < 0
    assert short.table("contact").min_readiness == 2
    contact = [p.id for p in short.phases if p.table_open("contact")]
    assert contact == ["first-contact"]


def test_short_variant_drops_the_injects_that_do_not_fit():
    short = deck(SHORT_ID)
    for gone in ("h-new-start", "h-fatigue-resolution", "hy-aid-stalls", "hy-g7", "in-kyiv-fear", "c-unanswered"):
        assert short.inject(gone) is None, gone
    assert {i.kind for i in short.injects} == {"historical", "hypothetical", "intelligence", "contingency"}
    assert short.delegations == deck().delegations and short.signals == deck().signals


def test_short_variant_run_sheet_names_real_phases_and_injects_and_reveals_the_secret_card():
    short = deck(SHORT_ID)
    sheet = short.teaching.run_sheet
    words = " ".join([*(f"{s.title} {s.say} {s.do}" for s in sheet.steps), *sheet.running_late])
    assert set(INJECT_ID.findall(words)) <= {i.id for i in short.injects}
    for phase in short.phases:
        assert f"({phase.id})" in words, phase.id
    assert {n for g in short.teaching.learning_objectives for n in g.debrief} == set(range(1, len(short.debrief) + 1))
    reveal = next(s for s in sheet.steps if s.title == "Debrief: the deck's questions")
    assert "secret card" in reveal.do and f"question {len(short.debrief)}" in reveal.do
    cited = " ".join(fact(s) for s in sheet.reality_sources)
    assert "Tucker Carlson" in cited and "500,000" in cited


def test_short_variant_keeps_its_quality_limits():
    """As tests/test_deck_quality.py holds the shipped decks (which reads a file alone, not a variant's base)."""
    short = deck(SHORT_ID)
    result = simulate(short, "random", 60, "quality", 10)
    assert [str(b) for b in result.check(short.quality)] == []
    assert "contact" not in result.unreachable()["tables"]


# ---- docs/scenarios.md says what the deck does --------------------------------------------------------------

def _section() -> str:
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    return text.split("## talking-about-talking (90-minute class)", 1)[1].split("\n## ", 1)[0]


def test_docs_phase_table_matches_the_deck_and_names_the_variant():
    section = _section()
    for phase in deck().phases:
        assert re.search(rf"^\| {re.escape(phase.name)} \| {phase.minutes} \|", section, re.M), phase.name
    assert SHORT_ID in section
    assert "fatigue\" resolution at minute 8" not in section
