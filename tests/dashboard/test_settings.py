from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "dashboard.settings", **env},
        capture_output=True,
        text=True,
    )


def test_it_refuses_to_start_without_secret_key_in_production():
    result = start(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_generates_a_development_key_with_a_warning():
    result = start(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("value", ["yes please", "2", "maybe"])
def test_it_rejects_an_unclear_debug_value(value):
    result = start(DEBUG=value, SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "DEBUG must be" in result.stderr


def test_it_uses_wal_and_immediate_transactions_on_sqlite(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings")
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 5000


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("FETCH_INTERVAL_SECONDS", "0", "must be at least 1"),
        ("FETCH_MAX_PAGES", "many", "must be an integer"),
        ("YOUTUBE_DAILY_QUOTA", "-5", "must be at least 1"),
    ],
)
def test_it_names_a_bad_number_setting(name, value, says):
    result = start(DEBUG="1", **{name: value})
    assert result.returncode != 0
    assert f"{name} {says}" in result.stderr


@pytest.mark.parametrize("value", ["300", "300/minute", "0/m", "-1/m", "3/0m", "fast"])
def test_it_rejects_a_rate_limit_that_is_not_a_rate(value):
    result = start(DEBUG="1", RATE_LIMIT_API=value)
    assert result.returncode != 0
    assert "RATE_LIMIT_API must be a rate like 300/m" in result.stderr


@pytest.mark.parametrize("value", ["300/m", "10/5m", "1/s", "5000/d", "off", "OFF"])
def test_it_accepts_a_rate_limit_or_off(value):
    result = start(DEBUG="1", RATE_LIMIT_API=value)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "public"),
    [
        ({}, "True"),  # demo mode: no keys
        ({"YOUTUBE_API_KEYS": "a-key"}, "False"),
        ({"YOUTUBE_API_KEYS": "a-key", "STATUS_PUBLIC": "1"}, "True"),
        ({"STATUS_PUBLIC": "0"}, "False"),
    ],
)
def test_the_status_page_is_public_by_default_in_demo_mode_only(env, public):
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.STATUS_PUBLIC)"
    clean = {k: v for k, v in os.environ.items() if k not in ("YOUTUBE_API_KEYS", "STATUS_PUBLIC")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "dashboard.settings", "DEBUG": "1", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == public


def test_it_names_an_unclear_status_public_value():
    result = start(DEBUG="1", STATUS_PUBLIC="staff")
    assert result.returncode != 0
    assert "STATUS_PUBLIC must be" in result.stderr
