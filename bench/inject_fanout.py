"""Inject fan-out: how long N connected participants take to hold the new state after an umpire's inject.

An umpire fires an ad hoc inject to everyone (``fire_inject`` with a unique
title) while N participants of a demo exercise (joined through /api/join,
spread over all delegations) are connected over WebSocket. The clients behave
like the browser (static/js/lib/socket.js and store.js):

- old protocol: the server pushes ``event``s; after any live non-chat event
  the page waits 60 ms, emits ``resume`` {last_seq} and waits for the
  ``sync`` (one resume in flight at a time; events meanwhile mean one more
  resume after the ack). A client holds the new state when it receives a
  ``sync`` whose last_seq is at least the inject's seq.
- new protocol: the server pushes one ``update`` {seq, events, state} per
  commit; the page sends nothing back. A client holds the new state when it
  receives the ``update`` whose events include the inject.

The protocol is detected (the first ``update`` switches every client to the
new one) or forced with --protocol. The umpire is a browser-like client too
(its resumes load the server) but is left out of every per-client figure.

The baseline in the same run is bare Flask-SocketIO in the same async mode
(bench/servers.py ``baseline``) re-broadcasting a ~320-byte event to one room
per command; its clients only listen, and hold the new state when the event
arrives.

Async modes (--mode; bench/servers.py):
  threading  both on Werkzeug's threads, SQLite (the default, as before)
  gevent     baseline: bare Flask-SocketIO under gunicorn -k gevent -w 1
             --worker-connections 10000; facilitator: `facilitator serve
             --production` (gunicorn, one gevent worker) after `facilitator db
             upgrade`. CPU and memory are the gunicorn worker's.
Layouts (--layout): ``one`` exercise of N participants; ``split``: exercises
of --exercise-size participants (25), each with its own umpire, every umpire
firing its inject at the same moment (a round); the baseline's clients then
sit in one room per exercise. Latency is from each exercise's send to each of
its participants' receipt. --processes 2 (gevent): two server processes on
two ports, participants alternating between them, the umpires on the first;
the facilitator shares a PostgreSQL database and Redis (scaleout.py), the
baseline uses Flask-SocketIO's own Redis message_queue. CPU and RSS are then
the sum over both workers.

The facilitator's limits on connections and on exercises created per address
are raised through the environment (bench/servers.py ``BENCH_LIMITS``): every
client comes from 127.0.0.1. Commands per person keep their limit (one inject
per umpire per round).

All clients are python-socketio AsyncClients (aiohttp) in one asyncio loop
in this process; each server runs in its own process. Rounds are spaced:
the next one is fired once every client holds the state, no resume is
pending, and 200 ms have passed.

Printed without --mode (the older table), per server and N:
  event p50/p99   ms from the umpire's send to the inject event's receipt
  fresh p50/p99   ms from the send to "holds the new state"
  CPU ms/inj      server process CPU (user+system, /proc/PID/stat) per inject
  RSS MB          server resident memory after the injects
  event KB/inj    ``event`` messages received by all clients per inject
  state KB/inj    ``sync`` + ``update`` messages received per inject
  req/inj         resumes sent by participants because of events, per inject
  late            participant-injects without the new state within --timeout
  cli CPU ms/inj  this process's CPU per inject (the clients' cost)
  lag p99 ms      p99 delay of a 5 ms timer in the clients' loop (saturation)
With --mode: delivery (holds the new state) p50/p95/p99/max ms; server CPU ms
per round and µs per delivered update; worker RSS; then the ratios
facilitator/baseline (p99, the target: within 1.3x), and a table of the
connecting: seconds to seat (facilitator: HTTP joins) and to connect every
participant (connect + resume + sync, 25 at a time), server CPU ms per
connection and RSS once all are connected (target: 1,000 under 200 MB).
Payload sizes are len(json.dumps(msg)) with compact separators, measured
between injects so they do not delay the clients. Under each row: the
umpire's ack time, and a COLLAPSE line (clients without the event or the
state within --timeout, disconnected clients, injects without an ack) or a
SLOW line (resumes unanswered within 10 s, which the page sends again) when
they happened; none of them stops the run.

--profile DIR records the facilitator's worker with py-spy (bench/profile.py)
while participants connect and while injects are fired, and prints where the
samples fall; py-spy slows the server, so a profiled run's figures are not
the benchmark's. --total-budget bounds the whole run (runs not started in
time are skipped and named); --budget bounds each run's injects.

Needs aiohttp (for socketio.AsyncClient) besides the test dependencies.

    .venv/bin/python -m bench.inject_fanout --clients 50 200 500 [--rounds 15] [--verbose]
    .venv/bin/python -m bench.inject_fanout --mode gevent [--clients 50 200 500 1000] [--layout one split]
    .venv/bin/python -m bench.inject_fanout --mode gevent --processes 2
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import aiohttp
import socketio

from bench.lean_client import LeanClient
from bench.profile import FACILITATOR_PARTS, Recorder, summary
from bench.servers import Server, backing, start, versions

ROOT = Path(__file__).resolve().parent.parent
RESYNC_DELAY = 0.060      # socket.js RESYNC_DELAY_MS
RETRY_DELAY = 1.0         # socket.js: resume again after a failed one
COMMAND_TIMEOUT = 10.0    # socket.js COMMAND_TIMEOUT_MS
GAP = 0.200               # pause between one inject's settling and the next
CONNECT_CONCURRENCY = 25
SEAT_CONCURRENCY = 4
INJECT_TEXT = ("Reports reach the delegations of shelling near the eastern crossing; "
               "the convoy is delayed until the corridor reopens.")
P99_TARGET = 1.3          # our p99 within 1.3x the bare server's
RSS_TARGET = 200.0        # MB for 1,000 connected participants in one process


# ---- the server processes (bench/servers.py) -------------------------------------------------------

def start_server(kind: str, folder: str) -> Server:
    """One server in the older benchmarks' way (threading, Werkzeug, SQLite)."""
    return start(kind, "threading", folder)


