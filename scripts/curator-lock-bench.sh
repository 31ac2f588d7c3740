#!/usr/bin/env bash
# `grab lock-bench` with Apache Curator's InterProcessMutex (bench/curator/CuratorLockBench.java),
# against the same ZooKeeper, for a side-by-side comparison with our lock:
#
#   curator-lock-bench.sh [--contenders N] [--locks L] [--seconds S]
#
# prints one JSON line, {contenders, locks, handoffsPerSec, acquireP50Ms, acquireP99Ms}, and
# nothing else on stdout. `grab lock-bench --driver curator` runs this script.
# ZooKeeper: ZK_CONNECT (default 127.0.0.1:2181), ZK_SESSION_TIMEOUT_MS, ZK_AUTH, as everywhere.
# Installs the Debian packages it needs when they are missing (as root): Curator 5.4
# (libcurator-*-java, which bring ZooKeeper's client, Guava and SLF4J) and a JDK. Compiles into
# GRAB_SERVICES_DIR/curator-bench (default .services/curator-bench/, git-ignored).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOURCE=$ROOT/bench/curator/CuratorLockBench.java
BUILD_DIR=${GRAB_SERVICES_DIR:-$ROOT/.services}/curator-bench
JAVA_DIR=/usr/share/java
PACKAGES=(libcurator-recipes-java libcurator-framework-java libcurator-client-java default-jdk-headless)
# What the client side needs, found by trying: Curator, ZooKeeper's client and its wire format
# (jute), Guava, the SLF4J API and its no-op binding (no log lines, not even SLF4J's warning).
JARS=(curator-recipes curator-framework curator-client zookeeper zookeeper-jute guava slf4j-api slf4j-nop)

die() {
  echo "curator-lock-bench.sh: $*" >&2
  exit 1
}

# The packages whose files are missing, one a line.
missing_packages() {
  [[ -f $JAVA_DIR/curator-recipes.jar ]] || echo libcurator-recipes-java
  [[ -f $JAVA_DIR/curator-framework.jar ]] || echo libcurator-framework-java
  [[ -f $JAVA_DIR/curator-client.jar ]] || echo libcurator-client-java
  { command -v javac >/dev/null 2>&1 && command -v java >/dev/null 2>&1; } || echo default-jdk-headless
}

install_missing() {
  local missing
  mapfile -t missing < <(missing_packages)
  [[ ${#missing[@]} -gt 0 ]] || return 0
  [[ $(id -u) -eq 0 ]] ||
    die "missing Debian packages: ${missing[*]}; install them as root: sudo apt-get install -y ${PACKAGES[*]}"
  command -v apt-get >/dev/null 2>&1 || die "missing packages ${missing[*]} and no apt-get to install them with"
  echo "curator-lock-bench.sh: installing ${missing[*]}" >&2
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
}

classpath() {
  local cp=$BUILD_DIR jar
  for jar in "${JARS[@]}"; do
    [[ -f $JAVA_DIR/$jar.jar ]] || die "$JAVA_DIR/$jar.jar is missing (reinstall: apt-get install --reinstall ${PACKAGES[*]})"
    cp+=:$JAVA_DIR/$jar.jar
  done
  echo "$cp"
}

main() {
  local arg
  for arg in "$@"; do
    case $arg in
      -h | --help)
        sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    esac
  done
  install_missing
  local cp
  cp=$(classpath)
  mkdir -p "$BUILD_DIR"
  if [[ ! -f $BUILD_DIR/CuratorLockBench.class || $SOURCE -nt $BUILD_DIR/CuratorLockBench.class ]]; then
    javac -nowarn -d "$BUILD_DIR" -cp "$cp" "$SOURCE" >&2
  fi
  exec java -Xss512k -cp "$cp" CuratorLockBench "$@"
}

main "$@"
