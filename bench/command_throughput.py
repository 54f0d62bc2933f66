"""Command throughput: accepted commands a second, with persistence, when 100 participants send as fast as
their acks come back (closed loop, the default), and ack latency at a given offered rate (open loop, --rate).

Closed loop (no --rate): each client behaves like the page: it sends one command, waits for its ack, then
sends the next (one command in flight per client), with a fresh ``command_id`` each (socket.js), and reads
every update the server pushes. This finds the most a server accepts, but at saturation its ack latency is
only clients / throughput (Little's law: 100 clients at 2,000/s wait 50 ms whatever the server), so it says
nothing about the latency at a load below saturation.

Open loop (--rate R [R ...]): R commands a second offered in all, spread evenly over the clients (R / clients
each); each client sends on its own schedule, evenly spaced from a random phase with a jitter of
+-``JITTER`` of the interval on each send so the clients do not send in lockstep, whether or not its earlier
commands have been acked (commands in flight at once on one connection; the server still handles each
connection's events in order). Up to --max-outstanding (50) commands unacked per client: a send due while a
client has that many is skipped (``capped``, reported with the clients that hit the cap), so a collapsed
server cannot make the clients' loop explode. Each rate is a run of its own (a fresh server, the same warm-up
and window), the baseline and facilitator runs of one rate next to each other. The commands sent in the
window are followed to their ack after it, the load going on, for up to the 10 s command timeout.

The commands in both modes: chat messages, alternately to the client's delegation channel
(``delegation:<id>``) and to ``plenary``, about 80 characters each; and the signals the demo deck allows:
every card of each delegation's hand is played once by one of its members (a private-only card to the
delegations it is aimed at), and each reversible one is withdrawn again once its play is seen (one signal
action in place of every tenth message while a client has one left; 11 per exercise). The participants
sit in demo exercises of --exercise-size (25: a class; 100 for one exercise of everyone), seated over the
delegations in turn, each exercise's umpire connected (it opens the first phase, then only listens).

The baseline in the same run: bare Flask-SocketIO in the same async mode (bench/servers.py ``baseline``,
``async_handlers=False`` as the facilitator: each connection's events in order) whose ``command`` handler
acks and re-broadcasts a ~320-byte event to the rooms the same command would reach: the exercise's room
for a plenary message or a signal, the delegation's room and the umpire's for a delegation message.

Modes: ``gevent`` (default): the baseline under ``gunicorn -k gevent -w 1``, the facilitator as ``facilitator
serve --production``; ``threading``: ``facilitator serve`` (Werkzeug, threads, ``TCP_NODELAY``) against the
baseline on Werkzeug with ``TCP_NODELAY`` on its accepted sockets too. Databases: SQLite (a file, WAL,
``synchronous=FULL``) and PostgreSQL 15 (throwaway, on this machine, commits synced: ``fsync`` and
``synchronous_commit`` on).

The facilitator's limit on commands per person (10 a second, burst 30: facilitator/limits.py) is raised
through the environment (``FACILITATOR_LIMIT_COMMANDS``; --keep-limits keeps it): the benchmark asks what the
server can take, and 100 people typing cannot reach it (5 commands a second each would be 500 a second).

Printed per server and database, closed loop: commands accepted a second over --duration seconds (after
--warmup), the commands refused (by error code) and unanswered within 10 s, ack latency p50/p95/p99/max (ms,
send to ack, of the acks received in the window), the server process's CPU (% of one core, and ms per
accepted command), its RSS, the updates the clients received a second, and this process's CPU (% of one core)
with the p99 delay of a 5 ms timer in its loop (when the clients' loop saturates, the figures are the
clients'). Then facilitator/baseline ratios and the targets: >= 0.7x the bare server's throughput, >= 500
commands/s on SQLite, ack p99 < 100 ms.

Open loop, per server, database and rate: the rate offered, the commands sent a second in the window, the
accepted acks received a second in it; of the commands sent in the window: refused (ok false), lost (no ack
within 10 s, or the connection dropped) and their ack latency p50/p95/p99/max (ms, from the send, just before
the emit, to the ack); the sends skipped at the cap; the server's CPU, ms per accepted command, updates a
second, this process's CPU, its timer delay p99 and how late the sends left against their schedule (p99, ms:
a clients' loop that cannot keep the schedule shows here). Then per rate the facilitator's ack p99 over the
bare server's and the target ack p99 < 100 ms.

    .venv/bin/python -m bench.command_throughput [--mode gevent] [--database sqlite postgresql] [--clients 100]
        [--duration 20] [--exercise-size 25] [--profile DIR]              # closed loop
    .venv/bin/python -m bench.command_throughput --rate 250 500 [--max-outstanding 50] [other options as above]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import aiohttp

from bench.inject_fanout import LoopLag, percentile, post
from bench.lean_client import LeanClient
from bench.profile import FACILITATOR_PARTS, Recorder, summary
from bench.servers import UNLIMITED_COMMANDS, backing, postgres_cpu_ms, start, versions

COMMAND_TIMEOUT = 10.0
CONNECT_CONCURRENCY = 25
SIGNAL_EVERY = 10      # one signal action in place of every tenth message, while a client has one
TEXT = "We can accept a corridor if inspections are joint; our capital needs a written guarantee."
MODES = {"gevent": "gevent", "threading": "served"}   # --mode -> bench/servers.py mode
THROUGHPUT_RATIO_TARGET = 0.7
SQLITE_TARGET = 500.0
P99_TARGET = 100.0
JITTER = 0.1           # open loop: each send moved by up to +-10 % of a client's interval
MAX_OUTSTANDING = 50   # open loop: commands unacked per client before its sends are skipped


class Participant:
    """One page: one command in flight, a fresh command_id each, every push read (cheaply)."""

    def __init__(self, bench: Bench, token: str, exercise: int, delegation: str, member: int, umpire=False):
        self.bench, self.token, self.exercise, self.delegation, self.member = bench, token, exercise, delegation, \
            member
        self.umpire = umpire
        self.sio = LeanClient(reconnection=False)
        self.sio.eio.fast = self.raw
        self.sio.on("sync", self.on_sync)
        self.sio.on("update", lambda msg: None)
        self.sio.on("event", lambda msg: None)
        self.signals: list[dict] = []      # actions still to send: {"play": card view} or {"withdraw": card id}
        self.awaiting: dict[str, bool] = {}   # card id -> reversible, played, its number not yet seen
        self.ready_withdrawals: list[int] = []
        self.sent = 0
        self.outstanding = 0   # open loop: commands sent, not yet acked (nor timed out)

    # -- receiving --------------------------------------------------------------------------------

    def raw(self, data: str) -> bool:
        self.bench.received += 1
        if self.awaiting and '"signal_played"' in data:
            return False   # decoded: the play's number, to withdraw it
        return data.startswith(('42["update",', '42["event",'))

    def on_sync(self, msg: dict) -> None:
        state = msg.get("state") or {}
        for delegation in state.get("delegations") or []:
            if delegation.get("id") == self.delegation and delegation.get("hand") is not None:
                self.hand = delegation["hand"]

    def on_update_full(self, msg: dict) -> None:
        for event in msg.get("events") or []:
            data = event.get("data") or {}
            if event.get("type") == "signal_played" and data.get("by") == self.delegation \
                    and data.get("card") in self.awaiting and self.awaiting.pop(data["card"]):
                self.ready_withdrawals.append(data["play"])

    # -- sending ----------------------------------------------------------------------------------

    def plan_signals(self, members: int) -> None:
        """This member's share of its delegation's hand: cards member, member + members, …"""
        for i, card in enumerate(getattr(self, "hand", [])):
            if i % members == self.member:
                self.signals.append(card)

    def next_command(self) -> tuple[str, dict]:
        """(kind, payload) of the next command."""
        self.sent += 1
        if self.sent % SIGNAL_EVERY == SIGNAL_EVERY // 2:
            if self.ready_withdrawals:
                return "signal", {"type": "withdraw_signal", "play": self.ready_withdrawals.pop(0)}
            if self.signals:
                card = self.signals.pop(0)
                command = {"type": "play_signal", "card": card["id"]}
                if card.get("visibility") == "private":
                    command["to"] = list(card.get("toward") or [])
                self.awaiting[card["id"]] = bool(card.get("reversible"))
                return "signal", command
        channel = "plenary" if self.sent % 2 else f"delegation:{self.delegation}"
        return "chat", {"type": "post_message", "channel": channel, "text": f"{TEXT} ({self.sent})"}


class Bench:
    def __init__(self, kind: str):
        self.kind = kind
        self.received = 0
        self.stop = False
        self.window: tuple[float, float] | None = None   # (start, end) of the measured window
        self.latencies: list[float] = []
        self.accepted = 0
        self.refused: Counter = Counter()
        self.unanswered = 0
        self.kinds: Counter = Counter()   # accepted commands by kind
        # open loop
        self.sent = 0                       # commands sent in the window
        self.following = 0                  # of those, not yet acked nor timed out
        self.capped = 0                     # sends due in the window, skipped at the cap
        self.capped_clients: set[int] = set()
        self.late: list[float] = []         # ms the sends in the window left after their scheduled time
        self.calls: set[asyncio.Task] = set()

    def in_window(self, acked: float) -> bool:
        return self.window is not None and self.window[0] <= acked <= self.window[1]


def baseline_payload(client: Participant, kind: str, command: dict) -> dict:
    """The bare server's command for the same action: re-broadcast to the rooms the facilitator's would reach."""
    exercise = f"e{client.exercise}"
    if kind == "chat" and command["channel"].startswith("delegation:"):
        rooms = [f"{exercise}:d:{client.delegation}", f"{exercise}:umpire"]
    else:
        rooms = [exercise]
    return {"rooms": rooms, "text": command.get("text", "") or "signal".ljust(80, "."),
            "command_id": uuid.uuid4().hex}


async def sender(bench: Bench, client: Participant) -> None:
    while not bench.stop and client.sio.connected:
        kind, command = client.next_command()
        if bench.kind == "baseline":
            payload = baseline_payload(client, kind, command)
        else:
            payload = {**command, "command_id": uuid.uuid4().hex}
        sent = time.perf_counter()
        try:
            ack = await client.sio.call("command", payload, timeout=COMMAND_TIMEOUT)
        except Exception:   # noqa: BLE001 -- no answer within the timeout, or the connection dropped
            if bench.window and bench.window[0] <= sent <= bench.window[1]:
                bench.unanswered += 1
            continue
        acked = time.perf_counter()
        if not bench.in_window(acked):
            continue
        bench.latencies.append((acked - sent) * 1000)
        if isinstance(ack, dict) and ack.get("ok"):
            bench.accepted += 1
            bench.kinds[kind] += 1
        else:
            code = ((ack or {}).get("error") or {}).get("code", "?") if isinstance(ack, dict) else "?"
            bench.refused[code] += 1


async def open_call(bench: Bench, client: Participant, kind: str, payload: dict) -> None:
    """One command of the open loop: latency from the send to the ack, for the commands sent in the window."""
    client.outstanding += 1
    sent = time.perf_counter()
    followed = bench.in_window(sent)
    if followed:
        bench.sent += 1
        bench.following += 1
    try:
        ack = await client.sio.call("command", payload, timeout=COMMAND_TIMEOUT)
    except Exception:   # noqa: BLE001 -- no answer within the timeout, or the connection dropped
        if followed:
            bench.unanswered += 1
        return
    finally:
        client.outstanding -= 1
        if followed:
            bench.following -= 1
    acked = time.perf_counter()
    ok = isinstance(ack, dict) and ack.get("ok")
    if ok and bench.in_window(acked):   # throughput: accepted acks received in the window
        bench.accepted += 1
        bench.kinds[kind] += 1
    if followed:                        # latency and refusals: the commands sent in the window
        bench.latencies.append((acked - sent) * 1000)
        if not ok:
            code = ((ack or {}).get("error") or {}).get("code", "?") if isinstance(ack, dict) else "?"
            bench.refused[code] += 1


async def open_sender(bench: Bench, client: Participant, index: int, interval: float, cap: int,
                      rng: random.Random) -> None:
    """Sends on the client's schedule (every ``interval`` s from a random phase, +-JITTER), acked or not."""
    origin = time.perf_counter() + rng.random() * interval
    k = 0
    while not bench.stop and client.sio.connected:
        due = origin + (k + rng.uniform(-JITTER, JITTER)) * interval
        k += 1
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if bench.stop or not client.sio.connected:
            break
        now = time.perf_counter()
        if client.outstanding >= cap:
            if bench.in_window(now):
                bench.capped += 1
                bench.capped_clients.add(index)
            continue
        if bench.in_window(now):
            bench.late.append((now - due) * 1000)
        kind, command = client.next_command()
        if bench.kind == "baseline":
            payload = baseline_payload(client, kind, command)
        else:
            payload = {**command, "command_id": uuid.uuid4().hex}
        task = asyncio.get_running_loop().create_task(open_call(bench, client, kind, payload))
        bench.calls.add(task)
        task.add_done_callback(bench.calls.discard)


