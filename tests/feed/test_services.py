from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import OperationalError

from feed import keys, quota, services, store
from feed.models import FetchRun, QuotaUsage, Video
from feed.youtube import fingerprint
from tests.fixtures.fetching import KEY_A, football, poll, published_ids, stored_ids


def test_it_fetches_every_published_video_and_records_the_run(fetching, simulator):
    run = poll(simulator)
    assert run.error == ""
    assert stored_ids() == published_ids(simulator)
    assert run.new_videos == len(published_ids(simulator)) > 300
    assert run.pages == -(-run.new_videos // 50)  # whole pages of 50, walked to the end
    details_calls = -(-run.new_videos // 50)
    assert run.units == run.pages * 100 + details_calls * 1
    assert run.key_fingerprints == fingerprint(KEY_A)
    assert Video.objects.exclude(duration_seconds=None).count() == run.new_videos
    assert QuotaUsage.objects.get(fingerprint=fingerprint(KEY_A)).units == run.units


def test_it_reports_each_stored_page_to_the_caller(fetching, simulator):
    # The worker renews its lease on the query there: a long walk keeps it.
    pages: list[int] = []
    run = poll(simulator, after_page=lambda: pages.append(len(stored_ids())))
    assert len(pages) == run.pages > 1
    assert pages == sorted(pages) and pages[-1] == run.new_videos  # called once a page is stored


def test_it_stores_titles_unescaped_once(fetching, simulator):
    poll(simulator)
    titles = list(Video.objects.values_list("title", flat=True))
    assert not any("&amp;" in t or "&#39;" in t or "&quot;" in t for t in titles)


def test_it_is_idempotent_when_nothing_is_new(fetching, simulator):
    poll(simulator)
    count = Video.objects.count()
    again = poll(simulator)
    assert (again.new_videos, again.pages) == (0, 1)
    assert Video.objects.count() == count


def test_it_captures_a_burst_larger_than_a_page(fetching, simulator, simulator_clock):
    poll(simulator)
    before = stored_ids()
    simulator_clock.advance(timedelta(minutes=61))  # past the next burst of 60 in 5 s
    arrived = published_ids(simulator) - before
    assert len(arrived) > 50 + 6 * 60  # the burst and an hour of steady arrivals
    run = poll(simulator)
    assert run.pages >= 2
    assert stored_ids() == published_ids(simulator)


def test_it_leaves_a_gap_at_the_page_cap_and_fills_it_later(fetching, simulator):
    fetching.FETCH_MAX_PAGES = 3
    first = poll(simulator)
    assert first.pages == 3 and first.new_videos == 150
    assert len(football().gaps) == 1
    polls = 1
    while football().gaps and polls < 10:
        poll(simulator)
        polls += 1
    assert football().gaps == []
    assert stored_ids() == published_ids(simulator)


def test_it_loses_nothing_when_a_walk_breaks_after_page_two(fetching, simulator):
    fetching.YOUTUBE_NUM_RETRIES = 0
    # Pages 1 and 2 succeed (with their details calls), then every search fails.
    original = simulator.handle
    searches = []

    def failing_after_two(target: str):
        if "/search" in target:
            searches.append(target)
            if len(searches) > 2:
                simulator.inject("backendError", method="search.list")
        return original(target)

    simulator.handle = failing_after_two
    broken = poll(simulator)
    assert broken.pages == 2
    assert broken.error_reason == "backendError"
    assert len(stored_ids()) == 100
    simulator.handle = original
    healed = poll(simulator)
    assert healed.error == ""
    assert stored_ids() == published_ids(simulator)
    assert Video.objects.count() == len(published_ids(simulator))  # nothing twice


def test_it_plans_polls_to_keep_the_quota_all_day(fetching, simulator):
    plan = services.pacing(now=datetime(2026, 11, 28, 8, 0, tzinfo=quota.PACIFIC))
    # One key, 16 h to the Pacific midnight: about every 10 min, not every 10 s.
    assert 500 < plan.interval_seconds < 700
    # 101 units a poll, out of the 9,000 of a key's 10,000 that checks leave to polls.
    assert "a 10 s interval needs 98 keys" in plan.sentence
    due = services.due_polls(now=simulator.now())
    assert [(q.text, d) for q, d in due] == [("football", 0)]
    poll(simulator)
    assert services.due_polls(now=simulator.now()) == []


def test_it_fans_out_polls_over_the_minute_when_quota_allows(fetching, simulator):
    fetching.YOUTUBE_DAILY_QUOTA = 10_000_000
    due = services.due_polls(now=simulator.now())
    assert [d for _, d in due] == [0, 10, 20, 30, 40, 50]


def test_it_paces_by_what_polls_really_cost(fetching, simulator):
    now = simulator.now()
    assert services.poll_cost(now=now) == 101  # nothing polled yet: one page and one details call
    for units in (101, 201, 302):
        FetchRun.objects.create(query=football(), started_at=now, units=units)
    FetchRun.objects.create(query=football(), started_at=now - timedelta(days=2), units=5_000)
    assert services.poll_cost(now=now) == 202  # the last day's mean, rounded up
    assert (
        services.pacing(now=now).interval_seconds
        > services.pacing(now=now - timedelta(days=3)).interval_seconds
    )


FULL_DISK = OperationalError("database or disk is full")


def full_disk(*args, **kwargs):
    raise FULL_DISK


def test_it_records_a_poll_cut_by_a_full_disk_and_its_videos_get_details_later(
    fetching, simulator, monkeypatch
):
    # The first page's videos are stored, then writing their details fails as on a full disk.
    real_record = store.record_details
    monkeypatch.setattr(store, "record_details", full_disk)
    with pytest.raises(OperationalError):
        poll(simulator)
    run = FetchRun.objects.get()
    assert run.finished_at == simulator.now()
    assert run.error_reason == "databaseError"
    assert "database or disk is full" in run.error
    assert (run.pages, run.new_videos, run.units) == (1, 50, 100 + 1)
    assert run.key_fingerprints == fingerprint(KEY_A)
    assert QuotaUsage.objects.get(fingerprint=fingerprint(KEY_A)).units == run.units
    assert football().last_polled_at == simulator.now()
    stored = Video.objects.filter(queries__text="football")
    assert stored.count() == 50 and not stored.exclude(duration_seconds=None).exists()

    monkeypatch.setattr(store, "record_details", real_record)
    done = services.check_videos()  # the disk has room again: the next round of checks
    assert done.checked == 50 and done.error == ""
    assert not stored.filter(duration_seconds=None).exists()
    assert poll(simulator).error == ""  # and the next poll walks on where it stopped
    assert stored_ids() == published_ids(simulator)


def test_a_call_whose_ledger_write_failed_is_still_counted_in_its_run(
    fetching, simulator, monkeypatch
):
    real_charge = keys.charge
    charges = []

    def charge_then_full_disk(*args, **kwargs):
        charges.append(kwargs["units"])
        if len(charges) == 2:  # the first details call
            raise FULL_DISK
        real_charge(*args, **kwargs)

    monkeypatch.setattr(keys, "charge", charge_then_full_disk)
    with pytest.raises(OperationalError):
        poll(simulator)
    run = FetchRun.objects.get()
    assert run.units == 101 and "database or disk is full" in run.error
    assert QuotaUsage.objects.get(fingerprint=fingerprint(KEY_A)).units == 100


def test_it_logs_what_a_failed_poll_spent_when_even_its_record_cannot_be_written(
    fetching, simulator, monkeypatch, caplog
):
    real_save = FetchRun.save

    def save_until_finished(run, *args, **kwargs):
        if run.finished_at is not None:
            raise FULL_DISK
        real_save(run, *args, **kwargs)

    monkeypatch.setattr(store, "record_details", full_disk)
    monkeypatch.setattr(FetchRun, "save", save_until_finished)
    with pytest.raises(OperationalError):
        poll(simulator)
    (line,) = [r.getMessage() for r in caplog.records if "could not be recorded" in r.getMessage()]
    assert "'football' failed" in line
    assert f"1 pages, 101 units on {fingerprint(KEY_A)}" in line
