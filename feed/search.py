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

from django.db import connection
from django.db.models import QuerySet

# Letters and digits only: `_` separates words in both engines' tokenizers too.
WORD = re.compile(r"[^\W_]+")

FTS_TABLE = "feed_video_fts"


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
