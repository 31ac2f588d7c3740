#!/usr/bin/env bash
# The Redis and ZooKeeper the fleet needs, on loopback, for development, the demo and CI.
#
#   services.sh install [--with-prometheus] [--with-compose] [--with-kubectl] [--with-chromium]
#                                             apt-get install what is missing (as root)
#   services.sh start [--redis-cluster]       install what is missing, start both, wait until they answer;
#                                             --redis-cluster: a 6-node Redis Cluster (scripts/redis-cluster.sh)
#                                             instead of the one Redis at REDIS_URL
#   services.sh stop                          stop what this script started
#   services.sh status                        one line per service: up/down, address, pid
#
# Addresses come from REDIS_URL (default redis://127.0.0.1:6379) and ZK_CONNECT (default
# 127.0.0.1:2181); only the first host:port of each counts. A server already answering there is
# used as it is and never stopped by this script. Ours keep their data, logs and pid files in
# .services/ at the repository root, or in GRAB_SERVICES_DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/say.sh
source "$ROOT/scripts/lib/say.sh"
# shellcheck source-path=SCRIPTDIR source=lib/process.sh
source "$ROOT/scripts/lib/process.sh"
# shellcheck source-path=SCRIPTDIR source=lib/zookeeper.sh
source "$ROOT/scripts/lib/zookeeper.sh"
STATE_DIR=${GRAB_SERVICES_DIR:-$ROOT/.services}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
ZK_CONNECT=${ZK_CONNECT:-127.0.0.1:2181}
START_TIMEOUT_S=30
STOP_TIMEOUT_S=15

REDIS_DIR=$STATE_DIR/redis
REDIS_LOG=$REDIS_DIR/redis.log
REDIS_PID=$REDIS_DIR/redis.pid
ZK_DIR=$STATE_DIR/zookeeper
ZK_LOG=$ZK_DIR/zookeeper.log
ZK_PID=$ZK_DIR/zookeeper.pid

have() { command -v "$1" >/dev/null 2>&1; }

