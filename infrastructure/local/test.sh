#!/usr/bin/env bash
# Every check the project has, against the real backends: installs what is missing, starts
# ClickHouse and Kafka on loopback (or reuses them), then lint, typecheck and every test.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bun=$root/node_modules/.bin/bun

bash "$here/stack.sh" start

export CLICKHOUSE_URL=${CLICKHOUSE_URL:-http://127.0.0.1} CLICKHOUSE_PORT=${CLICKHOUSE_PORT:-8123}
export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT:-9092}}

cd "$root"
"$bun" run lint
"$bun" run typecheck
"$bun" test --timeout 60000 "$@"
