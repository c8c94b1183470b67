"""Kill test: the worker and the foreground poller are SIGKILLed in the middle of polls, several
times, against a simulator whose answers are slow; after a restart the data is complete, nothing
is stored twice, and both SQLite files (Django's and SqliteHuey's) pass PRAGMA integrity_check.

Real processes, real files, as tests/feed/test_worker.py. KILL_TEST_KILLS sets the kill count.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulator import NO_LAG, Simulator, SimulatorConfig
from tests.fixtures.processes import ROOT, free_port, manage

KILLS = int(os.environ.get("KILL_TEST_KILLS", "3"))
SEED = 11
KEY = "kill-test-fake-key-0123456789"

pytestmark = pytest.mark.skipif(
    "postgres" in os.environ.get("DATABASE_URL", ""), reason="runs on its own SQLite files"
)


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def wait_for(condition, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_it_survives_sigkill_mid_poll_with_complete_consistent_data(tmp_path):
    rng = random.Random(SEED)
    db, huey_db = tmp_path / "db.sqlite3", tmp_path / "huey.sqlite3"
    port = free_port()
    start = datetime.now(UTC).replace(microsecond=0)
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{db}",
        "HUEY_SQLITE_PATH": str(huey_db),
        "REDIS_URL": "",
        "YOUTUBE_API_KEYS": KEY,
        "YOUTUBE_API_ENDPOINT": f"http://127.0.0.1:{port}",
        "YOUTUBE_QUERIES": "football",
        "YOUTUBE_DAILY_QUOTA": "1000000",
        "YOUTUBE_NUM_RETRIES": "0",
        "FETCH_MAX_PAGES": "6",
        "FETCH_INITIAL_LOOKBACK_HOURS": "1",
    }
    manage("migrate", "-v0", env=env)
    manage("shell", "-c", "from feed import services; services.sync_configured_queries()", env=env)
    # Half the answers take 0.4 s: a poll of ~9 pages takes seconds, so a kill lands mid-walk.
    simulator = spawn(
        "youtube_simulator",
        *("--port", str(port), "--seed", str(SEED), "--history-hours", "1"),
        *("--start", start.isoformat(), "--queries", "football"),
        # An instant world (no index lag, no removals): every published video must be stored.
        *("--no-index-lag", "--removal-share", "0"),
        *("--fault-rate", "0.5", "--fault-kinds", "slow", "--slow-seconds", "0.4"),
        env=env,
    )
    kills_mid_poll = 0
    try:
        assert wait_for(lambda: _listening(port), seconds=20), "the simulator did not start"
        for n in range(KILLS):
            # The first kill hits run_huey polling (its startup tick schedules a poll at once);
            # after it, its poll lease holds the query for POLL_LEASE_SECONDS, so the others hit
            # the same poll run in the foreground by fetch_videos.
            args = ("run_huey", "--workers", "1") if n == 0 else ("fetch_videos",)
            before = rows(db, "SELECT COUNT(*) FROM feed_fetchrun")[0][0]
            process = spawn(*args, env=env)
            started = wait_for(
                lambda b=before: rows(db, "SELECT COUNT(*) FROM feed_fetchrun")[0][0] > b,
                seconds=30,
            )
            assert started, f"{args[0]} never started a poll"
            time.sleep(rng.uniform(0.3, 1.5))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            unfinished = rows(db, "SELECT COUNT(*) FROM feed_fetchrun WHERE finished_at IS NULL")
            kills_mid_poll = unfinished[0][0]
        assert kills_mid_poll == KILLS, "a kill came after its poll had finished"

        # A restart: polls in the foreground until the walk state has no gap left.
        for _ in range(20):
            manage("fetch_videos", env=env, timeout=120)
            gaps, covered = rows(db, "SELECT gaps, covered_until FROM feed_searchquery")[0]
            if json.loads(gaps) == []:
                break
        else:
            pytest.fail(f"gaps left after 20 polls: {gaps}")
    finally:
        simulator.terminate()
        simulator.wait(timeout=20)

    stored = dict(rows(db, "SELECT youtube_id, sort_key FROM feed_video"))
    assert (
        len(stored)
        == len(set(stored.values()))
        == rows(db, "SELECT COUNT(*) FROM feed_video")[0][0]
    )
    covered_until = datetime.fromisoformat(covered).replace(tzinfo=UTC)
    config = SimulatorConfig(
        seed=SEED,
        queries=("football",),
        history_hours=1,
        start=start,
        index_lag=NO_LAG,
        removal_share=0,
    )
    sim = Simulator(config, clock=lambda: datetime.now(UTC))
    published_by_then = {i for i, _ in sim.published("football", until=covered_until)}
    missing = published_by_then - set(stored)
    assert len(published_by_then) > 300
    assert not missing, f"{len(missing)} of {len(published_by_then)} missing after {KILLS} kills"
    assert set(stored) <= {i for i, _ in sim.published("football")}
    for path in (db, huey_db):
        assert rows(path, "PRAGMA integrity_check") == [("ok",)], path
    # The full-text index holds each video exactly once (its triggers ran in the same
    # transactions as the rows).
    assert rows(db, "SELECT COUNT(*) FROM feed_video_fts")[0][0] == len(stored)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
