"""The HTTP layer: serves a Simulator's answers on a local port, logging keys only as
fingerprints."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.youtube import Simulator

logger = logging.getLogger("simulator")

_KEY_IN_URL = re.compile(r"(?<=[?&]key=)[^&\s\"']+")


def fingerprint(key: str) -> str:
    """A stable name for an API key that reveals nothing of it: use it in logs and reports."""
    # The same formula as feed.youtube.fingerprint, so log lines on both sides line up.
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:8]


def redact(text: str) -> str:
    """Replace every `key=...` in a URL or log line with the key's fingerprint."""
    return _KEY_IN_URL.sub(lambda match: fingerprint(match.group()), text)


def make_server(
    simulator: Simulator, *, host: str = "127.0.0.1", port: int = 0
) -> ThreadingHTTPServer:
    handler = type("SimulatorHandler", (_Handler,), {"simulator": simulator})
    return _Server((host, port), handler)


@contextmanager
def serve(simulator: Simulator, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve in a background thread; yields the URL to use as the client's api_endpoint."""
    server = make_server(simulator, host=host, port=port)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
        name="youtube-simulator",
        daemon=True,
    )
    thread.start()
    try:
        yield server_url(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up mid-answer (a timeout during a slow fault) is not news.
        logger.debug("connection error while answering", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    simulator: Simulator
    server_version = "youtube-simulator"
    sys_version = ""

    def do_GET(self) -> None:
        # Looked up on the instance on every request: a test may wrap `simulator.handle`.
        answer = self.simulator.handle(self.path)
        if answer.delay_seconds:
            time.sleep(answer.delay_seconds)
        if answer.body is None:
            self.close_connection = True  # hang up without a status line
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line carries ?key=...: log only its fingerprint.
        logger.debug("%s %s", self.address_string(), redact(format % args))
