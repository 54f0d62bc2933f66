"""The cease-fire: it begins when an agreement establishing one enters into force, and its risks are drawn
at each change of phase (or when the umpire asks) until one of them ends it.

Each draw is made once, from the exercise's seed, and written into the event with its odds,
so the log explains itself and a replay never re-rolls.
"""

from __future__ import annotations

import random
from dataclasses import field
from types import MappingProxyType
from typing import Mapping

from .audience import Audience
from .core import Description, Outcome, Ref, command, decides, event, evolves, initial, record, view, replace
from .deck import EVERYONE
from .errors import RuleError
from .guards import umpire
from .indicators import apply_effects, effects_view, pairs_among
from .secret_cards import secret_odds
from .visibility import sees

RISKS = Audience.umpire_only()  # the odds and the rolls are exercise control's

# ---- state -----------------------------------------------------------------------------------------


@record
class Ceasefire:
    agreement: int
    began_phase: int
    audience: Audience


@record
class CeasefireState:
    current: Ceasefire | None = None
    collapsed: int = 0
    broken: tuple[int, ...] = ()  # agreements whose cease-fire collapsed
    overrides: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # rule -> "force" or "veto", for its next draw


FORCE, VETO = "force", "veto"


@initial
def _initial(deck) -> dict:
    return {"ceasefire": CeasefireState()}


def ceasefire_parties(state) -> set[str]:
    """Who the cease-fire binds: the signatories its clauses name, else the belligerents among its agreement's
    parties, else all of them. Without a cease-fire (the umpire's preview): the deck's belligerents."""
    deck, current = state.deck, state.ceasefire.current
    belligerents = {d.id for d in deck.delegations if d.kind == "belligerent"}
    if current is None:
        return belligerents
    agreement = state.proposals.get(current.agreement)
    kinds = [deck.clause_type(cl.clause_type) for cl in agreement.clauses]
    named = {d for k in kinds if k.establishes_ceasefire for d in k.signatories}
    return named or (belligerents & set(agreement.parties)) or set(agreement.parties)


def odds(state, rule, held: int | None = None) -> tuple[float, dict, int, dict]:
    """A risk rule's probability now, the modifiers of the clauses in force, the phases the cease-fire has
    held (``held`` if given) and what its drivers add: its likelihood, plus ``per_phase`` for each phase held,
    plus each modifier, plus each driver (an indicator above its mark), plus what the secret cards dealt add
    (``secret_cards.secret_odds``), no lower than its ``min_likelihood`` and within 0-1.

    Only agreements that bind the cease-fire's parties count: all of them signed it, or an agreement linked
    to it (a package enters into force as one, so each signature accepts the whole package). Monitors or
    guarantees agreed by allies among themselves change nothing on the line."""
    bound = ceasefire_parties(state)
    in_force = {cl.clause_type for p in state.proposals.in_force() if bound <= _package_signers(state, p)
                for cl in p.clauses}
    ceasefire = state.ceasefire.current
    if held is None:
        held = max(0, state.clock.phase_index - ceasefire.began_phase) if ceasefire else 0
    modifiers = {k: v for k, v in rule.modifiers.items() if k in in_force}
    driven = driven_odds(state, rule)
    raw = rule.likelihood + rule.per_phase * held + sum(modifiers.values()) + sum(driven.values()) \
        + secret_odds(state, rule)
    return max(rule.min_likelihood, 0.0, min(1.0, raw)), modifiers, held, driven


def driven_odds(state, rule) -> dict:
    """What each driving indicator adds to a rule's odds now (indicator id -> change), rounded; none at or
    below its mark."""
    driven = {}
    for d in rule.driven_by:
        above = state.indicators[d.indicator] - d.above
        if above > 0:
            driven[d.indicator] = round(driven.get(d.indicator, 0.0) + d.step + d.per_point * above, 4)
    return driven


