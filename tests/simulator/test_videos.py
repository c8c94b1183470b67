"""videos.list through the real client: details, counts, and ids it leaves out."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.fixtures.simulator import api_error, ids, reason, search, walk


def test_it_describes_videos_with_iso_durations_and_counts_as_strings(youtube, simulator):
    fifty = ids([search(youtube)])

    page = youtube.videos().list(part="contentDetails,statistics", id=",".join(fifty)).execute()
    items = page["items"]

    assert [item["id"] for item in items] == fifty
    for item in items:
        assert re.fullmatch(r"P0D|PT(\d+H)?(\d+M)?(\d+S)?", item["contentDetails"]["duration"])
        assert item["contentDetails"]["duration"] != "PT"
        assert all(re.fullmatch(r"\d+", count) for count in item["statistics"].values())
        assert "viewCount" in item["statistics"]
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
