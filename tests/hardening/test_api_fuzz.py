"""Schema fuzzing: requests generated from /api/v1/openapi.json, valid and invalid, for every
operation and parameter. No 5xx, every response as the document says, every 400 the JSON error.

Bounded by default (FUZZ_EXAMPLES examples per operation and mode, 40 unless set); a longer run:
`FUZZ_EXAMPLES=2000 DEBUG=1 .venv/bin/pytest tests/hardening/test_api_fuzz.py`.
"""

from __future__ import annotations

import gzip
import os
from datetime import timedelta

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.transport import Response

from feed import store
from feed.models import Video
from tests.fixtures.videos import T0, FakeSnippet

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
# (operation, mode): health has no parameters, so no request to it can be invalid.
CASES = [
    ("listVideos", GenerationMode.POSITIVE),
    ("listVideos", GenerationMode.NEGATIVE),
    ("searchVideos", GenerationMode.POSITIVE),
    ("searchVideos", GenerationMode.NEGATIVE),
    ("listChanges", GenerationMode.POSITIVE),
    ("listChanges", GenerationMode.NEGATIVE),
    ("health", GenerationMode.POSITIVE),
]


def call(case, client) -> Response:
    """Send a generated case through Django's test client (inside the test's transaction, on
    either database) and hand schemathesis the answer as its own Response to check."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        params=kwargs.get("params"),
        headers=kwargs.get("headers"),
    ).prepare()
    path = prepared.path_url
    answer = client.generic(prepared.method, path, headers=dict(prepared.headers))
    content = answer.content
    if answer.get("Content-Encoding") == "gzip":
        # The generated requests accept gzip, and the API compresses: decoded here, as an HTTP
        # client (schemathesis' own transport, requests) does before its checks see the body.
        content = gzip.decompress(content)
    return Response(
        status_code=answer.status_code,
        headers={name: [value] for name, value in answer.headers.items()},
        content=content,
        request=prepared,
        elapsed=0.0,
        message=answer.reason_phrase,
        encoding="utf-8",
        http_version="1.1",
        verify=True,
    )


@pytest.fixture
def api_schema(client) -> schemathesis.BaseSchema:
    # The document as the API serves it, not as the code builds it.
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(response.json())


@pytest.fixture
def seeded(add_videos) -> None:
    """Videos that exercise every field: ties in one second, HTML in text, every live state,
    two queries, so that fuzzed filters and cursors have something to page through."""
    add_videos(
        *(
            FakeSnippet(
                published_at=T0 + timedelta(seconds=i // 3),
                title=f'How to make tea? <b>{i}</b> & "chai" ⚽',
                description="<script>alert(1)</script> Café" if i % 2 else "",
                channel_id=f"UCchannel{i % 4}",
                channel_title="Chai & Cricket",
                live=("none", "live", "upcoming")[i % 3],
            )
            for i in range(30)
        ),
        query="tea",
    )
    add_videos(5, query="football", published_at=T0 - timedelta(days=400))
    # Removals and an edit in the change log: its entries come in both shapes.
    removed = list(Video.objects.order_by("pk").values_list("youtube_id", flat=True)[:4])
    store.record_details({}, asked=removed, now=T0)
    add_videos(FakeSnippet(youtube_id=removed[0], title="Renamed"))


def cursor_fits_sort(query: dict) -> bool:
    token, sort = query.get("sync_token"), query.get("sort")
    if token is None or str(token) == "0":
        return True
    return ("_" in str(token)) == (sort in ("views", "relevance")) and (
        sort != "relevance" or bool(query.get("q"))
    )


def check_error_body(response) -> None:
    if response.status_code == 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"param", "message"}, body
        assert body["error"]["message"], body


@pytest.mark.parametrize(("operation_id", "mode"), CASES, ids=[f"{o}-{m}" for o, m in CASES])
def test_it_answers_every_generated_request_as_documented(
    client, api_schema, seeded, operation_id, mode
):
    operation = api_schema.find_operation_by_id(operation_id)
    strategy = operation.as_strategy(generation_mode=mode)
    seen: dict[int, int] = {}

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=not os.environ.get("FUZZ_RANDOM"),  # reproducible in CI unless asked
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, _=st.just(None))
    def fuzz(case, _) -> None:
        if mode == GenerationMode.POSITIVE:
            # The one dependency between parameters that a schema cannot say: a cursor belongs
            # to its sort (a 400 otherwise, tests/feed/test_sort_by_views.py).
            assume(cursor_fits_sort(case.query or {}))
        response = call(case, client)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.text
        case.validate_response(response)
        check_error_body(response)

    fuzz()
    if operation_id != "health":
        if mode == GenerationMode.NEGATIVE:
            assert 400 in seen, seen
        else:
            # The generator reached the API's logic, not only its front door. (Not asked of
            # negative cases: a 200 among them is luck, an invalid value the API ignores, and
            # with 40 of them the draws of other tests in the same process decided it.)
            assert 200 in seen, seen
