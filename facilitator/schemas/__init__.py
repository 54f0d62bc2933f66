"""Wire schemas: what clients may send, checked before anything reaches the engine."""

from .commands import CLIENT_COMMANDS, load_command
from .errors import WireError, error_body

__all__ = ["CLIENT_COMMANDS", "WireError", "error_body", "load_command"]
