"""The ``command`` payloads clients send, one schema per type, loaded into engine commands."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from facilitator.engine import commands as c

from .errors import WireError

MAX_ID = 100


def Ref(**kw):
    return fields.String(validate=validate.Length(min=1, max=MAX_ID), **kw)


def Refs(**kw):
    return fields.List(Ref(), validate=validate.Length(max=50), **kw)


def Number(**kw):
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kw)


class CommandSchema(Schema):
    """Base: unknown keys are refused; ``seq`` is the state the client decided against (optional)."""

    command = None

    class Meta:
        unknown = RAISE

    type = fields.String(required=True)
    seq = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=0))

    @post_load
    def make(self, data, **kw):
        data.pop("type")
        seq = data.pop("seq")
        args = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return self.command(**args), seq


class ClauseSchema(Schema):
    class Meta:
        unknown = RAISE

    clause_type = Ref(required=True)
    terms = fields.String(load_default="")

    @post_load
    def make(self, data, **kw):
        return c.Clause(data["clause_type"], data["terms"])


def Clauses(**kw):
    return fields.List(fields.Nested(ClauseSchema), validate=validate.Length(max=30), **kw)


class PostMessage(CommandSchema):
    command = c.PostMessage
    channel = Ref(required=True)
    text = fields.String(required=True)


class OpenBackchannel(CommandSchema):
    command = c.OpenBackchannel
    delegations = Refs(required=True)


class PlaySignal(CommandSchema):
    command = c.PlaySignal
    card = Ref(required=True)
    to = Refs(load_default=list)
    toward = Refs(load_default=list)


class WithdrawSignal(CommandSchema):
    command = c.WithdrawSignal
    play = Number(required=True)


class DraftProposal(CommandSchema):
    command = c.DraftProposal
    table = Ref(required=True)
    title = fields.String(required=True)
    clauses = Clauses(required=True)
    links = fields.List(Number(), load_default=list, validate=validate.Length(max=20))


class AmendProposal(CommandSchema):
    command = c.AmendProposal
    proposal = Number(required=True)
    clauses = Clauses(required=True)
    title = fields.String(load_default=None)
    links = fields.List(Number(), load_default=None, validate=validate.Length(max=20))


class SignProposal(CommandSchema):
    command = c.SignProposal
    proposal = Number(required=True)
    version = Number(load_default=None)


class WithdrawProposal(CommandSchema):
    command = c.WithdrawProposal
    proposal = Number(required=True)


class FireInject(CommandSchema):
    command = c.FireInject
    inject = Ref(load_default=None)
    to = Refs(load_default=None)
    title = fields.String(load_default=None)
    text = fields.String(load_default=None)

    @validates_schema
    def deck_or_ad_hoc(self, data, **kw):
        if data.get("inject") is None and (data.get("title") is None or data.get("text") is None):
            raise ValidationError("Name a deck inject, or give a title and a text for an ad hoc one.")
        if data.get("inject") is not None and (data.get("title") is not None or data.get("text") is not None):
            raise ValidationError("Name a deck inject or write an ad hoc one, not both.")


class AdjustIndicator(CommandSchema):
    command = c.AdjustIndicator
    indicator = Ref(required=True)
    delta = fields.Integer(required=True, strict=True, validate=validate.Range(-1000, 1000))
    reason = fields.String(required=True)


class AdjustRelation(CommandSchema):
    command = c.AdjustRelation
    between = fields.List(Ref(), required=True, validate=validate.Length(equal=2))
    reason = fields.String(required=True)
    trust = fields.Integer(strict=True, load_default=0, validate=validate.Range(-100, 100))
    readiness = fields.Integer(strict=True, load_default=0, validate=validate.Range(-10, 10))


class ExtendClock(CommandSchema):
    command = c.ExtendClock
    minutes = fields.Integer(required=True, strict=True)


def _bare(command_class):
    return type(command_class.__name__, (CommandSchema,), {"command": command_class})


CLIENT_COMMANDS: dict[str, type[CommandSchema]] = {
    s.command.type: s for s in (
        PostMessage, OpenBackchannel, PlaySignal, WithdrawSignal, DraftProposal, AmendProposal, SignProposal,
        WithdrawProposal, FireInject, AdjustIndicator, AdjustRelation, ExtendClock,
        _bare(c.AdvancePhase), _bare(c.PauseClock), _bare(c.ResumeClock), _bare(c.DrawCeasefireRisk),
        _bare(c.EndExercise),
    )
}


def load_command(payload) -> tuple[object, int | None]:
    """A client payload -> (engine command, expected seq or None); ``WireError`` names what is wrong."""
    if not isinstance(payload, dict):
        raise WireError("invalid", "A command is an object with a 'type' field.", {"": "not an object"})
    kind = payload.get("type")
    schema = CLIENT_COMMANDS.get(kind) if isinstance(kind, str) else None
    if schema is None:
        known = ", ".join(sorted(CLIENT_COMMANDS))
        raise WireError("unknown_command", f"Unknown command type {kind!r}. Known types: {known}.",
                        {"type": "unknown"})
    try:
        return schema().load(payload)
    except ValidationError as exc:
        raise WireError.from_validation(exc, f"'{kind}' command") from None
