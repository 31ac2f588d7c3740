#!/usr/bin/env bash
# A real Redis Cluster on loopback, from Debian's redis-server: 3 masters and 3 replicas, for
# development, the failover chaos and CI.
#
#   redis-cluster.sh start    start the six nodes, create the cluster, wait until it is ok
#   redis-cluster.sh stop     stop the nodes this script started
#   redis-cluster.sh status   cluster state and one line per node: role, address, pid
#   redis-cluster.sh nodes    print the REDIS_CLUSTER_NODES value for the fleet
#
# Ports: REDIS_CLUSTER_PORT (default 7000) and the five after it. cluster-node-timeout is
# REDIS_CLUSTER_NODE_TIMEOUT_MS (default 2000), so a replica takes over a dead master within a
# few seconds. Nodes keep their data (AOF), logs and pid files in GRAB_SERVICES_DIR/redis-cluster
# (default .services/redis-cluster at the repository root).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/say.sh
source "$ROOT/scripts/lib/say.sh"
# shellcheck source-path=SCRIPTDIR source=lib/process.sh
source "$ROOT/scripts/lib/process.sh"
BASE_PORT=${REDIS_CLUSTER_PORT:-7000}
NODE_TIMEOUT_MS=${REDIS_CLUSTER_NODE_TIMEOUT_MS:-2000}
DIR=${GRAB_SERVICES_DIR:-$ROOT/.services}/redis-cluster
HOST=127.0.0.1
NODES=6
START_TIMEOUT_S=30
STOP_TIMEOUT_S=15

ports_fit "$BASE_PORT" "$NODES" ||
  die "REDIS_CLUSTER_PORT must be a port number with room for $NODES ports after it (got $BASE_PORT)"
[[ $NODE_TIMEOUT_MS =~ ^[0-9]+$ ]] && ((NODE_TIMEOUT_MS >= 100)) ||
  die "REDIS_CLUSTER_NODE_TIMEOUT_MS must be a whole number of milliseconds, at least 100 (got $NODE_TIMEOUT_MS)"

ports() { seq "$BASE_PORT" $((BASE_PORT + NODES - 1)); }
node_dir() { echo "$DIR/$1"; }
node_pid() { live_pid "$(node_dir "$1")/redis.pid" redis-server; }
ask() { timeout 3 redis-cli -h "$HOST" -p "$1" "${@:2}" 2>/dev/null; }
cluster_ok() { [[ $(ask "$1" cluster info) == *cluster_state:ok* ]]; }
nodes_value() { ports | sed "s/^/$HOST:/" | paste -sd, -; }

start_node() {
  local port=$1 dir
  dir=$(node_dir "$port")
  if [[ -n $(node_pid "$port") ]]; then
    say "node $port already running"
    return
  fi
  [[ $(ask "$port" ping) != PONG ]] || die "something else answers on $HOST:$port; pick other ports with REDIS_CLUSTER_PORT"
  mkdir -p "$dir"
  (cd "$dir" && redis-server --daemonize yes --bind "$HOST" --port "$port" --dir "$dir" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout "$NODE_TIMEOUT_MS" \
    --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
    --logfile "$dir/redis.log" --pidfile "$dir/redis.pid") || die "node $port did not start; see $dir/redis.log"
}

wait_for() {
  local what=$1 started=$SECONDS
  shift
  until "$@"; do
    ((SECONDS - started < START_TIMEOUT_S)) || die "$what within ${START_TIMEOUT_S}s; logs in $DIR/*/redis.log"
    sleep 0.2
  done
}

all_answer() {
  local port
  for port in $(ports); do [[ $(ask "$port" ping) == PONG ]] || return 1; done
}

# Every node sees the cluster ok, and every replica has synced with its master: a replica that
# never synced would not take over a master that dies.
all_ok() {
  local port info
  for port in $(ports); do
    cluster_ok "$port" || return 1
    info=$(ask "$port" info replication) || return 1
    [[ $info != *role:slave* || $info == *master_link_status:up* ]] || return 1
  done
}

cmd_start() {
  command -v redis-server >/dev/null || die "redis-server is missing; install it: sudo bash scripts/services.sh install"
  local port
  for port in $(ports); do start_node "$port"; done
  wait_for "not every node answered PING" all_answer
  # A node that already knows other nodes was part of a cluster before: nodes.conf brings it back.
  if [[ $(ask "$BASE_PORT" cluster info) != *cluster_known_nodes:$NODES* ]]; then
    say "creating the cluster: 3 masters, 3 replicas"
    # shellcheck disable=SC2046 # one argument per node
    redis-cli --cluster create $(ports | sed "s/^/$HOST:/") --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1 ||
      die "redis-cli --cluster create failed; see $DIR/create.log"
  fi
  wait_for "the cluster was not ok with every replica in sync" all_ok
  say "cluster up: REDIS_CLUSTER_NODES=$(nodes_value)"
}

cmd_stop() {
  local port pid
  for port in $(ports); do
    pid=$(node_pid "$port")
    if [[ -z $pid ]]; then
      say "node $port: not running"
      continue
    fi
    stop_pid "node $port" "$pid" "$STOP_TIMEOUT_S"
  done
}

cmd_status() {
  local port role pid
  if cluster_ok "$BASE_PORT"; then say "cluster_state:ok"; else say "cluster not ok"; fi
  for port in $(ports); do
    role=$(ask "$port" role | head -1) || role=down
    pid=$(node_pid "$port")
    printf '%-8s %-16s pid %s\n' "${role:-down}" "$HOST:$port" "${pid:--}"
  done
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  nodes) nodes_value ;;
  *)
    usage_from_header >&2
    exit 2
    ;;
esac
