"""Scale-out on PostgreSQL + Redis: two worker processes (both running huey's periodic scheduler,
the worst case) poll the YouTube simulator together, with extra ticks and polls piled on.

Each video is stored once, no query is ever polled by two workers at once, and the scheduler's
ticks never schedule the same stretch of time twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dj_database_url
import psycopg
import pytest

from simulator import NO_LAG, Simulator, SimulatorConfig
from tests.deploy.paas import ROOT
from tests.fixtures.processes import run_manage

QUERIES = ("football", "cricket", "tennis")
REDIS_TEST_DB = 13  # not the suite's (CI uses 15): this test flushes it
TICK = re.compile(r"scheduler tick: (\d+) polls scheduled from (\S+) to (\S+)")


def postgres_settings() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        pytest.skip("scale-out runs on PostgreSQL + Redis: set DATABASE_URL and REDIS_URL")
    return dj_database_url.parse(url)


def connect(db: dict, name: str) -> psycopg.Connection:
    return psycopg.connect(
        dbname=name,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        autocommit=True,
        connect_timeout=3,
    )


@pytest.fixture
def database() -> Iterator[tuple[str, dict]]:
    """A fresh PostgreSQL database of its own, dropped afterwards: (its URL, its settings)."""
    db = postgres_settings()
    name = f"feed_scale_{uuid.uuid4().hex[:12]}"
    try:
        admin = connect(db, "postgres")
    except psycopg.OperationalError as e:
        pytest.skip(f"PostgreSQL is not reachable: {e}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            auth = f"{db['USER']}:{db['PASSWORD']}@" if db["PASSWORD"] else f"{db['USER']}@"
            yield f"postgres://{auth}{db['HOST']}:{db['PORT'] or 5432}/{name}", {**db, "NAME": name}
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    import redis

    base = (
        os.environ["REDIS_URL"].rsplit("/", 1)[0]
        if "/" in os.environ["REDIS_URL"][8:]
        else (os.environ["REDIS_URL"])
    )
    url = f"{base}/{REDIS_TEST_DB}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()
    except redis.RedisError as e:
        pytest.skip(f"Redis is not reachable: {e}")
    return url


def consumer(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--workers", "3", "--worker-type", "thread"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_two_consumers_poll_every_query_once_at_a_time_and_store_each_video_once(
    database, redis_url, tmp_path
):
    db_url, db = database
    # An instant world (no index lag, no removals): every published video must be stored.
    simulator = Simulator(
        SimulatorConfig(
            seed=5,
            queries=QUERIES,
            history_hours=1,
            daily_quota=10**9,
            index_lag=NO_LAG,
            removal_share=0,
        )
    )
    with simulator.serve() as endpoint:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "YOUTUBE_API_ENDPOINT": endpoint,
            "YOUTUBE_QUERIES": ",".join(QUERIES),
            "FETCH_INTERVAL_SECONDS": "2",
            "YOUTUBE_DAILY_QUOTA": str(10**9),
            "LOG_LEVEL": "INFO",
        }
        result = run_manage("migrate", "-v0", env=env)
        assert result.returncode == 0, result.stderr
        logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
        workers = [consumer(env, log) for log in logs]
        try:
            # On top of both consumers' own ticks: what more schedulers and a flushed-then-
            # refilled queue would add, all at once.
            pile_on = (
                "from feed.tasks import poll, schedule_polls\n"
                "from feed.models import SearchQuery\n"
                "for _ in range(4):\n"
                "    schedule_polls()\n"
                "    for pk in SearchQuery.objects.values_list('pk', flat=True):\n"
                "        poll(pk)\n"
            )
            time.sleep(1)
            result = run_manage("shell", "-c", pile_on, env=env)
            assert result.returncode == 0, result.stderr
            with connect(db, db["NAME"]) as conn:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    done = conn.execute(
                        "SELECT count(DISTINCT query_id) FROM feed_fetchrun "
                        "WHERE finished_at IS NOT NULL AND new_videos = 0 AND error = ''"
                    ).fetchone()[0]
                    if done == len(QUERIES):  # every query has caught up with the stream
                        break
                    time.sleep(0.5)
                time.sleep(3)  # a few more rounds of polls, with new videos arriving
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGINT)  # graceful: running polls finish
            for worker in workers:
                worker.wait(timeout=30)
        output = [log.read_text() for log in logs]

        with connect(db, db["NAME"]) as conn:
            runs = conn.execute(
                "SELECT q.text, r.started_at, r.finished_at, r.error FROM feed_fetchrun r "
                "JOIN feed_searchquery q ON q.id = r.query_id ORDER BY q.text, r.started_at"
            ).fetchall()
            stored = conn.execute(
                "SELECT q.text, v.youtube_id FROM feed_video v "
                "JOIN feed_video_queries l ON l.video_id = v.id "
                "JOIN feed_searchquery q ON q.id = l.searchquery_id"
            ).fetchall()
            videos = conn.execute("SELECT count(*), count(DISTINCT youtube_id) FROM feed_video")
            total, distinct = videos.fetchone()
            gaps = conn.execute("SELECT text, gaps FROM feed_searchquery").fetchall()

    # No query polled by two workers at once: a query's runs never overlap.
    # A poll that raised leaves its run unfinished; the log line has the traceback (escaped).
    errors = [line[:3000] for text in output for line in text.splitlines() if " ERROR " in line]
    assert errors == []
    assert all(finished for _, _, finished, _ in runs), "a poll was cut off"
    assert [error for *_, error in runs if error] == []
    for query in QUERIES:
        spans = [(start, end) for text, start, end, _ in runs if text == query]
        assert len(spans) >= 3, f"{query} polled {len(spans)} times"
        for (_, previous_end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= previous_end, f"two polls of {query} overlapped"

    # Every video stored once, and every video of the simulator's stream up to the last poll.
    assert total == distinct
    assert total == len({youtube_id for _, youtube_id in stored})
    assert all(not g for _, g in gaps), gaps
    for query in QUERIES:
        last_start = max(start for text, start, _, _ in runs if text == query)
        expected = {vid for vid, _ in simulator.published(query, until=last_start)}
        have = {vid for text, vid in stored if text == query}
        assert expected <= have, f"{query}: {len(expected - have)} videos missed"
        assert have <= {vid for vid, _ in simulator.published(query)}

    # The ticks (two consumers' startup and periodic ones, four more) scheduled disjoint
    # stretches of time: no poll was scheduled twice.
    ticks = sorted(
        (datetime.fromisoformat(start), datetime.fromisoformat(end))
        for text in output
        for _, start, end in TICK.findall(text)
    )
    attempts = sum(
        text.count("scheduler tick:") + text.count("polls not scheduled") for text in output
    )
    assert attempts >= 8, output
    assert ticks, output
    for (_, previous_end), (start, _) in zip(ticks, ticks[1:], strict=False):
        assert start >= previous_end, f"two ticks scheduled the same time: {ticks}"
    # Both consumers did the work.
    assert all("polled '" in text for text in output), output
