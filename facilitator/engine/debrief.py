"""The debrief: how each delegation's objectives and red lines came out, the deck's questions, and what the
umpire puts before the room once the exercise has ended.

A deck may give an objective or a red line a *measure* (``deck.Measure``): an indicator's value at the end
against a bound, an agreement with a clause type in force at the end (or none), a pair's trust or readiness
at the end. ``assessment(state)`` tells each one: an objective met or not, a red line crossed or not (its
measure says what crossing looks like), ``None`` where the deck gives no measure.

Objectives and red lines are private: a delegation's assessment is its own and exercise control's until the
umpire reveals it to the room (``reveal_debrief``, an event for everyone). The umpire also leads the room
through the deck's questions one by one (``show_debrief_question``, an event for everyone): every screen
shows the question and what it looks at. Both are allowed only once the exercise has ended; each record
keeps the audience of the event that made it, so the one visibility boundary decides who sees it.
"""

from __future__ import annotations

from dataclasses import field, replace
from types import MappingProxyType
from typing import Mapping

from .audience import Audience
from .core import Description, Int, Outcome, Ref, command, decides, event, evolves, initial, names, record, view
from .deck import Deck, Goal, Measure
from .errors import RuleError
from .guards import known_delegations, umpire
from .participants import private_audience
from .proposals import IN_FORCE
from .secret_cards import secret_objectives
from .state import pair
from .visibility import sees

ALL = "all"  # reveal every delegation at once
MAX_QUESTIONS = 99

# ---- state -----------------------------------------------------------------------------------------


@record
class Reveal:
    seq: int  # of the event that revealed it
    audience: Audience  # of that event


@record
class Debrief:
    """What the umpire has put before the room: the question shown (its index in the deck's ``debrief``, or
    None) and the delegations whose assessment was revealed, each with the event that did it."""

    question: int | None = None
    question_audience: Audience | None = None
    revealed: Mapping[str, Reveal] = field(default_factory=lambda: MappingProxyType({}))


@initial
def _initial(deck) -> dict:
    return {"debrief": Debrief()}


# ---- measuring (pure functions of the state) ---------------------------------------------------------


def _rung(deck: Deck, rung: int | str) -> int:
    return deck.readiness_ladder.index(rung) if isinstance(rung, str) else rung


def describe_measure(deck: Deck, m: Measure) -> str:
    """The measure in words: what must hold at the end."""
    kind = m.kind
    if kind == "indicator":
        name = deck.indicator(m.indicator).name
        return f"{name} at least {m.at_least} at the end" if m.at_least is not None \
            else f"{name} at most {m.at_most} at the end"
    if kind == "agreement":
        title = deck.clause_type(m.agreement).title
        return f"{'an' if m.in_force else 'no'} agreement with “{title}” in force at the end"
    if kind == "trust":
        return f"trust between {names(deck, m.pair)} at least {m.trust_at_least} at the end"
    label = deck.readiness_ladder[_rung(deck, m.readiness_at_least)]
    return f"readiness between {names(deck, m.pair)} at “{label}” or higher at the end"


def judge(state, m: Measure) -> tuple[bool, str, str | None]:
    """Whether measure ``m`` holds in ``state``, what the state shows, and the bound, in words:
    ``(True, "Support for a deal ended at 41", "36 or more")`` (no bound for an agreement: its words say it)."""
    deck = state.deck
    kind = m.kind
    if kind == "indicator":
        indicator = deck.indicator(m.indicator)
        value = state.indicators[indicator.id]
        shown = f"{indicator.name} ended at {value}"
        if m.at_least is not None:
            return value >= m.at_least, shown, f"{m.at_least} or more"
        return value <= m.at_most, shown, f"{m.at_most} or less"
    if kind == "agreement":
        title = deck.clause_type(m.agreement).title
        found = [p for p in state.proposals.items if p.status == IN_FORCE
                 and any(c.clause_type == m.agreement for c in p.clauses)]
        if found:
            which = ", ".join(f"#{p.number} “{p.title}”" for p in found)
            shown = f"“{title}” is in force (agreement{'s' if len(found) > 1 else ''} {which})"
        else:
            shown = f"no agreement in force has “{title}”"
        return bool(found) == m.in_force, shown, None
    relation = state.relations.get(pair(*m.pair))
    ladder = deck.readiness_ladder
    if kind == "trust":
        value = relation.trust if relation is not None else 0
        return value >= m.trust_at_least, f"trust ended at {value}", f"{m.trust_at_least} or more"
    rung = _rung(deck, m.readiness_at_least)
    value = relation.readiness if relation is not None else 0
    return value >= rung, f"readiness ended at “{ladder[value]}”", f"“{ladder[rung]}” or higher"


