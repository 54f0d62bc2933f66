"""Secrets kept in the instance folder, beside the database but outside it, private to the server's user."""

from __future__ import annotations

import os
from pathlib import Path

from .services.tokens import new_instructor_key


def instructor_key(instance: Path) -> str:
    """The instructor key kept in ``instance/instructor_key`` (0600), made on first use: what the home page
    asks for to create an exercise when the server is reachable beyond loopback."""
    path = instance / "instructor_key"
    if not path.exists():
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_instructor_key())
    return path.read_text().strip()
