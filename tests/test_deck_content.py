"""Content the decks once carried dead, now within reach: each item the balance simulator found never reached
(a table no run used, a clause type never in force, an objective no run met, a threshold never crossed) or a
move that decided a delegation's objectives alone, checked over seeded simulator runs or along a scripted path.

The runs are seeded, so a result is the same on every machine; docs/scenarios.md has the figures of the full
runs (300 random and 10 greedy).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from facilitator.decks import deck_from_data, load_notes
from facilitator.decks.loader import read_yaml
from facilitator.decks.simulate import simulate
from facilitator.engine import AdjustIndicator, Clause, DraftProposal, FireInject
from tests.test_scenario_decks import Exercise

ROOT = Path(__file__).resolve().parent.parent
RUNS, GREEDY_RUNS, SEED = 60, 4, "content"


@lru_cache(maxsize=None)
def run(deck_id: str):
    deck = deck_from_data(read_yaml(ROOT / "scenarios" / f"{deck_id}.yaml"), deck_id, load_notes(ROOT / "seeds"))
    return simulate(deck, "random", RUNS, SEED, GREEDY_RUNS)


def met_somewhere(result, ref: str) -> bool:
    """Objective ``delegation#n`` met in some random or greedy run."""
    who, n = ref.split("#")
    return any(r.met[(who, int(n) - 1)] for r in result.runs + result.greedy)


def lift(result, delegation: str, kind: str, item: str) -> float:
    """How far a move lifts the mover's objectives-met share (0 when the simulator does not judge it dominant)."""
    return next((m["lift"] for m in result.dominant()
                 if (m["delegation"], m["kind"], m["id"]) == (delegation, kind, item)), 0.0)


# ---- demo -----------------------------------------------------------------------------------------------


def test_demo_brokers_agree_the_centre_between_themselves():
    """The brokers' room had nothing to agree once clauses needed both belligerents; now it runs the centre."""
    result = run("demo")
    assert "brokers" not in result.unreachable()["tables"]
    assert any(r.in_force["coordination-centre"] for r in result.runs)
    assert met_somewhere(result, "turkey#2")


def test_demo_brokers_room_cannot_decide_for_the_belligerents():
    ex = Exercise("demo", seed="brokers")
    ex.seat_everyone()
    ex.advance()
    ex.advance()  # talks: every table open
    centre = ex.draft("un", "brokers", "Who runs the centre", "coordination-centre")
    ex.sign(centre, "turkey", "un")
    assert ex.state.proposals.get(centre).status == "in_force"
    assert ex.refused("turkey", DraftProposal("brokers", "Open the route", (Clause("safe-route"),))).code \
        in {"wrong_table", "missing_signatory"}


def test_demo_russian_export_statement_is_within_the_greedy_reach():
    """Only the UN may offer it: the UN now wants it too, so the greedy strategy drafts it."""
    result = run("demo")
    assert any(r.met[("russia", 1)] for r in result.greedy)
    assert "russia#2" not in result.unreachable()["objectives (greedy)"]


# ---- three-track-talks ----------------------------------------------------------------------------------


def test_three_track_western_support_can_be_renewed_above_45():
    result = run("three-track-talks")
    assert met_somewhere(result, "united-states#3")


def test_three_track_thresholds_are_crossed():
    crossed = set().union(*(r.thresholds for r in run("three-track-talks").runs))
    assert {("western-support", 30), ("ua-outlook", 50)} <= crossed


def test_three_track_osce_reform_no_longer_decides_the_eus_objectives():
    """Was +73 points (100% with, 27% without): the EU now has three measured aims, each needing Russia."""
    assert lift(run("three-track-talks"), "eu", "clause", "osce-reform") < 0.45


# ---- talking-about-talking -----------------------------------------------------------------------------


def test_talking_nato_and_russia_have_a_table_of_their_own():
    result = run("talking-about-talking")
    assert "military-line" not in result.unreachable()["tables"]
    assert any(r.in_force["incident-line"] for r in result.runs)
    assert met_somewhere(result, "nato#2")


def test_talking_contact_table_is_used_without_the_umpire():
    """Outlooks dented by the deck's own injects and signals open the channel in some runs."""
    result = run("talking-about-talking")
    assert "contact" not in result.unreachable()["tables"]


