"""Indicators and relations: the situation's gauges, trust and readiness between delegations, and how
the effects of cards, clauses, injects and incidents move them (always within their bounds)."""

from __future__ import annotations

from contextlib import contextmanager
from itertools import combinations
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping

from .audience import Audience
from .beliefs import move_beliefs
from .core import replace
from .core import Description, Int, Outcome, Pair, Ref, Text, command, decides, event, evolves, initial, names, \
    record, signed, view
from .deck import EVERYONE, UMPIRE_ONLY, Condition, Effects, Indicator
from .errors import RuleError
from .polls import publish_polls
from .guards import MAX_TITLE, text, umpire
from .state import pair
from .visibility import sees


def indicator_audience(indicator: Indicator) -> Audience:
    """Who sees an indicator and its moves, as its deck says (``visible_to``)."""
    if indicator.visible_to == EVERYONE:
        return Audience.all()
    if indicator.visible_to == UMPIRE_ONLY:
        return Audience.umpire_only()
    return Audience.of(indicator.visible_to)


def relation_audience(key: tuple[str, str]) -> Audience:
    """Trust and readiness between two delegations are known to the two of them."""
    return Audience.of(key)


def pairs_among(delegations: Iterable[str]) -> list[tuple[str, str]]:
    return [pair(a, b) for a, b in combinations(sorted(set(delegations)), 2)]


def pairs_with(delegation: str, others: Iterable[str]) -> list[tuple[str, str]]:
    return [pair(delegation, o) for o in others if o != delegation]


def effects_view(e: Effects, beliefs: bool = False) -> dict:
    """Effects as a card or an inject shows them, ``polls`` when there are any. Moves of private beliefs only
    with ``beliefs`` (for exercise control's views: a card's holder must not learn of another's beliefs)."""
    shown = {"indicators": dict(e.indicators), "trust": e.trust, "readiness": e.readiness}
    if beliefs and e.beliefs:
        shown["beliefs"] = [{"holder": b.holder, "about": b.about, "by": b.by} for b in e.beliefs]
    if e.polls:
        shown["polls"] = [{"indicator": p.indicator, "margin": p.margin} for p in e.polls]
    return shown


# ---- state -----------------------------------------------------------------------------------------


@record
class RelationState:
    trust: int  # 0-100
    readiness: int  # a rung of the deck's readiness ladder


@initial
def _initial(deck) -> dict:
    return {"indicators": MappingProxyType({i.id: i.start for i in deck.indicators}),
            "relations": MappingProxyType({pair(*r.between): RelationState(r.trust, r.readiness)
                                           for r in deck.relations}),
            "thresholds_applied": frozenset()}


# ---- commands ----------------------------------------------------------------------------------------


@command("adjust_indicator")
class AdjustIndicator:
    indicator: Ref
    delta: Int(-1000, 1000)
    reason: Text


@command("adjust_relation")
class AdjustRelation:
    between: Pair
    reason: Text
    trust: Int(-100, 100) = 0
    readiness: Int(-10, 10) = 0


# ---- events ------------------------------------------------------------------------------------------


@event("indicator_changed")
class IndicatorChanged:
    indicator: str
    name: str
    delta: int
    value: int
    reason: str  # never names a private act: it reaches all who see the indicator

    def describe(self, deck) -> Description:
        return Description("indicator", f"{self.name}: {signed(self.delta)} → {self.value}", self.reason)


@event("threshold_crossed")
class ThresholdCrossed:
    indicator: str
    name: str
    at: int
    value: int
    note: str

    def describe(self, deck) -> Description:
        return Description("alert", f"{self.name} crossed {self.at} (now {self.value})", self.note)


@event("relation_changed")
class RelationChanged:
    between: tuple[str, str]
    trust: int
    readiness: int
    readiness_label: str
    trust_delta: int
    readiness_delta: int
    reason: str

    def describe(self, deck) -> Description:
        parts = []
        if self.trust_delta:
            parts.append(f"trust {signed(self.trust_delta)} → {self.trust}")
        if self.readiness_delta:
            parts.append(f"readiness → {self.readiness_label}")
        return Description("relation", f"{names(deck, self.between)}: {', '.join(parts)}", self.reason)


