"""The pure exercise engine: decks, state, commands, events, rules, and who sees what.

Standard library only. Nothing here knows of Flask, SQLAlchemy, marshmallow,
YAML or sockets; the rest of the application folds stored events through
``evolve``, asks ``run`` what a command does, and shows the state only
through ``visibility``.

One slice per part of the exercise, each with its commands, events, rules and view:
"""

from . import clock, participants, channels, beliefs, secret_cards, polls, indicators, signals, proposals, injects, ceasefire, adjudication, room, control, bookmarks, debrief  # noqa: F401,E501
from .audience import Actor, Audience
from .ceasefire import DrawCeasefireRisk
from .channels import OpenBackchannel, PostMessage
from .clock import AdvancePhase, EndExercise, ExtendClock, PauseClock, ResumeClock
from .core import COMMANDS, EVENTS, Event, load_event
from .errors import RuleError
from .guards import MAX_NAME, MAX_TEXT, MAX_TITLE
from .indicators import AdjustIndicator, AdjustRelation
from .injects import FireDueInjects, FireInject, due
from .participants import ClearPresence, MarkPresence, SeatParticipant
from .proposals import AmendProposal, Clause, DraftProposal, SignProposal, WithdrawProposal
from .signals import PlaySignal, WithdrawSignal
from .state import ExerciseState, decide, evolve, initial_state, pair, replay, run
from .visibility import Sections, diff, moved, perspective, perspective_key, perspectives, sees, view_sections, \
    view_state, visible_events, visible_to

SLICES = (clock, participants, channels, beliefs, secret_cards, polls, indicators, signals, proposals, injects, ceasefire, adjudication, room, control,
          bookmarks, debrief)

__all__ = [
    "Actor", "AdjustIndicator", "AdjustRelation", "AdvancePhase", "AmendProposal", "Audience", "COMMANDS", "Clause",
    "ClearPresence", "DraftProposal", "DrawCeasefireRisk", "EVENTS", "EndExercise", "Event", "ExerciseState",
    "ExtendClock", "FireDueInjects", "FireInject", "MAX_NAME", "MAX_TEXT", "MAX_TITLE", "MarkPresence", "OpenBackchannel",
    "PauseClock", "PlaySignal", "PostMessage", "ResumeClock", "RuleError", "SLICES", "SeatParticipant", "Sections",
    "SignProposal", "WithdrawProposal", "WithdrawSignal", "decide", "diff", "due", "evolve", "initial_state", "load_event",
    "moved", "pair", "perspective", "perspective_key", "perspectives", "replay", "run", "sees", "view_sections", "view_state",
    "visible_events", "visible_to",
]
