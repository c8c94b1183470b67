"""The production configuration end to end: collectstatic, then the Procfile's web command
(gunicorn, DEBUG=0) on a free port, spoken to over plain HTTP as the platform's router does."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.paas import ROOT, expand, procfile, production_env
from tests.fixtures.processes import free_port, run_manage

pytestmark = pytest.mark.skipif(
    "postgres" in os.environ.get("DATABASE_URL", ""), reason="runs on its own SQLite files"
)

HTTPS = {"X-Forwarded-Proto": "https"}  # what the platform's proxy adds after ending TLS


@dataclass
class Server:
    port: int
    env: dict[str, str]
    static_root: Path
    log: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
        response = connection.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        connection.close()
        return response


def web_env(tmp: Path, *, port: int, **extra: str) -> dict[str, str]:
    """The documented production environment on SQLite files in `tmp`, serving on `port`."""
    return production_env(
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        HUEY_SQLITE_PATH=str(tmp / "huey.sqlite3"),
        STATIC_ROOT=str(tmp / "static"),
        PORT=str(port),
        **extra,
    )


@contextmanager
def running_web(env: dict[str, str], *, port: int, tmp: Path) -> Iterator[Server]:
    """The Procfile's web process with `env`, answering /healthz, until the block ends."""
    log = tmp / "web.log"
    with log.open("w") as out:
        web = subprocess.Popen(
            expand(procfile()["web"], env), cwd=ROOT, env=env, stdout=out, stderr=out
        )
    server = Server(port=port, env=env, static_root=tmp / "static", log=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                server.get("/healthz")
                break
            except OSError:
                assert web.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        yield server
    finally:
        web.terminate()
        web.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("production")
    port = free_port()
    env = web_env(tmp, port=port, WEB_CONCURRENCY="1")
    for args in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = run_manage(*args, env=env)
        assert result.returncode == 0, result.stderr
    with running_web(env, port=port, tmp=tmp) as server:
        yield server


def test_it_answers_the_health_probe_over_plain_http(server):
    response = server.get("/healthz")
    assert response.status == 200  # not a 301 to https: SECURE_REDIRECT_EXEMPT
    assert json.loads(response.body) == {"status": "ok"}


def test_it_redirects_plain_http_pages_to_https(server):
    response = server.get("/admin/login/")
    assert response.status == 301
    assert response.headers["Location"] == "https://127.0.0.1/admin/login/"
    assert "Strict-Transport-Security" not in response.headers  # only ever sent over https


def test_it_sends_the_security_headers_over_https(server):
    response = server.get("/admin/login/", HTTPS)
    assert response.status == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    cookies = response.headers.get_all("Set-Cookie") or []
    assert cookies and all("Secure" in cookie for cookie in cookies)


def test_it_serves_hashed_static_files_with_far_future_caching(server):
    manifest = json.loads((server.static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["admin/css/base.css"]
    assert hashed != "admin/css/base.css"
    # Pages link the hashed name, so a deploy changes the URL and no cache serves stale files.
    assert f"/static/{hashed}".encode() in server.get("/admin/login/", HTTPS).body

    response = server.get(f"/static/{hashed}", {**HTTPS, "Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert response.headers["Content-Encoding"] == "gzip"  # compressed at collectstatic

    unhashed = server.get("/static/admin/css/base.css", HTTPS)
    assert unhashed.status == 200
    assert "immutable" not in unhashed.headers["Cache-Control"]


def test_it_answers_an_unknown_url_with_the_404_page_not_a_debug_page(server):
    response = server.get("/no/such/page", HTTPS)
    assert response.status == 404
    body = response.body.decode()
    assert "Using the URLconf" not in body and "Traceback" not in body
    assert response.headers["Content-Type"].startswith("text/html")
    if (ROOT / "templates" / "404.html").exists():
        # The project's page, in the site's layout (its stylesheet is a hashed static file).
        assert "Page not found" in body
        assert "/static/" in body


def test_it_logs_one_line_per_event_on_stdout(server):
    server.get("/healthz?logged=1")
    time.sleep(0.5)  # gunicorn writes the access line after the response
    lines = server.log.read_text().splitlines()
    assert any("gunicorn.error Listening at" in line for line in lines)
    assert any("gunicorn.access" in line and "/healthz?logged=1" in line for line in lines)
    # Every line is an event of ours: timestamp, level, logger. No stray tracebacks.
    assert all(line[:4].isdigit() for line in lines), lines


def test_it_passes_check_deploy_with_the_documented_env(server):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=server.env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
