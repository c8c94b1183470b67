"""gunicorn's logging (`gunicorn -c gunicorn.conf.py`, also read by default from the working
directory): its logs go where the app's go."""

from __future__ import annotations

from dashboard import logs
from dashboard import settings as app

# Threads, not one process per request: a slow client must not hold a whole worker (two clients
# sending a header byte every 5 s stopped both sync workers until the 30 s timeout). This
# subclass of gthread also keeps a slow client from holding a thread (dashboard/web_worker.py).
worker_class = "dashboard.web_worker.BufferingThreadWorker"
threads = app.WEB_THREADS

# Error and access logs on stdout, one line per event, in the app's format (dashboard/logs.py).
# gunicorn's `--error-logfile -` means stderr, hence a logging dict rather than flags. Access
# lines are written only when asked for (`--access-logfile -`, as the Procfile does).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": logs.FORMATTERS,
    "handlers": logs.HANDLERS,
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