def test_talking_every_contact_clause_can_come_into_force():
    ex = Exercise("talking-about-talking", seed="contact-clauses")
    ex.seat_everyone()
    for _ in range(3):  # briefing, allies first, signals: another season of inches dents both outlooks
        ex.advance()
    ex.umpire(FireInject("hy-inches"))
    ex.umpire(FireInject("in-refit"))  # Kyiv learns of reserves behind Russian lines
    assert ex.value("ua-outlook") <= 45 and ex.value("ru-outlook") <= 50
    ex.play("ukraine", "ua-pow-accept")
    ex.play("russia", "ru-pow-all-for-all")
    ex.play("ukraine", "ua-decree-clarify")
    ex.play("russia", "ru-envoy", toward=["ukraine"])
    assert ex.readiness("ukraine", "russia") == 2  # channel open, by the deck's own injects and two answers
    ex.advance()  # first contact
    swap = ex.draft("ukraine", "contact", "All for all", "pow-exchange")
    ex.sign(swap, "ukraine", "russia")
    truce = ex.draft("russia", "contact", "No strikes on cities", "strike-halt", "strike-monitoring", "hotline")
    ex.sign(truce, "ukraine", "russia")
    agenda = ex.draft("ukraine", "contact", "Formal talks", "talks-agenda", "territory-agenda")
    ex.sign(agenda, "ukraine", "russia")
    in_force = {c.clause_type for p in ex.state.proposals.items if p.status == "in_force" for c in p.clauses}
    assert {"pow-exchange", "strike-halt", "strike-monitoring", "hotline", "talks-agenda",
            "territory-agenda"} <= in_force
    ex.check_replay()


def test_talking_prisoner_exchange_objective_is_met_in_some_run():
    assert met_somewhere(run("talking-about-talking"), "ukraine#2")


def test_talking_aid_compact_no_longer_decides_the_eus_objectives():
    """Was +100 points: the EU's only measured aim was the compact; allied principles now count as well."""
    assert lift(run("talking-about-talking"), "eu", "clause", "aid-compact") < 0.6


def test_talking_umpire_notes_ask_only_for_what_the_console_does():
    data = yaml.safe_load((ROOT / "scenarios" / "talking-about-talking.yaml").read_text(encoding="utf-8"))
    inject = next(i for i in data["injects"] if i["id"] == "c-aid-with-talk")
    assert "suspends" not in inject["text"] and "Close the 'Allies with Kyiv' table" in inject["controller_note"]
    notes = [t["note"] for i in data["indicators"] for t in i.get("thresholds", ())]
    assert not any("no reason to answer any signal" in n or "allow readiness to climb" in n for n in notes)


def test_talking_every_measured_objective_is_within_the_greedy_reach():
    """Kyiv's and Moscow's objectives escaped the greedy strategy while it saw no progress in a draft or a signal
    until they changed a measured number: it now values a text by what it would bring in force and a signal by
    the answer it can bring, so it opens the contact channel for the prisoner exchange and a channel with
    Washington, and the allies keep the aid flowing."""
    assert run("talking-about-talking").unreachable()["objectives (greedy)"] == []


# ---- kyiv-decides ---------------------------------------------------------------------------------------


def test_kyiv_western_support_can_be_kept_above_40():
    """No run could: the drift and the scheduled injects left it at 31 at most in 300 runs. The fading is now
    mostly in the injects, and renewed pledges can keep it above 40."""
    assert met_somewhere(run("kyiv-decides"), "united-states#1")


def test_kyiv_escalation_past_75_is_the_players_doing():
    """China's red line (escalation at 75) was crossed in 86 % of random runs and escalation ended at 100 in
    one run in ten: the scheduled hazards alone now stay well below 75, and the moves decide."""
    result = run("kyiv-decides")
    china = next(g for g in result.goals() if g["ref"] == "china#1" and g["red_line"])
    assert 0.1 < china["rate"] < 0.6
    assert next(i for i in result.indicators() if i["id"] == "escalation")["at_max"] <= 0.05


def test_kyiv_a_withdrawal_can_be_signed_once_moscow_expects_to_lose():
    """Rare by design (Russia's red line): Moscow signs a pullback only with its outlook at 25 or below."""
    ex = Exercise("kyiv-decides", seed="pullback")
    ex.seat_everyone()
    ex.advance()
    ex.advance()  # summer 2022: Istanbul open
    ex.umpire(AdjustIndicator("ru-outlook", 25 - ex.value("ru-outlook"), "a rout, for the test"))
    pullback = ex.draft("ukraine", "istanbul", "Back to February", "withdrawal")
    ex.sign(pullback, "ukraine", "russia")
    assert ex.state.proposals.get(pullback).status == "in_force"
    ex.check_replay()
