"""A scenario deck as the engine sees it: frozen records, already validated.

Decks are read from YAML and checked by ``facilitator.decks``; the engine
trusts what it is given here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

PUBLIC, PRIVATE, EITHER = "public", "private", "either"
EVERYONE = "all"
UMPIRE_ONLY = "umpire"


def frozen(mapping: Mapping | None = None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class BeliefMove:
    """A change to what ``holder`` privately believes of ``about`` (see ``engine/beliefs.py``)."""

    holder: str
    about: str
    by: int


@dataclass(frozen=True, slots=True)
class PollSpec:
    """A published reading of ``indicator``, off by at most ``margin`` points (see ``engine/polls.py``)."""

    indicator: str
    margin: int = 5


@dataclass(frozen=True, slots=True)
class Effects:
    """Changes to indicators (by id), to trust and readiness of the pairs concerned, and to private beliefs;
    polls of indicators to publish."""

    indicators: Mapping[str, int] = field(default_factory=frozen)
    trust: int = 0
    readiness: int = 0
    pairs: tuple[tuple[str, str], ...] = ()  # where trust/readiness apply; empty: the pairs the move concerns
    beliefs: tuple[BeliefMove, ...] = ()
    polls: tuple[PollSpec, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.indicators) or bool(self.trust) or bool(self.readiness) or bool(self.beliefs) \
            or bool(self.polls)


NO_EFFECTS = Effects()


@dataclass(frozen=True, slots=True)
class Measure:
    """How to tell, at the end of the exercise, whether an objective was met or a red line crossed: one of

    - an indicator's value: ``indicator`` with ``at_least`` or ``at_most``;
    - an agreement: one with a clause of type ``agreement`` in force (``in_force``), or none (not ``in_force``);
    - a pair's relation: ``pair`` with ``trust_at_least`` or ``readiness_at_least`` (a rung: index or label).

    For a red line the measure says what *crossing* it looks like. See ``engine/debrief.py``.
    """

    indicator: str | None = None
    at_least: int | None = None
    at_most: int | None = None
    agreement: str | None = None  # a clause type id
    in_force: bool = True
    pair: tuple[str, str] | None = None
    trust_at_least: int | None = None
    readiness_at_least: int | str | None = None

    @property
    def kind(self) -> str:
        """``indicator``, ``agreement``, ``trust`` or ``readiness``."""
        if self.indicator is not None:
            return "indicator"
        if self.agreement is not None:
            return "agreement"
        return "trust" if self.trust_at_least is not None else "readiness"


@dataclass(frozen=True, slots=True)
class Goal:
    """An objective or a red line: its words, and (when the deck gives one) its measure."""

    text: str
    measure: Measure | None = None


@dataclass(frozen=True, slots=True)
class Delegation:
    id: str
    name: str
    kind: str
    public_brief: str
    private_brief: str = ""
    objectives: tuple[Goal, ...] = ()
    red_lines: tuple[Goal, ...] = ()
    hand: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # notes its briefs rest on (its reading list, with its cards' sources)
    optional: bool = False  # the umpire may leave it out when creating an exercise (see decks/variants.py)


@dataclass(frozen=True, slots=True)
class Table:
    """A negotiation table: ``delegations`` are its parties (they sign); ``mediators`` sit and talk."""

    id: str
    name: str
    delegations: tuple[str, ...]
    mediators: tuple[str, ...] = ()
    agenda: tuple[str, ...] = ()
    min_readiness: int = 0  # proposals here need at least this rung between every pair of parties

    @property
    def seated(self) -> tuple[str, ...]:
        return self.delegations + self.mediators


@dataclass(frozen=True, slots=True)
class Threshold:
    """Crossing ``at`` (upward if ``rising``) tells the umpire ``note``; the first crossing also applies
    ``effects`` (a consequence, no actor), in words ``reason`` for those who see what moves."""

    at: int
    note: str
    rising: bool = True
    effects: Effects = NO_EFFECTS
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Condition:
    """A state of play: a cease-fire holds (``ceasefire`` true) or none does (false), and/or an indicator is
    ``at_least`` / ``at_most`` a value. Every part given must hold."""

    ceasefire: bool | None = None
    indicator: str | None = None
    at_least: int | None = None
    at_most: int | None = None


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    name: str
    min: int
    max: int
    start: int
    visible_to: str | tuple[str, ...] = EVERYONE
    description: str = ""
    thresholds: tuple[Threshold, ...] = ()
    per_phase: int = 0  # drift applied at each phase change (e.g. support that fades unless renewed)
    drift_while: Condition | None = None  # the drift applies only while this holds; None: always


@dataclass(frozen=True, slots=True)
class Relation:
    """Starting trust and readiness between two delegations."""

    between: tuple[str, str]
    trust: int
    readiness: int = 0


@dataclass(frozen=True, slots=True)
class SignalCard:
    id: str
    title: str
    text: str
    visibility: str = PUBLIC
    reversible: bool = False
    toward: tuple[str, ...] = ()
    credibility: str = "medium"
    cost: Effects = NO_EFFECTS
    effects: Effects = NO_EFFECTS
    on_reciprocated: Effects = NO_EFFECTS
    on_withdraw: Effects | None = None
    sources: tuple[str, ...] = ()
    adjudicated: int | None = None  # odds (percent) the umpire starts from: the card is submitted as a move
    family: str = ""  # the kind of move (strikes, prisoners, envoys …): an answer counts only within its family
    weight: int = 2  # its cost and credibility (1 cheap words … 3 a costly deed): an answer must weigh as much
    kind: str = "historical"  # "hypothetical": a move no source reports (said so wherever the card is shown)

    @property
    def withdrawal_effects(self) -> Effects:
        """What withdrawing costs: as the deck says, or else the trust it had bought."""
        if self.on_withdraw is not None:
            return self.on_withdraw
        return Effects(trust=-self.effects.trust)


@dataclass(frozen=True, slots=True)
class SignCondition:
    """``delegation``'s ``indicator`` must be at least ``min`` and/or at most ``max`` (one or both given)."""

    delegation: str
    indicator: str
    min: int | None = None
    message: str = ""
    max: int | None = None

    def holds(self, value: int) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def wanted(self) -> str:
        """What the condition asks, in words: "at least 30", "at most 45", "between 20 and 45"."""
        if self.min is not None and self.max is not None:
            return f"between {self.min} and {self.max}"
        return f"at least {self.min}" if self.min is not None else f"at most {self.max}"


