"""Who may agree what: a clause type's tables, signatories and cap (``max_in_force``), the cease-fire's risk
modifiers counting only what binds its parties, and amending a signed text.

Each exploit found by playing the shipped decks is scripted here through the engine on the deck itself, and
must now be refused or change nothing. Then the rules themselves, on the small deck of ``test_engine``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.decks import DeckInvalid, deck_from_data, deck_warnings
from facilitator.decks.loader import LoadedDeck
from facilitator.decks.references import check_warnings
from facilitator.engine import (AdjustIndicator, AdjustRelation, AmendProposal, Clause, DraftProposal, WithdrawProposal,
                                DrawCeasefireRisk, SignProposal, pair, view_state)
from facilitator.engine.ceasefire import odds
from facilitator.engine.proposals import IN_FORCE

from .test_engine import A, B, C, D, UMPIRE, draft, in_talks, mini_data, mini_deck, of_type, one
from .test_scenario_decks import Exercise


# ---- the shipped decks: each exploit, scripted ---------------------------------------------------------------

def at_table(deck_id: str, table_id: str, seed: str = "rules") -> Exercise:
    """Everyone seated, a phase where ``table_id`` is open, and its parties ready for formal proposals."""
    ex = Exercise(deck_id, seed=seed)
    ex.seat_everyone()
    ex.advance()
    while not ex.state.phase.table_open(table_id):
        ex.advance()
    ready(ex, table_id)
    return ex


def ready(ex: Exercise, table_id: str) -> None:
    """The umpire lifts every pair of the table's parties to the rung its proposals need."""
    table = ex.deck.table(table_id)
    for a, b in [pair(a, b) for i, a in enumerate(table.delegations) for b in table.delegations[i + 1:]]:
        relation = ex.state.relations.get(pair(a, b))
        if relation is not None and relation.readiness < table.min_readiness:
            ex.umpire(AdjustRelation((a, b), "ready for the test", readiness=table.min_readiness - relation.readiness))


def refused_draft(ex: Exercise, who: str, table: str, *clause_types: str):
    return ex.refused(who, DraftProposal(table, "Deal", tuple(Clause(k, "Terms.") for k in clause_types)))


def test_three_track_allies_alone_cannot_sign_strategic_stability_energy_or_peacekeeping():
    ex = at_table("three-track-talks", "allies")
    standing = ex.value("kremlin-standing")
    refusal = refused_draft(ex, "united-states", "allies", "strategic-stability")
    assert refusal.code == "missing_signatory" and "Russia" in refusal.message
    assert refused_draft(ex, "eu", "allies", "energy-trade").code == "missing_signatory"
    assert refused_draft(ex, "nato", "allies", "peacekeeping").code == "missing_signatory"
    assert ex.value("kremlin-standing") == standing
    for k in ("strategic-stability", "energy-trade", "peacekeeping"):
        assert "russia" in ex.clause(k).signatories


def test_three_track_strategic_stability_is_agreed_once_by_russia_and_washington():
    ex = at_table("three-track-talks", "track3")
    ready(ex, "track3")
    standing = ex.value("kremlin-standing")
    first = ex.draft("united-states", "track3", "Stability", "strategic-stability")
    second = ex.draft("nato", "track3", "Stability again", "strategic-stability")  # drafted before either binds
    ex.sign(first, "russia", "united-states", "nato")
    assert ex.state.proposals.get(first).status == IN_FORCE
    gain = ex.clause("strategic-stability").effects.indicators["kremlin-standing"]
    assert ex.value("kremlin-standing") == min(100, standing + gain)
    refusal = ex.refused("russia", SignProposal(second))  # nobody signs a text that could not enter into force
    assert refusal.code == "limit_reached" and f"#{first}" in refusal.message
    assert refused_draft(ex, "united-states", "track3", "strategic-stability").code == "limit_reached"
    assert ex.value("kremlin-standing") == min(100, standing + gain)


