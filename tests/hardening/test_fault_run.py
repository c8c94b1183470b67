"""A long fault run: fetch_query polls a served simulator for hundreds of simulated polls (thousands
with LONG_FAULT_RUN=1) while it injects, at random but reproducibly, every error shape it knows,
slow answers, timeouts, malformed bodies and truncated pages, and the keys run out of quota
every day. Then the faults stop, the clock passes Pacific midnight, and the backlog must drain.

Checked: no exception escapes fetch_query; no video twice; every video the simulator published
is stored, with its publish time; each key's state is what the simulator told; no call on a spent
or rejected key; every error that reached the poll is in its FetchRun.
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections import Counter
from datetime import timedelta
from typing import Any

import httplib2
import pytest
from django.conf import settings as django_settings

from feed import keys, quota, services, youtube
from feed.models import ApiKeyState, FetchRun, SearchQuery, Video
from simulator import NO_LAG, Answer, ManualClock, Simulator, SimulatorConfig
from tests.fixtures.simulator import SIMULATOR_START

LONG = bool(os.environ.get("LONG_FAULT_RUN"))
POLLS = int(os.environ.get("FAULT_RUN_POLLS", "3000" if LONG else "250"))
SEED = int(os.environ.get("FAULT_RUN_SEED", "7"))
FAULT_RATE = 0.12
CLIENT_TIMEOUT = 0.2  # seconds; a "slow" answer is either under it or well over it

GOOD_KEYS = [f"fault-run-key-{name}-1234567890" for name in ("alpha", "bravo")]
INVALID_KEY = "invalid-fault-run-key-1234567890"  # the simulator rejects "invalid..." keys
DISABLED_KEY = "fault-run-key-no-api-1234567890"  # its project has the API disabled
ALL_KEYS = [INVALID_KEY, *GOOD_KEYS, DISABLED_KEY]

CONFIG = SimulatorConfig(
    seed=SEED,
    queries=("football",),
    rate_per_minute=1.0,
    burst_every_minutes=180,
    burst_size=60,
    history_hours=2,
    # Two keys cannot pay for ~260 polls a day: quota runs out every evening (Pacific).
    daily_quota=10_000,
    disabled_keys=frozenset({DISABLED_KEY}),
    fault_rate=FAULT_RATE,
    # A kind listed n times is drawn n times as often: a quota fault spends a key for the rest
    # of its day, so those are rarer than the transient ones, or no key would last till noon.
    fault_kinds=(
        *("backendError", "internalError", "tooManyRequests", "rateLimitExceeded") * 3,
        *("malformedJson", "truncatedPage", "connectionDrop") * 3,
        *("slow",) * 4,
        "dailyLimitExceeded",
        "quotaExceeded",
    ),
    slow_seconds=1.0,  # replaced per answer below
    # An instant world: the run checks that every published video is stored.
    index_lag=NO_LAG,
    removal_share=0,
)


# The client's retries without their backoff's wait (tests/fixtures/fetching.py).
pytestmark = pytest.mark.usefixtures("no_backoff_sleep")


@pytest.fixture
def short_timeouts(monkeypatch):
    """The client gives up after CLIENT_TIMEOUT, so a timeout costs a fraction of a second."""
    original = youtube._client

    def client(*, key: str, endpoint: str, timeout: float, http: Any) -> Any:
        transport = http if http is not None else httplib2.Http(timeout=CLIENT_TIMEOUT)
        return original(key=key, endpoint=endpoint, timeout=CLIENT_TIMEOUT, http=transport)

    monkeypatch.setattr(youtube, "_client", client)


class Recorder:
    """Every YouTubeError the boundary raised to services during the current poll."""

    def __init__(self, monkeypatch) -> None:
        self.errors: list[youtube.YouTubeError] = []
        for name in ("search_page", "fetch_details"):
            monkeypatch.setattr(youtube, name, self.wrap(getattr(youtube, name)))

    def wrap(self, function):
        def recorded(**kwargs):
            try:
                return function(**kwargs)
            except youtube.YouTubeError as e:
                self.errors.append(e)
                raise

        return recorded


def slow_answers(sim: Simulator, rng: random.Random) -> Counter[str]:
    """Each slow fault becomes a slow answer (under the timeout) or a timeout, by a seeded coin."""
    seen: Counter[str] = Counter()
    original = sim.handle

    def handle(target: str) -> Answer:
        answer = original(target)
        if answer.delay_seconds:
            timeout = rng.random() < 0.5
            seen["timeout" if timeout else "slowAnswer"] += 1
            delay = CLIENT_TIMEOUT * (2 if timeout else 0.25)
            answer = dataclasses.replace(answer, delay_seconds=delay)
        return answer

    sim.handle = handle
    return seen


def configure(settings, url: str, *, max_pages: int) -> None:
    settings.YOUTUBE_API_KEYS = ALL_KEYS
    settings.DEMO_MODE = False
    settings.YOUTUBE_API_ENDPOINT = url
    settings.YOUTUBE_DAILY_QUOTA = CONFIG.daily_quota
    settings.YOUTUBE_QUERIES = ["football"]
    settings.FETCH_MAX_PAGES = max_pages
    settings.FETCH_INITIAL_LOOKBACK_HOURS = CONFIG.history_hours
    settings.YOUTUBE_NUM_RETRIES = 2


def check_key_states(sim: Simulator, clock: ManualClock, calls_when_disabled: dict) -> None:
    """Ours and the simulator's view of every key agree (the simulator's is the truth), and a
    rejected key is never called again."""
    now = clock()
    day = quota.pacific_day(now)
    by_print = {s.fingerprint: s for s in keys.statuses(now=now)}
    for key in GOOD_KEYS:
        status = by_print[youtube.fingerprint(key)]
        expected = "exhausted" if sim.told_quota_exceeded(key, day=day) else "ok"
        assert status.state == expected, (key[-5:], status, now)
        if expected == "exhausted":
            assert status.exhausted_until == quota.next_reset(now)
    for key, reason in ((INVALID_KEY, "API_KEY_INVALID"), (DISABLED_KEY, "accessNotConfigured")):
        status = by_print[youtube.fingerprint(key)]
        # A random quota fault can come before the rejection: then the key waits for midnight.
        if status.state == "exhausted":
            assert sim.told_quota_exceeded(key, day=day)
        elif status.state == "disabled":
            assert status.reason == reason
            calls = calls_when_disabled.setdefault(key, sim.stats.calls_for(key))
            assert sim.stats.calls_for(key) == calls, "a call on a rejected key"
        # "ok": not called yet, or every call met a transient fault first.


def check_run_records_errors(run: FetchRun, errors: list[youtube.YouTubeError], now) -> int:
    """Every error services could not absorb (by rotating keys or restarting a walk) is in the
    run, with the first one's reason; a run says noUsableKey only when no key was usable."""
    absorbed = (youtube.QuotaExceeded, youtube.KeyRejected)
    surfaced = [e for e in errors if not isinstance(e, absorbed)]
    # A walk restarts once without its page token; a second refusal in one walk surfaces.
    surfaced = [
        e for e in surfaced if not isinstance(e, youtube.InvalidPageToken) or str(e) in run.error
    ]
    for error in surfaced:
        assert str(error) in run.error, (str(error), run.error)
    no_key = "no usable API key" in run.error
    if no_key:
        assert keys.usable(now=now, units=django_settings.YOUTUBE_SEARCH_COST) == []
    assert bool(run.error_reason) == bool(surfaced or no_key), (run.error_reason, run.error)
    if run.error_reason:
        assert run.error_reason in {e.reason for e in surfaced} | {"noUsableKey"}
    for key in ALL_KEYS:
        assert key not in run.error
    return len(surfaced)