@dataclass(frozen=True, slots=True)
class ReadinessCap:
    """Readiness between the pair ``between`` cannot climb to ``rung`` (or above) until every condition holds.

    ``rung`` is a number on the ladder (from 0) or a label. Rises only are held; nothing is taken back."""

    between: tuple[str, str]
    rung: int | str
    conditions: tuple[SignCondition, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class ClauseType:
    id: str
    title: str
    text: str
    topics: tuple[str, ...] = ()
    offered_by: tuple[str, ...] = ()
    requires_parties: tuple[str, ...] = ()
    establishes_ceasefire: bool = False
    effects: Effects = NO_EFFECTS
    signing_costs: Mapping[str, Effects] = field(default_factory=frozen)
    sign_conditions: tuple[SignCondition, ...] = ()
    sources: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()  # where it may be proposed; empty: any table where requires_parties sit
    signatories: tuple[str, ...] = ()  # who must all sign (as parties) for an agreement holding it to enter into force
    max_in_force: int | None = 1  # clauses of this type in force at once, across agreements; None: no cap
    # It enters into force only together with a text each of these is a party to (its package: engine/proposals.py)
    in_package_with: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Amendments:
    """What amending a proposal that someone has signed does (see ``engine/proposals.py``)."""

    refund_signing_costs: bool = True  # signatures are cleared: their signing costs are given back
    mediators_may_amend_signed: bool = False  # a mediator proposes; once a party signed, the parties own the text


@dataclass(frozen=True, slots=True)
class Schedule:
    phase: str | None = None
    minute: int | None = None


DELIVERIES = ("banner", "news", "message")  # how an inject reaches players: see engine/injects.py


@dataclass(frozen=True, slots=True)
class InjectCard:
    """A row of the deck's event list (MSEL). ``expected_action`` and ``controller_note`` are exercise
    control's and never reach a player; ``historical`` None means "as its kind says"."""

    id: str
    title: str
    text: str
    kind: str
    audience: str | tuple[str, ...] = EVERYONE
    schedule: Schedule | None = None
    effects: Effects = NO_EFFECTS
    sources: tuple[str, ...] = ()
    sender: str = ""
    delivery: str = "banner"
    expected_action: str = ""
    controller_note: str = ""
    scenario_date: str = ""
    historical: bool | None = None


@dataclass(frozen=True, slots=True)
class RiskDriver:
    """An indicator that moves a risk's odds: while it is above ``above``, ``step`` plus ``per_point`` for each
    point above."""

    indicator: str
    above: int
    per_point: float = 0.0
    step: float = 0.0


@dataclass(frozen=True, slots=True)
class CeasefireRisk:
    """Something that can go wrong while a cease-fire holds, drawn once per draw. Its odds never fall below
    ``min_likelihood``, whatever the clauses in force."""

    id: str
    title: str
    text: str
    likelihood: float
    per_phase: float = 0.0
    modifiers: Mapping[str, float] = field(default_factory=frozen)
    effects: Effects = NO_EFFECTS
    ends_ceasefire: bool = False
    sources: tuple[str, ...] = ()
    min_likelihood: float = 0.0
    driven_by: tuple[RiskDriver, ...] = ()


@dataclass(frozen=True, slots=True)
class Belief:
    """What delegation ``holder`` privately believes of ``about``'s aims, from 0 to 100 (``name`` says what the
    number means, e.g. "how far Russia will go"). Only the holder and exercise control ever see it."""

    holder: str
    about: str
    name: str
    start: int = 50
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SecretCard:
    """One face a secret may be dealt: shifts the odds of ceasefire risks (rule id -> change) and adds
    objectives to its holder's."""

    id: str
    title: str
    text: str
    risk: Mapping[str, float] = field(default_factory=frozen)
    objectives: tuple[Goal, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Secret:
    """A card dealt to ``holder`` from ``cards`` when the exercise is created (drawn from its seed), seen by
    the holder and exercise control only until the debrief reveals the holder's objectives."""

    id: str
    holder: str
    title: str
    cards: tuple[SecretCard, ...]
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Epilogue:
    """When the exercise ends with a cease-fire holding, ``months`` more draws of its risks, one a month,
    shown to everyone (see ``engine/ceasefire.py``)."""

    months: int


@dataclass(frozen=True, slots=True)
class Phase:
    id: str
    name: str
    minutes: int
    brief: str = ""
    open_tables: tuple[str, ...] | None = None
    backchannels: str = "allowed"  # may delegations open back-channels: allowed, ask (the umpire), closed

    def table_open(self, table_id: str) -> bool:
        return self.open_tables is None or table_id in self.open_tables


FOCUS_EVENTS = ("signal", "agreement", "inject", "adjudication", "ceasefire", "phase")  # moments of a replay's timeline


@dataclass(frozen=True, slots=True)
class Focus:
    """What a debrief question looks at: an indicator over time, a pair's trust and readiness over time, or
    the moments of some kinds (``FOCUS_EVENTS``). Exactly one is given."""

    indicator: str | None = None
    pair: tuple[str, str] | None = None
    events: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    """A debrief question, and what it looks at (or None)."""

    question: str
    focus: Focus | None = None


@dataclass(frozen=True, slots=True)
class Quality:
    """A deck's quality limits, checked by the balance simulator (``facilitator.decks.simulate``) over random
    runs (indicators, cards) and greedy runs (objectives). The engine never reads them."""

    max_at_bound: float | None = None  # share of random runs an indicator may end at its min or max
    indicators: Mapping[str, float] = field(default_factory=frozen)  # indicator id -> its own max_at_bound
    objectives_met_by_greedy: bool = False  # every measurable objective met in at least one greedy run
    allow_unmet: tuple[str, ...] = ()  # objectives exempt from that, as 'delegation#n' (n from 1)
    every_card_played: bool = False  # every signal card played in at least one random run
    allow_unplayed: tuple[str, ...] = ()  # cards exempt from that


@dataclass(frozen=True, slots=True)
class LearningObjective:
    """What students should take away, and the parts of the deck that teach it: cards, clause types, injects
    and debrief questions (numbers from 1). ``mechanics`` says in words which rule makes the point."""

    id: str
    text: str
    mechanics: str = ""
    signals: tuple[str, ...] = ()
    clause_types: tuple[str, ...] = ()
    injects: tuple[str, ...] = ()
    debrief: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TeamRole:
    """A role suggested inside each delegation's team (head of delegation, negotiator, note-taker …). It is
    suggested to every delegation, unless it names ``tables`` (then to the delegations seated at any of them)
    or ``delegations`` (then to those), or both (then to either)."""

    name: str
    does: str
    tables: tuple[str, ...] = ()
    delegations: tuple[str, ...] = ()

    def applies_to(self, deck: Deck, delegation_id: str) -> bool:
        """Whether this role is one for delegation ``delegation_id``'s team."""
        if not self.tables and not self.delegations:
            return True
        return delegation_id in self.delegations or any(
            t.id in self.tables and delegation_id in t.seated for t in deck.tables)


@dataclass(frozen=True, slots=True)
class RunStep:
    """One line of the run sheet: at ``minute`` of class, what the umpire says and does."""

    minute: int
    title: str
    say: str = ""
    do: str = ""


@dataclass(frozen=True, slots=True)
class RunSheet:
    before: tuple[str, ...] = ()  # before class: assigning delegations, pre-reading
    steps: tuple[RunStep, ...] = ()  # in class, in order of minute
    running_late: tuple[str, ...] = ()  # what to cut, in order
    hot_wash: tuple[str, ...] = ()  # the first minutes of the debrief: how it felt, what surprised
    reality_check: str = ""  # what really happened next, from the notes
    reality_sources: tuple[str, ...] = ()
    model_limits: tuple[str, ...] = ()  # what the model got wrong or left out


@dataclass(frozen=True, slots=True)
class Teaching:
    """The instructor's side of a deck: class size, length, learning objectives, roles in a team, run sheet.
    The engine never reads it; the home page, the consoles and the print pack do."""

    players_min: int
    players_max: int
    minutes: int  # the whole class, debrief included
    learning_objectives: tuple[LearningObjective, ...] = ()
    roles: tuple[TeamRole, ...] = ()
    run_sheet: RunSheet = RunSheet()


@dataclass(frozen=True, slots=True)
class DeckMap:
    """A map the consoles show and the print pack prints: a file under ``static/maps``."""

    file: str
    caption: str
    licence: str


@dataclass(frozen=True, slots=True)
class Deck:
    id: str
    title: str
    summary: str
    delegations: tuple[Delegation, ...]
    tables: tuple[Table, ...]
    indicators: tuple[Indicator, ...]
    phases: tuple[Phase, ...]
    signals: tuple[SignalCard, ...] = ()
    clause_types: tuple[ClauseType, ...] = ()
    injects: tuple[InjectCard, ...] = ()
    ceasefire_risks: tuple[CeasefireRisk, ...] = ()
    readiness_ladder: tuple[str, ...] = ("no contact", "talking about talking", "channel open",
                                         "formal talks", "agreement")
    relations: tuple[Relation, ...] = ()
    readiness_caps: tuple[ReadinessCap, ...] = ()
    debrief: tuple[Question, ...] = ()
    audience: str = ""
    sources: tuple[str, ...] = ()
    amendments: Amendments = Amendments()
    quality: Quality | None = None  # limits the balance simulator holds the deck to; the engine ignores them
    epilogue: Epilogue | None = None  # draws after the end while a cease-fire holds; None: none
    beliefs: tuple[Belief, ...] = ()  # delegations' private beliefs about each other's aims
    secrets: tuple[Secret, ...] = ()  # cards dealt privately when an exercise is created
    teaching: Teaching | None = None  # for the instructor; the engine ignores it
    map: DeckMap | None = None
    variant_of: str = ""  # the deck this one adapts (see decks/variants.py), or ""

    def belief(self, holder: str, about: str) -> Belief | None:
        return next((b for b in self.beliefs if b.holder == holder and b.about == about), None)

    # Look-ups by id; decks are small, so a scan is clear and quick enough.
    def delegation(self, id: str) -> Delegation | None:
        return _by_id(self.delegations, id)

    def table(self, id: str) -> Table | None:
        return _by_id(self.tables, id)

    def indicator(self, id: str) -> Indicator | None:
        return _by_id(self.indicators, id)

    def signal(self, id: str) -> SignalCard | None:
        return _by_id(self.signals, id)

    def clause_type(self, id: str) -> ClauseType | None:
        return _by_id(self.clause_types, id)

    def inject(self, id: str) -> InjectCard | None:
        return _by_id(self.injects, id)

    def delegation_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.delegations)

    def rung(self, rung: int | str) -> int:
        """A rung of the readiness ladder as its number, given its number or its label."""
        return self.readiness_ladder.index(rung) if isinstance(rung, str) else rung


def _by_id(items, id):
    for item in items:
        if item.id == id:
            return item
    return None
