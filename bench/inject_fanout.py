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
(bench/servers.py ``baseline``: threading on Werkzeug) re-broadcasting a
~320-byte event to one room per command; its clients only listen, and hold
the new state when the event arrives.

All clients are python-socketio AsyncClients (aiohttp) in one asyncio loop
in this process; each server runs in its own process. Injects are spaced:
the next one is fired once every client holds the state, no resume is
pending, and 200 ms have passed. Printed per server and N:
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
Payload sizes are len(json.dumps(msg)) with compact separators, measured
between injects so they do not delay the clients. Under each row: the
umpire's ack time, and a COLLAPSE line (clients without the event or the
state within --timeout, disconnected clients, injects without an ack) or a
SLOW line (resumes unanswered within 10 s, which the page sends again) when
they happened; none of them stops the run. Then facilitator/baseline ratios:
CPU per inject, and fresh-state p50/p99 over the baseline's event p50/p99.

Needs aiohttp (for socketio.AsyncClient) besides the test dependencies.

    .venv/bin/python -m bench.inject_fanout --clients 50 200 500 [--rounds 15] [--verbose]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import aiohttp
import socketio

from bench.broadcast_latency import cpu_ms, free_port, rss_mb

ROOT = Path(__file__).resolve().parent.parent
RESYNC_DELAY = 0.060      # socket.js RESYNC_DELAY_MS
RETRY_DELAY = 1.0         # socket.js: resume again after a failed one
COMMAND_TIMEOUT = 10.0    # socket.js COMMAND_TIMEOUT_MS
GAP = 0.200               # pause between one inject's settling and the next
CONNECT_CONCURRENCY = 25
INJECT_TEXT = ("Reports reach the delegations of shelling near the eastern crossing; "
               "the convoy is delayed until the corridor reopens.")

# Runs `bench.servers` in the server process; for the facilitator it first says which package it imported.
SERVER_LAUNCHER = """
import json, sys
if sys.argv[1] == "facilitator":
    import facilitator
    print(json.dumps({"facilitator": facilitator.__file__}), flush=True)
from bench.servers import main
main()
"""


# ---- the server process ------------------------------------------------------------------------------

@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    package: str | None   # facilitator.__file__ as imported by the server
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(kind: str, folder: str) -> Server:
    port = free_port()
    log = Path(folder) / "server.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-c", SERVER_LAUNCHER, kind, str(port), folder], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=err, text=True)
    package = None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{kind} server did not start:\n{log.read_text()[-3000:]}")
        message = json.loads(line)
        if "facilitator" in message:
            package = message["facilitator"]
        if message.get("ready"):
            return Server(proc, f"http://127.0.0.1:{port}", package, log)


async def post(http: aiohttp.ClientSession, url: str, body: dict) -> dict:
    async with http.post(url, json=body) as response:
        response.raise_for_status()
        return await response.json()


async def seat(url: str, n: int) -> tuple[str, list[str]]:
    """A demo exercise with n participants spread over its delegations: (umpire token, participant tokens)."""
    async with aiohttp.ClientSession() as http:
        created = await post(http, f"{url}/api/exercises", {"deck": "demo"})
        codes = [d["code"] for d in created["delegations"]]
        gate = asyncio.Semaphore(4)

        async def join(i: int) -> str:
            async with gate:
                reply = await post(http, f"{url}/api/join", {"code": codes[i % len(codes)], "name": f"p{i}"})
                return reply["token"]

        tokens = await asyncio.gather(*(join(i) for i in range(n)))
    return created["umpire"]["token"], list(tokens)


# ---- the clients -------------------------------------------------------------------------------------

@dataclass
class Round:
    marker: str
    sent: float


