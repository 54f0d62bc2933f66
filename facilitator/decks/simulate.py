"""Balance simulation: play a deck many times through the engine and tell how its numbers behave.

Each run is a whole exercise, in process: the umpire opens every phase, fires the event list's rows as they
fall due (and, now and then, the rows that have no time, as a controller would), rules on adjudicated cards,
and the cease-fire risks are drawn as the engine draws them at each change of phase. Between, every
delegation moves in turn, a few times a phase, by one of three strategies:

- ``random``: a legal move picked at random (a signal from the hand, a withdrawal, a draft, an amendment, a
  signature, a message, or nothing); a move the rules refuse is replaced by another; a clause that binds only
  beside a text others sign is mostly drafted linked to one, and texts are often linked to give it company;
- ``greedy``: the move that most improves the delegation's own measurable objectives (less its red lines),
  found by trying every move on the state (states are immutable: a try changes nothing). It looks one step
  further: a draft, an amendment or a signature is worth what the text would bring in force, with the rest of
  its package, if the parties still to sign can sign it now and lose nothing by it, discounted for each
  signature it still lacks (and for a link, when a clause binds only beside a text others sign and one of the
  text's parties could link one: ``in_package_with``); a signal
  is worth what its answer would bring, if one it speaks to holds a card that answers it. An indicator is read
  as the end will find it if its drift goes on. Partial progress counts: an indicator nearer its bound, a pair
  nearer its rung, the way to a table that waits for readiness. With nothing to gain it makes the free move
  that most helps the others (weighed by its trust in each), else signs what costs it nothing, else waits;
- ``scripted``: the moves a file gives, phase by phase (exploits, set pieces): see ``parse_script``. A script
  is checked whole before the first run (phases, movers, every command through the server's wire schema);
  a move the rules refuse during a run is listed by the report, with the engine's code and message.

``simulate`` returns a ``Simulation``: per indicator the spread of final values and how often it ends at a
bound; per objective and red line (measured as the debrief measures them) how often met or crossed; per card
and clause type how often played or brought into force and the average change of each indicator it came
with; what no run reached; moves that lift a delegation's objectives far above its other runs.
``Simulation.report()`` is the text; ``Simulation.check(quality)`` the breaches of a deck's ``quality:``
limits (``deck.Quality``), each said with its figures.

Pure: the engine and the deck records only (and YAML/JSON for a script file, the wire schemas for its moves).
"""

from __future__ import annotations

import dataclasses
import json
import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

import yaml

from facilitator.engine import (
    Actor,
    AdvancePhase,
    AmendProposal,
    Clause,
    DraftProposal,
    FireDueInjects,
    FireInject,
    PlaySignal,
    PostMessage,
    RuleError,
    SignProposal,
    WithdrawSignal,
    initial_state,
    run,
)
from facilitator.engine.adjudication import AdjudicateMove, SubmitMove
from facilitator.engine.audience import DELEGATION, UMPIRE_ACTOR
from facilitator.engine.ceasefire import CeasefireCollapsed, CeasefireIncident
from facilitator.engine.deck import Deck, Measure, Quality
from facilitator.engine.indicators import IndicatorChanged, ThresholdCrossed, pairs_among
from facilitator.engine.indicators import holds as condition_holds
from facilitator.engine.injects import InjectFired
from facilitator.engine.proposals import IN_FORCE, AgreementInForce, ProposalDrafted, lacking_company, package_of
from facilitator.engine.signals import answers_in_kind
from facilitator.schemas import CLIENT_COMMANDS, WireError, load_command

STRATEGIES = ("random", "greedy", "scripted")
ROUNDS = 3  # turns of every delegation in a phase
TRIES = 4  # random moves tried before a delegation passes
UNSCHEDULED = 0.5  # odds a row with no time is fired at some point of a run (spread over its rounds)
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
DOMINANT_LIFT = 0.25  # objectives-met rate with a move, above the rate without it, that makes it dominant
MIN_SUPPORT = 0.05  # a move must be made, and not made, in this share of runs to be judged
RECENT = 2  # greedy: amendments are tried on the latest texts open at each table only
LOOKAHEAD = 0.8  # greedy: a text not yet in force is worth what it would bring in force, times this per signature
#                  it still lacks (so signing a text beats drafting it again, and the last signature counts in full)


