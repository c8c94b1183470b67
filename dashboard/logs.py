"""Log lines for a platform's log collector: one line per event, whatever the message holds."""

from __future__ import annotations

import logging


class OneLineFormatter(logging.Formatter):
    """The usual format, with the newlines of multi-line messages and tracebacks escaped, so a
    log collector that splits on newlines keeps each event in one piece."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


# The pieces of a logging dict config that Django's LOGGING and gunicorn.conf.py share: one
# "console" handler writing one-line events to stdout.
FORMATTERS = {
    "line": {
        "()": "dashboard.logs.OneLineFormatter",
        "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
    }
}
HANDLERS = {
    "console": {
        "class": "logging.StreamHandler",
        "formatter": "line",
        "stream": "ext://sys.stdout",
    }
}
