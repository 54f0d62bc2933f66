"""``facilitator serve --production`` (gunicorn, one gevent worker) on SQLite, with real clients: commands
from several connections at once are applied gap-free and in order for everyone (under gevent they are
grouped, and SQLite's commits wait in a pool thread while the loop goes on), and SIGTERM stops it."""

from __future__ import annotations

import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from .realtime_helpers import Player, create_exercise, join, post_at_once
from .test_scale_out import ROOT, Process


@pytest.fixture
def server(tmp_path):
    database = tmp_path / "production.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": secrets.token_hex(32),
           "FACILITATOR_INSTANCE": str(tmp_path / "instance"), "FACILITATOR_LIMIT_COMMANDS": "[100000, 100000]",
           "PYTHONPATH": str(ROOT)}
    env.pop("SOCKETIO_MESSAGE_QUEUE", None)
    subprocess.run([sys.executable, "-c", "from facilitator.cli import main; main()", "db", "upgrade"], env=env,
                   cwd=ROOT, check=True, capture_output=True)
    process = Process(env, tmp_path, "production")
    process.database = database
    yield process
    process.stop()


def test_commands_from_many_connections_at_once_are_gap_free_and_in_order_for_everyone(server):
    created = create_exercise(server.url)
    players = []
    for i, delegation in enumerate(["ukraine", "russia", "turkey", "ukraine", "russia", "turkey"]):
        seat = join(server.url, created["codes"][delegation], f"Member {i}")
        players.append(Player(server.url, seat["token"], "delegation", delegation, label=f"Member {i}")
                       .connect(last_seq=None))
    try:
        acks = post_at_once(players, 40)
        assert len(acks) == 240 and len(set(acks)) == 240, "every command acknowledged once, at its own seq"
        with sqlite3.connect(server.database) as connection:
            seqs = [row[0] for row in connection.execute(
                "SELECT seq FROM events WHERE exercise_id = ? ORDER BY seq", (created["id"],))]
        assert seqs == list(range(1, len(seqs) + 1)), "gap-free"
        for player in players:
            player.wait_seq(seqs[-1])
            said = [e["data"]["text"] for e in player.events if e["type"] == "message_posted"]
            assert len(said) == 240 and player.seqs == sorted(set(player.seqs))
            for other in players:  # each sender's messages in the order it sent them
                mine = [t for t in said if t.startswith(f"{other.label}: ")]
                assert mine == [f"{other.label}: {k}" for k in range(40)]
    finally:
        for player in players:
            player.close()


def test_sigterm_stops_the_server_within_seconds(server):
    created = create_exercise(server.url)
    seat = join(server.url, created["codes"]["ukraine"], "Olena")
    player = Player(server.url, seat["token"], "delegation", "ukraine", label="Olena").connect(last_seq=None)
    try:
        assert player.ok("post_message", channel="plenary", text="before the stop")
        started = time.monotonic()
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=20)
        assert time.monotonic() - started < 10
    finally:
        player.close()
    with sqlite3.connect(server.database) as connection:
        kinds = [row[0] for row in connection.execute(
            "SELECT type FROM events WHERE exercise_id = ? ORDER BY seq", (created["id"],))]
    assert "message_posted" in kinds and kinds[-1] == "participant_disconnected"
