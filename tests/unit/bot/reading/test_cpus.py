"""Helper count follows the CPUs the process may use, container quotas included."""

from __future__ import annotations

from pathlib import Path

from bot.reading.cpus import MAX_READING_HELPERS, default_reading_helpers, quota_cpus, usable_cpus


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_quota(tmp_path: Path) -> None:
    _write(tmp_path, "cpu.max", "150000 100000\n")
    assert quota_cpus(tmp_path) == 1.5
    assert usable_cpus(tmp_path) == min(2, usable_cpus(tmp_path / "none"))


def test_cgroup_v2_without_quota(tmp_path: Path) -> None:
    _write(tmp_path, "cpu.max", "max 100000\n")
    assert quota_cpus(tmp_path) is None


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    _write(tmp_path, "cpu/cpu.cfs_quota_us", "100000\n")
    _write(tmp_path, "cpu/cpu.cfs_period_us", "100000\n")
    assert quota_cpus(tmp_path) == 1.0
    assert usable_cpus(tmp_path) == 1  # one CPU: no helper, the worker reads inline


def test_cgroup_v1_unlimited_and_missing(tmp_path: Path) -> None:
    _write(tmp_path, "cpu/cpu.cfs_quota_us", "-1\n")
    _write(tmp_path, "cpu/cpu.cfs_period_us", "100000\n")
    assert quota_cpus(tmp_path) is None
    assert quota_cpus(tmp_path / "absent") is None


def test_default_is_bounded() -> None:
    assert 0 <= default_reading_helpers() <= MAX_READING_HELPERS
