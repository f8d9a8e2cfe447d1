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


def test_replicas_on_one_machine_split_its_cpus() -> None:
    assert default_reading_helpers(1, cpus=2) == 1  # one core for the worker, one for a helper
    assert default_reading_helpers(2, cpus=2) == 1  # a one-core share still embeds in batches
    assert default_reading_helpers(4, cpus=2) == 0  # more replicas than cores: no helper
    assert default_reading_helpers(2, cpus=8) == 3
    assert default_reading_helpers(1, cpus=64) == MAX_READING_HELPERS
    assert default_reading_helpers(1, cpus=1) == 0


def test_the_replicas_hint_sizes_the_default_but_not_an_explicit_count(tmp_path: Path) -> None:
    from bot.config import load_settings

    many = usable_cpus() + 1  # more replicas than CPUs: no helper for any of them
    assert load_settings(data_dir=tmp_path, replicas_per_host=many).reading_processes == 0
    explicit = load_settings(data_dir=tmp_path, replicas_per_host=many, reading_processes=2)
    assert explicit.reading_processes == 2
