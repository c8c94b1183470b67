"""The fetch_videos command: what it says, and its exit status."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from feed import keys
from feed.youtube import fingerprint
from tests.fixtures.fetching import KEY_A, football


def test_it_reports_what_it_did(fetching, simulator):
    out = io.StringIO()
    call_command("fetch_videos", stdout=out)
    text = out.getvalue()
    assert "'football':" in text and "new" in text and fingerprint(KEY_A) in text
    assert "re-walks catch videos that YouTube's search shows up to" in text
    assert KEY_A not in text


def test_it_fails_with_status_1_when_no_key_can_be_used(fetching, simulator):
    simulator.inject("keyInvalid", key=KEY_A)
    out = io.StringIO()
    with pytest.raises(CommandError, match="fix the configuration") as failure:
        call_command("fetch_videos", stdout=out)
    assert failure.value.returncode == 1
    assert "API key" in out.getvalue()


def test_it_fails_with_status_1_when_no_key_is_configured(fetching, simulator):
    fetching.YOUTUBE_API_KEYS = []
    with pytest.raises(CommandError, match="fix the configuration") as failure:
        call_command("fetch_videos", stdout=io.StringIO())
    assert failure.value.returncode == 1


def test_a_spent_quota_is_not_a_configuration_problem(fetching, simulator):
    simulator.inject("quotaExceeded", key=KEY_A)
    with pytest.raises(CommandError) as failure:
        call_command("fetch_videos", stdout=io.StringIO())
    # 16:00 UTC on 28 Nov is 08:00 PT: the quota resets at midnight PT, 16 h later.
    assert failure.value.returncode == 3
    assert str(failure.value) == (
        "nothing could be fetched: today's quota is spent; it resets at 00:00 PT (in 16 h), "
        "or add a key"
    )


def test_a_key_without_units_left_for_a_poll_is_a_spent_quota_too(fetching, simulator):
    keys.charge(KEY_A, units=8_950, now=simulator.now())  # 1,000 more are the checks' share
    with pytest.raises(CommandError, match="today's quota is spent") as failure:
        call_command("fetch_videos", stdout=io.StringIO())
    assert failure.value.returncode == 3
    assert simulator.stats.total_calls == 0  # the ledger said so: YouTube was not asked


def test_it_names_an_unknown_query(fetching):
    with pytest.raises(CommandError, match="unknown query 'tennis'"):
        call_command("fetch_videos", query="tennis")


def test_it_polls_one_query_when_asked(fetching, simulator):
    fetching.YOUTUBE_QUERIES = ["football", "cricket"]
    out = io.StringIO()
    call_command("fetch_videos", query="football", stdout=out)
    assert "'football':" in out.getvalue() and "'cricket':" not in out.getvalue()
    assert football().runs.count() == 1
