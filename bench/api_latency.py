"""API latency at 10k and 1M videos on SQLite, through the production server (gunicorn).

Not a test: it prints a table and asserts nothing. Usage:
    python bench/api_latency.py [--sizes 10000 1000000] [--requests 300]
Datasets are built once with `seed_videos --seed 1` into bench/data/ and reused.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
PYTHON = sys.executable


def database(size: int) -> Path:
    path = DATA / f"videos-{size}.sqlite3"
    if path.exists() and count_rows(path) >= size:
        # A dataset built before a migration gets it (0008 fills the change log from the
        # videos); nothing to do takes a second.
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment(path), check=True
        )
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    for stale in DATA.glob(f"videos-{size}.sqlite3*"):
        stale.unlink()
    env = environment(path)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [PYTHON, "manage.py", "seed_videos", "--count", str(size), "--seed", "1"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return path


def count_rows(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM feed_video").fetchone()[0]
    except sqlite3.Error:
        return 0


def environment(path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        "DEBUG": "0",
        # A throwaway key for this run only: never written anywhere.
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: no TLS proxy in front to redirect to.
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        # One client measuring as fast as it can: no per-client limits.
        "RATE_LIMITS": "0",
        # The status page is a benchmark case: served to anonymous clients whatever the mode.
        "STATUS_PUBLIC": "1",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(path: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "dashboard.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
        cwd=ROOT,
        env=environment(path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start within 30 s")


# The "safe in public" review's costly searches: 100 one-letter accented variants of "a" in
# 199 characters (100 prefix terms before words were folded: 2.1 s on PostgreSQL at 200k).
ACCENTED_A = " ".join("àáâãäåāăąạảấầẩẫậắằẳẵặǎǟǡǻȁȃȧ" * 4)[:199]


def cases(path: Path) -> dict[str, dict[str, str]]:
    """The request of each case, chosen from the data itself."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        total = db.execute("SELECT count(*) FROM feed_video").fetchone()[0]
        deep = db.execute(
            "SELECT sort_key FROM feed_video ORDER BY sort_key DESC LIMIT 1 OFFSET ?",
            (int(total * 0.9),),
        ).fetchone()[0]
        # The rarest word of the long tail (the vocabulary scan takes a few seconds at 1M).
        db.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, feed_video_fts, row)")
        rare = db.execute(
            "SELECT term FROM temp.vocab WHERE length(term) >= 6 ORDER BY doc, term LIMIT 1"
        ).fetchone()[0]
        channel = db.execute("SELECT channel_id FROM feed_video LIMIT 1").fetchone()[0]
    return {
        "first page": {},
        "page after 90%": {"sync_token": str(deep)},
        "common word (football)": {"q": "football"},
        f"rare word ({rare})": {"q": rare},
        "two-word partial (tea ho)": {"q": "tea ho"},
        "long prefix (highlig)": {"q": "highlig"},
        "100 accented variants of a": {"q": ACCENTED_A},
        "eight one-letter words": {"q": "a b c d e f g h"},
        "modifier letter (ʻukulele)": {"q": "ʻukulele"},
        "channel filter": {"channel": channel},
        "search + channel + deep cursor": {
            "q": "match",
            "channel": channel,
            "sync_token": str(deep),
        },
    }


def measure(port: int, params: dict[str, str], requests: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    url = "/api/v1/youtube/videos?" + urlencode(params)
    timings = []
    for i in range(requests + 20):
        started = time.perf_counter()
        connection.request("GET", url)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"{url} answered {response.status}")
        if i >= 20:  # the first requests warm both workers and the page cache
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    results: dict[int, dict[str, tuple[float, float, float]]] = {}
    for size in args.sizes:
        path = database(size)
        port = free_port()
        server = start_server(path, port)
        try:
            results[size] = {}
            for name, params in cases(path).items():
                t = measure(port, params, args.requests)
                key = name.split(" (")[0]
                results[size][key] = (
                    statistics.median(t),
                    percentile(t, 0.95),
                    percentile(t, 0.99),
                )
                print(
                    f"{size:>9,} {name:<34} median {results[size][key][0]:6.2f} ms  "
                    f"p95 {results[size][key][1]:6.2f} ms  p99 {results[size][key][2]:6.2f} ms",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait()
    smallest, largest = min(results), max(results)
    print(
        "\n| case | " + " | ".join(f"{s:,} p95 ms" for s in sorted(results)) + " | growth (p95) |"
    )
    print("|---|" + "---|" * len(results) + "---|")
    for case in results[smallest]:
        row = [f"{results[s][case][1]:.2f}" for s in sorted(results)]
        growth = results[largest][case][1] / results[smallest][case][1]
        print(f"| {case} | " + " | ".join(row) + f" | {growth:.2f}x |")


if __name__ == "__main__":
    main()
