"""Helpers for tests against a real server: REST calls, and players that hold a real Socket.IO connection.

A ``Player`` wraps a python-socketio client on the websocket transport. It
records every ``sync`` and every event of every ``update`` in arrival order,
and keeps its state as the browser does (the last ``sync``, with each update's
patch applied). It handles incoming packets one at a time, as a browser does
(python-socketio's client would otherwise run each handler in its own thread,
so arrival order could not be checked). Tests wait on conditions
(``wait_for``), never on sleeps.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import engineio
import pytest
import socketio

TIMEOUT = 5.0  # seconds: a generous bound for any one thing to arrive on 127.0.0.1


# ---- REST -------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    body: object
    headers: dict = field(default_factory=dict)

    @property
    def error(self) -> dict:
        assert isinstance(self.body, dict) and set(self.body) == {"error"}, self.body
        assert set(self.body["error"]) == {"code", "message", "fields"}, self.body
        return self.body["error"]


def http(base: str, method: str, path: str, body=None, token: str | None = None, raw: bytes | None = None,
         content_type: str = "application/json") -> Reply:
    """One HTTP request; errors are returned as replies, not raised."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": content_type} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            status, payload, got = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        status, payload, got = exc.code, exc.read(), dict(exc.headers)
        exc.close()
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = payload.decode(errors="replace")
    return Reply(status, parsed, got)


def create_exercise(base: str, deck: str = "demo") -> dict:
    reply = http(base, "POST", "/api/exercises", {"deck": deck})
    assert reply.status == 201, reply.body
    created = reply.body
    created["codes"] = {d["id"]: d["code"] for d in created["delegations"]}
    return created


def join(base: str, code: str, name: str) -> dict:
    reply = http(base, "POST", "/api/join", {"code": code, "name": name})
    assert reply.status in (200, 201), reply.body
    return reply.body


# ---- audiences, as the wire describes them ----------------------------------------

def post_at_once(players: list, n: int) -> list[int]:
    """Each player posts ``n`` plenary messages (``"<label>: <k>"``), one after another, all players at once (a
    thread each); returns the seqs of every ack."""
    acks: list[int] = []
    lock = threading.Lock()

    def talk(player) -> None:
        for k in range(n):
            seq = player.ok("post_message", channel="plenary", text=f"{player.label}: {k}")
            with lock:
                acks.append(seq)

    threads = [threading.Thread(target=talk, args=(p,)) for p in players]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return acks


def may_see(event: dict, role: str, delegation: str | None = None) -> bool:
    """What the event's own ``audience`` says about a viewer (the umpire sees everything)."""
    audience = event["audience"]
    if role == "umpire" or audience.get("everyone"):
        return True
    if role == "observer":
        return bool(audience.get("observers"))
    return delegation in audience.get("delegations", ())


def apply_patch(state: dict, patch: dict) -> None:
    """Apply an ``update``'s state patch as docs/protocol.md describes it (and the browser does)."""
    for name, value in patch.get("set", {}).items():
        if value is None:
            state.pop(name, None)
        else:
            state[name] = value
    for name, change in patch.get("merge", {}).items():
        key, before = change["key"], state.get(name, [])
        entries = {entry[key]: entry for entry in before}
        # without ``order``: the entries kept in their places, then the new ones in the order of ``upsert``
        arrived = [entry[key] for entry in before] + [entry[key] for entry in change.get("upsert", [])
                                                     if entry[key] not in entries]
        for entry in change.get("upsert", []):
            entries[entry[key]] = entry
        for gone in change.get("remove", []):
            entries.pop(gone, None)
        order = change.get("order", [k for k in arrived if k in entries])
        state[name] = [entries[k] for k in order]


def comparable(state: dict) -> dict:
    """A state without what belongs to one connection or one moment (``you``, ``last_seq``)."""
    return {k: v for k, v in state.items() if k not in ("you", "last_seq")}


# ---- players ------------------------------------------------------------------------

class _OrderedEngineIO(engineio.Client):
    """An Engine.IO client that handles packets one by one in the order they arrive."""

    def _trigger_event(self, event, *args, **kwargs):
        kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)

    def disconnect(self, abort=False, reason=None):
        # websocket-client waits up to 3 s for the server's close frame, which the read loop has
        # usually consumed already; the server has our close by then, so do not wait.
        ws = getattr(self, "ws", None)
        if ws is not None and self.current_transport == "websocket":
            close = ws.close
            ws.close = lambda *a, **kw: close(timeout=0)
        return super().disconnect(abort=abort, reason=reason)


