"""The youtube_simulator management command: demo mode's simulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from simulator import fingerprint
from tests.fixtures.simulator import SIMULATOR_KEY, search, youtube_client

PROJECT = Path(__file__).resolve().parents[2]


def test_it_serves_from_the_management_command():
    command = [sys.executable, "manage.py", "youtube_simulator", "--port", "0"]
    command += ["--queries", "football", "--history-hours", "0.5"]
    env = {**os.environ, "DEBUG": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        lines = [process.stdout.readline(), process.stdout.readline()]
        url = lines[1].strip().removeprefix("Point the app at it: YOUTUBE_API_ENDPOINT=")
        page = search(youtube_client(url))
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)

    assert url.startswith("http://127.0.0.1:")
    assert len(page["items"]) == 50
    assert f"{fingerprint(SIMULATOR_KEY)} search.list: calls=1" in output
    assert SIMULATOR_KEY not in output
