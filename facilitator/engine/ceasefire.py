"""The cease-fire: it begins when an agreement establishing one enters into force, and its risks are drawn
at each change of phase (or when the umpire asks) until one of them ends it.

Each draw is made once, from the exercise's seed, and written into the event with its odds,
so the log explains itself and a replay never re-rolls.
"""

from __future__ import annotations

import random
from dataclasses import replace

from .audience import Audience
from .core import Description, Outcome, command, decides, event, evolves, initial, record, view
from .errors import RuleError
from .guards import umpire
from .indicators import apply_effects, effects_view, pairs_among
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


@initial
def _initial(deck) -> dict:
    return {"ceasefire": CeasefireState()}


# ---- commands ----------------------------------------------------------------------------------------


@command("draw_ceasefire_risk")
class DrawCeasefireRisk:
    """Draw every risk rule of the deck now (the umpire's call, outside the change of phase)."""


# ---- events ------------------------------------------------------------------------------------------


@event("ceasefire_began")
class CeasefireBegan:
    agreement: int
    title: str

    def describe(self, deck) -> Description:
        return Description("agreement", f"A cease-fire begins (agreement #{self.agreement})", self.title)


@event("ceasefire_risk_drawn")
class CeasefireRiskDrawn:
    rule: str
    title: str
    probability: float
    roll: float
    occurred: bool
    phases_held: int
    modifiers: dict  # clause type -> change of probability, for the clauses in force

    def describe(self, deck) -> Description:
        return Description("risk", f"Risk drawn: {self.title} — {'it happens' if self.occurred else 'nothing happens'}",
                           f"probability {round(self.probability * 100)}%, roll {round(self.roll * 100)}")


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
    """One draw per risk rule; a rule that ends the cease-fire stops the draw.

    ``act``: the draws are what the umpire asked for (not a consequence of advancing the phase)."""
    state = out.state
    ceasefire = state.ceasefire.current
    in_force = {cl.clause_type for p in state.proposals.in_force() for cl in p.clauses}
    held = max(0, state.clock.phase_index - ceasefire.began_phase)
    agreement = state.proposals.get(ceasefire.agreement)
    for rule in state.deck.ceasefire_risks:
        modifiers = {k: v for k, v in rule.modifiers.items() if k in in_force}
        probability = max(0.0, min(1.0, rule.likelihood + rule.per_phase * held + sum(modifiers.values())))
        roll = random.Random(f"{state.seed}:{out.before.seq}:{rule.id}").random()
        occurred = roll < probability
        drawn = CeasefireRiskDrawn(rule.id, rule.title, probability, roll, occurred, held, modifiers)
        (out.act if act else out.consequence)(drawn, RISKS)
        if not occurred:
            continue
        out.consequence(CeasefireIncident(rule.id, rule.title, rule.text, rule.sources), Audience.all())
        apply_effects(out, rule.effects, pairs_among(agreement.parties), f"cease-fire incident: {rule.title}")
        if rule.ends_ceasefire:
            out.consequence(CeasefireCollapsed(agreement.number, rule.id), Audience.all())
            return


@evolves(CeasefireBegan)
def _began(state, e: CeasefireBegan, event):
    current = Ceasefire(e.agreement, state.clock.phase_index, event.audience)
    return replace(state, ceasefire=replace(state.ceasefire, current=current))


@evolves(CeasefireCollapsed)
def _collapsed(state, e: CeasefireCollapsed, event):
    return replace(state, ceasefire=CeasefireState(None, state.ceasefire.collapsed + 1))


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


@view("ceasefire_risks", reads=())
def _risks(state, viewer) -> list[dict] | None:
    if not sees(viewer, RISKS):
        return None
    return [{"id": r.id, "title": r.title, "text": r.text, "likelihood": r.likelihood, "per_phase": r.per_phase,
             "modifiers": dict(r.modifiers), "ends_ceasefire": r.ends_ceasefire, "effects": effects_view(r.effects)}
            for r in state.deck.ceasefire_risks]
