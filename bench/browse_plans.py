"""The query plans and SQL times of the browse cases (issue 14): the duration and Shorts
filters, sort by views, a channel's page. Not a test: it prints a markdown table.

    export DEBUG=1
    DATABASE_URL=sqlite:///bench/data/videos-1000000.sqlite3 .venv/bin/python bench/browse_plans.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_feed_1000000 \
        .venv/bin/python bench/browse_plans.py

Each case is requested once through Django's test client (the API, or the grid for a channel's
page); every statement it ran is timed (median of 7), and the page query's plan is printed
(SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN ANALYZE, its plan lines).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("RATE_LIMITS", "0")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from feed.models import Video  # noqa: E402

API = "/api/v1/youtube/videos?"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def cases() -> dict[str, str]:
    deep = Video.objects.order_by("-sort_key").values_list("sort_key", flat=True)[
        int(Video.objects.count() * 0.9)
    ]
    # A channel of average size, and the views cursor 90% down the most-viewed walk.
    channel = Video.objects.order_by("sort_key").values_list("channel_id", flat=True)[0]
    deep_views = (
        Video.objects.extra(select={"v": "COALESCE(view_count, -1)"})
        .order_by("-v", "-sort_key")
        .values_list("v", "sort_key")[int(Video.objects.count() * 0.9)]
    )
    views_token = f"{deep_views[0]}_{deep_views[1]}"
    newest = Video.objects.order_by("-sort_key").values_list("published_at", flat=True)[0]
    return {
        "duration=short": API + urlencode({"duration": "short"}),
        "duration=medium": API + urlencode({"duration": "medium"}),
        "duration=long": API + urlencode({"duration": "long"}),
        "duration=long + deep cursor": API + urlencode({"duration": "long", "sync_token": deep}),
        "shorts=only": API + urlencode({"shorts": "only"}),
        "shorts=exclude": API + urlencode({"shorts": "exclude"}),
        "shorts=only + deep cursor": API + urlencode({"shorts": "only", "sync_token": deep}),
        "long + no Shorts + q=football": API
        + urlencode({"duration": "long", "shorts": "exclude", "q": "football"}),
        "sort=views": API + urlencode({"sort": "views"}),
        "sort=views, page at 90%": API + urlencode({"sort": "views", "sync_token": views_token}),
        "sort=views + duration=long": API + urlencode({"sort": "views", "duration": "long"}),
        "sort=views + q=football (common)": API + urlencode({"sort": "views", "q": "football"}),
        "sort=views + q=tea ho": API + urlencode({"sort": "views", "q": "tea ho"}),
        "sort=views + q=zürich (rare)": API + urlencode({"sort": "views", "q": "zürich"}),
        "sort=views + channel": API + urlencode({"sort": "views", "channel": channel}),
        "sort=views + last week": API
        + urlencode({"sort": "views", "published_after": iso(newest - timedelta(days=7))}),
        "sort=views + last hour": API
        + urlencode({"sort": "views", "published_after": iso(newest - timedelta(hours=1))}),
        "sort=relevance + q=football (common)": API
        + urlencode({"sort": "relevance", "q": "football"}),
        "sort=relevance + q=football, page 10": API
        + urlencode({"sort": "relevance", "q": "football", "sync_token": f"{deep}_180"}),
        "sort=relevance + q=tea ho": API + urlencode({"sort": "relevance", "q": "tea ho"}),
        "sort=relevance + q=zürich (rare)": API + urlencode({"sort": "relevance", "q": "zürich"}),
        "channel page": f"/channel/{channel}",
        "channel page, most viewed": f"/channel/{channel}?sort=views",
    }


def page_limit(sql: str) -> int:
    """The statement that reads the page: the largest LIMIT over the videos table."""
    found = re.search(r"LIMIT (\d+)", sql)
    return int(found[1]) if found and 'FROM "feed_video"' in sql else -1


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "; ".join(row[3] for row in cursor.fetchall())
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql)
        return "; ".join(row[0].strip() for row in cursor.fetchall())


def timed(sql: str) -> float:
    times = []
    with connection.cursor() as cursor:
        for _ in range(7):
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    client = Client()
    print(f"{connection.vendor}, {Video.objects.count():,} videos\n")
    print("| case | SQL ms (all statements) | page query ms | plan of the page query |")
    print("|---|---|---|---|")
    for name, path in cases().items():
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        statements = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
        times = [(timed(sql), sql) for sql in statements]
        page_sql = max(statements, key=page_limit)
        total = sum(t for t, _ in times)
        page_ms = next(t for t, sql in times if sql == page_sql)
        print(f"| {name} | {total:.2f} | {page_ms:.2f} | {explain(page_sql)} |")


if __name__ == "__main__":
    main()