def _package_signers(state, agreement) -> set[str]:
    """The parties of ``agreement`` and of every agreement in force linked to it, in either direction."""
    in_force = {p.number: p for p in state.proposals.in_force()}
    seen, frontier, signers = set(), [agreement.number], set()
    while frontier:
        n = frontier.pop()
        if n in seen or n not in in_force:
            continue
        seen.add(n)
        signers |= set(in_force[n].parties)
        frontier += list(in_force[n].links) + [p.number for p in in_force.values() if n in p.links]
    return signers


# ---- commands ----------------------------------------------------------------------------------------


@command("draw_ceasefire_risk")
class DrawCeasefireRisk:
    """Draw every risk rule of the deck now (the umpire's call, outside the change of phase)."""


@command("set_risk_override")
class SetRiskOverride:
    """Decide a risk rule's next draw: ``force`` (it happens), ``veto`` (it does not), or None (the roll)."""

    rule: Ref
    override: Ref | None = None


# ---- events ------------------------------------------------------------------------------------------


@event("ceasefire_began")
class CeasefireBegan:
    agreement: int
    title: str

    def describe(self, deck) -> Description:
        return Description("agreement", f"A cease-fire begins (agreement #{self.agreement})", self.title)


def _no_override(data: dict) -> dict:
    """Version 1 had no umpire's override: the roll decided."""
    return {**data, "override": None}


def _no_drivers(data: dict) -> dict:
    """Version 2 had no driving indicators and no floor."""
    return {**data, "driven": {}, "floor": 0.0}


@event("ceasefire_risk_drawn", version=3, upgrades={1: _no_override, 2: _no_drivers})
class CeasefireRiskDrawn:
    rule: str
    title: str
    probability: float
    roll: float
    occurred: bool
    phases_held: int
    modifiers: dict  # clause type -> change of probability, for the clauses in force
    override: str | None  # "force" or "veto": the umpire decided, whatever the roll
    driven: dict  # indicator id -> change of probability, for the indicators above their marks
    floor: float  # the rule's lowest odds (its min_likelihood)

    def describe(self, deck) -> Description:
        decided = {FORCE: " (forced by the umpire)", VETO: " (vetoed by the umpire)"}.get(self.override or "", "")
        return Description("risk", f"Risk drawn: {self.title} — {'it happens' if self.occurred else 'nothing happens'}"
                           f"{decided}", f"probability {round(self.probability * 100)}%, roll {round(self.roll * 100)}")


@event("risk_override_set")
class RiskOverrideSet:
    rule: str
    title: str
    override: str | None

    def describe(self, deck) -> Description:
        what = {FORCE: "will happen at its next draw", VETO: "is vetoed for its next draw"}.get(
            self.override or "", "is left to the roll again")
        return Description("risk", f"{self.title} {what}")


@record
class EpilogueDraw:
    rule: str
    title: str
    probability: float | None  # None: withheld from the room (``withheld_odds``)
    roll: float | None
    occurred: bool


@event("epilogue_drawn")
class EpilogueDrawn:
    """A month after the end of the exercise, drawn for the whole room: each rule's odds, roll and outcome."""

    month: int
    months: int
    draws: tuple[EpilogueDraw, ...]  # in the deck's order (up to the rule that ended the cease-fire)
    holding: bool  # the cease-fire still holds after this month

    def describe(self, deck) -> Description:
        happened = [d.title for d in self.draws if d.occurred]
        what = "; ".join(happened) if happened else "nothing happens"
        end = "the cease-fire holds" if self.holding else "the cease-fire collapses"
        odds_ = ", ".join(f"{d.title} {'withheld' if d.probability is None else f'{round(d.probability * 100)}%'}"
                          for d in self.draws)
        return Description("risk", f"After the exercise, month {self.month} of {self.months}: {what} — {end}",
                           f"odds: {odds_}")


@event("ceasefire_incident")
class CeasefireIncident:
    rule: str
    title: str
    text: str
    sources: tuple[str, ...]

    def describe(self, deck) -> Description:
        return Description("alert", f"Cease-fire incident: {self.title}")


