"""Injected faults: the next requests scripted by a test, or a random share of all requests."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass

from simulator.params import SEARCH, VIDEOS

# Faults a random fault rate draws from. quotaExceeded and dailyLimitExceeded spend the key that
# asked until the next Pacific midnight, as a real exhausted key stays exhausted.
FAULT_KINDS = (
    "backendError",
    "internalError",
    "tooManyRequests",
    "rateLimitExceeded",
    "slow",
    "malformedJson",
    "truncatedPage",
    "connectionDrop",
    "dailyLimitExceeded",
    "quotaExceeded",
)
# inject() also takes these, so a test can script any documented error on the next call.
INJECTABLE_KINDS = (
    *FAULT_KINDS,
    "invalidPageToken",
    "keyInvalid",
    "keyInvalidOld",
    "accessNotConfigured",
    "missingKey",
)
KEY_SPENDING = frozenset({"quotaExceeded", "dailyLimitExceeded"})
# These still answer the request, changed; every other fault replaces the answer with an error.
ANSWER_CHANGING = frozenset({"slow", "malformedJson", "truncatedPage"})


@dataclass
class _Queued:
    kind: str
    remaining: int
    method: str | None
    key: str | None


class Faults:
    """The faults still to produce. Counts every fault produced in `produced` (kind -> times)."""

    def __init__(self, *, seed: int, produced: Counter[str]) -> None:
        self.produced = produced
        self._rng = random.Random(f"{seed}:faults")
        self._queued: list[_Queued] = []
        self._lock = threading.Lock()

    def inject(self, kind: str, *, times: int, method: str | None, key: str | None) -> None:
        if kind not in INJECTABLE_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {INJECTABLE_KINDS}")
        if method not in (None, SEARCH, VIDEOS):
            raise ValueError(f"method must be {SEARCH!r} or {VIDEOS!r}, got {method!r}")
        with self._lock:
            self._queued.append(_Queued(kind=kind, remaining=times, method=method, key=key))

    def pending(self) -> int:
        """How many scripted faults no request has met yet."""
        with self._lock:
            return sum(queued.remaining for queued in self._queued)

    def clear(self) -> None:
        with self._lock:
            self._queued.clear()

    def next(
        self, *, method: str, key: str | None, rate: float, kinds: tuple[str, ...]
    ) -> str | None:
        """The fault this request gets, if any: a scripted one first, else a random draw."""
        with self._lock:
            for queued in self._queued:
                if queued.method in (None, method) and queued.key in (None, key):
                    queued.remaining -= 1
                    if queued.remaining <= 0:
                        self._queued.remove(queued)
                    self.produced[queued.kind] += 1
                    return queued.kind
            # Draw only when a rate is set, so scripted runs never consume the random sequence.
            if rate and self._rng.random() < rate:
                kind = self._rng.choice(kinds)
                self.produced[kind] += 1
                return kind
        return None
