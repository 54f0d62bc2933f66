"""kill -9 under load: a real ``facilitator serve`` process killed and restarted while 20 clients post.

Each client is a member of a delegation on its own Socket.IO connection. It posts a message every
150-300 ms, each with a ``command_id`` of its own (the id is also the start of the text, so the log says
which command an event came from). When its connection drops it reconnects as soon as the server is
back, sends ``resume`` with the last seq it holds, and resends every command it has no ack for, with the
same ``command_id``; a ``rate_limited`` refusal is sent again after ``retry_after``.

The server is killed with SIGKILL at a random (seeded) moment of each cycle, after every client has
reconnected and resumed, and restarted as soon as its port is free. After the last cycle the log, read
over REST by the umpire, is the judge:

- every acknowledged command is in the log, once (none lost, none duplicated), at the seq its ack gave;
- every client received every event it may see, each once, in seq order and without a gap, over all its
  connections (what a connection missed, its resume sent);
- ``facilitator exercises verify`` finds the hash chain of the log whole.

``FACILITATOR_CRASH_CYCLES`` sets the number of cycles (2 by default; CI runs 10).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import socketio

from .realtime_helpers import _OrderedClient, create_exercise, http, join, may_see

CYCLES = int(os.environ.get("FACILITATOR_CRASH_CYCLES", "2"))
CLIENTS = 20
DELEGATIONS = ("ukraine", "russia", "turkey", "un")
SEED = 20240917
PACE = (0.15, 0.30)  # seconds between two posts of one client: under the limit of 10 commands a second
STEP = 5.0  # seconds: a bound for any one thing on 127.0.0.1 (a connection, a resume, an ack)
ROOT = Path(__file__).resolve().parent.parent
FIGURES: dict = {}  # the last run's figures, for the terminal summary (conftest.py)


def facilitator_command() -> str:
    """The ``facilitator`` script of the Python running the tests (the project's venv)."""
    for candidate in (Path(sys.executable).parent / "facilitator", ROOT / ".venv" / "bin" / "facilitator"):
        if candidate.exists():
            return str(candidate)
    raise AssertionError("no facilitator script next to the Python running the tests, nor in .venv/bin")


def quiet_port(rng: random.Random) -> int:
    """A free port below the kernel's ephemeral range, so no outgoing connection of a client can take it
    while the server is down (a connection to a port of that range can even meet itself)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(200):
        port = rng.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port found")


# ---- the server process ---------------------------------------------------------------------------

class ServerProcess:
    """``facilitator serve`` in its own process group, on a database and instance folder of its own."""

    def __init__(self, folder: Path, port: int):
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "FACILITATOR_INSTANCE": str(folder / "instance"),
                    "DATABASE_URL": f"sqlite:///{folder / 'crash.sqlite3'}"}
        self.env.pop("FACILITATOR_CRASH_CYCLES", None)
        self.output_path = folder / "server.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([facilitator_command(), *args], env=self.env, capture_output=True, text=True,
                              timeout=60, check=False)

    def start(self) -> float:
        """Start as soon as the port is free; return once it accepts connections (the seconds that took)."""
        began = time.monotonic()
        self._wait_port_free()
        command = [facilitator_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with open(self.output_path, "ab") as output:  # the server writes its own copy of the file
            self.proc = subprocess.Popen(command, env=self.env, stdout=output, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)  # its own process group
        self.starts += 1
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return time.monotonic() - began
            except OSError:
                time.sleep(0.02)
        raise AssertionError(f"the server did not accept connections within 30 s:\n{self.tail()}")

    def _wait_port_free(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
                try:
                    s.bind(("127.0.0.1", self.port))
                    return
                except OSError:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"port {self.port} still taken after 30 s") from None
            time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL to the whole process group, and reap it."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self.proc = None

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output_path.read_text(errors="replace").splitlines()[-lines:])


# ---- a client ---------------------------------------------------------------------------------------

class Member:
    """A delegation member's browser tab, reduced to what matters here: post, reconnect, resume, resend."""

    def __init__(self, base: str, token: str, delegation: str, number: int, seed: int):
        self.base, self.token, self.delegation, self.number = base, token, delegation, number
        self.rng = random.Random(seed)
        self.cond = threading.Condition()
        self.events: list[dict] = []       # every event received, in arrival order, over every connection
        self.commands: dict[str, dict] = {}
        self.unacked: list[str] = []       # command ids without an ok ack, in send order
        self.in_flight: set[str] = set()   # sent on the current connection, no answer yet
        self.retry_at: dict[str, float] = {}
        self.acks: dict[str, dict] = {}    # command id -> its first ok ack
        self.refused: list[dict] = []      # refusals other than rate_limited (there must be none)
        self.connections = self.resumes = self.resent = self.rate_limited = self.duplicates = 0
        self.generation = 0
        self.live = False
        self.sio: socketio.Client | None = None
        self.error: BaseException | None = None

    # what arrives ---------------------------------------------------------------------------------
    def _on_update(self, data):
        with self.cond:
            self.events.extend(data.get("events", []))
            self.cond.notify_all()

    def _on_disconnect(self, reason=None):
        with self.cond:
            self.live = False
            self.cond.notify_all()

    def last_seq(self) -> int:
        with self.cond:
            return self.events[-1]["seq"] if self.events else 0

    # the connection ---------------------------------------------------------------------------------
    def _drop(self) -> None:
        sio, self.sio = self.sio, None
        with self.cond:
            self.live = False
        if sio is None:
            return
        with suppress(OSError, socketio.exceptions.SocketIOError):  # the server may be gone meanwhile
            if sio.connected:
                sio.disconnect()
        ws = getattr(sio.eio, "ws", None)
        if ws is not None:  # after a drop by the server, the client library leaves its socket open
            with suppress(OSError):
                ws.shutdown()

    def _connect(self) -> bool:
        """Connect and resume from the last seq held; False when the server is not (or no longer) there."""
        self._drop()
        sio = _OrderedClient(reconnection=False)
        sio.on("update", self._on_update)
        sio.on("disconnect", self._on_disconnect)
        try:
            sio.connect(self.base, auth={"token": self.token}, transports=["websocket"], wait_timeout=STEP)
        except socketio.exceptions.ConnectionError:
            self.sio = sio
            self._drop()
            return False
        with self.cond:
            self.sio, self.live = sio, True
            self.generation += 1
            self.in_flight.clear()
        self.connections += 1
        answer: list[dict] = []

        def resumed(ack):
            with self.cond:
                answer.append(ack)
                self.cond.notify_all()
        try:
            sio.emit("resume", {"last_seq": self.last_seq()}, callback=resumed)
        except socketio.exceptions.SocketIOError:
            self._drop()
            return False
        deadline = time.monotonic() + STEP
        with self.cond:
            while not answer and self.live and time.monotonic() < deadline:
                self.cond.wait(0.05)
        if not answer:
            self._drop()
            return False
        assert answer[0].get("ok") is True, f"member {self.number}: resume refused: {answer[0]}"
        self.resumes += 1
        return True

    # commands ---------------------------------------------------------------------------------------
    def _new_command(self, index: int) -> str:
        command_id = f"crash-{self.number:02d}-{index:05d}"
        channel = "plenary" if self.rng.random() < 0.4 else f"delegation:{self.delegation}"
        self.commands[command_id] = {"type": "post_message", "channel": channel,
                                     "text": f"{command_id}: message {index} of member {self.number}",
                                     "command_id": command_id}
        with self.cond:
            self.unacked.append(command_id)
        return command_id

    def _send(self, command_id: str, again: bool = False) -> None:
        with self.cond:
            if not self.live:
                return
            self.in_flight.add(command_id)
            generation = self.generation

        def answered(ack):
            with self.cond:
                if ack.get("ok"):
                    self.acks.setdefault(command_id, ack)
                    self.duplicates += ack.get("duplicate") is True  # stored before the kill, its ack lost
                    if command_id in self.unacked:
                        self.unacked.remove(command_id)
                elif ack.get("error", {}).get("code") == "rate_limited":
                    self.rate_limited += 1
                    wait = float(ack["error"]["fields"].get("retry_after", 0.5))
                    self.retry_at[command_id] = time.monotonic() + wait
                else:
                    self.refused.append(ack)
                    if command_id in self.unacked:
                        self.unacked.remove(command_id)
                if generation == self.generation:
                    self.in_flight.discard(command_id)
                self.cond.notify_all()
        try:
            self.sio.emit("command", self.commands[command_id], callback=answered)
            if again:
                self.resent += 1
        except (socketio.exceptions.SocketIOError, AttributeError):
            with self.cond:
                self.live = False

    def run(self, posting: threading.Event, finished: threading.Event) -> None:
        """Post while ``posting`` is set; then get every command acknowledged; stop at ``finished``."""
        try:
            index, next_post = 0, time.monotonic()
            while not finished.is_set():
                with self.cond:
                    live = self.live
                if not live:
                    if not self._connect():
                        time.sleep(0.03)
                    continue
                now = time.monotonic()
                with self.cond:
                    owed = [c for c in self.unacked if c not in self.in_flight and self.retry_at.get(c, 0) <= now]
                for command_id in owed:  # sent on a connection that dropped, or rate limited: the same id again
                    self._send(command_id, again=True)
                if posting.is_set() and now >= next_post:
                    self._send(self._new_command(index))
                    index += 1
                    next_post = now + self.rng.uniform(*PACE)
                with self.cond:
                    if not posting.is_set() and not self.unacked:
                        break
                    if self.live:
                        due = next_post - time.monotonic() if posting.is_set() else 0.05
                        self.cond.wait(min(0.05, max(0.005, due)))
        except Exception as exc:  # reported by the test
            self.error = exc

    def close(self) -> None:
        self._drop()


# ---- the test -------------------------------------------------------------------------------------

def umpire_log(base: str, exercise_id: str, token: str) -> list[dict]:
    events, after = [], 0
    while True:
        reply = http(base, "GET", f"/api/exercises/{exercise_id}/events?after={after}&limit=5000", token=token)
        assert reply.status == 200, reply.body
        events.extend(reply.body["events"])
        if not reply.body["more"]:
            return events
        after = events[-1]["seq"]


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_kill_9_under_load_loses_and_duplicates_nothing(tmp_path):
    rng = random.Random(SEED)
    started = time.monotonic()
    server = ServerProcess(tmp_path, quiet_port(rng))
    members: list[Member] = []
    threads: list[threading.Thread] = []
    posting, finished = threading.Event(), threading.Event()
    kills: list[dict] = []
    try:
        migrated = server.cli("db", "upgrade")
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        server.start()
        created = create_exercise(server.url)
        exercise_id, umpire_token = created["id"], created["umpire"]["token"]
        for n in range(CLIENTS):
            delegation = DELEGATIONS[n % len(DELEGATIONS)]
            joined = join(server.url, created["codes"][delegation], f"Member {n:02d}")
            members.append(Member(server.url, joined["token"], delegation, n, SEED + n))
        posting.set()
        threads = [threading.Thread(target=m.run, args=(posting, finished), name=f"member-{m.number}", daemon=True)
                   for m in members]
        for thread in threads:
            thread.start()

        def all_back(since: dict[int, int]) -> Callable[[], bool]:
            """Every client connected again and resumed since the kill (``since``: its resumes then)."""
            return lambda: all(m.live and m.resumes > since[m.number] for m in members)

        since = {m.number: 0 for m in members}
        for cycle in range(CYCLES):
            assert wait_until(all_back(since), 30), \
                f"cycle {cycle}: not every client reconnected: {[m.number for m in members if not m.live]}"
            time.sleep(rng.uniform(0.3, 1.5))  # a random moment under load
            server.kill()
            since = {m.number: m.resumes for m in members}
            in_flight = sum(len(m.in_flight) for m in members)  # sent and never to be answered
            restart = server.start()
            kills.append({"in_flight": in_flight, "restart": restart})
        assert wait_until(all_back(since), 30), "not every client came back after the last restart"
        time.sleep(0.5)  # some load on the last server too
        posting.clear()
        for thread in threads:
            thread.join(30)
        errors = [(m.number, m.error) for m in members if m.error is not None]
        assert not errors, errors
        stuck = {m.number: list(m.unacked) for m in members if m.unacked}
        assert not stuck, f"commands never acknowledged: {stuck}"

        log = umpire_log(server.url, exercise_id, umpire_token)
        last = log[-1]["seq"]
        visible = {d: [e for e in log if may_see(e, "delegation", d)] for d in DELEGATIONS}

        def caught_up(m: Member) -> bool:
            mine = visible[m.delegation]
            return not mine or m.last_seq() >= mine[-1]["seq"]
        wait_until(lambda: all(caught_up(m) for m in members), 10)
        finished.set()

        # the judge: the log
        assert [e["seq"] for e in log] == list(range(1, last + 1)), "the log has a gap or a repeat"
        by_seq = {e["seq"]: e for e in log}
        posts = [e for e in log if e["type"] == "message_posted" and e["data"]["text"].startswith("crash-")]
        logged = Counter(e["data"]["text"].partition(":")[0] for e in posts)
        texts = Counter(e["data"]["text"] for e in posts)
        seq_of = {e["data"]["text"].partition(":")[0]: e["seq"] for e in posts}
        acked = {cid: ack for m in members for cid, ack in m.acks.items()}
        lost = sorted(cid for cid in acked if cid not in logged)
        duplicated = sorted({cid for cid, n in logged.items() if n > 1}
                            | {t.partition(":")[0] for t, n in texts.items() if n > 1})
        never_acked = sorted(cid for cid in logged if cid not in acked)
        wrong_seq = sorted(cid for cid, ack in acked.items() if cid in seq_of and ack["seq"] != seq_of[cid])
        resumed, gaps = [], {}
        for m in members:
            got = [e["seq"] for e in m.events if e["seq"] <= last]
            expected = [e["seq"] for e in visible[m.delegation]]
            copies = [e for e in m.events if e["seq"] <= last and e != by_seq.get(e["seq"])]
            if got == expected and not copies and m.resumes >= CYCLES + 1:
                resumed.append(m.number)
            else:
                repeated = sorted(s for s, n in Counter(got).items() if n > 1)
                gaps[m.number] = {"missing": sorted(set(expected) - set(got))[:10],
                                  "extra": sorted(set(got) - set(expected))[:10], "repeated": repeated[:10],
                                  "other copies": len(copies), "resumes": m.resumes}
        for m in members:
            m.close()
        server.kill()
        verified = server.cli("exercises", "verify", exercise_id)

        FIGURES.update({
            "cycles": CYCLES, "clients": CLIENTS, "acknowledged": len(acked), "lost": len(lost),
            "duplicated": len(duplicated), "resumed": len(resumed), "resumes": sum(m.resumes for m in members),
            "resent": sum(m.resent for m in members), "duplicates": sum(m.duplicates for m in members),
            "rate_limited": sum(m.rate_limited for m in members),
            "in_flight": sum(k["in_flight"] for k in kills), "events": last,
            "restart": max((k["restart"] for k in kills), default=0.0),
            "verified": verified.returncode == 0, "seconds": time.monotonic() - started})
        print(summary(FIGURES))
        assert not [m.refused for m in members if m.refused], "refused commands"
        assert lost == [], f"acknowledged but not in the log: {lost[:20]}"
        assert duplicated == [], f"in the log more than once: {duplicated[:20]}"
        assert never_acked == [], f"in the log but never acknowledged: {never_acked[:20]}"
        assert wrong_seq == [], f"acknowledged with another seq than the log's: {wrong_seq[:20]}"
        assert gaps == {}, f"clients that did not get exactly their events: {gaps}"
        assert len(resumed) == CLIENTS
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        posting.clear()
        finished.set()
        for thread in threads:
            thread.join(STEP)
        for m in members:
            m.close()
        server.kill()


def summary(f: dict) -> str:
    """The figures in one line (printed by the test, and in the terminal summary by conftest.py)."""
    return (f"crash test: {f['cycles']} kill -9 cycles under {f['clients']} clients, {f['seconds']:.1f} s: "
            f"{f['acknowledged']} commands acknowledged, {f['lost']} lost, {f['duplicated']} duplicated; "
            f"{f['resumed']}/{f['clients']} clients resumed gap-free ({f['resumes']} resumes); "
            f"{f['in_flight']} commands left unanswered by the kills, {f['resent']} resent "
            f"({f['duplicates']} acked as duplicates: stored before a kill), {f['rate_limited']} rate limited; "
            f"log of {f['events']} events {'verified' if f['verified'] else 'NOT verified'}; "
            f"slowest restart {f['restart']:.2f} s")
