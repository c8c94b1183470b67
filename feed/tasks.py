"""Huey tasks: thin callers of feed.services."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup
from huey.exceptions import TaskLockedException

from feed import clock, search, services, webhooks
from feed.leases import lease
from feed.models import SearchQuery

logger = logging.getLogger(__name__)

# Huey's periodic scheduler fires once a minute in *every* consumer that runs it. A tick schedules
# the polls due up to a horizon and records where it stopped (in huey's storage, so in Redis for
# all consumers); the next tick, this consumer's or another's, starts there. So each poll is
# scheduled exactly once however many schedulers run, and a restarted consumer's first tick does
# not repeat what the previous one already scheduled.
SCHEDULE_HORIZON = timedelta(seconds=60)
SCHEDULED_THROUGH_KEY = "schedule-polls.through"
# A lease outlives a consumer killed while holding it (SIGKILL, a lost machine) by this much at
# most. A tick takes well under a minute. A poll renews its lease after every page, and one page
# (a search and a details call, each up to 4 tries of 10 s plus backoff) takes 2 minutes at
# worst: so a second poll of a query never starts while the first runs, however many pages it
# walks, and a killed poll holds its query for 5 minutes at most.
SCHEDULE_LEASE_SECONDS = 60
POLL_LEASE_SECONDS = 5 * 60
# A round of checks takes about a second. One stuck past this (50 calls, each retried against a
# failing YouTube) loses its lease: a second round then checks the same videos again, which costs
# units but never more than the checks' share (each call is paid only within it).
CHECK_LEASE_SECONDS = 10 * 60
# Steps of search.merge_index per run, every 5 minutes: far more than a day of polling adds, in
# short transactions (sizes and times: bench/results/analysis.md).
MERGE_STEPS = 40

_started = threading.Lock()


@contextmanager
def skipped_while_leased(message: str) -> Iterator[None]:
    """Runs the block, which takes a lease; where another consumer holds it (the lease raised
    TaskLockedException), logs `message` instead: the task's next run tries again."""
    try:
        yield
    except TaskLockedException:
        logger.info(message)


@on_startup()
def start_polling() -> None:
    # Runs in every worker thread; once per process is enough. Polling starts now rather than
    # at the next turn of the minute, so a fresh demo shows videos within seconds. It is an
    # ordinary tick: where another scheduler already covered the minute, it schedules nothing.
    if _started.acquire(blocking=False):
        logger.info("pacing: %s", services.pacing(now=clock.now()).sentence)
        schedule_polls()


@db_periodic_task(crontab(minute="*"))
def schedule_polls() -> None:
    with (
        skipped_while_leased("polls not scheduled: another consumer is scheduling them right now"),
        lease("schedule-polls", seconds=SCHEDULE_LEASE_SECONDS),
    ):
        schedule_due_polls(now=clock.now())


def schedule_due_polls(*, now: datetime) -> int:
    """Schedule the polls due from where the last tick stopped (or now) to now + the horizon;
    returns how many. Call it under the schedule-polls lease."""
    through = HUEY.get(SCHEDULED_THROUGH_KEY, peek=True)
    start = max(now, datetime.fromtimestamp(through, tz=UTC)) if through else now
    end = now + SCHEDULE_HORIZON
    if start >= end:
        logger.info("scheduler tick: polls until %s were already scheduled", start.isoformat())
        return 0
    count = 0
    plan = services.pacing(now=now)
    due = services.due_polls(now=now, horizon=SCHEDULE_HORIZON.total_seconds(), plan=plan)
    for query, delay in due:
        # Polls before `start` are the previous tick's to schedule, and it did.
        if now + timedelta(seconds=delay) >= start:
            poll.schedule((query.pk, plan.interval_seconds), delay=delay)
            count += 1
    HUEY.put(SCHEDULED_THROUGH_KEY, end.timestamp())
    logger.info(
        "scheduler tick: %d polls scheduled from %s to %s",
        count,
        start.isoformat(),
        end.isoformat(),
    )
    return count


@db_task()
def poll(query_id: int, interval: float | None = None) -> None:
    """Poll a query; `interval` is the paced one it was scheduled at (None from a release that
    did not pass it: computed here)."""
    query = SearchQuery.objects.filter(pk=query_id, active=True).first()
    if query is None:
        return  # paused or deleted since it was scheduled
    now = clock.now()
    if interval is None:
        interval = services.pacing(now=now).interval_seconds
    if services.polled_recently(query, now=now, interval=interval):
        return
    # Across every worker process: one poll of a query at a time.
    with (
        skipped_while_leased(f"poll of {query.text!r} skipped: the previous one is still running"),
        lease(f"poll-{query_id}", seconds=POLL_LEASE_SECONDS) as renew,
    ):
        run = services.fetch_query(query, after_page=renew)
        logger.info(
            "polled %r: %d pages, %d new, %d updated, %d units%s",
            query.text,
            run.pages,
            run.new_videos,
            run.updated_videos,
            run.units,
            f", error: {run.error}" if run.error else "",
        )


@db_periodic_task(crontab(minute="*"))
def check_videos() -> None:
    """A round of checks (feed/checks.py): removals, restorations, fresh counts and details."""
    with (
        skipped_while_leased("checks skipped: the previous round is still running"),
        lease("check-videos", seconds=CHECK_LEASE_SECONDS),
    ):
        done = services.check_videos()
        if done.calls or done.error:
            logger.info(
                "checked %d videos in %d calls: %d removed, %d back%s%s",
                done.checked,
                done.calls,
                done.removed,
                done.restored,
                ", more are due" if done.more_due else "",
                f", stopped: {done.error}" if done.error else "",
            )


@db_periodic_task(crontab(minute="*/5"))
def merge_search_index() -> None:
    # Harmless where two consumers run it at once: SQLite runs their steps one after another.
    if steps := search.merge_index(max_steps=MERGE_STEPS):
        segments = search.index_segments()
        logger.info(
            "full-text index: %d merge steps%s",
            steps,
            f", {segments} segments now" if segments is not None else "",
        )


@db_periodic_task(crontab(minute="*"))
def deliver_webhooks() -> None:
    """Deliver the change log to the webhook subscriptions (feed/webhooks.py)."""
    with skipped_while_leased("webhooks not delivered: the previous round is still running"):
        done = webhooks.deliver_leased(now=clock.now())
        if done.delivered or done.failed:
            logger.info(
                "webhooks: %d changes delivered, %d failed%s",
                done.delivered,
                done.failed,
                f", {done.disabled} subscriptions disabled" if done.disabled else "",
            )