def test_kyiv_decides_ukraine_cannot_recognise_russian_control_with_allies_alone():
    ex = at_table("kyiv-decides", "western")
    outlook = ex.value("ru-outlook")
    refusal = refused_draft(ex, "ukraine", "western", "territory-recognition")
    assert refusal.code == "missing_signatory" and "Russia" in refusal.message
    assert refused_draft(ex, "ukraine", "western", "neutrality").code == "missing_signatory"
    ready(ex, "black-sea")  # Russia and Ukraine both sit there, but recognition belongs to Istanbul
    refusal = refused_draft(ex, "turkey", "black-sea", "territory-recognition")
    assert refusal.code == "wrong_table" and "Istanbul" in refusal.message
    assert set(ex.clause("territory-recognition").signatories) == {"ukraine", "russia"}
    assert ex.value("ru-outlook") == outlook
    assert not ex.state.proposals.in_force()


def test_demo_turkey_and_the_un_cannot_open_a_grain_route_without_the_belligerents():
    ex = at_table("demo", "brokers")
    grain = ex.value("grain")
    for clause in ("safe-route", "joint-inspection", "maritime-truce"):
        assert refused_draft(ex, "turkey", "brokers", clause).code in ("missing_party", "missing_signatory")
    assert ex.value("grain") == grain
    assert set(ex.clause("safe-route").signatories) == {"ukraine", "russia"}


def test_demo_a_grain_route_in_force_cannot_be_stacked():
    ex = at_table("demo", "corridor")
    route = ex.draft("turkey", "corridor", "Route", "safe-route")
    ex.sign(route, "ukraine", "russia")
    grain = ex.value("grain")
    assert refused_draft(ex, "un", "corridor", "safe-route").code == "limit_reached"
    assert ex.value("grain") == grain


def test_talking_about_talking_allied_principles_are_agreed_once():
    ex = at_table("talking-about-talking", "allies")
    consensus = ex.value("allied-consensus")
    principles = ex.draft("united-states", "allies", "Principles", "allied-principles")
    ex.sign(principles, "united-states", "eu", "nato")
    raised = ex.value("allied-consensus")
    assert raised == min(100, consensus + ex.clause("allied-principles").effects.indicators["allied-consensus"])
    for who in ("united-states", "eu", "nato"):
        assert refused_draft(ex, who, "allies", "allied-principles").code == "limit_reached"
    assert ex.refused("eu", DraftProposal("allies", "Twice in one", (Clause("allied-principles"),
                                                                      Clause("allied-principles")))).code \
        == "limit_reached"
    assert ex.value("allied-consensus") == raised < 100


def test_talking_about_talking_two_open_drafts_of_allied_principles_cannot_both_enter_into_force():
    ex = at_table("talking-about-talking", "allies")
    first = ex.draft("united-states", "allies", "Principles", "allied-principles")
    second = ex.draft("eu", "allies", "Principles too", "allied-principles")
    ex.sign(second, "united-states", "eu")
    ex.sign(first, "united-states", "eu", "nato")
    assert ex.refused("nato", SignProposal(second)).code == "limit_reached"
    assert [p.number for p in ex.state.proposals.in_force()] == [first]


def _istanbul_ceasefire(ex: Exercise) -> int:
    ex.umpire(AdjustIndicator("ua-support", 100, "room to ratify, for the test"))
    return ex.draft("russia", "istanbul", "Stop where we stand", "ceasefire-in-place")


def test_kyiv_decides_china_cannot_amend_a_ceasefire_text_kyiv_signed():
    ex = at_table("kyiv-decides", "istanbul")
    ceasefire = _istanbul_ceasefire(ex)
    ex.sign(ceasefire, "ukraine")
    paid = ex.value("ua-support")
    refusal = ex.refused("china", AmendProposal(ceasefire, (Clause("ceasefire-in-place", "Other terms."),)))
    assert refusal.code == "forbidden" and "parties own the text" in refusal.message
    refusal = ex.refused("turkey", AmendProposal(ceasefire, (Clause("monitors", "Monitors instead."),)))
    assert refusal.code == "forbidden"
    assert ex.state.proposals.get(ceasefire).signatures == ("ukraine",)
    assert ex.value("ua-support") == paid
    ex.sign(ceasefire, "russia")  # Kyiv's signature still stands: the cease-fire enters into force
    assert ex.state.proposals.get(ceasefire).status == IN_FORCE


