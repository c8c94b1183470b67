"""The dashboard in a real browser: search as you type, filters, infinite scroll, the live
banner, hostile titles, console errors, and the README's screenshots."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from itertools import cycle

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.fixtures.clock import NOW
from tests.fixtures.videos import FakeSnippet

CARDS = "#grid > li.card"

TITLES = [
    "How to make tea? Masala chai in 5 minutes",
    "Champions League highlights: every goal from matchday 5",
    "Street food tour of Lisbon | pastéis & bifanas",
    "Top 10 skills of the week – football edition",
    "Making fresh pasta by hand (no machine)",
    "Cricket world cup final: last over, full replay",
    "Lo-fi beats to study and relax to",
    "Café crème brûlée: the easy recipe",
    "Travel vlog day 3: Zürich to São Paulo",
    "The best kitchen knife for under $50? A review",
    "Tea ceremony how-to for beginners",
    "Live: league match day, pre-game show",
]
CHANNELS = [
    ("UCchai00000000000000000a", "Chai & Cricket"),
    ("UCfootie000000000000000b", "Footie Daily"),
    ("UCkitchen00000000000000c", "Little Kitchen"),
    ("UCtravel000000000000000d", "Wander Far"),
    ("UCbeats0000000000000000e", "Night Beats"),
]


@dataclass(frozen=True)
class Details:
    duration_seconds: int | None
    view_count: int | None


@pytest.fixture
def lively(seed) -> list[FakeSnippet]:
    """80 videos that look like a real feed: varied titles, channels, badges, views."""

    from feed import store

    now = NOW
    titles, channels = cycle(TITLES), cycle(CHANNELS)
    snippets = []
    for i in range(80):
        channel_id, channel_title = next(channels)
        snippets.append(
            FakeSnippet(
                youtube_id=f"feed{i:07d}",
                published_at=now - timedelta(minutes=3 + 11 * i),
                title=next(titles),
                channel_id=channel_id,
                channel_title=channel_title,
                live="live" if i in (1, 17) else "upcoming" if i in (6, 30) else "none",
            )
        )
    seed(*snippets, query="football")
    details = {
        s.youtube_id: Details(
            duration_seconds=None if s.live != "none" else 61 + (i * 397) % 3600,
            view_count=None if i % 7 == 3 else (i * 7919) ** 2 % 2_400_000,
        )
        for i, s in enumerate(snippets)
    }
    store.record_details(details, asked=list(details), now=NOW)
    return snippets


def card_ids(page: Page) -> list[str]:
    return page.locator(CARDS).evaluate_all("cards => cards.map(c => c.id)")


def test_it_searches_as_you_type_and_the_url_follows(
    page: Page, live_server, lively, console_errors
):
    page.goto(live_server.url)
    expect(page.locator(CARDS)).to_have_count(24)
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("tea how", delay=40)
    expect(page).to_have_url(re.compile(r"/\?q=tea\+how$"))
    tea_titles = [t for t in TITLES if "tea" in t.lower() and "how" in t.lower()]
    expected = sum(1 for i in range(80) if TITLES[i % len(TITLES)] in tea_titles)
    expect(page.locator(CARDS)).to_have_count(expected)
    expect(page.locator(f"{CARDS} mark").first).to_have_text(re.compile("tea|how", re.IGNORECASE))
    expect(page.locator("h1")).to_have_text("Videos matching “tea how”")

    # The back button and a pasted URL give the same page.
    page.go_back()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator(CARDS)).to_have_count(24)
    expect(page.locator("#q")).to_have_value("")
    page.go_forward()
    expect(page.locator("#q")).to_have_value("tea how")
    expect(page.locator(CARDS)).to_have_count(expected)
    page.goto(live_server.url + "/?q=tea+how")
    expect(page.locator(CARDS)).to_have_count(expected)
    assert console_errors == []


def test_it_loads_more_as_the_reader_scrolls_and_never_repeats_a_card(
    page: Page, live_server, lively, console_errors
):
    page.goto(live_server.url)
    expect(page.locator(CARDS)).to_have_count(24)
    page.locator("li.more").scroll_into_view_if_needed()
    expect(page.locator(CARDS)).to_have_count(48)
    page.locator("li.more").scroll_into_view_if_needed()
    expect(page.locator(CARDS)).to_have_count(72)
    page.locator("li.more").scroll_into_view_if_needed()
    expect(page.locator(CARDS)).to_have_count(80)
    expect(page.locator("li.end")).to_contain_text("You've reached the end")
    ids = card_ids(page)
    assert len(ids) == len(set(ids)) == 80
    assert ids == [f"v-{s.youtube_id}" for s in lively]
    assert console_errors == []


def test_it_applies_and_clears_a_filter(page: Page, live_server, lively, console_errors):
    page.goto(live_server.url)
    page.get_by_label("Type").select_option("live")
    expect(page).to_have_url(re.compile(r"/\?live=live$"))
    expect(page.locator(CARDS)).to_have_count(2)
    expect(page.locator(f"{CARDS} .badge.live")).to_have_count(2)

    page.get_by_label("Sort").select_option("oldest")
    expect(page).to_have_url(re.compile(r"/\?live=live&sort=oldest$"))
    expect(page.locator(CARDS).first).to_have_id(f"v-{lively[17].youtube_id}")

    page.get_by_role("link", name="Clear filters").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator(CARDS)).to_have_count(24)
    expect(page.get_by_label("Type")).to_have_value("")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?live=live&sort=oldest$"))
    expect(page.locator(CARDS)).to_have_count(2)
    expect(page.get_by_label("Type")).to_have_value("live")
    assert console_errors == []


def test_the_banner_counts_new_videos_and_shows_them_on_top(
    page: Page, live_server, lively, seed, console_errors
):
    page.goto(live_server.url)
    first = card_ids(page)[0]
    fresh = seed(*[FakeSnippet(title=f"Just in #{i}", published_at=NOW) for i in range(3)])
    page.clock.fast_forward(16_000)
    banner = page.locator("#banner .pill")
    expect(banner).to_have_accessible_name("3 new videos show")
    # Nothing moved under the reader.
    assert card_ids(page)[0] == first
    banner.click()
    expect(page.locator(CARDS).first).to_contain_text("Just in")
    top = card_ids(page)[:4]
    assert set(top[:3]) == {f"v-{s.youtube_id}" for s in fresh} and top[3] == first
    expect(page.locator("#banner .pill")).to_have_count(0)
    assert console_errors == []


def test_a_hostile_title_is_text_and_runs_nothing(page: Page, live_server, seed, console_errors):
    seed(
        FakeSnippet(youtube_id="xss", title="<script>alert(1)</script><img src=x onerror=alert(2)>")
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(live_server.url)
    expect(page.locator("#v-xss .title")).to_have_text(
        "<script>alert(1)</script><img src=x onerror=alert(2)>"
    )
    expect(page.locator("#v-xss script, #v-xss img")).to_have_count(0)
    assert dialogs == []
    assert console_errors == []


@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/?q=tea&live=none", 200), ("/status", 200), ("/nope", 404), ("/?when=x", 400)],
)
def test_no_page_logs_a_console_error(
    page: Page, live_server, lively, console_errors, path, status
):
    response = page.goto(live_server.url + path)
    assert response.status == status
    expect(page.locator("main h1, main h2").first).to_be_visible()
    # The browser reports the page's own error status; nothing else may be logged.
    assert [e for e in console_errors if f"status of {status}" not in e] == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_it_takes_the_readmes_screenshots(page: Page, live_server, lively, seed, scheme, tmp_path):
    from django.db.models import F

    from feed.models import FetchRun, SearchQuery, Video

    # Stored as they were published (over the last 15 hours): the chart has a day's shape.
    Video.objects.update(first_seen_at=F("published_at") + timedelta(seconds=40))
    query = SearchQuery.objects.get(text="football")
    now = NOW
    # A query polled for a day already, whose re-walks found a few videos late.
    SearchQuery.objects.filter(pk=query.pk).update(
        last_polled_at=now - timedelta(seconds=8), created_at=now - timedelta(days=1)
    )
    Video.objects.filter(pk__in=Video.objects.order_by("pk").values("pk")[:3]).update(
        first_seen_at=F("published_at") + timedelta(hours=2, minutes=10)
    )
    FetchRun.objects.create(
        query=query, started_at=now - timedelta(hours=1), late_videos=3, pages=3, units=301
    )
    FetchRun.objects.create(
        query=query, started_at=now - timedelta(seconds=8), new_videos=3, pages=1, units=101
    )
    # The committed pictures change only on purpose (UPDATE_SCREENSHOTS=1), so a test run leaves
    # the tree clean; otherwise the same pages are shot into a temporary folder.
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.emulate_media(color_scheme=scheme)
    for device, size in (
        ("desktop", {"width": 1280, "height": 720}),
        ("phone", {"width": 360, "height": 640}),
    ):
        page.set_viewport_size(size)
        for name, path in (("grid", "/"), ("status", "/status")):
            page.goto(live_server.url + path)
            expect(page.locator("main h1").first).to_be_visible()
            page.screenshot(path=folder / f"{name}-{device}-{scheme}.png")
            assert (folder / f"{name}-{device}-{scheme}.png").stat().st_size > 5_000
    # The new-videos pill over the grid, and (desktop) a focused card showing its exact time.
    for device, size in (
        ("desktop", {"width": 1366, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        page.set_viewport_size(size)
        page.goto(live_server.url)
        seed(*[FakeSnippet(title=f"Just in #{i}", published_at=NOW) for i in range(3)])
        page.clock.fast_forward(16_000)
        expect(page.locator("#pill")).to_be_visible()
        if device == "desktop":  # on a phone the focused card would scroll the filters away
            page.locator("#grid > li.card").nth(1).locator(".title a").focus()
        page.screenshot(path=folder / f"grid-new-{device}-{scheme}.png")
