"""Log lines for a platform's log collector: one line per event, whatever the message holds."""

from __future__ import annotations

import logging


class OneLineFormatter(logging.Formatter):
    """The usual format, with the newlines of multi-line messages and tracebacks escaped, so a
    log collector that splits on newlines keeps each event in one piece."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")
