"""The three full scenario decks: they load, are big enough to play, cite real
source facts, are written in their own words, and play through the pure engine
the way a facilitator expects."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from facilitator.engine.secret_cards import secret_odds
from facilitator.decks import DeckInvalid, load_deck, load_notes, validate_files
from facilitator.engine import (Actor, AdjustIndicator, AdvancePhase, AmendProposal, Clause, DraftProposal,
                                DrawCeasefireRisk, FireInject, PlaySignal, RuleError, SeatParticipant, SignProposal, WithdrawSignal,
                                decide, evolve, initial_state, replay, view_state, visible_to)
from facilitator.engine.audience import DELEGATION, UMPIRE_ACTOR
from facilitator.engine import pair
from facilitator.engine.proposals import IN_FORCE, SIGNED

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SEEDS = ROOT / "seeds"
ARTICLES = ROOT.parent / "shared" / "seeds"
DECKS = ("three-track-talks", "talking-about-talking", "kyiv-decides")
CARD_PARTS = ("signals", "clause_types", "injects", "ceasefire_risks")
LONGEST_SHARED_RUN = 12  # words; a longer run shared with a source article counts as copied


@lru_cache(maxsize=None)
def notes():
    return load_notes(SEEDS)


@lru_cache(maxsize=None)
def deck(deck_id):
    return load_deck(SCENARIOS / f"{deck_id}.yaml", notes()).deck


# ---- the files ------------------------------------------------------------

def test_every_deck_in_scenarios_validates():
    problems = validate_files([SCENARIOS], SEEDS)
    assert problems == [], "\n".join(map(str, problems))
    assert {p.stem for p in SCENARIOS.glob("*.yaml")} >= set(DECKS)


@pytest.mark.parametrize("deck_id", DECKS)
def test_deck_is_big_enough_to_play(deck_id):
    d = deck(deck_id)
    assert d.id == deck_id
    assert len(d.delegations) >= 6
    for dl in d.delegations:
        assert dl.kind and dl.public_brief and dl.private_brief, dl.id
        assert dl.objectives and dl.red_lines and dl.hand, dl.id
    assert len(d.tables) >= 3  # besides the plenary, which every exercise has
    assert len(d.indicators) >= 5
    for ind in d.indicators:
        assert ind.min <= ind.start <= ind.max
    related = {x for r in d.relations for x in r.between}
    assert related == set(d.delegation_ids()), "every delegation has at least one tracked relation"
    assert pair("ukraine", "russia") in {pair(*r.between) for r in d.relations}
    assert len(d.signals) >= 15
    in_hands = {card for dl in d.delegations for card in dl.hand}
    for s in d.signals:
        assert s.visibility in ("public", "private", "either")
        assert s.effects or s.cost, f"{s.id} does nothing"
        assert s.id in in_hands, f"{s.id} is in no delegation's hand, so it can never be played"
    assert len(d.clause_types) >= 8
    assert any(k.establishes_ceasefire for k in d.clause_types)
    assert any("ukraine" in k.requires_parties for k in d.clause_types)
    assert len(d.ceasefire_risks) >= 3
    assert any(r.ends_ceasefire for r in d.ceasefire_risks)
    for rule in d.ceasefire_risks:
        assert any(v < 0 for v in rule.modifiers.values()), f"{rule.id}: nothing in an agreement lowers its odds"
    assert 4 <= len(d.phases) <= 6
    assert len(d.debrief) >= 5


@pytest.mark.parametrize("deck_id", DECKS)
def test_umpire_event_list_mixes_history_hypotheses_intelligence_and_contingencies(deck_id):
    injects = deck(deck_id).injects
    assert len(injects) >= 15
    assert {i.kind for i in injects} == {"historical", "hypothetical", "intelligence", "contingency"}
    assert any(i.kind == "intelligence" and isinstance(i.audience, tuple) and len(i.audience) == 1
               for i in injects)
    assert any(i.schedule and i.schedule.phase for i in injects)
    assert any(i.schedule and i.schedule.minute is not None for i in injects)
    assert sum(1 for i in injects if i.effects) >= 5
    for i in injects:
        if i.kind == "hypothetical":
            assert "Hypothetical" in i.text, f"{i.id} must say it is hypothetical"
        if i.kind == "contingency":
            assert "hypothetical" in i.text.lower(), f"{i.id} must say it is hypothetical"


def test_decks_are_sized_for_a_class_and_for_a_workshop():
    minutes = {d: sum(p.minutes for p in deck(d).phases) for d in DECKS}
    assert minutes["talking-about-talking"] <= 90
    assert "90-minute" in deck("talking-about-talking").audience
    assert minutes["three-track-talks"] >= 180
    assert "Half-day" in deck("three-track-talks").audience


@pytest.mark.parametrize("deck_id", DECKS)
def test_debrief_asks_what_the_articles_ask(deck_id):
    questions = " ".join(q.question for q in deck(deck_id).debrief).lower()
    for words in ("right moment", "who decided", "risk", "believed"):
        assert words in questions, words


@pytest.mark.parametrize("deck_id", DECKS)
def test_signal_numbers_reward_cost_and_reciprocity_and_punish_withdrawal(deck_id):
    for s in deck(deck_id).signals:
        if s.credibility == "low":
            assert s.effects.trust <= 2 and s.effects.readiness <= 0, f"{s.id}: cheap talk moves trust little"
        if sum(abs(v) for v in s.cost.indicators.values()) >= 3:
            assert s.credibility != "low", f"{s.id}: a costly signal is not cheap talk"
        assert s.on_reciprocated.trust >= 0 and s.on_reciprocated.readiness >= 0, s.id
        assert s.effects.readiness + s.on_reciprocated.readiness <= 2, f"{s.id}: one exchange climbs too far"
        if s.reversible and s.effects.trust > 0:
            assert s.withdrawal_effects.trust <= -s.effects.trust, f"{s.id}: withdrawing must cost what it bought"


# ---- sources ----------------------------------------------------------------

@pytest.mark.parametrize("deck_id", DECKS)
def test_a_card_citing_a_missing_note_is_rejected_with_file_path_and_note(deck_id, tmp_path):
    data = yaml.safe_load((SCENARIOS / f"{deck_id}.yaml").read_text(encoding="utf-8"))
    data["signals"][0]["sources"][0] = "no-such-note#1"
    broken = tmp_path / f"{deck_id}.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    problems = validate_files([broken], SEEDS)

    assert len(problems) == 1
    problem = problems[0]
    assert problem.file == str(broken)
    assert problem.path == "signals[0].sources[0]"
    assert "no-such-note" in problem.message
    assert str(broken) in str(problem) and "signals[0].sources[0]" in str(problem)
    with pytest.raises(DeckInvalid):
        load_deck(broken, notes())


def test_a_card_citing_a_missing_fact_is_rejected(tmp_path):
    data = yaml.safe_load((SCENARIOS / "kyiv-decides.yaml").read_text(encoding="utf-8"))
    data["injects"][2]["sources"] = ["kyiv-decides#999"]
    broken = tmp_path / "kyiv-decides.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    [problem] = validate_files([broken], SEEDS)

    assert problem.path == "injects[2].sources[0]"
    assert "999" in problem.message


@pytest.mark.parametrize("deck_id", DECKS)
def test_every_card_inject_and_rule_cites_an_existing_fact(deck_id):
    d = deck(deck_id)
    known = notes()
    for part in CARD_PARTS:
        for item in getattr(d, part):
            assert item.sources, f"{part} '{item.id}' cites nothing"
            facts = [s for s in item.sources if "#" in s]
            assert facts, f"{part} '{item.id}' cites no numbered fact"
            for source in item.sources:
                note_id, _, fact = source.partition("#")
                assert note_id in known, f"{part} '{item.id}': no note '{note_id}'"
                if fact:
                    assert 1 <= int(fact) <= len(known[note_id]["facts"]), f"{part} '{item.id}': {source}"


# ---- own words ------------------------------------------------------------

def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _word_runs(text, n, join_punctuation):
    """Runs of ``n`` words, compared without regard to case, punctuation or spacing."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    words = re.sub(r"[^\w\s]", "" if join_punctuation else " ", text).split()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _runs(text, n):
    return _word_runs(text, n, True) | _word_runs(text, n, False)


