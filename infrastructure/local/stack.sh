#!/usr/bin/env bash
# Installs and runs the real backends on loopback: ClickHouse (Debian's clickhouse-server) and
# Apache Kafka (KRaft, one node, jars from Maven Central).
#
#   stack.sh install   install what is missing (apt packages, Kafka jars, npm packages)
#   stack.sh start     install, then start ClickHouse and Kafka unless they already answer
#   stack.sh stop      stop what this script started (by pid), nothing else
#   stack.sh status    say what answers
#
# Everything lives under STACK_DIR (default: .stack in the repository). Ports come from
# CLICKHOUSE_PORT (8123), CLICKHOUSE_TCP_PORT (9000), KAFKA_PORT (9092) and
# KAFKA_CONTROLLER_PORT (9093).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
stack_dir=${STACK_DIR:-$root/.stack}
ch_port=${CLICKHOUSE_PORT:-8123}
ch_tcp_port=${CLICKHOUSE_TCP_PORT:-9000}
kafka_port=${KAFKA_PORT:-9092}
kafka_controller_port=${KAFKA_CONTROLLER_PORT:-9093}
kafka_libs=$stack_dir/kafka-libs
# A Kafka 3.x broker's jars too: the tests also run the API against one of those.
kafka3_version=3.9.1
kafka3_libs=$stack_dir/kafka3-libs

say() { printf 'stack: %s\n' "$*"; }
fail() { printf 'stack: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

port_open() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

clickhouse_answers() { curl -sf --max-time 2 "http://127.0.0.1:$ch_port/ping" >/dev/null 2>&1; }

kafka_answers() { kcat -b "127.0.0.1:$kafka_port" -L -m 3 >/dev/null 2>&1; }

# Waits until "$1" succeeds, up to $2 seconds; the pid in $3 must stay alive meanwhile.
wait_for() {
  local check=$1 seconds=$2 pid=${3:-} name=$4
  local deadline=$((SECONDS + seconds))
  until $check; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      fail "$name exited while starting; see its log under $stack_dir"
    fi
    [ $SECONDS -lt $deadline ] || fail "$name did not answer within ${seconds}s"
    sleep 0.3
  done
}

install_packages() {
  local missing=()
  command -v clickhouse-server >/dev/null || missing+=(clickhouse-server)
  command -v kcat >/dev/null || missing+=(kcat)
  command -v curl >/dev/null || missing+=(curl)
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  # Only promtool is used from this package: the tests check the /metrics output with it.
  command -v promtool >/dev/null || missing+=(prometheus)
  [ ${#missing[@]} -eq 0 ] && return
  say "installing ${missing[*]}"
  as_root apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# Fetches the broker of kafka/pom.xml (at version $2 when given) into $1, once per pom and version.
fetch_kafka() {
  local dir=$1 version=${2:-} stamp=$1/.pom.sha want
  want="$(sha256sum "$here/kafka/pom.xml" | cut -d' ' -f1) $version"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return
  say "fetching the Kafka broker ${version:+$version }from Maven Central"
  rm -rf "$dir"
  local out
  # Maven's quiet mode still writes colour codes; its output is shown only when it fails.
  if ! out=$(mvn -q -B -f "$here/kafka/pom.xml" ${version:+"-Dkafka.version=$version"} \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir" 2>&1); then
    printf '%s\n' "$out" >&2
    fail "fetching the Kafka broker from Maven Central failed"
  fi
  echo "$want" >"$stamp"
}

install_kafka() {
  fetch_kafka "$kafka_libs"
  fetch_kafka "$kafka3_libs" "$kafka3_version"
}

install_npm() {
  local stamp=$root/node_modules/.lock.sha
  local want
  want=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return
  say "installing npm packages (Bun among them)"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
}

install_all() {
  install_packages
  install_kafka
  install_npm
}

start_clickhouse() {
  if clickhouse_answers; then say "clickhouse answers on 127.0.0.1:$ch_port, reusing it"; return; fi
  port_open "$ch_port" && fail "port $ch_port is taken by something that is not ClickHouse"
  port_open "$ch_tcp_port" && fail "port $ch_tcp_port (ClickHouse native) is taken"

  local dir=$stack_dir/clickhouse
  mkdir -p "$dir/conf" "$dir/log" "$dir/data" "$dir/tmp" "$dir/user_files"
  sed -e "s#@STATE@#$dir#g" -e "s#@HTTP_PORT@#$ch_port#" -e "s#@TCP_PORT@#$ch_tcp_port#" \
    "$here/clickhouse/config.xml" >"$dir/conf/config.xml"
  cp "$here/clickhouse/users.xml" "$dir/conf/users.xml"

  say "starting clickhouse on 127.0.0.1:$ch_port"
  (cd "$dir" && exec clickhouse-server --config-file="$dir/conf/config.xml" \
    >"$dir/log/stdout.log" 2>&1) &
  echo $! >"$dir/pid"
  wait_for clickhouse_answers 60 "$(cat "$dir/pid")" clickhouse
}

start_kafka() {
  if kafka_answers; then say "kafka answers on 127.0.0.1:$kafka_port, reusing it"; return; fi
  port_open "$kafka_port" && fail "port $kafka_port is taken by something that is not Kafka"
  port_open "$kafka_controller_port" && fail "port $kafka_controller_port (Kafka controller) is taken"

  local dir=$stack_dir/kafka
  mkdir -p "$dir/log"
  sed -e "s#@STATE@#$dir#g" -e "s#@PORT@#$kafka_port#" \
    -e "s#@CONTROLLER_PORT@#$kafka_controller_port#g" \
    "$here/kafka/server.properties" >"$dir/server.properties"
  local java_opts=(-Xms256m -Xmx1g -Dkafka.logs.dir="$dir/log"
    -Dlog4j2.configurationFile="$here/kafka/log4j2.yaml")

  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$(java -cp "$kafka_libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java "${java_opts[@]}" -cp "$kafka_libs/*" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$dir/server.properties" >"$dir/log/format.log" 2>&1 \
      || fail "formatting Kafka storage failed; see $dir/log/format.log"
  fi

  say "starting kafka on 127.0.0.1:$kafka_port"
  (exec java "${java_opts[@]}" -cp "$kafka_libs/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/log/stdout.log" 2>&1) &
  echo $! >"$dir/pid"
  wait_for kafka_answers 90 "$(cat "$dir/pid")" kafka
}

stop_one() {
  local name=$1 pidfile=$stack_dir/$1/pid
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping $name (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pidfile"
}

status() {
  if clickhouse_answers; then say "clickhouse: up on 127.0.0.1:$ch_port"; else say "clickhouse: down"; fi
  if kafka_answers; then say "kafka: up on 127.0.0.1:$kafka_port"; else say "kafka: down"; fi
}

case ${1:-start} in
  install) install_all ;;
  start)
    install_all
    mkdir -p "$stack_dir"
    start_clickhouse
    start_kafka
    say "ready: clickhouse http://127.0.0.1:$ch_port, kafka 127.0.0.1:$kafka_port"
    ;;
  stop) stop_one kafka; stop_one clickhouse ;;
  status) status ;;
  *) fail "usage: stack.sh install|start|stop|status" ;;
esac
