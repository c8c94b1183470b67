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
PostgreSQL: a stored `simple`-config tsvector over unaccented text with a GIN index; words of one
or two letters are checked on the rows the others find, not looked up (postgres_where()).

What one search may cost is bounded before an engine sees it: words equal once folded count
once, a word that is the start of another adds nothing, and at most settings.SEARCH_MAX_WORDS
distinct words are accepted (more is a 400 naming the limit: feed.filters).
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
    """The words of `text` to search for, in order, normalised the way the index stores them.

    Words equal once accents are folded count once ("à á â" is one word), and a word that is the
    start of another is dropped: every word is a prefix, so "a" adds nothing to "ab" (`"a"*
    "ab"*` matches what `"ab"*` does). Without this a 200-character search of 100 accented
    variants of "a" became 100 prefix terms: 2.1 s per search on PostgreSQL at 200k videos.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    distinct: dict[str, str] = {}
    for word in WORD.findall(folded):
        distinct.setdefault(fold(word), word)
    return [
        word
        for key, word in distinct.items()
        if not any(other != key and other.startswith(key) for other in distinct)
    ]


LATIN_END = 0x250  # Basic Latin up to the end of Latin Extended-B


def fold(word: str) -> str:
    """`word` without the accents of Latin letters, as both engines fold them ("é" -> "e").

    Only marks on Latin letters: elsewhere (a Devanagari virama) a mark is part of the word. The
    engines fold more ("ø" -> "o" on PostgreSQL); what this misses costs one more term, no more.
    """
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", word):
        if unicodedata.combining(char) and kept and ord(kept[-1]) < LATIN_END:
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def sqlite_match(terms: list[str]) -> str:
    # Each word quoted (a string, never syntax) and made a prefix; FTS5 ANDs adjacent phrases.
    return " ".join(f'"{term}"*' for term in terms)


# Characters that are tsquery syntax, or that the index turns into spaces (migration 0002).
# unaccent() turns some letters into them: the modifier letters ʻ ʹ ʼ ʽ ˈ become an apostrophe,
# ː a colon, ŉ "'n". So each word is unaccented first, then these become spaces, then it is
# quoted: no letter can turn into syntax (`q=ʻukulele` answered 500 before).
PG_SEPARATORS = "<>&/.@:_-+='\"\\!|()*"


def postgres_tsquery_sql(count: int) -> str:
    """SQL for a tsquery of `count` prefix words, each a %s parameter (a word of words()).

    Every function in it is immutable, so the planner folds it into a constant and estimates
    from the index's statistics how many rows match.
    """
    separators = PG_SEPARATORS.replace("'", "''")
    spaces = " " * len(PG_SEPARATORS)
    operand = f"'''' || translate(feed_unaccent(%s), '{separators}', '{spaces}') || ''':*'"
    return "to_tsquery('simple', " + " || ' & ' || ".join([operand] * count) + ")"


# Words at least this long are looked up in the GIN index; shorter ones are checked on its rows.
PG_INDEXED_LENGTH = 3


def postgres_where(terms: list[str]) -> tuple[list[str], list[str]]:
    """The WHERE clauses and their parameters of a PostgreSQL search for `terms` (one or more).

    A prefix of one or two letters matches so many words that GIN gathers all their rows before
    the first comes out. So only words of PG_INDEXED_LENGTH letters or more (or, when there is
    none, the longest word) are a condition the index can serve; the short ones are checked with
    ts_match_vq(), the function behind @@, which the planner cannot turn into an index scan.
    Figures: bench/results/analysis.md, "The measurements behind feed/search.py".
    """
    indexed = [term for term in terms if len(term) >= PG_INDEXED_LENGTH] or [max(terms, key=len)]
    rest = [term for term in terms if term not in indexed]
    where = [f"feed_video.search @@ {postgres_tsquery_sql(len(indexed))}"]
    params = list(indexed)
    if rest:
        # A word of modifier letters alone ("ʼ") unaccents to no word at all, as in the index:
        # it is no condition (and an empty tsquery would match no row after walking all of them).
        rest_query = postgres_tsquery_sql(len(rest))
        where.append(f"(numnode({rest_query}) = 0 OR ts_match_vq(feed_video.search, {rest_query}))")
        params += rest + rest
    return where, params


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


# "Best match" ranks the newest this-many matches of a search (with its filters), not all of
# them: a common word matches half a million videos at 1M, and scoring all of them on every page
# would cost what reading them all does.
RELEVANCE_CANDIDATES = 1000
# A match in the title counts this many times one in the description.
TITLE_WEIGHT = 3.0


def relevance_score(terms: list[str]) -> tuple[str, list[str], bool]:
    """SQL scoring a search's match, its parameters, and whether a higher score is better.

    SQLite: FTS5's bm25() with the title column weighted (lower is better), valid only in a
    query that MATCHes the full-text table (not while probing). PostgreSQL: ts_rank() over the
    stored tsvector of title and description (normalization 1: divided by 1 + the log of the
    text's length), times TITLE_WEIGHT when the title alone matches: the stored vector does not
    say which column a word came from (migration 0002), so the title's is made for the
    candidates only.
    """
    if connection.vendor == "sqlite":
        return f"bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)", [], False
    query = postgres_tsquery_sql(len(terms))
    title = "to_tsvector('simple', translate(feed_unaccent(feed_video.title), %s, %s))"
    sql = (
        f"ts_rank(feed_video.search, {query}, 1)"
        f" * (CASE WHEN {title} @@ {query} THEN {TITLE_WEIGHT} ELSE 1 END)"
    )
    punctuation = PG_INDEXED_PUNCTUATION
    return sql, [*terms, punctuation, " " * len(punctuation), *terms], True


# What the stored tsvector turns into spaces before it splits words (migration 0002).
PG_INDEXED_PUNCTUATION = "<>&/.@:_-+='\""


# Sorted by views, a search on SQLite with at most this many matches sorts them all; with more,
# it walks the views index and probes the full-text index per video (see few_matches).
VIEWS_SORT_AT_MOST = 20_000
# A date range of at most this many videos is sorted by views rather than found by walking the
# views index (feed.filters): that walk checks the range on the index alone, about 0.5 us an
# entry, so the two cost the same near sqrt(5 x videos) matches: 2,000 at 1M.
VIEWS_RANGE_SORT_AT_MOST = 2_000


def few_matches(terms: list[str]) -> bool:
    """Whether a search for `terms` matches at most VIEWS_SORT_AT_MOST videos (SQLite only).

    Most viewed first, a search is answered one of two ways, each slow where the other is fast:
    walking the views index and probing per video (a common word), or sorting every match (a
    rare one); figures in bench/results/analysis.md. The count stops at the bound.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
            " LIMIT %s)",
            [sqlite_match(terms), VIEWS_SORT_AT_MOST + 1],
        )
        return cursor.fetchone()[0] <= VIEWS_SORT_AT_MOST