def test_no_deck_repeats_a_long_run_of_words_from_the_articles():
    articles = sorted(ARTICLES.glob("*.txt")) if ARTICLES.is_dir() else []
    if not articles:
        pytest.skip(f"the source articles are not here ({ARTICLES})")
    n = LONGEST_SHARED_RUN + 1
    source_runs = set()
    for path in articles:
        source_runs |= _runs(path.read_text(encoding="utf-8"), n)
    copied = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            for run in _runs(text, n) & source_runs:
                copied.append(f"{path.name}: '{' '.join(run)}'")
    assert not copied, "\n".join(copied)


# ---- playing the decks in the pure engine ------------------------------------

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


class Exercise:
    """Drives the engine as the server does: decide, store with seq and time, evolve."""

    def __init__(self, deck_id, seed="deck-test"):
        self.deck = deck(deck_id)
        self.seed = seed
        self.state = initial_state(self.deck, seed)
        self.log = []
        self.now = T0
        self.members = {}

    def run(self, actor, command):
        self.now += timedelta(seconds=20)
        events = decide(self.state, command, actor, now=self.now)
        stored = []
        for event in events:
            event = event.stored(self.state.seq + 1, self.now)
            self.state = evolve(self.state, event)
            self.log.append(event)
            stored.append(event)
        return stored

    def umpire(self, command):
        return self.run(UMPIRE_ACTOR, command)

    def by(self, delegation, command):
        return self.run(self.members[delegation], command)

    def refused(self, who, command):
        actor = UMPIRE_ACTOR if who == "umpire" else self.members[who]
        before = self.state
        with pytest.raises(RuleError) as caught:
            self.run(actor, command)
        assert self.state is before
        return caught.value

    def seat_everyone(self):
        for dl in self.deck.delegations:
            actor = Actor(DELEGATION, dl.id, f"p-{dl.id}", f"{dl.id} lead")
            self.run(actor, SeatParticipant(actor.participant, actor.name, dl.id))
            self.members[dl.id] = actor
        assert len(self.state.participants.members) == len(self.deck.delegations)

    def advance(self):
        return self.umpire(AdvancePhase())

    def play(self, delegation, card, to=(), toward=()):
        events = self.by(delegation, PlaySignal(card, to=tuple(to), toward=tuple(toward)))
        return events[0].data["play"]

    def draft(self, delegation, table, title, *clause_types, links=()):
        clauses = tuple(Clause(k, f"Terms for {k}.") for k in clause_types)
        events = self.by(delegation, DraftProposal(table, title, clauses, links=tuple(links)))
        return events[0].data["proposal"]

    def sign(self, number, *delegations):
        out = []
        for delegation in delegations:
            out += self.by(delegation, SignProposal(number))
        return out

    def value(self, indicator):
        return self.state.indicators[indicator]

    def trust(self, a, b):
        return self.state.relations[pair(a, b)].trust

    def readiness(self, a, b):
        return self.state.relations[pair(a, b)].readiness

    def view(self, delegation):
        actor = UMPIRE_ACTOR if delegation == "umpire" else self.members[delegation]
        return view_state(self.state, actor)

    def card(self, card_id):
        return self.deck.signal(card_id)

    def clause(self, clause_id):
        return self.deck.clause_type(clause_id)

    def start(self, indicator):
        return self.deck.indicator(indicator).start

    def relation_start(self, a, b):
        return next(r for r in self.deck.relations if pair(*r.between) == pair(a, b))

    def check_replay(self):
        again = replay(self.deck, self.log, seed=self.seed)
        assert again == self.state
        for who in ["umpire", *self.members]:
            actor = UMPIRE_ACTOR if who == "umpire" else self.members[who]
            assert view_state(again, actor) == view_state(self.state, actor)


