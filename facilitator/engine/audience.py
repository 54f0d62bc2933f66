"""Actors (who acts or looks) and audiences (who may see an event). The rule joining them is in ``visibility``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

UMPIRE = "umpire"
ASSISTANT = "assistant"  # exercise control staff: fires injects and adjudicates, but does not end or re-issue
DELEGATION = "delegation"
OBSERVER = "observer"
ROLES = (UMPIRE, ASSISTANT, DELEGATION, OBSERVER)
CONTROL = (UMPIRE, ASSISTANT)


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone acting on, or looking at, an exercise.

    ``participant`` and ``name`` are set for seated people and for umpire staff seats (their
    ``participant`` is the seat's id); the umpire of an exercise's own link and observers act
    without them. ``acting_for``: a delegation the umpire plays because it has no players.
    """

    role: str
    delegation: str | None = None
    participant: str | None = None
    name: str | None = None

    @property
    def is_umpire(self) -> bool:
        """Exercise control: the umpire or an assistant (see ``guards.umpire`` and ``guards.chief``)."""
        return self.role in CONTROL

    def to_dict(self) -> dict:
        return {"role": self.role, "delegation": self.delegation,
                "participant": self.participant, "name": self.name}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Actor | None":
        if data is None:
            return None
        return cls(data["role"], data.get("delegation"), data.get("participant"), data.get("name"))


UMPIRE_ACTOR = Actor(UMPIRE, name="Umpire")
SCHEDULE_ACTOR = Actor(UMPIRE, participant="schedule", name="Schedule")  # the server firing due injects


@dataclass(frozen=True, slots=True)
class Audience:
    """Everyone, or some delegations (with or without observers). The umpire always sees."""

    everyone: bool = False
    delegations: frozenset[str] = frozenset()
    observers: bool = False

    @classmethod
    def all(cls) -> "Audience":
        return cls(everyone=True, observers=True)

    @classmethod
    def umpire_only(cls) -> "Audience":
        return cls()

    @classmethod
    def of(cls, delegations: Iterable[str], observers: bool = False) -> "Audience":
        return cls(delegations=frozenset(delegations), observers=observers)

    def to_dict(self) -> dict:
        if self.everyone:
            return {"everyone": True}
        return {"everyone": False, "delegations": sorted(self.delegations), "observers": self.observers}

    @classmethod
    def from_dict(cls, data: dict) -> "Audience":
        if data.get("everyone"):
            return cls.all()
        return cls.of(data.get("delegations", ()), bool(data.get("observers", False)))
