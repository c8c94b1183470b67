"""videos.list through the real client: details, counts, and ids it leaves out."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.fixtures.simulator import api_error, ids, reason, search, walk, with_config


def seconds(duration: str) -> int:
    """PT#H#M#S -> seconds; P0D -> 0."""
    match = re.fullmatch(r"P0D|PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", duration)
    hours, minutes, secs = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + secs


def details(youtube, video_ids: list[str], *, part: str) -> list[dict]:
    """videos.list of any number of ids, 50 at a time as the API allows."""
    items = []
    for start in range(0, len(video_ids), 50):
        batch = ",".join(video_ids[start : start + 50])
        items += youtube.videos().list(part=part, id=batch).execute()["items"]
    return items


def test_it_describes_videos_with_iso_durations_and_counts_as_strings(youtube, simulator):
    fifty = ids([search(youtube)])

    page = youtube.videos().list(part="contentDetails,statistics", id=",".join(fifty)).execute()
    items = page["items"]

    assert [item["id"] for item in items] == fifty
    for item in items:
        assert re.fullmatch(r"P0D|PT(\d+H)?(\d+M)?(\d+S)?", item["contentDetails"]["duration"])
        assert item["contentDetails"]["duration"] != "PT"
        assert all(re.fullmatch(r"\d+", count) for count in item["statistics"].values())
        hidden = simulator.video(item["id"]).views_hidden
        assert ("viewCount" in item["statistics"]) == (not hidden)
    live = {i for i in fifty if simulator.video(i).live_broadcast_content != "none"}
    durations = {item["id"]: item["contentDetails"]["duration"] for item in items}
    assert all(durations[i] == "P0D" for i in live)
    assert any(re.fullmatch(r"PT\d+M\d+S", d) for d in durations.values())


def test_it_lets_view_counts_grow_with_time(youtube, simulator, simulator_clock):
    found = ids([search(youtube)])
    video_id = next(i for i in found if simulator.video(i).live_broadcast_content == "none")

    def views() -> int:
        page = youtube.videos().list(part="statistics", id=video_id).execute()
        return int(page["items"][0]["statistics"]["viewCount"])

    early = views()
    simulator_clock.advance(timedelta(days=2))
    assert views() > early


def test_it_omits_unknown_ids_silently(youtube):
    known = ids([search(youtube)])[:2]
    asked = [known[0], "AAAAAAAAAAA", "not-an-id", "dQw4w9WgXcQ", known[1]]

    page = youtube.videos().list(part="contentDetails", id=",".join(asked)).execute()

    assert [item["id"] for item in page["items"]] == known


def test_it_rejects_more_than_50_ids(youtube):
    fifty_one = ids(walk(youtube))[:51]

    status, error = api_error(youtube.videos().list(part="statistics", id=",".join(fifty_one)))

    assert status == 400
    assert reason(error) == "invalidFilters"


def test_it_keeps_view_counts_growing_for_days(youtube, simulator, simulator_clock):
    video_id = next(
        i for i in ids([search(youtube)]) if simulator.video(i).live_broadcast_content == "none"
    )

    counts = []
    for _ in range(8):
        statistics = details(youtube, [video_id], part="statistics")[0]["statistics"]
        counts.append(simulator.view_count(video_id))
        assert statistics.get("viewCount", str(counts[-1])) == str(counts[-1])
        simulator_clock.advance(timedelta(days=1))

    assert counts == sorted(set(counts))  # strictly up, every day of a week


def test_it_makes_shorts_of_the_videos_titled_so_and_only_of_them(youtube, simulator):
    found = [item for page in walk(youtube) for item in page["items"]]
    titled = {item["id"]["videoId"]: item["snippet"] for item in found}

    items = details(youtube, list(titled), part="contentDetails")
    durations = {item["id"]: seconds(item["contentDetails"]["duration"]) for item in items}

    shorts = 0
    for video_id, snippet in titled.items():
        if snippet["liveBroadcastContent"] != "none":
            assert durations[video_id] == 0  # P0D while live or upcoming
        elif "#shorts" in snippet["title"].casefold():
            assert 1 <= durations[video_id] <= 180
            assert simulator.video(video_id).is_short
            shorts += 1
        else:
            assert durations[video_id] > 180
            assert not simulator.video(video_id).is_short
    assert 20 < shorts < len(titled) / 2


@with_config(hidden_views_share=1)
def test_it_leaves_out_a_hidden_view_count_and_keeps_the_other_counts(youtube, simulator):
    fifty = ids([search(youtube)])

    items = details(youtube, fifty, part="statistics")

    assert all("viewCount" not in item["statistics"] for item in items)
    assert all(item["statistics"]["favoriteCount"] == "0" for item in items)
    assert any("likeCount" in item["statistics"] for item in items)
    assert all(simulator.view_count(i) is not None for i in fifty)  # the oracle still knows