# ---- moves -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    """A command by a delegation (or ``umpire``), with its kind (``play``, ``submit``, ``withdraw``, ``draft``,
    ``amend``, ``sign``, ``post``) and what it concerns (a card id, clause type ids)."""

    by: str
    command: object
    kind: str
    subject: tuple[str, ...] = ()


def _others(deck: Deck, me: str) -> list[str]:
    return [d.id for d in deck.delegations if d.id != me]


def _offerable(deck: Deck, table, me: str) -> list[str]:
    return [k.id for k in deck.clause_types
            if (not k.offered_by or me in k.offered_by) and all(p in table.delegations for p in k.requires_parties)]


def _plays(state, me: str, rng: random.Random | None) -> list[Move]:
    """Cards from the hand: each way it may be played (random: one way, picked)."""
    deck, moves = state.deck, []
    for card_id in state.signals.hands.get(me, ()):
        card = deck.signal(card_id)
        if card.adjudicated is not None:
            moves.append(Move(me, SubmitMove(f"Card: {card.title}", card=card.id), "submit", (card.id,)))
            continue
        others = _others(deck, me)
        privately = [tuple(t for t in card.toward if t != me)] if card.toward else [(o,) for o in others]
        ways = ([()] if card.visibility != "private" else []) + ([t for t in privately if t]
                                                               if card.visibility != "public" else [])
        if rng is not None and ways:
            ways = [rng.choice(ways)]
        moves += [Move(me, PlaySignal(card.id, to=to), "play", (card.id,)) for to in ways]
    return moves


def _withdrawals(state, me: str) -> list[Move]:
    return [Move(me, WithdrawSignal(p.number), "withdraw", (p.card,)) for p in state.signals.plays
            if p.by == me and p.active and state.deck.signal(p.card).reversible]


def _tables(state, me: str) -> list:
    return [t for t in state.deck.tables if me in t.seated and state.table_open(t.id)]


def _drafts(state, me: str, rng: random.Random | None) -> list[Move]:
    """One-clause drafts at every open table the delegation sits at (random: one, sometimes of two clauses); a
    clause that enters into force only beside a text others sign (``in_package_with``) is also drafted linked to
    each text of theirs the delegation sees (random: to one, when there is one)."""
    moves = []
    for table in _tables(state, me):
        kinds = _offerable(state.deck, table, me)
        picks = [(k,) for k in kinds]
        if rng is not None and picks:
            picks = [tuple(rng.sample(kinds, min(len(kinds), rng.choice((1, 1, 2)))))]
        for p in picks:
            ways = [()] + [(q.number,) for q in _company(state, me, set(table.delegations), p)]
            if rng is not None:
                ways = [ways[-1] if len(ways) > 1 and rng.random() < 0.8 else ()]
            moves += [Move(me, DraftProposal(table.id, "Draft", tuple(Clause(k) for k in p), links), "draft", p)
                      for links in ways]
    return moves


def _company(state, me: str, parties: set[str], clause_types) -> list:
    """The texts the delegation sees (``_live``) whose parties give what the clause types ask for beside them
    (``in_package_with``) and ``parties`` lack: for a draft."""
    wanted = {d for k in clause_types for d in state.deck.clause_type(k).in_package_with} - parties
    return [q for q in _live(state, me) if wanted & set(q.parties)] if wanted else []


def _needy(state) -> dict[frozenset, set[str]]:
    """The packages of open or signed texts that lack company a clause of theirs asks for (the engine's
    ``lacking_company``), with what each lacks; none, at once, in a deck without ``in_package_with``."""
    found = {}
    if not any(k.in_package_with for k in state.deck.clause_types):
        return found
    for q in state.proposals.items:
        if q.status in ("open", "signed") and any(state.deck.clause_type(c.clause_type).in_package_with
                                                  for c in q.clauses):
            package = frozenset(package_of(state, q.number))
            if package not in found:
                found[package] = lacking_company(state, q.number)
    return {package: lacking for package, lacking in found.items() if lacking}


def _links(state, me: str, p, needy: dict[frozenset, set[str]]) -> list:
    """The texts the delegation sees that, linked to ``p``, give company ``p``'s package lacks, or take company to
    theirs (``needy``: ``_needy(state)``)."""
    if not needy:
        return []
    mine = next((package for package in needy if p.number in package), frozenset())
    found = []
    for q in _live(state, me):
        if q.number == p.number or q.number in mine:
            continue
        theirs = next((package for package in needy if q.number in package), None)
        if (mine and set(q.parties) & needy[mine]) or (theirs is not None and set(p.parties) & needy[theirs]):
            found.append(q)
    return found


def _live(state, me: str) -> list:
    """Proposals still open at a table where the delegation sits (it was told of them: it sits there)."""
    seated = {t.id for t in _tables(state, me)}
    return [p for p in state.proposals.items if p.status in ("open", "signed") and p.table in seated]


def _signatures(state, me: str) -> list[Move]:
    return [Move(me, SignProposal(p.number, p.version), "sign", tuple(c.clause_type for c in p.clauses))
            for p in _live(state, me) if me in p.parties and me not in p.signatures]


def _amendments(state, me: str, rng: random.Random | None) -> list[Move]:
    """Add one clause the delegation may offer, or drop one, or link the text to one that gives what a clause of
    its package asks for beside it (``in_package_with``; random: one such amendment)."""
    moves, needy = [], _needy(state)
    for p in _live(state, me):
        table = state.deck.table(p.table)
        have = [c.clause_type for c in p.clauses]
        options = [(have + [k], None) for k in _offerable(state.deck, table, me) if k not in have]
        options += [(have[:i] + have[i + 1:], None) for i in range(len(have))] if len(have) > 1 else []
        linking = [(have, tuple(sorted({*p.links, q.number}))) for q in _links(state, me, p, needy)]
        if rng is not None and linking and rng.random() < 0.5:  # (a link is one option among many otherwise)
            options = linking
        else:
            options += linking
        if rng is not None and options:
            options = [rng.choice(options)]
        moves += [Move(me, AmendProposal(p.number, tuple(Clause(k) for k in kinds), links=links,
                                         version=p.version), "amend", tuple(kinds)) for kinds, links in options]
    return moves


def _posts(state, me: str) -> list[Move]:
    return [Move(me, PostMessage(f"table:{t.id}", "Our position stands."), "post") for t in _tables(state, me)][:1]


def candidates(state, me: str, rng: random.Random | None = None) -> dict[str, list[Move]]:
    """The moves a delegation may try now, by kind (each tried through the engine, which has the last word)."""
    return {"play": _plays(state, me, rng), "withdraw": _withdrawals(state, me), "draft": _drafts(state, me, rng),
            "amend": _amendments(state, me, rng), "sign": _signatures(state, me), "post": _posts(state, me)}


# ---- what a delegation wants: the debrief's measures, with partial progress for the greedy ------------------


def holds(state, m: Measure) -> bool:
    """As ``debrief.judge`` decides, without its words (this runs for every try of the greedy strategy)."""
    if m.indicator is not None:
        value = state.indicators[m.indicator]
        return value >= m.at_least if m.at_least is not None else value <= m.at_most
    if m.agreement is not None:
        found = any(p.status == "in_force" and any(c.clause_type == m.agreement for c in p.clauses)
                    for p in state.proposals.items)
        return found == m.in_force
    relation = state.relations.get(tuple(sorted(m.pair)))
    if m.trust_at_least is not None:
        return (relation.trust if relation else 0) >= m.trust_at_least
    rung = m.readiness_at_least
    rung = state.deck.readiness_ladder.index(rung) if isinstance(rung, str) else rung
    return (relation.readiness if relation else 0) >= rung


def at_the_end(state, indicator_id: str) -> int:
    """The indicator's value when the exercise ends, if it keeps drifting as it does now (``per_phase`` at each
    change of phase still to come, while its ``drift_while`` holds as now): what the debrief will read."""
    value, ind = state.indicators[indicator_id], state.deck.indicator(indicator_id)
    if not ind.per_phase or not condition_holds(state, ind.drift_while):
        return value
    changes = max(0, len(state.deck.phases) - 1 - max(0, state.clock.phase_index))
    return max(ind.min, min(ind.max, value + ind.per_phase * changes))


def progress(state, m: Measure) -> float:
    """1 when the measure holds at the end, as far as can be told now; else how near it is, in [0, 0.5). An
    indicator is read as it will stand at the end if its drift goes on (``at_the_end``), since the debrief reads
    the end; an agreement not in force counts only the way to a table it needs (texts are valued by what they
    would bring in force: see ``Outlook.worth``)."""
    deck = state.deck
    if m.indicator is not None:
        value = at_the_end(state, m.indicator)
        gap = (m.at_least - value) if m.at_least is not None else (value - m.at_most)
        if gap <= 0:
            return 1.0
        ind = deck.indicator(m.indicator)
        return 0.5 * max(0.0, 1 - gap / max(1, ind.max - ind.min))
    if holds(state, m):
        return 1.0
    if m.agreement is not None:
        return _way_to_table(state, m.agreement) if m.in_force else 0.0
    relation = state.relations.get(tuple(sorted(m.pair)))
    if m.trust_at_least is not None:
        return 0.5 * max(0.0, 1 - (m.trust_at_least - (relation.trust if relation else 0)) / 100)
    rung = m.readiness_at_least
    rung = deck.readiness_ladder.index(rung) if isinstance(rung, str) else rung
    return 0.5 * max(0.0, 1 - (rung - (relation.readiness if relation else 0)) / max(1, len(deck.readiness_ladder)))


def _way_to_table(state, clause_type: str) -> float:
    """How far the pairs of a table that waits for readiness (``min_readiness``) have climbed toward it, where the
    clause may be drafted, in [0, 0.05]: a text that needs a channel first is nearer once the channel opens."""
    kind, best = state.deck.clause_type(clause_type), 0.0
    for table in state.deck.tables:
        if not table.min_readiness or (kind.tables and table.id not in kind.tables) \
                or any(d not in table.delegations for d in kind.requires_parties + kind.signatories):
            continue
        rungs = [state.relations[key].readiness for key in pairs_among(table.delegations) if key in state.relations]
        best = max(best, 0.05 * min((min(1.0, r / table.min_readiness) for r in rungs), default=1.0))
    return best


def score(state, me: str) -> float:
    """How well the delegation stands by its measurable objectives, less its measurable red lines (``progress``;
    a red line on an agreement counts only once crossed, the way to a table being no step toward it)."""
    d = state.deck.delegation(me)
    return (sum(progress(state, g.measure) for g in d.objectives if g.measure is not None)
            - sum(progress(state, g.measure) if g.measure.agreement is None else float(holds(state, g.measure))
                  for g in d.red_lines if g.measure is not None))


# ---- strategies --------------------------------------------------------------------------------------


WEIGHTS = {"play": 4, "sign": 4, "draft": 2, "amend": 1, "withdraw": 1, "post": 1}


class RandomPlayer:
    """A legal move at random, for every delegation, each turn; now and then nothing."""

    name = "random"

    def turn(self, game: Game, me: str) -> None:
        for _ in range(TRIES):
            options = {k: v for k, v in candidates(game.state, me, game.rng).items() if v}
            if not options or game.rng.random() < 0.1:
                return
            kinds = list(options)
            kind = game.rng.choices(kinds, [WEIGHTS[k] for k in kinds])[0]
            if game.play(game.rng.choice(options[kind])):
                return


def concerns(deck: Deck, me: str) -> Callable[[str, str], bool]:
    """Whether a clause type agreed at a table can move anything ``me`` measures (an agreement it names, an
    indicator, one of its pairs, the readiness on the way to a table it needs): directly, through a signing cost,
    through the drift a cease-fire stops, or through the thresholds its moves cross. A text of clauses that move
    nothing it measures is not worth looking ahead for."""
    d = deck.delegation(me)
    measures = [g.measure for g in d.objectives + d.red_lines if g.measure is not None]
    indicators = {m.indicator for m in measures if m.indicator is not None}
    agreements = {m.agreement for m in measures if m.agreement is not None}
    pairs = {tuple(sorted(m.pair)) for m in measures if m.pair}
    for m in (g.measure for g in d.objectives if g.measure is not None):  # a text that needs a channel first:
        if m.agreement is not None and m.in_force:                         # the readiness of that table's pairs
            kind = deck.clause_type(m.agreement)
            pairs |= {key for t in deck.tables if t.min_readiness and (not kind.tables or t.id in kind.tables)
                      for key in pairs_among(t.delegations)}
    known: dict[tuple[str, str], bool] = {}

    def reached(kind) -> tuple[set, bool]:
        effects = [kind.effects, *kind.signing_costs.values()]
        moved = {i for e in effects for i in e.indicators}
        if kind.establishes_ceasefire:  # a cease-fire starts or stops the drifts that depend on one
            moved |= {i.id for i in deck.indicators if i.drift_while and i.drift_while.ceasefire is not None}
        frontier = list(moved)
        while frontier:
            ind = deck.indicator(frontier.pop())
            for t in ind.thresholds:
                effects.append(t.effects)
                frontier += [i for i in t.effects.indicators if i not in moved]
                moved |= set(t.effects.indicators)
            for other in deck.indicators:
                if other.drift_while is not None and other.drift_while.indicator == ind.id and other.id not in moved:
                    moved.add(other.id)
                    frontier.append(other.id)
        return moved, any(e.trust or e.readiness for e in effects)

    def matters(table_id: str, clause_type: str) -> bool:
        if (table_id, clause_type) not in known:
            kind, table = deck.clause_type(clause_type), deck.table(table_id)
            moved, relations = reached(kind)
            known[(table_id, clause_type)] = (clause_type in agreements or bool(moved & indicators)
                                              or (relations and bool(pairs & set(pairs_among(table.delegations)))))
        return known[(table_id, clause_type)]

    return matters


class GreedyPlayer:
    """The move that most raises the delegation's own score, looking one step ahead: a text at a table is worth
    what it would bring in force, a signal what its answer would bring. With nothing to gain, the free move that
    most helps the others (weighed by its trust in each), else a free signature, else it waits."""

    name = "greedy"

    def __init__(self):
        self.concerns: dict[str, Callable[[str, str], bool]] = {}
        self.base, self.scores, self.texts = None, {}, {}  # what was read in game.state, kept while it stands

    def matters(self, game: Game, who: str, table: str, clause_types) -> bool:
        """Whether any of these clause types, agreed at ``table``, can move what ``who`` measures (``concerns``)."""
        matters = self.concerns.get(who) or self.concerns.setdefault(who, concerns(game.deck, who))
        return any(matters(table, k) for k in clause_types)

    def turn(self, game: Game, me: str) -> None:
        if game.state is not self.base:
            self.base, self.scores, self.texts = game.state, {}, {}
        state, look = game.state, Outlook(game, me, self)
        now = look.score(state, me)
        best, best_gain, idle, later = None, 1e-9, [], []
        for move in greedy_moves(state, me):
            text = _text_of(state, move)
            if text is not None and not self.matters(game, me, *text):
                later.append(move)  # moves nothing it measures: worth trying only to help the others
                continue
            try:
                _, after = run(state, move.command, game.actors[move.by], game.now)
            except RuleError:
                continue
            number = _number(after, move)
            if number is not None:  # an amendment replaces a text: it is judged against it
                gain = look.worth(after, number, me) - (look.worth(state, number, me) if move.kind == "amend" else now)
            elif move.kind == "play":
                gain = look.answered(after, now)
            else:
                gain = look.score(after, me) - now
            if gain > best_gain or (gain == best_gain and best is not None and game.rng.random() < 0.5):
                best, best_gain = move, gain
            elif gain >= -1e-9:
                idle.append((move, after))
        if best is None:
            for move in later:
                try:
                    idle.append((move, run(state, move.command, game.actors[move.by], game.now)[1]))
                except RuleError:
                    continue
            best = look.most_helpful(state, idle)
            if best is None:
                free = [m for m, _ in idle if m.kind == "sign"]
                best = game.rng.choice(free) if free else None
        if best is not None:
            game.play(best)


def _text_of(state, move: Move) -> tuple[str, set[str]] | None:
    """The table and the clause types a draft, amendment or signature touches (for an amendment, those of the
    text before and after it); None for other moves."""
    if move.kind == "draft":
        return move.command.table, set(move.subject)
    if move.kind in ("amend", "sign"):
        p = state.proposals.get(move.command.proposal)
        return p.table, {c.clause_type for c in p.clauses} | set(move.subject)
    return None


def _number(after, move: Move) -> int | None:
    """The proposal a move drafted, amended or signed (in the state after it)."""
    if move.kind == "draft":
        return len(after.proposals.items)
    return move.command.proposal if move.kind in ("amend", "sign") else None


def greedy_moves(state, me: str) -> list[Move]:
    """The candidates, less messages, drafts of a text already open at the same table, and amendments of any but
    the ``RECENT`` latest texts open at each table (older ones were passed over)."""
    live = [p for p in state.proposals.items if p.status in ("open", "signed")]
    open_texts = {(p.table, frozenset(c.clause_type for c in p.clauses)) for p in live}
    by_table = defaultdict(list)
    for p in live:
        by_table[p.table].append(p.number)
    recent = {n for numbers in by_table.values() for n in numbers[-RECENT:]}
    return [m for ms in candidates(state, me).values() for m in ms if m.kind != "post"
            and not (m.kind == "draft" and (m.command.table, frozenset(m.subject)) in open_texts)
            and not (m.kind == "amend" and m.command.proposal not in recent)]


class Outlook:
    """What a greedy delegation reads in the states its candidate moves lead to, in one turn: scores (read once
    per state), texts valued by what they would bring in force, signals by what their answer would bring."""

    def __init__(self, game: Game, me: str, player: GreedyPlayer):
        self.game, self.me, self.player = game, me, player
        self.scores: dict[int, tuple[object, dict[str, float]]] = player.scores  # id(state) -> (state, scores)
        self.texts: dict[tuple, tuple | None] = player.texts  # a text -> (signed state, signatures it lacked)

    def score(self, state, who: str) -> float:
        entry = self.scores.setdefault(id(state), (state, {}))[1]
        if who not in entry:
            entry[who] = score(state, who)
        return entry[who]

    def worth(self, state, number: int, who: str) -> float:
        """``who``'s score in ``state``, proposal ``number`` counted at what it would bring in force, discounted
        by ``LOOKAHEAD`` for each signature it still lacks, if every party still to sign can sign it now and
        loses nothing by it (its own score); else the score alone."""
        now = self.score(state, who)
        p = state.proposals.get(number)
        if p is None or p.status not in ("open", "signed"):
            return now
        members = [state.proposals.get(n) for n in sorted(package_of(state, number))]
        package = tuple((q.number, q.version, q.status, frozenset(q.signatures)) for q in members)
        key = (p.table, frozenset(c.clause_type for c in p.clauses), package, tuple(state.indicators.values()))
        if key not in self.texts:
            self.texts[key] = self._signed(state, p)
        if self.texts[key] is None:
            return now
        signed, lacking = self.texts[key]
        return now + LOOKAHEAD ** lacking * (self.score(signed, who) - now)

    def _signed(self, state, p) -> tuple | None:
        """The state once the parties still to sign ``p`` and the other texts of its package have signed them,
        and how many steps that took; None if one of the signers cannot sign now or would lose by it, or the
        signatures would not bring ``p`` into force. A package that lacks the company a clause asks for
        (``in_package_with``) is first linked, by one of ``p``'s parties, to a text that gives it (one step)."""
        found = self._sign_all(state, p)
        needy = _needy(state)
        if found is not None or not any(p.number in package for package in needy):
            return found
        for d in p.parties:
            for q in _links(state, d, p, needy):
                command = AmendProposal(q.number, tuple(Clause(c.clause_type, c.terms) for c in q.clauses),
                                        links=tuple(sorted({*q.links, p.number})), version=q.version)
                try:
                    _, linked = run(state, command, self.game.actors[d], self.game.now)
                except RuleError:
                    continue
                found = self._sign_all(linked, p)
                if found is not None and self.score(found[0], d) >= self.score(state, d) - 1e-9:
                    return found[0], found[1] + 1
        return None

    def _sign_all(self, state, p) -> tuple | None:
        """``_signed`` without a link: every party still to sign ``p`` and the rest of its package signs."""
        signed, count, signers = state, 0, set()
        for q in [p] + [state.proposals.get(n) for n in sorted(package_of(state, p.number)) if n != p.number]:
            if q.status == IN_FORCE:
                continue
            for d in q.parties:
                if d in q.signatures:
                    continue
                try:
                    _, signed = run(signed, SignProposal(q.number, q.version), self.game.actors[d], self.game.now)
                except RuleError:
                    return None
                count += 1
                signers.add(d)
        if signed.proposals.get(p.number).status != IN_FORCE or \
                any(self.score(signed, d) < self.score(state, d) - 1e-9 for d in signers):
            return None
        return signed, count

    def answered(self, after, now: float) -> float:
        """The worth to this delegation of the signal it just played (the last play in ``after``): if one it
        speaks to holds a card that would answer it (``answers_in_kind``) and loses nothing by playing it, what
        the answer would bring, discounted by ``LOOKAHEAD``, when more than the play alone brings."""
        me, deck, play = self.me, after.deck, after.signals.plays[-1]
        card, gain = deck.signal(play.card), self.score(after, me) - now
        back = card.on_reciprocated
        if not (back.trust or back.readiness or back.indicators or back.beliefs):
            return gain
        best = gain
        for other in play.addressees:
            for card_id in after.signals.hands.get(other, ()):
                answer = deck.signal(card_id)
                if answer.adjudicated is not None or not answers_in_kind(answer, card):
                    continue
                command = PlaySignal(card_id, to=(me,)) if answer.visibility == "private" else PlaySignal(card_id)
                try:
                    _, answered = run(after, command, self.game.actors[other], self.game.now)
                except RuleError:
                    continue
                if play.number in _answered(answered) and \
                        self.score(answered, other) >= self.score(after, other) - 1e-9:
                    best = max(best, gain + LOOKAHEAD * (self.score(answered, me) - now - gain))
        return best

    def most_helpful(self, state, idle: list[tuple]) -> Move | None:
        """Of moves that cost this delegation nothing, the one that most raises the others' scores, each weighed
        by this delegation's trust in it (texts valued as ``worth`` values them); None if none helps."""
        trust = {d: _trust(state, self.me, d) / 100 for d in self.game.deck.delegation_ids() if d != self.me}
        best, best_help = None, 1e-9
        for move, after in idle:
            number, text, help_ = _number(after, move), _text_of(state, move), 0.0
            for d, w in trust.items():
                if not w:
                    continue
                if number is None or not self.player.matters(self.game, d, *text):
                    help_ += w * (self.score(after, d) - self.score(state, d))
                else:
                    help_ += w * (self.worth(after, number, d) - (self.worth(state, number, d)
                                                                     if move.kind == "amend" else self.score(state, d)))
            if help_ > best_help or (help_ == best_help and best is not None and self.game.rng.random() < 0.5):
                best, best_help = move, help_
        return best


