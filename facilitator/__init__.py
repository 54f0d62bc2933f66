"""facilitator: a real-time server for multiplayer negotiation exercises.

Importing the package loads nothing else, so ``facilitator.engine`` stays free
of Flask, SQLAlchemy and the rest.
"""


def create_app(overrides: dict | None = None):
    """The Flask application (see ``facilitator.app.create_app``)."""
    from .app import create_app as make

    return make(overrides)
