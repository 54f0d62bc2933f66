"""Several server processes on one database (PostgreSQL): each tells the others, through Redis, when it has
committed to an exercise, so that they publish it to their own connections at once.

Every process publishes to its own connections only, from the log, in seq order (services/exercises.py):
what reaches a client is the same whichever process it is connected to, and in order, because the database
orders the commits and each process reads them in that order. Redis only rings a bell (``exercise seq``);
what is published is read from the database. So a bell that is lost (Redis restarting) delays a publication,
it cannot misorder or change it: every process also follows the exercises it holds at each tick of the
schedule (one second). This is why Socket.IO's own message queue, which would carry each process's emits
to the others in the order they happen to be sent, is not used.

Setting: ``SOCKETIO_MESSAGE_QUEUE`` (a ``redis://`` URL), as in Flask-SocketIO's documentation.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

CHANNEL = "facilitator:commits"
RETRY = (0.5, 1.0, 2.0, 5.0)  # seconds between attempts to reach Redis again after losing it
QUIET = 5.0  # seconds without ringing after a ring failed
WAITING = 10_000  # rings waiting to be sent; beyond, they are dropped (the others catch up within a tick)
GATHER = 200  # rings received at once followed together (one read of the log for all their exercises)
SCHEMES = ("redis", "rediss", "unix")


class CommitBell:
    """Rings (``ring``) after this process commits; listens (``start``) for the others' rings and has the
    exercise service catch up (``ExerciseService.follow``)."""

    def __init__(self, url: str, exercises):
        import redis

        from .extensions import SettingError

        if urlsplit(url).scheme not in SCHEMES:
            raise SettingError(f"SOCKETIO_MESSAGE_QUEUE must be a Redis URL (redis://host:port/0), not {url!r}")
        self.url = url
        self.exercises = exercises
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._listening: threading.Thread | None = None
        self._stop = threading.Event()
        self._waiting: queue.Queue = queue.Queue(maxsize=WAITING)
        self._quiet_until = 0.0
        self.heard = 0  # rings from other processes acted on (the tests and the benchmarks read it)

    def ring(self, exercise_id: str, seq: int) -> None:
        """Tell the other processes that ``exercise_id`` now stands at ``seq``: queued for the ringing thread,
        so a Redis that does not answer never holds a command up."""
        try:
            self._waiting.put_nowait((exercise_id, seq))
        except queue.Full:  # Redis has not answered for a while: the others catch up at their next tick
            pass

    def _ring(self) -> None:
        """Send the queued rings. After a failure, none is tried for ``QUIET`` seconds (those queued
        meanwhile are dropped: the others catch up within a tick)."""
        while not self._stop.is_set():
            try:
                exercise_id, seq = self._waiting.get(timeout=1.0)
            except queue.Empty:
                continue
            if time.monotonic() < self._quiet_until:
                continue
            try:
                self._redis.publish(CHANNEL, f"{self.exercises.server} {exercise_id} {seq}")
            except Exception as exc:  # they still find it at their next tick
                self._quiet_until = time.monotonic() + QUIET
                log.warning("could not tell the other server processes through Redis at %s (%s): they catch up "
                            "within a second; trying again in %g s", self.url, exc, QUIET)

    def start(self) -> None:
        """Check that Redis answers (saying so in the log if not), then ring and listen in daemon threads
        (greenlets under gevent) until ``stop``."""
        if self._listening is None:
            try:
                self._redis.ping()
            except Exception as exc:
                log.error("cannot reach Redis at %s (%s): the other server processes' commits reach this one's "
                          "connections within a second, not at once, until it answers", self.url, exc)
            self._listening = threading.Thread(target=self._listen, name="facilitator-commit-bell", daemon=True)
            self._listening.start()
            threading.Thread(target=self._ring, name="facilitator-commit-ringer", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _listen(self) -> None:
        failures = 0
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                if failures:
                    log.warning("listening to the other server processes through Redis again")
                failures = 0
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    heard = []
                    while message is not None:  # with the rings that came meanwhile, followed at once
                        heard.append(message["data"])
                        if len(heard) >= GATHER:
                            break
                        message = pubsub.get_message(timeout=0)
                    if heard:
                        self._heard(heard)
            except Exception as exc:  # Redis down or restarting: say so, and try again
                delay = RETRY[min(failures, len(RETRY) - 1)]
                failures += 1
                log.error("cannot listen to Redis at %s (%s); the other processes' commits reach this one's "
                          "connections within a second meanwhile; trying again in %g s", self.url, exc, delay)
                time.sleep(delay)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        pass

    def _heard(self, messages: list) -> None:
        """Rings received together: the exercises the other processes committed to are followed at once, by one
        read of the log (``ExerciseService.follow``)."""
        commits: dict[str, int] = {}
        for data in messages:
            try:
                server, exercise_id, seq = (data.decode() if isinstance(data, bytes) else data).split()
                seq = int(seq)
            except ValueError:
                log.warning("an unreadable message on %s was ignored", CHANNEL)
                continue
            if server == self.exercises.server:
                continue
            self.heard += 1
            commits[exercise_id] = max(seq, commits.get(exercise_id, seq))
        if not commits:
            return
        try:
            self.exercises.follow(commits)
        except Exception:  # a bad publication must not end the listening
            log.exception("catching up exercises %s failed", ", ".join(sorted(commits)))


def init_app(app) -> CommitBell | None:
    """With ``SOCKETIO_MESSAGE_QUEUE`` set, every commit of this app rings the bell once it serves (``start``:
    ringing and listening; what a command-line run commits reaches the servers at their next tick). Returns
    the bell, or None. Raises ``SettingError`` for a URL that is not Redis's."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url:
        return None
    bell = CommitBell(url, app.extensions["facilitator"].exercises)
    bell.exercises.on_commit(bell.ring)
    app.extensions["facilitator_bell"] = bell
    return bell