async def seat(url: str, sizes: list[int]) -> list[dict]:
    """Exercises with their participants: [{umpire, participants: [(token, delegation, member index)]}]."""
    gate = asyncio.Semaphore(4)
    async with aiohttp.ClientSession() as http:
        async def one(size: int) -> dict:
            created = await post(http, f"{url}/api/exercises", {"deck": "demo"})
            delegations = created["delegations"]

            async def join(i: int):
                d = delegations[i % len(delegations)]
                async with gate:
                    reply = await post(http, f"{url}/api/join", {"code": d["code"], "name": f"p{i}"})
                return reply["token"], d["id"], i // len(delegations)

            seated = await asyncio.gather(*(join(i) for i in range(size)))
            return {"umpire": created["umpire"]["token"], "participants": list(seated),
                    "delegations": [d["id"] for d in delegations]}

        return list(await asyncio.gather(*(one(size) for size in sizes)))


async def run(kind: str, database: str, args, backs, rate: float | None = None) -> dict:
    sizes = [args.exercise_size] * (args.clients // args.exercise_size)
    if args.clients % args.exercise_size:
        sizes.append(args.clients % args.exercise_size)
    bench = Bench(kind)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        database_url = backs["postgres"].database() if kind == "facilitator" and database == "postgresql" else None
        env = {"BENCH_ASYNC_HANDLERS": "0"}
        if not args.keep_limits:
            env.update(UNLIMITED_COMMANDS)
        server = start(kind, MODES[args.mode], folder, database_url, env=env)
        clients: list[Participant] = []
        umpires: list[Participant] = []
        recorder = None
        try:
            if kind == "baseline":
                delegations = ["ukraine", "russia", "turkey", "un"]
                seats = [{"umpire": "-", "delegations": delegations,
                          "participants": [("-", delegations[i % 4], i // 4) for i in range(size)]} for size in sizes]
            else:
                seats = await seat(server.url, sizes)
            for e, exercise in enumerate(seats):
                umpire = Participant(bench, exercise["umpire"], e, "", 0, umpire=True)
                await umpire.sio.connect(server.url, auth={"token": umpire.token}, transports=["websocket"],
                                         wait_timeout=30)
                rooms = [f"e{e}", f"e{e}:umpire"]
                await umpire.sio.call("resume", {"last_seq": None, "rooms": rooms}, timeout=30)
                if kind == "facilitator":
                    ack = await umpire.sio.call("command", {"type": "advance_phase", "command_id": uuid.uuid4().hex},
                                                timeout=30)
                    assert ack.get("ok"), ack
                umpires.append(umpire)
                for token, delegation, member in exercise["participants"]:
                    clients.append(Participant(bench, token, e, delegation, member))
            gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

            async def connect(client: Participant) -> None:
                async with gate:
                    await client.sio.connect(server.url, auth={"token": client.token}, transports=["websocket"],
                                             wait_timeout=30)
                    rooms = [f"e{client.exercise}", f"e{client.exercise}:d:{client.delegation}"]
                    ack = await client.sio.call("resume", {"last_seq": None, "rooms": rooms}, timeout=30)
                    assert isinstance(ack, dict) and ack.get("ok"), ack

            connect_start = time.perf_counter()
            await asyncio.gather(*(connect(c) for c in clients))
            connect_s = time.perf_counter() - connect_start
            members = Counter((c.exercise, c.delegation) for c in clients)
            for client in clients:
                client.plan_signals(members[(client.exercise, client.delegation)])
                client.sio.on("update", client.on_update_full)
            planned = sum(len(c.signals) + sum(1 for s in c.signals if s.get("reversible")) for c in clients)
            lag = LoopLag()
            loop = asyncio.get_running_loop()
            if rate is None:
                tasks = [loop.create_task(sender(bench, c)) for c in clients]
            else:
                rng = random.Random(1)
                tasks = [loop.create_task(open_sender(bench, c, i, len(clients) / rate, args.max_outstanding, rng))
                         for i, c in enumerate(clients)]
            await asyncio.sleep(args.warmup)
            if args.profile and kind == "facilitator":
                suffix = f"-{rate:g}" if rate is not None else ""
                recorder = Recorder(server.pid, Path(args.profile) / f"{args.mode}-{database}-{args.clients}-"
                                                                     f"{args.exercise_size}{suffix}.txt", idle=True)
            pg = backs["postgres"] if database_url else None
            db0 = postgres_cpu_ms(pg) if pg else 0.0
            cpu0, client0, received0 = server.cpu_ms(), time.process_time(), bench.received
            start_at = time.perf_counter()
            bench.window = (start_at, start_at + args.duration)
            lag.start()
            await asyncio.sleep(args.duration)
            elapsed = time.perf_counter() - start_at
            cpu = server.cpu_ms() - cpu0
            db_cpu = postgres_cpu_ms(pg) - db0 if pg else math.nan
            client_cpu = time.process_time() - client0
            received = bench.received - received0
            lag.stop()
            rss = server.rss_mb()
            if rate is not None:   # follow the window's commands to their acks, the load going on
                drain_until = time.perf_counter() + COMMAND_TIMEOUT + 2
                while bench.following and time.perf_counter() < drain_until:
                    await asyncio.sleep(0.05)
            bench.stop = True
            if recorder is not None:
                path = recorder.stop()
                recorder = None
                if path is not None:
                    print(summary(path, 25, FACILITATOR_PARTS), flush=True)
            await asyncio.wait(tasks, timeout=COMMAND_TIMEOUT + 5)
            for call in list(bench.calls):   # commands sent after the window, not followed
                call.cancel()
            accepted = bench.accepted
            return {
                "offered": rate, "sent_rate": bench.sent / elapsed, "capped": bench.capped,
                "capped_clients": len(bench.capped_clients), "following": bench.following,
                "late_p99": percentile(bench.late, 0.99),
                "kind": kind, "database": database if kind == "facilitator" else "-", "clients": len(clients),
                "exercises": len(seats), "duration": elapsed, "connect_s": connect_s,
                "rate": accepted / elapsed, "accepted": accepted, "refused": dict(bench.refused),
                "unanswered": bench.unanswered, "kinds": dict(bench.kinds), "planned_signals": planned,
                "p50": percentile(bench.latencies, 0.5), "p95": percentile(bench.latencies, 0.95),
                "p99": percentile(bench.latencies, 0.99), "max": max(bench.latencies, default=math.nan),
                "cpu_pct": cpu / 10 / elapsed, "cpu_per_cmd": cpu / accepted if accepted else math.nan,
                "db_pct": db_cpu / 10 / elapsed, "db_per_cmd": db_cpu / accepted if accepted else math.nan,
                "rss": rss, "received": received / elapsed,
                "client_pct": client_cpu * 100 / elapsed, "lag_p99": percentile(lag.lags, 0.99), "load": load,
            }
        finally:
            bench.stop = True
            if recorder is not None:
                recorder.stop()
            server.stop()
            if args.server_logs:
                Path(args.server_logs).mkdir(parents=True, exist_ok=True)
                suffix = f"-{rate:g}" if rate is not None else ""
                target = Path(args.server_logs) / f"throughput-{args.mode}-{kind}-{database}{suffix}.log"
                target.write_text(server.log.read_text(errors="replace"))
            try:
                await asyncio.wait_for(asyncio.gather(*(c.sio.disconnect() for c in clients + umpires),
                                                      return_exceptions=True), 30)
            except TimeoutError:
                pass


HEADER = (f"{'server':<12} {'database':<10} {'clients':>7} {'ex':>3} {'cmds/s':>7} {'refused':>7} {'lost':>5} "
          f"{'ack p50':>7} {'p95':>6} {'p99':>6} {'max':>6} {'srv CPU%':>8} {'ms/cmd':>6} {'RSS MB':>6} "
          f"{'updates/s':>9} {'cli CPU%':>8} {'lag p99':>7}")


def row(r: dict) -> str:
    return (f"{r['kind']:<12} {r['database']:<10} {r['clients']:>7} {r['exercises']:>3} {r['rate']:>7.0f} "
            f"{sum(r['refused'].values()):>7} {r['unanswered']:>5} {r['p50']:>7.1f} {r['p95']:>6.1f} "
            f"{r['p99']:>6.1f} {r['max']:>6.0f} {r['cpu_pct']:>8.0f} {r['cpu_per_cmd']:>6.2f} {r['rss']:>6.0f} "
            f"{r['received']:>9.0f} {r['client_pct']:>8.0f} {r['lag_p99']:>7.1f}")


OPEN_HEADER = (f"{'server':<12} {'database':<10} {'offered':>7} {'sent/s':>7} {'cmds/s':>7} {'refused':>7} "
               f"{'lost':>5} {'capped':>6} {'ack p50':>7} {'p95':>6} {'p99':>6} {'max':>6} {'srv CPU%':>8} "
               f"{'ms/cmd':>6} {'updates/s':>9} {'cli CPU%':>8} {'lag p99':>7} {'late p99':>8}")


def open_row(r: dict) -> str:
    return (f"{r['kind']:<12} {r['database']:<10} {r['offered']:>7.0f} {r['sent_rate']:>7.0f} {r['rate']:>7.0f} "
            f"{sum(r['refused'].values()):>7} {r['unanswered']:>5} {r['capped']:>6} {r['p50']:>7.1f} "
            f"{r['p95']:>6.1f} {r['p99']:>6.1f} {r['max']:>6.0f} {r['cpu_pct']:>8.0f} {r['cpu_per_cmd']:>6.2f} "
            f"{r['received']:>9.0f} {r['client_pct']:>8.0f} {r['lag_p99']:>7.1f} {r['late_p99']:>8.1f}")


def open_summary(results: list[dict], args) -> None:
    """Per mode and rate: the open-loop table, then the facilitator's ack p99 over the bare server's."""
    for mode in dict.fromkeys(r["mode"] for r in results):
        these = [r for r in results if r["mode"] == mode]
        print(f"Open loop, {mode} mode, {args.clients} clients in exercises of {args.exercise_size}, up to "
              f"{args.max_outstanding} commands unacked per client:")
        print(OPEN_HEADER)
        for r in these:
            print(open_row(r))
        for rate in dict.fromkeys(r["offered"] for r in these):
            at = [r for r in these if r["offered"] == rate]
            base = next((r for r in at if r["kind"] == "baseline"), None)
            for r in at:
                if r["kind"] != "facilitator":
                    continue
                verdicts = [f"accepted {r['rate']:.0f}/s of {rate:g} offered"]
                if base:
                    verdicts.append(f"ack p99 {r['p99'] / base['p99']:.2f}x the bare server's "
                                    f"({r['p99']:.1f} vs {base['p99']:.1f} ms)")
                verdicts.append(f"ack p99 {r['p99']:.0f} ms ({'met' if r['p99'] < P99_TARGET else 'MISSED'}: "
                                f"target < {P99_TARGET:.0f} ms)")
                print(f"  {rate:g}/s, facilitator on {r['database']}: " + "; ".join(verdicts))
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=list(MODES), nargs="+", default=["gevent"])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], nargs="+",
                        default=["sqlite", "postgresql"])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--exercise-size", type=int, default=25, help="participants per exercise")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of sending before measuring")
    parser.add_argument("--keep-limits", action="store_true",
                        help="keep the facilitator's limit on commands per person (10/s, burst 30)")
    parser.add_argument("--total-budget", type=float, default=600.0,
                        help="seconds for the whole benchmark: runs not started by then are skipped")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the facilitator during each measured window")
    parser.add_argument("--server-logs", metavar="DIR")
    parser.add_argument("--servers", nargs="+", choices=["baseline", "facilitator"],
                        default=["baseline", "facilitator"])
    parser.add_argument("--rate", type=float, nargs="+", metavar="R",
                        help="open loop: commands a second offered in all (one run per rate); default: closed loop")
    parser.add_argument("--max-outstanding", type=int, default=MAX_OUTSTANDING,
                        help="open loop: commands unacked per client before its sends are skipped")
    args = parser.parse_args()
    if args.rate and min(args.rate) <= 0:
        parser.error("--rate: rates must be > 0")
    started = time.perf_counter()
    print(versions(), flush=True)
    print(f"clients: python-socketio {version('python-socketio')} AsyncClient (lean read path, bench/lean_client.py), "
          f"one asyncio loop; {args.clients} participants in exercises of {args.exercise_size}; "
          f"{args.warmup:g} s warm-up, {args.duration:g} s measured; commands per person "
          f"{'limited as shipped' if args.keep_limits else 'unlimited (FACILITATOR_LIMIT_COMMANDS raised)'}",
          flush=True)
    if args.rate:
        print(f"open loop: {', '.join(f'{r:g}' for r in args.rate)} commands/s offered in all, "
              f"{', '.join(f'{r / args.clients:g}' for r in args.rate)} a client, +-{JITTER:.0%} jitter, "
              f"up to {args.max_outstanding} unacked per client", flush=True)
    results: list[dict] = []
    skipped: list[str] = []
    postgres = "postgresql" in args.database and "facilitator" in args.servers
    with backing(postgres=postgres) as backs:
        if postgres:
            print(f"PostgreSQL {backs['postgres'].bin.parent.name} on port {backs['postgres'].port} "
                  f"(fsync and synchronous_commit on)", flush=True)
        print(OPEN_HEADER if args.rate else HEADER, flush=True)
        for mode in args.mode:
            args.mode = mode
            runs = [("baseline", "-")] if "baseline" in args.servers else []
            runs += [("facilitator", db) for db in args.database] if "facilitator" in args.servers else []
            if args.rate:
                for rate in args.rate:
                    for kind, database in runs:
                        # a run: warm-up, window, up to the command timeout following its commands, set-up
                        if time.perf_counter() - started > (args.total_budget - args.warmup - args.duration
                                                            - COMMAND_TIMEOUT - 30):
                            skipped.append(f"{mode} {kind} {database} at {rate:g}/s")
                            continue
                        r = asyncio.run(run(kind, database, args, backs, rate))
                        r["mode"] = mode
                        results.append(r)
                        print(open_row(r), flush=True)
                        extra = (f"  {mode}: load average {r['load']:.1f} at the start; connect "
                                 f"{r['connect_s']:.1f} s; accepted by kind {r['kinds']}")
                        if r["refused"]:
                            extra += f"; refused {r['refused']}"
                        if not math.isnan(r["db_pct"]):
                            extra += (f"; PostgreSQL's processes {r['db_pct']:.0f} % of a core, "
                                      f"{r['db_per_cmd']:.2f} ms a command")
                        if r["capped"]:
                            extra += (f"; CAP HIT: {r['capped']} sends skipped, {r['capped_clients']} clients at "
                                      f"{args.max_outstanding} unacked")
                        if r["following"]:
                            extra += f"; {r['following']} commands of the window still unanswered at the end"
                        print(extra, flush=True)
                continue
            for kind, database in runs:
                if time.perf_counter() - started > args.total_budget - args.duration - 30:
                    skipped.append(f"{mode} {kind} {database}")
                    continue
                r = asyncio.run(run(kind, database, args, backs))
                r["mode"] = mode
                results.append(r)
                print(row(r), flush=True)
                extra = (f"  {mode}: load average {r['load']:.1f} at the start; connect {r['connect_s']:.1f} s; "
                         f"accepted by kind {r['kinds']}")
                if r["refused"]:
                    extra += f"; refused {r['refused']}"
                if kind == "facilitator":
                    extra += f"; signal actions planned {r['planned_signals']}"
                if not math.isnan(r["db_pct"]):
                    extra += f"; PostgreSQL's processes {r['db_pct']:.0f} % of a core, {r['db_per_cmd']:.2f} ms a command"
                print(extra, flush=True)
    print()
    if args.rate:
        open_summary(results, args)
    for mode in dict.fromkeys(r["mode"] for r in results if not args.rate):
        these = [r for r in results if r["mode"] == mode]
        print(f"Command throughput, {mode} mode, {args.clients} clients in exercises of {args.exercise_size}:")
        print(HEADER)
        for r in these:
            print(row(r))
        base = next((r for r in these if r["kind"] == "baseline"), None)
        for r in these:
            if r["kind"] != "facilitator":
                continue
            verdicts = []
            if base:
                share = r["rate"] / base["rate"] if base["rate"] else math.nan
                verdicts.append(f"throughput {share:.2f}x the bare server's "
                                f"({'met' if share >= THROUGHPUT_RATIO_TARGET else 'MISSED'}: target >= "
                                f"{THROUGHPUT_RATIO_TARGET}x); ack p99 {r['p99'] / base['p99']:.2f}x")
            if r["database"] == "sqlite":
                verdicts.append(f"{r['rate']:.0f} commands/s ({'met' if r['rate'] >= SQLITE_TARGET else 'MISSED'}: "
                                f"target >= {SQLITE_TARGET:.0f} on SQLite)")
            verdicts.append(f"ack p99 {r['p99']:.0f} ms ({'met' if r['p99'] < P99_TARGET else 'MISSED'}: target < "
                            f"{P99_TARGET:.0f} ms)")
            print(f"  facilitator on {r['database']}: " + "; ".join(verdicts))
        print()
    for line in skipped:
        print(f"SKIPPED (over the --total-budget): {line}")
    print(f"{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