def _trust(state, a: str, b: str) -> int:
    relation = state.relations.get(tuple(sorted((a, b))))
    return relation.trust if relation else 0


def _answered(state) -> set[int]:
    return {p.number for p in state.signals.plays if p.reciprocations}


class ScriptedPlayer:
    """The moves a script gives for each phase, in order (see ``load_script``); delegations do nothing else. A
    move the rules refuse is recorded (``RunRecord.refusals``) and the script goes on."""

    name = "scripted"

    def __init__(self, script: Script):
        self.script = script

    def phase(self, game: Game, index: int) -> None:
        for step in self.script.moves:
            if step.phase != index:
                continue
            command = step.command
            if step.last:  # ``proposal: last``: the latest drafted, as the run stands
                command = dataclasses.replace(command, proposal=len(game.state.proposals.items))
            if not game.play(_scripted(game, step, command)):
                error = game.refusal
                game.record.refusals.append((step.label, error.code, error.message))

    def turn(self, game: Game, me: str) -> None:
        return None


MOVER = "as"  # the key of a scripted move that names who makes it (``by`` is a command's field: adjust_belief)
KINDS = {"play_signal": "play", "submit_move": "submit", "withdraw_signal": "withdraw", "draft_proposal": "draft",
         "amend_proposal": "amend", "sign_proposal": "sign", "post_message": "post"}


