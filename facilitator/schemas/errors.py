"""One error envelope for every failure: ``{error: {code, message, fields}}``."""

from __future__ import annotations

from marshmallow import ValidationError


class WireError(Exception):
    def __init__(self, code: str, message: str, fields: dict | None = None, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.fields, self.status = code, message, fields or {}, status

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}

    @classmethod
    def from_validation(cls, exc: ValidationError, what: str = "request") -> "WireError":
        fields = _flat(exc.messages)
        detail = "; ".join(f"{k}: {v}" if k else v for k, v in fields.items())
        return cls("invalid", f"Invalid {what}: {detail}", fields)


def _flat(messages, prefix: str = "") -> dict:
    out = {}
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix] = " ".join(messages)
        return out
    items = messages.items() if isinstance(messages, dict) else enumerate(messages)
    for key, value in items:
        key = "" if key == "_schema" else str(key)
        out.update(_flat(value, f"{prefix}.{key}" if prefix and key else prefix or key))
    return out


def error_body(error) -> dict:
    """The envelope for a ``WireError`` or an engine ``RuleError``."""
    return {"error": error.to_dict()}
