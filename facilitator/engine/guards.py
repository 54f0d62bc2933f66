"""Checks that many commands share: who may act, whether the exercise has started, texts and names."""

from __future__ import annotations

from .audience import DELEGATION, Actor
from .errors import RuleError

MAX_TEXT = 2000  # characters of a message, a clause's terms, an ad hoc inject's text
MAX_NAME = 40  # characters of a display name
MAX_TITLE = 120  # characters of a proposal or inject title, or an adjustment's reason


def umpire(actor: Actor) -> None:
    if not actor.is_umpire:
        raise RuleError("forbidden", "Only the umpire may do this.")


def member(actor: Actor) -> str:
    """The actor's delegation; ``forbidden`` unless the actor is a delegation's member."""
    if actor.role != DELEGATION or not actor.delegation:
        raise RuleError("forbidden", "Only a delegation's members may do this.")
    return actor.delegation


def started(state) -> None:
    if state.phase is None:
        raise RuleError("not_started", "The exercise has not started yet: the umpire opens the first phase.")


def known_delegations(state, ids, field: str) -> tuple[str, ...]:
    """``ids`` without repeats, in order; ``not_found`` naming the unknown ones."""
    unknown = [d for d in ids if state.deck.delegation(d) is None]
    if unknown:
        raise RuleError("not_found", f"Unknown delegation(s): {', '.join(unknown)}.", {field: unknown})
    return tuple(dict.fromkeys(ids))


def text(value: str | None, field: str, limit: int) -> str:
    """``value`` trimmed; ``invalid`` if empty, ``too_long`` over ``limit`` characters."""
    value = (value or "").strip()
    if not value:
        raise RuleError("invalid", f"'{field}' must not be empty.", {field: "empty"})
    if len(value) > limit:
        raise RuleError("too_long", f"'{field}' is {len(value)} characters; the limit is {limit}.",
                        {field: f"over {limit} characters"})
    return value


def name_of(state, delegation_id: str) -> str:
    return state.deck.delegation(delegation_id).name