def run_faults(settings, monkeypatch, *, polls: int, max_pages: int, seed: int) -> dict[str, Any]:
    clock = ManualClock(SIMULATOR_START)
    sim = Simulator(dataclasses.replace(CONFIG, seed=seed), clock=clock)
    rng = random.Random(f"{seed}:driver")
    slow = slow_answers(sim, random.Random(f"{seed}:slow"))
    recorder = Recorder(monkeypatch)
    figures: Counter[str] = Counter()
    calls_when_disabled: dict[str, int] = {}
    with sim.serve() as url:
        configure(settings, url, max_pages=max_pages)
        query = SearchQuery.objects.create(text="football")
        for n in range(polls):
            recorder.errors.clear()
            # Scripted on top of the random faults: the shapes a random fault does not draw.
            if not sim.pending_faults() and rng.random() < 0.03:
                sim.inject("invalidPageToken", method="search.list")
            elif not sim.pending_faults() and rng.random() < 0.01:
                sim.inject("dailyLimitExceeded")
            if n == polls // 2:
                # Once for sure, whatever the draws: what the polls call depends on the code.
                sim.inject("dailyLimitExceeded")
            run = services.fetch_query(query, clock=clock)
            figures["errors surfaced"] += check_run_records_errors(run, recorder.errors, clock())
            figures["runs with an error"] += bool(run.error_reason)
            figures["runs without a usable key"] += run.error_reason == "noUsableKey"
            figures["polls"] += 1
            check_key_states(sim, clock, calls_when_disabled)
            clock.advance(timedelta(seconds=rng.randint(60, 600)))

        # The faults stop and every key's quota resets: the backlog (gaps included) drains.
        faults = dict(sim.stats.faults)
        sim.clear_faults()  # a scripted fault no poll reached
        sim.config = dataclasses.replace(sim.config, fault_rate=0.0)
        clock.set(quota.next_reset(clock()) + timedelta(minutes=1))
        for drain in range(1, 101):  # noqa: B007 -- reported below
            recorder.errors.clear()
            run = services.fetch_query(query, clock=clock)
            query.refresh_from_db()
            assert run.error == "", run.error
            if not query.gaps:
                break
            clock.advance(timedelta(seconds=30))
        else:
            pytest.fail(f"the gaps never drained: {query.gaps}")
        figures["drain polls"] = drain
        check_key_states(sim, clock, calls_when_disabled)

    published = dict(sim.published("football", until=clock()))
    stored = dict(Video.objects.values_list("youtube_id", "published_at"))
    assert Video.objects.count() == len(stored) == len(set(stored))
    missing = set(published) - set(stored)
    assert not missing, f"{len(missing)} of {len(published)} published videos missing"
    assert set(stored) <= set(published), "a video the simulator never published"
    assert all(stored[i] == published[i] for i in published), "a publish time changed"
    assert set(Video.queries.through.objects.values_list("video__youtube_id", flat=True)) == set(
        stored
    )
    # No call on a key after the simulator said its quota was spent; both rejected keys were
    # rejected (check_key_states: and never called again).
    assert sim.stats.total_calls_after_quota_exceeded == 0
    assert set(calls_when_disabled) == {INVALID_KEY, DISABLED_KEY}
    assert FetchRun.objects.count() == polls + drain
    assert ApiKeyState.objects.filter(state="disabled").count() == 2

    figures.update(
        {
            "videos": len(stored),
            "simulated days": round((clock() - SIMULATOR_START) / timedelta(days=1), 1),
            "requests": sim.stats.total_calls,
            "faults injected": sum(faults.values()) + sum(slow.values()) - faults.get("slow", 0),
        }
    )
    return {"figures": dict(figures), "faults": {**faults, **slow}}


