"""Every data file the code reads ships in the wheel (an editable install would hide a miss)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from tests.paths import ROOT

PACKAGES = ("bot", "responders", "retrieval", "scheduler", "adapters", "bench")


def _declared() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    return data


def _shipped(path: Path, declared: dict[str, list[str]]) -> bool:
    for package, patterns in declared.items():
        base = ROOT / package.replace(".", "/")
        if base not in path.parents:
            continue
        relative = path.relative_to(base).as_posix()
        # setuptools globs: "**/" is zero or more folders, "*" stays within one.
        variants = {v for p in patterns for v in (p, p.replace("**/", ""))}
        if any(
            fnmatch.fnmatch(relative, v) and ("**" in v or v.count("/") == relative.count("/"))
            for v in variants
        ):
            return True
    return False


def test_every_package_data_file_is_declared() -> None:
    declared = _declared()
    missing = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and "__pycache__" not in path.parts
        and not _shipped(path, declared)
    ]
    assert missing == []
