"""videos.list: details and counts of up to 50 videos by id; unknown and removed ids are simply
left out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from simulator import params, shapes
from simulator.catalog import Catalog
from simulator.clock import to_second


def answer(
    query: dict[str, str],
    *,
    catalog: Catalog,
    now: datetime,
    truncate: bool,
    etag: Callable[[], str],
) -> dict[str, Any]:
    parts = params.parts(query.get("part"), allowed=params.VIDEO_PARTS)
    ids = params.video_ids(query.get("id"))
    now_second = to_second(now)
    found = (catalog.find(i, through=now_second) for i in ids)
    # Removed videos are left out like unknown ids: no error, as YouTube does.
    rows = [row for row in found if row and catalog.visibility.listed(row, at=now_second)]
    if truncate:
        rows = rows[: len(rows) // 2]
    items = [shapes.video_item(catalog.video(row), parts=parts, now=now) for row in rows]
    return {
        "kind": "youtube#videoListResponse",
        "etag": etag(),
        "items": items,
        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
    }
