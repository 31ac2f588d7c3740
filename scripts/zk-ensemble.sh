#!/usr/bin/env bash
# A 3-node ZooKeeper ensemble on loopback, from the Debian package: leader election, a node lost
# and back, without Docker.
#
#   zk-ensemble.sh start          start every node not running; wait until all three serve
#   zk-ensemble.sh stop           stop every node this script started
#   zk-ensemble.sh status         the connect string, then one line per node: address, mode, pid
#   zk-ensemble.sh stop-node N    stop node N (1, 2 or 3)
#   zk-ensemble.sh start-node N   start node N; wait until it serves
#   zk-ensemble.sh leader         print the number of the node that leads
#   zk-ensemble.sh connect        print the connect string, for ZK_CONNECT
#
# Node N takes clients on 127.0.0.1:BASE+N, followers on BASE+10+N and election votes on
# BASE+20+N, with BASE from ZK_ENSEMBLE_PORT (default 2280: clients on 2281-2283). Data, logs
# and pid files live in .services/ensemble/ at the repository root, or GRAB_SERVICES_DIR/ensemble.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/say.sh
source "$ROOT/scripts/lib/say.sh"
# shellcheck source-path=SCRIPTDIR source=lib/process.sh
source "$ROOT/scripts/lib/process.sh"
# shellcheck source-path=SCRIPTDIR source=lib/zookeeper.sh
source "$ROOT/scripts/lib/zookeeper.sh"

ENSEMBLE_DIR=${GRAB_SERVICES_DIR:-$ROOT/.services}/ensemble
BASE_PORT=${ZK_ENSEMBLE_PORT:-2280}
HOST=127.0.0.1
NODES=(1 2 3)
START_TIMEOUT_S=60
STOP_TIMEOUT_S=15

client_port() { echo $((BASE_PORT + $1)); }
node_dir() { echo "$ENSEMBLE_DIR/node$1"; }
node_pid() { live_pid "$(node_dir "$1")/zookeeper.pid" QuorumPeerMain; }

cmd_connect() {
  local n hosts=()
  for n in "${NODES[@]}"; do hosts+=("$HOST:$(client_port "$n")"); done
  local IFS=,
  echo "${hosts[*]}"
}

write_config() {
  local n=$1 dir peer
  dir=$(node_dir "$n")
  mkdir -p "$dir/data"
  echo "$n" >"$dir/data/myid"
  {
    zk_base_config "$dir/data" "$HOST" "$(client_port "$n")"
    printf 'initLimit=20\nsyncLimit=10\n'
    for peer in "${NODES[@]}"; do
      echo "server.$peer=$HOST:$((BASE_PORT + 10 + peer)):$((BASE_PORT + 20 + peer))"
    done
  } >"$dir/zoo.cfg"
}

launch_node() {
  local n=$1 pid
  pid=$(node_pid "$n")
  if [[ -n $pid ]]; then
    say "node $n already running (pid $pid)"
    return
  fi
  zk_installed || die "ZooKeeper is not installed; run: sudo bash scripts/services.sh install"
  write_config "$n"
  zk_launch "$(node_dir "$n")/zoo.cfg" "$(node_dir "$n")"
}

# wait_serving N...: until each node serves as leader or follower; fails early if one dies.
wait_serving() {
  local started=$SECONDS n
  for n in "$@"; do
    until zk_mode "$HOST" "$(client_port "$n")" >/dev/null; do
      if [[ -z $(node_pid "$n") ]]; then
        tail -n 20 "$(node_dir "$n")/zookeeper.log" >&2 2>/dev/null || true
        die "node $n exited before it served; see $(node_dir "$n")/zookeeper.log"
      fi
      ((SECONDS - started < START_TIMEOUT_S)) ||
        die "node $n did not serve within ${START_TIMEOUT_S}s (is a quorum of nodes up?); see $(node_dir "$n")/zookeeper.log"
      sleep 0.2
    done
  done
}

stop_node() {
  local n=$1 pid
  pid=$(node_pid "$n")
  if [[ -z $pid ]]; then
    say "node $n is not running"
    return
  fi
  stop_pid "node $n" "$pid" "$STOP_TIMEOUT_S" "$(node_dir "$n")/zookeeper.pid"
}

# node_number ARGS...: the one argument, if it names a node.
node_number() {
  [[ $# -eq 1 && $1 =~ ^[123]$ ]] || die "expected one node number, 1, 2 or 3"
  echo "$1"
}

cmd_start() {
  local n
  for n in "${NODES[@]}"; do launch_node "$n"; done
  wait_serving "${NODES[@]}"
  say "ensemble serving at $(cmd_connect); leader: node $(cmd_leader)"
}

cmd_stop() {
  local n
  for n in "${NODES[@]}"; do stop_node "$n"; done
}

cmd_status() {
  local n mode pid
  echo "connect $(cmd_connect)"
  for n in "${NODES[@]}"; do
    pid=$(node_pid "$n")
    mode=$(zk_mode "$HOST" "$(client_port "$n")") || mode=$([[ -n $pid ]] && echo not-serving || echo down)
    printf 'node %s  %-16s %-12s pid %s\n' "$n" "$HOST:$(client_port "$n")" "$mode" "${pid:--}"
  done
}

cmd_leader() {
  local n
  for n in "${NODES[@]}"; do
    if [[ $(zk_mode "$HOST" "$(client_port "$n")") == leader ]]; then
      echo "$n"
      return
    fi
  done
  die "no node leads: fewer than two nodes serve"
}

main() {
  local cmd=${1:-} n
  [[ $# -eq 0 ]] || shift
  if ! ports_fit "$BASE_PORT" 23; then
    die "ZK_ENSEMBLE_PORT must be a port number up to 65512, got '$BASE_PORT'"
  fi
  case $cmd in
    start | stop | status | leader | connect)
      [[ $# -eq 0 ]] || die "$cmd takes no arguments"
      "cmd_$cmd"
      ;;
    stop-node)
      n=$(node_number "$@")
      stop_node "$n"
      ;;
    start-node)
      n=$(node_number "$@")
      launch_node "$n"
      wait_serving "$n"
      say "node $n serving as $(zk_mode "$HOST" "$(client_port "$n")")"
      ;;
    -h | --help | help) usage_from_header ;;
    *)
      usage_from_header >&2
      exit 2
      ;;
  esac
}

main "$@"