def _clamp(x):
    return max(0, min(100, x))


def _fired(view):
    return {f["inject"] for f in view["injects_fired"]}


def _indicators(view):
    return {i["id"]: i["value"] for i in view["indicators"]}


def _check_private_inject(ex, inject_id, addressee, outsider):
    [fired] = [e for e in ex.umpire(FireInject(inject_id)) if e.type == "inject_fired"]
    assert fired.data["to"] == [addressee]
    assert visible_to(fired, ex.members[addressee])
    assert not visible_to(fired, ex.members[outsider])
    assert inject_id in _fired(ex.view(addressee))
    assert inject_id in _fired(ex.view("umpire"))
    assert inject_id not in _fired(ex.view(outsider))


def _check_draws(ex, events):
    """Each risk rule is drawn with the odds its deck gives, lowered by what is in force."""
    in_force = {cl.clause_type for p in ex.state.proposals.items if p.status == IN_FORCE for cl in p.clauses}
    draws = [e for e in events if e.type == "ceasefire_risk_drawn"]
    assert draws
    rules = {r.id: r for r in ex.deck.ceasefire_risks}
    for draw in draws:
        rule = rules[draw.data["rule"]]
        expected = rule.likelihood + rule.per_phase * draw.data["phases_held"] + sum(
            v for k, v in rule.modifiers.items() if k in in_force) + sum(draw.data["driven"].values()) \
            + secret_odds(ex.state, rule)  # the secret card dealt (a deck's own, from the seed)
        assert draw.data["probability"] == pytest.approx(max(rule.min_likelihood, 0.0, min(1.0, expected)),
                                                         abs=1e-4)
        if abs(draw.data["roll"] - draw.data["probability"]) > 1e-4:  # both are stored rounded
            assert draw.data["occurred"] == (draw.data["roll"] < draw.data["probability"])
        assert draw.audience.everyone is False and not draw.audience.delegations  # umpire only
    incidents = [e for e in events if e.type == "ceasefire_incident"]
    assert len(incidents) == sum(1 for d in draws if d.data["occurred"])
    assert all(i.audience.everyone for i in incidents)
    collapsed = any(e.type == "ceasefire_collapsed" for e in events)
    assert (ex.state.ceasefire.current is None) == collapsed
    return {d.data["rule"]: d.data for d in draws}


