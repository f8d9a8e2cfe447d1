"""The arena cap is taken by glibc (and only glibc), and an operator's MALLOC_ARENA_MAX is left to glibc."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from bot.cli.malloc_arenas import limit_malloc_arenas

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def test_glibc_takes_the_cap_in_a_fresh_process() -> None:
    code = "from bot.cli.malloc_arenas import limit_malloc_arenas as f; print(f())"
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == str(GLIBC), "glibc takes it; other C libraries are left alone"


def test_an_operators_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
