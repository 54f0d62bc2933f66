"""REST request bodies."""

from marshmallow import RAISE, Schema, fields, validate


class CreateExercise(Schema):
    class Meta:
        unknown = RAISE

    deck = fields.String(required=True, validate=validate.Length(min=1, max=64))
    title = fields.String(load_default=None, validate=validate.Length(max=200))
    instructor_key = fields.String(load_default=None, validate=validate.Length(max=64))
    leave_out = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list,
                            validate=validate.Length(max=20))


class Join(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Length(min=4, max=40))
    name = fields.String(load_default=None, validate=validate.Length(max=200))


MAX_SEQ = 2 ** 31 - 1  # far beyond any exercise's log, and within every database's integer


class EventQuery(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_SEQ))
    before = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_SEQ))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))
    channel = fields.String(load_default=None, validate=validate.Length(max=100))


class Strict(Schema):
    class Meta:
        unknown = RAISE


class StaffSeatBody(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(("umpire", "assistant")))


class ReissueBody(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(("umpire", "observer", "delegation", "participant",
                                                                "staff")))
    target = fields.String(load_default=None, validate=validate.Length(min=1, max=100))


class MoveBody(Strict):
    delegation = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ReplayQuery(Schema):
    as_ = fields.String(data_key="as", required=True, validate=validate.Length(min=1, max=110))
    seq = fields.Integer(load_default=None, validate=validate.Range(min=0, max=MAX_SEQ))
    after = fields.Integer(load_default=None, validate=validate.Range(min=0, max=MAX_SEQ))
    step = fields.Integer(load_default=0, validate=validate.OneOf([-1, 0, 1]))
    history = fields.Integer(load_default=0, validate=validate.Range(min=0, max=500))
    channel = fields.String(load_default=None, validate=validate.Length(min=1, max=110))


class TimelineQuery(Schema):
    as_ = fields.String(data_key="as", required=True, validate=validate.Length(min=1, max=110))


class ReportQuery(Schema):
    """``as``: the perspective (default: the caller's own); ``format``: ``html`` or ``pdf``."""

    as_ = fields.String(data_key="as", load_default=None, validate=validate.Length(min=1, max=110))
    format = fields.String(load_default="html", validate=validate.OneOf(("html", "pdf")))


class ExportQuery(Schema):
    format = fields.String(load_default="jsonl", validate=validate.OneOf(("jsonl", "csv")))
    as_ = fields.String(data_key="as", load_default=None, validate=validate.Length(min=1, max=110))
    pseudonymise = fields.Boolean(load_default=False)
