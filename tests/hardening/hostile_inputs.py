"""Hostile request parameters, kept as data so every page and endpoint can be checked with them.

Each entry is a name (the test id), the query-string pairs to send (a list, so that a parameter
can repeat), and what the JSON API must answer: 200, 400, or None when either is fine (the
dashboard may answer differently, but never with a 5xx). The pairs are URL-encoded by the test.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from feed.search import words


@dataclass(frozen=True, slots=True)
class Hostile:
    name: str
    pairs: tuple[tuple[str, str], ...]
    api_status: int | None = None  # None: 200 or 400 are both right

    @property
    def params(self) -> list[tuple[str, str]]:
        return list(self.pairs)


def _one(name: str, param: str, value: str, api_status: int | None = None) -> Hostile:
    return Hostile(name=name, pairs=((param, value),), api_status=api_status)


_TOKENS = {
    "not-an-integer": "abc",
    "negative": "-1",
    "huge": "9" * 40,
    "just-above-bigint": str(2**63),
    "float": "1.5",
    "exponent": "1e10",
    "empty": "",
    "spaces": " 12 ",
    "plus-sign": "+5",
    "hex": "0x10",
    "unicode-digits": "١٢٣",  # Arabic-Indic digits: int() accepts them, the API must not
    "nul": "1\x00",
}

_SEARCHES = {
    "10000-chars": "a" * 10_000,
    "10000-words": "ab " * 3_333,
    "fts5-operators": 'tea OR ho* NOT "x" NEAR(a b) title:foo ^bar',
    "tsquery-operators": "tea & !ho | (x <-> y):* 'z'",
    "unbalanced-quotes": '"tea',
    "only-quotes": '""""',
    "sql-fragment": "'; DROP TABLE feed_video; --",
    "sql-union": "1 UNION SELECT sqlite_version(), 2 --",
    "like-wildcards": "%_%\\",
    "nul": "tea\x00ho",
    "only-nul": "\x00",
    "emoji": "⚽🔥👩‍👩‍👧 tea",
    "right-to-left": "\u202eevil\u202c مرحبا שלום",
    "combining-marks": "e\u0301\u0301\u0301\u0301",
    "zero-width": "te\u200ba",
    "html": "<script>alert(1)</script>",
    "only-punctuation": "!@#$%^&*()",
    "whitespace": "   \t\n ",
    "lone-surrogate-escape": "%ED%A0%80",  # sent as literal text; the raw bytes case is below
    "200-chars": "b" * 200,
    # unaccent() turns these into an apostrophe or a colon: 500s on PostgreSQL before.
    **{f"modifier-letter-{ord(c):04x}": f"{c}ukulele" for c in "ʻʹʼʽˈːŉ"},
    "only-modifier-letters": "ʻ ʹ ʼ ʽ ˈ ː ŉ",
    # 100 one-letter accented variants of "a": one word once folded, not 100 prefix terms.
    "100-accented-variants": " ".join("àáâãäåāăąạảấầẩẫậắằẳẵặǎǟǡǻȁȃȧ" * 4)[:199],
    "eight-one-letter-words": "a b c d e f g h",
    # More different words than SEARCH_MAX_WORDS: a 400 naming the limit.
    "many-short-words": " ".join("abcdefghij") * 10,
    "nine-words": "a b c d e f g h i",
}
_DATES = {
    "malformed": "yesterday",
    "impossible-day": "2026-02-30",
    "impossible-time": "2026-11-28T25:61:00Z",
    "far-future": "9999-12-31T23:59:59Z",
    "far-past": "0001-01-01T00:00:00Z",
    "year-one-with-offset": "0001-01-01T00:00:00+05:00",
    "year-9999-with-negative-offset": "9999-12-31T23:59:59-05:00",
    "huge-offset": "2026-11-28T12:00:00+99:00",
    "epoch-number": "1795881541",
    "empty": "",
    "sql-fragment": "2026-11-28' OR '1'='1",
    "nul": "2026-11-28\x00",
    "date-only": "2026-11-28",
}


def too_long_or_wordy(q: str) -> bool:
    return len(q) > settings.SEARCH_MAX_LENGTH or len(words(q)) > settings.SEARCH_MAX_WORDS


