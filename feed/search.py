"""User text -> a safe full-text query, per database vendor.

Semantics on both vendors: every word must match, in any order, case- and accent-insensitively,
and each word may be the start of a longer one ("tea ho" finds "How to make tea?"). Only runs of
letters and digits are kept, so no full-text syntax (quotes, `*`, `NEAR(`, `OR`, `-`, `:`) can
reach the engine: a user's text is always plain words.

SQLite: an FTS5 table whose rowid is Video.sort_key (migration 0002), so a search walks the index
already in feed order and stops after one page, whatever the word's frequency:
    SELECT ... FROM feed_video_fts JOIN feed_video ON feed_video.sort_key = feed_video_fts.rowid
    WHERE feed_video_fts MATCH '"tea"* "ho"*' AND feed_video_fts.rowid < ?
    ORDER BY feed_video_fts.rowid DESC LIMIT 21
PostgreSQL: a stored `simple`-config tsvector over unaccented text with a GIN index.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import connection, transaction
from django.db.models import QuerySet

# Letters and digits only: `_` separates words in both engines' tokenizers too.
WORD = re.compile(r"[^\W_]+")

FTS_TABLE = "feed_video_fts"
PG_INDEX = "feed_video_search"  # the GIN index over feed_video.search (migration 0002)


def words(text: str) -> list[str]:
    """The distinct words of `text`, in order, normalised the way the index stores them."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return list(dict.fromkeys(WORD.findall(folded)))


def sqlite_match(terms: list[str]) -> str:
    # Each word quoted (a string, never syntax) and made a prefix; FTS5 ANDs adjacent phrases.
    return " ".join(f'"{term}"*' for term in terms)


def postgres_tsquery(terms: list[str]) -> str:
    return " & ".join(f"{term}:*" for term in terms)


# A filtered set this small is searched by probing the full-text index once per video.
PROBE_AT_MOST = 500


def is_small(qs: QuerySet) -> bool:
    """Whether `qs` (the filtered videos, before search) holds at most PROBE_AT_MOST videos.

    Only SQLite needs to know (PostgreSQL's planner has statistics); the count stops at the cap
    and reads only the filter's index.
    """
    if connection.vendor != "sqlite":
        return False
    return qs.order_by()[: PROBE_AT_MOST + 1].count() <= PROBE_AT_MOST


def order_column(*, searching: bool, probing: bool = False) -> str:
    """The column the feed is ordered and paged by: the FTS rowid when walking the index."""
    if searching and not probing and connection.vendor == "sqlite":
        return f"{FTS_TABLE}.rowid"
    return "feed_video.sort_key"


def apply(qs: QuerySet, terms: list[str], *, probing: bool = False) -> QuerySet:
    """Restrict `qs` to videos matching every term (see the module docstring).

    On SQLite a search walks the full-text index in feed order, and each match is checked
    against the other filters: fast whatever the word, as long as the filters keep a fair share
    of the videos. When they keep only a few (`probing`, a small channel), walking would read
    every match of a common word to find the few of that channel (40 ms for "match" in one
    channel deep in the feed, at 1M videos); instead SQLite walks the small set by its own
    (filter, sort_key) index and probes the full-text index by rowid for each (15 us for a
    rare word, up to 250 us for a common one, at 1M videos; "match" in one channel: 3 ms).
    """
    if not terms:
        return qs
    if connection.vendor == "sqlite" and probing:
        return qs.extra(
            where=[
                f"EXISTS (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
                f" AND {FTS_TABLE}.rowid = feed_video.sort_key)"
            ],
            params=[sqlite_match(terms)],
        )
    if connection.vendor == "sqlite":
        return qs.extra(
            tables=[FTS_TABLE],
            where=[f"{FTS_TABLE}.rowid = feed_video.sort_key", f"{FTS_TABLE} MATCH %s"],
            params=[sqlite_match(terms)],
        )
    if connection.vendor == "postgresql":
        return qs.extra(
            where=["feed_video.search @@ to_tsquery('simple', feed_unaccent(%s))"],
            params=[postgres_tsquery(terms)],
        )
    raise NotImplementedError(f"search is not implemented for {connection.vendor}")


# Pages of merged index one merge step writes (4 KiB each): about 20 ms of the write lock.
MERGE_PAGES = 250


def merge_index(*, max_steps: int) -> int:
    """Fold recent writes into the full-text index proper; returns how many steps did work
    (0: nothing to do).

    SQLite: every write transaction adds a small segment to the index, and FTS5 merges them
    only in groups of four (automerge), so a live database holds dozens: a search walks one
    b-tree per segment, and a rowid probe (a search within a channel) seeks each of them. At
    100k videos a probe took 125 us fragmented and 19 us merged. Since migration 0005
    (usermerge=2) a step joins any two segments of one level, so the index settles at one
    segment per level, a handful, without rewriting the big old segment each time; steps are
    short so that polls barely wait for the write lock.

    PostgreSQL: GIN queues new entries in a pending list (up to 4 MB) that every search reads
    whole: at 1M videos a rare word took 1.5 ms with 370 pending pages, 0.2 ms without. One
    step empties it.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [PG_INDEX])
            return int(cursor.fetchone()[0] > 0)
    if connection.vendor != "sqlite":
        return 0
    steps = 0
    for _ in range(max_steps):
        with transaction.atomic(), connection.cursor() as cursor:
            before = connection.connection.total_changes
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('merge', %s)", [MERGE_PAGES]
            )
            # SQLite's documented test for "no work was done": fewer than 2 changes.
            if connection.connection.total_changes - before < 2:
                break
        steps += 1
    return steps


def index_segments() -> int | None:
    """How many segments the SQLite full-text index holds (None on other databases)."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(DISTINCT segid) FROM {FTS_TABLE}_idx")
        return cursor.fetchone()[0]
