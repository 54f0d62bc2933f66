"""Delivery latency of one chat message to N connected clients: facilitator against a bare baseline.

Both servers run in their own process on 127.0.0.1 with the same clients
(python-socketio over WebSocket) in this process. For each round a sender
posts a ~120-character message to plenary; every client records when the
event arrives. Printed per server: p50/p99 latency (ms, send to receipt),
server CPU ms per message, server RSS; then facilitator/baseline ratios.

    .venv/bin/python -m bench.broadcast_latency [--clients 25 100] [--rounds 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import socketio

from bench.servers import cpu_ms, rss_mb

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(kind: str, folder: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.servers", kind, str(port), folder], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    json.loads(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}"


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request))


class Receiver:
    def __init__(self, url: str, token: str, arrivals: dict, lock: threading.Lock):
        self.client = socketio.Client(reconnection=False)
        self.arrivals, self.lock = arrivals, lock
        self.client.on("event", self.on_event)  # the baseline's one event
        self.client.on("update", self.on_update)  # facilitator's update: events and a state patch
        self.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        self.client.call("resume", {}, timeout=10)

    def on_update(self, update):
        for event in update.get("events", []):
            self.on_event(event)

    def on_event(self, event):
        if event.get("type") == "message_posted":
            now = time.perf_counter()
            with self.lock:
                self.arrivals.setdefault(event["data"]["text"], []).append(now)


def tokens_for(kind: str, url: str, n: int) -> tuple[list[str], str]:
    """Tokens for n receivers and one sender (the baseline accepts any)."""
    if kind == "baseline":
        return ["-"] * n, "-"
    created = post(f"{url}/api/exercises", {"deck": "demo"})
    codes = [d["code"] for d in created["delegations"]]
    receivers = [post(f"{url}/api/join", {"code": codes[i % len(codes)], "name": f"r{i}"})["token"]
                 for i in range(n)]
    return receivers, created["umpire"]["token"]


def run(kind: str, n: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        proc, url = start(kind, folder)
        try:
            receiver_tokens, sender_token = tokens_for(kind, url, n)
            arrivals, lock = {}, threading.Lock()
            receivers = [Receiver(url, t, arrivals, lock) for t in receiver_tokens]
            sender = socketio.Client(reconnection=False)
            sender.connect(url, auth={"token": sender_token}, transports=["websocket"])
            sender.call("resume", {}, timeout=10)
            for i in range(3):  # warm up
                sender.call("command", {"type": "post_message", "channel": "plenary", "text": f"warm {i}"})
            time.sleep(0.5)
            latencies, cpu_before = [], cpu_ms(proc.pid)
            for i in range(rounds):
                text = f"round {i}"
                sent = time.perf_counter()
                ack = sender.call("command", {"type": "post_message", "channel": "plenary", "text": text},
                                  timeout=30)
                assert ack.get("ok"), ack
                deadline = time.perf_counter() + 30
                while time.perf_counter() < deadline:
                    with lock:
                        if len(arrivals.get(text, ())) >= n:
                            break
                    time.sleep(0.0005)
                with lock:
                    got = arrivals.get(text, [])
                    assert len(got) >= n, f"{kind}: {len(got)} of {n} received round {i}"
                    latencies += [(t - sent) * 1000 for t in got]
            cpu = (cpu_ms(proc.pid) - cpu_before) / rounds
            rss = rss_mb(proc.pid)
            # websocket-client waits up to 3 s for each close frame: close them all at once
            closing = [threading.Thread(target=c.client.disconnect) for c in receivers]
            for thread in closing:
                thread.start()
            for thread in closing:
                thread.join()
            sender.disconnect()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    latencies.sort()
    return {"p50": statistics.median(latencies), "p99": latencies[int(len(latencies) * 0.99) - 1],
            "cpu": cpu, "rss": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[25, 100])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    print(f"{'server':<12} {'N':>4} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/msg':>11} {'RSS MB':>7}")
    for n in args.clients:
        results = {kind: run(kind, n, args.rounds) for kind in ("baseline", "facilitator")}
        for kind, r in results.items():
            print(f"{kind:<12} {n:>4} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['cpu']:>11.1f} {r['rss']:>7.0f}")
        b, f = results["baseline"], results["facilitator"]
        print(f"{'ratio':<12} {n:>4} {f['p50'] / b['p50']:>8.2f} {f['p99'] / b['p99']:>8.2f} "
              f"{f['cpu'] / max(b['cpu'], 0.01):>11.2f} {f['rss'] / b['rss']:>7.2f}")


if __name__ == "__main__":
    main()
