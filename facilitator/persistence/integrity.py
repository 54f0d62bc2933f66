"""The log's integrity: each stored event carries a hash chained to the one before it, so an event altered,
removed or moved after the fact is found (``verify``), and the first one at fault is named.

The hash of event n is SHA-256 of the hash of event n-1 (64 zeros before the first) followed by the event's
canonical JSON: its seq, type, version, actor, audience, data and time, keys sorted, no spaces, UTF-8.
This is version 1 of the chain; migration 0004 computed it for the events stored before it existed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64


def event_hash(previous: str, seq: int, type_: str, version: int, actor: dict | None, audience: dict, data: dict,
               at: datetime) -> str:
    """The chained hash of one event (hex, 64 characters)."""
    canonical = json.dumps({"seq": seq, "type": type_, "version": version, "actor": actor, "audience": audience,
                            "data": data, "at": at.isoformat()}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return hashlib.sha256((previous + canonical).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """``ok``, the number of events read, and for a broken log the first seq at fault and what is wrong."""

    ok: bool
    events: int
    seq: int | None = None
    problem: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"The log is intact: {self.events} events, each chained to the one before."
        return f"Event #{self.seq}: {self.problem}"


def verify(rows, last_seq: int) -> Verdict:
    """Check stored rows (in the order they were stored: objects with ``seq, type, version, actor, audience, data, at, hash``)
    against the chain and against ``last_seq``, the seq the exercise says its log reached."""
    rows = list(rows)
    chain = Chain(stored={row.seq for row in rows})
    for row in rows:
        fault = chain.add(row)
        if fault is not None:
            return fault
    return chain.end(last_seq)


class Chain:
    """The chain checked one event at a time, in order, as events are read (``verify``; an import reads an
    export this way, without holding it all).

    ``stored``: every seq the log holds, when known, to tell an event *missing* from one *out of order or
    repeated*; without it (a stream), an event found before its place is "missing or out of order".
    """

    def __init__(self, stored: set[int] | None = None):
        self.stored = stored
        self.previous, self.expected, self.count = GENESIS, 1, 0

    def add(self, row) -> Verdict | None:
        """Check the next event (an object with ``seq, type, version, actor, audience, data, at, hash``); returns
        the ``Verdict`` naming it if it is out of place or does not match its hash, else None."""
        self.count += 1
        expected = self.expected
        if row.seq != expected:
            if self.stored is not None:
                what = "out of order or repeated" if expected in self.stored else "missing"
            else:
                what = "out of order or repeated" if row.seq < expected else "missing or out of order"
            return Verdict(False, self.count, expected, f"{what} (found #{row.seq} where #{expected} should be)")
        digest = event_hash(self.previous, row.seq, row.type, row.version, row.actor, row.audience, row.data, row.at)
        if row.hash != digest:
            return Verdict(False, self.count, row.seq, "altered: its content does not match its hash"
                           if row.hash else "has no hash")
        self.previous, self.expected = row.hash, expected + 1
        return None

    def end(self, last_seq: int, where: str = "the log") -> Verdict:
        """The verdict once every event was added: whole if they reached ``last_seq``."""
        if self.expected - 1 != last_seq:
            return Verdict(False, self.count, self.expected, f"missing ({where} should reach #{last_seq})")
        return Verdict(True, self.count)
