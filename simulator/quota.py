"""Keys and quota: which keys are refused, and units charged per key per Pacific day."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from zoneinfo import ZoneInfo

from simulator.config import SimulatorConfig
from simulator.params import SEARCH

PACIFIC = ZoneInfo("America/Los_Angeles")


def pacific_day(moment: datetime) -> date:
    """The quota day `moment` falls in: quota resets at midnight America/Los_Angeles."""
    return moment.astimezone(PACIFIC).date()


def next_quota_reset(moment: datetime) -> datetime:
    """The next Pacific midnight after `moment`, in UTC (23 or 25 hours away on DST days)."""
    midnight = datetime.combine(pacific_day(moment) + timedelta(days=1), wall_time(), PACIFIC)
    return midnight.astimezone(UTC)


class Quota:
    """The quota ledger. `units` is shared with the stats: (key, Pacific day) -> units charged.
    Not thread-safe: the Simulator calls it under its lock."""

    def __init__(self, *, units: Counter[tuple[str, date]]) -> None:
        self.units = units
        self._told_exceeded: set[tuple[str, date]] = set()

    def told_exceeded(self, key: str, *, day: date) -> bool:
        """Whether `key` was answered quotaExceeded (or dailyLimitExceeded) on Pacific `day`."""
        return (key, day) in self._told_exceeded

    def spend(self, key: str, *, now: datetime) -> None:
        """The key is answered quotaExceeded until the next Pacific midnight, as a real spent
        key stays spent whatever its units say."""
        self._told_exceeded.add((key, pacific_day(now)))

    def admit(
        self, key: str | None, *, method: str, now: datetime, config: SimulatorConfig
    ) -> str | None:
        """Charge `key` for one call and return None, or return the error it gets instead
        (a name in shapes.ERRORS): missing, invalid, disabled or spent keys cost nothing."""
        if key is None:
            return "missingKey"
        if key in config.invalid_keys or key.startswith("invalid"):
            return "keyInvalid" if config.key_invalid_form == "new" else "keyInvalidOld"
        if key in config.disabled_keys:
            return "accessNotConfigured"
        day = pacific_day(now)
        if self.units[(key, day)] >= config.daily_quota or self.told_exceeded(key, day=day):
            self.spend(key, now=now)
            return "quotaExceeded"
        # Charged before the parameters are checked: invalid requests cost quota too.
        self.units[(key, day)] += config.search_cost if method == SEARCH else config.videos_cost
        return None
