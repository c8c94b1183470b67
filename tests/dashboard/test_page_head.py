"""Every page's head says what the page is to a search engine: one meta description (Lighthouse's
SEO audit), written for the page, with a search's words in it as text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest


class Descriptions(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name") == "description":
            self.found.append(values.get("content") or "")


def descriptions(html: str) -> list[str]:
    parser = Descriptions()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("path", ["/", "/?q=tea+how", "/status", "/api", "/no/such/page"])
def test_every_page_has_one_meta_description(client, add_videos, path):
    add_videos(3, query="football")
    found = descriptions(client.get(path).content.decode())
    assert len(found) == 1, found
    assert len(found[0]) > 50


def test_the_pages_describe_themselves(client, add_videos):
    add_videos(3, query="football")
    grid, status, api = (
        descriptions(client.get(p).content.decode())[0] for p in ("/", "/status", "/api")
    )
    assert len({grid, status, api}) == 3
    assert "quota" in status
    assert "API" in api


def test_a_searchs_description_names_its_words_as_text(client, add_videos):
    add_videos(3)
    html = client.get("/", {"q": 'tea "><script>alert(1)</script>'}).content.decode()
    [description] = descriptions(html)
    assert description.startswith('YouTube videos matching “tea "><script>alert(1)</script>”')
    assert "<script>alert(1)" not in html
