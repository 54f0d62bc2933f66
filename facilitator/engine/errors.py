class RuleError(Exception):
    """A command the rules refuse. ``code`` is stable and documented; ``message`` is for people."""

    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": dict(self.fields)}