def start_servers(kind: str, args, folder: str) -> list[Server]:
    mode = args.mode or "threading"
    database_url = args.new_database() if kind == "facilitator" else None
    queue = args.redis_url if args.procs > 1 else None
    env = {"FACILITATOR_INSTANCE": str(Path(folder) / "instance")}  # one secret key for the processes
    servers: list[Server] = []
    try:
        for i in range(args.procs):
            servers.append(start(kind, mode, Path(folder) / f"p{i}", database_url, queue, env,
                                 name=f"{kind}-{i}"))
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


async def post(http: aiohttp.ClientSession, url: str, body: dict) -> dict:
    async with http.post(url, json=body) as response:
        response.raise_for_status()
        return await response.json()


async def seat(url: str, n: int, gate: asyncio.Semaphore | None = None,
               http: aiohttp.ClientSession | None = None) -> tuple[str, list[str]]:
    """A demo exercise with n participants spread over its delegations: (umpire token, participant tokens)."""
    own = http is None
    http = http or aiohttp.ClientSession()
    try:
        created = await post(http, f"{url}/api/exercises", {"deck": "demo"})
        codes = [d["code"] for d in created["delegations"]]
        gate = gate or asyncio.Semaphore(SEAT_CONCURRENCY)

        async def join(i: int) -> str:
            async with gate:
                reply = await post(http, f"{url}/api/join", {"code": codes[i % len(codes)], "name": f"p{i}"})
                return reply["token"]

        tokens = await asyncio.gather(*(join(i) for i in range(n)))
    finally:
        if own:
            await http.close()
    return created["umpire"]["token"], list(tokens)


async def seat_all(url: str, sizes: list[int]) -> list[tuple[str, list[str]]]:
    """One demo exercise per size, seated at once (SEAT_CONCURRENCY joins at a time in all)."""
    gate = asyncio.Semaphore(SEAT_CONCURRENCY)
    async with aiohttp.ClientSession() as http:
        return list(await asyncio.gather(*(seat(url, size, gate, http) for size in sizes)))


# ---- the clients -------------------------------------------------------------------------------------

@dataclass
class Round:
    markers: list[str]                                # one per exercise (group)
    sent: list[float] = field(default_factory=list)   # when each group's inject was sent

    @property
    def marker(self) -> str:
        return self.markers[0]


class Bench:
    """What the clients share: the protocol in use, the current inject, and the count of clients holding it."""

    def __init__(self, kind: str, protocol: str):
        self.protocol = "listen" if kind == "baseline" else protocol   # listen | auto | old | new
        self.round: Round | None = None
        self.n = 0
        self.got_event = 0
        self.holding = 0
        self.all_hold = asyncio.Event()

    def new_round(self, markers: list[str] | str, participants: list[Browser]) -> Round:
        self.got_event = self.holding = 0
        self.all_hold.clear()
        for client in participants:
            client.reset_round()
        markers = [markers] if isinstance(markers, str) else markers
        self.round = Round(markers, [time.perf_counter()] * len(markers))
        return self.round

    @property
    def resyncs(self) -> bool:
        """Whether a live non-chat event makes the page ask for a new sync (old protocol)."""
        return self.protocol in ("old", "auto")

    def is_inject(self, event: dict, group: int = 0) -> bool:
        data = event.get("data") or {}
        if self.round is None:
            return False
        marker = self.round.markers[group]
        if self.protocol == "listen":
            return data.get("text") == baseline_text(marker)
        return event.get("type") == "inject_fired" and data.get("title") == marker


def baseline_text(marker: str) -> str:
    return marker.ljust(120, ".")


