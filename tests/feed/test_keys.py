"""The key state machine: which key a poll calls, what each YouTube answer does to a key's
state, when a key comes back, and the daily ledger no call may overrun."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import serializers

from feed import keys, quota, services
from feed.models import ApiKeyState, FetchRun, QuotaUsage, SearchQuery
from feed.youtube import fingerprint
from tests.fixtures.clock import NOW
from tests.fixtures.fetching import KEY_A, KEY_B, poll, published_ids, stored_ids


def test_it_rotates_to_the_next_key_mid_poll(fetching, simulator):
    fetching.YOUTUBE_API_KEYS = [KEY_A, KEY_B]
    simulator.inject("quotaExceeded", key=KEY_A, times=100)
    run = poll(simulator)
    assert run.error == ""
    assert stored_ids() == published_ids(simulator)
    assert run.key_fingerprints == fingerprint(KEY_B)
    state = ApiKeyState.objects.get(fingerprint=fingerprint(KEY_A))
    assert state.state == "exhausted"
    assert state.exhausted_until == quota.next_reset(simulator.now())
    assert simulator.stats.calls_for(KEY_A) == 1  # no call on a spent key


@pytest.mark.parametrize(
    ("fault", "state", "reason"),
    [
        ("quotaExceeded", "exhausted", "quotaExceeded"),
        ("dailyLimitExceeded", "exhausted", "dailyLimitExceeded"),
        ("keyInvalid", "disabled", "API_KEY_INVALID"),
        ("keyInvalidOld", "disabled", "keyInvalid"),
        ("accessNotConfigured", "disabled", "accessNotConfigured"),
    ],
)
def test_it_puts_each_key_error_in_the_right_state(fetching, simulator, fault, state, reason):
    simulator.inject(fault, key=KEY_A, times=1)
    run = poll(simulator)
    assert run.error_reason == "noUsableKey"
    row = ApiKeyState.objects.get(fingerprint=fingerprint(KEY_A))
    assert (row.state, row.reason) == (state, reason)
    assert keys.usable(now=simulator.now()) == []
    calls = simulator.stats.total_calls
    poll(simulator)
    assert simulator.stats.total_calls == calls  # no call on a spent or disabled key


@pytest.mark.parametrize("fault", ["backendError", "rateLimitExceeded", "tooManyRequests"])
def test_it_retries_transient_errors_without_spending_the_key(fetching, simulator, fault):
    simulator.inject(fault, times=1)
    run = poll(simulator)
    assert run.error == ""
    assert stored_ids() == published_ids(simulator)
    assert not ApiKeyState.objects.exists()


def test_it_restarts_the_walk_on_an_invalid_page_token(fetching, simulator):
    original = simulator.handle

    def forget_tokens_once(target: str):
        if "pageToken=" in target and not forgot:
            forgot.append(target)
            simulator.inject("invalidPageToken", method="search.list")
        return original(target)

    forgot: list[str] = []
    simulator.handle = forget_tokens_once
    run = poll(simulator)
    assert forgot and run.error == ""
    assert stored_ids() == published_ids(simulator)


def test_it_recovers_an_exhausted_key_after_pacific_midnight(fetching, simulator, simulator_clock):
    simulator.inject("quotaExceeded", key=KEY_A)
    poll(simulator)
    simulator_clock.set(quota.next_reset(simulator.now()) + timedelta(seconds=1))
    assert keys.usable(now=simulator.now()) == [KEY_A]
    assert poll(simulator).error == ""


def test_it_reenables_a_disabled_key_when_the_key_set_changes(fetching, simulator):
    simulator.inject("keyInvalid", key=KEY_A)
    poll(simulator)
    assert keys.usable(now=simulator.now()) == []
    fetching.YOUTUBE_API_KEYS = [KEY_A, KEY_B]
    assert keys.usable(now=simulator.now()) == [KEY_A, KEY_B]


def test_it_never_writes_a_key_into_logs_or_the_database(fetching, simulator, caplog):
    fetching.YOUTUBE_API_KEYS = [KEY_A, KEY_B]
    fetching.YOUTUBE_NUM_RETRIES = 1
    caplog.set_level("DEBUG")
    for fault in ("backendError", "rateLimitExceeded", "malformedJson", "quotaExceeded"):
        simulator.inject(fault, key=KEY_A)
    simulator.inject("keyInvalid", key=KEY_B)
    runs = [poll(simulator) for _ in range(4)]  # a transient error ends a poll: poll again
    assert {r.error_reason for r in runs} >= {"rateLimitExceeded", "noUsableKey"}
    dump = serializers.serialize(
        "json",
        [
            *ApiKeyState.objects.all(),
            *FetchRun.objects.all(),
            *QuotaUsage.objects.all(),
            *SearchQuery.objects.all(),
        ],
    )
    assert ApiKeyState.objects.count() == 2
    for key in (KEY_A, KEY_B):
        assert key not in caplog.text
        assert key not in dump


def test_it_never_takes_a_key_past_its_budget(fetching, simulator):
    fetching.YOUTUBE_CHECK_PERCENT = 0
    keys.charge(KEY_A, units=9_950, now=simulator.now())
    run = poll(simulator)
    assert run.error_reason == "noUsableKey"
    assert "has 50 units left today, a call needs 100" in run.error
    assert simulator.stats.total_calls == 0
    assert keys.usable(now=simulator.now(), units=1) == [KEY_A]


@pytest.mark.django_db
def test_a_key_state_reads_the_same_on_status_and_in_the_poll_message(settings):
    spent, rejected = "key-spent-0000000000000000000000", "key-rejected-000000000000000000000"
    settings.YOUTUBE_API_KEYS = [spent, rejected]
    keys.mark_exhausted(spent, now=NOW, reason="quotaExceeded", message="spent")
    keys.disable(rejected, now=NOW, reason="API_KEY_INVALID", message="API key not valid.")
    words = {s.fingerprint: s.words for s in keys.statuses(now=NOW + timedelta(minutes=1))}
    assert words[fingerprint(spent)] == "exhausted until 00:00 PT"
    assert words[fingerprint(rejected)] == "disabled: the API key was rejected as invalid"
    message = services.no_key_message(now=NOW + timedelta(minutes=1), cost=100)
    for fp, said in words.items():
        assert f"{fp} is {said}" in message