def test_kyiv_decides_a_party_may_amend_a_signed_text_and_kyiv_is_refunded():
    ex = at_table("kyiv-decides", "istanbul")
    ceasefire = _istanbul_ceasefire(ex)
    before = ex.value("ua-support")
    ex.sign(ceasefire, "ukraine")
    assert ex.value("ua-support") < before
    events = ex.by("russia", AmendProposal(ceasefire, (Clause("ceasefire-in-place", "Harder terms."),)))
    assert ex.state.proposals.get(ceasefire).signatures == ()
    assert ex.value("ua-support") == before
    refund = [e for e in events if e.type == "indicator_changed"]
    assert refund and "refunded" in refund[0].data["reason"] and "ceasefire" not in refund[0].data["reason"]


def test_kyiv_decides_an_allied_guarantee_not_linked_to_the_ceasefire_does_not_lower_its_risks():
    ex = at_table("kyiv-decides", "istanbul")
    ready(ex, "western")
    guarantee = ex.draft("united-states", "western", "Guarantee", "security-guarantee")
    ex.sign(guarantee, "ukraine", "united-states", "france")  # Russia is bound by nothing here
    ceasefire = _istanbul_ceasefire(ex)
    ex.sign(ceasefire, "ukraine", "russia")
    assert ex.state.ceasefire.current.agreement == ceasefire
    shooting = next(r for r in ex.deck.ceasefire_risks if r.id == "shooting")
    assert "security-guarantee" in shooting.modifiers
    assert odds(ex.state, shooting)[1] == {}
    [drawn] = [e for e in ex.umpire(DrawCeasefireRisk()) if e.type == "ceasefire_risk_drawn"
               and e.data["rule"] == "shooting"]
    assert drawn.data["modifiers"] == {} and drawn.data["probability"] == pytest.approx(shooting.likelihood)


def clause_warnings(deck) -> list[tuple[str, str]]:
    return [(path, message) for path, message in check_warnings(deck) if path.startswith("clause_types")]


def test_shipped_decks_have_no_deal_without_the_other_side_warnings():
    for deck_id in ("demo", "kyiv-decides", "talking-about-talking", "three-track-talks"):
        assert clause_warnings(Exercise(deck_id).deck) == [], deck_id


# ---- the rules, on the small deck -----------------------------------------------------------------------------

def _mini(change):
    def edit(data):
        change({k["id"]: k for k in data["clause_types"]}, data)
    return mini_deck(edit)


def test_a_clause_type_is_proposed_only_at_its_tables():
    deck = _mini(lambda k, d: k["monitors"].update(tables=["main"]))
    game = in_talks(deck)
    error = game.refused(DraftProposal("side", "X", (Clause("monitors"),)), B, "wrong_table")
    game.refused(DraftProposal("side", "X", (Clause("trade"), Clause("monitors"))), B, "wrong_table")
    assert "Main table" in error.message and error.fields == {"clauses.0.clause_type": "not at this table"}
    draft(game, A, "main", "monitors")
    assert view_state(game.state, A)["clause_types"][1]["tables"] == ["main"]


def test_a_clause_type_needs_its_signatories_as_parties_at_the_table():
    deck = _mini(lambda k, d: k["monitors"].update(signatories=["a", "b"]))
    game = in_talks(deck)
    error = game.refused(DraftProposal("side", "X", (Clause("monitors"),)), B, "missing_signatory")
    assert "Alpha" in error.message
    game.refused(DraftProposal("brokers", "X", (Clause("monitors"),)), C, "missing_signatory")
    number = draft(game, C, "main", "monitors")  # a mediator proposes; the parties sign
    game.run(SignProposal(number), A)
    events = game.run(SignProposal(number), B)
    assert one(events, "agreement_entered_into_force").data["parties"] == ["a", "b"]


def test_max_in_force_defaults_to_one_and_may_be_lifted_or_raised():
    game = in_talks()
    first = draft(game, A, "main", "monitors")
    game.run(SignProposal(first), A)
    game.run(SignProposal(first), B)
    error = game.refused(DraftProposal("side", "X", (Clause("monitors"),)), B, "limit_reached")
    assert f"#{first}" in error.message and "At most 1" in error.message

    for cap in (None, 2):
        game = in_talks(_mini(lambda k, d, cap=cap: k["monitors"].update(max_in_force=cap)))
        for table, actors in (("main", (A, B)), ("side", (B, D))):
            number = draft(game, actors[0], table, "monitors")
            for actor in actors:
                game.run(SignProposal(number), actor)
        assert len(game.state.proposals.in_force()) == 2
        if cap == 2:
            game.refused(DraftProposal("main", "X", (Clause("monitors"),)), A, "limit_reached")
        else:
            draft(game, A, "main", "monitors")


