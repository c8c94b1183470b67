"""The lock files pin what the human lists pin, and every package in them has a hash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s\\;]+)", re.M)


def pins(path: Path) -> dict[str, str]:
    return {
        name.lower().replace("_", "-"): version for name, version in PIN.findall(path.read_text())
    }


def hashed(path: Path) -> set[str]:
    """The packages of a lock file each followed by at least one --hash."""
    blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text())
    return {
        match.group(1).lower().replace("_", "-")
        for block in blocks
        if (match := PIN.match(block)) and "--hash=sha256:" in block
    }


@pytest.mark.parametrize(
    ("human", "lock"),
    [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")],
)
def test_the_lock_pins_what_the_human_list_pins_with_hashes(human, lock):
    wanted = pins(ROOT / human)
    if human == "requirements-dev.txt":
        wanted |= pins(ROOT / "requirements.txt")
    locked = pins(ROOT / lock)
    assert {name: locked.get(name) for name in wanted} == wanted, "run make lock"
    assert hashed(ROOT / lock) == set(locked), "every locked package needs its hashes"
    assert len(locked) > len(wanted)  # the transitive ones are pinned too


def test_make_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in makefile