class Browser:
    """One page's live connection: socket.js's resume/coalescing and store.js's resync-after-event."""

    def __init__(self, bench: Bench, token: str, counted: bool = True, group: int = 0, room: str | None = None,
                 lean: bool = False):
        self.bench, self.token, self.counted = bench, token, counted
        self.group, self.room = group, room   # the exercise it belongs to; the baseline's room for it
        self.sio = (LeanClient if lean else socketio.AsyncClient)(reconnection=False)
        if lean:
            self.sio.eio.fast = self.raw
        self.raw_bytes = 0   # bytes of `update`/`event` messages taken by `raw` in this round
        self.sio.on("sync", self.on_sync)
        self.sio.on("event", self.on_event)
        self.sio.on("update", self.on_update)
        self.last_seq: int | None = None
        self.sync_last_seq = 0
        self.seen: set[int] = set()
        self.synced = asyncio.Event()
        self.resumed = asyncio.Event()   # a resume was acknowledged (the baseline answers no sync)
        self.resume_task: asyncio.Task | None = None   # kept referenced while it runs
        self.timer: asyncio.TimerHandle | None = None
        self.in_flight = False
        self.again = False
        self.timer_cause = "event"
        self.event_resumes = 0   # resumes sent because of events (after the first sync)
        self.failed = 0          # resumes refused or unanswered within COMMAND_TIMEOUT
        self.reset_round()

    def reset_round(self) -> None:
        self.event_at: float | None = None
        self.fresh_at: float | None = None
        self.inject_seq: int | None = None
        self.syncs: list[tuple[float, int]] = []   # (arrival, last_seq) of this round's syncs
        self.state_msgs: list[dict] = []
        self.event_msgs: list[dict] = []
        self.raw_bytes = 0

    async def connect(self, url: str) -> None:
        await self.sio.connect(url, auth={"token": self.token}, transports=["websocket"], wait_timeout=30)
        self.resume()
        await asyncio.wait_for(self.resumed.wait(), 60)
        if self.bench.protocol != "listen":
            await asyncio.wait_for(self.synced.wait(), 60)

    @property
    def idle(self) -> bool:
        return self.timer is None and not self.in_flight

    # -- socket.js ---------------------------------------------------------------------------------

    def resume(self) -> None:
        self.in_flight = True
        self.resume_task = asyncio.get_running_loop().create_task(self._resume())

    async def _resume(self) -> None:
        payload = {"last_seq": self.last_seq}
        if self.room is not None:
            payload["room"] = self.room
        try:
            ack = await self.sio.call("resume", payload, timeout=COMMAND_TIMEOUT)
        except Exception:   # timed out or disconnected: treated as a failed resume
            ack = None
        self.in_flight = False
        if not isinstance(ack, dict) or not ack.get("ok"):
            self.failed += 1
            if self.sio.connected:
                self.schedule_resync(RETRY_DELAY, "retry")
            return
        self.resumed.set()
        if self.again:
            self.again = False
            self.schedule_resync()

    def schedule_resync(self, delay: float = RESYNC_DELAY, cause: str = "event") -> None:
        if self.in_flight:
            self.again = True
            return
        if self.timer is not None:
            return
        self.timer_cause = cause
        self.timer = asyncio.get_running_loop().call_later(delay, self._resync_due)

    def _resync_due(self) -> None:
        self.timer = None
        if self.sio.connected and (self.synced.is_set() or self.bench.protocol == "listen"):
            if self.timer_cause == "event":
                self.event_resumes += 1
            self.resume()

    def on_sync(self, msg: dict) -> None:
        now = time.perf_counter()
        self.synced.set()
        self.sync_last_seq = msg["last_seq"]
        self.last_seq = max(self.last_seq or 0, msg["last_seq"])
        if self.bench.round is None:
            return
        self.state_msgs.append(msg)
        self.syncs.append((now, msg["last_seq"]))
        if self.inject_seq is not None and msg["last_seq"] >= self.inject_seq:
            self.hold(now)

    def on_event(self, event: dict) -> None:
        now = time.perf_counter()
        if self.bench.round is not None:
            self.event_msgs.append(event)
        if self.bench.protocol == "listen":   # the baseline's clients only listen
            if self.bench.is_inject(event, self.group):
                self.got(now)
                self.hold(now)
            return
        if not self.accept(event):
            return
        history = event["seq"] <= self.sync_last_seq
        chat = event.get("type") == "message_posted" and (event.get("data") or {}).get("channel")
        if self.bench.is_inject(event, self.group):
            self.got(now, event["seq"])
            if self.bench.protocol != "new":
                # A sync may have overtaken the event: the state is held since the first sync that includes it.
                held = [t for t, seq in self.syncs if seq >= event["seq"]]
                if held:
                    self.hold(held[0])
        if not chat and not history and self.bench.resyncs:
            self.schedule_resync()

    def on_update(self, msg: dict) -> None:
        now = time.perf_counter()
        if self.bench.protocol == "auto":
            self.bench.protocol = "new"
        if self.bench.round is not None:
            self.state_msgs.append(msg)
        for event in msg.get("events") or ():
            if self.accept(event) and self.bench.is_inject(event, self.group):
                self.got(now, event["seq"])
                self.hold(now)
        if isinstance(msg.get("seq"), int):
            self.last_seq = max(self.last_seq or 0, msg["seq"])

    def raw(self, data: str) -> bool:
        """The lean client's hook (``LeanEngineIO``): an ``update`` or ``event`` during a round, with the new
        protocol or the baseline (nothing asked back), is recognised by the inject's title in its text and
        sized, not decoded. Anything else goes the usual way."""
        now = time.perf_counter()
        current = self.bench.round
        if current is None or self.bench.protocol not in ("new", "listen"):
            return False
        if not (data.startswith('42["update",') or data.startswith('42["event",')):
            return False
        self.raw_bytes += len(data.encode()) - 2   # the Socket.IO message, without Engine.IO's and Socket.IO's types
        marker = current.markers[self.group]
        wanted = baseline_text(marker) if self.bench.protocol == "listen" else marker
        if f'"{wanted}"' in data:
            self.got(now)
            self.hold(now)
        return True

    def accept(self, event: dict) -> bool:
        """Drop malformed and already seen events; track the highest seq seen."""
        seq = event.get("seq") if isinstance(event, dict) else None
        if not isinstance(seq, int) or seq in self.seen:
            return False
        self.seen.add(seq)
        if seq > (self.last_seq or 0):
            self.last_seq = seq
        return True

    # -- the measurement ---------------------------------------------------------------------------

    def got(self, now: float, seq: int | None = None) -> None:
        if self.event_at is None:
            self.event_at, self.inject_seq = now, seq
            if self.counted:
                self.bench.got_event += 1

    def hold(self, at: float) -> None:
        if self.fresh_at is None:
            self.fresh_at = at
            if self.counted:
                self.bench.holding += 1
                if self.bench.holding >= self.bench.n:
                    self.bench.all_hold.set()


