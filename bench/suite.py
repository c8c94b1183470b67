"""The full benchmark (issue 6): API and dashboard latency and throughput through gunicorn, the
SQL and framework floors, the naive baseline, ingest, reading while writing, growth; on SQLite
and, with --pg, on PostgreSQL. Not a test: it writes markdown tables and asserts nothing.

    python bench/suite.py                          # 10k, 100k, 1M on SQLite, 3 repeats
    python bench/suite.py --sizes 10000 --repeats 1 --duration 2        # a quick look
    python bench/suite.py --pg postgres://postgres@127.0.0.1:5432       # PostgreSQL too

Datasets: bench/data/videos-N.sqlite3 and PostgreSQL databases bench_feed_N, built once by
`seed_videos --count N --seed 1` and reused (the 1M ones take 7-10 minutes each to build).
Ingest and read-while-write run on a scratch copy of the largest dataset, deleted afterwards.
Everything listens on 127.0.0.1; every subprocess and load run has a time limit.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_latency  # noqa: E402  -- dataset building, environment, free ports

ROOT = api_latency.ROOT
PYTHON = api_latency.PYTHON
RESULTS = ROOT / "bench" / "results"
API = "/api/v1/youtube/videos?"
CHANGES = "/api/v1/youtube/changes?"
FLOOR_VIEW = "/bench/floor"
WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {%(headers)s})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{"requests": %%d, "us": %%d, "bytes": %%d, "p50": %%f, "p95": %%f, "p99": %%f, ' ..
    '"max": %%f, "socket_errors": %%d, "status_errors": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


# ---------------------------------------------------------------- datasets and servers


class Backend:
    """Where a dataset lives: a SQLite file in bench/data, or a PostgreSQL database."""

    def __init__(self, *, name: str, pg_base: str | None = None) -> None:
        self.name = name
        self.pg_base = (pg_base or "").rstrip("/")

    def url(self, size: int | str) -> str:
        if self.name == "sqlite":
            return f"sqlite:///{api_latency.DATA / f'videos-{size}.sqlite3'}"
        return f"{self.pg_base}/bench_feed_{size}"

    def ensure(self, size: int) -> str:
        if self.name == "sqlite":
            api_latency.database(size)
            return self.url(size)
        if scalar(self.url(size), "SELECT count(*) FROM feed_video", fail=0) < size:
            psql(f"DROP DATABASE IF EXISTS bench_feed_{size}", base=self.pg_base)
            psql(f"CREATE DATABASE bench_feed_{size}", base=self.pg_base)
            env = environment(self.url(size))
            run([PYTHON, "manage.py", "migrate", "-v0"], env=env, timeout=600)
            seed = ["manage.py", "seed_videos", "--count", str(size), "--seed", "1"]
            run([PYTHON, *seed], env=env, timeout=3600)
        else:
            # Built before a migration: it gets it (0008 fills the change log from the videos).
            run(
                [PYTHON, "manage.py", "migrate", "-v0"],
                env=environment(self.url(size)),
                timeout=600,
            )
        return self.url(size)

    def scratch_copy(self, size: int) -> tuple[str, Any]:
        """A throwaway copy of a dataset, and how to delete it."""
        if self.name == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="bench-"))
            source = api_latency.DATA / f"videos-{size}.sqlite3"
            for suffix in ("", "-wal"):
                if Path(f"{source}{suffix}").exists():
                    shutil.copyfile(f"{source}{suffix}", folder / f"copy.sqlite3{suffix}")
            return f"sqlite:///{folder / 'copy.sqlite3'}", lambda: shutil.rmtree(folder)
        psql("DROP DATABASE IF EXISTS bench_feed_scratch", base=self.pg_base)
        psql(f"CREATE DATABASE bench_feed_scratch TEMPLATE bench_feed_{size}", base=self.pg_base)
        return self.url("scratch"), lambda: psql(
            "DROP DATABASE IF EXISTS bench_feed_scratch", base=self.pg_base
        )


def psql(sql: str, *, base: str) -> None:
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as db:
        db.execute(sql)


def scalar(url: str, sql: str, params: tuple = (), *, fail: Any = None) -> Any:
    """One value from the dataset, read with the plain driver."""
    try:
        if url.startswith("sqlite:///"):
            import sqlite3

            with sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True) as db:
                return db.execute(sql, params).fetchone()[0]
        import psycopg

        with psycopg.connect(url) as db:
            return db.execute(sql.replace("?", "%s"), params).fetchone()[0]
    except Exception:
        if fail is None:
            raise
        return fail


# The production storage serves hashed static files from STATIC_ROOT: collected once per run.
STATIC_ROOT = Path(tempfile.gettempdir()) / "bench-static"


def environment(url: str) -> dict[str, str]:
    env = api_latency.environment(Path("unused"))
    env["DATABASE_URL"] = url
    env["STATIC_ROOT"] = str(STATIC_ROOT)
    return env


def collect_static() -> None:
    command = [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"]
    run(command, env=environment("sqlite:///unused.sqlite3"), timeout=120)


def run(command: list[str], *, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(
        command, cwd=ROOT, env=env, timeout=timeout, check=True, stdout=subprocess.PIPE
    )
    return done.stdout.decode()


class Server:
    """gunicorn, 2 workers, the production settings, on a free loopback port."""

    def __init__(self, url: str, log: Path) -> None:
        self.port = api_latency.free_port()
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "bench.floor_wsgi:application", "-w", "2"]
                + ["-b", f"127.0.0.1:{self.port}"],
                cwd=ROOT,
                env=environment(url),
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the server did not start within 30 s (see {log})")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    # Long enough for the status page's first computation on a fresh 1M dataset, where every
    # video was first seen within the day (seconds; later views read the cache).
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read()


# ---------------------------------------------------------------- the cases


def cases(url: str, size: int) -> dict[str, dict[str, Any]]:
    """Each case: its request and the naive baseline's equivalent. Words and channels come
    from the SQLite dataset of the same size (same seed, same text); cursors from `url`."""
    sqlite = api_latency.database(size)
    picked = api_latency.cases(sqlite)
    rare = next(p["q"] for name, p in picked.items() if name.startswith("rare word"))
    channel = picked["channel filter"]["channel"]
    deep = scalar(
        url,
        "SELECT sort_key FROM feed_video ORDER BY sort_key DESC LIMIT 1 OFFSET ?",
        (int(size * 0.9),),
    )
    deep_offset = int(size * 0.9) + 1  # the page after the row at 90%
    # A follower's position: 90% into the change log (seed_videos logs each video once).
    since = scalar(
        url, "SELECT id FROM feed_change ORDER BY id LIMIT 1 OFFSET ?", (int(size * 0.9),)
    )
    # The most-viewed walk's cursor at 90% (issue 14): "<views>_<sort key>".
    deep_views = scalar(
        url,
        "SELECT COALESCE(view_count, -1) || '_' || sort_key FROM feed_video"
        " ORDER BY COALESCE(view_count, -1) DESC, sort_key DESC LIMIT 1 OFFSET ?",
        (int(size * 0.9),),
    )

    def api(params: dict[str, Any], naive: dict[str, Any] | None) -> dict[str, Any]:
        return {"path": API + urlencode(params), "naive": naive, "kind": "API"}

    return {
        "first page": api({}, {}),
        "page after 90%": api({"sync_token": deep}, {"offset": deep_offset}),
        "common word (football)": api({"q": "football"}, {"words": ["football"]}),
        "common word + deep cursor": api(
            {"q": "football", "sync_token": deep}, {"words": ["football"], "newer_than": deep}
        ),
        f"rare word ({rare})": api({"q": rare}, {"words": [rare]}),
        "two-word partial (tea ho)": api({"q": "tea ho"}, {"words": ["tea", "ho"]}),
        "long prefix (highlig)": api({"q": "highlig"}, {"words": ["highlig"]}),
        "100 accented variants of a": api({"q": api_latency.ACCENTED_A}, {"words": ["a"]}),
        "eight one-letter words": api({"q": "a b c d e f g h"}, {"words": list("abcdefgh")}),
        "modifier letter (ʻukulele)": api({"q": "ʻukulele"}, {"words": ["ukulele"]}),
        "channel filter": api({"channel": channel}, {"channel": channel}),
        "search + channel + deep cursor": api(
            {"q": "match", "channel": channel, "sync_token": deep},
            {"words": ["match"], "channel": channel, "newer_than": deep},
        ),
        # No naive baseline: a naive feed has no change log to compare with.
        "changes page": {"path": CHANGES + urlencode({"since": since}), "kind": "API"},
        "changes, common word (football)": {
            "path": CHANGES + urlencode({"since": since, "q": "football"}),
            "kind": "API",
        },
        "changes, channel filter": {
            "path": CHANGES + urlencode({"since": since, "channel": channel}),
            "kind": "API",
        },
        # Issue 14: duration and Shorts filters, most viewed, channel pages. No naive baseline
        # (the naive version has no such columns).
        "duration=long": api({"duration": "long"}, None),
        "duration=short + deep cursor": api({"duration": "short", "sync_token": deep}, None),
        "shorts=exclude": api({"shorts": "exclude"}, None),
        "shorts=only + deep cursor": api({"shorts": "only", "sync_token": deep}, None),
        "long, no Shorts, football": api(
            {"duration": "long", "shorts": "exclude", "q": "football"}, None
        ),
        "most viewed": api({"sort": "views"}, None),
        "most viewed, page after 90%": api({"sort": "views", "sync_token": deep_views}, None),
        "most viewed + football": api({"sort": "views", "q": "football"}, None),
        f"most viewed + {rare}": api({"sort": "views", "q": rare}, None),
        "most viewed + channel": api({"sort": "views", "channel": channel}, None),
        "best match + football": api({"sort": "relevance", "q": "football"}, None),
        # A channel of about 200 videos: probed and scored outside FTS5 on SQLite (feed.ranking).
        "best match + channel + football": api(
            {"sort": "relevance", "q": "football", "channel": channel}, None
        ),
        f"best match + {rare}": api({"sort": "relevance", "q": rare}, None),
        "channel page": {"path": f"/channel/{channel}", "kind": "dashboard"},
        "channel page, most viewed": {
            "path": f"/channel/{channel}?sort=views",
            "kind": "dashboard",
        },
        "dashboard page": {"path": "/", "kind": "dashboard"},
        "dashboard fragment (htmx)": {
            "path": "/",
            "headers": {"HX-Request": "true"},
            "kind": "dashboard",
        },
        # The grid's feeds (dashboard/feeds.py): the 50 most recently stored of the 200 newest
        # matches; without a search, also the matches among the 1,000 stored last.
        "atom feed": {"path": "/feed.atom", "kind": "feed"},
        "atom feed, common word (football)": {"path": "/feed.atom?q=football", "kind": "feed"},
        "json feed": {"path": "/feed.json", "kind": "feed"},
        "json feed, search + source query": {
            "path": "/feed.json?" + urlencode({"q": "tea ho", "query": "football"}),
            "kind": "feed",
        },
        "json feed, channel": {
            "path": "/feed.json?" + urlencode({"channel": channel}),
            "kind": "feed",
        },
        # Every figure of the last day (issue 16: 174-224 ms on SQLite, uncached, at 20k videos
        # stored in the last day). Seeded videos are first seen when the dataset is built, so
        # a dataset older than a day shows a cheaper page: rebuild it to measure this case.
        "status page": {"path": "/status", "kind": "status"},
        "trivial Django view": {"path": FLOOR_VIEW, "kind": "floor"},
    }


# ---------------------------------------------------------------- measuring


def wrk(
    port: int,
    paths: list[str],
    *,
    headers: dict[str, str] | None = None,
    connections: int,
    seconds: float,
) -> dict[str, Any]:
    lua = WRK_SCRIPT % {
        "paths": ", ".join(json.dumps(p) for p in paths),
        "headers": ", ".join(
            f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in (headers or {}).items()
        ),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        threads = min(connections, 2)
        output = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{round(seconds)}s", "--timeout", "5s"]
            + ["-s", script.name, f"http://127.0.0.1:{port}"],
            capture_output=True,
            timeout=seconds + 30,
            check=True,
        ).stdout.decode()
    finally:
        os.unlink(script.name)
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / (result["us"] / 1e6)
    result["errors"] = result["socket_errors"] + result["status_errors"]
    return result


def page_bytes(port: int) -> dict[str, int]:
    """The first dashboard page: its HTML, and what a first visit transfers with gzip."""
    status, html = get(port, "/")
    assert status == 200, status
    gzip = {"Accept-Encoding": "gzip"}
    wire = len(get(port, "/", gzip)[1])
    assets = re.findall(r'(?:src|href)="(/static/[^"]+\.(?:css|js|svg))"', html.decode())
    for asset in dict.fromkeys(assets):
        wire += len(get(port, asset, gzip)[1])
    return {"html": len(html), "first_visit_gzip": wire, "assets": len(set(assets))}


def floors(url: str, spec: dict[str, dict[str, Any]]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump({"cases": spec}, file)
    try:
        out = run([PYTHON, "bench/sql_floor.py", file.name], env=environment(url), timeout=900)
    finally:
        os.unlink(file.name)
    return json.loads(out)


def measure_dataset(
    backend: Backend,
    size: int,
    *,
    repeats: int,
    seconds: float,
    log: Path,
    only: list[str] | None = None,
) -> dict[str, Any]:
    url = backend.ensure(size)
    spec = cases(url, size)
    if only:
        # The trivial view stays: every case's ratios are taken against it.
        spec = {n: c for n, c in spec.items() if c["kind"] == "floor" or any(o in n for o in only)}
    runs: list[dict[str, Any]] = []
    for repeat in range(repeats):
        server = Server(url, log)
        try:
            one: dict[str, Any] = {}
            for name, case in spec.items():
                get(server.port, case["path"], case.get("headers"))  # warm both workers
                single, eight = (
                    wrk(
                        server.port,
                        [case["path"]],
                        headers=case.get("headers"),
                        connections=clients,
                        seconds=seconds,
                    )
                    for clients in (1, 8)
                )
                one[name] = {"single": single, "eight": eight}
                print(
                    f"{backend.name} {size:>9,} #{repeat + 1} {name:<34} "
                    f"median {single['p50']:6.2f}  p95 {single['p95']:6.2f}  "
                    f"p99 {single['p99']:6.2f} ms   8 clients {eight['rps']:7.0f}/s "
                    f"errors {eight['errors']}",
                    flush=True,
                )
            bytes_ = page_bytes(server.port)
            flood = status_flood(server.port, seconds=seconds) if "status page" in spec else None
            if flood:
                print(
                    f"{backend.name} {size:>9,} #{repeat + 1} first page during a /status flood "
                    f"median {flood['p50']:6.2f}  p95 {flood['p95']:6.2f}  "
                    f"p99 {flood['p99']:6.2f}  max {flood['max']:6.2f} ms",
                    flush=True,
                )
        finally:
            server.stop()
        # With the server stopped: the SQL floor and the naive baseline, same run.
        sql = floors(url, {n: c for n, c in spec.items() if c["kind"] != "floor"})
        runs.append({"cases": one, "sql": sql, "bytes": bytes_, "flood": flood})
    return {"spec": spec, "runs": runs}


def status_flood(port: int, *, seconds: float) -> dict[str, Any]:
    """The API's first page, one client, while 8 others ask for /status as fast as they can
    (issue 16: such a flood held a light API request for 3.9 s)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        flood = pool.submit(wrk, port, ["/status"], connections=8, seconds=seconds + 2)
        time.sleep(1)  # the flood is under way
        light = wrk(port, [API], connections=1, seconds=seconds)
        light["flood_rps"] = flood.result()["rps"]
    return light


