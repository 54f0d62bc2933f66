"""Two server processes (``facilitator serve --production``) on one PostgreSQL and one Redis, started by the
test setup (tests/throwaway_servers.py), with real clients connected to each: what one process commits
reaches the other's clients, in order; concurrent commands through both keep the seq gap-free; a client
moves from one to the other without loss; killing one loses nothing acknowledged; presence and the schedule
act once across them.

Run by ``make test-scale``."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from facilitator.services import presence

from .realtime_helpers import Player, create_exercise, join, post_at_once
from .throwaway_servers import free_port

pytestmark = pytest.mark.scale

ROOT = Path(__file__).resolve().parent.parent


class Process:
    """``facilitator serve --production`` in a process group of its own (gunicorn's master and its worker)."""

    def __init__(self, env: dict, folder: Path, name: str):
        self.port, self.name = free_port(), name
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{name}.log"
        facilitator = Path(sys.executable).with_name("facilitator")
        command = [str(facilitator)] if facilitator.exists() else \
            [sys.executable, "-c", "from facilitator.cli import main; main()"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([*command, "serve", "--production", "--port", str(self.port)], env=env,
                                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 40
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/api/scenarios", timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.kill()
                    raise RuntimeError(f"{name} did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL to the master and its worker at once: nothing runs on the way out."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def _cluster(postgres_url, redis_url, tmp_path, b_redis: str | None = None):
    """Two processes sharing the test's PostgreSQL database and Redis; ``cluster.db`` reads the database.
    ``b_redis``: another Redis URL for the second process (one where no Redis answers, say)."""
    from facilitator.persistence import Database

    env = {**os.environ, "DATABASE_URL": postgres_url, "SOCKETIO_MESSAGE_QUEUE": redis_url,
           "SECRET_KEY": secrets.token_hex(32), "FACILITATOR_INSTANCE": str(tmp_path / "instance"),
           "FACILITATOR_LIMIT_COMMANDS": "[100000, 100000]", "PYTHONPATH": str(ROOT)}
    processes = []
    try:
        processes += [Process(env, tmp_path, "a"),
                      Process({**env, "SOCKETIO_MESSAGE_QUEUE": b_redis or redis_url}, tmp_path, "b")]
        db = Database(postgres_url)
        yield type("Cluster", (), {"a": processes[0], "b": processes[1], "db": db, "env": env, "tmp": tmp_path})
        db.dispose()
    finally:
        for process in processes:
            process.stop()


@pytest.fixture
def cluster(postgres_url, redis_url, tmp_path):
    yield from _cluster(postgres_url, redis_url, tmp_path)


@pytest.fixture
def cluster_without_redis_for_b(postgres_url, redis_url, tmp_path):
    yield from _cluster(postgres_url, redis_url, tmp_path, b_redis=f"redis://127.0.0.1:{free_port()}/0")


def _umpire(base: str, created: dict) -> Player:
    return Player(base, created["umpire"]["token"], "umpire").connect(last_seq=None)


def _member(base: str, created: dict, delegation: str, name: str) -> Player:
    seat = join(base, created["codes"][delegation], name)
    return Player(base, seat["token"], "delegation", delegation, label=name).connect(last_seq=None)


def _log_seqs(db, exercise_id: str) -> list[int]:
    from sqlalchemy import select
    from facilitator.persistence.models import EventRow

    with db.read() as session:
        return list(session.scalars(select(EventRow.seq).where(EventRow.exercise_id == exercise_id)
                                    .order_by(EventRow.seq)))


def test_an_inject_fired_through_one_process_reaches_the_clients_of_both(cluster):
    created = create_exercise(cluster.a.url)
    umpire = _umpire(cluster.a.url, created)
    here = _member(cluster.a.url, created, "ukraine", "Olena")
    there = _member(cluster.b.url, created, "russia", "Sergei")
    try:
        sent = time.monotonic()
        seq = umpire.ok("fire_inject", title="Grain ships turned back", text="The corridor is closed today.")
        for player in (here, there):
            player.wait_event("inject_fired", title="Grain ships turned back")
        print(f"\ninject through a, received through b within {(time.monotonic() - sent) * 1000:.0f} ms")
        for player in (here, there):
            player.wait_seq(seq)
            assert player.seqs == sorted(set(player.seqs))  # in order, once each
        assert there.state["last_seq"] >= seq or there.updates[-1]["seq"] >= seq
    finally:
        for player in (umpire, here, there):
            player.close()


def test_concurrent_commands_through_both_processes_keep_the_seq_gap_free_and_in_order(cluster):
    created = create_exercise(cluster.a.url)
    players = [_member(cluster.a.url if i % 2 == 0 else cluster.b.url, created, d, f"Member {i}")
               for i, d in enumerate(["ukraine", "russia", "turkey", "ukraine", "russia", "turkey"])]
    try:
        acks = post_at_once(players, 40)
        assert len(acks) == 240 and len(set(acks)) == 240, "every command acknowledged once, at its own seq"
        seqs = _log_seqs(cluster.db, created["id"])
        assert seqs == list(range(1, len(seqs) + 1)), "gap-free"
        last = seqs[-1]
        for player in players:  # each saw every message, in seq order, whichever process it is on
            player.wait_seq(last)
            said = [e["data"]["text"] for e in player.events if e["type"] == "message_posted"]
            assert len(said) == 240 and player.seqs == sorted(set(player.seqs))
    finally:
        for player in players:
            player.close()


def test_a_client_that_moves_to_the_other_process_resumes_without_loss(cluster):
    created = create_exercise(cluster.a.url)
    umpire = _umpire(cluster.a.url, created)
    seat = join(cluster.a.url, created["codes"]["ukraine"], "Olena")
    olena = Player(cluster.a.url, seat["token"], "delegation", "ukraine").connect(last_seq=0)
    try:
        first = umpire.ok("post_message", channel="plenary", text="before the move")
        olena.wait_seq(first)
        held = olena.seqs[-1]
        olena.close()
        missed = [umpire.ok("post_message", channel="plenary", text=f"while away {k}") for k in range(5)]
        olena.base = cluster.b.url  # the same tab, reconnected through the other process
        olena.connect(last_seq=held)
        olena.wait_seq(missed[-1])
        texts = [e["data"]["text"] for e in olena.events if e["type"] == "message_posted"]
        assert texts == ["before the move"] + [f"while away {k}" for k in range(5)]
        assert olena.seqs == sorted(set(olena.seqs))
        after = umpire.ok("post_message", channel="plenary", text="live again")
        olena.wait_seq(after)
    finally:
        umpire.close()
        olena.close()


def test_killing_one_process_loses_nothing_acknowledged_and_its_clients_resume_on_the_other(cluster):
    created = create_exercise(cluster.a.url)
    seat = join(cluster.a.url, created["codes"]["ukraine"], "Olena")
    olena = Player(cluster.a.url, seat["token"], "delegation", "ukraine").connect(last_seq=0)
    acknowledged: list[str] = []
    stop = threading.Event()

    def talk():
        k = 0
        while not stop.is_set():
            text = f"line {k}"
            try:
                ack = olena.sio.call("command", {"type": "post_message", "channel": "plenary", "text": text}, timeout=2)
            except Exception:  # the process died under it
                return
            if isinstance(ack, dict) and ack.get("ok"):
                acknowledged.append(text)
            k += 1

    talker = threading.Thread(target=talk)
    talker.start()
    try:
        time.sleep(1.5)
        cluster.a.kill()
        stop.set()
        talker.join(timeout=10)
        assert len(acknowledged) > 10
        olena.close()
        olena.base = cluster.b.url
        olena.connect(last_seq=0)  # everything again, from the survivor
        stored = [e["data"]["text"] for e in olena.events[-5000:] if e["type"] == "message_posted"]
        assert set(acknowledged) <= set(stored), "an acknowledged command was lost"
        print(f"\nkill -9 of one process: {len(acknowledged)} acknowledged, "
              f"{len(set(acknowledged) - set(stored))} lost")
    finally:
        stop.set()
        olena.close()


def _olena_on_both(cluster) -> tuple[Player, Player, Player]:
    """The umpire on b; Olena with her laptop on a and her phone on b."""
    created = create_exercise(cluster.a.url)
    umpire = _umpire(cluster.b.url, created)
    seat = join(cluster.a.url, created["codes"]["ukraine"], "Olena")
    laptop = Player(cluster.a.url, seat["token"], "delegation", "ukraine").connect(last_seq=None)
    phone = Player(cluster.b.url, seat["token"], "delegation", "ukraine").connect(last_seq=None)
    return umpire, laptop, phone


def _connections(player: Player) -> int | None:
    """Olena's open connections, in the umpire's presence list."""
    rows = [r for r in (player.state or {}).get("presence", []) if r["name"] == "Olena"]
    return rows[0]["connections"] if rows else None


def test_presence_is_counted_per_process_and_a_dead_process_takes_away_only_its_own(cluster):
    umpire, laptop, phone = _olena_on_both(cluster)
    try:
        umpire.wait_for(lambda p: _connections(p) == 2, what="two connections")
        cluster.a.kill()  # the laptop's process dies: nobody closes that connection
        started = time.monotonic()
        umpire.wait_for(lambda p: _connections(p) == 1, timeout=presence.DEAD_AFTER + 15,
                        what="the dead process's connection taken away")
        assert time.monotonic() - started >= presence.DEAD_AFTER - 3  # not before it stopped beating
        time.sleep(3)
        assert _connections(umpire) == 1  # the phone, on the living process, is still there
    finally:
        for player in (umpire, laptop, phone):
            player.close()


def test_a_scheduled_inject_fires_once_across_processes(cluster):
    created = create_exercise(cluster.a.url)
    umpire = _umpire(cluster.a.url, created)
    here = _member(cluster.b.url, created, "ukraine", "Olena")
    try:
        umpire.ok("advance_phase")
        umpire.ok("add_inject", inject={"title": "On the minute", "text": "Now.", "audience": "all",
                                        "phase": "briefing", "minute": 0})
        here.wait_event("inject_fired", title="On the minute")
        time.sleep(3)  # both processes keep ticking
        fired = [e for e in umpire.events if e["type"] == "inject_fired" and e["data"]["title"] == "On the minute"]
        assert len(fired) == 1
    finally:
        umpire.close()
        here.close()


def test_without_redis_a_process_still_publishes_the_others_commits_within_a_tick(cluster_without_redis_for_b):
    cluster = cluster_without_redis_for_b
    created = create_exercise(cluster.a.url)
    umpire = _umpire(cluster.a.url, created)
    there = _member(cluster.b.url, created, "russia", "Sergei")  # b hears no bell
    try:
        for k in range(3):
            sent = time.monotonic()
            seq = umpire.ok("post_message", channel="plenary", text=f"heard without a bell {k}")
            there.wait_seq(seq)
            print(f"\nwithout Redis, through b after {(time.monotonic() - sent) * 1000:.0f} ms")
        assert there.seqs == sorted(set(there.seqs))
        reply = there.command("post_message", channel="plenary", text="and b still takes commands")
        assert reply["ok"], reply
        umpire.wait_event("message_posted", text="and b still takes commands")
    finally:
        umpire.close()
        there.close()


def test_a_process_stopped_cleanly_marks_its_own_participants_disconnected_at_once(cluster):
    umpire, laptop, phone = _olena_on_both(cluster)
    try:
        umpire.wait_for(lambda p: _connections(p) == 2, what="two connections")
        cluster.a.stop()  # SIGTERM: gunicorn stops its worker, which takes its own connections away
        umpire.wait_for(lambda p: _connections(p) == 1, timeout=presence.DEAD_AFTER - 5,
                        what="the stopped process's connection taken away before it could be found dead")
    finally:
        for player in (umpire, laptop, phone):
            player.close()
