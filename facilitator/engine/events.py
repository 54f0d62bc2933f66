"""Events: what happened, in the past tense, with who may see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Mapping

from .audience import Actor, Audience

EVENT_VERSION = 1

# Event types (the wire name of each is the string).
PARTICIPANT_SEATED = "participant_seated"
PARTICIPANT_CONNECTED = "participant_connected"
PARTICIPANT_DISCONNECTED = "participant_disconnected"
MESSAGE_POSTED = "message_posted"
BACKCHANNEL_OPENED = "backchannel_opened"
SIGNAL_PLAYED = "signal_played"
SIGNAL_RECIPROCATED = "signal_reciprocated"
SIGNAL_WITHDRAWN = "signal_withdrawn"
INDICATOR_CHANGED = "indicator_changed"
THRESHOLD_CROSSED = "threshold_crossed"
RELATION_CHANGED = "relation_changed"
INJECT_FIRED = "inject_fired"
PHASE_ADVANCED = "phase_advanced"
CLOCK_PAUSED = "clock_paused"
CLOCK_RESUMED = "clock_resumed"
CLOCK_EXTENDED = "clock_extended"
EXERCISE_ENDED = "exercise_ended"
PROPOSAL_DRAFTED = "proposal_drafted"
PROPOSAL_AMENDED = "proposal_amended"
PROPOSAL_SIGNED = "proposal_signed"
PROPOSAL_WITHDRAWN = "proposal_withdrawn"
AGREEMENT_IN_FORCE = "agreement_entered_into_force"
CEASEFIRE_BEGAN = "ceasefire_began"
CEASEFIRE_RISK_DRAWN = "ceasefire_risk_drawn"
CEASEFIRE_INCIDENT = "ceasefire_incident"
CEASEFIRE_COLLAPSED = "ceasefire_collapsed"


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the log. ``seq`` and ``at`` are assigned when it is stored."""

    type: str
    data: Mapping[str, Any]
    audience: Audience
    actor: Actor | None = None
    seq: int | None = None
    at: datetime | None = None
    version: int = EVENT_VERSION

    def __post_init__(self):
        if not isinstance(self.data, MappingProxyType):
            object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def stored(self, seq: int, at: datetime) -> "Event":
        return Event(self.type, self.data, self.audience, self.actor, seq, at, self.version)

    def to_dict(self) -> dict:
        """The wire and export shape: ``{seq, type, at, actor, audience, data}``."""
        return {
            "seq": self.seq,
            "type": self.type,
            "version": self.version,
            "at": self.at.isoformat() if self.at else None,
            "actor": self.actor.to_dict() if self.actor else None,
            "audience": self.audience.to_dict(),
            "data": _plain(self.data),
        }


def _plain(value):
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
