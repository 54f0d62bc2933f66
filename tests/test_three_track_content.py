"""three-track-talks against its source notes, its teaching section, its optional delegations and its
large-workshop variant.

Each correction made after checking the deck fact by fact against ``seeds/notes/`` is pinned here: a card or
clause that claimed what its cited facts do not say, an anachronism, umpire directions in texts players read,
and docs/scenarios.md's account of the deck's rules.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from facilitator.decks import deck_from_data
from facilitator.decks.simulate import simulate
from facilitator.decks.variants import leave_out
from facilitator.engine import FireInject, WithdrawSignal

from tests.test_scenario_decks import Exercise
from .deck_facts import cited_text, fact, loaded, notes

ROOT = Path(__file__).resolve().parent.parent
DECK_ID = "three-track-talks"
WORKSHOP_ID = "three-track-talks-workshop"


def deck(deck_id: str = DECK_ID):
    return loaded(deck_id).deck


# ---- corrections against the notes ------------------------------------------------------------------------

def test_eu_membership_card_is_hypothetical_since_no_note_reports_accession():
    card = deck().signal("eu-membership-path")
    facts = cited_text(card).lower()
    assert not re.search(r"accession|membership for ukraine|candidate", facts)  # the notes never report it
    assert card.kind == "hypothetical"
    assert "accession continues" not in card.text
    assert "EU expansion" in cited_text(card)  # what the card says of Moscow's reading rests on this


def test_osce_card_says_diplomacy_failed_as_the_note_does_not_monitoring():
    card = deck().signal("ru-osce-monitors")
    assert "diplomacy through the OSCE failed" in cited_text(card)
    assert "failed to fill" not in card.text
    assert re.search(r"diplomacy through the OSCE failed", card.text)


@pytest.mark.parametrize(("clause", "absent", "supported"), [
    ("reconstruction", "frozen", "rebuild"),
    ("strategic-stability", "missiles", "nuclear"),
])
def test_clause_texts_claim_only_what_their_cited_facts_support(clause, absent, supported):
    k = deck().clause_type(clause)
    assert absent not in k.text.lower() and absent not in cited_text(k).lower()
    assert supported in k.text.lower() and supported in cited_text(k).lower()


def test_eu_brief_dates_the_collapse_as_the_note_does():
    eu = deck().delegation("eu")
    assert "collapsed after Russia's 2014 invasion of Crimea" in fact("prepare-peace-process#22")
    assert "collapsed in 2022" not in eu.public_brief
    assert re.search(r"collapsed after it seized Crimea in 2014", eu.public_brief)
    assert "prepare-peace-process#22" in eu.sources


NEW_START = re.compile(r"New START", re.I)
PRESUPPOSES_SUSPENSION = re.compile(r"\b(resum\w*|restor\w*|again|suspen\w*|back after)\b", re.I)


def test_nothing_players_hold_before_the_suspension_presupposes_it():
    """Every card can be played from the first phase (summer 2022) and every clause drafted once track 3
    opens; New START is suspended only when Signing (early 2023) opens. So no card, clause or objective may
    speak of resuming what is not yet suspended."""
    d = deck()
    suspension = d.inject("h-new-start")
    phases = [p.id for p in d.phases]
    assert suspension.schedule.phase == "signing" and "2023" in d.phases[phases.index("signing")].name
    texts = [(f"signal {s.id}", f"{s.title} {s.text}") for s in d.signals]
    texts += [(f"clause {k.id}", f"{k.title} {k.text}") for k in d.clause_types]
    texts += [(f"objective of {dl.id}", g.text) for dl in d.delegations for g in dl.objectives]
    stale = [where for where, text in texts if NEW_START.search(text) and PRESUPPOSES_SUSPENSION.search(text)]
    assert stale == []
    assert "New START" in d.signal("ru-start-data").text  # still about the treaty
    assert "Offer talks on nuclear arms control" in suspension.controller_note


def test_the_arms_control_card_can_be_played_in_summer_2022_and_withdrawn_after_the_suspension():
    """The order the controller note follows: the offer first, then the suspension puts it to the test."""
    ex = Exercise(DECK_ID, seed="new-start")
    ex.seat_everyone()
    ex.advance()  # briefing, summer 2022
    play = ex.play("russia", "ru-start-data")
    while ex.state.phase.id != "signing":
        ex.advance()
    escalation = ex.value("escalation")
    ex.umpire(FireInject("h-new-start"))
    withdrawn = ex.by("russia", WithdrawSignal(play))
    assert withdrawn[0].type == "signal_withdrawn" and withdrawn[0].audience.everyone
    assert ex.value("escalation") == min(100, escalation + 8 + 8)  # the suspension, then the offer taken back
    ex.check_replay()


UMPIRE_WORDS = re.compile(r"\b(play the|ask (the|\w+ delegation)|fire (it|this)|close the|the umpire|from the "
                          r"console)\b|\(hypothetical\), if |^if ", re.I)


def test_inject_texts_carry_no_umpire_directions():
    for inject in deck().injects:
        assert not UMPIRE_WORDS.search(inject.text), f"{inject.id}: directions belong in controller_note"
        if inject.kind == "contingency":
            assert inject.controller_note, f"{inject.id}: say when to fire it, for the umpire only"


HYPOTHETICAL_CARDS = {"ua-accept-tracks", "ua-evidence-to-un", "ru-thin-forces", "ru-osce-monitors", "ru-start-data",
                      "eu-energy-path", "eu-membership-path", "nato-exercise-pullback", "nato-air-defence",
                      "un-zone-offer"}


def test_cards_whose_move_no_note_reports_are_hypothetical():
    assert {s.id for s in deck().signals if s.kind == "hypothetical"} == HYPOTHETICAL_CARDS


def test_the_historical_injects_are_in_historical_order():
    d = deck()
    order = {p.id: i for i, p in enumerate(d.phases)}
    when = {i.id: (order[i.schedule.phase], i.schedule.minute) for i in d.injects
            if i.kind == "historical" and i.schedule}
    dated = ["h-istanbul-march", "h-bucha", "h-zelensky-may", "h-kissinger", "h-blinken-lavrov",
             "h-zaporizhzhia", "h-new-start"]
    assert [when[i] for i in dated] == sorted(when[i] for i in dated)
    assert "June-July" not in d.inject("h-kaliningrad").title  # it comes after the late-July call


# ---- docs/scenarios.md says what the deck does --------------------------------------------------------------

def _section() -> str:
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    return text.split("## three-track-talks (half-day workshop)", 1)[1].split("\n## ", 1)[0]


def test_docs_risk_table_matches_the_deck():
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z-]+)` [^|]+\| [^|]+\| (.+) \|$", _section(), re.M)}
    for rule in deck().ceasefire_risks:
        assert rule.id in rows, rule.id
        named = dict(re.findall(r"`([a-z-]+)` −([0-9.]+)", rows[rule.id]))
        assert {k: -float(v) for k, v in named.items()} == dict(rule.modifiers), rule.id
    assert all(v < 0 for r in deck().ceasefire_risks for v in r.modifiers.values())  # "no clause raises a risk"


def test_docs_claim_no_clause_type_or_effect_the_deck_lacks():
    section = _section()
    assert "lower the odds of every cease-fire risk" not in section
    assert "Russia's regional role, cyber and interference, each with a clause type" not in section
    for clause in re.findall(r"`([a-z]+(?:-[a-z]+)+)`", section):
        known = {k.id for k in deck().clause_types} | {r.id for r in deck().ceasefire_risks} | {
            DECK_ID, WORKSHOP_ID}
        assert clause in known, clause
    dialogue = deck().clause_type("security-dialogue")
    assert set(dialogue.signatories) == {"russia", "united-states"}  # "a U.S.-Russia security dialogue"


# ---- teaching -----------------------------------------------------------------------------------------------

def test_teaching_section_fits_the_class():
    d = deck()
    t = d.teaching
    play = sum(p.minutes for p in d.phases)
    assert (t.players_min, t.players_max) == (10, 28)
    assert t.minutes > play + 30  # logging in, a break and the debrief besides play
    assert 3 <= len(t.learning_objectives) <= 5
    for goal in t.learning_objectives:
        assert goal.mechanics and goal.debrief, goal.id
    assert {n for g in t.learning_objectives for n in g.debrief} == set(range(1, len(d.debrief) + 1))
    assert {"Head of delegation", "Package keeper", "Note-taker"} <= {r.name for r in t.roles}
    assert any(r.name.startswith("Track negotiator") for r in t.roles)


def test_run_sheet_names_real_phases_and_injects_and_has_a_break():
    d = deck()
    sheet = d.teaching.run_sheet
    inject_ids = {i.id for i in d.injects}
    words = " ".join([*(f"{s.title} {s.say} {s.do}" for s in sheet.steps), *sheet.running_late])
    named = set(re.findall(r"\b((?:h|hy|in|c)-[a-z0-9-]+[a-z0-9])\b", words))
    assert named and named <= inject_ids, named - inject_ids
    assert {"c-track3-empty", "c-unlinked", "c-freeze-only", "c-over-kyivs-head", "h-new-start"} <= named
    for phase in d.phases:
        assert f"({phase.id})" in words, phase.id
    titles = [s.title for s in sheet.steps]
    assert "Break" in titles
    debrief = [t for t in titles if t.startswith("Debrief")]
    assert debrief == ["Debrief: hot wash", "Debrief: the deck's questions", "Debrief: what really happened",
                       "Debrief: what the model got wrong"]
    assert sheet.before and sheet.running_late and sheet.hot_wash and sheet.model_limits
    assert sheet.steps[-1].minute < d.teaching.minutes


def test_reality_check_cites_the_notes_it_retells():
    sheet = deck().teaching.run_sheet
    cited = " ".join(fact(s) for s in sheet.reality_sources)
    for claim in ("New START", "12-point plan", "500,000", "not yet been tried"):
        assert claim in cited, claim
    assert "New START" in sheet.reality_check and "12-point plan" in sheet.reality_check


def test_every_delegation_names_the_notes_its_brief_rests_on():
    for d in deck().delegations:
        assert d.sources, d.id
        assert all("#" in s for s in d.sources), d.id


# ---- optional delegations -----------------------------------------------------------------------------------

OPTIONAL = {"nato", "un", "turkey"}


def test_the_brokers_and_nato_are_optional_and_the_tracks_stand_without_them():
    assert {d.id for d in deck().delegations if d.optional} == OPTIONAL
    data = loaded(DECK_ID).data
    for gone in ([x] for x in sorted(OPTIONAL)):
        smaller = deck_from_data(leave_out(data, gone), f"{DECK_ID}-without", notes())
        assert [t.id for t in smaller.tables] == [t.id for t in deck().tables], gone
        assert {k.id for k in smaller.clause_types} == {k.id for k in deck().clause_types}, gone
        for goal in smaller.teaching.learning_objectives:
            assert goal.clause_types or goal.injects, goal.id
    smallest = deck_from_data(leave_out(data, sorted(OPTIONAL)), f"{DECK_ID}-four", notes())
    assert len(smallest.delegations) == 4 and len(smallest.tables) == 4
    result = simulate(smallest, "random", 40, "optional", 4)
    assert result.unreachable()["objectives (any run)"] == []


# ---- the large-workshop variant -----------------------------------------------------------------------------

def test_workshop_variant_adapts_the_deck_for_25_to_45():
    base, workshop = deck(), deck(WORKSHOP_ID)
    assert workshop.variant_of == DECK_ID and workshop.title != base.title and workshop.summary != base.summary
    assert (workshop.teaching.players_min, workshop.teaching.players_max) == (25, 45)
    assert [p.id for p in workshop.phases] == [p.id for p in base.phases]
    assert all(w.minutes >= b.minutes for w, b in zip(workshop.phases, base.phases))
    assert sum(p.minutes for p in workshop.phases) > sum(p.minutes for p in base.phases)
    assert workshop.delegations == base.delegations and workshop.signals == base.signals


def test_workshop_has_a_team_for_every_table_and_a_break():
    t = deck(WORKSHOP_ID).teaching
    roles = " ".join(r.name for r in t.roles)
    for team in ("Track 1 security team", "Track 1 humanitarian team", "Track 2 political team",
                 "Track 3 strategic team", "Allied team", "Head of delegation", "Package keeper"):
        assert team in roles, team
    titles = [s.title for s in t.run_sheet.steps]
    assert "Break" in titles and titles[-1].startswith("Debrief")
    inject_ids = {i.id for i in deck(WORKSHOP_ID).injects}
    words = " ".join(f"{s.say} {s.do}" for s in t.run_sheet.steps)
    assert set(re.findall(r"\b((?:h|hy|in|c)-[a-z0-9-]+[a-z0-9])\b", words)) <= inject_ids


def test_workshop_keeps_the_quality_limits():
    """As tests/test_deck_quality.py holds the shipped decks (which reads a file alone, not a variant's base)."""
    workshop = deck(WORKSHOP_ID)
    result = simulate(workshop, "random", 60, "quality", 10)
    assert [str(b) for b in result.check(workshop.quality)] == []
