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
import threading
import time

log = logging.getLogger(__name__)

CHANNEL = "facilitator:commits"
RETRY = (0.5, 1.0, 2.0, 5.0)  # seconds between attempts to reach Redis again after losing it
QUIET = 5.0  # seconds without ringing after a ring failed


class CommitBell:
    """Rings (``ring``) after this process commits; listens (``start``) for the others' rings and has the
    exercise service catch up (``ExerciseService.follow``)."""

    def __init__(self, url: str, exercises):
        import redis

        self.url = url
        self.exercises = exercises
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._listening: threading.Thread | None = None
        self._stop = threading.Event()
        self._quiet_until = 0.0
        self.heard = 0  # rings from other processes acted on (the tests and the benchmarks read it)

    def ring(self, exercise_id: str, seq: int) -> None:
        """Tell the other processes that ``exercise_id`` now stands at ``seq``. After a failure, no ring is
        tried for ``QUIET`` seconds: a Redis that does not answer must not slow every command down."""
        if time.monotonic() < self._quiet_until:
            return
        try:
            self._redis.publish(CHANNEL, f"{self.exercises.server} {exercise_id} {seq}")
        except Exception as exc:  # they still find it at their next tick
            self._quiet_until = time.monotonic() + QUIET
            log.warning("could not tell the other server processes through Redis (%s): they catch up within "
                        "a second; trying again in %g s", exc, QUIET)

    def start(self) -> None:
        """Listen in a daemon thread (a greenlet under gevent) until ``stop``."""
        if self._listening is None:
            self._listening = threading.Thread(target=self._listen, name="facilitator-commit-bell", daemon=True)
            self._listening.start()

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
                    if message is not None:
                        self._heard(message["data"])
            except Exception as exc:  # Redis down or restarting: say so, and try again
                delay = RETRY[min(failures, len(RETRY) - 1)]
                failures += 1
                log.error("lost Redis (%s); the other processes' commits reach this one's connections within "
                          "a second meanwhile; trying again in %g s", exc, delay)
                time.sleep(delay)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        pass

    def _heard(self, data) -> None:
        try:
            server, exercise_id, seq = (data.decode() if isinstance(data, bytes) else data).split()
            seq = int(seq)
        except ValueError:
            log.warning("an unreadable message on %s was ignored", CHANNEL)
            return
        if server == self.exercises.server:
            return
        self.heard += 1
        try:
            self.exercises.follow(exercise_id, seq)
        except Exception:  # a bad publication must not end the listening
            log.exception("catching up exercise %s failed", exercise_id)


def init_app(app) -> CommitBell | None:
    """With ``SOCKETIO_MESSAGE_QUEUE`` set, every commit of this app rings the bell (command-line runs too);
    the server starts listening (``start``) when it serves. Returns the bell, or None."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url:
        return None
    bell = CommitBell(url, app.extensions["facilitator"].exercises)
    bell.exercises.on_commit(bell.ring)
    app.extensions["facilitator_bell"] = bell
    return bell