def read_and_write(
    backend: Backend, size: int, *, ingest_seconds: float, rw_seconds: float, log: Path
) -> dict[str, Any]:
    """Ingest alone, then readers and a writer together, on a scratch copy of the dataset."""
    url, delete = backend.scratch_copy(size)
    try:
        env = environment(url)
        timeout = ingest_seconds + 120
        ingest = json.loads(
            run([PYTHON, "bench/ingest.py", str(ingest_seconds)], env=env, timeout=timeout)
        )
        spec = cases(url, size)
        paths = [c["path"] for c in spec.values() if c["kind"] == "API"]
        server = Server(url, log)
        mark = log.stat().st_size
        try:
            writer = subprocess.Popen(
                [PYTHON, "bench/ingest.py", str(rw_seconds + 5)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
            )
            time.sleep(3)  # the writer generates its videos first
            readers = wrk(server.port, paths, connections=8, seconds=rw_seconds)
            written = json.loads(writer.communicate(timeout=rw_seconds + 180)[0])
        finally:
            server.stop()
        with log.open("rb") as file:
            file.seek(mark)
            server_log = file.read().decode(errors="replace")
        # Last, as it removes the search index from the copy: the same writes without it.
        command = [PYTHON, "bench/ingest.py", str(ingest_seconds), "--without-search-index"]
        unindexed = json.loads(run(command, env=env, timeout=timeout))
        return {
            "ingest": ingest,
            "ingest_without_search_index": unindexed,
            "readers": readers,
            "writer": written,
            "locked_in_server_log": server_log.count("database is locked"),
        }
    finally:
        delete()


# ---------------------------------------------------------------- reporting


def med(values: list[float]) -> float:
    return statistics.median(values)


def summarize(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per case, the median over the repeats of each figure; ratios are taken within a run."""
    runs = result["runs"]
    rows: dict[str, dict[str, float]] = {}
    for name, case in result["spec"].items():
        row: dict[str, Any] = {"kind": case["kind"]}
        for figure in ("p50", "p95", "p99"):
            row[figure] = med([r["cases"][name]["single"][figure] for r in runs])
        row["rps8"] = med([r["cases"][name]["eight"]["rps"] for r in runs])
        row["errors8"] = sum(r["cases"][name]["eight"]["errors"] for r in runs)
        if name in runs[0]["sql"]:
            row["sql"] = med([r["sql"][name]["floor_ms"] for r in runs])
            row["statements"] = len(runs[0]["sql"][name]["statements"])
            row["vs_floor"] = med(
                [r["cases"][name]["single"]["p50"] / r["sql"][name]["floor_ms"] for r in runs]
            )
            row["vs_floors"] = med(
                [
                    r["cases"][name]["single"]["p50"]
                    / (
                        r["cases"]["trivial Django view"]["single"]["p50"]
                        + r["sql"][name]["floor_ms"]
                    )
                    for r in runs
                ]
            )
            if "naive_ms" in runs[0]["sql"][name]:
                row["naive"] = med([r["sql"][name]["naive_ms"] for r in runs])
                row["naive_ratio"] = med(
                    [r["sql"][name]["naive_ms"] / r["sql"][name]["floor_ms"] for r in runs]
                )
        rows[name.split(" (")[0]] = row | {"label": name}
    return rows


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import django
    import gunicorn

    sqlite_version = __import__("sqlite3").sqlite_version
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True).stdout.decode().split()[1]
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, {memory:.0f} GB; "
        f"{platform.platform()}; Python {platform.python_version()}, Django {django.__version__}, "
        f"gunicorn {gunicorn.__version__} (2 sync workers), SQLite {sqlite_version}, "
        f"wrk {wrk_version}"
    )


def f(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def dataset_table(backend: str, size: int, rows: dict[str, dict[str, Any]], extra: dict) -> str:
    lines = [
        f"# {backend}, {size:,} videos",
        "",
        extra["machine"],
        "",
        f"Medians of {extra['repeats']} runs of {extra['seconds']} s per case and load "
        "(wrk: 1 connection for latency, 8 for throughput). SQL floor: the statements the "
        "case runs, captured in-process and timed with the plain driver. Naive: OFFSET paging "
        "and LIKE '%word%' on title and description, its page query only, timed the same way "
        "(SQL level). Ratios are taken within each run, then the median.",
        "",
        "| case | median ms | p95 ms | p99 ms | 8 clients req/s | errors | SQL floor ms "
        "(statements) | server / SQL | server / (trivial + SQL) | naive ms | naive / ours |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows.values():
        sql = f"{f(row['sql'], 3)} ({row['statements']})" if "sql" in row else ""
        lines.append(
            f"| {row['label']} | {f(row['p50'])} | {f(row['p95'])} | {f(row['p99'])} | "
            f"{f(row['rps8'], 0)} | {row['errors8']} | {sql} | {f(row.get('vs_floor'), 1)} | "
            f"{f(row.get('vs_floors'), 2)} | {f(row.get('naive'), 2)} | "
            f"{f(row.get('naive_ratio'), 0)} |"
        )
    b = extra["bytes"]
    lines += [
        "",
        f"First dashboard page: {b['html']:,} bytes of HTML; a first visit transfers "
        f"{b['first_visit_gzip']:,} bytes with gzip (HTML and its {b['assets']} static assets).",
    ]
    if flood := extra.get("flood"):
        lines += [
            "",
            f"The API's first page (one client) while 8 clients flood /status "
            f"({flood['flood_rps']:,.0f} status pages/s), last run: median {flood['p50']:.2f} ms, "
            f"p95 {flood['p95']:.2f}, p99 {flood['p99']:.2f}, slowest {flood['max']:.2f} ms.",
        ]
    return "\n".join(lines) + "\n"


def write_results(
    all_rows: dict[tuple[str, int], dict[str, dict[str, Any]]],
    extras: dict[tuple[str, int], dict],
    rw: dict[str, dict[str, Any]],
    info: str,
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    for (backend, size), rows in all_rows.items():
        text = dataset_table(backend, size, rows, extras[(backend, size)])
        (RESULTS / f"{backend}-{size}.md").write_text(text)
    lines = ["# Benchmark summary", "", info, ""]
    for backend in dict.fromkeys(b for b, _ in all_rows):
        sizes = sorted(s for b, s in all_rows if b == backend)
        small, large = sizes[0], sizes[-1]
        lines += [
            f"## {backend}",
            "",
            "Per dataset: " + ", ".join(f"[{s:,}]({backend}-{s}.md)" for s in sizes) + ".",
            "",
            "| case | "
            + " | ".join(f"{s:,} p95 ms" for s in sizes)
            + f" | growth {large:,}/{small:,} (median) | growth (p95) | {large:,}: server / "
            "(trivial + SQL) | naive / ours |",
            "|---|" + "---|" * (len(sizes) + 4),
        ]
        for key, row in all_rows[(backend, large)].items():
            base = all_rows[(backend, small)][key]
            lines.append(
                f"| {row['label'].split(' (')[0]} | "
                + " | ".join(f(all_rows[(backend, s)][key]["p95"]) for s in sizes)
                + f" | {f(row['p50'] / base['p50'])}x | {f(row['p95'] / base['p95'])}x | "
                + f"{f(row.get('vs_floors'))} | {f(row.get('naive_ratio'), 0)} |"
            )
        b = extras[(backend, large)]["bytes"]
        lines += [
            "",
            f"First dashboard page at {large:,}: {b['html']:,} bytes of HTML, "
            f"{b['first_visit_gzip']:,} bytes transferred on a first visit (gzip).",
        ]
        if backend in rw:
            r = rw[backend]
            lines += [
                "",
                f"Ingest into a copy of the {large:,} dataset, one writer, 50-video batches "
                f"(25 new, 25 updated): **{r['ingest']['per_second']:,.0f} videos/s** "
                f"({r['ingest']['videos']:,} in {r['ingest']['seconds']:.0f} s); the same "
                f"writes without the search index: "
                f"{r['ingest_without_search_index']['per_second']:,.0f} videos/s. "
                + "A batch's milliseconds, with the index / without: "
                + "; ".join(
                    f"{part} {r['ingest']['ms_per_batch'][part]:.1f} / "
                    f"{r['ingest_without_search_index']['ms_per_batch'][part]:.1f}"
                    for part in ("total", "statements", "commits", "rest")
                )
                + " (statements: SQL with its triggers; rest: Python, mostly Django building "
                "the statements and the rows).",
                "",
                f"Read while write ({r['readers']['us'] / 1e6:.0f} s, 8 readers over the API "
                f"cases, one writer as fast as it can): reader p95 "
                f"**{r['readers']['p95']:.2f} ms**, median {r['readers']['p50']:.2f} ms, "
                f"{r['readers']['rps']:,.0f} req/s; errors: {r['readers']['errors']} "
                f"(HTTP {r['readers']['status_errors']}, socket {r['readers']['socket_errors']});"
                f' "database is locked": {r["locked_in_server_log"]} in the server log, '
                f"{r['writer']['locked']} in the writer; writer: "
                f"{r['writer']['per_second']:,.0f} videos/s, "
                f"{r['writer']['failed_batches']} failed batches.",
            ]
        lines.append("")
    # A PostgreSQL-only run (--pg-only) keeps the SQLite summary.
    sqlite_run = any(backend == "sqlite" for backend, _ in all_rows)
    path = RESULTS / ("summary.md" if sqlite_run else "summary-postgresql.md")
    path.write_text("\n".join(lines))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--duration", type=float, default=4, help="seconds per wrk run")
    parser.add_argument("--ingest-seconds", type=float, default=20)
    parser.add_argument("--rw-seconds", type=float, default=60)
    parser.add_argument("--no-write", action="store_true", help="skip ingest and read+write")
    parser.add_argument(
        "--pg",
        metavar="URL",
        help="also PostgreSQL: a server URL without database (default: DATABASE_URL's server "
        "when it is a postgres:// URL)",
    )
    parser.add_argument("--pg-only", action="store_true", help="skip SQLite")
    parser.add_argument(
        "--cases", nargs="+", metavar="TEXT", help="only the cases whose name contains a TEXT"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    pg = args.pg
    if pg is None and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pg = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    backends = [] if args.pg_only else [Backend(name="sqlite")]
    if pg:
        backends.append(Backend(name="postgresql", pg_base=pg))
    info = machine()
    collect_static()
    log = Path(tempfile.gettempdir()) / f"bench-server-{os.getpid()}.log"
    all_rows, extras, rw = {}, {}, {}
    for backend in backends:
        for size in sorted(args.sizes):
            result = measure_dataset(
                backend,
                size,
                repeats=args.repeats,
                seconds=args.duration,
                log=log,
                only=args.cases,
            )
            all_rows[(backend.name, size)] = summarize(result)
            extras[(backend.name, size)] = {
                "machine": info,
                "repeats": args.repeats,
                "seconds": args.duration,
                "bytes": result["runs"][-1]["bytes"],
                "flood": result["runs"][-1]["flood"],
            }
            write_results(all_rows, extras, rw, info)
        if not args.no_write:
            rw[backend.name] = read_and_write(
                backend,
                max(args.sizes),
                ingest_seconds=args.ingest_seconds,
                rw_seconds=args.rw_seconds,
                log=log,
            )
            print(json.dumps(rw[backend.name], indent=1), flush=True)
    summary = write_results(all_rows, extras, rw, info)
    print(summary.read_text())
    print(f"server log: {log}")


if __name__ == "__main__":
    main()