def test_a_linked_package_that_would_break_a_cap_is_refused_at_its_last_signature():
    game = in_talks()
    first = draft(game, A, "main", "monitors")
    second = draft(game, B, "side", "monitors", links=(first,))
    for number, actors in ((first, (A, B)), (second, (D,))):
        for actor in actors:
            game.run(SignProposal(number), actor)
    game.refused(SignProposal(second), B, "limit_reached")
    assert not game.state.proposals.in_force()


def test_a_collapsed_ceasefire_can_be_agreed_again():
    deck = _mini(lambda k, d: d["ceasefire_risks"][1].update(likelihood=1.0))
    game = in_talks(deck)
    truce = draft(game, A, "main", "truce")
    game.run(SignProposal(truce), A)
    game.run(SignProposal(truce), B)
    assert game.state.ceasefire.current is not None
    game.run(DrawCeasefireRisk(), UMPIRE)
    assert game.state.ceasefire.current is None and game.state.ceasefire.broken == (truce,)
    again = draft(game, B, "main", "truce")  # Minsk I, then Minsk II
    game.run(SignProposal(again), A)
    game.run(SignProposal(again), B)
    assert game.state.ceasefire.current.agreement == again


def test_risk_modifiers_count_only_agreements_binding_the_ceasefire_parties():
    deck = _mini(lambda k, d: k["monitors"].update(max_in_force=None))
    game = in_talks(deck)
    side = draft(game, B, "side", "monitors")  # Beta and Delta: Alpha is bound by nothing
    game.run(SignProposal(side), B)
    game.run(SignProposal(side), D)
    truce = draft(game, A, "main", "truce")
    game.run(SignProposal(truce), A)
    game.run(SignProposal(truce), B)
    skirmish = deck.ceasefire_risks[0]
    assert odds(game.state, skirmish)[1] == {}
    main = draft(game, A, "main", "monitors")
    game.run(SignProposal(main), A)
    game.run(SignProposal(main), B)
    assert odds(game.state, skirmish)[1] == {"monitors": -0.3}


def test_a_mediator_cannot_amend_a_signed_text_unless_the_deck_allows_it():
    game = in_talks()
    number = draft(game, C, "main", "monitors")
    game.run(AmendProposal(number, (Clause("monitors", "more"),)), C)  # nobody signed yet: the mediator drafts
    game.run(SignProposal(number), A)
    error = game.refused(AmendProposal(number, (Clause("monitors", "less"),)), C, "forbidden")
    assert "Alpha" in error.message
    game.run(AmendProposal(number, (Clause("monitors", "less"),)), B)  # a party may

    def allow(k, d):
        d["amendments"] = {"mediators_may_amend_signed": True}
    game = in_talks(_mini(allow))
    number = draft(game, C, "main", "monitors")
    game.run(SignProposal(number), A)
    game.run(AmendProposal(number, (Clause("monitors", "less"),)), C)
    assert game.state.proposals.get(number).signatures == ()


@pytest.mark.parametrize("refund", [True, False])
def test_signing_costs_are_refunded_when_an_amendment_clears_signatures_unless_the_deck_says_not(refund):
    deck = _mini(lambda k, d: d.update(amendments={"refund_signing_costs": refund}))
    game = in_talks(deck)
    number = draft(game, B, "main", "truce")
    before = game.state.indicators["support"]
    game.run(SignProposal(number), A)
    assert game.state.indicators["support"] == before - 10
    events = game.run(AmendProposal(number, (Clause("truce", "new terms"),)), B)
    assert game.state.indicators["support"] == (before if refund else before - 10)
    moves = of_type(events, "indicator_changed")
    assert len(moves) == (1 if refund else 0)
    if refund:  # told only to who sees the indicator, and not what was signed
        assert moves[0].audience.delegations == frozenset({"a"}) and moves[0].data["delta"] == 10


