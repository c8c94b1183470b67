"""Exact once on PostgreSQL: two writers on two real connections, the one that allocates the
lower change id committing later, and a client following /changes in between never skips it."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from feed import store
from feed.models import Change
from tests.feed.test_changes_day import Follower
from tests.fixtures.clock import NOW
from tests.fixtures.videos import FakeSnippet

WAIT = 30  # seconds: a bound for a hung test, never a measurement


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def in_a_thread(target, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except Exception as e:  # reported by the test, not lost in the thread
            errors.append(e)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_follower_never_skips_a_change_committed_after_a_later_numbered_one(
    transactional_db, client
):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's IMMEDIATE transactions already take turns")
    victim = FakeSnippet(youtube_id="victimvideo")
    store.upsert_videos([victim], now=NOW)
    follower = Follower(client)
    follower.follow()
    holding, may_commit = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def first_writer() -> None:
        # Stores a video (its change gets the next id), then keeps its transaction open.
        with transaction.atomic():
            store.upsert_videos([FakeSnippet(youtube_id="firstalloc1")], now=NOW)
            holding.set()
            assert may_commit.wait(WAIT)

    def second_writer() -> None:
        # A removal found by a check: a later id, and ready to commit first.
        store.record_details({}, asked=[victim.youtube_id], now=NOW)

    first = in_a_thread(first_writer, errors)
    assert holding.wait(WAIT)
    second = in_a_thread(second_writer, errors)
    deadline = time.monotonic() + WAIT
    # Until the second writer has committed, or waits for a lock: then the reader reads.
    while second.is_alive() and not waiting_for_a_lock():
        assert time.monotonic() < deadline, "the second writer neither finished nor waited"
        time.sleep(0.01)
    follower.follow()
    may_commit.set()
    first.join(WAIT)
    second.join(WAIT)
    assert not errors, errors
    follower.follow()
    assert follower.seen == Counter({"victimvideo": 2, "firstalloc1": 1})
    assert list(Change.objects.values_list("video__youtube_id", "kind")) == [
        ("victimvideo", "stored"),
        ("firstalloc1", "stored"),
        ("victimvideo", "removed"),
    ]