HOSTILE_INPUTS: tuple[Hostile, ...] = (
    *(_one(f"sync_token-{name}", "sync_token", value, 400) for name, value in _TOKENS.items()),
    *(_one(f"limit-{name}", "limit", value, 400) for name, value in _TOKENS.items()),
    _one("limit-zero", "limit", "0", 400),
    _one("limit-above-max", "limit", "101", 400),
    _one("sync_token-max-bigint", "sync_token", str(2**63 - 1), 200),
    *(
        _one(f"q-{name}", "q", value, 400 if too_long_or_wordy(value) else 200)
        for name, value in _SEARCHES.items()
    ),
    *(_one(f"published_after-{name}", "published_after", value) for name, value in _DATES.items()),
    *(
        _one(f"published_before-{name}", "published_before", value)
        for name, value in _DATES.items()
    ),
    _one("live-unknown", "live", "sometimes", 400),
    _one("live-html", "live", "<b>none</b>", 400),
    _one("duration-unknown", "duration", "tiny", 400),
    _one("duration-html", "duration", "<b>short</b>", 400),
    _one("duration-nul", "duration", "short\x00", 400),
    _one("shorts-unknown", "shorts", "hide", 400),
    _one("shorts-long", "shorts", "only" * 1000, 400),
    Hostile("repeated-duration", (("duration", "long"), ("duration", "x" * 10_000))),
    _one("sort-unknown", "sort", "random()", 400),
    _one("sort-sql", "sort", "views; DROP TABLE feed_video", 400),
    Hostile("views-token-integer", (("sort", "views"), ("sync_token", "1764000000000000")), 400),
    Hostile("views-token-huge", (("sort", "views"), ("sync_token", f"{2**63}_{2**63}")), 400),
    Hostile("views-token-negative", (("sort", "views"), ("sync_token", "-5_12")), 400),
    Hostile("views-token-max", (("sort", "views"), ("sync_token", f"-1_{2**63 - 1}")), 200),
    Hostile("views-token-unsorted", (("sync_token", "12_34"),), 400),
    _one("relevance-without-q", "sort", "relevance", 400),
    Hostile(
        "relevance-link-q", (("sort", "relevance"), ("q", "https://youtu.be/abcdefghijk")), 400
    ),
    Hostile(
        "relevance-deep-offset",
        (("sort", "relevance"), ("q", "tea"), ("sync_token", f"{2**63 - 1}_9999")),
        200,
    ),
    Hostile(
        "relevance-views-token",
        (("sort", "relevance"), ("q", "tea"), ("sync_token", "-1_5")),
        400,
    ),
    _one("channel-long", "channel", "UC" + "x" * 500, 400),
    _one("channel-sql", "channel", "x' OR 1=1 --", 200),
    _one("query-long", "query", "q" * 500, 400),
    _one("query-nul", "query", "foot\x00ball"),
    _one("unknown-parameter", "utm_source", "<script>", 200),
    Hostile(
        "repeated-limit", (("limit", "1"), ("limit", "abc"), ("limit", "1000")), api_status=None
    ),
    Hostile("repeated-sync_token", (("sync_token", "5"), ("sync_token", "-5"))),
    Hostile("repeated-q", (("q", "tea"), ("q", "a" * 10_000))),
    Hostile("repeated-dates", (("published_after", "x"), ("published_after", "2026-11-28"))),
    Hostile(
        "reversed-range",
        (("published_after", "2026-12-01"), ("published_before", "2026-11-01")),
        api_status=200,
    ),
    Hostile(
        "everything-at-once",
        (
            ("q", "tea ho"),
            ("limit", "100"),
            ("sync_token", "0"),
            ("channel", "UCchai"),
            ("query", "tea"),
            ("live", "upcoming"),
            ("duration", "long"),
            ("shorts", "exclude"),
            ("sort", "views"),
            ("published_after", "2026-11-28"),
            ("published_before", "2026-11-29T00:00:00+05:30"),
        ),
        api_status=200,
    ),
)

# Raw query strings that cannot be written as pairs: invalid percent-escapes and bytes that are
# not UTF-8 (a lone surrogate, a truncated sequence).
HOSTILE_QUERY_STRINGS: tuple[tuple[str, str], ...] = (
    ("bad-percent-escape", "q=%zz&limit=%"),
    ("invalid-utf8", "q=%ff%fe"),
    ("lone-surrogate-bytes", "q=%ED%A0%80"),
    ("truncated-utf8", "q=tea%E2%82"),
    ("semicolon-separator", "limit=1;limit=abc"),
    ("no-value", "limit&sync_token&q"),
    ("equals-only", "=&==&limit==5"),
    # One more than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django refuses to parse the query string.
    ("too-many-parameters", "&".join(f"p{i}=x" for i in range(1001))),
)