def test_three_track_talks_plays_through_a_linked_package():
    ex = Exercise("three-track-talks", seed="three-tracks")
    ex.seat_everyone()
    ex.advance()
    assert ex.state.phase.id == "briefing"
    closed = ex.refused("ukraine", DraftProposal("track1", "Too early", (Clause("prisoner-exchange"),)))
    assert closed.code == "closed"

    ex.umpire(FireInject("h-bucha"))
    assert ex.value("ua-support") == ex.start("ua-support") - 5

    ex.advance()  # allies prepare: support in the West fades, the occupation entrenches
    assert ex.value("western-support") == ex.start("western-support") - 4
    assert ex.value("facts-on-ground") == ex.start("facts-on-ground") + 5

    # Intelligence for Moscow alone; Russia's battlefield outlook is Russia's alone to see.
    _check_private_inject(ex, "in-depots", "russia", "ukraine")
    assert _indicators(ex.view("russia"))["ru-outlook"] == ex.start("ru-outlook") - 10
    assert "ru-outlook" not in _indicators(ex.view("ukraine"))

    # Envoys: Russia names one (to Washington alone, so Washington gets all it is worth), Washington answers.
    envoy = ex.play("russia", "ru-envoy", toward=["united-states"])
    ex.play("united-states", "us-envoy")
    assert ex.state.signals.play(envoy).reciprocated_by == (envoy + 1,)
    r0 = ex.relation_start("russia", "united-states")
    assert ex.trust("russia", "united-states") == (r0.trust + ex.card("ru-envoy").effects.trust
                                                   + ex.card("us-envoy").effects.trust
                                                   + ex.card("ru-envoy").on_reciprocated.trust)
    assert ex.readiness("russia", "united-states") == r0.readiness + 1
    [shown] = [r for r in ex.view("russia")["relations"] if r["between"] == sorted(["russia", "united-states"])]
    assert shown["readiness_label"] == "channel open"

    # A costly military signal, then withdrawn: trust ends lower than before it was sent.
    before = ex.trust("ukraine", "russia")
    thin = ex.play("russia", "ru-thin-forces")
    assert ex.trust("ukraine", "russia") == before + ex.card("ru-thin-forces").effects.trust
    withdrawn = ex.by("russia", WithdrawSignal(thin))
    assert withdrawn[0].type == "signal_withdrawn" and withdrawn[0].audience.everyone
    assert ex.trust("ukraine", "russia") < before
    assert ex.refused("russia", WithdrawSignal(thin)).code == "conflict"
    pows = ex.play("ukraine", "ua-pow-list", to=["russia"])
    assert ex.refused("ukraine", WithdrawSignal(pows)).code == "irreversible"

    ex.advance()  # three tracks open
    # Nothing about Ukraine's land at a table where Ukraine is not a party.
    assert ex.refused("russia", DraftProposal("track3", "Over Kyiv's head",
                                              (Clause("status-deferred"),))).code == "missing_party"
    # Only Washington can offer U.S. sanctions relief.
    assert ex.refused("russia", DraftProposal("track3", "Relief, please",
                                              (Clause("us-sanctions-relief"),))).code == "not_offerable"
    assert ex.refused("ukraine", DraftProposal("track3", "Let us in",
                                               (Clause("strategic-stability"),))).code == "forbidden"

    # The package: track-1 concessions bought with gains at tracks 2 and 3, guaranteed at the allied table.
    # Links are made by those who sit at both tables: Kyiv ties track 1 to track 2 and to the guarantee,
    # Moscow ties it to track 3.
    track2 = ex.draft("eu", "track2", "Reset with conditions", "eu-sanctions-relief", "osce-reform",
                      "states-between")
    guarantee = ex.draft("united-states", "allies", "Guarantee for Kyiv", "security-guarantee")
    track3 = ex.draft("united-states", "track3", "Strategic stability", "strategic-stability",
                      "us-sanctions-relief", "security-dialogue")
    track1_clauses = ("ceasefire-line", "status-deferred", "buffer-zone", "peacekeeping", "verification",
                      "prisoner-exchange")
    assert ex.refused("ukraine", DraftProposal("track1", "Tied to what Kyiv cannot see", tuple(
        Clause(k) for k in track1_clauses), links=(track3,))).code == "not_found"
    track1 = ex.draft("ukraine", "track1", "Line, zone and prisoners", *track1_clauses, links=[track2, guarantee])
    ex.by("russia", AmendProposal(track1, tuple(Clause(k, f"Terms for {k}.") for k in track1_clauses),
                                  links=(track2, guarantee, track3)))
    assert ex.state.proposals.get(track1).links == tuple(sorted((track2, guarantee, track3)))
    package = (track1, track2, guarantee, track3)

    standing_before = ex.value("kremlin-standing")
    support_before = ex.value("ua-support")
    trust_before = ex.trust("ukraine", "russia")
    ex.sign(track1, "ukraine", "russia")
    ex.sign(track2, "russia", "eu", "ukraine")
    ex.sign(guarantee, "ukraine", "united-states", "eu", "nato")
    ex.sign(track3, "russia", "nato")
    assert ex.state.proposals.get(track1).status == SIGNED
    assert all(ex.state.proposals.get(n).status != IN_FORCE for n in package)
    assert ex.state.ceasefire.current is None
    assert ex.value("ua-support") == support_before - 8 - 4 - 3  # what Kyiv paid to sign
    russia_paid = ex.value("kremlin-standing")
    assert russia_paid == standing_before - 5 - 4

    last = ex.sign(track3, "united-states")
    assert [e.data["proposal"] for e in last if e.type == "agreement_entered_into_force"] == sorted(package)
    assert all(ex.state.proposals.get(n).status == IN_FORCE for n in package)
    assert ex.state.ceasefire.current is not None and ex.state.ceasefire.current.agreement == track1
    # Russia's gains at tracks 2 and 3 more than pay for the buffer zone at track 1.
    gains = sum(ex.clause(k).effects.indicators.get("kremlin-standing", 0) for k in (
        "buffer-zone", "eu-sanctions-relief", "states-between", "strategic-stability", "us-sanctions-relief",
        "security-dialogue"))
    assert ex.value("kremlin-standing") == russia_paid + gains
    assert ex.value("kremlin-standing") > standing_before
    assert ex.value("facts-on-ground") < ex.start("facts-on-ground")
    assert ex.trust("ukraine", "russia") > trust_before
    assert ex.readiness("ukraine", "russia") == len(ex.deck.readiness_ladder) - 1
    assert all(p["status"] == IN_FORCE for p in ex.view("un")["proposals"])  # agreements in force are public

    draws = _check_draws(ex, ex.umpire(DrawCeasefireRisk()))
    violations = next(r for r in ex.deck.ceasefire_risks if r.id == "line-violations")
    assert draws["line-violations"]["probability"] < violations.likelihood  # monitors and peacekeepers help
    assert draws["line-violations"]["modifiers"] == {"verification": -0.12, "peacekeeping": -0.12,
                                                      "buffer-zone": -0.08}
    if ex.state.ceasefire.current is not None:
        _check_draws(ex, ex.advance())
    ex.check_replay()


