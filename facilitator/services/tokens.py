"""Secrets handed to people: long bearer tokens and short join codes, stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets

# No 0/O, 1/I/L: codes are read aloud and typed from a projector.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_code(length: int = 8) -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def digest(secret: str) -> str:
    """The stored form of a token or code (high-entropy secrets need no slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def code_digest(code: str) -> str:
    return digest(normalize_code(code))


def new_id() -> str:
    return secrets.token_hex(8)
