"""Shared by the deploy tests: the Procfile and app.json as the platform reads them, and running
manage.py and the web process in a clean production environment."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import sys
from pathlib import Path

from tests.fixtures.processes import ROOT

BIN = Path(sys.executable).parent


def procfile() -> dict[str, str]:
    """Process type -> command, as Heroku and honcho read the Procfile (comments skipped)."""
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line):
            processes[match[1]] = match[2]
    return processes


def expand(command: str, env: dict[str, str]) -> list[str]:
    """The command's words after the shell's `${NAME:-default}` expansion."""

    def value(match: re.Match[str]) -> str:
        return env.get(match[1]) or match[2]

    return shlex.split(re.sub(r"\$\{(\w+):-([^}]*)\}", value, command))


def app_json() -> dict:
    return json.loads((ROOT / "app.json").read_text())


def production_env(**extra: str) -> dict[str, str]:
    """A production process's environment: DEBUG off, a fresh random key, nothing inherited that
    selects another configuration."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")
        and not k.startswith(("SECURE_", "DJANGO_"))
    }
    return {
        **inherited,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        **extra,
    }