class LoopLag:
    """How late a 5 ms timer fires in the clients' loop: a saturated loop inflates every latency."""

    def __init__(self):
        self.lags: list[float] = []
        self.task: asyncio.Task | None = None

    async def _watch(self) -> None:
        while True:
            due = time.perf_counter() + 0.005
            await asyncio.sleep(0.005)
            self.lags.append((time.perf_counter() - due) * 1000)

    def start(self) -> None:
        self.lags.clear()
        self.task = asyncio.get_running_loop().create_task(self._watch())

    def stop(self) -> None:
        if self.task:
            self.task.cancel()


# ---- one run: servers, N clients, warm-up and measured rounds ----------------------------------------

def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def size(msg: dict) -> int:
    return len(json.dumps(msg, separators=(",", ":")))


def group_sizes(n: int, layout: str, exercise_size: int) -> list[int]:
    if layout == "one":
        return [n]
    sizes = [exercise_size] * (n // exercise_size)
    if n % exercise_size:
        sizes.append(n % exercise_size)
    return sizes


def total_cpu(servers: list[Server]) -> float:
    return sum(s.cpu_ms() for s in servers)


def total_rss(servers: list[Server]) -> float:
    return sum(s.rss_mb() for s in servers)


async def wait_quiet(clients: list[Browser], limit: float) -> None:
    """Until no client has a resume pending or in flight (or limit seconds)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline and not all(c.idle for c in clients):
        await asyncio.sleep(0.01)


class Profiles:
    """py-spy on every server process of a facilitator run, phase by phase (--profile)."""

    def __init__(self, args, kind: str, n: int, layout: str, servers: list[Server]):
        self.on = bool(args.profile) and kind == "facilitator"
        self.folder = Path(args.profile) if args.profile else None
        self.stem = f"{args.mode or 'threading'}-{kind}-{layout}-{n}" + (f"-x{args.procs}" if args.procs > 1 else "")
        self.servers = servers
        self.recorders: list[Recorder] = []
        self.written: list[Path] = []

    def start(self, phase: str) -> None:
        if self.on:
            self.recorders = [Recorder(s.pid, self.folder / f"{self.stem}-{phase}-p{i}.txt", idle=True)
                              for i, s in enumerate(self.servers)]

    def stop(self) -> None:
        for recorder in self.recorders:
            path = recorder.stop()
            if path is not None:
                self.written.append(path)
        self.recorders = []


async def run(kind: str, n: int, args, layout: str = "one") -> dict:
    run_start = time.perf_counter()
    load = os.getloadavg()[0]   # the machine's load when the run began (other work shares its cores)
    with tempfile.TemporaryDirectory() as folder:
        servers = start_servers(kind, args, folder)
        first = servers[0]
        profiles = Profiles(args, kind, n, layout, servers)
        bench = Bench(kind, args.protocol)
        bench.n = n
        umpires: list[Browser] = []
        participants: list[Browser] = []
        sizes = group_sizes(n, layout, args.exercise_size)
        result: dict = {}
        try:
            cpu_before, seat_start = total_cpu(servers), time.perf_counter()
            if kind == "baseline":
                seats = [("-", ["-"] * k) for k in sizes]
            else:
                seats = await seat_all(first.url, sizes)
            result.update(seat_s=time.perf_counter() - seat_start,
                          seat_cpu=(total_cpu(servers) - cpu_before) / n if kind == "facilitator" else math.nan)
            # The baseline's clients of one exercise share a room; with one exercise, the room "all" as before.
            room = (lambda g: None) if (kind != "baseline" or len(sizes) == 1) else (lambda g: f"g{g}")
            lean = args.mode is not None
            umpires = [Browser(bench, token, counted=False, group=g, room=room(g), lean=lean)
                       for g, (token, _) in enumerate(seats)]
            for umpire in umpires:
                await umpire.connect(first.url)
            participants = [Browser(bench, t, group=g, room=room(g), lean=lean)
                            for g, (_, tokens) in enumerate(seats) for t in tokens]
            for i, client in enumerate(participants):
                client.server = i % len(servers)   # participants alternate between the processes
            gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

            async def connect(client: Browser, url: str) -> None:
                async with gate:
                    await client.connect(url)

            profiles.start("connect")
            cpu_before, connect_start = total_cpu(servers), time.perf_counter()
            await asyncio.gather(*(connect(c, servers[i % len(servers)].url) for i, c in enumerate(participants)))
            await wait_quiet(participants + umpires, 60)
            result.update(connect_s=time.perf_counter() - connect_start,
                          connect_cpu=(total_cpu(servers) - cpu_before) / n)
            profiles.stop()
            await asyncio.sleep(0.5)
            result.update(rss_connected=total_rss(servers), rss_each=[s.rss_mb() for s in servers])
            result["setup"] = time.perf_counter() - run_start
            profiles.start("inject")
            # This process's own collector must not pause the clients during a round (with 1,000 clients its
            # full collections took 100-200 ms, which then set either server's p99): what the connected clients
            # hold is frozen for the run, and the collector runs only in the gap after each round (``measure``).
            gc.collect()
            gc.freeze()
            try:
                result.update(await measure(kind, n, args, servers, bench, umpires, participants, run_start))
            finally:
                gc.enable()
                gc.unfreeze()
            profiles.stop()
            result.update(package=first.package, groups=len(sizes), profiles=profiles.written, load=load)
            return result
        finally:
            profiles.stop()
            for client in participants + umpires:
                if client.timer:
                    client.timer.cancel()
            for server in servers:
                server.stop()
            if args.server_logs:
                Path(args.server_logs).mkdir(parents=True, exist_ok=True)
                for i, server in enumerate(servers):
                    suffix = f"-{i}" if len(servers) > 1 else ""
                    shutil.copy(server.log, Path(args.server_logs) / f"{kind}-{layout}-{n}{suffix}.log")
            try:
                await asyncio.wait_for(asyncio.gather(*(c.sio.disconnect() for c in participants + umpires),
                                                      return_exceptions=True), 30)
            except asyncio.TimeoutError:
                pass


async def inject(kind: str, umpire: Browser, current: Round, group: int, timeout: float) -> float | None:
    """Fire one group's inject; the umpire's ack time in ms, or None if it was refused or did not come."""
    marker = current.markers[group]
    command = {"type": "fire_inject", "title": marker, "text": INJECT_TEXT}
    if kind == "baseline":
        command["text"] = baseline_text(marker)
        if umpire.room is not None:
            command["room"] = umpire.room
    sent = current.sent[group] = time.perf_counter()
    try:
        ack = await umpire.sio.call("command", command, timeout=timeout)
    except Exception as exc:   # an ack that never comes is a result, not a crash
        print(f"  [{marker}: no ack ({type(exc).__name__})]", file=sys.stderr, flush=True)
        return None
    if not isinstance(ack, dict) or not ack.get("ok"):
        print(f"  [{marker}: refused: {ack}]", file=sys.stderr, flush=True)
        return None
    return (time.perf_counter() - sent) * 1000


async def measure(kind, n, args, servers, bench, umpires, participants, run_start) -> dict:
    everyone = participants + umpires
    event_ms: list[float] = []
    fresh_ms: list[float] = []
    by_server: dict[int, list[float]] = {}
    late = no_event = rounds_done = no_ack = 0
    ack_times: list[float] = []
    event_bytes = state_bytes = 0
    lag = LoopLag()
    cpu_before = client_cpu_before = 0.0
    resumes_before = failed_before = 0
    sizing = 0.0   # this process's CPU spent sizing payloads, left out of the client cost
    stopped = None
    groups = len(umpires)
    for i in range(-args.warmup, args.rounds):
        stop = None
        if time.perf_counter() - run_start > args.run_budget:
            stop = f"over the {args.run_budget:.0f} s budget"
        elif not all(u.sio.connected for u in umpires) or not any(c.sio.connected for c in participants):
            stop = "the server dropped an umpire or every participant"
        if stop:
            stopped = f"stopped after {rounds_done} measured rounds: {stop}"
            print(f"  [{kind} N={n}: {stopped}]", flush=True)
            break
        if i == 0:   # the warm-up is over
            cpu_before = total_cpu(servers)
            client_cpu_before = time.process_time()
            resumes_before = sum(c.event_resumes for c in participants)
            failed_before = sum(c.failed for c in participants)
            lag.start()
        base = f"inject {kind} {n} {i + args.warmup}"
        markers = [base] if groups == 1 else [f"{base} x{g}" for g in range(groups)]
        gc.disable()  # until the round is quiet (see the caller)
        current = bench.new_round(markers, participants)
        acked = [asyncio.get_running_loop().create_task(inject(kind, u, current, g, args.timeout))
                 for g, u in enumerate(umpires)]
        try:   # one --timeout from the send bounds the whole round
            await asyncio.wait_for(bench.all_hold.wait(), args.timeout)
        except asyncio.TimeoutError:
            pass
        held = time.perf_counter()
        acks = await asyncio.gather(*acked)
        await wait_quiet(everyone, max(1.0, min(current.sent) + args.timeout - time.perf_counter()))
        gc.enable()
        gc.collect()
        if args.verbose:
            good = [a for a in acks if a is not None]
            print(f"  [{base}: ack max {max(good, default=math.nan):.0f} ms; event {bench.got_event}/{n}, "
                  f"state {bench.holding}/{n} after {(held - min(current.sent)) * 1000:.0f} ms; "
                  f"quiet after {(time.perf_counter() - min(current.sent)) * 1000:.0f} ms]", file=sys.stderr,
                  flush=True)
        await asyncio.sleep(GAP)
        if i < 0:
            continue
        rounds_done += 1
        for ack_ms in acks:
            if ack_ms is None:
                no_ack += 1
            else:
                ack_times.append(ack_ms)
        started = time.process_time()
        for client in participants:
            sent = current.sent[client.group]
            if client.event_at is None:
                no_event += 1
            else:
                event_ms.append((client.event_at - sent) * 1000)
            if client.fresh_at is None:
                late += 1
            else:
                fresh_ms.append((client.fresh_at - sent) * 1000)
                by_server.setdefault(getattr(client, "server", 0), []).append(fresh_ms[-1])
            event_bytes += sum(size(m) for m in client.event_msgs)
            state_bytes += sum(size(m) for m in client.state_msgs) + client.raw_bytes
            client.state_msgs, client.event_msgs, client.raw_bytes = [], [], 0
        sizing += time.process_time() - started
    lag.stop()
    bench.round = None
    rounds = rounds_done or math.nan
    cpu = total_cpu(servers) - cpu_before
    return {
        "rounds": rounds_done, "protocol": bench.protocol, "stopped": stopped,
        "event_p50": percentile(event_ms, 0.5), "event_p99": percentile(event_ms, 0.99),
        "fresh_p50": percentile(fresh_ms, 0.5), "fresh_p95": percentile(fresh_ms, 0.95),
        "fresh_p99": percentile(fresh_ms, 0.99), "fresh_max": max(fresh_ms, default=math.nan),
        "cpu": cpu / rounds, "cpu_per_msg": cpu * 1000 / (rounds * n),
        "rss": total_rss(servers),
        "event_kb": event_bytes / 1024 / rounds, "state_kb": state_bytes / 1024 / rounds,
        "requests": (sum(c.event_resumes for c in participants) - resumes_before) / rounds,
        "late": late, "no_event": no_event, "no_ack": no_ack,
        "ack_p50": percentile(ack_times, 0.5), "ack_max": max(ack_times, default=math.nan),
        "failed": sum(c.failed for c in participants) - failed_before,
        "disconnected": sum(not c.sio.connected for c in participants),
        "client_cpu": (time.process_time() - client_cpu_before - sizing) * 1000 / rounds,
        "lag_p99": percentile(lag.lags, 0.99),
        "by_server": {i: (percentile(v, 0.5), percentile(v, 0.99)) for i, v in sorted(by_server.items())},
    }


# ---- the report ----------------------------------------------------------------------------------------

HEADER = (f"{'server':<12} {'N':>5} {'inj':>4} {'event p50':>9} {'p99':>7} {'fresh p50':>9} {'p99':>7} "
          f"{'CPU ms/inj':>10} {'RSS MB':>7} {'event KB':>9} {'state KB':>9} {'req/inj':>8} {'late':>5} "
          f"{'cli CPU ms':>10} {'lag p99':>8}")


def row(kind: str, n: int, r: dict) -> str:
    return (f"{kind:<12} {n:>5} {r['rounds']:>4} {r['event_p50']:>9.1f} {r['event_p99']:>7.1f} "
            f"{r['fresh_p50']:>9.1f} {r['fresh_p99']:>7.1f} {r['cpu']:>10.1f} {r['rss']:>7.0f} "
            f"{r['event_kb']:>9.1f} {r['state_kb']:>9.1f} {r['requests']:>8.1f} {r['late']:>5} "
            f"{r['client_cpu']:>10.1f} {r['lag_p99']:>8.1f}")


MODE_HEADER = (f"{'server':<12} {'layout':<6} {'N':>5} {'ex':>3} {'rnd':>4} {'p50 ms':>7} {'p95':>7} {'p99':>7} "
               f"{'max':>7} {'CPU ms/rnd':>10} {'µs/update':>9} {'RSS MB':>7} {'state KB':>9} {'late':>5} "
               f"{'cli ms/rnd':>10} {'lag p99':>8}")


def mode_row(kind: str, layout: str, n: int, r: dict) -> str:
    return (f"{kind:<12} {layout:<6} {n:>5} {r['groups']:>3} {r['rounds']:>4} {r['fresh_p50']:>7.1f} "
            f"{r['fresh_p95']:>7.1f} {r['fresh_p99']:>7.1f} {r['fresh_max']:>7.1f} {r['cpu']:>10.1f} "
            f"{r['cpu_per_msg']:>9.1f} {r['rss']:>7.0f} {r['state_kb']:>9.1f} {r['late']:>5} {r['client_cpu']:>10.1f} "
            f"{r['lag_p99']:>8.1f}")


CONNECT_HEADER = (f"{'server':<12} {'layout':<6} {'N':>5} {'seat s':>7} {'CPU ms/join':>11} {'connect s':>9} "
                  f"{'CPU ms/conn':>11} {'RSS MB':>7}")


def connect_row(kind: str, layout: str, n: int, r: dict) -> str:
    seat = f"{r['seat_s']:>7.1f} {r['seat_cpu']:>11.2f}" if kind == "facilitator" else f"{'-':>7} {'-':>11}"
    return (f"{kind:<12} {layout:<6} {n:>5} {seat} {r['connect_s']:>9.1f} {r['connect_cpu']:>11.2f} "
            f"{r['rss_connected']:>7.0f}")


def notes(kind: str, n: int, r: dict) -> list[str]:
    """A summary line, then one line per kind of trouble seen during the measured injects."""
    protocol = {"auto": "old (no `update` seen)", "listen": "baseline (clients listen)"}.get(r["protocol"],
                                                                                             r["protocol"])
    out = [f"  {kind} N={n}: protocol {protocol}, setup {r['setup']:.1f} s, umpire's ack p50 {r['ack_p50']:.0f} ms "
           f"max {r['ack_max']:.0f} ms, load average {r.get('load', math.nan):.1f} at the start"]
    if r["stopped"]:
        out.append(f"  {kind} N={n}: COLLAPSE: {r['stopped']}")
    if r["late"] or r["no_event"] or r["disconnected"] or r["no_ack"]:
        out.append(f"  {kind} N={n}: COLLAPSE: {r['late']} participant-injects without the new state and "
                   f"{r['no_event']} without the event within the timeout; {r['disconnected']} participants "
                   f"disconnected; {r['no_ack']} injects without an ack")
    if r["failed"]:
        out.append(f"  {kind} N={n}: SLOW: {r['failed']} resumes refused or unanswered within "
                   f"{COMMAND_TIMEOUT:.0f} s (the page resumes again {RETRY_DELAY:.0f} s later)")
    return out


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def legacy_report(results: dict, args) -> None:
    print()
    print(HEADER)
    for (_procs, n, _layout), by_kind in results.items():
        for kind, r in by_kind.items():
            print(row(kind, n, r))
    if set(args.servers) == {"baseline", "facilitator"}:
        print()
        print(f"{'facilitator/baseline':<20} {'N':>5} {'CPU/inj':>8} {'fresh p50/event p50':>20} "
              f"{'fresh p99/event p99':>20}")
        for (_procs, n, _layout), by_kind in results.items():
            if len(by_kind) < 2:
                continue
            b, f = by_kind["baseline"], by_kind["facilitator"]
            print(f"{'ratio':<20} {n:>5} {ratio(f['cpu'], b['cpu']):>8.2f} "
                  f"{ratio(f['fresh_p50'], b['event_p50']):>20.2f} {ratio(f['fresh_p99'], b['event_p99']):>20.2f}")
        for (_procs, n, _layout), by_kind in results.items():
            for kind, r in by_kind.items():
                for line in notes(kind, n, r)[1:]:
                    print(line)


def processes_note(kind: str, layout: str, n: int, r: dict) -> str | None:
    """With several processes: delivery p50/p99 to the participants of each (the umpire is on the first)."""
    if len(r.get("by_server", {})) < 2:
        return None
    parts = [f"process {i + 1}{' (umpire)' if i == 0 else ''}: p50 {p50:.1f} p99 {p99:.1f} ms"
             for i, (p50, p99) in r["by_server"].items()]
    return f"  {kind} {layout} N={n}: " + "; ".join(parts)


def mode_report(results: dict, args, skipped: list[str]) -> None:
    print()
    print(f"Inject fan-out, {args.mode} mode, facilitator on {args.database}"
          f"{' (with 2 processes: PostgreSQL and Redis)' if 2 in args.processes else ''}; "
          "CPU and RSS summed over the processes:")
    print(f"{'proc':>4} " + MODE_HEADER)
    for (procs, n, layout), by_kind in results.items():
        for kind, r in by_kind.items():
            print(f"{procs:>4} " + mode_row(kind, layout, n, r))
    print()
    print("Connecting (participants only; the umpires were connected first):")
    print(f"{'proc':>4} " + CONNECT_HEADER)
    for (procs, n, layout), by_kind in results.items():
        for kind, r in by_kind.items():
            print(f"{procs:>4} " + connect_row(kind, layout, n, r))
    both = [(key, by_kind) for key, by_kind in results.items() if len(by_kind) == 2]
    if both:
        print()
        print(f"{'facilitator/baseline':<20} {'proc':>4} {'layout':<6} {'N':>5} {'p50':>6} {'p99':>6} {'max':>6} "
              f"{'CPU/rnd':>8} {'RSS':>6} {'conn CPU':>8}  p99 within {P99_TARGET}x?")
        for (procs, n, layout), by_kind in both:
            b, f = by_kind["baseline"], by_kind["facilitator"]
            p99 = ratio(f["fresh_p99"], b["fresh_p99"])
            verdict = "met" if p99 <= P99_TARGET else (f"MISSED by {p99 / P99_TARGET:.2f}x" if p99 == p99 else "?")
            print(f"{'ratio':<20} {procs:>4} {layout:<6} {n:>5} {ratio(f['fresh_p50'], b['fresh_p50']):>6.2f} "
                  f"{p99:>6.2f} {ratio(f['fresh_max'], b['fresh_max']):>6.2f} {ratio(f['cpu'], b['cpu']):>8.2f} "
                  f"{ratio(f['rss'], b['rss']):>6.2f} {ratio(f['connect_cpu'], b['connect_cpu']):>8.2f}  {verdict}")
    for (procs, n, layout), by_kind in results.items():
        f = by_kind.get("facilitator")
        if f and n >= 1000 and procs == 1:
            verdict = "met" if f["rss_connected"] < RSS_TARGET and f["rss"] < RSS_TARGET else "MISSED"
            print(f"RSS of one process holding {n} participants ({layout}): {f['rss_connected']:.0f} MB connected, "
                  f"{f['rss']:.0f} MB after the injects; target < {RSS_TARGET:.0f} MB: {verdict}")
    for (procs, n, layout), by_kind in results.items():
        for kind, r in by_kind.items():
            line = processes_note(kind, layout, n, r)
            if line:
                print(line)
            for line in notes(kind, n, r)[1:]:
                print(line.replace(f"N={n}", f"{layout} N={n} ({procs} proc)"))
    for line in skipped:
        print(f"SKIPPED (over the --total-budget): {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["threading", "gevent"],
                        help="async mode of both servers (bench/servers.py); without it, threading with the older "
                             "table")
    parser.add_argument("--clients", type=int, nargs="+",
                        help="N (default: 50 200; with --mode: 50 200 500 1000)")
    parser.add_argument("--layout", nargs="+", choices=["one", "split"],
                        help="one exercise of N, and/or exercises of --exercise-size (default: one; with --mode: "
                             "one split)")
    parser.add_argument("--exercise-size", type=int, default=25, help="participants per exercise in `split`")
    parser.add_argument("--processes", type=int, nargs="+", choices=[1, 2], default=[1],
                        help="server processes: 1 and/or 2 (2: gevent, PostgreSQL and Redis)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"],
                        help="the facilitator's database (default sqlite; postgresql with --processes 2)")
    parser.add_argument("--rounds", type=int, default=15, help="measured rounds per server and N")
    parser.add_argument("--warmup", type=int, default=3, help="rounds fired before measuring")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a client may take to hold the state")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds after which a run stops injecting")
    parser.add_argument("--total-budget", type=float, default=None,
                        help="seconds for the whole benchmark: runs not started by then are skipped (default: none; "
                             "with --mode: 600)")
    parser.add_argument("--protocol", choices=["auto", "old", "new"], default="auto",
                        help="the facilitator's push protocol (auto: `update` messages mean the new one)")
    parser.add_argument("--verbose", action="store_true", help="one line per round on stderr")
    parser.add_argument("--server-logs", metavar="DIR", help="keep each server's log in DIR/KIND-LAYOUT-N.log")
    parser.add_argument("--profile", metavar="DIR",
                        help="py-spy the facilitator's server while connecting and injecting (raw stacks in DIR)")
    parser.add_argument("--servers", nargs="+", choices=["baseline", "facilitator"],
                        default=["baseline", "facilitator"])
    args = parser.parse_args()
    explicit = args.mode is not None
    args.clients = args.clients or ([50, 200, 500, 1000] if explicit else [50, 200])
    args.layout = args.layout or (["one", "split"] if explicit else ["one"])
    args.total_budget = args.total_budget or (600.0 if explicit else math.inf)
    args.processes = sorted(set(args.processes))
    if 2 in args.processes:
        if args.mode != "gevent":
            parser.error("--processes 2 runs in gevent mode: add --mode gevent")
        if args.database == "sqlite":
            parser.error("--processes 2 needs --database postgresql")
        args.database = "postgresql"
    args.database = args.database or "sqlite"
    postgres = args.database == "postgresql" and "facilitator" in args.servers
    redis = 2 in args.processes
    print(versions(), flush=True)
    print(f"clients: python-socketio {version('python-socketio')} AsyncClient (aiohttp {version('aiohttp')}"
          f"{'; lean read path, bench/lean_client.py' if explicit else ''}), one asyncio loop in this process; "
          f"{args.rounds} rounds (+{args.warmup} warm-up) per run, timeout {args.timeout:.0f} s", flush=True)
    started = time.perf_counter()
    with backing(postgres=postgres, redis=redis) as backs:
        args.new_database = backs["postgres"].database if backs["postgres"] else (lambda: None)
        args.redis_url = backs["redis"].url if backs["redis"] else None
        if postgres or redis:
            print(f"PostgreSQL on port {backs['postgres'].port if postgres else '-'} (commits synced), "
                  f"Redis {args.redis_url or '-'}", flush=True)
        print(HEADER if not explicit else f"{'proc':>4} " + MODE_HEADER, flush=True)
        results: dict[tuple[int, int, str], dict[str, dict]] = {}
        skipped: list[str] = []
        shown_package = False
        for n in args.clients:
            for layout in args.layout:
                if layout == "split" and n <= args.exercise_size:
                    continue   # the same as one exercise
                for procs in args.processes:
                    args.procs = procs
                    for kind in args.servers:
                        left = args.total_budget - (time.perf_counter() - started)
                        if left < 30:
                            skipped.append(f"{kind} {layout} N={n} ({procs} proc)")
                            continue
                        args.run_budget = min(args.budget, left)
                        r = asyncio.run(run(kind, n, args, layout))
                        results.setdefault((procs, n, layout), {})[kind] = r
                        if r["package"] and not shown_package and kind == "facilitator":
                            print(f"facilitator imported by the server from {r['package']}", flush=True)
                            shown_package = True
                        print(f"{procs:>4} " + mode_row(kind, layout, n, r) if explicit else row(kind, n, r),
                              flush=True)
                        for line in notes(kind, n, r):
                            print(line, flush=True)
                        if explicit:
                            print("       " + connect_row(kind, layout, n, r), flush=True)
                            line = processes_note(kind, layout, n, r)
                            if line:
                                print(line, flush=True)
                        for path in r.get("profiles", ()):
                            print(summary(path, 25, FACILITATOR_PARTS), flush=True)
    if explicit:
        mode_report(results, args, skipped)
    else:
        legacy_report(results, args)
        for line in skipped:
            print(f"SKIPPED (over the --total-budget): {line}")
    print(f"\n{time.perf_counter() - started:.0f} s in all", flush=True)

if __name__ == "__main__":
    main()
