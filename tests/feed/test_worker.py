"""The worker end to end: run_huey and the simulator as real processes, on a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.fixtures.processes import ROOT, free_port, manage


def api(env: dict[str, str], query: str = "") -> dict:
    code = (
        "from django.test import Client;"
        f"print(Client(HTTP_HOST='localhost').get('/api/v1/youtube/videos?{query}').content.decode())"
    )
    return json.loads(manage("shell", "-c", code, env=env).strip().splitlines()[-1])


@pytest.mark.skipif(
    "postgres" in os.environ.get("DATABASE_URL", ""), reason="runs on its own SQLite files"
)
def test_run_huey_polls_the_simulator_and_videos_reach_the_api(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HUEY_SQLITE_PATH": str(tmp_path / "huey.sqlite3"),
        "YOUTUBE_API_ENDPOINT": f"http://127.0.0.1:{port}",
        "YOUTUBE_QUERIES": "football,cricket",
        "REDIS_URL": "",
    }
    manage("migrate", "-v0", env=env)
    simulator = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "youtube_simulator",
            "--port",
            str(port),
            "--history-hours",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # What the once-a-minute scheduler does, without waiting for the minute to turn.
        manage(
            "shell",
            "-c",
            "from feed.tasks import schedule_polls; schedule_polls.call_local()",
            env=env,
        )
        deadline = time.monotonic() + 60
        payload: dict = {"videos": []}
        while time.monotonic() < deadline:
            payload = api(env, "query=cricket&limit=5")
            if payload["videos"] and api(env, "query=football&limit=1")["videos"]:
                break
            time.sleep(1)
        assert len(payload["videos"]) == 5
        assert payload["videos"][0]["queries"] == ["cricket"]
        assert worker.poll() is None, "the worker died"
    finally:
        worker.terminate()
        simulator.terminate()
        worker.wait(timeout=20)
        simulator.wait(timeout=20)
