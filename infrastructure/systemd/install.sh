#!/usr/bin/env bash
# Installs the executable as a systemd service:
#
#   sudo infrastructure/systemd/install.sh [path/to/auterity-analytics]
#
# Creates the system user, installs the binary and the unit, and on first run writes
# /etc/auterity-analytics/env (0600, a fresh JWT_SECRET) and users.json with one admin whose
# password is printed once. Existing env and users files are kept. Then enables and starts the
# unit. Run `auterity-analytics migrate` once the backends in the env file answer.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=${1:-$here/../../dist/auterity-analytics}
name=auterity-analytics
etc=/etc/$name
unit_dir=${UNIT_DIR:-/etc/systemd/system}

say() { printf 'install: %s\n' "$*"; }
fail() { printf 'install: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (sudo)"
[ -x "$binary" ] || fail "no executable at $binary; build it with: bun run build"
"$binary" --version >/dev/null || fail "$binary does not run on this machine"

if ! id -u "$name" >/dev/null 2>&1; then
  say "creating system user $name"
  useradd --system --user-group --home-dir "/var/lib/$name" --no-create-home \
    --shell /usr/sbin/nologin "$name"
fi

install -m 0755 -o root -g root "$binary" "/usr/local/bin/$name"
install -d -m 0750 -o root -g "$name" "$etc"
install -d -m 0750 -o "$name" -g "$name" "/var/lib/$name"

# systemd reads the env file as root before dropping privileges, so it can stay root-only.
if [ ! -f "$etc/env" ]; then
  say "writing $etc/env with a new JWT_SECRET"
  umask 077
  {
    echo "# Settings for $name; every variable and its default: .env.example in the source."
    echo "JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')"
    echo "USERS_FILE=$etc/users.json"
    echo "HOST=0.0.0.0"
    echo "PORT=3000"
    echo "CLICKHOUSE_URL=http://127.0.0.1:8123"
    echo "KAFKA_BROKERS=127.0.0.1:9092"
  } >"$etc/env"
fi
chown root:root "$etc/env"
chmod 0600 "$etc/env"

if [ ! -f "$etc/users.json" ]; then
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  hash=$(printf '%s' "$password" | "/usr/local/bin/$name" hash-password)
  printf '{"users":[{"username":"admin","passwordHash":"%s","role":"admin"}]}\n' "$hash" \
    >"$etc/users.json"
  say "created user admin in $etc/users.json; its password (shown only now): $password"
fi
chown "root:$name" "$etc/users.json"
chmod 0640 "$etc/users.json"

install -m 0644 -o root -g root "$here/$name.service" "$unit_dir/$name.service"

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now "$name.service"
  say "started; status: systemctl status $name, log: journalctl -u $name"
else
  say "systemd is not running here; the unit is in $unit_dir, enable it with:"
  say "  systemctl daemon-reload && systemctl enable --now $name"
fi
