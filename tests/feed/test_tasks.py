"""The scheduler and the leases: each poll scheduled once, however many consumers tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from huey.exceptions import TaskLockedException

from feed import leases, search, tasks
from feed.models import SearchQuery
from tests.fixtures.clock import NOW
from tests.fixtures.videos import FakeSnippet

T0 = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
# Every statement of a poll task of two search pages and a details call: the query, the run, the
# key ledger before each call, each page's upsert (and the change log of the page with new
# videos), the details in their own transaction, the query's coverage. PostgreSQL locks the
# sort keys twice and the change log once.
POLL_STATEMENTS = {"sqlite": 41, "postgresql": 44}


pytestmark = pytest.mark.usefixtures("memory_huey")  # tests/fixtures/queue.py


class PollSchedule:
    """Stands in for poll.schedule: records (query id, when) instead of queueing a poll."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, float]] = []

    def schedule(self, args: tuple[int], *, delay: float) -> None:
        self.calls.append((args[0], delay))

    @classmethod
    def of(cls, calls: list[tuple[int, float]]) -> PollSchedule:
        recorder = cls()
        recorder.calls = list(calls)
        return recorder


@pytest.fixture
def polls(monkeypatch, clock) -> PollSchedule:
    recorder = PollSchedule()
    monkeypatch.setattr(tasks, "poll", recorder)
    clock.set(T0)
    return recorder


def scheduled(polls: PollSchedule, *, now: datetime = T0) -> list[tuple[int, timedelta]]:
    """(query id, when after T0) of every poll scheduled, in time order."""
    return sorted((query, now - T0 + timedelta(seconds=delay)) for query, delay in polls.calls)


@pytest.fixture
def queries(db, settings, polls):
    settings.YOUTUBE_QUERIES = ["football", "cricket"]
    settings.FETCH_INTERVAL_SECONDS = 10
    settings.YOUTUBE_DAILY_QUOTA = 10**9  # pacing never slows the 10 s interval here


def test_it_schedules_a_minute_of_polls_per_query(queries, polls):
    assert tasks.schedule_due_polls(now=T0) == 12
    assert {when for _, when in scheduled(polls)} == {
        timedelta(seconds=s) for s in range(0, 60, 10)
    }


def test_a_second_scheduler_in_the_same_minute_schedules_nothing(queries, polls):
    tasks.schedule_due_polls(now=T0)
    assert tasks.schedule_due_polls(now=T0 + timedelta(seconds=1)) == 0
    assert len(polls.calls) == 12


def test_a_later_tick_starts_where_the_last_one_stopped(queries, polls):
    tasks.schedule_due_polls(now=T0)
    first = list(polls.calls)
    # Another consumer's minute turns 30 s later: it adds only what lies past the first horizon.
    SearchQuery.objects.update(last_polled_at=T0 + timedelta(seconds=20))
    later = T0 + timedelta(seconds=30)
    polls.calls.clear()
    tasks.schedule_due_polls(now=later)
    football = SearchQuery.objects.get(text="football").pk
    times = sorted(
        [when for query, when in scheduled(PollSchedule.of(first)) if query == football]
        + [when for query, when in scheduled(polls, now=later) if query == football]
    )
    assert times == [timedelta(seconds=s) for s in range(0, 90, 10)]


def test_the_periodic_task_skips_while_another_consumer_schedules(queries, polls):
    with leases.lease("schedule-polls", seconds=60):
        tasks.schedule_polls.call_local()
    assert polls.calls == []
    tasks.schedule_polls.call_local()
    assert len(polls.calls) == 12


def test_a_lease_is_held_until_released(memory_huey):
    with (
        leases.lease("poll-1", seconds=60),
        pytest.raises(TaskLockedException),
        leases.lease("poll-1", seconds=60),
    ):
        pass
    with leases.lease("poll-1", seconds=60):
        pass  # released: free again


def test_a_lease_of_a_dead_holder_is_taken_over_after_it_expires(memory_huey):
    # A consumer killed mid-poll never releases: its lease must not block the query forever.
    memory_huey.put_if_empty(f"{memory_huey.name}.lease.poll-1", (NOW.timestamp() - 1, "dead"))
    with leases.lease("poll-1", seconds=60):
        pass


def test_an_expired_holder_does_not_release_the_lease_of_the_one_that_took_over(memory_huey):
    key = f"{memory_huey.name}.lease.poll-1"
    with leases.lease("poll-1", seconds=60):
        memory_huey.delete(key)
        memory_huey.put_if_empty(key, (NOW.timestamp() + 60, "successor"))
    assert memory_huey.get(key, peek=True)[1] == "successor"


def test_a_lease_lasts_from_its_last_renewal(memory_huey, clock):
    with leases.lease("poll-1", seconds=60) as renew:
        clock.advance(timedelta(seconds=50))
        renew()
        # 100 s after it was taken, 50 s after the renewal: still held
        clock.advance(timedelta(seconds=50))
        with pytest.raises(TaskLockedException), leases.lease("poll-1", seconds=60):
            pass
        # 70 s after the renewal: a stalled holder's lease is taken over
        clock.advance(timedelta(seconds=20))
        with leases.lease("poll-1", seconds=60):
            pass


def test_a_poll_is_skipped_while_another_worker_polls_the_query(db):
    query = SearchQuery.objects.create(text="football")
    with leases.lease(f"poll-{query.pk}", seconds=60):
        tasks.poll.call_local(query.pk)
    assert not query.runs.exists()


@pytest.mark.django_db(transaction=True)
def test_it_merges_the_search_index_every_five_minutes(add_videos):
    assert tasks.merge_search_index.task_class().validate_datetime(datetime(2026, 11, 28, 16, 5))
    assert not tasks.merge_search_index.task_class().validate_datetime(
        datetime(2026, 11, 28, 16, 7)
    )
    # Five commits: several segments on SQLite, a pending list on PostgreSQL.
    for n in range(5):
        add_videos(FakeSnippet(youtube_id=f"v{n}", title=f"video number {n}"))
    tasks.merge_search_index()  # immediate mode: runs here
    assert search.merge_index(max_steps=1000) == 0  # the task left nothing to fold in
    assert search.index_segments() == (1 if connection.vendor == "sqlite" else None)


def test_the_check_task_runs_a_round_and_skips_while_another_runs(fetching, simulator, caplog):
    from feed.models import Video
    from tests.fixtures.fetching import poll

    poll(simulator)
    Video.objects.update(check_due_at=simulator.now(), checked_at=None)
    with leases.lease("check-videos", seconds=60):
        tasks.check_videos.call_local()
    assert not Video.objects.exclude(checked_at=None).exists()
    tasks.check_videos.call_local()
    assert Video.objects.filter(checked_at=simulator.now()).exists()
    assert "checks skipped: the previous round is still running" in caplog.text
    assert "checked " in caplog.text


def test_a_scheduled_poll_paces_nothing_again_and_its_statements_are_pinned(
    fetching, simulator, simulator_clock, django_assert_num_queries
):
    """A poll scheduled with its interval does not pace again; the count pins every statement
    of a small poll, so one more is a decision, not an accident."""
    from feed.models import FetchRun
    from tests.fixtures.fetching import football, poll

    fetching.FETCH_REWALKS = ""  # no re-walk page
    poll(simulator)
    simulator_clock.advance(timedelta(minutes=6))  # past half the interval: due again
    with django_assert_num_queries(POLL_STATEMENTS[connection.vendor]):
        tasks.poll.call_local(football().pk, 600.0)
    run = FetchRun.objects.latest("started_at")
    assert run.pages == 2 and run.new_videos > 0  # the new videos, and the first poll's gap