def _assess(state, goal: Goal, red_line: bool) -> dict:
    word = "crossed" if red_line else "met"
    if goal.measure is None:
        return {"text": goal.text, "measure": None, word: None, "detail": None}
    holds, shown, bound = judge(state, goal.measure)
    detail = shown if bound is None else f"{shown} (the line: {bound})" if red_line else f"{shown} (needed {bound})"
    return {"text": goal.text, "measure": describe_measure(state.deck, goal.measure), word: holds,
            "detail": detail[:1].upper() + detail[1:]}


def assessment(state) -> list[dict]:
    """Each delegation's objectives and red lines against the state: ``[{delegation, name, objectives: [{text,
    measure, met, detail}], red_lines: [{text, measure, crossed, detail}]}]``, in deck order. ``measure`` is the
    measure in words and ``met`` / ``crossed`` a boolean where the deck gives a measure; else both are None
    (and ``detail`` too). Meant for the end of the exercise; it reads the state as it is."""
    return [{"delegation": d.id, "name": d.name,
             "objectives": [_assess(state, g, False) for g in d.objectives + secret_objectives(state, d.id)],
             "red_lines": [_assess(state, g, True) for g in d.red_lines]} for d in state.deck.delegations]


def focus_view(focus) -> dict | None:
    """A question's focus as plain data: ``{indicator}``, ``{pair}`` or ``{events}``; None without one."""
    if focus is None:
        return None
    if focus.indicator is not None:
        return {"indicator": focus.indicator}
    if focus.pair is not None:
        return {"pair": list(focus.pair)}
    return {"events": list(focus.events)}


def questions(deck: Deck) -> list[dict]:
    """The deck's debrief questions: ``[{question, focus}]``."""
    return [{"question": q.question, "focus": focus_view(q.focus)} for q in deck.debrief]


# ---- commands ----------------------------------------------------------------------------------------

DEBRIEF_MOVES = ("debrief_question_shown",)


@command("reveal_debrief", after_end=True, conflicts=("debrief_revealed",))
class RevealDebrief:
    """Put a delegation's objectives and red lines, and how they came out, before everyone (``all``: every
    delegation's not yet revealed). Only once the exercise has ended."""

    delegation: Ref


@command("show_debrief_question", after_end=True, conflicts=DEBRIEF_MOVES)
class ShowDebriefQuestion:
    """Show everyone debrief question ``index`` (from 0, in deck order); null: no question (back to the
    summary). Only once the exercise has ended."""

    index: Int(0, MAX_QUESTIONS) | None = None


# ---- events ------------------------------------------------------------------------------------------


@event("debrief_revealed")
class DebriefRevealed:
    delegations: tuple[str, ...]

    def describe(self, deck) -> Description:
        return Description("debrief", f"Debrief: {names(deck, self.delegations)}'s objectives and red lines "
                                      "revealed to the room")


@event("debrief_question_shown")
class DebriefQuestionShown:
    index: int | None  # None: no question shown
    question: str | None

    def describe(self, deck) -> Description:
        if self.index is None:
            return Description("debrief", "Debrief: back to the summary")
        return Description("debrief", f"Debrief question {self.index + 1}", self.question)


