"""Rate limits: token buckets keyed by who is asking (a connection, a person, an address).

Every limit is checked before any work is done for the request it limits, and answers with how long to
wait, so a refusal costs the server next to nothing and tells the client when to try again
(``rate_limited``, with ``retry_after`` in seconds: docs/protocol.md, docs/security.md).
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from .engine import RuleError


@dataclass(frozen=True)
class Rate:
    """``burst`` requests at once, then ``per_second`` on average."""

    burst: float
    per_second: float


class Limiter:
    """Token buckets, one per key, all with the same ``rate``. Thread-safe; buckets full again are dropped,
    so keys that stop asking cost no memory."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()
        self._swept = clock()

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens of ``key``'s bucket. Returns 0.0 when allowed, else the seconds to wait
        until it would be (nothing is spent then)."""
        rate = self.rate
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (rate.burst, now))
            tokens = min(rate.burst, tokens + (now - at) * rate.per_second)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (cost - tokens) / rate.per_second if rate.per_second > 0 else math.inf
            if now - self._swept > 60:
                self._sweep(now)
            return wait

    def refund(self, key: str, cost: float = 1.0) -> None:
        """Give back ``cost`` tokens taken from ``key``'s bucket (for limits that count only failures: take
        before trying, refund when the attempt succeeded, so concurrent attempts cannot overshoot)."""
        with self._lock:
            if key in self._buckets:
                tokens, at = self._buckets[key]
                self._buckets[key] = (min(self.rate.burst, tokens + cost), at)

    def check(self, key: str, what: str, cost: float = 1.0) -> None:
        """Like :meth:`take`, raising ``RuleError("rate_limited")`` (``fields.retry_after``: seconds, rounded
        up to a tenth) when the bucket is empty; ``what`` names what was limited, in the message."""
        wait = self.take(key, cost)
        if wait:
            raise rate_limited(what, wait)

    def _sweep(self, now: float) -> None:
        rate = self.rate
        full = [k for k, (tokens, at) in self._buckets.items() if tokens + (now - at) * rate.per_second >= rate.burst]
        for key in full:
            del self._buckets[key]
        self._swept = now

    def __len__(self) -> int:
        return len(self._buckets)


@contextmanager
def guessing(limiter: Limiter, key: str, secret: object = None) -> Iterator[Callable[[], None]]:
    """A check of a secret (a code, a token, the instructor key) made from ``key`` (an address). Refused with
    ``rate_limited`` before the block when the wrong guesses ``limiter`` allows are used up. The block calls the
    function it is given when the secret was wrong: that guess stays spent; any other outcome gives it back.

    A guess that could be a code or a key is taken before the check, so guesses made at once cannot overshoot.
    One shaped like a personal token (``secret`` of ``TOKEN_LENGTH`` characters or more: 144 random bits,
    which no rate of guessing finds) is only checked against the limit before, and spent after if wrong: a
    class behind one address connecting all at once, every token valid, is never refused for the guesses its
    own connections hold in flight (a burst of wrong ones may then pass the limit by the few in flight)."""
    reserve = not (isinstance(secret, str) and len(secret) >= TOKEN_LENGTH)
    wait = limiter.take(key)
    if wait:
        raise rate_limited("wrong codes, keys or tokens from this address", wait)
    if not reserve:
        limiter.refund(key)
    wrong: list[bool] = []
    try:
        yield lambda: wrong.append(True)
    finally:
        if reserve and not wrong:
            limiter.refund(key)
        elif not reserve and wrong:
            limiter.take(key)


TOKEN_LENGTH = 32  # characters of a personal token (services/tokens.py: 24 random bytes, URL-safe base64)


def rate_limited(what: str, wait: float) -> RuleError:
    seconds = math.ceil(wait * 10) / 10 if math.isfinite(wait) else 3600.0
    return RuleError("rate_limited", f"Too many {what}: try again in {seconds:g} s.",
                     {"retry_after": f"{seconds:g}"})


# The defaults (app config keys, each a ``Rate`` or a number; docs/security.md says why each is what it is).
DEFAULTS = {
    # Commands per person (a seat: participant, staff seat, umpire), across their connections: holding Enter
    # or a script stays at 10 a second; a reconnecting page resends its unanswered commands within the burst.
    "LIMIT_COMMANDS": Rate(burst=30, per_second=10),
    # Resumes per connection (each may replay history): a reconnecting page needs one.
    "LIMIT_RESUMES": Rate(burst=5, per_second=0.5),
    # Failed guesses per address (unknown join or observer codes, unknown tokens): a class behind one address
    # mistypes a few; guessing runs at 20 a minute.
    "LIMIT_GUESSES": Rate(burst=20, per_second=1 / 3),
    # Exercises created per address.
    "LIMIT_CREATIONS": Rate(burst=10, per_second=1 / 30),
    # Open connections per address (a class behind one NAT address: 40 students with a few tabs each).
    "LIMIT_CONNECTIONS_PER_ADDRESS": 250,
    # Seconds a socket may stay open without presenting a valid token.
    "LIMIT_UNAUTHENTICATED_SECONDS": 10,
}


def as_rate(value, name: str) -> Rate:
    """A ``Rate`` from a setting: a ``Rate``, or ``[burst, per_second]`` as the environment gives it (e.g.
    ``FACILITATOR_LIMIT_COMMANDS='[30, 10]'``). Raises ``ValueError`` naming the setting otherwise."""
    if isinstance(value, Rate):
        return value
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in value)):
        return Rate(float(value[0]), float(value[1]))
    raise ValueError(f"{name} must be [burst, per second], two numbers of 0 or more (got {value!r}).")


class Limits:
    """The app's limiters, made from its config (``DEFAULTS`` keys)."""

    def __init__(self, config):
        self.commands = Limiter(as_rate(config["LIMIT_COMMANDS"], "LIMIT_COMMANDS"))
        self.resumes = Limiter(as_rate(config["LIMIT_RESUMES"], "LIMIT_RESUMES"))
        self.guesses = Limiter(as_rate(config["LIMIT_GUESSES"], "LIMIT_GUESSES"))
        self.creations = Limiter(as_rate(config["LIMIT_CREATIONS"], "LIMIT_CREATIONS"))
        self.connections_per_address = int(config["LIMIT_CONNECTIONS_PER_ADDRESS"])
        self.unauthenticated_seconds = float(config["LIMIT_UNAUTHENTICATED_SECONDS"])
