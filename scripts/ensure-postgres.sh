#!/usr/bin/env bash
# Make sure the PostgreSQL the tests need answers; start the local cluster if it does not. Never
# skip: if PostgreSQL cannot be had, say so and fail, so CI can never pass without the PostgreSQL
# half of the records contract suite.
set -euo pipefail
url="${1:-postgresql://postgres@127.0.0.1:5432/test}"
rest="${url#*://}"; rest="${rest#*@}"; hostport="${rest%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=5432

ping() { "${VIRTUAL_ENV:-.venv}/bin/python" - "$url" <<'PY'
import asyncio, sys
import asyncpg

async def main() -> None:
    conn = await asyncpg.connect(sys.argv[1].replace("postgresql+asyncpg://", "postgresql://"), timeout=2)
    await conn.close()

try:
    asyncio.run(main())
except Exception:
    sys.exit(1)
PY
}

if ping; then exit 0; fi
case "$host" in 127.*|localhost) ;; *) echo "ensure-postgres: PostgreSQL at $url is not reachable" >&2; exit 1 ;; esac
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  echo "ensure-postgres: no PostgreSQL at $url and no local cluster to start; install PostgreSQL or set CENTINELA_TEST_DATABASE_URL" >&2
  exit 1
fi
version="$(ls /etc/postgresql | sort -V | tail -1)"
echo "ensure-postgres: starting the local PostgreSQL $version cluster" >&2
pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
for _ in $(seq 1 100); do ping && exit 0; sleep 0.1; done
echo "ensure-postgres: PostgreSQL did not answer on $host:$port (is there a database 'test' with trust auth?)" >&2
exit 1
