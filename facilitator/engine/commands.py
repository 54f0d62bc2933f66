"""Commands: what someone asks the exercise to do, in the imperative.

Each record names its wire ``type``. Shapes are checked at the boundary
(marshmallow schemas); the rules in ``rules.py`` decide what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

MAX_TEXT = 2000
MAX_NAME = 40
MAX_TITLE = 120


@dataclass(frozen=True, slots=True)
class SeatParticipant:
    type: ClassVar[str] = "seat_participant"
    participant: str
    name: str
    delegation: str


@dataclass(frozen=True, slots=True)
class MarkPresence:
    """A participant's connection came up or went down (sent by the server, not by clients)."""

    type: ClassVar[str] = "mark_presence"
    participant: str
    connected: bool


@dataclass(frozen=True, slots=True)
class ClearPresence:
    """The server (re)started: nobody is connected any more (sent by the server, not by clients)."""

    type: ClassVar[str] = "clear_presence"


@dataclass(frozen=True, slots=True)
class PostMessage:
    type: ClassVar[str] = "post_message"
    channel: str
    text: str


@dataclass(frozen=True, slots=True)
class OpenBackchannel:
    type: ClassVar[str] = "open_backchannel"
    delegations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlaySignal:
    type: ClassVar[str] = "play_signal"
    card: str
    to: tuple[str, ...] = ()
    toward: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WithdrawSignal:
    type: ClassVar[str] = "withdraw_signal"
    play: int


@dataclass(frozen=True, slots=True)
class Clause:
    clause_type: str
    terms: str = ""


@dataclass(frozen=True, slots=True)
class DraftProposal:
    type: ClassVar[str] = "draft_proposal"
    table: str
    title: str
    clauses: tuple[Clause, ...]
    links: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class AmendProposal:
    type: ClassVar[str] = "amend_proposal"
    proposal: int
    clauses: tuple[Clause, ...]
    title: str | None = None
    links: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class SignProposal:
    type: ClassVar[str] = "sign_proposal"
    proposal: int
    version: int | None = None


@dataclass(frozen=True, slots=True)
class WithdrawProposal:
    type: ClassVar[str] = "withdraw_proposal"
    proposal: int


@dataclass(frozen=True, slots=True)
class FireInject:
    """Fire a deck inject (``inject`` set) or an ad hoc one (``title`` and ``text``)."""

    type: ClassVar[str] = "fire_inject"
    inject: str | None = None
    to: tuple[str, ...] | None = None
    title: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class AdjustIndicator:
    type: ClassVar[str] = "adjust_indicator"
    indicator: str
    delta: int
    reason: str


@dataclass(frozen=True, slots=True)
class AdjustRelation:
    type: ClassVar[str] = "adjust_relation"
    between: tuple[str, str]
    reason: str
    trust: int = 0
    readiness: int = 0


@dataclass(frozen=True, slots=True)
class AdvancePhase:
    type: ClassVar[str] = "advance_phase"


@dataclass(frozen=True, slots=True)
class PauseClock:
    type: ClassVar[str] = "pause_clock"


@dataclass(frozen=True, slots=True)
class ResumeClock:
    type: ClassVar[str] = "resume_clock"


@dataclass(frozen=True, slots=True)
class ExtendClock:
    type: ClassVar[str] = "extend_clock"
    minutes: int


@dataclass(frozen=True, slots=True)
class DrawCeasefireRisk:
    type: ClassVar[str] = "draw_ceasefire_risk"


@dataclass(frozen=True, slots=True)
class EndExercise:
    type: ClassVar[str] = "end_exercise"


COMMANDS = {c.type: c for c in (
    SeatParticipant, MarkPresence, ClearPresence, PostMessage, OpenBackchannel, PlaySignal, WithdrawSignal,
    DraftProposal, AmendProposal, SignProposal, WithdrawProposal, FireInject, AdjustIndicator,
    AdjustRelation, AdvancePhase, PauseClock, ResumeClock, ExtendClock, DrawCeasefireRisk,
    EndExercise,
)}

__all__ = [c.__name__ for c in COMMANDS.values()] + ["COMMANDS", "Clause", "MAX_TEXT", "MAX_NAME", "MAX_TITLE"]
