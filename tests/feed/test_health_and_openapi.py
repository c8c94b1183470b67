from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from feed.filters import VideoFilter
from tests.fixtures.videos import FakeSnippet, api_get

ROOT = Path(__file__).resolve().parents[2]


def test_it_reports_a_healthy_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_reports_an_unreachable_database_as_503():
    # A real connection attempt to a port where no database listens.
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": "postgres://postgres@127.0.0.1:9/none"}
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='localhost').get('/healthz');"
        "print(r.status_code, r.content.decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    # The last line: logs go to stdout too.
    status, body = out.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    assert json.loads(body)["status"] == "error"


def test_it_documents_every_parameter_the_api_accepts(client, db):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    operation = document["paths"]["/api/v1/youtube/videos"]["get"]
    documented = {p["name"] for p in operation["parameters"]}
    assert documented == set(VideoFilter.base_filters) | {"sync_token", "limit", "sort"}


def test_it_documents_the_exact_video_shape(client, add_videos):
    add_videos(FakeSnippet())
    document = client.get("/api/v1/openapi.json").json()
    schema = document["components"]["schemas"]["Video"]
    video = api_get(client)["videos"][0]
    assert set(video) == set(schema["properties"]) == set(schema["required"])
    page = document["components"]["schemas"]["Page"]
    assert set(api_get(client)) == set(page["required"])