# ---- applying effects (used by every slice whose cards move the situation) ----------------------------


def apply_effects(out: Outcome, effects: Effects, pairs: Iterable[tuple[str, str]], reason: str) -> None:
    """Move indicators, trust and readiness of ``pairs`` (or of the pairs the effects name), and beliefs
    (each move told to the belief's holder only); then publish the polls the effects name (after the moves,
    so a poll reads the new values)."""
    for indicator_id, delta in effects.indicators.items():
        change_indicator(out, indicator_id, delta, reason)
    if effects.trust or effects.readiness:
        for key in [pair(*p) for p in effects.pairs] or pairs:
            change_relation(out, key, effects.trust, effects.readiness, reason)
    if effects.beliefs:
        move_beliefs(out, effects.beliefs)
    if effects.polls:
        publish_polls(out, effects.polls)


def change_indicator(out: Outcome, indicator_id: str, delta: int, reason: str, act: bool = False) -> None:
    """Move an indicator within its bounds; nothing if it does not move. Crossed thresholds go to the umpire.

    Inside ``one_move_per_indicator`` the move is held back and added to the others of the same act."""
    indicator = out.state.deck.indicator(indicator_id)
    held = out.batches.get(_MOVES)
    old = held.get(indicator_id, out.state.indicators[indicator_id]) if held is not None \
        else out.state.indicators[indicator_id]
    new = max(indicator.min, min(indicator.max, old + delta))
    if held is not None:
        held[indicator_id] = new
    elif new != old:
        _record_move(out, indicator, old, new, reason, act)


def _record_move(out: Outcome, indicator: Indicator, old: int, new: int, reason: str, act: bool) -> None:
    record_ = out.act if act else out.consequence
    record_(IndicatorChanged(indicator.id, indicator.name, new - old, new, reason), indicator_audience(indicator))
    for threshold in indicator.thresholds:
        crossed = (old < threshold.at <= new) if threshold.rising else (old > threshold.at >= new)
        if crossed:
            applies = threshold.effects and (indicator.id, threshold.at) not in out.state.thresholds_applied
            out.consequence(ThresholdCrossed(indicator.id, indicator.name, threshold.at, new, threshold.note),
                            Audience.umpire_only())
            if applies:  # the first crossing only (the event above records it as applied)
                apply_effects(out, threshold.effects, (), threshold.reason or f"{indicator.name} crossed "
                                                          f"{threshold.at}")


def holds(state, condition: Condition | None) -> bool:
    """Whether a deck's condition holds now (None: always)."""
    if condition is None:
        return True
    if condition.ceasefire is not None and (state.ceasefire.current is not None) != condition.ceasefire:
        return False
    if condition.indicator is not None:
        value = state.indicators[condition.indicator]
        if condition.at_least is not None and value < condition.at_least:
            return False
        if condition.at_most is not None and value > condition.at_most:
            return False
    return True


_MOVES = "indicator moves"


@contextmanager
def one_move_per_indicator(out: Outcome, reason: str) -> Iterator[None]:
    """Everything an act does to an indicator, recorded as one move with ``reason`` when the act is done.

    Those who see an indicator but not the act learn its net move and nothing of its parts: not that a
    private answer to a signal added to it, not what a card cost apart from what it did."""
    out.batches[_MOVES] = held = {}
    try:
        yield
    finally:
        del out.batches[_MOVES]
    for indicator_id, new in held.items():
        old = out.state.indicators[indicator_id]
        if new != old:
            _record_move(out, out.state.deck.indicator(indicator_id), old, new, reason, act=False)


def readiness_ceiling(state, key: tuple[str, str], held: Mapping[str, int] | None = None) -> int:
    """The highest rung the pair ``key`` may climb to now: below every capped rung whose conditions do not all
    hold (the deck's ``readiness_caps``), else the top of the ladder. ``held``: indicator values an act has moved
    but not yet recorded (see ``one_move_per_indicator``)."""
    deck, values = state.deck, {**state.indicators, **(held or {})}
    ceiling = len(deck.readiness_ladder) - 1
    for cap in deck.readiness_caps:
        if pair(*cap.between) == key and not all(c.holds(values[c.indicator]) for c in cap.conditions):
            ceiling = min(ceiling, deck.rung(cap.rung) - 1)
    return ceiling


