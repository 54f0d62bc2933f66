"""marshmallow schemas for deck and source-note files.

They check shape (types, required keys, ranges) and build engine records;
references between parts of a deck are checked afterwards in ``references``.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from facilitator.engine import deck as d

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_-]*(#[0-9]+)?$"
KINDS = ("belligerent", "ally", "mediator", "organization", "other")
INJECT_KINDS = ("historical", "hypothetical", "intelligence", "contingency")
CREDIBILITY = ("low", "medium", "high")
WEIGHTS = {"low": 1, "medium": 2, "high": 3}  # a signal's weight when its card gives none: from its credibility


def Id(**kw):
    return fields.String(required=True, validate=validate.Regexp(ID_PATTERN, error="Use lowercase letters, digits, "
                                                                 "'-' and '_' (for example 'ukraine')."), **kw)


def Ids(**kw):
    return fields.List(fields.String(validate=validate.Regexp(ID_PATTERN, error="Not a valid id.")),
                       load_default=list, **kw)


def Text(required=True, **kw):
    if not required:
        kw.setdefault("load_default", "")
    return fields.String(required=required, validate=validate.Length(min=1 if required else 0, max=4000), **kw)


def Sources(required=True):
    return fields.List(fields.String(validate=validate.Regexp(SOURCE_PATTERN, error="Cite a note as 'note-id' "
                                                              "or 'note-id#fact'.")),
                       required=required, validate=validate.Length(min=1) if required else None,
                       **({} if required else {"load_default": list}))


class Audience(fields.Field):
    """``all``, ``umpire`` (when allowed), or a list of delegation ids."""

    def __init__(self, words=("all",), **kw):
        super().__init__(**kw)
        self.words = words

    def _deserialize(self, value, attr, data, **kw):
        if isinstance(value, str) and value in self.words:
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ValidationError(f"Use {' or '.join(repr(w) for w in self.words)}, or a list of delegation ids.")


def Share(**kw):
    """A share of runs, from 0 to 1."""
    return fields.Float(validate=validate.Range(0, 1), allow_nan=False, **kw)


class Strict(Schema):
    class Meta:
        unknown = RAISE


def _frozen(value):
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return d.frozen(value)
    return value


class Record(Strict):
    """A schema that builds the engine record ``record`` (lists become tuples, mappings read-only)."""

    record = None

    @post_load
    def make(self, data, **kw):
        return self.record(**{k: _frozen(v) for k, v in data.items()})



class BeliefMoveSchema(Record):
    record = d.BeliefMove
    holder = Id()
    about = Id()
    by = fields.Integer(strict=True, required=True, validate=validate.Range(-100, 100))


class PollSchema(Record):
    record = d.PollSpec
    indicator = Id()
    margin = fields.Integer(strict=True, load_default=5, validate=validate.Range(1, 50))


class EffectsSchema(Record):
    record = d.Effects
    indicators = fields.Dict(keys=fields.String(), values=fields.Integer(strict=True), load_default=dict)
    trust = fields.Integer(strict=True, load_default=0, validate=validate.Range(-100, 100))
    readiness = fields.Integer(strict=True, load_default=0, validate=validate.Range(-10, 10))
    pairs = fields.List(fields.List(fields.String(), validate=validate.Length(equal=2)), load_default=list)
    beliefs = fields.List(fields.Nested(BeliefMoveSchema), load_default=list)
    polls = fields.List(fields.Nested(PollSchema), load_default=list)

    @post_load
    def make(self, data, **kw):
        return d.Effects(d.frozen(data["indicators"]), data["trust"], data["readiness"],
                         tuple(tuple(p) for p in data["pairs"]), tuple(data["beliefs"]), tuple(data["polls"]))



def Effects(**kw):
    return fields.Nested(EffectsSchema, load_default=lambda: d.NO_EFFECTS, **kw)


class Rung(fields.Field):
    """A rung of the readiness ladder: its number (from 0) or its label (checked against the ladder later)."""

    def _deserialize(self, value, attr, data, **kw):
        if isinstance(value, bool) or not isinstance(value, (int, str)) or (isinstance(value, int) and value < 0):
            raise ValidationError("Give a rung of the readiness ladder: its number (from 0) or its label.")
        return value


MEASURE_KINDS = {"indicator": ("at_least", "at_most"), "agreement": ("in_force",),
                 "pair": ("trust_at_least", "readiness_at_least")}  # each kind of measure, and the keys that go with it


class MeasureSchema(Strict):
    """One of: ``{indicator, at_least | at_most}``, ``{agreement, in_force}``, ``{pair, trust_at_least |
    readiness_at_least}``. References (ids, bounds, the ladder) are checked in ``references``."""

    indicator = fields.String(load_default=None)
    at_least = fields.Integer(load_default=None, strict=True)
    at_most = fields.Integer(load_default=None, strict=True)
    agreement = fields.String(load_default=None)
    in_force = fields.Boolean(load_default=None)
    pair = fields.List(fields.String(), load_default=None, validate=validate.Length(equal=2))
    trust_at_least = fields.Integer(load_default=None, strict=True, validate=validate.Range(0, 100))
    readiness_at_least = Rung(load_default=None)

    @validates_schema
    def one_kind(self, data, **kw):
        given = [k for k in MEASURE_KINDS if data.get(k) is not None]
        if len(given) != 1:
            raise ValidationError("Give one of: 'indicator' (with 'at_least' or 'at_most'), 'agreement' (a clause "
                                  "type id, with 'in_force'), or 'pair' (with 'trust_at_least' or "
                                  "'readiness_at_least').")
        kind = given[0]
        for other, keys in MEASURE_KINDS.items():
            for key in keys:
                if other != kind and data.get(key) is not None:
                    raise ValidationError(f"'{key}' goes with '{other}', not with '{kind}'.", key)
        bounds = [k for k in MEASURE_KINDS[kind] if data.get(k) is not None]
        if kind != "agreement" and len(bounds) != 1:
            raise ValidationError(f"Give '{kind}' one of {' or '.join(repr(k) for k in MEASURE_KINDS[kind])}.")

    @post_load
    def make(self, data, **kw):
        return d.Measure(**{**data, "in_force": data["in_force"] is not False,
                            "pair": tuple(data["pair"]) if data["pair"] is not None else None})


class GoalSchema(Record):
    """An objective or a red line: a text, or ``{text, measure}``."""

    record = d.Goal
    text = Text()
    measure = fields.Nested(MeasureSchema, load_default=None)

    @pre_load
    def from_text(self, data, **kw):
        return {"text": data} if isinstance(data, str) else data


class DelegationSchema(Record):
    record = d.Delegation
    id = Id()
    name = Text()
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    public_brief = Text()
    private_brief = Text(required=False)
    objectives = fields.List(fields.Nested(GoalSchema), load_default=list)
    red_lines = fields.List(fields.Nested(GoalSchema), load_default=list)
    hand = Ids()
    sources = Sources(required=False)
    optional = fields.Boolean(load_default=False)



class TableSchema(Record):
    record = d.Table
    id = Id()
    name = Text()
    delegations = fields.List(fields.String(), required=True, validate=validate.Length(min=2))
    mediators = Ids()
    agenda = fields.List(Text(), load_default=list)
    min_readiness = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 10))



class ThresholdSchema(Record):
    record = d.Threshold
    at = fields.Integer(required=True, strict=True)
    note = Text()
    rising = fields.Boolean(load_default=True)
    effects = Effects()
    reason = fields.String(load_default="", validate=validate.Length(max=120))


class ConditionSchema(Record):
    """``{ceasefire: true|false}`` and/or ``{indicator, at_least | at_most}``: every part given must hold."""

    record = d.Condition
    ceasefire = fields.Boolean(load_default=None)
    indicator = fields.String(load_default=None)
    at_least = fields.Integer(load_default=None, strict=True)
    at_most = fields.Integer(load_default=None, strict=True)

    @validates_schema
    def something(self, data, **kw):
        if data.get("ceasefire") is None and data.get("indicator") is None:
            raise ValidationError("Give 'ceasefire' (true or false), 'indicator' (with 'at_least' or 'at_most'), "
                                  "or both.")
        bounded = data.get("at_least") is not None or data.get("at_most") is not None
        if (data.get("indicator") is None) == bounded:
            raise ValidationError("'indicator' goes with 'at_least' or 'at_most' (or both).")



class IndicatorSchema(Record):
    record = d.Indicator
    id = Id()
    name = Text()
    min = fields.Integer(required=True, strict=True)
    max = fields.Integer(required=True, strict=True)
    start = fields.Integer(required=True, strict=True)
    visible_to = Audience(words=("all", "umpire"), load_default="all")
    description = Text(required=False)
    thresholds = fields.List(fields.Nested(ThresholdSchema), load_default=list)
    per_phase = fields.Integer(load_default=0, strict=True)
    drift_while = fields.Nested(ConditionSchema, load_default=None)

    @validates_schema
    def bounds(self, data, **kw):
        if not data["min"] < data["max"]:
            raise ValidationError("must be greater than min.", "max")
        if not data["min"] <= data["start"] <= data["max"]:
            raise ValidationError(f"must lie between min ({data['min']}) and max ({data['max']}).", "start")
        for i, t in enumerate(data.get("thresholds", [])):
            if not data["min"] <= t.at <= data["max"]:
                raise ValidationError({i: {"at": ["must lie between min and max."]}}, "thresholds")



class RelationSchema(Record):
    record = d.Relation
    between = fields.List(fields.String(), required=True, validate=validate.Length(equal=2))
    trust = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    readiness = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 10))



class SignalSchema(Record):
    record = d.SignalCard
    id = Id()
    title = Text()
    text = Text()
    visibility = fields.String(load_default=d.PUBLIC, validate=validate.OneOf((d.PUBLIC, d.PRIVATE, d.EITHER)))
    reversible = fields.Boolean(load_default=False)
    toward = Ids()
    credibility = fields.String(load_default="medium", validate=validate.OneOf(CREDIBILITY))
    cost = Effects()
    effects = Effects()
    on_reciprocated = Effects()
    on_withdraw = fields.Nested(EffectsSchema, load_default=None)
    sources = Sources()
    adjudicated = fields.Integer(load_default=None, strict=True, validate=validate.Range(0, 100))
    family = fields.String(load_default="", validate=validate.Regexp(ID_PATTERN, error="Name a family as an id "
                                                                     "(for example 'prisoners')."))
    weight = fields.Integer(strict=True, validate=validate.Range(1, 5))
    kind = fields.String(load_default="historical", validate=validate.OneOf(("historical", "hypothetical")))

    @pre_load
    def weight_from_credibility(self, data, **kw):
        if isinstance(data, dict) and "weight" not in data:
            data = {**data, "weight": WEIGHTS.get(data.get("credibility", "medium"), 2)}
        return data



class SignConditionSchema(Record):
    record = d.SignCondition
    delegation = fields.String(required=True)
    indicator = fields.String(required=True)
    min = fields.Integer(load_default=None, strict=True)
    max = fields.Integer(load_default=None, strict=True)
    message = Text(required=False)

    @validates_schema
    def a_bound(self, data, **kw):
        if data.get("min") is None and data.get("max") is None:
            raise ValidationError("Give 'min', 'max' or both.")
        if data.get("min") is not None and data.get("max") is not None and data["min"] > data["max"]:
            raise ValidationError("must not be greater than max.", "min")


class ReadinessCapSchema(Record):
    record = d.ReadinessCap
    between = fields.List(fields.String(), required=True, validate=validate.Length(equal=2))
    rung = Rung(required=True)
    conditions = fields.List(fields.Nested(SignConditionSchema), required=True, validate=validate.Length(min=1))
    note = Text(required=False)



class ClauseTypeSchema(Record):
    record = d.ClauseType
    id = Id()
    title = Text()
    text = Text()
    topics = fields.List(fields.String(), load_default=list)
    offered_by = Ids()
    requires_parties = Ids()
    establishes_ceasefire = fields.Boolean(load_default=False)
    effects = Effects()
    signing_costs = fields.Dict(keys=fields.String(), values=fields.Nested(EffectsSchema), load_default=dict)
    sign_conditions = fields.List(fields.Nested(SignConditionSchema), load_default=list)
    sources = Sources()
    tables = Ids()
    signatories = Ids()
    max_in_force = fields.Integer(load_default=1, allow_none=True, strict=True, validate=validate.Range(min=1))
    in_package_with = Ids()


class AmendmentsSchema(Record):
    record = d.Amendments
    refund_signing_costs = fields.Boolean(load_default=True)
    mediators_may_amend_signed = fields.Boolean(load_default=False)



class ScheduleSchema(Record):
    record = d.Schedule
    phase = fields.String(load_default=None)
    minute = fields.Integer(load_default=None, strict=True, validate=validate.Range(0, 600))

    @validates_schema
    def phase_or_minute(self, data, **kw):
        if data.get("phase") is None and data.get("minute") is None:
            raise ValidationError("Give a phase, a minute, or both.")



class InjectSchema(Record):
    record = d.InjectCard
    id = Id()
    title = Text()
    text = Text()
    kind = fields.String(required=True, validate=validate.OneOf(INJECT_KINDS))
    audience = Audience(words=("all", "umpire"), load_default="all")
    schedule = fields.Nested(ScheduleSchema, load_default=None)
    effects = Effects()
    sources = Sources()
    sender = fields.String(load_default="", validate=validate.Length(max=120))
    delivery = fields.String(load_default="banner", validate=validate.OneOf(d.DELIVERIES))
    expected_action = Text(required=False)
    controller_note = Text(required=False)
    scenario_date = fields.String(load_default="", validate=validate.Length(max=40))
    historical = fields.Boolean(load_default=None)



class RiskDriverSchema(Record):
    record = d.RiskDriver
    indicator = fields.String(required=True)
    above = fields.Integer(required=True, strict=True)
    per_point = fields.Float(load_default=0.0, validate=validate.Range(-1, 1))
    step = fields.Float(load_default=0.0, validate=validate.Range(-1, 1))

    @validates_schema
    def moves(self, data, **kw):
        if not data.get("per_point") and not data.get("step"):
            raise ValidationError("Give 'per_point', 'step' or both (not zero).")


class CeasefireRiskSchema(Record):
    record = d.CeasefireRisk
    id = Id()
    title = Text()
    text = Text()
    likelihood = fields.Float(required=True, validate=validate.Range(0, 1))
    per_phase = fields.Float(load_default=0.0, validate=validate.Range(-1, 1))
    modifiers = fields.Dict(keys=fields.String(), values=fields.Float(validate=validate.Range(-1, 1)),
                            load_default=dict)
    effects = Effects()
    ends_ceasefire = fields.Boolean(load_default=False)
    sources = Sources()
    min_likelihood = fields.Float(load_default=0.0, validate=validate.Range(0, 1))
    driven_by = fields.List(fields.Nested(RiskDriverSchema), load_default=list)


class BeliefSchema(Record):
    record = d.Belief
    holder = Id()
    about = Id()
    name = Text()
    start = fields.Integer(strict=True, load_default=50, validate=validate.Range(0, 100))
    sources = Sources(required=False)


class SecretCardSchema(Record):
    record = d.SecretCard
    id = Id()
    title = Text()
    text = Text()
    risk = fields.Dict(keys=fields.String(), values=fields.Float(validate=validate.Range(-1, 1)), load_default=dict)
    objectives = fields.List(fields.Nested(GoalSchema), load_default=list)
    sources = Sources(required=False)


class SecretSchema(Record):
    record = d.Secret
    id = Id()
    holder = Id()
    title = Text()
    cards = fields.List(fields.Nested(SecretCardSchema), required=True, validate=validate.Length(min=2, max=12))
    sources = Sources(required=False)


class EpilogueSchema(Record):
    record = d.Epilogue
    months = fields.Integer(required=True, strict=True, validate=validate.Range(1, 60))



class PhaseSchema(Record):
    record = d.Phase
    id = Id()
    name = Text()
    minutes = fields.Integer(required=True, strict=True, validate=validate.Range(1, 600))
    brief = Text(required=False)
    open_tables = fields.List(fields.String(), load_default=None)
    backchannels = fields.String(load_default="allowed", validate=validate.OneOf(("allowed", "ask", "closed")))



class FocusSchema(Strict):
    """``{indicator: id}``, ``{pair: [a, b]}`` or ``{events: [kinds]}``: exactly one."""

    indicator = fields.String(load_default=None)
    pair = fields.List(fields.String(), load_default=None, validate=validate.Length(equal=2))
    events = fields.List(fields.String(validate=validate.OneOf(d.FOCUS_EVENTS)), load_default=None,
                         validate=validate.Length(min=1))

    @validates_schema
    def exactly_one(self, data, **kw):
        if sum(data.get(k) is not None for k in ("indicator", "pair", "events")) != 1:
            raise ValidationError("Give one of: 'indicator', 'pair' or 'events'.")

    @post_load
    def make(self, data, **kw):
        return d.Focus(data["indicator"], tuple(data["pair"]) if data["pair"] else None, tuple(data["events"] or ()))


class QuestionSchema(Record):
    """A debrief question: a text, or ``{question, focus}``."""

    record = d.Question
    question = Text()
    focus = fields.Nested(FocusSchema, load_default=None)

    @pre_load
    def from_text(self, data, **kw):
        return {"question": data} if isinstance(data, str) else data


class IndicatorQualitySchema(Strict):
    max_at_bound = Share(required=True)


class QualitySchema(Record):
    """Limits the balance simulator holds the deck to (``facilitator scenarios simulate``)."""

    record = d.Quality
    max_at_bound = Share(load_default=None)
    indicators = fields.Dict(keys=fields.String(validate=validate.Regexp(ID_PATTERN, error="Not a valid id.")),
                             values=fields.Nested(IndicatorQualitySchema), load_default=dict)
    objectives_met_by_greedy = fields.Boolean(load_default=False)
    allow_unmet = fields.List(fields.String(validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9_-]*#[1-9][0-9]*$", error="Name an objective as 'delegation#n' (n from 1).")),
        load_default=list)
    every_card_played = fields.Boolean(load_default=False)
    allow_unplayed = Ids()

    @post_load
    def make(self, data, **kw):
        data["indicators"] = d.frozen({k: v["max_at_bound"] for k, v in data["indicators"].items()})
        return self.record(**{k: _frozen(v) for k, v in data.items()})


class LearningObjectiveSchema(Record):
    record = d.LearningObjective
    id = Id()
    text = Text()
    mechanics = Text(required=False)
    signals = Ids()
    clause_types = Ids()
    injects = Ids()
    debrief = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1)), load_default=list)


class TeamRoleSchema(Record):
    record = d.TeamRole
    name = Text()
    does = Text()
    tables = Ids()
    delegations = Ids()


class RunStepSchema(Record):
    record = d.RunStep
    minute = fields.Integer(required=True, strict=True, validate=validate.Range(0, 600))
    title = Text()
    say = Text(required=False)
    do = Text(required=False)


class RunSheetSchema(Record):
    record = d.RunSheet
    before = fields.List(Text(), load_default=list)
    steps = fields.List(fields.Nested(RunStepSchema), load_default=list)
    running_late = fields.List(Text(), load_default=list)
    hot_wash = fields.List(Text(), load_default=list)
    reality_check = Text(required=False)
    reality_sources = Sources(required=False)
    model_limits = fields.List(Text(), load_default=list)

    @validates_schema
    def in_order(self, data, **kw):
        minutes = [s.minute for s in data.get("steps", [])]
        if minutes != sorted(minutes):
            raise ValidationError("List the steps in order of their minute.", "steps")


class TeachingSchema(Strict):
    players = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 500)), required=True,
                          validate=validate.Length(equal=2))
    minutes = fields.Integer(required=True, strict=True, validate=validate.Range(10, 1440))
    learning_objectives = fields.List(fields.Nested(LearningObjectiveSchema), load_default=list,
                                      validate=validate.Length(max=8))
    roles = fields.List(fields.Nested(TeamRoleSchema), load_default=list)
    run_sheet = fields.Nested(RunSheetSchema, load_default=d.RunSheet)

    @validates_schema
    def a_range(self, data, **kw):
        low, high = data.get("players", (0, 0))
        if low > high:
            raise ValidationError("Give the fewest players, then the most: [min, max].", "players")

    @post_load
    def make(self, data, **kw):
        low, high = data.pop("players")
        return d.Teaching(low, high, data["minutes"], tuple(data["learning_objectives"]), tuple(data["roles"]),
                          data["run_sheet"])


class DeckMapSchema(Record):
    record = d.DeckMap
    file = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]*\.svg$",
                                                                error="Name an SVG file in static/maps."))
    caption = Text()
    licence = Text()


class DeckSchema(Record):
    record = d.Deck
    id = Id()
    title = Text()
    summary = Text()
    audience = Text(required=False)
    sources = Sources(required=False)
    readiness_ladder = fields.List(Text(), validate=validate.Length(min=2, max=11),
                                   load_default=lambda: list(d.Deck.__dataclass_fields__["readiness_ladder"].default))
    delegations = fields.List(fields.Nested(DelegationSchema), required=True, validate=validate.Length(min=2))
    tables = fields.List(fields.Nested(TableSchema), load_default=list)
    indicators = fields.List(fields.Nested(IndicatorSchema), load_default=list)
    relations = fields.List(fields.Nested(RelationSchema), load_default=list)
    readiness_caps = fields.List(fields.Nested(ReadinessCapSchema), load_default=list)
    signals = fields.List(fields.Nested(SignalSchema), load_default=list)
    clause_types = fields.List(fields.Nested(ClauseTypeSchema), load_default=list)
    injects = fields.List(fields.Nested(InjectSchema), load_default=list)
    ceasefire_risks = fields.List(fields.Nested(CeasefireRiskSchema), load_default=list)
    phases = fields.List(fields.Nested(PhaseSchema), required=True, validate=validate.Length(min=1))
    debrief = fields.List(fields.Nested(QuestionSchema), load_default=list)
    amendments = fields.Nested(AmendmentsSchema, load_default=d.Amendments)
    quality = fields.Nested(QualitySchema, load_default=None)
    epilogue = fields.Nested(EpilogueSchema, load_default=None)
    beliefs = fields.List(fields.Nested(BeliefSchema), load_default=list)
    secrets = fields.List(fields.Nested(SecretSchema), load_default=list)
    teaching = fields.Nested(TeachingSchema, load_default=None)
    map = fields.Nested(DeckMapSchema, load_default=None)
    variant_of = fields.String(load_default="")  # resolved by decks/variants.py before this schema reads it



class FactSchema(Strict):
    n = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    text = Text()


class SourceNoteSchema(Strict):
    id = Id()
    title = Text()
    outlet = Text()
    date = fields.String(required=True, validate=validate.Regexp(r"^\d{4}(-\d{2})?$", error="Use YYYY or YYYY-MM."))
    author = fields.String(allow_none=True, load_default=None)
    source_file = fields.String(load_default=None)
    argument = Text()
    facts = fields.List(fields.Nested(FactSchema), required=True, validate=validate.Length(min=1))
    remarks = Text(required=False)

    @validates_schema
    def numbered(self, data, **kw):
        numbers = [f["n"] for f in data.get("facts", [])]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValidationError("Number the facts 1, 2, 3 … in order, without gaps.", "facts")