def test_three_track_talks_ratification_limits():
    ex = Exercise("three-track-talks")
    ex.seat_everyone()
    for _ in range(3):
        ex.advance()
    number = ex.draft("russia", "track1", "Freeze and zone", "ceasefire-line", "buffer-zone")
    ex.umpire(AdjustIndicator("ua-support", -30, "Hypothetical protests in Kyiv"))
    refusal = ex.refused("ukraine", SignProposal(number))
    assert refusal.code == "cannot_ratify" and "below 30" in refusal.message
    ex.umpire(FireInject("hy-hawks"))
    ex.umpire(AdjustIndicator("kremlin-standing", -10, "Hawks at a rally"))
    refusal = ex.refused("russia", SignProposal(number))
    assert refusal.code == "cannot_ratify" and "Kremlin" in refusal.message


def test_talking_about_talking_plays_signals_up_the_ladder():
    ex = Exercise("talking-about-talking", seed="signals")
    ex.seat_everyone()
    ex.advance()
    assert ex.refused("russia", DraftProposal("contact", "Not yet", (Clause("pow-exchange"),))).code == "closed"

    ex.advance()  # allies talk first
    assert ex.value("security-aid") == ex.start("security-aid") - 5
    assert ex.value("human-cost") == ex.start("human-cost") + 6
    ex.play("nato", "nato-council-agenda")
    principles = ex.draft("united-states", "allies", "How this war could end", "allied-principles")
    ex.sign(principles, "united-states", "eu", "nato")
    assert ex.state.proposals.get(principles).status == IN_FORCE
    assert ex.value("allied-consensus") == ex.start("allied-consensus") + 10 + 15
    assert "allied-consensus" not in _indicators(ex.view("russia"))
    assert "allied-consensus" not in _indicators(ex.view("ukraine"))

    # Talk of talks with an aid cut: Kyiv's trust in Washington falls, and the umpire is warned.
    trust_us = ex.trust("ukraine", "united-states")
    trust_eu = ex.trust("ukraine", "eu")
    hold = ex.play("united-states", "us-hold-aid")
    assert ex.trust("ukraine", "united-states") == trust_us - 15
    assert ex.trust("ukraine", "eu") == trust_eu
    crossed = [e for e in ex.log if e.type == "threshold_crossed" and e.data["indicator"] == "security-aid"]
    assert crossed and crossed[-1].data["at"] == 45 and not crossed[-1].audience.everyone
    ex.by("united-states", WithdrawSignal(hold))
    assert trust_us - 15 < ex.trust("ukraine", "united-states") < trust_us  # restoring aid repairs only part

    ex.advance()  # signals
    _check_private_inject(ex, "in-aid-debate", "russia", "united-states")

    # Reciprocal halts: Kyiv offers in private, Moscow answers in public.
    start = ex.relation_start("ukraine", "russia")
    offer = ex.play("ukraine", "ua-halt-deep-strikes", to=["russia"])
    assert offer not in [s["play"] for s in ex.view("united-states")["signals"]]
    assert offer in [s["play"] for s in ex.view("russia")["signals"]]
    halt = ex.play("russia", "ru-halt-city-strikes")
    assert ex.state.signals.play(offer).reciprocated_by == (halt,)
    expected = (start.trust + ex.card("ua-halt-deep-strikes").effects.trust
                + ex.card("ru-halt-city-strikes").effects.trust
                + ex.card("ua-halt-deep-strikes").on_reciprocated.trust)
    assert ex.trust("ukraine", "russia") == expected
    # The answer climbs one rung; 'channel open' waits until both sides' outlooks are dented.
    assert ex.readiness("ukraine", "russia") == 1
    assert ex.deck.readiness_ladder[2] == "channel open"
    assert ex.value("escalation") == ex.start("escalation") - 4 - 8 - 6

    ex.advance()  # first contact: the umpire dents Moscow's outlook further
    ex.umpire(AdjustIndicator("ru-outlook", 48 - ex.value("ru-outlook"), "Hypothetical: an offensive stalls"))
    ex.umpire(FireInject("in-refit"))  # Kyiv learns of reserves behind Russian lines
    assert ex.value("ua-outlook") <= 45 and ex.value("ru-outlook") <= 50
    ex.play("ukraine", "ua-pow-accept")
    ex.play("russia", "ru-pow-all-for-all")  # an answer in kind, now that both are dented: the channel opens
    assert ex.readiness("ukraine", "russia") == 2
    assert ex.refused("united-states", DraftProposal("washington-moscow", "Carve it up",
                                                     (Clause("territory-agenda"),))).code == "missing_party"
    assert ex.refused("russia", DraftProposal("contact", "Aid for Kyiv",
                                              (Clause("aid-compact"),))).code == "not_offerable"
    swap = ex.draft("ukraine", "contact", "All for all", "pow-exchange")
    ex.sign(swap, "ukraine", "russia")
    truce = ex.draft("russia", "contact", "No strikes on cities", "strike-halt", "strike-monitoring", "hotline")
    events = ex.sign(truce, "ukraine", "russia")
    assert any(e.type == "ceasefire_began" for e in events)
    assert ex.state.ceasefire.current.agreement == truce
    top = len(ex.deck.readiness_ladder) - 1
    assert ex.readiness("ukraine", "russia") == top

    # Moscow takes back its halt on city strikes: visible to all, and it hurts.
    trust = ex.trust("ukraine", "russia")
    escalation = ex.value("escalation")
    ex.by("russia", WithdrawSignal(halt))
    assert ex.trust("ukraine", "russia") == _clamp(trust - 20)
    assert ex.readiness("ukraine", "russia") == top - 1
    assert ex.value("escalation") == _clamp(escalation + 12)
    assert [s["active"] for s in ex.view("eu")["signals"] if s["play"] == halt] == [False]

    draws = _check_draws(ex, ex.umpire(DrawCeasefireRisk()))
    assert draws["city-hit"]["probability"] == pytest.approx(0.35 - 0.15 - 0.1)

    # Kyiv cannot put formal talks on the agenda once its room for contacts is gone.
    ex.umpire(AdjustIndicator("ua-room", -25, "Hypothetical: a massacre reported in an occupied town"))
    agenda = ex.draft("russia", "contact", "Formal talks", "talks-agenda")
    refusal = ex.refused("ukraine", SignProposal(agenda))
    assert refusal.code == "cannot_ratify" and "room for contacts" in refusal.message

    ex.advance()
    ex.check_replay()


