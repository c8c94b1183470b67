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


def order_column(*, searching: bool) -> str:
    """The column the feed is ordered and paged by: the FTS rowid while searching on SQLite."""
    if searching and connection.vendor == "sqlite":
        return f"{FTS_TABLE}.rowid"
    return "feed_video.sort_key"


def apply(qs: QuerySet, terms: list[str]) -> QuerySet:
    """Restrict `qs` to videos matching every term (see the module docstring)."""
    if not terms:
        return qs
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
