"""What a request may ask: the two methods, and each parameter read or refused with a 400."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from simulator import shapes

SEARCH = "search.list"
VIDEOS = "videos.list"
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 5
ROUTES = {"/youtube/v3/search": SEARCH, "/youtube/v3/videos": VIDEOS}
SEARCH_PARTS = frozenset({"id", "snippet"})
VIDEO_PARTS = frozenset({"id", "snippet", "contentDetails", "statistics"})


class ApiError(Exception):
    """A 4xx about the request's parameters, raised where the parameter is read."""

    def __init__(self, shape: tuple[int, dict[str, Any]]) -> None:
        super().__init__(shape[0])
        self.answer = shapes.error_answer(shape)


def parts(value: str | None, *, allowed: frozenset[str]) -> set[str]:
    if not value:
        raise ApiError(
            shapes.parameter_error(
                reason="required", message="Required parameter: part", location="part"
            )
        )
    asked = {part.strip() for part in value.split(",") if part.strip()}
    unknown = sorted(asked - allowed)
    if unknown:
        raise ApiError(
            shapes.parameter_error(
                reason="unknownPart",
                message=f"'{unknown[0]}'",
                location="part",
                domain="youtube.part",
            )
        )
    return asked


def page_size(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_PAGE_SIZE
    size = int(value) if value.isdigit() else -1
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise ApiError(
            shapes.parameter_error(
                reason="invalid",
                message=f"Invalid value '{value}'. Values must be within the range: [0, 50]",
                location="maxResults",
            )
        )
    return size


def timestamp(params: dict[str, str], *, name: str) -> datetime | None:
    value = params.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        field_name = re.sub(r"([A-Z])", r"_\1", name).lower()
        raise ApiError(
            shapes.parameter_error(
                reason="invalid",
                message=f"Invalid value at '{field_name}' "
                f"(type.googleapis.com/google.protobuf.Timestamp), Field '{name}', "
                "Invalid time format: Failed to parse input",
                location=name,
            )
        )
    return moment


def video_ids(value: str | None) -> list[str]:
    """The `id` parameter of videos.list: up to 50 ids, duplicates dropped, order kept."""
    ids = list(dict.fromkeys(i.strip() for i in (value or "").split(",") if i.strip()))
    if not ids:
        raise ApiError(
            shapes.parameter_error(
                reason="missingRequiredParameter",
                message="No filter selected. Expected one of: myRating, id, chart",
                location="parameters.",
                domain="youtube.parameter",
            )
        )
    if len(ids) > MAX_PAGE_SIZE:
        raise ApiError(
            shapes.parameter_error(
                reason="invalidFilters",
                message="The request specifies an invalid filter parameter.",
                location="id",
                domain="youtube.parameter",
            )
        )
    return ids
