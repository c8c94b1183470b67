"""Lighthouse's four scores for the dashboard's pages, on desktop and mobile.

Not a test: it prints a table and asserts nothing. Lighthouse is not part of the project (an npm
package): install it once in a scratch directory outside the repository and point at it:

    (mkdir -p /tmp/lh && cd /tmp/lh && npm install lighthouse)
    DEBUG=1 .venv/bin/python bench/lighthouse.py --lighthouse /tmp/lh/node_modules/.bin/lighthouse

By default it serves the demo as `make run` does (runserver, DEBUG=1, demo mode, the static files
straight from static/) over a fresh SQLite database of `seed_videos --count 2000 --seed 1`, on a
free loopback port; `--production` serves it as the Procfile does instead (gunicorn, DEBUG=0,
collected static files with WhiteNoise's pre-compressed copies). `--url` measures a server that
is already running. Chromium: CHROME_PATH, default /usr/bin/chromium.

Each page and form factor runs `--runs` times (default 3) and the table shows the median run's
scores (by performance), with the lowest and highest performance score of the runs: on a shared
2-core machine one run's Total Blocking Time moves with the load, and Lighthouse itself advises
the median of several runs.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import TypedDict

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
# "{channel}": the channel of the newest video, asked of the server's API once it answers.
PATHS = ["/", "/?q=tea+how", "/channel/{channel}", "/status"]
FORM_FACTORS = ["desktop", "mobile"]
# What counts in a score but is not a score: shown beside the table, so a lost point has a cause.
METRICS = {
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
}


class Run(TypedDict):
    scores: dict[str, int]
    metrics: dict[str, str]
    failing: list[str]
    error: str | None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lighthouse", default=os.environ.get("LIGHTHOUSE", "lighthouse"))
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--production", action="store_true", help="gunicorn and DEBUG=0")
    parser.add_argument("--paths", nargs="+", default=PATHS)
    parser.add_argument("--form-factors", nargs="+", default=FORM_FACTORS, choices=FORM_FACTORS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=2000, help="videos to seed")
    args = parser.parse_args()

    lighthouse = shutil.which(args.lighthouse) or args.lighthouse
    if not Path(lighthouse).exists():
        sys.exit(
            f"Lighthouse not found ({args.lighthouse}): `npm install lighthouse` in a scratch "
            "directory outside the repository, then pass --lighthouse "
            "DIR/node_modules/.bin/lighthouse (or set LIGHTHOUSE)."
        )
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as scratch:
        if args.url:
            base, server = args.url.rstrip("/"), None
        else:
            base, server = start_server(Path(scratch), count=args.count, production=args.production)
        try:
            channel = newest_channel(base)
            rows = [
                (
                    path.format(channel=channel),
                    form,
                    [
                        lighthouse_run(
                            lighthouse, base + path.format(channel=channel), form, Path(scratch)
                        )
                        for _ in range(args.runs)
                    ],
                )
                for path in args.paths
                for form in args.form_factors
            ]
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=10)
    print_table(rows, mode="production" if args.production else "demo", runs=args.runs)


def newest_channel(base: str) -> str:
    with urllib.request.urlopen(base + "/api/v1/youtube/videos?limit=1", timeout=10) as answer:
        videos = json.load(answer)["videos"]
    return videos[0]["channel_id"] if videos else "none"


def environment(scratch: Path, *, production: bool) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{scratch / 'db.sqlite3'}",
        "HUEY_SQLITE_PATH": str(scratch / "huey.sqlite3"),
        "DEBUG": "0" if production else "1",
        "LOG_LEVEL": "WARNING",
        # Lighthouse loads each page a few times a run: no per-client limits.
        "RATE_LIMITS": "0",
        "STATUS_PUBLIC": "1",
    }
    env.pop("YOUTUBE_API_KEYS", None)  # demo mode: the pages say so, as `make run`'s do
    if production:
        env.update(
            {
                # A throwaway key for this run only: never written anywhere.
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1",
                # Plain HTTP on loopback: no TLS proxy in front to redirect to.
                "SECURE_SSL_REDIRECT": "0",
                "STATIC_ROOT": str(scratch / "static"),
            }
        )
    return env


def start_server(
    scratch: Path, *, count: int, production: bool
) -> tuple[str, subprocess.Popen[bytes]]:
    env = environment(scratch, production=production)

    def manage(*command: str) -> None:
        subprocess.run(
            [PYTHON, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    manage("migrate", "-v0")
    manage("seed_videos", "--count", str(count), "--seed", "1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if production:
        manage("collectstatic", "--noinput", "-v0")
        command = [
            PYTHON,
            "-m",
            "gunicorn",
            "dashboard.wsgi",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ]
    else:
        command = [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return base, server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.terminate()
                sys.exit(f"the server did not answer on {base}: {' '.join(command)}")
            time.sleep(0.3)


def lighthouse_run(lighthouse: str, url: str, form: str, scratch: Path) -> Run:
    report = scratch / "report.json"
    command = [
        lighthouse,
        url,
        "--output=json",
        f"--output-path={report}",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox",
    ]
    if form == "desktop":
        command.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not report.exists():
        return Run(scores={}, metrics={}, failing=[], error=done.stderr.strip()[-200:])
    result = json.loads(report.read_text())
    report.unlink()
    audits = result["audits"]
    error = result.get("runtimeError", {}).get("code")
    counted = {
        ref["id"]
        for category in result["categories"].values()
        for ref in category["auditRefs"]
        if ref.get("weight")
    }
    return Run(
        scores={
            name: round(100 * (result["categories"][name]["score"] or 0)) for name in CATEGORIES
        },
        metrics={label: audits[key].get("displayValue", "") for key, label in METRICS.items()},
        failing=sorted(
            key
            for key in counted
            if audits[key].get("score") is not None and audits[key]["score"] < 1
        ),
        error=error,
    )


def print_table(rows: list[tuple[str, str, list[Run]]], *, mode: str, runs: int) -> None:
    print(f"Lighthouse, {mode} server, median of {runs} run(s) (performance: lowest-highest)\n")
    print(
        "| page | form factor | performance | accessibility | best practices | SEO | "
        + " | ".join(METRICS.values())
        + " | audits below 1 (median run) |"
    )
    print("|---|---|---|---|---|---|" + "---|" * len(METRICS) + "---|")
    for path, form, results in rows:
        good = [r for r in results if r["scores"] and not r["error"]]
        if not good:
            errors = "; ".join(str(r["error"]) for r in results)
            print(f"| `{path}` | {form} | failed: {errors} |")
            continue
        ordered = sorted(good, key=lambda r: r["scores"]["performance"])
        median = ordered[(len(ordered) - 1) // 2]
        performance = [r["scores"]["performance"] for r in good]
        spread = f" ({min(performance)}-{max(performance)})" if len(good) > 1 else ""
        cells = [
            f"{median['scores']['performance']}{spread}",
            *(str(median["scores"][name]) for name in CATEGORIES[1:]),
            *(median["metrics"][label] for label in METRICS.values()),
            ", ".join(median["failing"]) or "none",
        ]
        skipped = len(results) - len(good)
        failures = "; ".join(str(r["error"]) for r in results if r not in good)
        note = f" ({skipped} run(s) failed: {failures})" if skipped else ""
        print(f"| `{path}` | {form}{note} | " + " | ".join(cells) + " |")
    medians = [
        statistics.median([r["scores"]["performance"] for r in res if r["scores"]])
        for _, _, res in rows
        if any(r["scores"] for r in res)
    ]
    if medians:
        print(f"\nlowest median performance: {min(medians):g}")


if __name__ == "__main__":
    main()