usage() {
  cat <<'EOF'
Usage: services.sh install [--with-prometheus] [--with-compose] [--with-kubectl] [--with-chromium] | start [--redis-cluster] | stop | status
  install   apt-get install redis-server and zookeeper (and prometheus, docker-compose, kubectl, chromium) if missing; needs root
  start     install what is missing, then start Redis and ZooKeeper on loopback unless they answer already;
            with --redis-cluster, a 3-master, 3-replica Redis Cluster (scripts/redis-cluster.sh) instead of one Redis
  stop      stop the servers this script started
  status    one line per service: up/down, address, pid
Addresses: REDIS_URL (default redis://127.0.0.1:6379), ZK_CONNECT (default 127.0.0.1:2181).
State (data, logs, pid files): GRAB_SERVICES_DIR (default .services/ at the repository root).
EOF
}

# --- addresses ------------------------------------------------------------------------------

# "host port" from a host:port, [v6]:port or bare host (then the default port).
split_host_port() {
  local hp=$1 default_port=$2
  if [[ $hp =~ ^\[(.*)\]:([0-9]+)$ || $hp =~ ^([^:]*):([0-9]+)$ ]]; then
    echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
  else
    hp=${hp#[}
    echo "${hp%]} $default_port"
  fi
}

parse_addresses() {
  [[ $REDIS_URL =~ ^rediss?:// ]] || die "REDIS_URL must start with redis:// (got $REDIS_URL)"
  REDIS_TLS=no
  [[ $REDIS_URL == rediss://* ]] && REDIS_TLS=yes
  local rest=${REDIS_URL#*://}
  rest=${rest##*@}   # drop user:password@
  rest=${rest%%/*}   # drop /db
  rest=${rest%%\?*}  # drop ?options
  read -r REDIS_HOST REDIS_PORT < <(split_host_port "$rest" 6379)

  local first=${ZK_CONNECT%%,*}
  first=${first%%/*} # drop /chroot
  read -r ZK_HOST ZK_PORT < <(split_host_port "$first" 2181)
}

is_loopback() { [[ $1 == localhost || $1 == 127.* || $1 == ::1 ]]; }

# True if anything accepts a TCP connection there.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# True if a Redis answers there (NOAUTH counts: it is up, it just wants the password from the URL).
redis_up() {
  local reply
  reply=$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) || return 1
  [[ $reply == PONG || $reply == NOAUTH* ]]
}

redis_port_open() { port_open "$REDIS_HOST" "$REDIS_PORT"; }

# True if a ZooKeeper answers ruok with imok there.
zk_up() { [[ $(zk_ask "$ZK_HOST" "$ZK_PORT" ruok) == imok ]]; }

# --- install --------------------------------------------------------------------------------

# The Debian package a command comes in, where the names differ.
package_of() {
  case $1 in
    kubectl) echo kubernetes-client ;;
    *) echo "$1" ;;
  esac
}

# missing_packages [prometheus] [docker-compose] [kubectl] [chromium]: the Debian packages to install, one a line.
missing_packages() {
  { have redis-server && have redis-cli; } || echo redis-server
  zk_installed || echo zookeeper
  local optional
  for optional in "$@"; do
    have "$optional" || package_of "$optional"
  done
}

cmd_install() {
  local optional=()
  for arg in "$@"; do
    case $arg in
      --with-prometheus) optional+=(prometheus) ;;
      # docker-compose v1 (Debian's): test/unit/compose.test.ts validates docker-compose.yml with it.
      --with-compose) optional+=(docker-compose) ;;
      # kubectl (any; Debian's is 1.20): test/unit/kubernetes.test.ts renders deploy/kubernetes with it.
      --with-kubectl) optional+=(kubectl) ;;
      # Headless Chromium: test/browser drives it (playwright-core) through the API's pages.
      --with-chromium) optional+=(chromium) ;;
      *) die "install: unknown option $arg (only --with-prometheus, --with-compose, --with-kubectl, --with-chromium)" ;;
    esac
  done
  local missing
  mapfile -t missing < <(missing_packages "${optional[@]}")
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "already installed: redis-server zookeeper ${optional[*]}"
    return
  fi
  [[ $(id -u) -eq 0 ]] ||
    die "missing Debian packages: ${missing[*]}; install them as root: sudo bash scripts/services.sh install $*"
  have apt-get || die "missing packages ${missing[*]} and no apt-get to install them with"
  say "installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# --- start ----------------------------------------------------------------------------------

# wait_until NAME CHECK PIDFILE PATTERN LOG: polls CHECK until it succeeds; fails early if our process dies.
wait_until() {
  local name=$1 check=$2 pidfile=$3 pattern=$4 log=$5 started=$SECONDS
  until $check; do
    # Give a daemonizing server a moment to write its pid file before taking its absence as a death.
    if ((SECONDS - started >= 2)) && [[ -z $(live_pid "$pidfile" "$pattern") ]]; then
      tail -n 20 "$log" >&2 2>/dev/null || true
      die "$name exited before it answered; see $log"
    fi
    if ((SECONDS - started >= START_TIMEOUT_S)); then
      tail -n 20 "$log" >&2 2>/dev/null || true
      die "$name did not answer within ${START_TIMEOUT_S}s; see $log"
    fi
    sleep 0.2
  done
}

start_redis() {
  local addr=$REDIS_HOST:$REDIS_PORT pid
  if redis_up; then
    say "redis already up at $addr"
    return
  fi
  [[ $REDIS_TLS == no ]] || die "nothing answers at $REDIS_URL, and this script only starts plain redis:// servers"
  is_loopback "$REDIS_HOST" || die "nothing answers at $REDIS_URL, and this script only starts servers on loopback"
  ! port_open "$REDIS_HOST" "$REDIS_PORT" || die "something on $addr accepts connections but does not answer PING like Redis"
  pid=$(live_pid "$REDIS_PID" redis-server)
  [[ -z $pid ]] || die "our redis (pid $pid) runs but does not answer at $addr; run: bash scripts/services.sh stop"

  mkdir -p "$REDIS_DIR"
  redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --dir "$REDIS_DIR" \
    --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
    --logfile "$REDIS_LOG" --pidfile "$REDIS_PID" ||
    die "redis-server did not start; see $REDIS_LOG"
  wait_until redis redis_up "$REDIS_PID" redis-server "$REDIS_LOG"
  say "redis up at $addr (pid $(live_pid "$REDIS_PID" redis-server), log $REDIS_LOG)"
}

start_zookeeper() {
  local addr=$ZK_HOST:$ZK_PORT pid
  if zk_up; then
    say "zookeeper already up at $addr"
    return
  fi
  is_loopback "$ZK_HOST" || die "nothing answers at $addr (ZK_CONNECT), and this script only starts servers on loopback"
  ! port_open "$ZK_HOST" "$ZK_PORT" ||
    die "something on $addr accepts connections but does not answer ruok with imok (a ZooKeeper without ruok in 4lw.commands.whitelist?)"
  pid=$(live_pid "$ZK_PID" QuorumPeerMain)
  [[ -z $pid ]] || die "our zookeeper (pid $pid) runs but does not answer at $addr; run: bash scripts/services.sh stop"

  mkdir -p "$ZK_DIR/data"
  zk_base_config "$ZK_DIR/data" "$ZK_HOST" "$ZK_PORT" >"$ZK_DIR/zoo.cfg"
  zk_launch "$ZK_DIR/zoo.cfg" "$ZK_DIR"
  wait_until zookeeper zk_up "$ZK_PID" QuorumPeerMain "$ZK_LOG"
  say "zookeeper up at $addr (pid $(live_pid "$ZK_PID" QuorumPeerMain), log $ZK_LOG)"
}

cmd_start() {
  [[ -z $(missing_packages) ]] || cmd_install
  mkdir -p "$STATE_DIR"
  if [[ ${1:-} == --redis-cluster ]]; then
    bash "$ROOT/scripts/redis-cluster.sh" start
  else
    start_redis
  fi
  start_zookeeper
}

# --- stop -----------------------------------------------------------------------------------

stop_one() {
  local name=$1 pidfile=$2 pattern=$3 pid
  pid=$(live_pid "$pidfile" "$pattern")
  if [[ -z $pid ]]; then
    rm -f "$pidfile"
    say "$name: not started by this script, nothing to stop"
    return
  fi
  stop_pid "$name" "$pid" "$STOP_TIMEOUT_S" "$pidfile"
}

cmd_stop() {
  stop_one zookeeper "$ZK_PID" QuorumPeerMain
  stop_one redis "$REDIS_PID" redis-server
  [[ ! -d $STATE_DIR/redis-cluster ]] || bash "$ROOT/scripts/redis-cluster.sh" stop
}

# --- status ---------------------------------------------------------------------------------

status_line() {
  local name=$1 check=$2 addr=$3 pidfile=$4 pattern=$5 state=down pid
  $check && state=up
  pid=$(live_pid "$pidfile" "$pattern")
  if [[ -n $pid ]]; then
    pid="pid $pid"
  elif [[ $state == up ]]; then
    pid="pid - (not started by services.sh)"
  else
    pid="pid -"
  fi
  printf '%-10s %-5s %-22s %s\n' "$name" "$state" "$addr" "$pid"
}

cmd_status() {
  local redis_check=redis_up
  have redis-cli || redis_check=redis_port_open # a bare machine: at least say whether something listens
  status_line redis "$redis_check" "$REDIS_HOST:$REDIS_PORT" "$REDIS_PID" redis-server
  status_line zookeeper zk_up "$ZK_HOST:$ZK_PORT" "$ZK_PID" QuorumPeerMain
}

# --- main -----------------------------------------------------------------------------------

main() {
  local cmd=${1:-}
  [[ $# -eq 0 ]] || shift
  case $cmd in
    install) cmd_install "$@" ;;
    start)
      [[ $# -eq 0 || ($# -eq 1 && $1 == --redis-cluster) ]] || die "start takes only --redis-cluster (got $*)"
      parse_addresses
      cmd_start "$@"
      ;;
    stop | status)
      [[ $# -eq 0 ]] || die "$cmd takes no arguments"
      parse_addresses
      "cmd_$cmd"
      ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