# ---- rules -------------------------------------------------------------------------------------------


def _ended(state) -> None:
    if not state.ended:
        raise RuleError("not_ended", "The debrief begins once the exercise has ended.")


@decides(RevealDebrief)
def _reveal(out: Outcome, cmd: RevealDebrief) -> None:
    umpire(out.actor)
    state = out.state
    _ended(state)
    revealed = state.debrief.revealed
    if cmd.delegation == ALL:
        ids = tuple(d for d in state.deck.delegation_ids() if d not in revealed)
        if not ids:
            raise RuleError("conflict", "Every delegation's objectives are already before the room.")
    else:
        ids = known_delegations(state, [cmd.delegation], "delegation")
        if cmd.delegation in revealed:
            raise RuleError("conflict", f"{names(state.deck, ids)}'s objectives are already before the room.")
    out.act(DebriefRevealed(ids), Audience.all())


@decides(ShowDebriefQuestion)
def _show(out: Outcome, cmd: ShowDebriefQuestion) -> None:
    umpire(out.actor)
    state = out.state
    _ended(state)
    asked = state.deck.debrief
    if cmd.index is not None and not 0 <= cmd.index < len(asked):
        raise RuleError("invalid", f"This deck has {len(asked)} debrief questions: give an index from 0 to "
                                   f"{len(asked) - 1}." if asked else "This deck has no debrief questions.",
                        {"index": f"0 to {len(asked) - 1}" if asked else "no questions"})
    if cmd.index == state.debrief.question:
        raise RuleError("conflict", "No question is shown." if cmd.index is None
                        else f"Question {cmd.index + 1} is already shown.")
    text = asked[cmd.index].question if cmd.index is not None else None
    out.act(DebriefQuestionShown(cmd.index, text), Audience.all())


@evolves(DebriefRevealed)
def _revealed(state, e: DebriefRevealed, event):
    revealed = {**state.debrief.revealed, **{d: Reveal(event.seq, event.audience) for d in e.delegations}}
    return replace(state, debrief=replace(state.debrief, revealed=MappingProxyType(revealed)))


@evolves(DebriefQuestionShown)
def _shown(state, e: DebriefQuestionShown, event):
    return replace(state, debrief=replace(state.debrief, question=e.index, question_audience=event.audience))


# ---- view --------------------------------------------------------------------------------------------


@view("debrief", reads=())
def _questions(state, viewer) -> list[str] | None:
    """The deck's debrief questions, for exercise control."""
    return [q.question for q in state.deck.debrief] if sees(viewer, Audience.umpire_only()) else None


@view("debrief_question", reads=("debrief",))
def _question(state, viewer) -> dict | None:
    """The question the umpire shows the room: ``{index, count, question, focus}``."""
    shown = state.debrief
    if shown.question is None or shown.question_audience is None or not sees(viewer, shown.question_audience):
        return None
    asked = state.deck.debrief[shown.question]
    return {"index": shown.question, "count": len(state.deck.debrief), "question": asked.question,
            "focus": focus_view(asked.focus)}


@view("assessment", reads=("clock", "indicators", "relations", "proposals", "debrief"), key="delegation")
def _assessment(state, viewer) -> list[dict] | None:
    """Once the exercise has ended: each delegation's assessment the viewer may see (its own; those revealed
    to the room; all, for exercise control), with ``revealed`` and ``revealed_at`` (the seq of the reveal)."""
    if not state.ended:
        return None
    revealed = state.debrief.revealed
    shown = []
    for entry in assessment(state):
        reveal = revealed.get(entry["delegation"])
        own = sees(viewer, private_audience(entry["delegation"]))
        if own or (reveal is not None and sees(viewer, reveal.audience)):
            shown.append({**entry, "revealed": reveal is not None, "revealed_at": reveal.seq if reveal else None})
    return shown
