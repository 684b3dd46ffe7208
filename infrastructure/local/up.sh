#!/usr/bin/env bash
# The whole thing on one machine: installs what is missing, starts ClickHouse and Kafka on
# loopback, builds the executable, creates the schema and runs the API in the foreground.
# Ctrl-C stops the API; `bash infrastructure/local/stack.sh stop` stops the backends.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
stack_dir=${STACK_DIR:-$root/.stack}
dev=$stack_dir/dev
bun=$root/node_modules/.bin/bun

bash "$here/stack.sh" start

(cd "$root" && "$bun" run --silent build >/dev/null)
binary=$root/dist/auterity-analytics

# A development identity made on first run: a random signing secret and an admin whose random
# password is printed below. Nothing of it is committed.
mkdir -p "$dev"
if [ ! -f "$dev/api.env" ]; then
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  hash=$(printf '%s' "$password" | "$binary" hash-password)
  printf '{"users":[{"username":"admin","passwordHash":"%s","role":"admin"}]}\n' "$hash" \
    >"$dev/users.json"
  printf '%s\n' "$password" >"$dev/admin-password"
  {
    echo "JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')"
    echo "USERS_FILE=$dev/users.json"
  } >"$dev/api.env"
  chmod 600 "$dev/api.env" "$dev/admin-password"
fi

set -a
# shellcheck disable=SC1091
. "$dev/api.env"
set +a
export HOST=${HOST:-127.0.0.1} PORT=${PORT:-3000}
export CLICKHOUSE_URL=${CLICKHOUSE_URL:-http://127.0.0.1} CLICKHOUSE_PORT=${CLICKHOUSE_PORT:-8123}
export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT:-9092}}

"$binary" migrate >/dev/null

cat <<EOT

  API       http://$HOST:$PORT   (docs: http://$HOST:$PORT/docs)
  log in    curl -s -X POST http://$HOST:$PORT/login -H 'content-type: application/json' \\
              -d '{"username":"admin","password":"$(cat "$dev/admin-password")"}'
  stop      Ctrl-C here; the backends keep running until: bash infrastructure/local/stack.sh stop

EOT
exec "$binary" serve
