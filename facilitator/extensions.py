"""What the interfaces share, importable from anywhere without cycles: accessors for the application's
services and its Socket.IO server (each app has its own; call them inside a request, a Socket.IO handler
or an app context)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_socketio import SocketIO

from .decks.catalog import DeckCatalog
from .limits import Limits
from .persistence import Database
from .services import ExerciseService
from .services.replay import ReplayService
from .services.schedule import Schedule


class SettingError(ValueError):
    """A setting (from the environment or the app's overrides) that cannot be used; the message names it."""


@dataclass
class Services:
    db: Database
    catalog: DeckCatalog
    exercises: ExerciseService
    schedule: Schedule  # started by ``facilitator serve`` (see services/schedule.py)
    replay: ReplayService
    limits: Limits  # rate limits and caps (limits.py)


def services() -> Services:
    return current_app.extensions["facilitator"]


def socketio() -> SocketIO:
    """The app's Socket.IO server (set up by ``realtime.init_app``)."""
    return current_app.extensions["socketio"]


def broadcaster():
    """The app's ``broadcast.Broadcaster`` (set up by ``broadcast.init_app``)."""
    return current_app.extensions["facilitator_broadcaster"]