class Bench:
    """What the clients share: the protocol in use, the current inject, and the count of clients holding it."""

    def __init__(self, kind: str, protocol: str):
        self.protocol = "listen" if kind == "baseline" else protocol   # listen | auto | old | new
        self.round: Round | None = None
        self.n = 0
        self.got_event = 0
        self.holding = 0
        self.all_hold = asyncio.Event()

    def new_round(self, marker: str, participants: list[Browser]) -> Round:
        self.got_event = self.holding = 0
        self.all_hold.clear()
        for client in participants:
            client.reset_round()
        self.round = Round(marker, time.perf_counter())
        return self.round

    @property
    def resyncs(self) -> bool:
        """Whether a live non-chat event makes the page ask for a new sync (old protocol)."""
        return self.protocol in ("old", "auto")

    def is_inject(self, event: dict) -> bool:
        data = event.get("data") or {}
        if self.round is None:
            return False
        if self.protocol == "listen":
            return data.get("text") == baseline_text(self.round.marker)
        return event.get("type") == "inject_fired" and data.get("title") == self.round.marker


def baseline_text(marker: str) -> str:
    return marker.ljust(120, ".")


class Browser:
    """One page's live connection: socket.js's resume/coalescing and store.js's resync-after-event."""

    def __init__(self, bench: Bench, token: str, counted: bool = True):
        self.bench, self.token, self.counted = bench, token, counted
        self.sio = socketio.AsyncClient(reconnection=False)
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
        try:
            ack = await self.sio.call("resume", {"last_seq": self.last_seq}, timeout=COMMAND_TIMEOUT)
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
            if self.bench.is_inject(event):
                self.got(now)
                self.hold(now)
            return
        if not self.accept(event):
            return
        history = event["seq"] <= self.sync_last_seq
        chat = event.get("type") == "message_posted" and (event.get("data") or {}).get("channel")
        if self.bench.is_inject(event):
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
            if self.accept(event) and self.bench.is_inject(event):
                self.got(now, event["seq"])
                self.hold(now)
        if isinstance(msg.get("seq"), int):
            self.last_seq = max(self.last_seq or 0, msg["seq"])

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


# ---- one run: a server, N clients, warm-up and measured injects ----------------------------------------

def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def size(msg: dict) -> int:
    return len(json.dumps(msg, separators=(",", ":")))


async def wait_quiet(clients: list[Browser], limit: float) -> None:
    """Until no client has a resume pending or in flight (or limit seconds)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline and not all(c.idle for c in clients):
        await asyncio.sleep(0.01)


async def run(kind: str, n: int, args) -> dict:
    run_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(kind, folder)
        bench = Bench(kind, args.protocol)
        bench.n = n
        umpire: Browser | None = None
        participants: list[Browser] = []
        try:
            if kind == "baseline":
                umpire_token, tokens = "-", ["-"] * n
            else:
                umpire_token, tokens = await seat(server.url, n)
            umpire = Browser(bench, umpire_token, counted=False)
            await umpire.connect(server.url)
            participants = [Browser(bench, t) for t in tokens]
            gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

            async def connect(client: Browser) -> None:
                async with gate:
                    await client.connect(server.url)

            await asyncio.gather(*(connect(c) for c in participants))
            await wait_quiet(participants + [umpire], 60)
            await asyncio.sleep(0.5)
            setup = time.perf_counter() - run_start
            result = await measure(kind, n, args, server, bench, umpire, participants, run_start)
            result.update(setup=setup, package=server.package)
            return result
        finally:
            for client in participants + ([umpire] if umpire else []):
                if client.timer:
                    client.timer.cancel()
            server.stop()
            if args.server_logs:
                Path(args.server_logs).mkdir(parents=True, exist_ok=True)
                shutil.copy(server.log, Path(args.server_logs) / f"{kind}-{n}.log")
            clients = [c for c in participants + [umpire] if c]
            try:
                await asyncio.wait_for(asyncio.gather(*(c.sio.disconnect() for c in clients),
                                                      return_exceptions=True), 30)
            except asyncio.TimeoutError:
                pass


async def inject(kind: str, umpire: Browser, marker: str, timeout: float) -> float | None:
    """Fire the inject; the umpire's ack time in ms, or None if it was refused or did not come."""
    command = {"type": "fire_inject", "title": marker, "text": INJECT_TEXT}
    if kind == "baseline":
        command["text"] = baseline_text(marker)
    sent = time.perf_counter()
    try:
        ack = await umpire.sio.call("command", command, timeout=timeout)
    except Exception as exc:   # an ack that never comes is a result, not a crash
        print(f"  [{marker}: no ack ({type(exc).__name__})]", file=sys.stderr, flush=True)
        return None
    if not isinstance(ack, dict) or not ack.get("ok"):
        print(f"  [{marker}: refused: {ack}]", file=sys.stderr, flush=True)
        return None
    return (time.perf_counter() - sent) * 1000


