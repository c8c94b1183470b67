"""The integer sync_token cursor: keyset pages over Video.sort_key, never OFFSET, never COUNT."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from feed.models import Video

MAX_TOKEN = 2**63 - 1
DIGITS = re.compile(r"[0-9]{1,19}")


class BadParameter(Exception):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Video]
    next_token: int | None


def parse_token(raw: str | None) -> int | None:
    """The cursor from a request. Absent and 0 (the original clients' "latest") mean none."""
    if raw is None:
        return None
    if not DIGITS.fullmatch(raw) or int(raw) > MAX_TOKEN:
        raise BadParameter(
            "sync_token", "must be the integer sync_token of a previous response (or 0)"
        )
    return int(raw) or None


def parse_since(raw: str | None) -> int:
    """The change-log position from a request (GET .../changes): absent and 0 mean the start."""
    if raw is None:
        return 0
    if not DIGITS.fullmatch(raw) or int(raw) > MAX_TOKEN:
        raise BadParameter("since", "must be the integer since of a previous response (or 0)")
    return int(raw)


def parse_limit(raw: str | None) -> int:
    if raw is None:
        return settings.API_DEFAULT_LIMIT
    maximum = settings.API_MAX_LIMIT
    if not DIGITS.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise BadParameter("limit", f"must be an integer from 1 to {maximum}")
    return int(raw)


def fetch_page(
    qs: QuerySet[Video], *, cursor: int | None, limit: int, column: str, oldest_first: bool = False
) -> Page:
    """One page of the videos after `cursor` (a sort key) in feed order: newest first, or
    oldest first. `column` holds the sort key in the query (VideoFilter.order_column).

    One row more than asked tells whether anything further exists, so the last page says
    `next_token=None` without a COUNT.
    """
    if cursor is not None:
        qs = qs.extra(where=[f"{column} {'>' if oldest_first else '<'} %s"], params=[cursor])
    rows = list(qs.extra(order_by=[column if oldest_first else f"-{column}"])[: limit + 1])
    if len(rows) > limit:
        return Page(items=rows[:limit], next_token=rows[limit - 1].sort_key)
    return Page(items=rows, next_token=None)
