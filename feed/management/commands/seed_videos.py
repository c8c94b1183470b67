"""Synthetic videos for demos and benchmarks. It never touches a real API."""

from __future__ import annotations

import html
import random
import time
from datetime import datetime, timedelta
from itertools import accumulate

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from feed import clock, search, store
from feed.models import SearchQuery, classify_all
from feed.youtube import VideoSnippet

# Words every demo can search for ("tea how", "mak", "pasta"), then a long tail.
COMMON = [
    "football",
    "highlights",
    "goal",
    "match",
    "live",
    "best",
    "new",
    "how",
    "to",
    "make",
    "tea",
    "cricket",
    "recipe",
    "pasta",
    "making",
    "music",
    "official",
    "video",
    "review",
    "top",
    "10",
    "vs",
    "final",
    "news",
    "today",
    "world",
    "cup",
    "league",
    "game",
    "skills",
    "tutorial",
    "easy",
    "quick",
    "chai",
    "masala",
    "travel",
    "vlog",
    "day",
    "life",
    "kitchen",
    "street",
    "food",
]
ACCENTED = ["café", "crème", "brûlée", "jalapeño", "naïve", "São", "Zürich", "piñata", "über"]
TEMPLATES = [
    "How to make {a} &amp; {b}?",
    "{A} {b} {c} | {d} {e}",
    "Making {a}: {b} {c} in {n} minutes",
    "{A} vs {B} &#8211; {c} {d} highlights",
    "Top {n} {a} {b} of the week",
    "LIVE: {A} {b} {c}",
    "{A}&#39;s {b} {c} &quot;{d}&quot;",
    "{A} {b}: {c} {d} {e} {f}",
]
QUERIES = ["football", "cricket", "cooking", "music"]


class Vocabulary:
    """Zipf-like: a few words in most titles, a long tail of rare ones."""

    def __init__(self, rng: random.Random, size: int = 20_000) -> None:
        letters = "abcdefghijklmnopqrstuvwxyz"
        tail = {
            "".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(size)
        }
        self.words = COMMON + ACCENTED + sorted(tail)
        self.cumulative = list(accumulate(1 / (rank + 1) for rank in range(len(self.words))))
        self.rng = rng

    def sample(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=k)


def make_videos(*, count: int, seed: int, ties: float, end: datetime) -> list[list[VideoSnippet]]:
    """`count` videos per query bucket, newest ending at `end`, on average 30 s apart."""
    rng = random.Random(seed)
    vocab = Vocabulary(rng)
    channels = [
        (f"UC{rng.getrandbits(110):022x}"[:24], " ".join(vocab.sample(2)).title())
        for _ in range(max(10, count // 200))
    ]
    buckets: list[list[VideoSnippet]] = [[] for _ in QUERIES]
    moment = end
    for n in range(count):
        if rng.random() >= ties:
            moment -= timedelta(seconds=1 + int(rng.expovariate(1 / 30)))
        words = vocab.sample(6)
        raw_title = rng.choice(TEMPLATES).format(
            a=words[0],
            b=words[1],
            c=words[2],
            d=words[3],
            e=words[4],
            f=words[5],
            A=words[0].title(),
            B=words[1].title(),
            n=rng.randint(2, 60),
        )
        description = " ".join(vocab.sample(rng.randint(5, 30)))
        channel_id, channel_title = rng.choice(channels)
        video_id = f"{seed:02x}{n:09x}"[-11:]
        live = rng.choices(["none", "live", "upcoming"], weights=[96, 2, 2])[0]
        buckets[n % len(QUERIES)].append(
            VideoSnippet(
                youtube_id=video_id,
                published_at=moment.replace(microsecond=0),
                title=html.unescape(raw_title),
                description=html.unescape(description),
                channel_id=channel_id,
                channel_title=channel_title,
                live=live,
                thumbnails={
                    size: f"https://i.ytimg.com/vi/{video_id}/{name}.jpg"
                    for size, name in (
                        ("default", "default"),
                        ("medium", "mqdefault"),
                        ("high", "hqdefault"),
                    )
                },
            )
        )
    return buckets


# What videos.list would say about the seeded videos, as a pure function of the row id (the same
# on both engines, and no draw from the seed's random stream, so words and channels stay as they
# were): 1% never answered (no duration), 25% Shorts (1 s to 3 min), 5% 3-4 min, 54% 4-20 min,
# 15% longer; streams and premieres 0 (YouTube's P0D); views spread from 0 to a million, 1%
# hidden. Then each video's length and Shorts mark (feed.models.classify_all).
DETAILS = """
UPDATE feed_video SET
  duration_seconds = CASE
    WHEN live <> 'none' THEN 0
    WHEN (id * 7919 + 13) % 1000 < 10 THEN NULL
    WHEN (id * 7919 + 13) % 1000 < 260 THEN 1 + (id * 31) % 180
    WHEN (id * 7919 + 13) % 1000 < 310 THEN 181 + (id * 31) % 59
    WHEN (id * 7919 + 13) % 1000 < 850 THEN 240 + (id * 31) % 961
    ELSE 1201 + (id * 31) % 6000 END,
  view_count = CASE
    WHEN id % 97 = 0 THEN NULL
    ELSE ((id * 104729) % 1000) * ((id * 104729) % 1000) * ((id * 104729) % 1000) / 1000 END
"""


def add_details() -> None:
    with connection.cursor() as cursor:
        cursor.execute(DETAILS)
    classify_all()


def tidy_up() -> None:
    """After a bulk load: on PostgreSQL, GIN's pending list folded in (search.merge_index) and
    statistics for the planner; on SQLite, the full-text index merged into one segment (a probe
    by rowid then seeks one b-tree, not one per segment). Figures: bench/results/analysis.md."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # No ANALYZE here: the feed's plans were read and pinned without SQLite statistics.
            cursor.execute("INSERT INTO feed_video_fts(feed_video_fts) VALUES ('optimize')")
        else:
            search.merge_index(max_steps=1)
            cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = "Insert N realistic synthetic videos (for demos and benchmarks; no API is called)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="how many videos")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--ties",
            type=float,
            default=0.1,
            help="share of videos published in the same second as the previous (default 0.1)",
        )
        parser.add_argument("--batch", type=int, default=5000, help="rows per transaction")

    def handle(
        self, *args: object, count: int, seed: int, ties: float, batch: int, **opts: object
    ) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1")
        if not 0 <= ties < 1:
            raise CommandError("--ties must be a share from 0 to below 1, e.g. 0.1")
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        started = time.monotonic()
        buckets = make_videos(count=count, seed=seed, ties=ties, end=clock.now())
        stored = 0
        for text, videos in zip(QUERIES, buckets, strict=True):
            query, _ = SearchQuery.objects.get_or_create(text=text)
            for start in range(0, len(videos), batch):
                stored += len(
                    store.upsert_videos(videos[start : start + batch], query=query).new_ids
                )
                elapsed = time.monotonic() - started
                self.stdout.write(
                    f"\r{stored:,} new videos ({stored / max(elapsed, 1e-9):,.0f}/s)", ending=""
                )
                self.stdout.flush()
        self.stdout.write(
            f"\nseeded {stored:,} new videos of {count:,} in {time.monotonic() - started:.1f} s"
        )
        add_details()
        tidy_up()
        self.stdout.write(f"analysed and merged the indexes ({time.monotonic() - started:.1f} s)")