class _OrderedClient(socketio.Client):
    def _engineio_client_class(self):
        return _OrderedEngineIO


class Player:
    """One browser tab: a token, a live connection, and everything it was sent."""

    def __init__(self, base: str, token: str, role: str, delegation: str | None = None, label: str = ""):
        self.base, self.token, self.role, self.delegation = base, token, role, delegation
        self.label = label or delegation or role
        self.cond = threading.Condition()
        self.events: list[dict] = []        # in arrival order, over every connection
        self.updates: list[dict] = []       # every update as received
        self.syncs: list[dict] = []
        self.state: dict | None = None      # the last sync's state with every later update's patch applied
        self.received: list[tuple[str, dict]] = []  # ("sync" | "update", payload) in arrival order
        self.refusals: list[dict] = []
        self.keep_states = False  # True: ``states`` keeps the state as it stood after each live update, by seq
        self.states: dict[int, dict] = {}
        self.sio: socketio.Client | None = None

    def __repr__(self):
        return f"<Player {self.label}>"

    # connection --------------------------------------------------------------
    def connect(self, last_seq=0, resume: bool = True, auth=None) -> "Player":
        """Connect (and, unless told otherwise, ``resume`` from ``last_seq``: 0 replays the whole visible log)."""
        self.close()  # a previous connection (dropped by the server, say) must not linger
        sio = _OrderedClient(reconnection=False)
        sio.on("update", self._on_update)
        sio.on("sync", self._on_sync)
        sio.on("connect_error", self._on_refused)
        sio.on("disconnect", self._on_disconnect)
        self.sio = sio
        sio.connect(self.base, auth={"token": self.token} if auth is None else auth, transports=["websocket"],
                    wait_timeout=TIMEOUT)
        if resume:
            ack = self.resume(last_seq)
            assert ack["ok"], ack
        return self

    def resume(self, last_seq) -> dict:
        """Send ``resume``; the ack comes after the ``sync`` and the missed events, so they are recorded on return."""
        return self.sio.call("resume", {"last_seq": last_seq}, timeout=TIMEOUT)

    def close(self) -> None:
        if self.sio is None:
            return
        if self.sio.connected:
            self.sio.disconnect()
        ws = getattr(self.sio.eio, "ws", None)
        if ws is not None:  # after a drop by the server, the client library leaves its socket open
            ws.shutdown()

    @property
    def connected(self) -> bool:
        return self.sio is not None and self.sio.connected

    # acting ------------------------------------------------------------------
    def command(self, type: str, **fields) -> dict:
        return self.send({"type": type, **fields})

    def send(self, payload) -> dict:
        """Emit a raw ``command`` payload and return the ack; refused as ``rate_limited``, it is sent again
        after ``retry_after``, as the browser does."""
        while True:
            ack = self.sio.call("command", payload, timeout=TIMEOUT)
            if not (isinstance(ack, dict) and ack.get("ok") is False and ack["error"]["code"] == "rate_limited"):
                return ack
            time.sleep(float(ack["error"]["fields"]["retry_after"]))

    def ok(self, type: str, **fields) -> int:
        """Run a command that must succeed; returns the seq of its last event."""
        ack = self.command(type, **fields)
        assert ack.get("ok") is True, f"{self.label} {type}: {ack}"
        return ack["seq"]

    def refused(self, type: str, code: str, **fields) -> dict:
        """Run a command that must fail with ``code``; returns the error."""
        ack = self.command(type, **fields)
        assert ack.get("ok") is False and ack["error"]["code"] == code, f"{self.label} {type}: {ack}"
        assert set(ack["error"]) == {"code", "message", "fields"} and ack["error"]["message"]
        return ack["error"]

    # what it was sent ------------------------------------------------------------
    def _on_update(self, data):
        with self.cond:
            self.received.append(("update", data))
            self.updates.append(data)
            self.events.extend(data.get("events", []))
            if self.state is not None and data.get("state"):
                apply_patch(self.state, data["state"])
            if self.state is not None and not data.get("history") and self.keep_states:
                self.states[data["seq"]] = copy.deepcopy(self.state)
            self.cond.notify_all()

    def _on_sync(self, data):
        with self.cond:
            self.received.append(("sync", data))
            self.syncs.append(data)
            self.state = copy.deepcopy(data["state"])
            self.cond.notify_all()

    def _on_disconnect(self, reason=None):
        with self.cond:
            self.cond.notify_all()

    def _on_refused(self, data=None):
        with self.cond:
            self.refusals.append(data)
            self.cond.notify_all()

    def wait_for(self, predicate, timeout: float = TIMEOUT, what: str = "condition"):
        """Wait until ``predicate(player)`` is truthy; return its value.

        Woken by every event and sync, and every 50 ms for predicates that look elsewhere.
        """
        deadline = time.monotonic() + timeout
        with self.cond:
            while not (result := predicate(self)) and (left := deadline - time.monotonic()) > 0:
                self.cond.wait(min(left, 0.05))
        assert result, f"{self.label}: timed out waiting for {what}; last events: " \
                       f"{[(e['seq'], e['type']) for e in self.events[-5:]]}"
        return result

    def wait_seq(self, seq: int) -> None:
        self.wait_for(lambda p: any(e["seq"] >= seq for e in p.events), what=f"seq {seq}")

    def wait_event(self, type: str, **data) -> dict:
        def found(p):
            return next((e for e in reversed(p.events) if e["type"] == type
                         and all(e["data"].get(k) == v for k, v in data.items())), None)
        return self.wait_for(found, what=f"{type} {data}")

    @property
    def sync(self) -> dict:
        return self.syncs[-1]

    @property
    def seqs(self) -> list[int]:
        with self.cond:
            return [e["seq"] for e in self.events]

    def since(self, seq: int) -> list[dict]:
        with self.cond:
            return [e for e in self.events if e["seq"] > seq]

    def of_type(self, type: str) -> list[dict]:
        with self.cond:
            return [e for e in self.events if e["type"] == type]

    def may_see(self, event: dict) -> bool:
        return may_see(event, self.role, self.delegation)


