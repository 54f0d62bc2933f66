"""The ``command`` payloads clients send, loaded into engine commands.

One marshmallow schema per client command, derived from the command record itself
(its fields, their wire types from ``engine.core`` and their defaults), so a command
is declared once, in its engine slice.
"""

from __future__ import annotations

import dataclasses
import typing
from types import UnionType
from typing import Annotated

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from facilitator.engine import COMMANDS
from facilitator.engine.core import MAX_REF, Wire, hints

from .errors import WireError

# A command's id, the client's own name for it (a resend with the same id is not applied again): stored as a
# text and looked up, so none of the characters no database text can hold well (a NUL, a lone surrogate) nor
# the other control characters, which no client generating ids needs.
COMMAND_ID = validate.And(
    validate.Length(min=8, max=64),
    validate.Regexp(r"^[^\x00-\x1f\x7f-\x9f\ud800-\udfff]*$",
                    error="A command_id holds no control character and no lone surrogate."))


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` only (not 1, "yes" or "on")."""

    default_error_messages = {"invalid": "Not a boolean: use true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _field(hint, default):
    """The marshmallow field for one record field: its ``Wire`` annotation says how it travels."""
    optional, hint = _optional(hint)
    wire = next((m for m in typing.get_args(hint)[1:] if isinstance(m, Wire)), None) \
        if typing.get_origin(hint) is Annotated else None
    base = typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint
    kw = {"required": True} if default is dataclasses.MISSING else {"load_default": _wire_default(default)}
    if optional:
        kw["allow_none"] = True
    if wire is None:
        if base is bool:
            return StrictBoolean(**kw)
        if dataclasses.is_dataclass(base):
            return fields.Nested(schema_for(base), **kw)
        raise TypeError(f"no wire type for {hint!r}")
    kind = wire.kind
    if kind == "ref":
        return fields.String(validate=validate.Length(min=wire.min, max=wire.max), **kw)
    if kind == "text":
        return fields.String(**kw)
    if kind == "number":
        return fields.Integer(strict=True, validate=validate.Range(min=wire.min), **kw)
    if kind == "int":
        return fields.Integer(strict=True, validate=validate.Range(wire.min, wire.max), **kw)
    if kind in ("refs", "pair"):
        length = validate.Length(equal=2) if kind == "pair" else validate.Length(max=wire.max)
        return fields.List(fields.String(validate=validate.Length(min=1, max=MAX_REF)), validate=length, **kw)
    if kind == "numbers":
        return fields.List(fields.Integer(strict=True, validate=validate.Range(min=1)),
                           validate=validate.Length(max=wire.max), **kw)
    if kind == "records":
        element = typing.get_args(base)[0]
        return fields.List(fields.Nested(schema_for(element)), validate=validate.Length(max=wire.max), **kw)
    raise TypeError(f"unknown wire kind {kind!r}")


def _optional(hint):
    if typing.get_origin(hint) in (typing.Union, UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(options) == 1:
            return True, options[0]
    return False, hint


def _wire_default(default):
    return list(default) if isinstance(default, tuple) else default


def _to_record(cls, data: dict):
    """Loaded data -> the record: lists become tuples (nested records are built by their own schemas)."""
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


_SCHEMAS: dict[type, type[Schema]] = {}


def schema_for(cls) -> type[Schema]:
    """The schema of a command record or of a record nested in one (cached). Unknown keys are refused."""
    found = _SCHEMAS.get(cls)
    if found is not None:
        return found
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    attrs = {name: _field(hint, defaults[name]) for name, hint in hints(cls).items()}
    attrs["Meta"] = type("Meta", (), {"unknown": RAISE})
    is_command = cls in COMMANDS.values()
    if is_command:
        # The envelope: ``type``; ``seq``, the state the client decided on; ``command_id``, its own name for
        # this command (a resend with the same id is not applied twice).
        attrs["type"] = fields.String(required=True)
        attrs["seq"] = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=0))
        attrs["command_id"] = fields.String(load_default=None, validate=COMMAND_ID)

    def make(self, data, **kw):
        if not is_command:
            return _to_record(cls, data)
        envelope = {k: data.pop(k) for k in ("type", "seq", "command_id")}
        return _to_record(cls, data), envelope

    attrs["make"] = post_load(make)
    found = _SCHEMAS[cls] = type(f"{cls.__name__}Schema", (Schema,), attrs)
    return found


CLIENT_COMMANDS: dict[str, type] = {name: cls for name, cls in COMMANDS.items() if cls.CLIENT}
_LOADERS: dict[type, Schema] = {}  # one instance per command: building a schema costs more than a load


def _loader(cls) -> Schema:
    """The schema instance that loads ``cls`` (marshmallow's ``load`` keeps no state between calls)."""
    found = _LOADERS.get(cls)
    if found is None:
        found = _LOADERS[cls] = schema_for(cls)()
    return found


def load_command(payload) -> tuple[object, dict]:
    """A client payload -> (engine command, ``{type, seq, command_id}``); ``WireError`` names what is wrong."""
    if not isinstance(payload, dict):
        raise WireError("invalid", "A command is an object with a 'type' field.", {"": "not an object"})
    kind = payload.get("type")
    command = CLIENT_COMMANDS.get(kind) if isinstance(kind, str) else None
    if command is None:
        known = ", ".join(sorted(CLIENT_COMMANDS))
        raise WireError("unknown_command", f"Unknown command type {kind!r}. Known types: {known}.",
                        {"type": "unknown"})
    try:
        return _loader(command).load(payload)
    except ValidationError as exc:
        raise WireError.from_validation(exc, f"'{kind}' command") from None