@pytest.mark.django_db
def test_it_loses_nothing_and_records_every_error_under_random_faults(
    settings, monkeypatch, short_timeouts, capsys
):
    result = run_faults(settings, monkeypatch, polls=POLLS, max_pages=4, seed=SEED)
    with capsys.disabled():
        print(f"\nfault run (seed {SEED}): {result['figures']}\nfaults: {result['faults']}")
    faults = result["faults"]
    # Every error shape of shared/youtube that a random fault can produce was produced.
    expected = {"backendError", "internalError", "tooManyRequests", "rateLimitExceeded"}
    expected |= {"malformedJson", "truncatedPage", "connectionDrop", "quotaExceeded"}
    expected |= {"dailyLimitExceeded", "timeout", "slowAnswer", "invalidPageToken"}
    assert expected <= set(faults), expected - set(faults)
    assert result["figures"]["runs without a usable key"] > 0, "no key ever ran out of quota"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "simulator_config",
    [
        SimulatorConfig(
            seed=3,
            queries=("football",),
            history_hours=3,
            burst_every_minutes=0,
            # An instant world: every published video must be stored.
            index_lag=NO_LAG,
            removal_share=0,
        )
    ],
)
def test_it_keeps_what_lies_past_youtubes_walk_limit_as_a_gap(settings, simulator, simulator_url):
    # 3 h at 6 a minute: ~1080 videos in one window, more than one walk can list (about 500).
    configure(settings, simulator_url, max_pages=30)
    settings.YOUTUBE_API_KEYS = GOOD_KEYS
    settings.YOUTUBE_DAILY_QUOTA = 10**6
    settings.FETCH_INITIAL_LOOKBACK_HOURS = 3
    query = SearchQuery.objects.create(text="football")
    first = services.fetch_query(query, clock=simulator.now)
    published = {video_id for video_id, _ in simulator.published("football")}
    assert len(published) > 1000
    stored = set(Video.objects.values_list("youtube_id", flat=True))
    # One poll with pages to spare: the cut-off walk's rest is walked at once, as a gap, and no
    # page is spent walking the top of the window twice.
    assert published == stored, f"{len(published - stored)} of {len(published)} missing"
    assert first.pages <= len(published) // 50 + 3
    assert services.fetch_query(query, clock=simulator.now).new_videos == 0
