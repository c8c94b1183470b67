"""Ingest as fast as one writer can: 50-video batches (new and updated mixed) through
feed.store.upsert_videos, the worker's own write path, full-text index included.

Run by bench/suite.py with DATABASE_URL pointing at a scratch copy of a dataset (never the
dataset itself). `python bench/ingest.py SECONDS` prints one JSON object: videos written,
seconds, videos per second, and how many batches failed with "database is locked" or another
database error (the batch is then skipped, as the worker would retry it on its next poll).

`python bench/ingest.py SECONDS --without-search-index` first removes the full-text index from
that copy (SQLite: the triggers that keep it; PostgreSQL: the tsvector column and its GIN
index): the same writes without search, to tell what the index costs. It ruins the copy for
searching, so the suite runs it last.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
django.setup()

from django.db import DatabaseError, OperationalError, connection  # noqa: E402

from feed import store  # noqa: E402
from feed.management.commands.seed_videos import make_videos  # noqa: E402
from feed.models import SearchQuery, Video  # noqa: E402

BATCH = 50
NEW_PER_BATCH = 25


class Spent:
    """Where a batch's time goes: in SQL statements (triggers included), in commits, and the
    rest (Python: Django building the statements and the rows)."""

    def __init__(self) -> None:
        self.statements = 0.0
        self.commits = 0.0

    def statement(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements += time.perf_counter() - started

    def watch_commits(self) -> None:
        # Django's private hook around the driver's commit: the one place every commit passes.
        commit = connection._commit

        def timed() -> None:
            started = time.perf_counter()
            try:
                commit()
            finally:
                self.commits += time.perf_counter() - started

        connection._commit = timed


def drop_search_index() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS feed_video_fts_{name}")
        else:
            cursor.execute("ALTER TABLE feed_video DROP COLUMN IF EXISTS search")


def main() -> None:
    seconds = float(sys.argv[1])
    if sys.argv[2:] == ["--without-search-index"]:
        drop_search_index()
    elif sys.argv[2:]:
        raise SystemExit("usage: ingest.py SECONDS [--without-search-index]")
    rng = random.Random(2)
    now = datetime.now(UTC)
    # Fresh videos, published over the last day (as a poll finds them), ids unused so far.
    fresh = [
        replace(v, youtube_id=f"ingest{n:06d}-{v.youtube_id}", published_at=v.published_at)
        for n, v in enumerate(
            v for bucket in make_videos(count=200_000, seed=7, ties=0.1, end=now) for v in bucket
        )
    ]
    rng.shuffle(fresh)
    stored = list(Video.objects.order_by("-sort_key").values_list("youtube_id", flat=True)[:20000])
    query, _ = SearchQuery.objects.get_or_create(text="football")
    written = locked = failed = batches = 0
    spent = Spent()
    spent.watch_commits()
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline and len(fresh) >= NEW_PER_BATCH:
        new = [fresh.pop() for _ in range(NEW_PER_BATCH)]
        updated = [
            replace(
                template,
                youtube_id=rng.choice(stored),
                published_at=now - timedelta(seconds=rng.randint(0, 86400)),
                title=f"{template.title} (updated {batches})",
            )
            for template in rng.sample(new, BATCH - NEW_PER_BATCH)
        ]
        try:
            with connection.execute_wrapper(spent.statement):
                store.upsert_videos(new + updated, query=query)
            written += BATCH
        except OperationalError as e:
            locked += "database is locked" in str(e)
            failed += 1
        except DatabaseError:
            failed += 1
        batches += 1
    elapsed = time.perf_counter() - started
    json.dump(
        {
            "videos": written,
            "batches": batches,
            "seconds": elapsed,
            "per_second": written / elapsed,
            "locked": locked,
            "failed_batches": failed,
            "ms_per_batch": {
                "total": elapsed / batches * 1000,
                "statements": spent.statements / batches * 1000,
                "commits": spent.commits / batches * 1000,
                "rest": (elapsed - spent.statements - spent.commits) / batches * 1000,
            },
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
