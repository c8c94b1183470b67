"""The product's one source of "now".

Every piece of code that reads the time calls `clock.now()` (or takes `now` from a caller that
did), so a test, a benchmark or a simulated day sets the time with `clock.use(some_clock)` (the
tests use the simulator's ManualClock, which moves only when told) and nothing the product does
depends on the date the code happens to run at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_now() -> datetime:
    return datetime.now(UTC)


_current: Clock = system_now


def now() -> datetime:
    """The current time, aware and in UTC."""
    return _current()


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Read the time from `clock` inside the block (every thread of this process: a live test
    server's threads see it too)."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous
