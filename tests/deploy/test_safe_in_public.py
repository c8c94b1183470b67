"""The web process as the Procfile runs it (gunicorn, DEBUG=0, two worker processes) under the
attacks of the "safe in public" review, on loopback and bounded in time: slow clients, floods
past the rate limits, password guessing."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from tests.deploy.test_production import HTTPS, Server, running_web, web_env
from tests.fixtures.processes import free_port, run_manage

pytestmark = pytest.mark.skipif(
    "postgres" in __import__("os").environ.get("DATABASE_URL", ""),
    reason="runs on its own SQLite files",
)

REQUEST_TIMEOUT = 4  # WEB_REQUEST_TIMEOUT of this server, seconds


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("public")
    port = free_port()
    env = web_env(
        tmp,
        port=port,
        WEB_CONCURRENCY="2",
        WEB_REQUEST_TIMEOUT=str(REQUEST_TIMEOUT),
        RATE_LIMITS="1",
        RATE_LIMIT_API="5/m",
        RATE_LIMIT_GRID="off",
        RATE_LIMIT_STATUS="off",
        LOGIN_FAILURE_LIMIT="3",
    )
    for args in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = run_manage(*args, env=env)
        assert result.returncode == 0, result.stderr
    create = "from django.contrib.auth.models import User; User.objects.create_superuser(" + (
        "'admin', 'a@example.com', 'correct horse battery staple')"
    )
    assert run_manage("shell", "-c", create, env=env).returncode == 0
    with running_web(env, port=port, tmp=tmp) as server:
        yield server


def test_ten_slow_clients_hold_no_normal_request_until_they_are_dropped(server):
    # Each sends one header byte a second and never finishes: with sync workers two such
    # clients stopped the site until gunicorn's 30 s timeout.
    slow = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(10)]
    closed_after: list[float] = []
    started = time.monotonic()

    def drip(sock: socket.socket) -> None:
        try:
            for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 50:
                sock.send(bytes([byte]))
                time.sleep(1)
        except OSError:
            closed_after.append(time.monotonic() - started)

    drippers = [threading.Thread(target=drip, args=(s,), daemon=True) for s in slow]
    for thread in drippers:
        thread.start()
    time.sleep(1)
    latencies = []
    while time.monotonic() - started < REQUEST_TIMEOUT - 0.5:
        before = time.monotonic()
        assert server.get("/?q=tea", HTTPS).status == 200  # the grid: not rate-limited here
        latencies.append(time.monotonic() - before)
        time.sleep(0.1)
    assert len(latencies) >= 5
    # Held by them, a request would wait until the server drops them (REQUEST_TIMEOUT); half of
    # that leaves room for a loaded machine (1.19 s seen on one running four suites at once).
    assert max(latencies) < REQUEST_TIMEOUT / 2, latencies
    # The server closes them once WEB_REQUEST_TIMEOUT has passed (checked about once a second).
    for thread in drippers:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
    assert len(closed_after) == 10
    assert all(REQUEST_TIMEOUT - 1 <= t <= REQUEST_TIMEOUT + 4 for t in closed_after), closed_after
    for sock in slow:
        sock.close()


def test_a_request_sent_in_pieces_within_the_timeout_is_answered(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for piece in (b"GET /healthz HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"\r\n"):
            sock.sendall(piece)
            time.sleep(0.3)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_flood_gets_429_with_retry_after_past_the_limit(server):
    # 5 a minute per process without Redis (two processes here): 10 at most get through.
    statuses, refused = [], None
    for _ in range(12):
        response = server.get("/api/v1/youtube/videos?limit=1", HTTPS)
        statuses.append(response.status)
        if response.status == 429:
            refused = response
    assert 5 <= statuses.count(200) <= 10, statuses
    assert refused is not None
    assert 1 <= int(refused.getheader("Retry-After")) <= 60
    assert refused.getheader("Content-Type") == "application/json"
    assert json.loads(refused.body)["error"]["message"].startswith("too many requests")
    assert server.get("/healthz", HTTPS).status == 200  # never limited


def post_login(server: Server, password: str) -> http.client.HTTPResponse:
    page = server.get("/admin/login/", HTTPS)
    assert page.status == 200, (page.status, page.body[:300])
    cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie")).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    form = {"username": "admin", "password": password, "next": "/admin/"}
    body = urlencode({**form, "csrfmiddlewaretoken": token.decode()})
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {
        **HTTPS,
        "Host": "127.0.0.1",
        "Referer": "https://127.0.0.1/admin/login/",
        "Cookie": f"csrftoken={cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    connection.request("POST", "/admin/login/", body=body, headers=headers)
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def test_password_guessing_is_locked_out_across_worker_processes(server):
    # Each guess is a new connection, taken by either of the two processes: the count is in
    # the database, so every process sees it.
    assert [post_login(server, f"guess {n}").status for n in range(2)] == [200, 200]
    assert post_login(server, "guess 3").status == 429
    for _ in range(4):
        locked = post_login(server, "correct horse battery staple")
        assert locked.status == 429
        assert b"locked" in locked.body.lower()
