"""Which turns a runtime takes: shared ones on a Redis hot path, this process's own otherwise."""

from __future__ import annotations

from pathlib import Path

from bot.engine.decision_order import LocalTurns
from bot.engine.redis_turns import RedisTurns
from bot.engine.runtime import decision_turns
from bot.store.factory import build_store
from tests.conftest import settings_for


def test_a_redis_hot_path_takes_turns_with_the_other_replicas(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, redis_url="redis://127.0.0.1:6379/15")
    assert isinstance(decision_turns(settings, build_store(settings)), RedisTurns)


def test_an_embedded_hot_path_takes_turns_among_its_own_workers(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    assert isinstance(decision_turns(settings, build_store(settings)), LocalTurns)
