"""Huey tasks: thin callers of feed.services."""

from __future__ import annotations

import logging
import threading

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup
from huey.exceptions import TaskLockedException

from feed import services
from feed.models import SearchQuery

logger = logging.getLogger(__name__)


_started = threading.Lock()


@on_startup()
def start_polling() -> None:
    # Runs in every worker thread; once per process is enough. Polling starts now rather than
    # at the next turn of the minute, so a fresh demo shows videos within seconds.
    if _started.acquire(blocking=False):
        logger.info("pacing: %s", services.pacing(now=timezone.now()).sentence)
        schedule_polls()


@db_periodic_task(crontab(minute="*"))
def schedule_polls() -> None:
    for query, delay in services.due_polls(now=timezone.now()):
        poll.schedule((query.pk,), delay=delay)


@db_task()
def poll(query_id: int) -> None:
    query = SearchQuery.objects.filter(pk=query_id, active=True).first()
    if query is None:
        return  # paused or deleted since it was scheduled
    now = timezone.now()
    interval = services.pacing(now=now).interval_seconds
    if query.last_polled_at and (now - query.last_polled_at).total_seconds() < interval / 2:
        return  # a poll scheduled twice (two schedulers, a restart): one is enough
    try:
        # Across every worker process: one poll of a query at a time.
        with HUEY.lock_task(f"poll-{query_id}"):
            run = services.fetch_query(query)
    except TaskLockedException:
        logger.info("poll of %r skipped: the previous one is still running", query.text)
        return
    logger.info(
        "polled %r: %d pages, %d new, %d updated, %d units%s",
        query.text,
        run.pages,
        run.new_videos,
        run.updated_videos,
        run.units,
        f", error: {run.error}" if run.error else "",
    )