async def measure(kind, n, args, server, bench, umpire, participants, run_start) -> dict:
    everyone = participants + [umpire]
    event_ms: list[float] = []
    fresh_ms: list[float] = []
    late = no_event = rounds_done = no_ack = 0
    ack_times: list[float] = []
    event_bytes = state_bytes = 0
    lag = LoopLag()
    cpu_before = client_cpu_before = 0.0
    resumes_before = failed_before = 0
    sizing = 0.0   # this process's CPU spent sizing payloads, left out of the client cost
    stopped = None
    for i in range(-args.warmup, args.rounds):
        stop = None
        if time.perf_counter() - run_start > args.budget:
            stop = f"over the {args.budget:.0f} s budget"
        elif not umpire.sio.connected or not any(c.sio.connected for c in participants):
            stop = "the server dropped the umpire or every participant"
        if stop:
            stopped = f"stopped after {rounds_done} measured injects: {stop}"
            print(f"  [{kind} N={n}: {stopped}]", flush=True)
            break
        if i == 0:   # the warm-up is over
            cpu_before = cpu_ms(server.proc.pid)
            client_cpu_before = time.process_time()
            resumes_before = sum(c.event_resumes for c in participants)
            failed_before = sum(c.failed for c in participants)
            lag.start()
        marker = f"inject {kind} {n} {i + args.warmup}"
        current = bench.new_round(marker, participants)
        acked = asyncio.get_running_loop().create_task(inject(kind, umpire, marker, args.timeout))
        try:   # one --timeout from the send bounds the whole inject
            await asyncio.wait_for(bench.all_hold.wait(), args.timeout)
        except asyncio.TimeoutError:
            pass
        held = time.perf_counter()
        ack_ms = await acked
        await wait_quiet(everyone, max(1.0, current.sent + args.timeout - time.perf_counter()))
        if args.verbose:
            print(f"  [{marker}: ack {ack_ms or math.nan:.0f} ms; event {bench.got_event}/{n}, "
                  f"state {bench.holding}/{n} after {(held - current.sent) * 1000:.0f} ms; "
                  f"quiet after {(time.perf_counter() - current.sent) * 1000:.0f} ms]", file=sys.stderr, flush=True)
        await asyncio.sleep(GAP)
        if i < 0:
            continue
        rounds_done += 1
        if ack_ms is None:
            no_ack += 1
        else:
            ack_times.append(ack_ms)
        started = time.process_time()
        for client in participants:
            if client.event_at is None:
                no_event += 1
            else:
                event_ms.append((client.event_at - current.sent) * 1000)
            if client.fresh_at is None:
                late += 1
            else:
                fresh_ms.append((client.fresh_at - current.sent) * 1000)
            event_bytes += sum(size(m) for m in client.event_msgs)
            state_bytes += sum(size(m) for m in client.state_msgs)
            client.state_msgs, client.event_msgs = [], []
        sizing += time.process_time() - started
    lag.stop()
    bench.round = None
    rounds = rounds_done or math.nan
    return {
        "rounds": rounds_done, "protocol": bench.protocol, "stopped": stopped,
        "event_p50": percentile(event_ms, 0.5), "event_p99": percentile(event_ms, 0.99),
        "fresh_p50": percentile(fresh_ms, 0.5), "fresh_p99": percentile(fresh_ms, 0.99),
        "cpu": (cpu_ms(server.proc.pid) - cpu_before) / rounds,
        "rss": rss_mb(server.proc.pid),
        "event_kb": event_bytes / 1024 / rounds, "state_kb": state_bytes / 1024 / rounds,
        "requests": (sum(c.event_resumes for c in participants) - resumes_before) / rounds,
        "late": late, "no_event": no_event, "no_ack": no_ack,
        "ack_p50": percentile(ack_times, 0.5), "ack_max": max(ack_times, default=math.nan),
        "failed": sum(c.failed for c in participants) - failed_before,
        "disconnected": sum(not c.sio.connected for c in participants),
        "client_cpu": (time.process_time() - client_cpu_before - sizing) * 1000 / rounds,
        "lag_p99": percentile(lag.lags, 0.99),
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


def notes(kind: str, n: int, r: dict) -> list[str]:
    """A summary line, then one line per kind of trouble seen during the measured injects."""
    protocol = {"auto": "old (no `update` seen)", "listen": "baseline (clients listen)"}.get(r["protocol"],
                                                                                             r["protocol"])
    out = [f"  {kind} N={n}: protocol {protocol}, setup {r['setup']:.1f} s, umpire's ack p50 {r['ack_p50']:.0f} ms "
           f"max {r['ack_max']:.0f} ms"]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--rounds", type=int, default=15, help="measured injects per server and N")
    parser.add_argument("--warmup", type=int, default=3, help="injects fired before measuring")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a client may take to hold the state")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds after which a run stops injecting")
    parser.add_argument("--protocol", choices=["auto", "old", "new"], default="auto",
                        help="the facilitator's push protocol (auto: `update` messages mean the new one)")
    parser.add_argument("--verbose", action="store_true", help="one line per inject on stderr")
    parser.add_argument("--server-logs", metavar="DIR", help="keep each server's stderr in DIR/KIND-N.log")
    parser.add_argument("--servers", nargs="+", choices=["baseline", "facilitator"],
                        default=["baseline", "facilitator"])
    args = parser.parse_args()
    print(f"clients: python-socketio {version('python-socketio')} AsyncClient (aiohttp {version('aiohttp')}), "
          f"one asyncio loop in this process; {args.rounds} injects (+{args.warmup} warm-up) per run, "
          f"timeout {args.timeout:.0f} s", flush=True)
    print(HEADER, flush=True)
    results: dict[int, dict[str, dict]] = {}
    shown_package = False
    for n in args.clients:
        results[n] = {}
        for kind in args.servers:
            r = asyncio.run(run(kind, n, args))
            results[n][kind] = r
            if r["package"] and not shown_package:
                print(f"facilitator imported by the server from {r['package']}", flush=True)
                shown_package = True
            print(row(kind, n, r), flush=True)
            for line in notes(kind, n, r):
                print(line, flush=True)
    print()
    print(HEADER)
    for n, by_kind in results.items():
        for kind, r in by_kind.items():
            print(row(kind, n, r))
    if set(args.servers) == {"baseline", "facilitator"}:
        print()
        print(f"{'facilitator/baseline':<20} {'N':>5} {'CPU/inj':>8} {'fresh p50/event p50':>20} "
              f"{'fresh p99/event p99':>20}")
        for n, by_kind in results.items():
            b, f = by_kind["baseline"], by_kind["facilitator"]
            print(f"{'ratio':<20} {n:>5} {ratio(f['cpu'], b['cpu']):>8.2f} "
                  f"{ratio(f['fresh_p50'], b['event_p50']):>20.2f} {ratio(f['fresh_p99'], b['event_p99']):>20.2f}")
        for n, by_kind in results.items():
            for kind, r in by_kind.items():
                for line in notes(kind, n, r)[1:]:
                    print(line)


if __name__ == "__main__":
    main()
