"""Secrets handed to people: long bearer tokens and short join codes, stored only as hashes.

Tokens carry 192 random bits: a plain SHA-256 of them cannot be reversed. Codes are short (8 characters of
31, about 40 bits) because people type them from a projector, so a stolen database must not be enough to
search their space: they are stored as an HMAC keyed with the installation's secret (``code_key``), which
lives outside the database (instance/secret_key, or the SECRET_KEY setting).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# No 0/O, 1/I/L: codes are read aloud and typed from a projector.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_code(length: int = 8) -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    return f"{raw[:4]}-{raw[4:]}"


def new_instructor_key() -> str:
    """An instructor key: 12 characters of the code alphabet (about 59 bits), in groups of four."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def same_key(given: str, expected: str) -> bool:
    """Whether ``given`` is ``expected`` once both are normalised (case, dashes), in constant time."""
    return hmac.compare_digest(normalize_code(given).encode(), normalize_code(expected).encode())


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def digest(secret: str) -> str:
    """The stored form of a token or code (high-entropy secrets need no slow hash). Any string has one: a lone
    surrogate (which no issued secret holds) is hashed as it is, and simply matches nothing."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def code_key(secret_key: str) -> bytes:
    """The key codes are hashed with, derived from the installation's secret key."""
    return hmac.new(secret_key.encode(), b"facilitator join and observer codes", hashlib.sha256).digest()


def code_digest(code: str, key: bytes) -> str:
    """The stored form of a join or observer code: HMAC-SHA256 under ``key`` (``code_key``) of the code's
    unkeyed digest (so stored unkeyed digests can be rekeyed in place: migration 0005)."""
    return rekey(digest(normalize_code(code)), key)


def rekey(unkeyed: str, key: bytes) -> str:
    return hmac.new(key, unkeyed.encode(), hashlib.sha256).hexdigest()


def new_id() -> str:
    return secrets.token_hex(8)