@event("ceasefire_collapsed")
class CeasefireCollapsed:
    agreement: int
    rule: str

    def describe(self, deck) -> Description:
        return Description("alert", "The cease-fire has collapsed")


# ---- rules -------------------------------------------------------------------------------------------


@decides(DrawCeasefireRisk)
def _draw(out: Outcome, cmd: DrawCeasefireRisk) -> None:
    umpire(out.actor)
    if out.state.ceasefire.current is None:
        raise RuleError("conflict", "No cease-fire holds: there is nothing to draw.")
    draw_risks(out, act=True)


def draw_risks(out: Outcome, act: bool = False) -> None:
    """One draw per risk rule; a rule that ends the cease-fire stops the draw. The umpire's override for a
    rule (``set_risk_override``) decides its draw instead of the roll (the roll is still made and shown).

    ``act``: the draws are what the umpire asked for (not a consequence of advancing the phase)."""
    state = out.state
    ceasefire = state.ceasefire.current
    agreement = state.proposals.get(ceasefire.agreement)
    for rule in state.deck.ceasefire_risks:
        probability, modifiers, held, driven = odds(state, rule)
        roll = random.Random(f"{state.seed}:{out.before.seq}:{rule.id}").random()
        override = state.ceasefire.overrides.get(rule.id)
        occurred = override == FORCE if override else roll < probability
        drawn = CeasefireRiskDrawn(rule.id, rule.title, probability, roll, occurred, held, modifiers, override,
                                   driven, rule.min_likelihood)
        (out.act if act else out.consequence)(drawn, RISKS)
        if not occurred:
            continue
        out.consequence(CeasefireIncident(rule.id, rule.title, rule.text, rule.sources), Audience.all())
        apply_effects(out, rule.effects, pairs_among(agreement.parties), f"cease-fire incident: {rule.title}")
        if rule.ends_ceasefire:
            out.consequence(CeasefireCollapsed(agreement.number, rule.id), Audience.all())
            return


def withheld_odds(deck) -> frozenset[str]:
    """The risk rules whose odds (and roll, which bounds them) the room may not see drawn: those driven by an
    indicator not everyone sees (the odds would tell its value), and those any face of any secret card shifts
    (whichever card is dealt, so that which rules are withheld tells nothing of the deal)."""
    shifted = {rule for secret in deck.secrets for card in secret.cards for rule in card.risk}
    private = {i.id for i in deck.indicators if i.visible_to != EVERYONE}
    return frozenset(r.id for r in deck.ceasefire_risks
                     if r.id in shifted or any(d.indicator in private for d in r.driven_by))


def run_epilogue(out: Outcome) -> None:
    """The deck's epilogue, as the exercise ends with a cease-fire holding: one draw of every risk rule a
    month for ``months`` months, each month one ``epilogue_drawn`` for everyone, until a rule ends the
    cease-fire. The phases held stay as at the end (``per_phase`` grows no more); what incidents do to the
    indicators moves the driven odds of the months after. Seeded like every draw; no override applies.
    The room sees each rule's odds and roll, except those ``withheld_odds`` names."""
    epilogue = out.state.deck.epilogue
    if epilogue is None or out.state.ceasefire.current is None:
        return
    held = odds(out.state, out.state.deck.ceasefire_risks[0])[2] if out.state.deck.ceasefire_risks else 0
    withheld = withheld_odds(out.state.deck)
    for month in range(1, epilogue.months + 1):
        state = out.state
        agreement = state.proposals.get(state.ceasefire.current.agreement)
        draws, happened = [], []
        for rule in state.deck.ceasefire_risks:
            probability = odds(state, rule, held)[0]
            roll = random.Random(f"{state.seed}:{out.before.seq}:epilogue:{month}:{rule.id}").random()
            hidden = rule.id in withheld
            draws.append(EpilogueDraw(rule.id, rule.title, None if hidden else round(probability, 4),
                                      None if hidden else round(roll, 4), roll < probability))
            if roll < probability:
                happened.append(rule)
                if rule.ends_ceasefire:
                    break
        ends = any(r.ends_ceasefire for r in happened)
        out.consequence(EpilogueDrawn(month, epilogue.months, tuple(draws), not ends), Audience.all())
        for rule in happened:
            out.consequence(CeasefireIncident(rule.id, rule.title, rule.text, rule.sources), Audience.all())
            apply_effects(out, rule.effects, pairs_among(agreement.parties),
                          f"after the exercise, month {month}: {rule.title}")
        if ends:
            out.consequence(CeasefireCollapsed(agreement.number, happened[-1].id), Audience.all())
            return


