"""Re-checking stored videos: the schedule, the share of the quota, and what a check changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feed import checks, keys, quota, services, store
from feed.models import QuotaUsage, Video
from feed.youtube import fingerprint
from tests.fixtures.clock import NOW
from tests.fixtures.fetching import KEY_A, poll, published_ids
from tests.fixtures.videos import FakeSnippet

MIN = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("age", "wait"),
    [
        (timedelta(0), 10 * MIN),
        (20 * MIN, 10 * MIN),
        (2 * H, 30 * MIN),
        (20 * H, 5 * H),
        (36 * H, 6 * H),  # young: every 6 h at most, so a removal shows within 6 h
        (timedelta(days=3), 18 * H),
        (timedelta(days=365), timedelta(days=7)),
    ],
)
def test_it_checks_young_videos_more_often_than_old_ones(age, wait):
    assert checks.interval(age) == wait


def test_the_checks_share_fills_evenly_over_the_quota_day():
    start = quota.day_start(NOW)
    end = quota.next_reset(NOW)

    def calls(at, spent: int, budget: int = 1_000) -> int:
        return checks.calls_this_round(
            budget=budget, spent=spent, cost=1, day_start=start, day_end=end, now=at
        )

    half = start + (end - start) / 2
    assert calls(half, spent=0) == checks.CALLS_PER_ROUND  # unspent units wait for a busy hour
    assert calls(half, spent=500) == 0  # on the line: wait for the next round's share
    assert calls(half, spent=480) == 20  # what has filled up and is not spent yet
    assert calls(end, spent=1_000) == 0  # never over the day's share
    assert calls(start, spent=0, budget=10**9) == checks.CALLS_PER_ROUND


def test_a_round_tombstones_what_youtube_left_out_and_restores_what_it_lists(fetching, simulator):
    poll(simulator)
    real = sorted(published_ids(simulator))[:3]
    store.upsert_videos([FakeSnippet(youtube_id="gone-from-youtube", published_at=NOW)])
    Video.objects.filter(youtube_id=real[0]).update(removed_at=NOW - H)
    Video.objects.update(check_due_at=NOW)

    done = services.check_videos()

    assert done.removed == 1 and done.restored == 1 and done.error == ""
    assert done.checked == Video.objects.count()
    gone = Video.objects.get(youtube_id="gone-from-youtube")
    assert gone.removed_at == NOW and gone.check_due_at == NOW + 10 * MIN
    assert Video.objects.get(youtube_id=real[0]).removed_at is None
    assert not Video.listed().filter(youtube_id="gone-from-youtube").exists()
    usage = QuotaUsage.objects.get(fingerprint=fingerprint(KEY_A))
    assert usage.check_units == done.calls  # charged to the checks' share


def test_details_a_poll_could_not_fetch_arrive_with_a_later_check(fetching, simulator):
    # The first details call fails for good: a 503 on every try (YOUTUBE_NUM_RETRIES is 2).
    simulator.inject("backendError", method="videos.list", times=3)
    run = poll(simulator)
    missing = Video.objects.filter(duration_seconds=None, view_count=None).count()
    assert run.new_videos > missing > 0 and "details not fetched" in run.error
    done = services.check_videos()  # YouTube has recovered
    assert done.checked == missing and done.error == ""  # the others are not due yet
    assert not Video.objects.filter(duration_seconds=None).exists()


def test_views_are_refreshed_as_videos_age(fetching, simulator, simulator_clock):
    poll(simulator)
    video = Video.objects.order_by("published_at").first()
    first_views = video.view_count
    simulator_clock.advance(6 * H)
    services.check_videos()
    video.refresh_from_db()
    assert video.view_count > first_views
    assert video.checked_at == simulator.now()


def test_checks_never_spend_more_than_their_share_and_polls_never_touch_it(
    fetching, simulator, simulator_clock
):
    fetching.YOUTUBE_CHECK_PERCENT = 1  # 100 units a day
    poll(simulator)
    for _ in range(300):
        Video.objects.update(check_due_at=simulator.now())
        services.check_videos()
        simulator_clock.advance(10 * MIN)
        if quota.pacific_day(simulator.now()) != quota.pacific_day(NOW):
            break
    usage = QuotaUsage.objects.get(fingerprint=fingerprint(KEY_A), day=quota.pacific_day(NOW))
    assert 90 <= usage.check_units <= 100  # the day's share, spent, never exceeded
    # Polls may spend everything but what the checks have left.
    status = keys.statuses(now=NOW)[0]
    left = 10_000 - usage.units - (100 - usage.check_units)
    assert status.can_pay(left) and not status.can_pay(left + 1)
