#!/usr/bin/env bash
# Prepares Superset's own database, its admin and the ClickHouse connection, then serves.
# Every step can run again on each start.
set -euo pipefail

superset db upgrade
superset fab create-admin --username admin --firstname Superset --lastname Admin \
  --email admin@localhost --password "$SUPERSET_ADMIN_PASSWORD" >/dev/null || true
superset init

# The password goes into a URL, so it is percent-encoded first.
password=$(python -c \
  'import os, urllib.parse as u; print(u.quote(os.environ["CLICKHOUSE_PASSWORD"], safe=""))')
superset set-database-uri -d ClickHouse \
  -u "clickhousedb://${CLICKHOUSE_USER}:${password}@clickhouse:8123/analytics"

exec /usr/bin/run-server.sh
