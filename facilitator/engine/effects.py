"""Turning deck effects into events, with values clamped to their bounds."""

from __future__ import annotations

from itertools import combinations
from typing import Iterable

from . import events as ev
from .audience import Actor, Audience
from .deck import EVERYONE, UMPIRE_ONLY, Effects, Indicator
from .state import ExerciseState, RelationState, pair


def indicator_audience(indicator: Indicator) -> Audience:
    if indicator.visible_to == EVERYONE:
        return Audience.all()
    if indicator.visible_to == UMPIRE_ONLY:
        return Audience.umpire_only()
    return Audience.of(indicator.visible_to)


def pairs_among(delegations: Iterable[str]) -> list[tuple[str, str]]:
    return [pair(a, b) for a, b in combinations(sorted(set(delegations)), 2)]


def pairs_with(delegation: str, others: Iterable[str]) -> list[tuple[str, str]]:
    return [pair(delegation, o) for o in others if o != delegation]


class EffectBuilder:
    """Accumulates the events of one command, keeping running values so that
    several effects on the same indicator or pair in one command add up."""

    def __init__(self, state: ExerciseState, actor: Actor | None):
        self.state = state
        self.actor = actor
        self.events: list[ev.Event] = []
        self._indicators = dict(state.indicators)
        self._relations = dict(state.relations)

    def emit(self, type: str, data: dict, audience: Audience) -> ev.Event:
        event = ev.Event(type, data, audience, self.actor)
        self.events.append(event)
        return event

    def apply(self, effects: Effects, pairs: Iterable[tuple[str, str]], reason: str) -> None:
        for indicator_id, delta in effects.indicators.items():
            self.change_indicator(indicator_id, delta, reason)
        if effects.trust or effects.readiness:
            for key in [pair(*p) for p in effects.pairs] or pairs:
                self.change_relation(key, effects.trust, effects.readiness, reason)

    def change_indicator(self, indicator_id: str, delta: int, reason: str) -> None:
        indicator = self.state.deck.indicator(indicator_id)
        old = self._indicators[indicator_id]
        new = max(indicator.min, min(indicator.max, old + delta))
        if new == old:
            return
        self._indicators[indicator_id] = new
        self.emit(ev.INDICATOR_CHANGED, {"indicator": indicator_id, "name": indicator.name, "delta": new - old,
                                         "value": new, "reason": reason}, indicator_audience(indicator))
        for threshold in indicator.thresholds:
            crossed = (old < threshold.at <= new) if threshold.rising else (old > threshold.at >= new)
            if crossed:
                self.emit(ev.THRESHOLD_CROSSED, {"indicator": indicator_id, "name": indicator.name,
                                                 "at": threshold.at, "value": new, "note": threshold.note},
                          Audience.umpire_only())

    def change_relation(self, key: tuple[str, str], trust: int, readiness: int, reason: str) -> None:
        current = self._relations.get(key)
        if current is None:
            return
        top = len(self.state.deck.readiness_ladder) - 1
        new_trust = max(0, min(100, current.trust + trust))
        new_readiness = max(0, min(top, current.readiness + readiness))
        if (new_trust, new_readiness) == (current.trust, current.readiness):
            return
        self._relations[key] = RelationState(new_trust, new_readiness)
        self.emit(ev.RELATION_CHANGED, {
            "between": list(key), "trust": new_trust, "readiness": new_readiness,
            "readiness_label": self.state.deck.readiness_ladder[new_readiness],
            "trust_delta": new_trust - current.trust, "readiness_delta": new_readiness - current.readiness,
            "reason": reason}, Audience.of(key))

    def indicator_value(self, indicator_id: str) -> int:
        return self._indicators[indicator_id]