class ScriptError(ValueError):
    """A script the simulator cannot play; the message names the file (or ``script``), the entry and the move,
    and what is wrong."""


@dataclass(frozen=True, slots=True)
class ScriptedMove:
    """A move of a script, loaded: the phase it is made in (an index), who makes it, the command as the server
    would load it, and whether its proposal is ``last`` (resolved when it is played)."""

    phase: int
    label: str  # where it stands in the script and what it is, for the report
    by: str
    type: str
    command: object
    last: bool = False


@dataclass(frozen=True)
class Script:
    """A script loaded against a deck (``parse_script``, ``load_script``): its moves, in the order it gives them."""

    source: str
    moves: tuple[ScriptedMove, ...]


def load_script(path: Path, deck: Deck) -> Script:
    """A script file (YAML for ``.yaml``/``.yml``, else JSON), loaded against ``deck`` (``parse_script``). Every
    fault, from an unreadable file to a bad field of a move, is one ``ScriptError`` that names the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read the script ({exc.strerror or exc}).") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise ScriptError(f"{path}: not a text file (a script is YAML or JSON text, in UTF-8).")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
            raise ScriptError(f"{path}: not valid YAML ({where}{getattr(exc, 'problem', None) or exc}).") from None
        except RecursionError:
            raise ScriptError(f"{path}: not valid YAML (nested too deep).") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScriptError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
        except (ValueError, RecursionError) as exc:
            raise ScriptError(f"{path}: not valid JSON ({exc or 'nested too deep'}).") from None
    return parse_script(data, deck, str(path))


def parse_script(data, deck: Deck, source: str = "script") -> Script:
    """A script: a list of ``{phase: id or number from 1, moves: [...]}``. Each move names who makes it
    (``as``: a delegation id, or ``umpire``, the default) and the command as a client sends it (``type`` and
    its fields), e.g. ``{as: russia, type: play_signal, card: ru-port-pause}``; a move is loaded through the
    wire schema the server loads commands with, so a field it would refuse is refused here. A ``proposal`` may
    be ``last`` (the latest drafted when the move is played); ``clauses`` may be clause type ids. Checked
    against ``deck``: the phases and the movers exist. Raises ``ScriptError``, naming ``source``."""
    def fault(message: str) -> ScriptError:
        return ScriptError(f"{source}: {message}")

    shape = "a script is a list of entries {phase: id or number, moves: [...]}"
    if data is None:
        raise fault(f"empty: {shape}.")
    if not isinstance(data, list):
        raise fault(f"{shape}, not {_a(data)}.")
    if not data:
        raise fault(f"{shape}; this one has no entry.")
    moves = []
    for e, entry in enumerate(data, 1):
        if not isinstance(entry, Mapping):
            raise fault(f"entry {e} is {_a(entry)}: {shape}.")
        unknown = [str(k) for k in entry if k not in ("phase", "moves")]
        if unknown:
            raise fault(f"entry {e}: unknown key(s) {', '.join(map(repr, unknown))}: an entry has 'phase' and "
                        "'moves' only.")
        if "phase" not in entry:
            raise fault(f"entry {e}: no 'phase' (a phase id or number from 1).")
        index = _phase(deck, entry["phase"], lambda m, e=e: fault(f"entry {e}: {m}"))
        phase = f"phase {index + 1} '{deck.phases[index].id}'"
        if "moves" not in entry:
            raise fault(f"entry {e} ({phase}): no 'moves' (a list of moves).")
        steps = entry["moves"]
        if not isinstance(steps, list):
            raise fault(f"entry {e} ({phase}): 'moves' is a list of moves, not {_a(steps)}.")
        for j, step in enumerate(steps, 1):
            where = f"entry {e} ({phase}), move {j}"
            moves.append(_scripted_move(deck, step, index, where, lambda m, w=where: fault(f"{w}: {m}")))
    return Script(source, tuple(moves))


def _a(value) -> str:
    """What a value is, in words, for an error message."""
    if value is None:
        return "nothing"
    names = {str: "a string", int: "a number", float: "a number", bool: "true/false", list: "a list",
             dict: "a mapping"}
    word = next((w for t, w in names.items() if type(value) is t), type(value).__name__)
    return f"{word} ({json.dumps(value, default=str)[:60]})" if isinstance(value, (str, int, float)) else word


def _phase(deck: Deck, value, fault) -> int:
    """The index of the phase an entry names (its id, or its number from 1)."""
    ids = [p.id for p in deck.phases]
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(ids):
        return value - 1
    if isinstance(value, str) and value in ids:
        return ids.index(value)
    known = ", ".join(f"{i} '{p}'" for i, p in enumerate(ids, 1))
    raise fault(f"no phase {value!r} in deck '{deck.id}': give a phase id or a number from 1 to {len(ids)} "
                f"({known}).")


def _scripted_move(deck: Deck, step, index: int, where: str, fault) -> ScriptedMove:
    if not isinstance(step, Mapping):
        raise fault(f"a move is a mapping ({MOVER}: who, type: the command, and its fields), not {_a(step)}.")
    step = dict(step)
    movers = ["umpire", *deck.delegation_ids()]
    by = step.pop(MOVER, "umpire")
    if not isinstance(by, str) or by not in movers:
        raise fault(f"'{MOVER}: {by}' is neither umpire nor a delegation of deck '{deck.id}': give one of "
                    f"{', '.join(movers)}.")
    kind = step.get("type")
    cls = CLIENT_COMMANDS.get(kind) if isinstance(kind, str) else None
    if cls is not None and "by" in step and "by" not in {f.name for f in dataclasses.fields(cls)}:
        example = step["by"] if isinstance(step["by"], str) and step["by"] in movers else movers[1]
        raise fault(f"'by' is no field of '{kind}': say who makes a move with '{MOVER}' (e.g. {MOVER}: {example}).")
    envelope = [k for k in ("seq", "command_id") if k in step]
    if envelope:
        raise fault(f"{', '.join(map(repr, envelope))}: the simulator plays moves as they come; leave it out.")
    last = step.get("proposal") == "last"
    if last:
        step["proposal"] = 1  # checked as a number; the latest drafted when the move is played
    if isinstance(step.get("clauses"), list):
        step["clauses"] = [{"clause_type": c} if isinstance(c, str) else c for c in step["clauses"]]
    try:
        command, _ = load_command(step)
    except WireError as exc:
        raise fault(exc.message) from None
    return ScriptedMove(index, f"{where} ({by}: {kind})", by, kind, command, last)


def _scripted(game: Game, step: ScriptedMove, command) -> Move:
    """The move a scripted one makes, as the record counts it (its kind, the card or clause types)."""
    kind = KINDS.get(step.type, step.type)
    if kind in ("play", "submit"):
        subject = (command.card,) if command.card else ()
    elif kind in ("draft", "amend"):
        subject = tuple(c.clause_type for c in command.clauses)
    elif kind == "sign":
        p = game.state.proposals.get(command.proposal)
        subject = tuple(c.clause_type for c in p.clauses) if p else ()
    else:
        subject = ()
    return Move(step.by, command, kind, subject)


# ---- one run -----------------------------------------------------------------------------------------


@dataclass
class RunRecord:
    """What one run did and how it ended."""

    strategy: str
    seed: str
    final: dict[str, int] = field(default_factory=dict)
    met: dict[tuple[str, int], bool] = field(default_factory=dict)  # (delegation, objective index) -> met
    crossed: dict[tuple[str, int], bool] = field(default_factory=dict)  # (delegation, red line index) -> crossed
    plays: Counter = field(default_factory=Counter)  # card -> times played (or submitted)
    card_effects: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # card -> indicator -> sum
    played_by: dict[str, set] = field(default_factory=lambda: defaultdict(set))  # delegation -> cards
    drafted: Counter = field(default_factory=Counter)  # clause type -> drafts holding it
    in_force: Counter = field(default_factory=Counter)  # clause type -> agreements in force holding it
    clause_effects: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    party_to: dict[str, set] = field(default_factory=lambda: defaultdict(set))  # delegation -> clause types in force
    tables: Counter = field(default_factory=Counter)  # table -> proposals drafted there
    thresholds: set = field(default_factory=set)  # (indicator, at)
    injects: set = field(default_factory=set)
    incidents: Counter = field(default_factory=Counter)  # risk rule -> times it occurred
    collapsed: int = 0
    tried: int = 0
    refused: int = 0
    refusals: list = field(default_factory=list)  # scripted moves refused: (move, error code, message)


class Game:
    """One exercise played through the engine."""

    def __init__(self, deck: Deck, player, seed: str):
        self.deck, self.player = deck, player
        self.rng = random.Random(seed)
        self.state = initial_state(deck, seed)
        self.now = START
        self.actors = {d.id: Actor(DELEGATION, d.id, f"sim-{d.id}", d.name) for d in deck.delegations}
        self.actors["umpire"] = UMPIRE_ACTOR
        self.record = RunRecord(player.name, seed)
        self.refusal: RuleError | None = None  # why the last move refused was refused
        unscheduled = [i.id for i in deck.injects if i.schedule is None]
        slots = max(1, len(deck.phases) * ROUNDS)
        self.unscheduled = {i: self.rng.randrange(slots) for i in unscheduled if self.rng.random() < UNSCHEDULED}

    def play(self, move: Move) -> bool:
        """Run a move; False (and nothing changes) when the rules refuse it."""
        rec = self.record
        rec.tried += 1
        try:
            events, self.state = run(self.state, move.command, self.actors[move.by], self.now)
        except RuleError as exc:
            rec.refused += 1
            self.refusal = exc
            return False
        deltas, entered = Counter(), []
        for e in events:
            p = e.payload
            if isinstance(p, IndicatorChanged):
                deltas[p.indicator] += p.delta
            elif isinstance(p, ThresholdCrossed):
                rec.thresholds.add((p.indicator, p.at))
            elif isinstance(p, AgreementInForce):
                entered.append(p)
            elif isinstance(p, ProposalDrafted):
                rec.tables[p.table] += 1
                for c in p.clauses:
                    rec.drafted[c.clause_type] += 1
            elif isinstance(p, InjectFired) and p.inject:
                rec.injects.add(p.inject)
            elif isinstance(p, CeasefireIncident):
                rec.incidents[p.rule] += 1
            elif isinstance(p, CeasefireCollapsed):
                rec.collapsed += 1
        if move.kind in ("play", "submit") and move.subject:
            card = move.subject[0]
            rec.plays[card] += 1
            rec.played_by[move.by].add(card)
            rec.card_effects[card].update(deltas)
        for agreement in entered:
            for c in agreement.clauses:
                rec.in_force[c.clause_type] += 1
                rec.clause_effects[c.clause_type].update(deltas)
                for party in agreement.parties:
                    rec.party_to[party].add(c.clause_type)
        return True

    def umpire(self, command) -> None:
        self.play(Move("umpire", command, "umpire"))

    def run(self) -> RunRecord:
        deck = self.deck
        for index, phase in enumerate(deck.phases):
            began = self.now
            self.umpire(AdvancePhase())
            if isinstance(self.player, ScriptedPlayer):
                self.player.phase(self, index)
            for r in range(ROUNDS):
                self.now = began + timedelta(seconds=phase.minutes * 60 * r / ROUNDS + 1)
                self.umpire(FireDueInjects())
                slot = index * ROUNDS + r
                for inject, at in self.unscheduled.items():
                    if at == slot:
                        self.umpire(FireInject(inject))
                self._adjudicate()
                order = list(deck.delegation_ids())
                self.rng.shuffle(order)
                for me in order:
                    self.player.turn(self, me)
            self._adjudicate()
            self.now = began + timedelta(seconds=phase.minutes * 60 + 1)
        self.umpire(AdvancePhase())  # the last phase completed: the exercise ends
        return self._finish()

    def _adjudicate(self) -> None:
        """Adjudicated cards: the umpire approves each, rolling against the card's odds, with the card's effects."""
        for m in self.state.moves.moves:
            if m.status != "waiting":
                continue
            card = self.deck.signal(m.card) if m.card else None
            if card is None:
                self.umpire(AdjudicateMove(m.number, "rejected"))
                continue
            e = card.effects
            self.umpire(AdjudicateMove(m.number, "approved", odds=card.adjudicated,
                                       indicators=tuple({"indicator": k, "delta": v} for k, v in e.indicators.items()),
                                       trust=e.trust, readiness=e.readiness,
                                       between=tuple(x for x in card.toward if x != m.by),
                                       reason=f"ruling on '{card.title}'"))

    def _finish(self) -> RunRecord:
        rec, state = self.record, self.state
        rec.final = dict(state.indicators)
        for d in self.deck.delegations:
            for i, g in enumerate(d.objectives):
                if g.measure is not None:
                    rec.met[(d.id, i)] = holds(state, g.measure)
            for i, g in enumerate(d.red_lines):
                if g.measure is not None:
                    rec.crossed[(d.id, i)] = holds(state, g.measure)
        return rec


def play_run(deck: Deck, strategy: str, seed: str, script: Script | None = None) -> RunRecord:
    player = {"random": RandomPlayer, "greedy": GreedyPlayer}.get(strategy)
    player = ScriptedPlayer(script or Script("script", ())) if strategy == "scripted" else player()
    return Game(deck, player, seed).run()


# ---- many runs ---------------------------------------------------------------------------------------


def _pct(values: list[int], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass(frozen=True)
class Breach:
    """A quality limit a deck does not keep: which limit, what about, the figures."""

    limit: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.limit}: {self.subject}: {self.message}"


@dataclass
class Simulation:
    """The runs of a deck and what they show (``report``, ``check``)."""

    deck: Deck
    strategy: str
    runs: list[RunRecord]  # the strategy's runs
    greedy: list[RunRecord]  # greedy runs made for reachability (the runs themselves when the strategy is greedy)
    seconds: float

    @property
    def per_second(self) -> float:
        return (len(self.runs) + (0 if self.greedy is self.runs else len(self.greedy))) / max(self.seconds, 1e-9)

    # -- figures ----------------------------------------------------------------------------------------
    def indicators(self) -> list[dict]:
        out = []
        for ind in self.deck.indicators:
            values = [r.final[ind.id] for r in self.runs]
            n = max(1, len(values))
            out.append({"id": ind.id, "min": min(values), "p10": _pct(values, 0.1), "median": _pct(values, 0.5),
                        "p90": _pct(values, 0.9), "max": max(values), "lo": ind.min, "hi": ind.max,
                        "at_min": sum(v == ind.min for v in values) / n, "at_max": sum(v == ind.max for v in values) / n,
                        "at_bound": sum(v in (ind.min, ind.max) for v in values) / n})
        return out

    def goals(self) -> list[dict]:
        """Each measurable objective and red line: ``{ref, delegation, text, red_line, rate, greedy}`` (rate of
        runs where met/crossed; greedy: the same over the greedy runs)."""
        out = []
        for d in self.deck.delegations:
            for red, goals in ((False, d.objectives), (True, d.red_lines)):
                for i, g in enumerate(goals):
                    if g.measure is None:
                        continue
                    key = (d.id, i)

                    def rate(runs, key=key, red=red):
                        return sum((r.crossed if red else r.met)[key] for r in runs) / max(1, len(runs))
                    out.append({"ref": f"{d.id}#{i + 1}", "delegation": d.id, "text": g.text, "red_line": red,
                                "rate": rate(self.runs), "greedy": rate(self.greedy) if self.greedy else None})
        return out

    def _average(self, attr: str, subject: str, count: int) -> dict:
        """The average change per play (or per entry into force) of ``subject``, by indicator."""
        total = Counter()
        for r in self.runs:
            total.update(getattr(r, attr).get(subject, {}))
        return {k: v / count for k, v in total.items() if v} if count else {}

    def cards(self) -> list[dict]:
        n = max(1, len(self.runs))
        out = []
        for card in self.deck.signals:
            plays = sum(r.plays[card.id] for r in self.runs)
            out.append({"id": card.id, "runs": sum(1 for r in self.runs if r.plays[card.id]) / n, "plays": plays,
                        "effects": self._average("card_effects", card.id, plays)})
        return out

    def clauses(self) -> list[dict]:
        n = max(1, len(self.runs))
        out = []
        for k in self.deck.clause_types:
            count = sum(r.in_force[k.id] for r in self.runs)
            out.append({"id": k.id, "drafted": sum(1 for r in self.runs if r.drafted[k.id]) / n,
                        "in_force": sum(1 for r in self.runs if r.in_force[k.id]) / n, "times": count,
                        "effects": self._average("clause_effects", k.id, count)})
        return out

    def refusals(self) -> list[dict]:
        """The scripted moves the rules refused, in the script's order: ``{move, code, message, runs}`` (runs:
        in how many runs it was refused so)."""
        counted: dict[tuple, int] = {}
        for r in self.runs:
            for key in dict.fromkeys(r.refusals):
                counted[key] = counted.get(key, 0) + 1
        return [{"move": m, "code": c, "message": msg, "runs": k} for (m, c, msg), k in counted.items()]

    def unreachable(self) -> dict[str, list[str]]:
        """What no run reached (objectives: no greedy run, when there are greedy runs; else no run)."""
        everything = self.runs + ([] if self.greedy is self.runs else self.greedy)
        used = set().union(*(r.tables for r in everything)) if everything else set()
        crossed = set().union(*(r.thresholds for r in everything)) if everything else set()
        played = set().union(*(set(r.plays) for r in everything)) if everything else set()
        forced = set().union(*(set(r.in_force) for r in everything)) if everything else set()
        fired = set().union(*(r.injects for r in everything)) if everything else set()
        goals = self.goals()
        return {
            "tables": [t.id for t in self.deck.tables if t.id not in used],
            "thresholds": [f"{i.id}@{t.at}" for i in self.deck.indicators for t in i.thresholds
                           if (i.id, t.at) not in crossed],
            "objectives (greedy)": [g["ref"] for g in goals if not g["red_line"] and not g["greedy"]]
            if self.greedy else [],
            "objectives (any run)": [g["ref"] for g in goals if not g["red_line"]
                                     and not any(r.met[(g["delegation"], int(g["ref"].split("#")[1]) - 1)]
                                                 for r in everything)],
            "cards": [c.id for c in self.deck.signals if c.id not in played],
            "clause types in force": [k.id for k in self.deck.clause_types if k.id not in forced],
            "injects": [i.id for i in self.deck.injects if i.id not in fired],
        }

    def dominant(self) -> list[dict]:
        """Moves after which the mover's objectives-met share is far above its share in runs without them."""
        out = []
        runs = self.runs
        if len(runs) < 10:
            return out
        share = {}
        for d in self.deck.delegations:
            keys = [(d.id, i) for i, g in enumerate(d.objectives) if g.measure is not None]
            if keys:
                share[d.id] = [sum(r.met[k] for k in keys) / len(keys) for r in runs]
        for d, shares in share.items():
            moves = [("card", c) for c in self.deck.delegation(d).hand] + \
                    [("clause", k.id) for k in self.deck.clause_types]
            for kind, item in moves:
                made = [(kind == "card" and item in r.played_by.get(d, ())) or
                        (kind == "clause" and item in r.party_to.get(d, ())) for r in runs]
                with_ = [s for s, m in zip(shares, made) if m]
                without = [s for s, m in zip(shares, made) if not m]
                if min(len(with_), len(without)) < MIN_SUPPORT * len(runs):
                    continue
                lift = statistics.fmean(with_) - statistics.fmean(without)
                if lift >= DOMINANT_LIFT:
                    out.append({"delegation": d, "kind": kind, "id": item, "with": statistics.fmean(with_),
                                "without": statistics.fmean(without), "lift": lift, "support": len(with_) / len(runs)})
        return sorted(out, key=lambda x: -x["lift"])

    # -- limits -----------------------------------------------------------------------------------------
    def check(self, quality: Quality | None) -> list[Breach]:
        """The deck's quality limits this simulation breaks (none without limits)."""
        if quality is None:
            return []
        breaches, n = [], len(self.runs)
        for ind in self.indicators():
            limit = quality.indicators.get(ind["id"], quality.max_at_bound)
            if limit is not None and ind["at_bound"] > limit + 1e-9:
                breaches.append(Breach("max_at_bound", f"indicator '{ind['id']}'", (
                    f"ends at a bound in {ind['at_bound']:.0%} of {n} {self.strategy} runs (at its min {ind['lo']}: "
                    f"{ind['at_min']:.0%}, at its max {ind['hi']}: {ind['at_max']:.0%}; median {ind['median']:g}); "
                    f"the limit is {limit:.0%}")))
        if quality.objectives_met_by_greedy:
            for g in self.goals():
                if not g["red_line"] and not g["greedy"] and g["ref"] not in quality.allow_unmet:
                    breaches.append(Breach("objectives_met_by_greedy", f"objective {g['ref']}", (
                        f"“{g['text']}” was met in none of {len(self.greedy)} greedy runs "
                        f"(met in {g['rate']:.0%} of {n} {self.strategy} runs)")))
        if quality.every_card_played:
            for c in self.cards():
                if not c["plays"] and c["id"] not in quality.allow_unplayed:
                    breaches.append(Breach("every_card_played", f"card '{c['id']}'",
                                           f"was played in none of {n} {self.strategy} runs"))
        return breaches

    # -- text -------------------------------------------------------------------------------------------
    def report(self) -> str:
        deck, n = self.deck, len(self.runs)
        lines = [f"Deck '{deck.id}': {n} {self.strategy} runs"
                 + (f" + {len(self.greedy)} greedy" if self.greedy and self.greedy is not self.runs else "")
                 + f" in {self.seconds:.1f} s ({self.per_second:.1f} runs/s); "
                 f"{sum(r.tried for r in self.runs)} moves tried, {sum(r.refused for r in self.runs)} refused by the rules",
                 "", "Indicators (final values)",
                 f"  {'indicator':24} {'bounds':>9} {'min':>5} {'p10':>6} {'median':>6} {'p90':>6} {'max':>5}  at bound"]
        for i in self.indicators():
            lines.append(f"  {i['id']:24} {str(i['lo']) + '-' + str(i['hi']):>9} {i['min']:>5} {i['p10']:>6.1f} "
                         f"{i['median']:>6.1f} {i['p90']:>6.1f} {i['max']:>5}  {i['at_bound']:4.0%}"
                         f" (min {i['at_min']:.0%}, max {i['at_max']:.0%})")
        lines += ["", "Objectives met / red lines crossed (share of runs" + (", greedy)" if self.greedy else ")")]
        for g in self.goals():
            word = "crossed" if g["red_line"] else "met"
            greedy = f"  greedy {g['greedy']:4.0%}" if g["greedy"] is not None else ""
            lines.append(f"  {'red line' if g['red_line'] else 'objective':9} {g['ref']:18} {word:7} "
                         f"{g['rate']:4.0%}{greedy}  {g['text'][:60]}")
        lines += ["", "Cards (share of runs played, plays, average change per play)"]
        for c in self.cards():
            lines.append(f"  {c['id']:28} {c['runs']:4.0%} {c['plays']:6}  {_effects(c['effects'])}")
        lines += ["", "Clause types (share of runs drafted, in force; average change as it entered into force)"]
        for k in self.clauses():
            lines.append(f"  {k['id']:28} {k['drafted']:4.0%} {k['in_force']:4.0%}  {_effects(k['effects'])}")
        refused = self.refusals()
        if self.strategy == "scripted":
            lines += ["", "Scripted moves refused by the rules (move, error code, message, runs)"]
            lines += [f"  {r['move']}: {r['code']}: {r['message']} (in {r['runs']} of {n} runs)" for r in refused]
            if not refused:
                lines.append("  -")
        lines += ["", "Never reached"]
        for what, items in self.unreachable().items():
            lines.append(f"  {what}: {', '.join(items) if items else '-'}")
        lines += ["", f"Dominant moves (objectives-met share with the move at least {DOMINANT_LIFT:.0%} above without)"]
        dominant = self.dominant()
        for m in dominant:
            lines.append(f"  {m['delegation']}: {m['kind']} {m['id']}: {m['with']:.0%} with, {m['without']:.0%} "
                         f"without (+{m['lift']:.0%}; in {m['support']:.0%} of runs)")
        if not dominant:
            lines.append("  -")
        if deck.quality is not None:
            breaches = self.check(deck.quality)
            lines += ["", f"Quality limits: {'kept' if not breaches else f'{len(breaches)} breached'}"]
            lines += [f"  {b}" for b in breaches]
        return "\n".join(lines)


