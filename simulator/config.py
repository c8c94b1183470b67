"""SimulatorConfig: every setting of the simulated YouTube, checked when it is made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from simulator.clock import as_utc
from simulator.faults import FAULT_KINDS, INJECTABLE_KINDS

MINUTE, HOUR = 60.0, 3600.0

# Buckets of (share of videos, low, high): seconds from publishing until search.list shows the
# video, drawn uniformly in [low, high] inside a bucket. YouTube's search index is behind
# publishing: most videos within minutes, a tail of several hours (shared/youtube/README.md).
# videos.list by id is not affected.
IndexLag = tuple[tuple[float, float, float], ...]
DEFAULT_INDEX_LAG: IndexLag = (
    (0.60, 0.0, 3 * MINUTE),
    (0.25, 3 * MINUTE, 30 * MINUTE),
    (0.12, 30 * MINUTE, 3 * HOUR),
    (0.03, 3 * HOUR, 6 * HOUR),
)
NO_LAG: IndexLag = ()  # search shows every video the second it is published


@dataclass(frozen=True)
class SimulatorConfig:
    seed: int = 0
    queries: tuple[str, ...] = ("football",)
    rate_per_minute: float = 6.0  # steady videos per minute, per query
    # Or one rate per query, in the order of `queries` (a busy query beside quiet ones).
    query_rates: tuple[float, ...] = ()
    burst_every_minutes: float = 60.0  # 0 turns bursts off
    burst_size: int = 60  # more than a 50-result page on purpose
    burst_spread_seconds: float = 5.0
    history_hours: float = 24.0  # videos already out when the simulator starts
    start: datetime | None = None  # default: the clock's now when the Simulator is built
    daily_quota: int = 10_000
    search_cost: int = 100
    videos_cost: int = 1
    invalid_keys: frozenset[str] = frozenset()  # plus any key starting with "invalid"
    disabled_keys: frozenset[str] = frozenset()  # accessNotConfigured
    key_invalid_form: Literal["new", "old"] = "new"  # API_KEY_INVALID details, or keyInvalid
    fault_rate: float = 0.0  # probability that a request gets a random fault
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    slow_seconds: float = 2.0
    max_walk_results: int = 500  # YouTube stops handing out page tokens at about 500 results
    region_code: str = "IN"
    index_lag: IndexLag = DEFAULT_INDEX_LAG
    # Deleted or made private some hours after publishing: gone from search and from videos.list
    # (the id simply left out). A share of those comes back some hours after the removal.
    removal_share: float = 0.02
    removal_after_hours: tuple[float, float] = (1.0, 48.0)  # after publishing, uniform
    restore_share: float = 0.10  # of the removed videos
    restore_after_hours: tuple[float, float] = (1.0, 24.0)  # after the removal, uniform
    hidden_views_share: float = 0.01  # owners who hide the view count: no viewCount

    def __post_init__(self) -> None:
        # Accept lists and sets from callers; a frozen dataclass still wants hashable fields.
        queries = tuple(" ".join(query.split()) for query in self.queries)
        object.__setattr__(self, "queries", queries)
        object.__setattr__(self, "invalid_keys", frozenset(self.invalid_keys))
        object.__setattr__(self, "disabled_keys", frozenset(self.disabled_keys))
        object.__setattr__(self, "fault_kinds", tuple(self.fault_kinds))
        object.__setattr__(self, "query_rates", tuple(float(r) for r in self.query_rates))
        lag = tuple(tuple(float(x) for x in bucket) for bucket in self.index_lag)
        object.__setattr__(self, "index_lag", lag)
        for name in ("removal_after_hours", "restore_after_hours"):
            object.__setattr__(self, name, tuple(float(x) for x in getattr(self, name)))
        _validate(self)

    @property
    def bursts_on(self) -> bool:
        return self.burst_every_minutes > 0 and self.burst_size > 0

    def rate(self, index: int) -> float:
        """Steady videos per minute of the query at `index`."""
        return self.query_rates[index] if self.query_rates else self.rate_per_minute


def query_key(query: str) -> str:
    """How queries are matched: case and runs of spaces do not matter."""
    return " ".join(query.casefold().split())


def _validate(config: SimulatorConfig) -> None:
    names = [query_key(query) for query in config.queries]
    if not names or "" in names or len(set(names)) != len(names):
        raise ValueError(f"queries must be distinct and non-empty, got {config.queries!r}")
    if len(names) > 256:
        raise ValueError("at most 256 queries: the query index is 8 bits of each video id")
    if config.rate_per_minute <= 0 or any(rate <= 0 for rate in config.query_rates):
        raise ValueError("rates must be above 0 (use a small rate for a quiet stream)")
    if config.query_rates and len(config.query_rates) != len(names):
        raise ValueError(
            f"query_rates needs one rate per query: {len(config.query_rates)} for {len(names)}"
        )
    if config.burst_every_minutes < 0 or config.burst_size < 0:
        raise ValueError("burst_every_minutes and burst_size must be 0 (off) or positive")
    if config.bursts_on and config.burst_spread_seconds >= config.burst_every_minutes * 60:
        raise ValueError("burst_spread_seconds must be shorter than burst_every_minutes")
    if not 0 <= config.fault_rate <= 1:
        raise ValueError(f"fault_rate is a probability in [0, 1], got {config.fault_rate}")
    unknown = sorted(set(config.fault_kinds) - set(INJECTABLE_KINDS))
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; choose from {INJECTABLE_KINDS}")
    if config.start is not None:
        as_utc(config.start)
    _validate_index_lag(config.index_lag)
    for name in ("removal_share", "restore_share", "hidden_views_share"):
        if not 0 <= getattr(config, name) <= 1:
            raise ValueError(f"{name} is a share in [0, 1], got {getattr(config, name)}")
    for name in ("removal_after_hours", "restore_after_hours"):
        hours = getattr(config, name)
        if len(hours) != 2 or not 0 <= hours[0] <= hours[1]:
            raise ValueError(f"{name} is (low, high) with 0 <= low <= high, got {hours!r}")


def _validate_index_lag(buckets: IndexLag) -> None:
    for bucket in buckets:
        if len(bucket) != 3:
            raise ValueError(f"index_lag buckets are (share, low, high) seconds, got {bucket!r}")
        share, low, high = bucket
        if share <= 0 or not 0 <= low <= high:
            raise ValueError(
                f"index_lag bucket {bucket!r}: share must be above 0 and 0 <= low <= high"
            )
    total = sum(share for share, _, _ in buckets)
    if buckets and abs(total - 1) > 1e-6:
        raise ValueError(f"index_lag shares must add up to 1, got {total:g} (NO_LAG is ())")
