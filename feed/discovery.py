"""The discovery delay: how long after YouTube published a video this product first stored it.

Search-index lag, poll intervals and re-walks all show in it; the status page and the admin show
its median, 95th percentile and maximum per query over the last day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import DurationField, ExpressionWrapper, F

from feed import quota
from feed.models import Video

# Videos read at most: a day of a busy query, and a bound on what one page view reads.
SAMPLE_AT_MOST = 50_000


@dataclass(frozen=True, slots=True)
class Delays:
    """How long after publishing a query's videos were first stored: the discovery delay."""

    count: int
    median: str
    p95: str
    max: str


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted `values`."""
    return values[max(0, math.ceil(share * len(values)) - 1)]


def delays(*, now: datetime, query_ids: list[int] | None = None) -> dict[int, Delays]:
    """Per query id (all, or `query_ids`), the delays of the videos it first stored in the last
    day that were published after the query was created (a new query's backfill is not a
    delay), in one query, over SAMPLE_AT_MOST videos at most."""
    delay = ExpressionWrapper(
        F("video__first_seen_at") - F("video__published_at"), output_field=DurationField()
    )
    links = (
        Video.queries.through.objects.filter(
            video__first_seen_at__gt=now - timedelta(days=1),
            video__published_at__gte=F("searchquery__created_at"),
        )
        .filter(**({"searchquery_id__in": query_ids} if query_ids is not None else {}))
        .annotate(delay=delay)
        .values_list("searchquery_id", "delay")[:SAMPLE_AT_MOST]
    )
    by_query: dict[int, list[float]] = {}
    for query_id, value in links:
        by_query.setdefault(query_id, []).append(max(0.0, value.total_seconds()))
    result = {}
    for query_id, values in by_query.items():
        values.sort()
        result[query_id] = Delays(
            count=len(values),
            median=quota.humanise(percentile(values, 0.5)),
            p95=quota.humanise(percentile(values, 0.95)),
            max=quota.humanise(values[-1]),
        )
    return result
