"""Polls: noisy public readings of an indicator that only some see.

Some numbers are known to one delegation and guessed at by the rest: how far Ukrainians will follow their
government into a settlement is Kyiv's to feel, and the world reads it in opinion polls (the notes cite one:
84% of Ukrainians against any territorial concession, July 2022). A deck makes such an indicator private
(``visible_to``) and publishes readings of it: an effect's ``polls`` (usually an inject's: "a new poll"),
or the umpire's ``publish_poll``. Each reading is the true value plus an error of at most ``margin`` points
(triangular, so small errors are likelier), drawn from the exercise's seed and the log's position, within
the indicator's bounds, and goes to everyone. The reading says nothing of the true value but its margin.
"""

from __future__ import annotations

import random
from types import MappingProxyType

from .audience import Audience
from .core import Description, Int, Outcome, Ref, command, decides, event, evolves, initial, record, replace, \
    view
from .deck import EVERYONE, PollSpec
from .errors import RuleError
from .guards import umpire
from .visibility import sees

MAX_MARGIN = 50


# ---- state -----------------------------------------------------------------------------------------


@record
class Reading:
    value: int
    margin: int
    seq: int
    phase: str | None  # the phase's name when published; None before the first phase
    audience: Audience


@initial
def _initial(deck) -> dict:
    return {"polls": MappingProxyType({})}


# ---- commands ----------------------------------------------------------------------------------------


@command("publish_poll")
class PublishPoll:
    """Exercise control publishes a reading of ``indicator`` to everyone, off by at most ``margin`` points."""

    indicator: Ref
    margin: Int(1, MAX_MARGIN) = 5


# ---- events ------------------------------------------------------------------------------------------


@event("poll_published")
class PollPublished:
    indicator: str
    name: str
    reading: int
    margin: int

    def describe(self, deck) -> Description:
        return Description("indicator", f"Poll: {self.name} {self.reading} (±{self.margin})",
                           "An estimate; the true value may differ by up to the margin.")


# ---- rules -------------------------------------------------------------------------------------------


def reading(state, indicator_id: str, margin: int, draw: str) -> int:
    """The true value plus a triangular error of at most ``margin``, within the indicator's bounds; ``draw``
    names the draw (the same name always gives the same error for an exercise)."""
    indicator = state.deck.indicator(indicator_id)
    error = round(random.Random(f"{state.seed}:poll:{draw}").triangular(-margin, margin, 0))
    return max(indicator.min, min(indicator.max, state.indicators[indicator_id] + error))


def publish_polls(out: Outcome, polls: tuple[PollSpec, ...], act: bool = False) -> None:
    """One reading of each poll's indicator, to everyone (``act``: the umpire's own move)."""
    for n, poll in enumerate(polls):
        indicator = out.state.deck.indicator(poll.indicator)
        value = reading(out.state, poll.indicator, poll.margin, f"{out.before.seq}:{len(out.events)}:{n}")
        (out.act if act else out.consequence)(PollPublished(indicator.id, indicator.name, value, poll.margin),
                                              Audience.all())


@decides(PublishPoll)
def _publish(out: Outcome, cmd: PublishPoll) -> None:
    umpire(out.actor)
    indicator = out.state.deck.indicator(cmd.indicator)
    if indicator is None:
        raise RuleError("not_found", f"There is no indicator '{cmd.indicator}'.", {"indicator": "unknown"})
    if indicator.visible_to == EVERYONE:
        raise RuleError("conflict", f"Everyone already sees “{indicator.name}”: a poll would tell nobody anything.",
                        {"indicator": "public"})
    publish_polls(out, (PollSpec(cmd.indicator, cmd.margin),), act=True)


@evolves(PollPublished)
def _published(state, e: PollPublished, event):
    phase = state.deck.phases[state.clock.phase_index].name if state.clock.phase_index >= 0 else None
    readings = state.polls.get(e.indicator, ()) + (Reading(e.reading, e.margin, event.seq, phase, event.audience),)
    return replace(state, polls=MappingProxyType({**state.polls, e.indicator: readings}))


# ---- view --------------------------------------------------------------------------------------------


@view("polls", reads=("polls",), key="indicator")
def _polls(state, viewer) -> list[dict] | None:
    """The readings published to the viewer, by indicator in the deck's order, oldest first:
    ``[{indicator, name, margin, readings: [{value, margin, seq, phase}]}]`` (``margin`` the latest's)."""
    shown = []
    for indicator in state.deck.indicators:
        readings = [r for r in state.polls.get(indicator.id, ()) if sees(viewer, r.audience)]
        if readings:
            shown.append({"indicator": indicator.id, "name": indicator.name, "margin": readings[-1].margin,
                          "readings": [{"value": r.value, "margin": r.margin, "seq": r.seq, "phase": r.phase}
                                       for r in readings]})
    return shown or None
