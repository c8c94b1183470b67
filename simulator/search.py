"""search.list: one page of a date-ordered walk, and the page tokens that carry the walk on."""

from __future__ import annotations

import base64
import hashlib
import itertools
import struct
from collections.abc import Callable
from typing import Any

from simulator import params, shapes, streams
from simulator.catalog import Catalog
from simulator.config import SimulatorConfig
from simulator.hashing import b64


def answer(
    query: dict[str, str],
    *,
    catalog: Catalog,
    config: SimulatorConfig,
    now_second: int,
    truncate: bool,
    etag: Callable[[], str],
) -> dict[str, Any]:
    parts = params.parts(query.get("part"), allowed=params.SEARCH_PARTS)
    page_size = params.page_size(query.get("maxResults"))
    after = params.timestamp(query, name="publishedAfter")
    before = params.timestamp(query, name="publishedBefore")
    offset, snapshot = read_token(query.get("pageToken"), config=config, now_second=now_second)

    low, high = catalog.window(since=after, until=before, high=snapshot)
    found = catalog.ranges(
        catalog.streams_for_search(q=query.get("q"), kind=query.get("type")), low=low, high=high
    )
    # Approximate, as YouTube's is: it counts what the index does not show yet.
    total = streams.total(found)
    # Offsets count the rows this walk's snapshot shows, so every page of a walk sees one list.
    visible = (
        row for row in streams.newest_first(found) if catalog.visibility.in_search(row, at=snapshot)
    )
    limit = config.max_walk_results
    stop = min(offset + page_size, limit)
    # One row past the page, lazily: whether another visible row exists within the limit.
    window = list(itertools.islice(visible, offset, stop + 1))
    rows = window[: max(0, stop - offset)]
    if truncate and rows:
        rows = rows[: len(rows) // 2]  # a short page that still says "there is more"
        more = True
    else:
        more = page_size > 0 and offset + len(rows) < limit and len(window) > len(rows)

    response: dict[str, Any] = {"kind": "youtube#searchListResponse", "etag": etag()}
    if more:
        response["nextPageToken"] = make_token(offset + len(rows), snapshot=snapshot, config=config)
    if offset > 0:
        previous = max(0, offset - page_size)
        response["prevPageToken"] = make_token(previous, snapshot=snapshot, config=config)
    response["regionCode"] = query.get("regionCode") or config.region_code
    response["pageInfo"] = {"totalResults": min(total, 1_000_000), "resultsPerPage": page_size}
    response["items"] = [
        shapes.search_item(catalog.video(row), with_snippet="snippet" in parts) for row in rows
    ]
    return response


def make_token(offset: int, *, snapshot: int, config: SimulatorConfig) -> str:
    # Offset plus the walk's "now", so later pages of one walk see the same list.
    payload = struct.pack(">IQ", offset, snapshot)
    return b64(payload + _mac(payload, seed=config.seed))


def read_token(token: str | None, *, config: SimulatorConfig, now_second: int) -> tuple[int, int]:
    """(offset, snapshot second) of a token this simulator issued; (0, now) without one."""
    if not token:
        return 0, now_second
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raw = b""
    payload, mac = raw[:12], raw[12:]
    if len(raw) != 16 or mac != _mac(payload, seed=config.seed):
        raise params.ApiError(shapes.ERRORS["invalidPageToken"])
    offset, snapshot = struct.unpack(">IQ", payload)
    if offset > config.max_walk_results:
        raise params.ApiError(shapes.ERRORS["invalidPageToken"])
    return offset, min(snapshot, now_second)


def _mac(payload: bytes, *, seed: int) -> bytes:
    key = f"page-token:{seed}".encode()[:64]
    return hashlib.blake2b(payload, key=key, digest_size=4).digest()
