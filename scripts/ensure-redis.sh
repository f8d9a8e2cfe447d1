#!/usr/bin/env bash
# Make sure the Redis the tests need answers; start a local one if it does not. Never skip:
# if Redis cannot be had, say so and fail, so CI can never pass without the Redis half of the
# store contract suite.
set -euo pipefail
url="${1:-redis://127.0.0.1:6379/15}"
hostport="${url#redis://}"; hostport="${hostport%%/*}"; hostport="${hostport##*@}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=6379

ping() { "${VIRTUAL_ENV:-.venv}/bin/python" - "$url" <<'PY'
import sys, redis
try:
    redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
except Exception:
    sys.exit(1)
PY
}

if ping; then exit 0; fi
case "$host" in 127.*|localhost) ;; *) echo "ensure-redis: Redis at $url is not reachable" >&2; exit 1 ;; esac
if ! command -v redis-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ensure-redis: installing redis-server from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
  else
    echo "ensure-redis: no Redis at $url and no redis-server to start; install Redis or set CENTINELA_TEST_REDIS_URL" >&2
    exit 1
  fi
fi
echo "ensure-redis: starting redis-server on $host:$port" >&2
redis-server --daemonize yes --bind "$host" --port "$port" --save "" --appendonly no \
  --dir "${TMPDIR:-/tmp}" --logfile "${TMPDIR:-/tmp}/centinela-test-redis.log"
for _ in $(seq 1 50); do ping && exit 0; sleep 0.1; done
echo "ensure-redis: redis-server did not answer on $host:$port" >&2
exit 1
