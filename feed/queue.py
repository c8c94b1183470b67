"""Huey's SQLite queue, opened only by the process that uses it.

Huey's own SqliteHuey opens its file and creates its tables when it is constructed, and djhuey
constructs it while Django sets up: with that file on a full disk (or unwritable), every Django
process failed in `django.setup()`, the web server's included ("Worker failed to boot"), though
the web never touches the queue. Here the file is opened at the first use of the queue, so the
web boots and serves without it, and the worker checks it before it starts and refuses to start
with one line that says why.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import huey
from huey.storage import SqliteStorage


class QueueUnavailable(sqlite3.OperationalError):
    """The queue's file cannot be opened or written. Still an sqlite3.OperationalError, so huey's
    consumer handles it as it handles its storage's errors (logs it, and tries again)."""


def unusable(filename: str, error: Exception) -> str:
    return (
        f"the task queue's file {filename} cannot be used ({error}): free space on its disk, "
        "fix its permissions, or point HUEY_SQLITE_PATH at another file"
    )


class LazySqliteStorage(SqliteStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["create_tables"] = False
        super().__init__(*args, **kwargs)
        self.schema_ready = False

    def _create_connection(self) -> sqlite3.Connection:
        try:
            conn = super()._create_connection()
            if not self.schema_ready:
                # Each statement is "if not exists": safe in every process, in any order.
                for sql in self.ddl:
                    conn.execute(sql)
                self.schema_ready = True
        except sqlite3.OperationalError as e:
            raise QueueUnavailable(unusable(self.filename, e)) from e
        return conn


class SqliteHuey(huey.SqliteHuey):
    storage_class = LazySqliteStorage

    def create_consumer(self, **options: Any) -> Any:
        """Only the worker (run_huey) creates a consumer: it opens the queue first and, if it
        cannot, stops with the reason in one line rather than a traceback per poll."""
        try:
            # A write, as the worker's first will be: a full disk may still let it read.
            self.storage.put_data("feed.worker-check", b"")
            self.storage.pop_data("feed.worker-check")
        except QueueUnavailable as e:
            raise SystemExit(f"worker not started: {e}") from None
        except sqlite3.OperationalError as e:
            raise SystemExit(f"worker not started: {unusable(self.storage.filename, e)}") from None
        return super().create_consumer(**options)