def test_the_validator_warns_of_a_clause_that_moves_what_belongs_to_a_delegation_that_need_not_sign():
    def change(data):
        data["clause_types"][1]["effects"] = {"indicators": {"support": 5}, "trust": 2}  # Alpha's support
    data = mini_data()
    change(data)
    deck = deck_from_data(data, "mini.yaml")  # a warning does not make the deck invalid
    [(path, message)] = clause_warnings(deck)
    assert path == "clause_types[1].effects" and "Alpha" in message and "signatories" in message
    [problem] = [p for p in deck_warnings(LoadedDeck(deck, data, Path("mini.yaml"))) if p.path == path]
    assert problem.warning and str(problem).startswith("mini.yaml: clause_types[1].effects: warning: ")
    data["clause_types"][1]["signatories"] = ["a"]
    assert clause_warnings(deck_from_data(data, "mini.yaml")) == []


def test_the_validator_refuses_signatories_no_table_can_seat_and_unknown_tables():
    data = mini_data()
    data["clause_types"][1].update(signatories=["a", "d"], tables=["main", "nowhere"])
    with pytest.raises(DeckInvalid) as info:
        deck_from_data(data, "mini.yaml")
    paths = {p.path for p in info.value.problems}
    assert paths == {"clause_types[1].tables[1]", "clause_types[1].signatories"}


# ---- a clause that enters into force only beside a text others sign (in_package_with) ---------------------------

def _beside_alpha():
    """Trade (at the side table: Beta and Delta) enters into force only together with a text Alpha signs."""
    return in_talks(_mini(lambda k, d: k["trade"].update(in_package_with=["a"])))


def _signed_then_left(game) -> int:
    """Trade signed by its parties while linked to Alpha's text, then that text withdrawn: trade's number."""
    trade = draft(game, B, "side", "trade")
    deal = draft(game, B, "main", "monitors", links=(trade,))
    game.run(SignProposal(trade), D)
    game.run(SignProposal(trade), B)
    game.run(WithdrawProposal(deal), B)
    return trade


def test_a_clause_in_package_with_is_signed_only_once_linked_to_a_text_that_delegation_signs():
    game = _beside_alpha()
    trade = draft(game, B, "side", "trade")
    error = game.refused(SignProposal(trade), D, "needs_package")
    assert "Alpha" in error.message and f"#{trade}" in error.message and error.fields == {"links": "needs a text Alpha signs"}
    game.refused(SignProposal(trade), B, "needs_package")
    deal = draft(game, B, "main", "monitors", links=(trade,))  # Beta sits at both tables and links them
    game.run(SignProposal(trade), D)
    game.run(SignProposal(trade), B)
    assert game.state.proposals.get(trade).status == "signed"  # it waits for Alpha's text
    game.run(SignProposal(deal), B)
    entered = of_type(game.run(SignProposal(deal), A), "agreement_entered_into_force")
    assert sorted(e.data["proposal"] for e in entered) == [trade, deal]
    kinds = {k["id"]: k for k in view_state(game.state, D)["clause_types"]}
    assert kinds["trade"]["in_package_with"] == ["a"] and kinds["monitors"]["in_package_with"] == []


def test_an_agreement_already_in_force_is_no_company_and_neither_is_a_withdrawn_text():
    game = _beside_alpha()
    done = draft(game, A, "main", "monitors")
    game.run(SignProposal(done), A)
    game.run(SignProposal(done), B)
    late = draft(game, B, "side", "trade", links=(done,))  # Alpha signed that one without this
    game.refused(SignProposal(late), D, "needs_package")

    game = _beside_alpha()
    trade = _signed_then_left(game)
    other = draft(game, B, "side", "monitors", links=(trade,))
    game.run(SignProposal(other), D)
    error = game.refused(SignProposal(other), B, "needs_package")  # it would bring trade in without Alpha
    assert f"#{trade}" in error.message
    assert not game.state.proposals.in_force()


