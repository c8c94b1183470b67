"""The dashboard's filters: the API's VideoFilter plus a sort order and date presets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import django_filters

from feed.filters import VideoFilter

WHEN_CHOICES = [
    ("hour", "Last hour"),
    ("today", "Today"),
    ("week", "This week"),
    ("month", "This month"),
]
SORT_CHOICES = [
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("views", "Most viewed"),
    ("relevance", "Best match"),
]
DATE_ONLY_LENGTH = len("2026-11-28")


def when_start(when: str, *, now: datetime) -> datetime:
    """The start of a preset, in the server's time zone (UTC): calendar day, week, month."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = {
        "hour": now - timedelta(hours=1),
        "today": midnight,
        "week": midnight - timedelta(days=midnight.weekday()),
        "month": midnight.replace(day=1),
    }
    return starts[when]


class GridFilter(VideoFilter):
    # A preset narrows the date range (date_range); the sort decides how the page is read.
    when = django_filters.ChoiceFilter(choices=WHEN_CHOICES)
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES)
    selected = VideoFilter.selected | {"when", "sort"}

    def __init__(self, data: Any = None, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.now = now

    @property
    def sort_order(self) -> str:
        return self.form.cleaned_data.get("sort") or "newest"

    @property
    def oldest_first(self) -> bool:
        return self.sort_order == "oldest"

    def date_range(self) -> tuple[datetime | None, datetime | None]:
        # VideoFilter turns the range into a sort-key range (on the full-text index's rowid
        # while searching): narrowing its two ends reuses all of that.
        after, before = super().date_range()
        if when := self.form.cleaned_data.get("when"):
            start = when_start(when, now=self.now)
            after = max(after, start) if after else start
        if before is not None and len(self.data.get("published_before", "")) == DATE_ONLY_LENGTH:
            # A date picker's "to 28 Nov" means the whole day (the API reads a bare date as its
            # midnight).
            before += timedelta(days=1, seconds=-1)
        return after, before

    def count_newer(self, since: int, *, cap: int) -> int:
        """Videos above sort key `since` that match the filters, counting no further than
        `cap + 1` (so "50+" costs what 51 rows cost, however many arrived)."""
        filtered = self.filtered
        newer = filtered.qs.extra(where=[f"{filtered.column} > %s"], params=[since])
        return newer.order_by()[: cap + 1].count()