def order_column(*, searching: bool, probing: bool = False) -> str:
    """The column the feed is ordered and paged by: the FTS rowid when walking the index."""
    if searching and not probing and connection.vendor == "sqlite":
        return f"{FTS_TABLE}.rowid"
    return "feed_video.sort_key"


def apply(qs: QuerySet, terms: list[str], *, probing: bool = False) -> QuerySet:
    """Restrict `qs` to videos matching every term (see the module docstring).

    On SQLite a search walks the full-text index in feed order, and each match is checked
    against the other filters: fast whatever the word, as long as the filters keep a fair share
    of the videos. When they keep only a few (`probing`, a small channel), SQLite walks those by
    their own (filter, sort_key) index and probes the full-text index by rowid for each instead
    of reading every match of a common word (figures: bench/results/analysis.md).
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
        where, params = postgres_where(terms)
        return qs.extra(where=where, params=params)
    raise NotImplementedError(f"search is not implemented for {connection.vendor}")


# Pages of merged index one merge step writes (4 KiB each): about 20 ms of the write lock.
MERGE_PAGES = 250


def merge_index(*, max_steps: int) -> int:
    """Fold recent writes into the full-text index proper; returns how many steps did work
    (0: nothing to do).

    SQLite's FTS5 leaves each write's segment to merge only in groups of four, and every search
    or probe reads every segment; PostgreSQL's GIN pending list is read whole by every search.
    Short steps: polls barely wait for the write lock. Figures: bench/results/analysis.md.
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
