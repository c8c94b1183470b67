"""search.list through the real client: the walk, its filters, pages and page tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator import Simulator
from tests.fixtures.simulator import (
    SIMULATOR_CONFIG,
    SIMULATOR_START,
    api_error,
    ids,
    newest_first,
    reason,
    rfc3339,
    sample,
    search,
    walk,
    with_config,
)

ONE_SECOND = timedelta(seconds=1)


def test_it_answers_the_real_client_with_the_real_shapes(youtube):
    walk_from = {
        "part": "snippet",
        "type": "video",
        "order": "date",
        "maxResults": 50,
        "q": "football",
        "publishedAfter": "2026-11-28T15:30:00Z",
    }
    first = youtube.search().list(**walk_from).execute()
    second = youtube.search().list(**walk_from, pageToken=first["nextPageToken"]).execute()
    three = ",".join(item["id"]["videoId"] for item in first["items"][:3])
    details = youtube.videos().list(part="contentDetails,statistics", id=three).execute()

    page, last_page = sample("search_list_page.json"), sample("search_list_last_page.json")
    assert first.keys() == page.keys()
    assert second.keys() <= page.keys() | last_page.keys()
    assert len(first["items"]) == 50
    assert first["items"][0].keys() == page["items"][0].keys()
    assert first["items"][0]["snippet"].keys() == page["items"][0]["snippet"].keys()
    assert first["pageInfo"]["resultsPerPage"] == 50
    listed = sample("videos_list.json")
    assert details.keys() == listed.keys()
    assert [item["id"] for item in details["items"]] == three.split(",")
    assert details["items"][0].keys() == listed["items"][0].keys()


def test_it_walks_every_published_video_exactly_once_newest_first(youtube, simulator):
    pages = walk(youtube)

    expected = newest_first(simulator.published("football"))
    assert 50 < len(expected) <= 500
    assert ids(pages) == expected
    times = [item["snippet"]["publishedAt"] for page in pages for item in page["items"]]
    assert times == sorted(times, reverse=True)
    assert len(set(times)) < len(times)  # several videos share a second


def test_it_answers_without_q_with_every_query(youtube, simulator):
    total = search(youtube, q=None)["pageInfo"]["totalResults"]

    assert total == simulator.count_published("football") + simulator.count_published("cricket")


def test_it_finds_nothing_for_a_query_it_does_not_know(youtube):
    page = search(youtube, q="underwater basket weaving")

    assert page["items"] == []
    assert page["pageInfo"]["totalResults"] == 0
    assert "nextPageToken" not in page


def test_it_honours_published_after_including_the_boundary_second(youtube, simulator):
    published = simulator.published("football")
    boundary = published[-100][1]

    pages = walk(youtube, publishedAfter=rfc3339(boundary))

    expected = [(i, t) for i, t in published if t >= boundary]
    assert ids(pages) == newest_first(expected)
    assert published[-100][0] in ids(pages)


def test_it_honours_published_before(youtube, simulator):
    published = simulator.published("football")
    boundary = published[100][1]

    pages = walk(youtube, publishedBefore=rfc3339(boundary))

    assert ids(pages) == newest_first([(i, t) for i, t in published if t <= boundary])


def test_it_shows_a_video_only_once_the_clock_reaches_it(youtube, simulator, simulator_clock):
    ahead = Simulator(SIMULATOR_CONFIG, clock=lambda: SIMULATOR_START + timedelta(minutes=10))
    upcoming = ahead.published("football", since=SIMULATOR_START + ONE_SECOND)
    upcoming_ids = [video_id for video_id, _ in upcoming]
    assert len(upcoming) > 30

    before = ids(walk(youtube))
    unknown_yet = youtube.videos().list(part="statistics", id=upcoming_ids[0]).execute()
    simulator_clock.advance(timedelta(minutes=10))
    after = ids(walk(youtube, publishedAfter=rfc3339(SIMULATOR_START + ONE_SECOND)))

    assert not set(upcoming_ids) & set(before)
    assert unknown_yet["items"] == []
    assert after == upcoming_ids[::-1]


def test_it_keeps_the_pages_of_one_walk_stable_while_videos_arrive(
    youtube, simulator, simulator_clock
):
    first = search(youtube)
    simulator_clock.advance(timedelta(minutes=10))
    rest = walk(youtube, pageToken=first["nextPageToken"])

    assert ids([first, *rest]) == newest_first(
        simulator.published("football", until=SIMULATOR_START)
    )


@with_config(history_hours=3)
def test_it_stops_a_walk_at_500_results_like_youtube(youtube, simulator):
    pages = walk(youtube)

    assert pages[0]["pageInfo"]["totalResults"] > 1000
    assert ids(pages) == newest_first(simulator.published("football"))[:500]
    assert "nextPageToken" not in pages[-1]


def test_it_rejects_more_than_50_results_per_page(youtube):
    status, error = api_error(youtube.search().list(part="snippet", q="football", maxResults=51))

    assert status == 400
    assert reason(error) == "invalid"
    assert error["errors"][0]["location"] == "maxResults"


def test_it_answers_5_results_by_default_and_none_for_zero(youtube):
    default = youtube.search().list(part="snippet", q="football").execute()
    zero = youtube.search().list(part="snippet", q="football", maxResults=0).execute()

    assert len(default["items"]) == 5
    assert zero["items"] == []
    assert zero["pageInfo"]["totalResults"] > 0


@pytest.mark.parametrize("token", ["garbage", "CAUQAA", "tampered"])
def test_it_rejects_a_page_token_it_did_not_issue(youtube, token):
    if token == "tampered":
        real = search(youtube)["nextPageToken"]
        token = real[:-2] + ("AA" if real[-2:] != "AA" else "BB")

    status, error = api_error(youtube.search().list(part="snippet", q="football", pageToken=token))

    assert status == 400
    assert error == sample("error_invalid_page_token.json")["error"]
