"""The JSON the simulator sends, as the real client reads it."""

from __future__ import annotations

import html

from tests.fixtures.simulator import walk


def test_it_escapes_text_as_youtube_does(youtube, simulator):
    items = [item for page in walk(youtube) for item in page["items"]]
    titles = [item["snippet"]["title"] for item in items]

    for entity in ("&amp;", "&#39;", "&quot;"):
        assert any(entity in title for title in titles), entity
    assert not any(raw in title for title in titles for raw in "'\"<>")
    for item in items[:50]:
        video = simulator.video(item["id"]["videoId"])
        assert html.unescape(item["snippet"]["title"]) == video.title
        assert "football" in video.title.casefold()
    assert {item["snippet"]["liveBroadcastContent"] for item in items} == {
        "none",
        "live",
        "upcoming",
    }