# ---- a whole table of players -------------------------------------------------------------

class Table:
    """An exercise on the demo deck with an umpire, delegation members and an observer, all connected."""

    NAMES = {"ukraine": "Olena", "russia": "Sergei", "turkey": "Ayse", "un": "Amina"}

    def __init__(self, base: str, exercises, delegations=("ukraine", "russia", "turkey"), observer: bool = True):
        self.base, self.service = base, exercises
        self.created = create_exercise(base)
        self.id = self.created["id"]
        self.players: list[Player] = []
        self.umpire = self.add(Player(base, self.created["umpire"]["token"], "umpire", label="umpire"))
        self.members: dict[str, Player] = {}
        for d in delegations:
            joined = join(base, self.created["codes"][d], self.NAMES[d])
            self.members[d] = self.add(Player(base, joined["token"], "delegation", d))
        self.observer = None
        if observer:
            joined = join(base, self.created["observer"]["code"], "")
            self.observer = self.add(Player(base, joined["token"], "observer", label="observer"))

    def add(self, player: Player) -> Player:
        self.players.append(player)
        return player

    def connect_all(self) -> "Table":
        for player in self.players:
            player.connect(0)
        self.settle()
        return self

    def __getitem__(self, delegation: str) -> Player:
        return self.members[delegation]

    @property
    def connected(self) -> list[Player]:
        return [p for p in self.players if p.connected]

    def last_seq(self) -> int:
        return self.service.state(self.id).seq

    def settle(self) -> int:
        """A barrier: the umpire posts to the plenary and every connected player waits until it arrives.

        Events reach each connection in seq order, so once a player has this
        message it has everything before it that it was going to get.
        """
        seq = self.umpire.ok("post_message", channel="plenary", text="(barrier)")
        for player in self.connected:
            player.wait_seq(seq)
        return seq

    def close(self) -> None:
        threads = [threading.Thread(target=p.close) for p in self.players]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT)


@pytest.fixture
def table(live_server, exercises):
    """The demo deck with an umpire, Ukraine, Russia and Turkey, and an observer, connected and resumed."""
    t = Table(live_server.url, exercises)
    yield t.connect_all()
    t.close()
