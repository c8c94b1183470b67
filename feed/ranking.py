"""Best match within a small filtered set on SQLite: FTS5's bm25 formula, computed here.

FTS5 scores well only a walk of its index: it counts each word's matches again for every cursor,
and a probe by rowid is a cursor of its own. So when the filters keep few videos, search.apply
finds the matches by probing and this module scores them with bm25's formula (FTS5's k1, b and
column weights) from the index's own document sizes and averages. Each word's document count is
the one estimate: counted among the newest IDF_SAMPLE videos and scaled (exact below that size).
Figures: bench/results/analysis.md, "Best match within a small set".
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.db import connection

from feed import search

K1 = 1.2
B = 0.75
# bm25's idf of a word comes from how many videos hold it, counted among this many newest ones.
IDF_SAMPLE = 20_000


def scores(rows: Iterable[tuple[int, str, str]], terms: list[str]) -> dict[int, float]:
    """bm25 of each (FTS rowid, title, description) for `terms`; higher is better.

    The rows must match every term (their words are counted here, not checked).
    """
    rows = list(rows)
    if not rows or not terms:
        return {}
    keys = [search.fold(term) for term in terms]
    total_rows, total_tokens = averages()
    average_length = total_tokens / total_rows if total_tokens and total_rows else 1.0
    idf = inverse_frequencies(terms, total_rows=total_rows)
    lengths = document_lengths([rowid for rowid, _, _ in rows])
    result = {}
    for rowid, title, description in rows:
        length = lengths.get(rowid, 0)
        norm = K1 * (1 - B + B * length / average_length)
        title_words, description_words = tokens(title), tokens(description)
        score = 0.0
        for key, weight in zip(keys, idf, strict=True):
            frequency = search.TITLE_WEIGHT * hits(title_words, key) + hits(description_words, key)
            score += weight * frequency * (K1 + 1) / (frequency + norm)
        result[rowid] = score
    return result


def tokens(text: str) -> list[str]:
    # As the index's unicode61 tokenizer (remove_diacritics 2) splits and folds them.
    return [search.fold(word) for word in search.WORD.findall(text.casefold())]


def hits(words: list[str], key: str) -> int:
    # Every query word is a prefix (search.sqlite_match).
    return sum(1 for word in words if word.startswith(key))


def inverse_frequencies(terms: list[str], *, total_rows: int) -> list[float]:
    """FTS5's idf of each term: log((N - n + 0.5) / (n + 0.5)), at least 1e-6."""
    with connection.cursor() as cursor:
        # The newest IDF_SAMPLE videos' first key, on the feed's own index.
        cursor.execute(
            "SELECT sort_key FROM feed_video ORDER BY sort_key DESC LIMIT 1 OFFSET %s",
            [IDF_SAMPLE - 1],
        )
        floor = cursor.fetchone()
        # Every term's count in one statement; with fewer videos than the sample, all of them.
        count = f"(SELECT count(*) FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH %s"
        count += " AND rowid >= %s)" if floor else ")"
        cursor.execute(
            "SELECT " + ", ".join([count] * len(terms)),
            [value for term in terms for value in [search.sqlite_match([term]), *(floor or [])]],
        )
        counts = cursor.fetchone()
    scale = total_rows / IDF_SAMPLE if floor else 1
    idf = [math.log((total_rows - n * scale + 0.5) / (n * scale + 0.5)) for n in counts]
    return [value if value > 0 else 1e-6 for value in idf]


def averages() -> tuple[int, int]:
    """How many rows the index holds and their tokens in all (FTS5's averages record)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT block FROM {search.FTS_TABLE}_data WHERE id = 1")
        row = cursor.fetchone()
    if row is None:
        return 0, 0
    values = varints(row[0])
    return values[0], sum(values[1:])


def document_lengths(rowids: list[int]) -> dict[int, int]:
    """Each row's tokens in all columns, as the index counted them."""
    placeholders = ", ".join(["%s"] * len(rowids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, sz FROM {search.FTS_TABLE}_docsize WHERE id IN ({placeholders})", rowids
        )
        return {rowid: sum(varints(size)) for rowid, size in cursor.fetchall()}


def varints(blob: bytes) -> list[int]:
    """SQLite's variable-length integers, one after another (FTS5's records)."""
    values, value, length = [], 0, 0
    for byte in blob:
        length += 1
        if length == 9:  # the ninth byte holds 8 bits
            values.append((value << 8) | byte)
            value, length = 0, 0
        elif byte & 0x80:
            value = (value << 7) | (byte & 0x7F)
        else:
            values.append((value << 7) | byte)
            value, length = 0, 0
    return values
