"""`docker-compose.yml`: Docker cannot run on this machine, so its structure is checked instead.

What must hold for `docker compose up` to give the production shape of issue 9: two service
replicas built from this repository, sharing one PostgreSQL (records) and one Redis (hot path)
with AOF `appendfsync always`, each replica with a distinct instance name, public images only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.config import load_settings
from bot.store.sql.url import parse_database_url

ROOT = Path(__file__).resolve().parents[3]


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_two_replicas_share_postgres_and_redis() -> None:
    services = _compose()["services"]
    replicas = {name: s for name, s in services.items() if name.startswith("centinela")}
    assert len(replicas) == 2
    instances = set()
    for service in replicas.values():
        env = service["environment"]
        assert service["build"] == "."
        assert parse_database_url(env["CENTINELA_DATABASE_URL"]).backend == "postgresql"
        assert env["CENTINELA_DATABASE_URL"].split("@")[1].startswith("postgres:5432/")
        assert env["CENTINELA_REDIS_URL"].startswith("redis://redis:6379")
        assert set(service["depends_on"]) == {"postgres", "redis"}
        assert all(dep["condition"] == "service_healthy" for dep in service["depends_on"].values())
        instances.add(env["CENTINELA_INSTANCE"])
        # Every variable is one the settings model accepts (extra="forbid" would stop start-up).
        overrides = {k.removeprefix("CENTINELA_").lower(): v for k, v in env.items() if "${" not in v}
        load_settings(**overrides)
    assert len(instances) == 2, "replicas sharing one Redis need distinct consumer names"
    ports = [p for s in replicas.values() for p in s["ports"]]
    assert len(set(ports)) == 2


def test_redis_fsyncs_every_write_and_images_need_no_account() -> None:
    services = _compose()["services"]
    command = services["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "always"
    for name in ("postgres", "redis"):
        image = services[name]["image"]
        assert "/" not in image and ":" in image  # official Docker Hub images, pinned major version
        assert "healthcheck" in services[name]
    assert (ROOT / "Dockerfile").exists()
