"""The database floor of each benchmark case, and the naive baseline's SQL, timed in-process.

Run by bench/suite.py with DATABASE_URL set (a subprocess, so Django is set up for that
database only). For each case it requests the URL once through Django's test client with
CaptureQueriesContext, keeping the exact SQL the view ran (parameters inlined by the backend),
then times those statements with the plain driver (sqlite3 or psycopg): no Django, no HTTP.
The naive baseline is what most implementations of the assignment do: `OFFSET` paging and
`LIKE '%word%'` on title and description, timed the same way on the same database.

Input: a JSON file (argv[1]); output: one JSON object on stdout.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
django.setup()

from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from dashboard import status  # noqa: E402

PAGE = 20


def capture(client: Client, case: dict[str, Any]) -> list[str]:
    headers = case.get("headers", {})
    client.get(case["path"], headers=headers)  # warm: connection, caches
    if case["kind"] == "status":
        # What computing the page costs, not what reading it from the cache does.
        caches["status"].delete(status.CACHE_KEY)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(case["path"], headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{case['path']} answered {response.status_code}")
    return [q["sql"] for q in captured.captured_queries]


class Driver:
    """The plain DB-API connection the timings use: no Django in between."""

    def __init__(self) -> None:
        settings = connection.settings_dict
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.db: Any = sqlite3.connect(settings["NAME"])
            # The functions Django adds to SQLite (the status page's delays use
            # django_timestamp_diff): Python called from SQL, part of the statements' cost.
            from django.db.backends.sqlite3._functions import register

            register(self.db)
            self.mark = "?"
        else:
            import psycopg

            self.db = psycopg.connect(
                host=settings["HOST"] or "127.0.0.1",
                port=settings["PORT"] or 5432,
                user=settings["USER"],
                dbname=settings["NAME"],
                password=settings["PASSWORD"] or None,
                autocommit=True,
            )
            self.mark = "%s"

    def run(self, sql: str, params: list[Any] | None = None) -> list[Any]:
        cursor = self.db.cursor()
        if params is None:  # Django inlined them; no placeholder processing at all
            cursor.execute(sql)
        else:
            cursor.execute(sql, params)
        return cursor.fetchall()


def timed(run: Any, *, budget: float, at_most: int) -> float:
    """Median milliseconds of `run()`, repeated within `budget` seconds (at least 3 times)."""
    run()  # warm the page cache
    timings: list[float] = []
    deadline = time.monotonic() + budget
    while len(timings) < 3 or (len(timings) < at_most and time.monotonic() < deadline):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def naive_sql(driver: Driver, spec: dict[str, Any]) -> tuple[str, list[Any]]:
    """The page query of the naive baseline: OFFSET over the feed order, LIKE for words.

    It orders by sort_key (unique, indexed, the same order as published_at with ties broken),
    i.e. the naive version is given an index on its sort column, its best case."""
    like = "LIKE" if driver.vendor == "sqlite" else "ILIKE"
    where, params = [], []
    for word in spec.get("words", []):
        where.append(f"(title {like} {driver.mark} OR description {like} {driver.mark})")
        params += [f"%{word}%", f"%{word}%"]
    if spec.get("channel"):
        where.append(f"channel_id = {driver.mark}")
        params.append(spec["channel"])
    condition = " AND ".join(where) or "1=1"
    offset = spec.get("offset", 0)
    if spec.get("newer_than") is not None:
        # The rows our cursor skips: those at or above the token, in the naive order.
        count = f"SELECT count(*) FROM feed_video WHERE {condition} AND sort_key >= {driver.mark}"
        offset = driver.run(count, [*params, spec["newer_than"]])[0][0]
    sql = (
        f"SELECT * FROM feed_video WHERE {condition} ORDER BY sort_key DESC "
        f"LIMIT {PAGE} OFFSET {int(offset)}"
    )
    return sql, params


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    client = Client(HTTP_HOST="127.0.0.1")
    driver = Driver()
    out: dict[str, Any] = {}
    for name, case in spec["cases"].items():
        statements = capture(client, case)
        floor = timed(
            lambda statements=statements: [driver.run(s) for s in statements],
            budget=1.5,
            at_most=300,
        )
        result: dict[str, Any] = {"statements": statements, "floor_ms": floor}
        if case.get("naive") is not None:
            sql, params = naive_sql(driver, case["naive"])
            result["naive_sql"] = sql
            result["naive_ms"] = timed(
                lambda sql=sql, params=params: driver.run(sql, params), budget=3, at_most=30
            )
        out[name] = result
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
