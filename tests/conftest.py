from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.fixtures.videos import T0, FakeSnippet

pytest_plugins = [
    "tests.fixtures.clock",
    "tests.fixtures.fetching",
    "tests.fixtures.queue",
    "tests.fixtures.simulator",
]

# The suite sends hundreds of requests from one address: per-client limits are off, in this
# process and in the servers tests start, unless a test turns them on (tests/dashboard/
# test_limits.py, tests/deploy/test_safe_in_public.py).
os.environ.setdefault("RATE_LIMITS", "0")


# What `make test-fast` leaves out (`-m "not slow"`): whole folders and the files that start
# processes or run a simulated day. `make test` and CI run everything.
SLOW = (
    "tests/browser/",
    "tests/deploy/",
    "tests/hardening/test_kill.py",
    "tests/hardening/test_fault_run.py",
    "tests/hardening/test_read_while_write.py",
    "tests/feed/test_worker.py",
    "tests/feed/test_late_videos.py",
    "tests/feed/test_checks.py::test_checks_never_spend_more_than_their_share",
)


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def no_rate_limits(settings) -> None:
    settings.RATELIMIT_ENABLE = False


@pytest.fixture(autouse=True)
def webhook_dev_key(settings, tmp_path_factory) -> None:
    # Without SECRET_KEY, webhook secrets come from a key file made once: the suite's own.
    settings.WEBHOOK_DEV_KEY_FILE = tmp_path_factory.getbasetemp() / "webhook-dev-key"


@pytest.fixture(autouse=True)
def no_status_cache(settings) -> None:
    # Tests read the status page's figures fresh after changing the data; the cache's own tests
    # (tests/dashboard/test_status.py) turn it on, on a cleared cache, and move the clock.
    settings.STATUS_CACHE_SECONDS = 0


@pytest.fixture
def add_videos(db) -> Callable[..., list[FakeSnippet]]:
    """add_videos(n, **fields) or add_videos(snippet, ...): store videos, return the snippets.

    Given a count, the videos are published one second apart, newest last.
    """
    from feed import store
    from feed.models import SearchQuery

    def add(*snippets: FakeSnippet | int, query: str | None = None, **fields) -> list[FakeSnippet]:
        if len(snippets) == 1 and isinstance(snippets[0], int):
            start = fields.pop("published_at", T0)
            snippets = tuple(
                FakeSnippet(published_at=start + timedelta(seconds=i), **fields)
                for i in range(snippets[0])
            )
        search_query = SearchQuery.objects.get_or_create(text=query)[0] if query else None
        store.upsert_videos(snippets, query=search_query)
        return list(snippets)

    return add
