"""API keys: which are usable now, what YouTube said about each, and the daily quota ledger.

Keys live only in the environment (settings.YOUTUBE_API_KEYS); the database knows each by its
fingerprint. States: ok; exhausted until the next Pacific midnight (quotaExceeded); disabled (a
rejected key) until the configured key set changes or an admin resets it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import F

from feed import quota, reasons
from feed.models import ApiKeyState, QuotaUsage
from feed.youtube import fingerprint

# Demo mode's key for the built-in simulator: not a secret, it opens nothing but the simulator.
DEMO_KEY = "demo-key-for-the-built-in-simulator"


def configured() -> list[str]:
    return list(settings.YOUTUBE_API_KEYS) or ([DEMO_KEY] if settings.DEMO_MODE else [])


def config_fingerprint(keys: list[str]) -> str:
    joined = ",".join(sorted(fingerprint(k) for k in keys))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class KeyStatus:
    fingerprint: str
    state: str  # ok / exhausted / disabled, as of `now`
    exhausted_until: datetime | None
    reason: str
    message: str
    units_today: int
    budget: int
    check_units_today: int = 0  # the part of units_today spent on checks (feed/checks.py)

    @property
    def check_reserve(self) -> int:
        """Units of today's budget kept for checks and not yet spent on them."""
        return max(0, check_budget() - self.check_units_today)

    @property
    def words(self) -> str:
        """The state for people: "ok", "exhausted until 00:00 PT", "disabled: <what YouTube
        said, in words>"; /status and the poll's "no usable key" message both show it."""
        if self.state == ApiKeyState.State.EXHAUSTED and self.exhausted_until:
            return f"exhausted until {self.exhausted_until.astimezone(quota.PACIFIC):%H:%M} PT"
        if self.state == ApiKeyState.State.DISABLED:
            return f"disabled: {reasons.plain(self.reason) or 'rejected by YouTube'}"
        return self.state

    def can_pay(self, units: int, *, check: bool = False) -> bool:
        """Whether a call of `units` fits the key's budget today: a check within the checks'
        share, a poll without touching what is left of that share."""
        if check:
            return (
                self.check_units_today + units <= check_budget()
                and self.units_today + units <= self.budget
            )
        return self.units_today + units + self.check_reserve <= self.budget


def statuses(*, now: datetime, keys: list[str] | None = None) -> list[KeyStatus]:
    """Every configured key's state as of `now`, in configuration order (two queries)."""
    keys = configured() if keys is None else keys
    prints = [fingerprint(k) for k in keys]
    rows = {s.fingerprint: s for s in ApiKeyState.objects.filter(fingerprint__in=prints)}
    usage = QuotaUsage.objects.filter(fingerprint__in=prints, day=quota.pacific_day(now))
    spent = {u.fingerprint: (u.units, u.check_units) for u in usage}
    current = config_fingerprint(keys)
    result = []
    for fp in prints:
        row = rows.get(fp)
        state = effective_state(row, now=now, config=current)
        live = row if row is not None and state != ApiKeyState.State.OK else None
        result.append(
            KeyStatus(
                fingerprint=fp,
                state=state,
                exhausted_until=live.exhausted_until if live else None,
                reason=live.reason if live else "",
                message=live.message if live else "",
                units_today=spent.get(fp, (0, 0))[0],
                budget=settings.YOUTUBE_DAILY_QUOTA,
                check_units_today=spent.get(fp, (0, 0))[1],
            )
        )
    return result


def effective_state(row: ApiKeyState | None, *, now: datetime, config: str) -> str:
    """An exhausted key recovers at its reset time; a disabled one when the key set changes."""
    if row is None:
        return ApiKeyState.State.OK
    if (
        row.state == ApiKeyState.State.EXHAUSTED
        and row.exhausted_until
        and row.exhausted_until > now
    ):
        return ApiKeyState.State.EXHAUSTED
    if row.state == ApiKeyState.State.DISABLED and row.disabled_config == config:
        return ApiKeyState.State.DISABLED
    return ApiKeyState.State.OK


def check_budget() -> int:
    """Units of each key's day kept for checks (YOUTUBE_CHECK_PERCENT of its budget)."""
    return settings.YOUTUBE_DAILY_QUOTA * settings.YOUTUBE_CHECK_PERCENT // 100


def usable(
    *, now: datetime, keys: list[str] | None = None, units: int = 0, check: bool = False
) -> list[str]:
    """Keys that may be called now for a call of `units` (a check's, or a poll's), the least
    spent today first (spreads the load). A key whose ledger has fewer units left is not called:
    YouTube would refuse it, or worse, take it past its budget."""
    keys = configured() if keys is None else keys
    by_print = {fingerprint(k): k for k in keys}
    ready = [
        s
        for s in statuses(now=now, keys=keys)
        if s.state == ApiKeyState.State.OK and s.can_pay(units, check=check)
    ]
    ready.sort(key=lambda s: s.units_today)
    return [by_print[s.fingerprint] for s in ready]


def mark_exhausted(key: str, *, now: datetime, reason: str, message: str) -> None:
    """No call on this key before the next Pacific midnight, when YouTube resets its quota."""
    ApiKeyState.objects.update_or_create(
        fingerprint=fingerprint(key),
        defaults={
            "state": ApiKeyState.State.EXHAUSTED,
            "exhausted_until": quota.next_reset(now),
            "reason": reason,
            "message": message,
            "changed_at": now,
        },
    )


def disable(key: str, *, now: datetime, reason: str, message: str) -> None:
    """No call on this key until the configured key set changes (or an admin resets it)."""
    ApiKeyState.objects.update_or_create(
        fingerprint=fingerprint(key),
        defaults={
            "state": ApiKeyState.State.DISABLED,
            "exhausted_until": None,
            "reason": reason,
            "message": message,
            "disabled_config": config_fingerprint(configured()),
            "changed_at": now,
        },
    )


def charge(key: str, *, units: int, now: datetime, check: bool = False) -> None:
    """Add a call's units to the key's ledger for the Pacific day of `now` (`check`: a check's,
    counted in the checks' share too)."""
    checked = units if check else 0
    ledger = {"fingerprint": fingerprint(key), "day": quota.pacific_day(now)}
    added = {"units": F("units") + units, "calls": F("calls") + 1}
    if QuotaUsage.objects.filter(**ledger).update(**added, check_units=F("check_units") + checked):
        return  # one statement on every call but a key's first of the day
    usage, created = QuotaUsage.objects.get_or_create(
        **ledger, defaults={"units": units, "calls": 1, "check_units": checked}
    )
    if not created:  # another process wrote the day's first row in between
        QuotaUsage.objects.filter(pk=usage.pk).update(
            **added, check_units=F("check_units") + checked
        )
