"""The integer sync_token cursor: keyset pages over Video.sort_key, never OFFSET, never COUNT."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from feed import ranking, search
from feed.models import VIEWS_SQL, Video

MAX_TOKEN = 2**63 - 1
DIGITS = re.compile(r"[0-9]{1,19}")

# The orders a list can be read in; newest first is the default.
SORTS = ("newest", "oldest", "views", "relevance")
# The cursor of "most viewed": the view count (-1: hidden or not known) and the sort key of the
# last video shown, e.g. "1204_1795881541000003".
VIEWS_TOKEN = re.compile(r"(-1|[0-9]{1,19})_([0-9]{1,19})")
# The cursor of "best match": the newest candidate's sort key and how many were shown.
RELEVANCE_TOKEN = re.compile(r"([0-9]{1,19})_([0-9]{1,4})")


class BadParameter(Exception):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Video]
    next_token: int | str | None


def parse_sort(raw: str | None) -> str:
    if raw is None or raw == "":
        return "newest"
    if raw not in SORTS:
        raise BadParameter("sort", "must be newest, oldest, views or relevance")
    return raw


def parse_token(raw: str | None, *, sort: str = "newest") -> int | tuple[int, int] | None:
    """The cursor from a request. Absent and 0 (the original clients' "latest") mean none.
    Sorted by views it is a (views, sort_key) pair."""
    if raw is None:
        return None
    if sort == "relevance" and raw != "0":
        match = RELEVANCE_TOKEN.fullmatch(raw)
        if match is None or int(match[1]) > MAX_TOKEN:
            raise BadParameter(
                "sync_token", "must be the sync_token of a previous response sorted by relevance"
            )
        return int(match[1]), int(match[2])
    if sort == "views" and raw != "0":
        match = VIEWS_TOKEN.fullmatch(raw)
        if match is None or max(int(match[1]), int(match[2])) > MAX_TOKEN:
            raise BadParameter(
                "sync_token", "must be the sync_token of a previous response sorted by views"
            )
        return int(match[1]), int(match[2])
    message = "must be the integer sync_token of a previous response (or 0)"
    return parse_position(raw, param="sync_token", message=message) or None


def parse_since(raw: str | None) -> int:
    """The change-log position from a request (GET .../changes): absent and 0 mean the start."""
    if raw is None:
        return 0
    message = "must be the integer since of a previous response (or 0)"
    return parse_position(raw, param="since", message=message)


def parse_position(raw: str, *, param: str, message: str) -> int:
    """A sort key or change id from a request (0 to MAX_TOKEN), or BadParameter(param, message)."""
    if not DIGITS.fullmatch(raw) or int(raw) > MAX_TOKEN:
        raise BadParameter(param, message)
    return int(raw)


def parse_limit(raw: str | None) -> int:
    if raw is None:
        return settings.API_DEFAULT_LIMIT
    maximum = settings.API_MAX_LIMIT
    if not DIGITS.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise BadParameter("limit", f"must be an integer from 1 to {maximum}")
    return int(raw)


def fetch_page(
    qs: QuerySet[Video],
    *,
    cursor: int | tuple[int, int] | None,
    limit: int,
    column: str,
    oldest_first: bool = False,
    sort: str = "newest",
    terms: list[str] | None = None,
    rank_all: bool = False,
) -> Page:
    """One page of the videos after `cursor` (a sort key) in feed order: newest first, or
    oldest first, or most viewed (`sort`). `column` holds the sort key in the query
    (feed.filters.Filtered.column).

    One row more than asked tells whether anything further exists, so the last page says
    `next_token=None` without a COUNT.
    """
    if sort == "views":
        return fetch_views_page(qs, cursor=cursor, limit=limit, column=column, rank_all=rank_all)
    if sort == "relevance":
        return fetch_relevance_page(
            qs, cursor=cursor, limit=limit, column=column, terms=terms, rank_all=rank_all
        )
    oldest_first = oldest_first or sort == "oldest"
    if cursor is not None:
        qs = qs.extra(where=[f"{column} {'>' if oldest_first else '<'} %s"], params=[cursor])
    rows = list(qs.extra(order_by=[column if oldest_first else f"-{column}"])[: limit + 1])
    return page_of(rows, limit=limit, token=lambda last: last.sort_key)


def page_of(rows: list[Video], *, limit: int, token: Callable[[Video], int | str]) -> Page:
    """The first `limit` of `rows` (read one more than that): the row past them says that
    there is a next page, from the last one shown (`token` makes its cursor)."""
    if len(rows) > limit:
        return Page(items=rows[:limit], next_token=token(rows[limit - 1]))
    return Page(items=rows, next_token=None)


def fetch_views_page(
    qs: QuerySet[Video],
    *,
    cursor: int | tuple[int, int] | None,
    limit: int,
    column: str,
    rank_all: bool = False,
) -> Page:
    """Most viewed first, ties (and hidden counts, as -1, last) newest first: a keyset page on
    the index video_views_sort ((views, sort_key); video_channel_views within a channel).

    The cursor is the last row's (views, sort_key) as they were when the page was read. A page
    is exact for counts that do not move. A count that grows past the cursor between requests
    moves its video into the part already read: that scroll does not show it. A video already
    shown comes again only if its count falls below the cursor's (YouTube rarely lowers one).

    `rank_all`: the filters leave few videos (a short date range): sort them all instead, with
    an expression no index matches, so that neither engine walks the views index.
    """
    views_sql = f"({VIEWS_SQL} + 0)" if rank_all else VIEWS_SQL

    def ordered(part: QuerySet[Video], *, tie: bool = False) -> QuerySet[Video]:
        # Within a tie the count is one value: ordered by it too, SQLite sorted the tie.
        order = [f"-{column}"] if tie else ["-views_rank", f"-{column}"]
        return part.extra(select={"views_rank": views_sql}, order_by=order)

    if not isinstance(cursor, tuple):
        rows = list(ordered(qs)[: limit + 1])
    else:
        views, key = cursor
        # Two seeks of the index instead of one OR-ed range: the rest of the cursor's tie
        # (views = v, older keys), then, if the page is not full, the lower counts. The OR-ed
        # range walked a tie from its top: 500 ms at 1M for a page deep in a large tie (hidden
        # or unknown counts are all -1). A row value comparison is not served by an expression
        # index on SQLite.
        rest_of_tie = qs.extra(where=[f"{views_sql} = %s AND {column} < %s"], params=[views, key])
        rows = list(ordered(rest_of_tie, tie=True)[: limit + 1])
        if len(rows) <= limit:
            lower = qs.extra(where=[f"{views_sql} < %s"], params=[views])
            rows += list(ordered(lower)[: limit + 1 - len(rows)])
    return page_of(rows, limit=limit, token=lambda last: f"{last.views_rank}_{last.sort_key}")


def fetch_relevance_page(
    qs: QuerySet[Video],
    *,
    cursor: int | tuple[int, int] | None,
    limit: int,
    column: str,
    terms: list[str] | None,
    rank_all: bool = False,
) -> Page:
    """Best match first among the newest search.RELEVANCE_CANDIDATES matches (filters
    included), ties newest first. Two statements: the candidates' keys and scores (one walk of
    the search in feed order, stopped at the bound), then the page's videos.

    `rank_all` (SQLite, filters that keep few videos: the search probes the index per video):
    the candidates' texts instead of their scores, scored by feed.ranking.

    The cursor is (the newest candidate's sort key when the walk began, how many were shown):
    later pages rank the same candidates, so videos that arrive meanwhile do not shift them (a
    new walk ranks them). Its offset is within the bounded set, so a page costs the same at
    any depth; past the bound there is nothing more: the end says so.
    """
    top, shown = cursor if isinstance(cursor, tuple) else (None, 0)
    if top is not None:
        qs = qs.extra(where=[f"{column} <= %s"], params=[top])
    if rank_all:
        rows = qs.extra(select={"candidate_key": column}, order_by=[f"-{column}"]).values_list(
            "pk", "candidate_key", "title", "description"
        )[: search.RELEVANCE_CANDIDATES]
        texts = {pk: (key, title, description) for pk, key, title, description in rows}
        scores = ranking.scores(texts.values(), terms or [])
        candidates = [(pk, key, scores[key]) for pk, (key, _, _) in texts.items()]
        higher_first = True
    else:
        score_sql, score_params, higher_first = search.relevance_score(terms or [])
        candidates = list(
            qs.extra(
                select={"relevance_score": score_sql, "candidate_key": column},
                select_params=score_params,
                order_by=[f"-{column}"],
            ).values_list("pk", "candidate_key", "relevance_score")[: search.RELEVANCE_CANDIDATES]
        )
    if not candidates:
        return Page(items=[], next_token=None)
    top = top if top is not None else candidates[0][1]
    sign = -1 if higher_first else 1
    candidates.sort(key=lambda row: (sign * row[2], -row[1]))
    chosen = [pk for pk, _, _ in candidates[shown : shown + limit]]
    by_pk = {video.pk: video for video in qs.model.objects.filter(pk__in=chosen)}
    items = [by_pk[pk] for pk in chosen if pk in by_pk]
    more = shown + limit < len(candidates)
    return Page(items=items, next_token=f"{top}_{shown + limit}" if more else None)
