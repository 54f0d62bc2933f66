"""The pure exercise engine: decks, state, commands, events, rules.

Standard library only. Nothing here knows of Flask, SQLAlchemy, marshmallow,
YAML or sockets; the rest of the application folds stored events through
``evolve`` and asks ``decide`` what a command does.
"""

from .audience import Actor, Audience, visible_to
from . import commands as _commands
from .commands import *  # noqa: F401,F403  (the command records)
from .errors import RuleError
from .events import Event
from .rules import decide
from .state import ExerciseState, evolve, initial_state, replay
from .view import view_state

__all__ = _commands.__all__ + [
    "Actor",
    "Audience",
    "Event",
    "ExerciseState",
    "RuleError",
    "decide",
    "evolve",
    "initial_state",
    "replay",
    "view_state",
    "visible_to",
]
