"""gunicorn's logging (`gunicorn -c gunicorn.conf.py`, also read by default from the working
directory): its logs go where the app's go."""

from __future__ import annotations

from dashboard import logs

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
