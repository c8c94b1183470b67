"""Read-while-write: readers hit the API (and the dashboard, once it exists) through gunicorn while
a writer process ingests batches of videos as the worker does. 0 errors, 0 "database is locked".

SQLite (a WAL file of its own) always; PostgreSQL too when DATABASE_URL points at one (a
database of its own, dropped afterwards). RWW_SECONDS sets how long the writer writes.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT, free_port, manage

SECONDS = float(os.environ.get("RWW_SECONDS", "6"))
READERS = 6

WRITER = """
import time, random
from datetime import UTC, datetime, timedelta
from feed import store
from feed.models import SearchQuery
from tests.fixtures.videos import FakeSnippet
query = SearchQuery.objects.get_or_create(text="football")[0]
rng = random.Random(5)
end = time.monotonic() + {seconds}
batches = 0
t0 = datetime(2026, 11, 28, tzinfo=UTC)
while time.monotonic() < end:
    snippets = [
        FakeSnippet(
            youtube_id=f"rww{{batches:05d}}{{i:03d}}",
            published_at=t0 + timedelta(seconds=rng.randint(0, 86400)),
            title=f"tea ho football {{rng.random()}}",
        )
        for i in range(50)
    ]
    store.upsert_videos(snippets, query=query)
    # Re-poll an older batch too, as a walk's overlap does: updates as well as inserts.
    if batches:
        store.upsert_videos(snippets[:10], query=query)
    batches += 1
print("BATCHES", batches)
"""


def read_forever(base: str, paths: list[str], stop: threading.Event, results: list) -> None:
    rng = random.Random(threading.get_ident())
    token = 0
    while not stop.is_set():
        path = rng.choice(paths).format(token=token)
        try:
            with urllib.request.urlopen(base + path, timeout=15) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as e:
            body, status = e.read(), e.code
        except OSError as e:
            body, status = str(e).encode(), 0
        results.append((status, b"database is locked" in body, path))
        if status == 200 and path.startswith("/api") and b'"sync_token": ' in body:
            tail = body.rsplit(b'"sync_token": ', 1)[1].rstrip(b"}")
            token = int(tail) if tail.isdigit() else 0


def run_readers_during_writes(env: dict[str, str]) -> dict[str, int]:
    manage("migrate", "-v0", env=env, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "dashboard.wsgi",
            *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"),
            *("--config", "/dev/null"),  # not the project's gunicorn.conf.py: its own settings
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    paths = [
        "/api/v1/youtube/videos?limit=50",
        "/api/v1/youtube/videos?limit=20&sync_token={token}",
        "/api/v1/youtube/videos?q=tea+ho&limit=24",
        "/api/v1/youtube/videos?q=foot&sync_token={token}",
        "/api/v1/youtube/videos?query=football&published_after=2026-11-28T06:00:00Z",
        "/healthz",
    ]
    results: list = []
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        from django.urls import NoReverseMatch, reverse

        with contextlib.suppress(NoReverseMatch):  # the dashboard has not landed yet
            paths += [reverse("dashboard-grid") + "?q=tea", reverse("dashboard-grid")]
        readers = [
            threading.Thread(target=read_forever, args=(base, paths, stop, results))
            for _ in range(READERS)
        ]
        for reader in readers:
            reader.start()
        out = manage("shell", "-c", WRITER.format(seconds=SECONDS), env=env, timeout=SECONDS + 60)
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
    finally:
        stop.set()
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    batches = int(out.split("BATCHES")[1].split()[0])
    errors = [r for r in results if r[0] != 200]
    locked = [r for r in results if r[1]] + (
        ["server log"] if b"database is locked" in stderr else []
    )
    assert batches > 10, "the writer barely wrote"
    assert len(results) > 50, "the readers barely read"
    assert not errors, errors[:5]
    assert not locked, locked[:5]
    return {"reads": len(results), "batches written": batches, "errors": 0, "locked": 0}


def test_readers_never_fail_while_the_worker_writes_sqlite(tmp_path: Path, capsys):
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "HUEY_SQLITE_PATH": str(tmp_path / "huey.sqlite3"),
    }
    figures = run_readers_during_writes(env)
    with capsys.disabled():
        print(f"\nread-while-write, SQLite: {figures}")


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="DATABASE_URL is not PostgreSQL"
)
def test_readers_never_fail_while_the_worker_writes_postgresql(capsys):
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    name = f"feed_rww_{os.getpid()}"
    admin = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    try:
        figures = run_readers_during_writes({**os.environ, "DEBUG": "1", "DATABASE_URL": url})
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with capsys.disabled():
        print(f"\nread-while-write, PostgreSQL: {figures}")
