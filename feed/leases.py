"""Leases: a lock across every Huey consumer that a holder killed mid-task cannot keep."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskLockedException

from feed import clock


@contextmanager
def lease(name: str, *, seconds: float) -> Iterator[Callable[[], None]]:
    """Like HUEY.lock_task(name) across every consumer, but a holder that died cannot keep it
    forever: `seconds` after it last renewed, the next caller takes it over. (Huey's lock has no
    expiry on SqliteHuey, and on Redis only from Redis 7.4.) Raises TaskLockedException while
    held. Yields `renew()`, which gives the lease `seconds` more from now."""
    key = f"{HUEY.name}.lease.{name}"
    token = secrets.token_hex(8)
    mine = (clock.now().timestamp() + seconds, token)
    if not HUEY.put_if_empty(key, mine):
        held = HUEY.get(key, peek=True)
        if held is not None and held[0] > clock.now().timestamp():
            raise TaskLockedException(f"{name} is leased until {held[0]:.0f}")
        # Its holder died. Two callers take over at once only if both arrive in the same
        # instant, once per dead holder; then the lease's work runs twice, once.
        HUEY.delete(key)
        if not HUEY.put_if_empty(key, mine):
            raise TaskLockedException(f"{name} was just taken over") from None

    def renew() -> None:
        nonlocal mine
        # Only while it is still ours: a holder that stalled past its expiry lost it.
        if HUEY.get(key, peek=True) == mine:
            mine = (clock.now().timestamp() + seconds, token)
            HUEY.put(key, mine)

    try:
        yield renew
    finally:
        # Outlived our lease and lost it to another caller: theirs now, not ours to end.
        if HUEY.get(key, peek=True) == mine:
            HUEY.delete(key)