def change_relation(out: Outcome, key: tuple[str, str], trust: int, readiness: int, reason: str,
                    act: bool = False, capped: bool = True) -> None:
    """Move trust (0-100) and readiness (on the ladder) of a tracked pair; nothing if nothing moves.

    A rise in readiness stops below a rung the deck caps (``readiness_ceiling``), unless not ``capped`` (the
    umpire's own adjustment); a pair already above the cap stays where it is."""
    current = out.state.relations.get(key)
    if current is None:
        return
    ladder = out.state.deck.readiness_ladder
    new_trust = max(0, min(100, current.trust + trust))
    new_readiness = max(0, min(len(ladder) - 1, current.readiness + readiness))
    if capped and new_readiness > current.readiness:
        ceiling = readiness_ceiling(out.state, key, out.batches.get(_MOVES))
        new_readiness = max(current.readiness, min(new_readiness, ceiling))
    if (new_trust, new_readiness) == (current.trust, current.readiness):
        return
    record_ = out.act if act else out.consequence
    record_(RelationChanged(key, new_trust, new_readiness, ladder[new_readiness], new_trust - current.trust,
                            new_readiness - current.readiness, reason), relation_audience(key))


# ---- rules -------------------------------------------------------------------------------------------


@decides(AdjustIndicator)
def _adjust_indicator(out: Outcome, cmd: AdjustIndicator) -> None:
    umpire(out.actor)
    if out.state.deck.indicator(cmd.indicator) is None:
        raise RuleError("not_found", f"There is no indicator '{cmd.indicator}'.", {"indicator": "unknown"})
    reason = text(cmd.reason, "reason", MAX_TITLE)
    if cmd.delta == 0:
        raise RuleError("invalid", "An adjustment needs a non-zero delta.", {"delta": "zero"})
    change_indicator(out, cmd.indicator, cmd.delta, reason, act=True)


@decides(AdjustRelation)
def _adjust_relation(out: Outcome, cmd: AdjustRelation) -> None:
    umpire(out.actor)
    key = pair(*cmd.between)
    if key not in out.state.relations:
        raise RuleError("not_found", f"No relation is tracked between {' and '.join(cmd.between)}.",
                        {"between": "unknown"})
    change_relation(out, key, cmd.trust, cmd.readiness, text(cmd.reason, "reason", MAX_TITLE), act=True,
                    capped=False)


@evolves(IndicatorChanged)
def _indicator_changed(state, e: IndicatorChanged, event):
    return replace(state, indicators=MappingProxyType({**state.indicators, e.indicator: e.value}))


@evolves(ThresholdCrossed)
def _threshold_crossed(state, e: ThresholdCrossed, event):
    """A threshold with effects applies them at its first crossing only."""
    indicator = state.deck.indicator(e.indicator)
    if indicator is None or not any(t.at == e.at and t.effects for t in indicator.thresholds):
        return state
    return replace(state, thresholds_applied=state.thresholds_applied | {(e.indicator, e.at)})


@evolves(RelationChanged)
def _relation_changed(state, e: RelationChanged, event):
    relations = {**state.relations, pair(*e.between): RelationState(e.trust, e.readiness)}
    return replace(state, relations=MappingProxyType(relations))


# ---- view --------------------------------------------------------------------------------------------


@view("indicators", reads=("indicators",), key="id")
def _indicators(state, viewer) -> list[dict]:
    return [{"id": i.id, "name": i.name, "min": i.min, "max": i.max, "value": state.indicators[i.id],
             "description": i.description,
             "visible_to": i.visible_to if isinstance(i.visible_to, str) else list(i.visible_to)}
            for i in state.deck.indicators if sees(viewer, indicator_audience(i))]


@view("relations", reads=("relations",), key="id")
def _relations(state, viewer) -> list[dict]:
    ladder = state.deck.readiness_ladder
    return [{"id": "~".join(key), "between": list(key), "trust": r.trust, "readiness": r.readiness,
             "readiness_label": ladder[r.readiness]}
            for key, r in sorted(state.relations.items()) if sees(viewer, relation_audience(key))]