def test_kyiv_decides_plays_small_deals_a_ceasefire_and_its_risks():
    ex = Exercise("kyiv-decides", seed="kyiv")
    ex.seat_everyone()
    ex.advance()
    ex.umpire(FireInject("h-minsk"))
    ex.advance()  # summer 2022
    drift = ex.state.deck.indicator("western-support").per_phase
    assert drift < 0 and ex.value("western-support") == ex.start("western-support") + drift

    _check_private_inject(ex, "in-depots", "russia", "united-states")
    assert "ru-regroup" not in _indicators(ex.view("russia"))  # hidden from the players
    assert "ru-regroup" not in _indicators(ex.view("ukraine"))

    # Pressing Kyiv has a cost Kyiv feels; the others read it only in polls.
    press = ex.play("united-states", "us-press-kyiv")
    assert _indicators(ex.view("ukraine"))["ua-support"] == ex.start("ua-support") - 6
    assert "ua-support" not in _indicators(ex.view("france"))
    assert ex.trust("ukraine", "united-states") == ex.relation_start("ukraine", "united-states").trust - 10
    ex.by("united-states", WithdrawSignal(press))

    # Grain ships let through; Kyiv answers in private with the Istanbul formula.
    corridor = ex.play("russia", "ru-corridor-respect")
    ex.play("ukraine", "ua-istanbul-formula", to=["russia"])
    assert not ex.state.signals.play(corridor).reciprocated_by  # terms are no answer to grain: answers are in kind
    trust = ex.trust("ukraine", "russia")
    grain = ex.value("grain")
    ex.by("russia", WithdrawSignal(corridor))  # and then taken back
    assert ex.trust("ukraine", "russia") == trust - 12
    assert ex.value("grain") == grain - 15

    # A low-stakes deal at the Black Sea table, signed by all four.
    deal = ex.draft("turkey", "black-sea", "Grain and prisoners", "grain-corridor", "prisoner-exchange")
    ex.sign(deal, "ukraine", "russia", "turkey", "un")
    assert ex.state.proposals.get(deal).status == IN_FORCE
    assert ex.value("grain") == grain - 15 + 30

    ex.advance()  # autumn 2022
    ex.umpire(FireInject("h-zaporizhzhia"))
    ex.umpire(FireInject("h-kaliningrad"))
    ex.umpire(FireInject("h-crimea-strikes"))
    assert ex.value("escalation") < 60  # the hazards alone do not bring the allies to consult: the players do
    ex.play("russia", "ru-nuclear-hints")
    ex.play("united-states", "us-crimea-backing")
    assert ex.value("escalation") >= 60
    alarms = [e for e in ex.log if e.type == "threshold_crossed" and e.data["indicator"] == "escalation"]
    assert [a.data["at"] for a in alarms] == [60]
    assert "consult" in alarms[0].data["note"] and not alarms[0].audience.everyone
    assert ex.refused("russia", DraftProposal("washington-moscow", "Freeze it",
                                              (Clause("ceasefire-in-place"),))).code == "missing_party"
    assert ex.refused("france", DraftProposal("western", "Guarantee",
                                              (Clause("security-guarantee"),))).code == "not_offerable"

    # The cease-fire comes into force only with a U.S. guarantee linked to it: Kyiv, at both tables, ties them.
    ceasefire = ex.draft("russia", "istanbul", "Stop where we stand", "ceasefire-in-place", "monitors")
    guarantee = ex.draft("united-states", "western", "Guarantee", "security-guarantee")
    assert ex.refused("united-states", DraftProposal("western", "Tied", (Clause("security-guarantee"),),
                                                     links=(ceasefire,))).code == "not_found"
    ex.by("ukraine", AmendProposal(ceasefire, (Clause("ceasefire-in-place", "Terms."), Clause("monitors", "Terms.")),
                                   links=(guarantee,)))
    support = ex.value("ua-support")
    ex.sign(ceasefire, "ukraine", "russia")
    assert ex.value("ua-support") == support - 10
    assert ex.state.ceasefire.current is None

    # Every further step costs Kyiv support; below 35 it cannot ratify territory.
    ex.play("ukraine", "ua-diplomacy-end")
    assert ex.value("ua-support") < 35
    recognition = ex.draft("russia", "istanbul", "Recognise the facts", "territory-recognition")
    refusal = ex.refused("ukraine", SignProposal(recognition))
    assert refusal.code == "cannot_ratify" and "35" in refusal.message

    ex.sign(guarantee, "ukraine", "united-states", "france")
    assert ex.state.proposals.get(ceasefire).status == IN_FORCE
    assert ex.state.proposals.get(guarantee).status == IN_FORCE
    assert ex.state.ceasefire.current.agreement == ceasefire

    draws = _check_draws(ex, ex.umpire(DrawCeasefireRisk()))
    assert draws["shooting"]["probability"] == pytest.approx(0.45 - 0.2 - 0.05)
    assert draws["offensive"]["probability"] == 0.03  # its floor: a guarantee and monitors never erase the risk

    if ex.state.ceasefire.current is not None:
        _check_draws(ex, ex.advance())  # winter 2023: the risks grow with time
    else:
        ex.advance()
    western = ex.value("western-support")
    ex.umpire(FireInject("hy-midterms"))
    assert ex.value("western-support") == _clamp(western - 10)
    ex.check_replay()


