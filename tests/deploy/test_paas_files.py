"""The Procfile and app.json: what a Heroku-style platform runs must exist and start."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib

import pytest
from django.core.management import get_commands, load_command_class
from gunicorn.config import Config

from tests.deploy.paas import ROOT, app_json, expand, procfile, production_env
from tests.fixtures.processes import run_manage

SETTINGS_SOURCE = (ROOT / "dashboard" / "settings.py").read_text()


def test_it_declares_web_worker_and_release():
    assert set(procfile()) == {"web", "worker", "release"}


def test_it_serves_the_wsgi_app_with_gunicorn_on_the_platform_port():
    words = expand(procfile()["web"], {"PORT": "5123", "WEB_CONCURRENCY": "3"})
    assert words[0] == "gunicorn"
    # gunicorn's own parser: an unknown or misspelt flag fails here, as it would on the dyno.
    options = Config().parser().parse_args(words[1:])
    assert options.args == ["dashboard.wsgi"]
    assert importlib.util.find_spec("dashboard.wsgi") is not None
    assert options.bind == ["0.0.0.0:5123"]
    assert options.workers == 3
    assert (ROOT / options.config).is_file()
    assert options.accesslog == "-"


@pytest.mark.parametrize(("process", "command"), [("worker", "run_huey"), ("release", "migrate")])
def test_it_runs_manage_py_commands_that_exist_with_options_they_take(process, command):
    words = expand(procfile()[process], {})
    assert words[:3] == ["python", "manage.py", command]
    app = get_commands()[command]
    # The command's own parser: it exits on an option the command does not have.
    parser = load_command_class(app, command).create_parser("manage.py", command)
    parser.parse_args(words[3:])


def test_it_lets_the_worker_finish_its_polls_when_the_platform_stops_it():
    # Heroku sends SIGTERM, then SIGKILL 30 s later: TERM must be the graceful signal, and the
    # wait shorter than the platform's.
    words = expand(procfile()["worker"], {})
    assert words[words.index("--graceful-signal") + 1] == "TERM"
    assert float(words[words.index("--shutdown-timeout") + 1]) < 30


def test_app_json_asks_for_the_documented_env():
    env = app_json()["env"]
    assert env["SECRET_KEY"]["generator"] == "secret"
    assert env["YOUTUBE_API_KEYS"]["required"] is True
    assert env["YOUTUBE_QUERIES"]["value"] == "football"
    assert env["DEBUG"]["value"] == "0"
    for name, spec in env.items():
        assert spec.get("description"), f"{name} has no description"


def test_app_json_names_only_variables_the_app_reads():
    # A misspelt name would be set on the platform and silently ignored.
    procfile_text = (ROOT / "Procfile").read_text()
    for name in app_json()["env"]:
        assert f'"{name}"' in SETTINGS_SOURCE or f"${{{name}" in procfile_text, name


def test_app_json_provisions_postgresql_redis_and_both_processes():
    spec = app_json()
    plans = {addon["plan"] if isinstance(addon, dict) else addon for addon in spec["addons"]}
    assert {"heroku-postgresql", "heroku-redis"} <= plans
    # The add-ons set DATABASE_URL and REDIS_URL, the names settings.py reads.
    assert {"DATABASE", "REDIS"} == {addon["as"] for addon in spec["addons"]}
    assert 'env("DATABASE_URL"' in SETTINGS_SOURCE
    assert 'env("REDIS_URL")' in SETTINGS_SOURCE
    assert set(spec["formation"]) == {"web", "worker"} <= set(procfile())
    assert spec["formation"]["worker"]["quantity"] >= 1
    assert spec["buildpacks"] == [{"url": "heroku/python"}]


def test_the_python_version_file_names_a_version_the_project_supports():
    version = (ROOT / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", version), "the buildpack wants a major version, e.g. 3.11"
    minimum = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert minimum == f">={version}"
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == version, (
        "the tests run on another Python than the one deployed"
    )


def test_a_deploy_with_app_json_defaults_passes_check_deploy(tmp_path):
    defaults = {name: spec["value"] for name, spec in app_json()["env"].items() if "value" in spec}
    env = production_env(
        **defaults,
        YOUTUBE_API_KEYS="AIza-test-key",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # What the Heroku Redis add-on sets: TLS, self-signed.
        REDIS_URL="rediss://:password@redis.example.com:6380",
    )
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
