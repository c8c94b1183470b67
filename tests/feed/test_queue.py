"""The SQLite queue opened at first use: the web boots without it, the worker says why it cannot.

A full disk is reproduced here by a queue file that cannot be created (its directory does not
exist): SQLite fails to open it the same way, at the same place. The README says how a real full
disk (a full tmpfs) was tried by hand.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feed import queue
from tests.fixtures.processes import ROOT, free_port, manage

pytestmark = pytest.mark.skipif(
    "postgres" in os.environ.get("DATABASE_URL", ""), reason="runs on its own SQLite files"
)


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HUEY_SQLITE_PATH": str(tmp_path / "no-such-directory" / "huey.sqlite3"),
        "REDIS_URL": "",
    }


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    return connection.getresponse().status


def test_the_web_boots_and_serves_when_the_queue_file_cannot_be_opened(tmp_path):
    env = environment(tmp_path)
    manage("migrate", "-v0", env=env)  # every management command sets Django up too
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dashboard.wsgi", "--config", "gunicorn.conf.py"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status = get(port, "/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "the web server did not start in 30 s"
                time.sleep(0.2)
        assert status == 200
        assert get(port, "/api/v1/youtube/videos") == 200
        assert get(port, "/") == 200
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert "Worker failed to boot" not in server.stderr.read()


def test_the_worker_refuses_to_start_with_one_line_that_says_why(tmp_path):
    env = environment(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "run_huey", "--workers", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("worker not started: the task queue's file ")
    assert env["HUEY_SQLITE_PATH"] in last and "HUEY_SQLITE_PATH" in last
    assert "Traceback" not in result.stderr


def test_the_queue_file_is_created_at_its_first_use(tmp_path):
    path = tmp_path / "huey.sqlite3"
    huey = queue.SqliteHuey("test", filename=str(path))
    assert not path.exists()  # constructing it (django.setup() does) opens nothing
    huey.put("answer", 42)
    assert path.exists()
    # Another process's instance, its schema not created by itself, reads it there.
    assert queue.SqliteHuey("test", filename=str(path)).get("answer") == 42
