"""When search.list shows a video: the index lag, through the real client and the oracles."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from simulator import DEFAULT_INDEX_LAG, NO_LAG, ManualClock, Simulator, SimulatorConfig
from tests.fixtures.simulator import (
    SIMULATOR_START,
    ids,
    newest_first,
    rfc3339,
    search,
    walk,
    with_config,
)

ONE_SECOND = timedelta(seconds=1)
realistic = with_config(index_lag=DEFAULT_INDEX_LAG)


def around(moment: datetime) -> dict[str, str]:
    """A search window of the second `moment` falls in: a walk of a few videos."""
    return {"publishedAfter": rfc3339(moment), "publishedBefore": rfc3339(moment)}


def late_video(simulator: Simulator, *, at_least: timedelta) -> tuple[str, datetime]:
    """A video out by now that search will show only `at_least` from now or later."""
    now = simulator.now()
    return next(
        (video_id, published)
        for video_id, published in reversed(simulator.published("football"))
        if simulator.searchable_at(video_id) >= now + at_least
    )


@realistic
def test_it_hides_a_video_from_search_until_its_lag_passes_but_lists_it_by_id_at_once(
    youtube, simulator, simulator_clock
):
    video_id, published = late_video(simulator, at_least=timedelta(minutes=10))
    shown_from = simulator.searchable_at(video_id)

    hidden = ids(walk(youtube, **around(published)))
    by_id = youtube.videos().list(part="statistics", id=video_id).execute()
    simulator_clock.set(shown_from - ONE_SECOND)
    still_hidden = ids(walk(youtube, **around(published)))
    simulator_clock.set(shown_from)
    shown = ids(walk(youtube, **around(published)))

    assert video_id not in hidden
    assert [item["id"] for item in by_id["items"]] == [video_id]
    assert video_id not in still_hidden
    assert video_id in shown
    assert search(youtube, **around(published))["items"][0]["snippet"]["publishedAt"] == (
        rfc3339(published)  # the index shows it late, with its real publish time
    )


def test_it_shows_a_video_as_late_as_a_test_says(youtube, simulator, simulator_clock):
    video_id, published = simulator.published("football")[-1]

    simulator.set_index_lag(video_id, timedelta(hours=5))
    before = ids(walk(youtube, **around(published)))
    simulator_clock.set(published + timedelta(hours=5) - ONE_SECOND)
    just_before = ids(walk(youtube, **around(published)))
    simulator_clock.set(published + timedelta(hours=5))
    after = ids(walk(youtube, **around(published)))

    assert simulator.searchable_at(video_id) == published + timedelta(hours=5)
    assert video_id not in before
    assert video_id not in just_before
    assert video_id in after
    assert youtube.videos().list(part="id", id=video_id).execute()["items"]


def test_it_refuses_to_script_a_negative_lag_or_an_unknown_video(simulator):
    video_id, _ = simulator.published("football")[-1]

    with pytest.raises(ValueError, match="negative"):
        simulator.set_index_lag(video_id, timedelta(seconds=-1))
    with pytest.raises(KeyError):
        simulator.set_index_lag("not-an-id", timedelta(hours=1))


@realistic
def test_it_walks_exactly_what_the_index_shows(youtube, simulator):
    pages = walk(youtube)

    published = simulator.published("football")
    searchable = simulator.searchable("football")
    now = simulator.now()
    assert ids(pages) == newest_first(searchable)
    assert set(dict(published)) - set(dict(searchable)) == {
        video_id for video_id, _ in published if simulator.searchable_at(video_id) > now
    }
    assert len(searchable) < len(published)


@realistic
def test_it_keeps_the_pages_of_one_walk_consistent_while_the_index_catches_up(
    youtube, simulator, simulator_clock
):
    first = search(youtube)
    simulator_clock.advance(timedelta(minutes=30))
    rest = walk(youtube, pageToken=first["nextPageToken"])
    # A new walk of the last half hour before the first one: the index has caught up since.
    half_hour = {"since": SIMULATOR_START - timedelta(minutes=30), "until": SIMULATOR_START}
    fresh = walk(
        youtube,
        publishedAfter=rfc3339(half_hour["since"]),
        publishedBefore=rfc3339(half_hour["until"]),
    )

    walked = ids([first, *rest])
    assert walked == newest_first(simulator.searchable("football", at=SIMULATOR_START))
    assert len(walked) == len(set(walked))
    assert ids(fresh) == newest_first(simulator.searchable("football", **half_hour))
    assert set(ids(fresh)) - set(walked)


@with_config(index_lag=DEFAULT_INDEX_LAG, history_hours=0.1, burst_every_minutes=0)
def test_it_gives_a_next_page_token_exactly_when_another_shown_video_follows(youtube, simulator):
    shown = len(simulator.searchable("football"))
    assert 2 <= shown < simulator.count_published("football") <= 50

    exact = search(youtube, maxResults=shown)
    one_short = search(youtube, maxResults=shown - 1)
    last = search(youtube, maxResults=shown - 1, pageToken=one_short["nextPageToken"])

    assert len(exact["items"]) == shown
    assert "nextPageToken" not in exact  # hidden videos follow, but none search shows
    assert len(last["items"]) == 1
    assert "nextPageToken" not in last


@with_config(index_lag=DEFAULT_INDEX_LAG, history_hours=3)
def test_it_stops_a_walk_at_500_shown_results(youtube, simulator):
    pages = walk(youtube)

    assert ids(pages) == newest_first(simulator.searchable("football"))[:500]
    assert "nextPageToken" not in pages[-1]


def test_it_shows_every_video_at_once_without_lag(simulator):
    published = simulator.published("football")

    assert simulator.config.index_lag == NO_LAG
    assert simulator.searchable("football") == published
    assert all(simulator.searchable_at(video_id) == moment for video_id, moment in published)


def test_it_draws_index_lags_as_configured_by_default():
    config = SimulatorConfig(seed=11, history_hours=24)
    simulator = Simulator(config, clock=ManualClock(SIMULATOR_START))
    published = simulator.published("football")

    lags = [
        (simulator.searchable_at(video_id) - moment).total_seconds()
        for video_id, moment in published
    ]
    shares = [
        sum(low <= lag < high for lag in lags) / len(lags) for _, low, high in DEFAULT_INDEX_LAG
    ]

    assert config.index_lag == DEFAULT_INDEX_LAG
    assert len(lags) > 9000
    assert min(lags) >= 0
    assert max(lags) < 6 * 3600
    for share, (expected, _, _) in zip(shares, DEFAULT_INDEX_LAG, strict=True):
        assert share == pytest.approx(expected, abs=0.02)


def test_it_draws_the_same_lags_for_the_same_seed_only():
    def lags(seed: int) -> list[datetime]:
        simulator = Simulator(
            SimulatorConfig(seed=seed, history_hours=1), clock=ManualClock(SIMULATOR_START)
        )
        return [simulator.searchable_at(i) - t for i, t in simulator.published("football")]

    assert lags(1) == lags(1)
    assert lags(1) != lags(2)


# -- removals --------------------------------------------------------------------------------


def test_it_leaves_a_removed_video_out_of_search_and_videos_list_until_restored(
    youtube, simulator, simulator_clock
):
    (other, _), (video_id, published) = simulator.published("football")[-2:]
    both = f"{video_id},{other}"
    simulator.remove(video_id, at=SIMULATOR_START + timedelta(minutes=1))

    before = ids(walk(youtube, **around(published)))
    simulator_clock.advance(timedelta(minutes=1))
    removed_search = ids(walk(youtube, **around(published)))
    removed_list = youtube.videos().list(part="statistics", id=both).execute()
    was_removed = simulator.is_removed(video_id)
    simulator_clock.advance(timedelta(minutes=1))
    simulator.restore(video_id)
    back_search = ids(walk(youtube, **around(published)))
    back_list = youtube.videos().list(part="statistics", id=both).execute()

    assert video_id in before
    assert video_id not in removed_search
    assert [item["id"] for item in removed_list["items"]] == [other]  # and no error
    assert was_removed
    assert not simulator.is_removed(video_id)
    assert simulator.is_removed(video_id, at=SIMULATOR_START + timedelta(seconds=90))
    assert not simulator.is_removed(video_id, at=SIMULATOR_START)
    assert video_id in back_search
    assert [item["id"] for item in back_list["items"]] == [video_id, other]
    assert simulator.video(video_id).id == video_id  # the oracle still knows it


@with_config(
    removal_share=1,
    removal_after_hours=(0.25, 0.25),
    restore_share=1,
    restore_after_hours=(0.25, 0.25),
)
def test_it_removes_videos_hours_after_publishing_and_brings_them_back_as_configured(
    youtube, simulator
):
    # Every video goes at 15 minutes old and is back at 30: those aged [15, 30) min are gone.
    published = simulator.published("football")
    gone = {
        video_id
        for video_id, moment in published
        if timedelta(minutes=15) <= SIMULATOR_START - moment < timedelta(minutes=30)
    }
    young, old = published[-1][0], published[0][0]

    walked = ids(walk(youtube))
    listed = youtube.videos().list(part="id", id=f"{young},{min(gone)},{old}").execute()

    assert 50 < len(gone) < len(published)
    assert walked == [video_id for video_id in newest_first(published) if video_id not in gone]
    assert [item["id"] for item in listed["items"]] == [young, old]
    assert {video_id for video_id, _ in published if simulator.is_removed(video_id)} == gone


def test_it_removes_about_the_configured_share_and_restores_some():
    config = SimulatorConfig(seed=5, history_hours=24)
    simulator = Simulator(config, clock=ManualClock(SIMULATOR_START))
    published = simulator.published("football")

    def removed_at_age(hours: float) -> set[str]:
        age = timedelta(hours=hours)
        return {i for i, moment in published if simulator.is_removed(i, at=moment + age)}

    young, by_48h, by_72h = removed_at_age(0.9), removed_at_age(48), removed_at_age(72)

    assert (config.removal_share, config.restore_share) == (0.02, 0.10)
    assert young == set()  # nothing goes in its first hour
    # Removals come 1-48 h after publishing, restorations 1-24 h after that: at 72 h every
    # video is in its final state, 2% removed less the tenth of those that came back.
    assert len(by_72h) / len(published) == pytest.approx(0.02 * 0.9, abs=0.006)
    assert by_72h < by_48h  # some removed at 48 h are back by 72 h, none goes after 48 h


def test_it_refuses_to_remove_an_unknown_video(simulator):
    with pytest.raises(KeyError):
        simulator.remove("AAAAAAAAAAA")
    with pytest.raises(KeyError):
        simulator.is_removed("nope")
