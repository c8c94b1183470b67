"""Seeded randomness without state: every choice the simulator makes is a hash of a name."""

from __future__ import annotations

import base64
import hashlib


def digest(text: str, *, size: int) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=size).digest()


def hash_int(text: str) -> int:
    return int.from_bytes(digest(text, size=8), "big")


def uniforms(text: str, *, count: int) -> tuple[float, ...]:
    """`count` independent numbers in [0, 1) from one hash: cheaper than `count` hashes."""
    raw = digest(text, size=4 * count)
    return tuple(int.from_bytes(raw[i : i + 4], "big") / 2**32 for i in range(0, 4 * count, 4))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
