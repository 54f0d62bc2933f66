"""Injects: the umpire's events from the deck (the MSEL) or written on the spot, told to everyone or to
chosen delegations, with their effects on the situation."""

from __future__ import annotations

from dataclasses import asdict, replace

from .audience import Audience
from .core import Description, Outcome, Ref, Refs, Text, command, decides, event, evolves, initial, names, record, \
    view
from .errors import RuleError
from .guards import MAX_TEXT, MAX_TITLE, known_delegations, text, umpire
from .indicators import apply_effects, effects_view, pairs_among
from .visibility import sees

EVENT_LIST = Audience.umpire_only()  # the deck's injects, before they are fired, are exercise control's

# ---- state -----------------------------------------------------------------------------------------


@record
class FiredInject:
    inject: str | None  # None for an ad hoc inject
    title: str
    seq: int
    to: tuple[str, ...] | None  # None: everyone
    audience: Audience


@record
class Injects:
    fired: tuple[FiredInject, ...] = ()


@initial
def _initial(deck) -> dict:
    return {"injects": Injects()}


# ---- commands ----------------------------------------------------------------------------------------


@command("fire_inject")
class FireInject:
    """Fire a deck inject (``inject``) or an ad hoc one (``title`` and ``text``)."""

    inject: Ref | None = None
    to: Refs | None = None  # None: the deck inject's own audience, or everyone
    title: Text | None = None
    text: Text | None = None


# ---- events ------------------------------------------------------------------------------------------


@event("inject_fired")
class InjectFired:
    inject: str | None
    title: str
    text: str
    kind: str
    sources: tuple[str, ...]
    to: tuple[str, ...] | None

    def describe(self, deck) -> Description:
        to = f" (to {names(deck, self.to)})" if self.to else ""
        return Description("inject", f"Inject: {self.title}{to}")


# ---- rules -------------------------------------------------------------------------------------------


@decides(FireInject)
def _fire(out: Outcome, cmd: FireInject) -> None:
    state = out.state
    umpire(out.actor)
    if cmd.inject is None and (cmd.title is None or cmd.text is None):
        raise RuleError("invalid", "Name a deck inject, or give a title and a text for an ad hoc one.", {"": "empty"})
    if cmd.inject is not None and (cmd.title is not None or cmd.text is not None):
        raise RuleError("invalid", "Name a deck inject or write an ad hoc one, not both.", {"": "both"})
    if cmd.to is not None and not cmd.to:
        raise RuleError("invalid", "Name at least one delegation, or leave 'to' out to inform everyone.",
                        {"to": "empty"})
    to = known_delegations(state, cmd.to, "to") if cmd.to else None
    if cmd.inject:
        card = state.deck.inject(cmd.inject)
        if card is None:
            raise RuleError("not_found", f"There is no inject '{cmd.inject}'.", {"inject": "unknown"})
        if to is None and card.audience != "all":
            to = tuple(card.audience)
        fired = InjectFired(card.id, card.title, card.text, card.kind, card.sources, to)
        effects = card.effects
    else:
        fired = InjectFired(None, text(cmd.title, "title", MAX_TITLE), text(cmd.text, "text", MAX_TEXT), "ad hoc",
                            (), to)
        effects = None
    out.act(fired, Audience.all() if to is None else Audience.of(to))
    if effects:
        concerned = to or state.deck.delegation_ids()
        # A confidential inject's public effects must not name it: see signals.py.
        reason = f"inject '{fired.title}'" if to is None else "a confidential inject"
        apply_effects(out, effects, pairs_among(concerned), reason)


@evolves(InjectFired)
def _fired(state, e: InjectFired, event):
    fired = FiredInject(e.inject, e.title, event.seq or 0, e.to, event.audience)
    return replace(state, injects=Injects(state.injects.fired + (fired,)))


# ---- view --------------------------------------------------------------------------------------------


@view("injects_fired", reads=("injects",), key="seq")
def _injects_fired(state, viewer) -> list[dict]:
    """The injects ``viewer`` was told of."""
    return [{"inject": f.inject, "title": f.title, "seq": f.seq, "to": list(f.to) if f.to else None}
            for f in state.injects.fired if sees(viewer, f.audience)]


@view("injects", reads=("injects",), key="id")
def _event_list(state, viewer) -> list[dict] | None:
    """The deck's injects with their schedule and effects, and whether each was fired (exercise control)."""
    if not sees(viewer, EVENT_LIST):
        return None
    fired = {f.inject for f in state.injects.fired}
    return [{"id": i.id, "title": i.title, "text": i.text, "kind": i.kind,
             "audience": i.audience if isinstance(i.audience, str) else list(i.audience),
             "schedule": asdict(i.schedule) if i.schedule else None, "effects": effects_view(i.effects),
             "fired": i.id in fired, "sources": list(i.sources)} for i in state.deck.injects]