@decides(SetRiskOverride)
def _override(out: Outcome, cmd: SetRiskOverride) -> None:
    umpire(out.actor)
    rule = next((r for r in out.state.deck.ceasefire_risks if r.id == cmd.rule), None)
    if rule is None:
        raise RuleError("not_found", f"There is no cease-fire risk '{cmd.rule}'.", {"rule": "unknown"})
    if cmd.override not in (None, FORCE, VETO):
        raise RuleError("invalid", "An override is 'force', 'veto' or null.", {"override": "unknown"})
    if out.state.ceasefire.overrides.get(rule.id) == cmd.override:
        raise RuleError("conflict", "That is already so.")
    out.act(RiskOverrideSet(rule.id, rule.title, cmd.override), RISKS)


@evolves(RiskOverrideSet)
def _override_set(state, e: RiskOverrideSet, event):
    overrides = {k: v for k, v in state.ceasefire.overrides.items() if k != e.rule}
    if e.override:
        overrides[e.rule] = e.override
    return replace(state, ceasefire=replace(state.ceasefire, overrides=MappingProxyType(overrides)))


@evolves(CeasefireRiskDrawn)
def _drawn(state, e: CeasefireRiskDrawn, event):
    if e.rule not in state.ceasefire.overrides:
        return state
    overrides = {k: v for k, v in state.ceasefire.overrides.items() if k != e.rule}
    return replace(state, ceasefire=replace(state.ceasefire, overrides=MappingProxyType(overrides)))


@evolves(CeasefireBegan)
def _began(state, e: CeasefireBegan, event):
    current = Ceasefire(e.agreement, state.clock.phase_index, event.audience)
    return replace(state, ceasefire=replace(state.ceasefire, current=current))


@evolves(CeasefireCollapsed)
def _collapsed(state, e: CeasefireCollapsed, event):
    return replace(state, ceasefire=replace(state.ceasefire, current=None, collapsed=state.ceasefire.collapsed + 1,
                                            broken=state.ceasefire.broken + (e.agreement,)))


# ---- view --------------------------------------------------------------------------------------------


@view("ceasefire", reads=("ceasefire",))
def _ceasefire(state, viewer) -> dict | None:
    current = state.ceasefire.current
    if current is None or not sees(viewer, current.audience):
        return None
    return {"agreement": current.agreement, "began_phase": current.began_phase}


@view("ceasefires_collapsed", reads=("ceasefire",))
def _collapsed_view(state, viewer) -> int:
    return state.ceasefire.collapsed


@view("ceasefire_risks", reads=("ceasefire", "proposals", "clock"))
def _risks(state, viewer) -> list[dict] | None:
    """The risk table for exercise control: each rule's base odds, the modifiers of the clauses in force, the
    phases held and the odds of its next draw, and the umpire's override if any."""
    if not sees(viewer, RISKS):
        return None
    table = []
    for r in state.deck.ceasefire_risks:
        now, modifiers, held, driven = odds(state, r)
        table.append({"id": r.id, "title": r.title, "text": r.text, "likelihood": r.likelihood,
                      "per_phase": r.per_phase, "modifiers": dict(r.modifiers), "ends_ceasefire": r.ends_ceasefire,
                      "min_likelihood": r.min_likelihood, "driven_now": driven,
                      "secret_now": round(secret_odds(state, r), 4),
                      "effects": effects_view(r.effects), "modifiers_now": modifiers, "phases_held": held,
                      "odds_now": round(now, 4), "override": state.ceasefire.overrides.get(r.id)})
    return table