def test_the_validator_refuses_in_package_with_that_could_never_be_met():
    data = mini_data()
    data["clause_types"][1].update(in_package_with=["atlantis"])
    with pytest.raises(DeckInvalid) as info:
        deck_from_data(data, "mini.yaml")
    assert {p.path for p in info.value.problems} == {"clause_types[1].in_package_with[0]"}
    # Epsilon is a party only at a table where nobody else of the deck sits: no text it signs can be linked to
    # trade's.
    data = mini_data()
    for id_, name in (("e", "Epsilon"), ("f", "Zeta")):
        data["delegations"].append({"id": id_, "name": name, "kind": "other", "public_brief": "Far away.",
                                    "private_brief": "Apart."})
    data["tables"].append({"id": "far", "name": "Far table", "delegations": ["e", "f"]})
    data["clause_types"][3].update(in_package_with=["e"])
    with pytest.raises(DeckInvalid) as info:
        deck_from_data(data, "mini.yaml")
    [problem] = info.value.problems
    assert problem.path == "clause_types[3].in_package_with" and "Nobody sits both" in problem.message
    data["tables"][-1]["mediators"] = ["d"]  # Delta sits at the side table, where trade is proposed
    assert deck_from_data(data, "mini.yaml").clause_type("trade").in_package_with == ("e",)


def test_kyiv_sanctions_relief_binds_only_in_a_package_kyiv_signs():
    """The U.S. brief's "sanctions relief only inside a deal Kyiv signs" is a rule: on the Washington-Moscow channel
    neither side can sign it alone; once Moscow links a text of the Black Sea table (Kyiv a party) to it, both
    enter into force together, with Kyiv's signature."""
    ex = at_table("kyiv-decides", "washington-moscow")
    assert ex.state.phase.table_open("black-sea")
    ready(ex, "black-sea")
    outlook = ex.value("ru-outlook")
    relief = ex.draft("united-states", "washington-moscow", "Relief", "sanctions-relief")
    for who in ("united-states", "russia"):
        refusal = ex.refused(who, SignProposal(relief))
        assert refusal.code == "needs_package" and "Ukraine" in refusal.message and f"#{relief}" in refusal.message
    swap = ex.draft("russia", "black-sea", "A swap for relief", "prisoner-exchange", links=[relief])
    ex.sign(relief, "united-states", "russia")
    assert ex.value("ru-outlook") == outlook and ex.state.proposals.get(relief).status == "signed"  # waits for Kyiv
    events = ex.sign(swap, *ex.deck.table("black-sea").delegations)
    assert {e.data["proposal"] for e in events if e.type == "agreement_entered_into_force"} == {relief, swap}
    assert ex.value("ru-outlook") > outlook


def test_a_refusal_names_no_linked_text_the_signer_was_not_shown():
    """Gamma sits at the brokers' table only: a refusal caused by a linked text at the side table says neither its
    number nor its clause (for the company a clause asks for, and for a cap alike)."""
    game = _beside_alpha()
    trade = _signed_then_left(game)
    brokered = draft(game, D, "brokers", "monitors", links=(trade,))
    game.run(SignProposal(brokered), D)
    error = game.refused(SignProposal(brokered), C, "needs_package")
    assert "Trade" not in error.message and f"#{trade}" not in error.message and "not shown" in error.message
    assert not any(p["proposal"] == trade for p in view_state(game.state, C)["proposals"])

    game = in_talks()  # monitors: at most one in force
    hidden = draft(game, B, "side", "monitors")
    brokered = draft(game, D, "brokers", "trade", links=(hidden,))
    game.run(SignProposal(hidden), D)
    game.run(SignProposal(hidden), B)  # waits for the brokers' text
    first = draft(game, A, "main", "monitors")
    game.run(SignProposal(first), A)
    game.run(SignProposal(first), B)
    game.run(SignProposal(brokered), D)
    error = game.refused(SignProposal(brokered), C, "limit_reached")
    assert "Monitors" not in error.message and f"#{first}" not in error.message and "not shown" in error.message


def test_an_agreement_in_force_ties_no_new_texts_together():
    """Texts linked to the same agreement in force are not one package: Alpha never saw trade linked to its text."""
    game = _beside_alpha()
    done = draft(game, A, "main", "monitors")
    game.run(SignProposal(done), A)
    game.run(SignProposal(done), B)
    trade = draft(game, B, "side", "trade", links=(done,))
    later = draft(game, A, "main", "truce", links=(done,))
    game.refused(SignProposal(trade), D, "needs_package")
    game.run(SignProposal(later), A)
    entered = of_type(game.run(SignProposal(later), B), "agreement_entered_into_force")
    assert [e.data["proposal"] for e in entered] == [later]
