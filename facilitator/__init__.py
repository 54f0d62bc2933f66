"""facilitator: a real-time server for multiplayer negotiation exercises."""

from .app import create_app

__all__ = ["create_app"]
