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
    stored = {row.seq for row in rows}
    previous, expected, count = GENESIS, 1, 0
    for row in rows:
        count += 1
        if row.seq != expected:
            what = "out of order or repeated" if expected in stored else "missing"
            return Verdict(False, count, expected, f"{what} (found #{row.seq} where #{expected} should be)")
        digest = event_hash(previous, row.seq, row.type, row.version, row.actor, row.audience, row.data, row.at)
        if row.hash != digest:
            return Verdict(False, count, row.seq, "altered: its content does not match its hash"
                           if row.hash else "has no hash")
        previous, expected = row.hash, expected + 1
    if expected - 1 != last_seq:
        return Verdict(False, count, expected, f"missing (the log should reach #{last_seq})")
    return Verdict(True, count)
