"""The youtube_simulator management command: demo mode's simulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from feed.management.commands.youtube_simulator import Command
from simulator import DEFAULT_INDEX_LAG, NO_LAG, SimulatorConfig, fingerprint
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


def config_for(*args: str) -> SimulatorConfig:
    """The SimulatorConfig the command builds from these command-line arguments."""
    command = Command()
    options = command.create_parser("manage.py", "youtube_simulator").parse_args(args)
    return command.build_config(vars(options))


def test_it_serves_the_realistic_youtube_by_default():
    config = config_for()

    assert config.index_lag == DEFAULT_INDEX_LAG
    assert config.removal_share == SimulatorConfig().removal_share > 0


def test_it_turns_the_index_lag_off_and_sets_the_removal_share():
    config = config_for("--no-index-lag", "--removal-share", "0.25")

    assert config.index_lag == NO_LAG
    assert config.removal_share == 0.25
    assert config_for("--removal-share", "0").removal_share == 0


def test_it_says_what_is_wrong_with_a_removal_share():
    with pytest.raises(CommandError, match="removal_share is a share in"):
        config_for("--removal-share", "2")
