"""Secrets kept in the instance folder, beside the database but outside it, private to the server's user."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .services.tokens import new_instructor_key


def instructor_key(instance: Path) -> str:
    """The instructor key kept in ``instance/instructor_key`` (0600), made on first use: what the home page
    asks for to create an exercise when the server is reachable beyond loopback."""
    path = instance / "instructor_key"
    if not path.exists():
        # Written whole under another name, then linked into place: processes starting together all read
        # the one key that won, never an empty or half-written file.
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = instance / f".instructor_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(new_instructor_key())
            try:
                os.link(draft, path)
            except FileExistsError:  # another process made it first
                pass
        finally:
            draft.unlink(missing_ok=True)
    return path.read_text().strip()