def test_talking_about_talking_refuses_formal_proposals_before_a_channel_is_open():
    """Without signals first, Kyiv and Moscow reach the contact channel at 'no contact': proposals wait."""
    ex = Exercise("talking-about-talking", seed="no-signals")
    ex.seat_everyone()
    for _ in range(4):
        ex.advance()  # to 'first contact', where the contact table opens
    refusal = ex.refused("ukraine", DraftProposal("contact", "All for all", (Clause("pow-exchange"),)))
    assert refusal.code == "not_ready" and "'channel open'" in refusal.message


def test_a_public_answer_to_a_private_signal_moves_the_gauges_without_telling_anyone_of_the_answer():
    """Kyiv quietly halts deep strikes (to Moscow only); Moscow answers in public. The public sees Moscow's play
    and one move per gauge with its reason, never that a private signal was answered."""
    ex = Exercise("talking-about-talking", seed="answers")
    ex.seat_everyone()
    ex.advance()
    ex.play("ukraine", "ua-halt-deep-strikes", to=["russia"])
    events = ex.by("russia", PlaySignal("ru-halt-city-strikes"))
    assert [e.type for e in events if e.type == "signal_reciprocated"] == ["signal_reciprocated"]
    observer = Actor("observer")
    seen = [e for e in events if visible_to(e, observer)]
    assert [e.type for e in seen if e.type != "indicator_changed"] == ["signal_played"]
    moved = [e.data["indicator"] for e in seen if e.type == "indicator_changed"]
    assert len(moved) == len(set(moved)) > 0  # one move per gauge
    assert "reciprocated" not in repr([e.to_dict() for e in seen])
    assert {e.data["reason"] for e in seen if e.type == "indicator_changed"} == {
        f"signal '{ex.card('ru-halt-city-strikes').title}'"}