def _effects(effects: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:+.1f}" for k, v in sorted(effects.items())) or "-"


def simulate(deck: Deck, strategy: str = "random", runs: int = 300, seed: str = "sim", greedy_runs: int = 10,
             script: Script | list | None = None) -> Simulation:
    """Play ``runs`` runs of ``deck`` by ``strategy`` (and ``greedy_runs`` greedy ones besides, for what the
    greedy can reach, unless the strategy is greedy itself). Run ``i`` is seeded ``{seed}:{strategy}:{i}``:
    the same arguments give the same figures. ``script`` (the scripted strategy's, and only its): a ``Script``,
    or a script's data, loaded here (``parse_script``; ``ScriptError`` if it is bad)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"Unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}.")
    if (strategy == "scripted") != (script is not None):
        raise ValueError("A script is played by the scripted strategy, and the scripted strategy plays a script: "
                         f"give both or neither (strategy {strategy!r}, {'a' if script is not None else 'no'} script).")
    if script is not None and not isinstance(script, Script):
        script = parse_script(script, deck)
    began = perf_counter()
    played = [play_run(deck, strategy, f"{seed}:{strategy}:{i}", script) for i in range(runs)]
    greedy = played if strategy == "greedy" else [play_run(deck, "greedy", f"{seed}:greedy:{i}")
                                                  for i in range(greedy_runs)]
    return Simulation(deck, strategy, played, greedy, perf_counter() - began)
